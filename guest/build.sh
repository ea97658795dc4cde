#!/usr/bin/env bash
# Build the warden test guest (`make guest`):
#   build/guest/vmlinuz          Debian's cloud kernel (scripts/fetch-kernel.sh)
#   build/guest/initrd.cpio.gz   newc cpio, gzip: busybox, virtio modules, /init
#
# Idempotent: the initrd is rebuilt only when one of its inputs is newer.
# FORCE=1 rebuilds anyway.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/build/guest"
KDIR="$ROOT/build/kernel"
BUSYBOX=/bin/busybox
# Modules wanted in the guest; their dependencies are added by moddeps.sh.
MODULES=(virtio virtio_ring virtio_mmio virtio_pci virtio_blk virtio_net
         virtio_console virtio-rng)

DIED=0
die() { DIED=1; echo "guest/build.sh: error: $*" >&2; exit 1; }
ERRAT='?'
trap 'ERRAT="line $LINENO: $BASH_COMMAND"' ERR
trap 'rc=$?; [ $rc -eq 0 ] || [ $DIED = 1 ] || echo "guest/build.sh: error: exit $rc at $ERRAT" >&2' EXIT

need() { # need FILE-OR-CMD PKG
    if [[ $1 == /* ]]; then [ -e "$1" ] && return 0; else command -v "$1" >/dev/null 2>&1 && return 0; fi
    echo "guest/build.sh: installing $2" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null 2>&1 \
        || { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null 2>&1; } \
        || die "cannot install $2 (needed for $1)"
}

need "$BUSYBOX" busybox-static
need cpio cpio
need gzip gzip
need modinfo kmod

bash "$ROOT/scripts/fetch-kernel.sh" >/dev/null || die "scripts/fetch-kernel.sh failed"
KVER=$(cat "$KDIR/version")

mkdir -p "$OUT"

# vmlinuz: a plain copy, refreshed when the fetched kernel changes.
if [ ! -s "$OUT/vmlinuz" ] || [ "$KDIR/vmlinuz" -nt "$OUT/vmlinuz" ]; then
    cp -f "$KDIR/vmlinuz" "$OUT/vmlinuz.tmp" && mv -f "$OUT/vmlinuz.tmp" "$OUT/vmlinuz"
fi

INITRD="$OUT/initrd.cpio.gz"
inputs=("$ROOT/guest/init" "$ROOT/guest/tools/randread.c" "$ROOT/guest/build.sh" "$ROOT/scripts/moddeps.sh" "$KDIR/version" "$BUSYBOX")
stale=${FORCE:-0}
if [ "$stale" != 1 ] && [ -s "$INITRD" ]; then
    for f in "${inputs[@]}"; do
        [ "$f" -nt "$INITRD" ] && { stale=1; break; }
    done
else
    stale=1
fi
if [ "$stale" != 1 ]; then
    echo "guest: up to date (build/guest/vmlinuz $KVER, build/guest/initrd.cpio.gz $(stat -c %s "$INITRD") bytes)"
    exit 0
fi

STAGE="$OUT/initrd.stage"
rm -rf "$STAGE"
mkdir -p "$STAGE"/{bin,dev,proc,sys,tmp,run,root,etc,"lib/modules/$KVER"}
ln -s bin "$STAGE/sbin"
mkdir -p "$STAGE/usr"
ln -s ../bin "$STAGE/usr/bin"
ln -s ../bin "$STAGE/usr/sbin"
chmod 1777 "$STAGE/tmp"

# busybox and one symlink per applet (done here, not at boot, to save time).
cp "$BUSYBOX" "$STAGE/bin/busybox"
"$BUSYBOX" --list | while read -r applet; do
    [ "$applet" = busybox ] || ln -sf busybox "$STAGE/bin/$applet"
done

# Modules in load order. They are kept as shipped: Debian already strips them,
# and stripping again would drop the appended signature (and taint the kernel).
moddir="$KDIR/modules"
order=$(bash "$ROOT/scripts/moddeps.sh" "$moddir" "${MODULES[@]}") || die "module dependency resolution failed"
while read -r m; do
    mkdir -p "$STAGE/lib/modules/$KVER/$(dirname "$m")"
    cp "$moddir/$m" "$STAGE/lib/modules/$KVER/$m"
done <<<"$order"
printf '%s\n' "$order" >"$STAGE/lib/modules/$KVER/load-order"

install -m 0755 "$ROOT/guest/init" "$STAGE/init"
# Benchmark tool (static: the guest has no C library).
gcc -O2 -static -s -o "$STAGE/bin/randread" "$ROOT/guest/tools/randread.c" || die "cannot build guest/tools/randread.c"

# /dev/console must exist in the initramfs itself, or the kernel starts /init
# without stdin/stdout. We are root (apt-get needs it too), so mknod works.
mknod -m 600 "$STAGE/dev/console" c 5 1 || die "mknod dev/console failed (not root?)"
mknod -m 666 "$STAGE/dev/null" c 1 3

(cd "$STAGE" && find . -mindepth 1 | LC_ALL=C sort \
    | cpio --quiet -o -H newc --owner=0:0 --reproducible) \
    | gzip -9 -n >"$INITRD.tmp" || die "cpio/gzip of the initrd failed"
mv -f "$INITRD.tmp" "$INITRD"
rm -rf "$STAGE"

echo "guest: built build/guest/vmlinuz ($KVER) and build/guest/initrd.cpio.gz ($(stat -c %s "$INITRD") bytes, $(wc -l <<<"$order") modules)"
