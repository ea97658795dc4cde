#!/usr/bin/env bash
# Build the distribution tier's root disk (`make distro`):
#   build/distro/rootfs.img   raw ext4, label "wardenroot": Debian bookworm
#                             (debootstrap --variant=minbase, plus
#                             systemd-sysv, udev and dbus) and a workload unit
#                             (guest/distro/) that checks the boot, writes,
#                             fsyncs and verifies files, prints its result
#                             lines on the console and powers off.
# Boot it with the default kernel and initramfs:
#   warden run --disk build/distro/rootfs.img,root --mem 512
#
# Cached: rebuilt only when this script or guest/distro/* is newer than the
# image (FORCE=1 rebuilds anyway). The debootstrap tree is kept too
# (build/distro/tree.tar), so changing only the workload does not download
# Debian again. Needs root (debootstrap chroots) and the Debian mirror
# (MIRROR, default http://deb.debian.org/debian).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/build/distro"
IMG="$OUT/rootfs.img"
TREE_TAR="$OUT/tree.tar"
MIRROR=${MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
LABEL=wardenroot
# Beyond minbase: an init, device manager, and the system bus systemd-logind
# needs (without it logind fails and the system is "degraded").
INCLUDE=systemd-sysv,udev,dbus

die() { echo "distro.sh: error: $*" >&2; exit 1; }

need() { # need CMD PKG: apt-get install PKG when CMD is missing
    command -v "$1" >/dev/null 2>&1 && return 0
    echo "distro.sh: installing $2" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null 2>&1 \
        || { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null 2>&1; } \
        || die "cannot install $2 (needed for $1)"
}

up_to_date() {
    [ "${FORCE:-0}" != 1 ] && [ -s "$IMG" ] || return 1
    local f
    for f in "$ROOT/scripts/distro.sh" "$ROOT"/guest/distro/*; do
        [ "$f" -nt "$IMG" ] && return 1
    done
    return 0
}

# The Debian tree, downloaded once and kept as a tar (a chrooted tree is
# awkward to keep around as files: device nodes, owners).
make_tree() { # make_tree DIR
    local dir=$1
    if [ -s "$TREE_TAR" ] && [ "${FORCE:-0}" != 1 ] && [ "$(cat "$TREE_TAR.include" 2>/dev/null)" = "$SUITE $INCLUDE" ]; then
        tar -C "$dir" -xpf "$TREE_TAR"
        return 0
    fi
    need debootstrap debootstrap
    debootstrap --variant=minbase --include="$INCLUDE" \
        "$SUITE" "$dir" "$MIRROR" >"$OUT/debootstrap.log" 2>&1 \
        || die "debootstrap $SUITE from $MIRROR failed (last lines of build/distro/debootstrap.log: $(tail -n 3 "$OUT/debootstrap.log" | tr '\n' ' '))"
    # What a VM that powers off after one workload never uses.
    rm -rf "$dir"/var/cache/apt/*.bin "$dir"/var/lib/apt/lists/* "$dir"/usr/share/doc/* \
        "$dir"/usr/share/man/* "$dir"/usr/share/locale/* "$dir"/var/cache/debconf/*-old \
        "$dir"/var/log/*.log
    tar -C "$dir" -cpf "$TREE_TAR.tmp" . && mv -f "$TREE_TAR.tmp" "$TREE_TAR"
    echo "$SUITE $INCLUDE" >"$TREE_TAR.include"
}

# warden's configuration on top of plain Debian.
configure_tree() { # configure_tree DIR
    local dir=$1
    echo "warden-distro" >"$dir/etc/hostname"
    # / is mounted by the initramfs (read-only unless `rw`); systemd
    # remounts it with these options. No fsck pass: the tier runs e2fsck
    # on the host side after the VM.
    printf 'LABEL=%s / ext4 rw,errors=remount-ro 0 0\n' "$LABEL" >"$dir/etc/fstab"
    # A fixed machine id: no "first boot" work (systemd-firstboot,
    # machine-id-commit) on every boot of a fresh image.
    printf '%s\n' 77617264656e2d64697374726f000001 >"$dir/etc/machine-id"
    # No login prompt on the serial console: nobody logs in (the workload
    # powers off), and agetty's prompt would land in the middle of the
    # workload's result lines.
    ln -sf /dev/null "$dir/etc/systemd/system/serial-getty@ttyS0.service"
    install -m 0755 "$ROOT/guest/distro/warden-workload" "$dir/usr/local/sbin/warden-workload"
    install -m 0644 "$ROOT/guest/distro/warden-workload.service" "$dir/etc/systemd/system/warden-workload.service"
    ln -sf /etc/systemd/system/warden-workload.service \
        "$dir/etc/systemd/system/multi-user.target.wants/warden-workload.service"
}

# A raw ext4 image just big enough for the tree and the workload's files.
make_image() { # make_image DIR
    local dir=$1 used_mib size_mib
    need mke2fs e2fsprogs
    used_mib=$(du -sm "$dir" | cut -f1)
    size_mib=$((used_mib + used_mib / 4 + 96))
    rm -f "$IMG.tmp"
    truncate -s "${size_mib}M" "$IMG.tmp"
    mke2fs -q -F -t ext4 -L "$LABEL" -d "$dir" "$IMG.tmp" \
        || die "mke2fs -d of the tree failed"
    mv -f "$IMG.tmp" "$IMG"
    echo "distro: built build/distro/rootfs.img (${size_mib} MiB, ${used_mib} MiB used, label $LABEL)"
}

main() {
    [ "$(id -u)" = 0 ] || die "needs root (debootstrap chroots into the tree)"
    mkdir -p "$OUT"
    if up_to_date; then
        echo "distro: up to date (build/distro/rootfs.img, $(du -m --apparent-size "$IMG" | cut -f1) MiB)"
        return 0
    fi
    local stage="$OUT/stage"
    rm -rf "$stage"
    mkdir -p "$stage"
    make_tree "$stage"
    configure_tree "$stage"
    make_image "$stage"
    rm -rf "$stage"
}

main "$@"
