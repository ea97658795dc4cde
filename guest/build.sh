#!/usr/bin/env bash
# Build the warden test guest (`make guest`):
#   build/guest/vmlinuz          Debian's cloud kernel (scripts/fetch-kernel.sh)
#   build/guest/vmlinux          the same kernel uncompressed: the ELF inside the
#                                bzImage, which warden boots directly (no
#                                decompressor running in the guest)
#   build/guest/initrd.cpio.gz   newc cpio, gzip: busybox, virtio modules, /init
#
# Idempotent: the initrd is rebuilt only when one of its inputs is newer.
# FORCE=1 rebuilds anyway.
#
# WARDEN_GUEST_KO=FILE.ko WARDEN_GUEST_INITRD=OUT.cpio.gz: build OUT instead,
# the same initramfs plus FILE.ko (lib/modules/<ver>/extra/, loaded last by
# /init), e.g. warden's hypercall module (guest/linux-module/build.sh); the
# default initramfs stays without it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/build/guest"
KDIR="$ROOT/build/kernel"
BUSYBOX=/bin/busybox
# Modules wanted in the guest; their dependencies are added by moddeps.sh.
# virtio_console comes right after the transports: with console=hvc0 the
# guest has no console until it is loaded (guest/init).
MODULES=(virtio virtio_ring virtio_mmio virtio_pci virtio_console virtio_blk
         virtio_net virtio-rng)
# The ACPI power button (warden's SIGTERM, docs/shutdown.md): its driver, and
# evdev for the /dev/input/event* that busybox acpid reads.
MODULES+=(button evdev)
# Carried but not loaded at boot: vsock-test (guest/tools/vsock.c) loads
# them, in lib/modules/<ver>/vsock-order, for the emulated tier's vsock case.
VSOCK_MODULES=(vmw_vsock_virtio_transport)

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

# vmlinux: the bzImage's payload (setup header: payload_offset, relative to
# the protected-mode code, and payload_length) is the compressed ELF vmlinux.
# Its format is known by its magic; every format but gzip carries the
# uncompressed size as 4 trailing bytes (the kernel's size_append), which are
# cut off and checked. Behind the ELF lies the relocation table the
# decompressor uses for KASLR; it is kept: warden applies it to randomize
# the vmlinux as the decompressor would (src/boot/kaslr.h). Done here, once
# per kernel, never per boot.
rd_u() { # rd_u FILE OFFSET BYTES: little-endian unsigned integer
    od -An -t "u$3" -j "$2" -N "$3" "$1" | tr -d ' '
}
extract_vmlinux() { # extract_vmlinux BZIMAGE OUT
    local bz=$1 out=$2 sects poff plen start magic sized=1 want got
    local -a tool
    [ "$(od -An -c -j 514 -N 4 "$bz" | tr -d ' ')" = HdrS ] || die "$bz has no Linux boot header"
    [ "$(rd_u "$bz" 518 2)" -ge $((0x208)) ] || die "$bz: boot protocol before 2.08 has no payload fields"
    sects=$(rd_u "$bz" 497 1); [ "$sects" -ne 0 ] || sects=4
    poff=$(rd_u "$bz" 584 4); plen=$(rd_u "$bz" 588 4)
    start=$(( (sects + 1) * 512 + poff ))
    [ "$plen" -gt 4 ] && [ $((start + plen)) -le "$(stat -c %s "$bz")" ] || die "$bz: payload outside the file"
    magic=$(od -An -t x1 -j "$start" -N 6 "$bz" | tr -d ' \n')
    case $magic in
        1f8b*)         tool=(gzip -dc); sized=0; need gzip gzip ;;
        fd377a585a00)  tool=(xz -dc); need xz xz-utils ;;
        5d0000*)       tool=(xz --format=lzma -dc); need xz xz-utils ;;
        28b52ffd*)     tool=(zstd -dcq); need zstd zstd ;;
        02214c18*)     tool=(lz4 -dc); need lz4 lz4 ;;     # legacy frame, as the kernel writes it
        425a68*)       tool=(bzip2 -dc); need bzip2 bzip2 ;;
        894c5a4f*)     tool=(lzop -dc); need lzop lzop ;;
        *) die "$bz: unknown payload compression (magic $magic)" ;;
    esac
    [ $sized = 0 ] || { want=$(od -An -t u4 -j $((start + plen - 4)) -N 4 "$bz" | tr -d ' '); plen=$((plen - 4)); }
    dd if="$bz" iflag=skip_bytes,count_bytes skip="$start" count="$plen" bs=1M status=none \
        | "${tool[@]}" >"$out.tmp" \
        || die "${tool[0]} could not decompress the payload of $bz"
    got=$(stat -c %s "$out.tmp")
    [ $sized = 0 ] || [ "$got" = "$want" ] || die "$bz: payload decompressed to $got bytes, the kernel says $want"
    [ "$(od -An -c -N 4 "$out.tmp" | tr -d ' ')" = '177ELF' ] || die "$bz: the payload is not an ELF vmlinux"
    mv -f "$out.tmp" "$out"
}
if [ ! -s "$OUT/vmlinux" ] || [ "$OUT/vmlinuz" -nt "$OUT/vmlinux" ] || [ "$ROOT/guest/build.sh" -nt "$OUT/vmlinux" ]; then
    extract_vmlinux "$OUT/vmlinuz" "$OUT/vmlinux"
fi

INITRD="${WARDEN_GUEST_INITRD:-$OUT/initrd.cpio.gz}"
EXTRA_KO=${WARDEN_GUEST_KO:-}
[ -z "$EXTRA_KO" ] || [ -n "${WARDEN_GUEST_INITRD:-}" ] || die "WARDEN_GUEST_KO needs WARDEN_GUEST_INITRD (not the default initramfs)"
[ -z "$EXTRA_KO" ] || [ -f "$EXTRA_KO" ] || die "WARDEN_GUEST_KO: no file $EXTRA_KO"
inputs=(${EXTRA_KO:+"$EXTRA_KO"} "$ROOT/guest/init" "$ROOT/guest/root.sh" "$ROOT/guest/tools/warden-fail.c" "$ROOT/guest/tools/freestanding.h" "$ROOT/guest/tools/randread.c" "$ROOT/guest/tools/uringio.c" "$ROOT/guest/tools/recwriter.c" "$ROOT/guest/tools/netcoal.c" "$ROOT/guest/tools/vsock.c" "$ROOT/tests/native/guests/vsock_exchange.h" "$ROOT/guest/build.sh" "$ROOT/scripts/moddeps.sh" "$KDIR/version" "$BUSYBOX")
stale=${FORCE:-0}
if [ "$stale" != 1 ] && [ -s "$INITRD" ]; then
    for f in "${inputs[@]}"; do
        [ "$f" -nt "$INITRD" ] && { stale=1; break; }
    done
else
    stale=1
fi
if [ "$stale" != 1 ]; then
    echo "guest: up to date (build/guest/vmlinuz $KVER, vmlinux $(stat -c %s "$OUT/vmlinux") bytes, $INITRD $(stat -c %s "$INITRD") bytes)"
    exit 0
fi

STAGE="$INITRD.stage"
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
if [ -n "$EXTRA_KO" ]; then
    mkdir -p "$STAGE/lib/modules/$KVER/extra"
    cp "$EXTRA_KO" "$STAGE/lib/modules/$KVER/extra/"
    order+=$'\n'"extra/$(basename "$EXTRA_KO")"
fi
printf '%s\n' "$order" >"$STAGE/lib/modules/$KVER/load-order"
vorder=$(bash "$ROOT/scripts/moddeps.sh" "$moddir" "${VSOCK_MODULES[@]}") || die "vsock module dependency resolution failed"
while read -r m; do
    mkdir -p "$STAGE/lib/modules/$KVER/$(dirname "$m")"
    cp "$moddir/$m" "$STAGE/lib/modules/$KVER/$m"
done <<<"$vorder"
printf '%s\n' "$vorder" >"$STAGE/lib/modules/$KVER/vsock-order"

install -m 0755 "$ROOT/guest/init" "$STAGE/init"
# Root disk support (root=), sourced by /init.
install -D -m 0644 "$ROOT/guest/root.sh" "$STAGE/lib/warden/root.sh"
# How /init tells warden it could not boot (freestanding: about 9 KiB).
gcc -Os -static -nostdlib -fno-stack-protector -fno-pie -no-pie -s -Wall -Wextra -Werror \
    -o "$STAGE/bin/warden-fail" "$ROOT/guest/tools/warden-fail.c" || die "cannot build guest/tools/warden-fail.c"
# Benchmark tool (static: the guest has no C library).
gcc -O2 -static -s -o "$STAGE/bin/randread" "$ROOT/guest/tools/randread.c" || die "cannot build guest/tools/randread.c"
# io_uring with IOPOLL for the polling recipe (docs/virtio.md, "The guest's side").
gcc -O2 -static -s -Wall -Wextra -Werror -o "$STAGE/bin/uringio" "$ROOT/guest/tools/uringio.c" ||
    die "cannot build guest/tools/uringio.c"
# Crash-consistency workload and checker (tests/emu/cases/durability.l1.sh).
gcc -O2 -static -s -Wall -Wextra -Werror -o "$STAGE/bin/recwriter" "$ROOT/guest/tools/recwriter.c" ||
    die "cannot build guest/tools/recwriter.c"
# Interrupt coalescing through the ethtool ioctl, which busybox lacks
# (tests/emu/cases/net.l1.sh: virtio-net's NOTF_COAL commands);
# freestanding, 9 KiB.
gcc -Os -static -nostdlib -ffreestanding -fno-stack-protector -fno-pie -no-pie -s -Wall -Wextra -Werror \
    -o "$STAGE/bin/netcoal" "$ROOT/guest/tools/netcoal.c" || die "cannot build guest/tools/netcoal.c"
# The emulated tier's vsock case (freestanding too: a few KiB).
gcc -Os -static -nostdlib -ffreestanding -fno-stack-protector -fno-pie -no-pie -s -Wall -Wextra -Werror \
    -I"$ROOT/tests/native/guests" -o "$STAGE/bin/vsock-test" "$ROOT/guest/tools/vsock.c" || die "cannot build guest/tools/vsock.c"

# /dev/console must exist in the initramfs itself, or the kernel starts /init
# without stdin/stdout. We are root (apt-get needs it too), so mknod works.
mknod -m 600 "$STAGE/dev/console" c 5 1 || die "mknod dev/console failed (not root?)"
mknod -m 666 "$STAGE/dev/null" c 1 3

(cd "$STAGE" && find . -mindepth 1 | LC_ALL=C sort \
    | cpio --quiet -o -H newc --owner=0:0 --reproducible) \
    | gzip -9 -n >"$INITRD.tmp" || die "cpio/gzip of the initrd failed"
mv -f "$INITRD.tmp" "$INITRD"
rm -rf "$STAGE"

echo "guest: built build/guest/vmlinuz ($KVER), vmlinux ($(stat -c %s "$OUT/vmlinux") bytes) and $INITRD ($(stat -c %s "$INITRD") bytes, $(wc -l <<<"$order") modules)"
