#!/usr/bin/env bash
# The distribution tier (`make distro-test`): Debian bookworm with systemd
# (build/distro/rootfs.img, `make distro`) booted by warden inside the
# emulated AMD-V host with `--disk IMG,root`, checked by distro.check.sh.
# Not part of `make test`: the 300 MiB image rides in L1's initramfs and
# the case takes minutes under TCG (docs/benchmarks.md, one-off
# diagnostics). Skips, saying why, when the image cannot be built (no
# debootstrap, no Debian mirror, not root) or QEMU is missing.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh
if ! command -v qemu-system-x86_64 >/dev/null; then
	skip "qemu-system-x86_64 is not installed: distribution tier not run"
	finish distro ""
	exit $?
fi
mkdir -p build/tests
if ! bash scripts/distro.sh >build/tests/distro-build.log 2>&1; then
	skip "make distro could not build the Debian image: $(tail -n 1 build/tests/distro-build.log)"
	finish distro ""
	exit $?
fi
EMU_CASES_DIR=tests/distro EMU_ONLY=distro EMU_EXTRA=build/distro/rootfs.img exec bash tests/emu/run.sh
