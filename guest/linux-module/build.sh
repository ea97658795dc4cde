#!/usr/bin/env bash
# Build warden's hypercall module for the Linux guest (`make guest-module`)
# against Debian's linux-headers for the guest kernel, and an initramfs that
# carries it.  Outputs (relative to the repo root):
#   build/guest-module/debs/      linux-headers-<ver>, linux-headers-<abi>-common,
#                                 linux-kbuild-<x.y> (apt-get download, as
#                                 scripts/fetch-kernel.sh fetches the kernel)
#   build/guest-module/headers/   the three unpacked
#   build/guest-module/src/       a copy of guest/linux-module (kbuild writes
#                                 its objects next to the sources)
#   build/guest-module/whc.ko
#   build/guest-module/initrd-whc.cpio.gz   the default guest's initramfs plus
#                                 whc.ko, which /init loads last (guest/build.sh
#                                 with WARDEN_GUEST_KO); the default initramfs
#                                 is not touched
# Compiler: Debian 12's gcc-12 (the kernel's own: its headers record it).
# Exit status: 0 built; 3 the headers cannot be fetched (one line, also in
# build/guest-module/unavailable, which tests read to skip with a reason);
# 1 anything else.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="$ROOT/build/guest-module"
KDIR="$ROOT/build/kernel"
SRC="$ROOT/guest/linux-module"

DIED=0
die() { DIED=1; echo "guest-module: error: $*" >&2; exit 1; }
unavailable() { DIED=1; echo "guest-module: $*" | tee "$OUT/unavailable" >&2; exit 3; }
ERRAT='?'
trap 'ERRAT="line $LINENO: $BASH_COMMAND"' ERR
trap 'rc=$?; [ $rc -eq 0 ] || [ $DIED = 1 ] || echo "guest-module: error: exit $rc at $ERRAT" >&2' EXIT

mkdir -p "$OUT/debs"
# Never leave an old module or initramfs behind a failed build.
rm -f "$OUT/unavailable" "$OUT/whc.ko" "$OUT/initrd-whc.cpio.gz"
bash "$ROOT/scripts/fetch-kernel.sh" >/dev/null || die "scripts/fetch-kernel.sh failed"
KVER=$(cat "$KDIR/version")                       # 6.1.0-57-cloud-amd64
ABI=${KVER%-cloud-amd64}                          # 6.1.0-57
MAJ=$(cut -d. -f1-2 <<<"$KVER")                   # 6.1
img=$(ls -t "$KDIR/debs/linux-image-${KVER}"_*.deb 2>/dev/null | head -1) || true
[ -n "$img" ] || die "no linux-image-$KVER deb in $KDIR/debs (scripts/fetch-kernel.sh)"
PKGVER=$(dpkg-deb -f "$img" Version)              # 6.1.192-3: the headers must match
command -v gcc-12 >/dev/null || die "gcc-12 is missing (Debian 12: apt-get install gcc-12)"

# The headers, exactly the kernel's version.
PKGS=("linux-headers-$KVER" "linux-headers-$ABI-common" "linux-kbuild-$MAJ")
cd "$OUT/debs"
for p in "${PKGS[@]}"; do
    ls "${p}_${PKGVER}"_*.deb >/dev/null 2>&1 && continue
    apt-get -q -o APT::Sandbox::User=root download "$p=$PKGVER" >/dev/null 2>dl.err \
        || { apt-get update -qq >/dev/null 2>&1 || true
             apt-get -q -o APT::Sandbox::User=root download "$p=$PKGVER" >/dev/null 2>dl.err; } \
        || unavailable "cannot fetch $p=$PKGVER with apt-get download: $(tail -1 dl.err)"
done
rm -f dl.err
HDR="$OUT/headers/usr/src/linux-headers-$KVER"
if [ ! -f "$HDR/Makefile" ] || [ ! -x "$OUT/headers/usr/lib/linux-kbuild-$MAJ/scripts/basic/fixdep" ]; then
    rm -rf "$OUT/headers"
    mkdir -p "$OUT/headers"
    for p in "${PKGS[@]}"; do
        dpkg-deb -x "$(ls "${p}_${PKGVER}"_*.deb | head -1)" "$OUT/headers" || die "dpkg-deb -x $p failed"
    done
fi
[ -f "$HDR/Makefile" ] || die "$HDR/Makefile missing after unpacking the headers"
# The flavour's Makefile includes the common one by its installed path.
sed -i "s|^include /usr/src/|include $OUT/headers/usr/src/|" "$HDR/Makefile"

# The module, built in a copy of its sources.
rm -rf "$OUT/src"
mkdir -p "$OUT/src"
cp -r "$SRC/whc.c" "$SRC/Kbuild" "$SRC/shim" "$OUT/src/"
make -s -C "$HDR" M="$OUT/src" CC=gcc-12 WARDEN_INCLUDE="$ROOT/include" modules >"$OUT/build.log" 2>&1 \
    || { tail -20 "$OUT/build.log" >&2; die "the module did not build (log: $OUT/build.log)"; }
vermagic=$(modinfo -F vermagic "$OUT/src/whc.ko")
[ "${vermagic%% *}" = "$KVER" ] || die "whc.ko's vermagic '$vermagic' is not the guest kernel's $KVER"
cp -f "$OUT/src/whc.ko" "$OUT/whc.ko"

# The initramfs that carries it.
WARDEN_GUEST_KO="$OUT/whc.ko" WARDEN_GUEST_INITRD="$OUT/initrd-whc.cpio.gz" bash "$ROOT/guest/build.sh" >/dev/null \
    || die "guest/build.sh with WARDEN_GUEST_KO failed"
echo "guest-module: built build/guest-module/whc.ko ($KVER, headers $PKGVER, gcc-12) and build/guest-module/initrd-whc.cpio.gz"
