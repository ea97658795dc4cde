#!/usr/bin/env bash
# Install what warden's build, tests and demo need, if it is missing.
# clang and libclang-rt-dev (its libFuzzer and sanitizer runtimes, only
# recommended by clang) build the fuzz targets (tests/fuzz).
set -euo pipefail
PKGS=(gcc make libc6-dev binutils libjson-c-dev liburing-dev libcmocka-dev jq
      qemu-system-x86 busybox-static cpio kmod e2fsprogs util-linux python3 lz4
      chromium clang libclang-rt-dev libmicrohttpd-dev curl)
missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
echo "deps: installing ${missing[*]}"
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >/dev/null || { echo "deps: apt-get update failed" >&2; exit 1; }
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null ||
	{ echo "deps: apt-get install ${missing[*]} failed" >&2; exit 1; }
