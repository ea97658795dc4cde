#!/usr/bin/env bash
# `make demo`: boot the default guest with warden and show its console and
# the exit table; then boot a Debian bookworm root disk with systemd
# (`make distro`, cached in build/distro) and show that boot's exit table:
# the distribution's boot log on the serial console is its biggest exit
# source, and the advice under the table says so (quiet, or a virtio
# console). Natively where the host's KVM is hardware-assisted; otherwise
# inside the emulated AMD-V host (QEMU TCG, tests/emu/l1.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

# The root disk: built (or found cached) here; without it (no Debian
# mirror, not root) the demo says why and shows the default guest only.
DISTRO=build/distro/rootfs.img
if ! bash scripts/distro.sh >build/distro-demo.log 2>&1; then
	echo "demo: no distribution image ($(tail -n 1 build/distro-demo.log)); the default guest only"
	DISTRO=
fi

if [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; then
	echo "demo: this host has hardware-assisted KVM; booting the default guest natively"
	build/warden run --cpus 2 --stats build/demo-stats.json
	[ -n "$DISTRO" ] || exit 0
	echo "demo: warden run --cpus 2 --mem 1024 --disk $DISTRO,root   (systemd to multi-user, a workload, poweroff)"
	exec build/warden run --cpus 2 --mem 1024 --disk "$DISTRO",root --stats build/demo-distro-stats.json
fi

reason="no /dev/kvm"
[ -d /sys/module/kvm_pvm ] && reason="/dev/kvm is kvm_pvm (paravirtual, cannot boot a stock kernel)"
echo "demo: $reason; booting the default guest inside an emulated AMD-V host"
echo "demo: (QEMU TCG with -cpu EPYC boots Linux as L1, loads kvm-amd, and warden runs there)"
script=$(mktemp)
trap 'rm -f "$script"' EXIT
cat >"$script" <<'L1'
echo 1 >/proc/sys/kernel/printk
export WARDEN_GUEST_DIR=/guest
echo "demo: warden run --cpus 2   (inside L1)"
warden run --cpus 2 --cmdline 'console=ttyS0 panic=-1 pci=off 8250.nr_uarts=1 warden.run="uname -a; grep -c ^processor /proc/cpuinfo"'
echo "demo: warden exited with status $?"
[ -f /extra/rootfs.img ] || exit 0
echo "demo: warden run --cpus 2 --mem 1024 --disk rootfs.img,root   (inside L1: Debian bookworm, systemd to multi-user, a workload, poweroff)"
warden run --cpus 2 --mem 1024 --disk /extra/rootfs.img,root
echo "demo: warden exited with status $?"
L1
if [ -n "$DISTRO" ]; then
	bash tests/emu/l1.sh --mem 3072 --timeout 1500 "$script" "$DISTRO"
else
	bash tests/emu/l1.sh --timeout 600 "$script"
fi
