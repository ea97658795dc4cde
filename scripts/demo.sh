#!/usr/bin/env bash
# `make demo`: boot the default guest with warden and show its console and
# the exit table. Natively where the host's KVM is hardware-assisted;
# otherwise inside the emulated AMD-V host (QEMU TCG, tests/emu/l1.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; then
	echo "demo: this host has hardware-assisted KVM; booting the default guest natively"
	exec build/warden run --cpus 2 --stats build/demo-stats.json
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
L1
bash tests/emu/l1.sh --timeout 600 "$script"
