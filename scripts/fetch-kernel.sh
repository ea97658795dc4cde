#!/usr/bin/env bash
# Fetch Debian's cloud kernel (linux-image-cloud-amd64) without installing it.
#
# Outputs (relative to the repo root):
#   build/kernel/root/      the unpacked versioned linux-image package
#   build/kernel/vmlinuz    copy of root/boot/vmlinuz-<ver>
#   build/kernel/version    the uname -r string, e.g. 6.1.0-56-cloud-amd64
#   build/kernel/modules -> root/lib/modules/<ver>
#
# Idempotent: does nothing if the outputs exist and are newer than this script.
# FORCE=1 re-downloads (e.g. to pick up a newer kernel after apt-get update).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KDIR="$ROOT/build/kernel"
SELF="$ROOT/scripts/$(basename "${BASH_SOURCE[0]}")"

DIED=0
die() { DIED=1; echo "fetch-kernel: error: $*" >&2; exit 1; }
# Any other failure (set -e) still gets exactly one line.
ERRAT='?'
trap 'ERRAT="line $LINENO: $BASH_COMMAND"' ERR
trap 'rc=$?; [ $rc -eq 0 ] || [ $DIED = 1 ] || echo "fetch-kernel: error: exit $rc at $ERRAT" >&2' EXIT

# Install the Debian packages that provide the given commands, if missing.
need() { # need CMD PKG
    command -v "$1" >/dev/null 2>&1 && return 0
    echo "fetch-kernel: installing $2" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null \
        || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null; } \
        || die "cannot install $2 (needed for $1)"
}

up_to_date() {
    [ -s "$KDIR/vmlinuz" ] && [ -s "$KDIR/version" ] && [ -L "$KDIR/modules" ] && [ -d "$KDIR/modules/" ] \
        && [ "$KDIR/version" -nt "$SELF" ]
}

if [ "${FORCE:-0}" != 1 ] && up_to_date; then
    echo "fetch-kernel: up to date ($(cat "$KDIR/version"))"
    exit 0
fi

need dpkg-deb dpkg
need apt-get apt

mkdir -p "$KDIR/debs"
cd "$KDIR/debs"

# apt-get download as root normally drops privileges to _apt, which cannot write
# here; run the download as root explicitly (no sandbox warning, same result).
APT_DL=(apt-get -q -o APT::Sandbox::User=root download)

rm -f linux-image-cloud-amd64_*.deb
if ! "${APT_DL[@]}" linux-image-cloud-amd64 >/dev/null 2>dl.err; then
    apt-get update -qq >/dev/null 2>&1 || true
    "${APT_DL[@]}" linux-image-cloud-amd64 >/dev/null 2>dl.err \
        || die "apt-get download linux-image-cloud-amd64 failed: $(tail -1 dl.err)"
fi
meta=$(ls -t linux-image-cloud-amd64_*.deb | head -1)

# Depends: linux-image-6.1.0-56-cloud-amd64 (= 6.1.192-2)
pkg=$(dpkg-deb -f "$meta" Depends | tr ',|' '\n\n' | sed 's/^ *//; s/ .*//' \
      | grep -E '^linux-image-[0-9][^ ]*-cloud-amd64$' | head -1) \
    || die "no versioned linux-image package in Depends of $meta"
ver=${pkg#linux-image-}
echo "fetch-kernel: $meta -> $pkg"

deb=$(ls -t "${pkg}"_*.deb 2>/dev/null | head -1 || true)
if [ -z "$deb" ]; then
    "${APT_DL[@]}" "$pkg" >/dev/null 2>dl.err || die "apt-get download $pkg failed: $(tail -1 dl.err)"
    deb=$(ls -t "${pkg}"_*.deb | head -1)
fi
rm -f dl.err

# Unpack into a fresh root (replace an older kernel's tree atomically-ish).
rm -rf "$KDIR/root.new"
mkdir -p "$KDIR/root.new"
dpkg-deb -x "$deb" "$KDIR/root.new" || die "dpkg-deb -x $deb failed"
[ -f "$KDIR/root.new/boot/vmlinuz-$ver" ] || die "$deb has no boot/vmlinuz-$ver"
[ -d "$KDIR/root.new/lib/modules/$ver" ] || die "$deb has no lib/modules/$ver"
rm -rf "$KDIR/root"
mv "$KDIR/root.new" "$KDIR/root"

cp -f "$KDIR/root/boot/vmlinuz-$ver" "$KDIR/vmlinuz.tmp" && mv -f "$KDIR/vmlinuz.tmp" "$KDIR/vmlinuz"
ln -sfn "root/lib/modules/$ver" "$KDIR/modules"
echo "$ver" > "$KDIR/version.tmp" && mv -f "$KDIR/version.tmp" "$KDIR/version"

echo "fetch-kernel: kernel $ver ready in build/kernel ($(du -sh "$KDIR/vmlinuz" | cut -f1) vmlinuz)"
