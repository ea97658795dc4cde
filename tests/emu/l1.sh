#!/usr/bin/env bash
# Emulated-hardware harness: run SCRIPT inside "L1", a QEMU TCG machine with an
# emulated AMD EPYC CPU whose kernel (Debian's cloud kernel) loads kvm-amd and
# so has a real SVM /dev/kvm with nested paging. Needed because this host's
# /dev/kvm cannot boot Linux.
#
# Usage: tests/emu/l1.sh [--with-qemu] [--smp N] [--mem MiB] [--timeout SECS]
#                        SCRIPT [FILE...]
#
# L1's initramfs holds:
#   busybox (+ applet links), irqbypass/kvm/kvm-amd/tun/vhost_net modules,
#   /init (l1-init)
#   mke2fs (mkfs.ext4), e2fsck, debugfs with their libraries
#   /bin/warden                     build/warden-static, if it exists
#   /guest/vmlinuz, /guest/initrd.cpio.gz   from guest/build.sh (`make guest`)
#   /guest/vmlinux                  the same kernel uncompressed, if extracted
#   /extra/<name>                   each FILE (file or directory)
#   /l1-script                      SCRIPT, run with busybox sh in /tmp
#   with --with-qemu: /usr/bin/qemu-system-x86_64, its libraries and the
#   firmware that -M microvm needs.
# The static parts are cached under build/l1/.
#
# L1's serial console is streamed to stdout (and to build/l1/last.log).
# Exit status: SCRIPT's status (from the "L1-EXIT: N" line), 3 if L1 had no
# /dev/kvm, 124 on timeout (default 900 s), 125 if L1 printed no L1-EXIT line,
# 126 if L1's kernel reported a soft lockup (L1 is stopped L1_LOCKUP_GRACE
# seconds later, default 5, so that the rest of the kernel's report reaches
# the log: tests/emu/run.sh reads the stuck task from it) or L1 printed
# nothing for L1_SILENCE seconds (default 420; L1 is stopped at once).
# Env: L1_COMPRESS=none|gzip (initramfs compression, default none: faster
#      under TCG), WARDEN=path (the /bin/warden to use, default
#      build/warden-static; must be static or run with L1's busybox),
#      L1_TCG_THREAD=multi|single (QEMU's TCG threading, default multi),
#      L1_QEMU_ARGS (more QEMU options, e.g. "-s" for a gdbstub on :1234),
#      L1_APPEND (more options for L1's kernel, e.g. "nokaslr"),
#      L1_KVM_AMD_ARGS (parameters for L1's kvm-amd, e.g. "npt=0" for shadow
#      paging: one word, passed to l1-init through the kernel command line;
#      l1-init prints what the module then says it has),
#      L1_QEMU (the program started as QEMU, default the host's
#      qemu-system-x86_64; the emulated tier's own checks use a stand-in).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/tests/emu"
L1DIR="$ROOT/build/l1"
KDIR="$ROOT/build/kernel"
SELF="$HERE/l1.sh"
QEMU_BIN=/usr/bin/qemu-system-x86_64
BUSYBOX=/bin/busybox
L1_COMPRESS=${L1_COMPRESS:-none}
WARDEN=${WARDEN:-$ROOT/build/warden-static}

DIED=0
die() { DIED=1; echo "l1.sh: error: $*" >&2; exit 1; }
ERRAT='?'
trap 'ERRAT="line $LINENO: $BASH_COMMAND"' ERR
STAGE=""
cleanup() {
    local rc=$?
    [ -z "$STAGE" ] || rm -rf "$STAGE" "$STAGE.cpio" "$STAGE.initramfs"
    [ $rc -eq 0 ] || [ $DIED = 1 ] || [ $rc -eq 124 ] || [ $rc -eq 125 ] || [ $rc -eq 126 ] || [ "${SCRIPT_RC:-x}" = "$rc" ] \
        || echo "l1.sh: error: exit $rc at $ERRAT" >&2
}
trap cleanup EXIT

usage() {
    DIED=1
    echo "usage: tests/emu/l1.sh [--with-qemu] [--smp N] [--mem MiB] [--timeout SECS] SCRIPT [FILE...]" >&2
    exit 2
}

WITH_QEMU=0 SMP=2 MEM=3072 TIMEOUT=900
while [ $# -gt 0 ]; do
    case $1 in
        --with-qemu) WITH_QEMU=1; shift ;;
        --smp) [ $# -ge 2 ] || usage; SMP=$2; shift 2 ;;
        --mem) [ $# -ge 2 ] || usage; MEM=$2; shift 2 ;;
        --timeout) [ $# -ge 2 ] || usage; TIMEOUT=$2; shift 2 ;;
        --smp=*) SMP=${1#*=}; shift ;;
        --mem=*) MEM=${1#*=}; shift ;;
        --timeout=*) TIMEOUT=${1#*=}; shift ;;
        -h|--help) usage ;;
        --) shift; break ;;
        -*) echo "l1.sh: unknown option $1" >&2; usage ;;
        *) break ;;
    esac
done
[ $# -ge 1 ] || usage
SCRIPT=$1; shift
EXTRA=("$@")
[ -f "$SCRIPT" ] || die "script $SCRIPT not found"
for f in "${EXTRA[@]}"; do [ -e "$f" ] || die "extra file $f not found"; done
[[ $SMP =~ ^[0-9]+$ && $MEM =~ ^[0-9]+$ && $TIMEOUT =~ ^[0-9]+$ ]] || die "--smp, --mem and --timeout take numbers"

need() { # need FILE-OR-CMD PKG
    if [[ $1 == /* ]]; then [ -e "$1" ] && return 0; else command -v "$1" >/dev/null 2>&1 && return 0; fi
    echo "l1.sh: installing $2" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null 2>&1 \
        || { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null 2>&1; } \
        || die "cannot install $2 (needed for $1)"
}
need "$QEMU_BIN" qemu-system-x86
need "$BUSYBOX" busybox-static
need cpio cpio
need gzip gzip
need timeout coreutils
need modinfo kmod
need /sbin/mke2fs e2fsprogs

# Kernel for L1 and the L2 guest (both idempotent, quiet when up to date).
bash "$ROOT/scripts/fetch-kernel.sh" >/dev/null || die "scripts/fetch-kernel.sh failed"
bash "$ROOT/guest/build.sh" >/dev/null || die "guest/build.sh failed"
KVER=$(cat "$KDIR/version")
mkdir -p "$L1DIR"

# stale OUT IN...: true if OUT is missing or any IN is newer.
stale() {
    local out=$1; shift
    [ -s "$out" ] || return 0
    local f
    for f in "$@"; do [ "$f" -nt "$out" ] && return 0; done
    return 1
}

# mkcpio DIR OUT: newc archive of DIR's contents, owned by root.
mkcpio() {
    (cd "$1" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc --owner=0:0 --reproducible) >"$2.tmp" \
        || die "cpio of $1 failed"
    mv -f "$2.tmp" "$2"
}

# ---- static part: busybox, kvm modules, /init --------------------------------
STATIC="$L1DIR/static.cpio"
if stale "$STATIC" "$HERE/l1-init" "$SELF" "$ROOT/scripts/moddeps.sh" "$KDIR/version" "$BUSYBOX"; then
    s="$L1DIR/static.stage"
    rm -rf "$s"
    mkdir -p "$s"/{bin,dev,proc,sys,tmp,run,root,etc,usr/bin,usr/share,lib/x86_64-linux-gnu,lib64,"lib/modules/$KVER"}
    ln -s bin "$s/sbin"
    ln -s ../bin "$s/usr/sbin"
    ln -s ../lib "$s/usr/lib"   # /usr/bin stays a real dir: QEMU finds /usr/bin/../share/qemu
    cp "$BUSYBOX" "$s/bin/busybox"
    "$BUSYBOX" --list | while read -r a; do [ "$a" = busybox ] || ln -sf busybox "$s/bin/$a"; done
    order=$(bash "$ROOT/scripts/moddeps.sh" "$KDIR/modules" irqbypass kvm kvm_amd tun vhost_net) || die "kvm module dependencies"
    while read -r m; do
        mkdir -p "$s/lib/modules/$KVER/$(dirname "$m")"
        cp "$KDIR/modules/$m" "$s/lib/modules/$KVER/$m"
    done <<<"$order"
    printf '%s\n' "$order" >"$s/lib/modules/$KVER/load-order"
    # e2fsprogs, so that L1 can make and check the guest's ext4 disks.
    # (busybox has applets of these names: replace the links, not busybox.)
    for b in /sbin/mke2fs /sbin/e2fsck /sbin/debugfs; do
        rm -f "$s/bin/${b##*/}"
        cp -L "$b" "$s/bin/"
        ldd "$b" | awk '/=> \//{print $3} /^\t\/[^ ]+ \(/{print $1}' | while read -r lib; do
            case $lib in
                */ld-linux-x86-64.so.*) cp -L "$lib" "$s/lib64/" ;;
                *) cp -L "$lib" "$s/lib/x86_64-linux-gnu/" ;;
            esac
        done
    done
    rm -f "$s/bin/mkfs.ext4"
    ln -s mke2fs "$s/bin/mkfs.ext4"
    install -m 0755 "$HERE/l1-init" "$s/init"
    echo "root:x:0:0:root:/root:/bin/sh" >"$s/etc/passwd"
    echo "root:x:0:" >"$s/etc/group"
    mknod -m 600 "$s/dev/console" c 5 1 || die "mknod failed (l1.sh must run as root)"
    mknod -m 666 "$s/dev/null" c 1 3
    mkcpio "$s" "$STATIC"
    rm -rf "$s"
fi

# ---- QEMU part: the host's qemu-system-x86_64, libraries, firmware -----------
QPART="$L1DIR/qemu.cpio"
if [ $WITH_QEMU = 1 ] && stale "$QPART" "$QEMU_BIN" "$SELF"; then
    s="$L1DIR/qemu.stage"
    rm -rf "$s"
    mkdir -p "$s/usr/bin" "$s/usr/share/qemu" "$s/lib/x86_64-linux-gnu/qemu" "$s/lib64"
    cp -L "$QEMU_BIN" "$s/usr/bin/"
    # Shared libraries, stored under /lib/x86_64-linux-gnu (and the loader in
    # /lib64) whatever the host path (/usr/lib vs /lib).
    ldd "$QEMU_BIN" | awk '/=> \//{print $3} /^\t\/[^ ]+ \(/{print $1}' | while read -r lib; do
        case $lib in
            */ld-linux-x86-64.so.*) cp -L "$lib" "$s/lib64/" ;;
            *) cp -L "$lib" "$s/lib/x86_64-linux-gnu/" ;;
        esac
    done
    [ -e "$s/lib64/ld-linux-x86-64.so.2" ] || die "ldd found no ld-linux-x86-64.so.2 for $QEMU_BIN"
    # Firmware and option ROMs that -M microvm loads (found with strace: the
    # BIOS bios-microvm.bin, a link to qboot.rom, and linuxboot_dma.bin for
    # -kernel); the rest are small and keep other machine types working.
    # (QEMU also looks in /usr/share/seabios, where Debian may keep
    # bios-256k.bin, the BIOS of -M q35 that bench/virtio.sh's qemu-best
    # boots: the first one found goes to L1's /usr/share/qemu.)
    for f in bios-microvm.bin qboot.rom linuxboot_dma.bin linuxboot.bin pvh.bin kvmvapic.bin bios-256k.bin; do
        for d in /usr/share/qemu /usr/share/seabios; do
            if [ -e "$d/$f" ]; then cp -L "$d/$f" "$s/usr/share/qemu/"; break; fi
        done
    done
    [ -e "$s/usr/share/qemu/bios-microvm.bin" ] || die "/usr/share/qemu/bios-microvm.bin missing"
    # TCG accelerator module (KVM needs none; this allows -accel tcg in L1 too).
    f=/usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so
    if [ -e "$f" ]; then
        cp -L "$f" "$s/lib/x86_64-linux-gnu/qemu/"
        ldd "$f" | awk '/=> \//{print $3}' | while read -r lib; do
            [ -e "$s/lib/x86_64-linux-gnu/${lib##*/}" ] || cp -L "$lib" "$s/lib/x86_64-linux-gnu/"
        done
    fi
    mkcpio "$s" "$QPART"
    rm -rf "$s"
fi

# ---- per-run part: warden, guest, extra files, the script --------------------
STAGE=$(mktemp -d "$L1DIR/run.XXXXXX")
mkdir -p "$STAGE/bin" "$STAGE/guest" "$STAGE/extra"
if [ -f "$WARDEN" ]; then
    install -m 0755 "$WARDEN" "$STAGE/bin/warden"
    echo "l1.sh: /bin/warden from ${WARDEN#"$ROOT"/}"
else
    echo "l1.sh: no ${WARDEN#"$ROOT"/}, L1 has no /bin/warden"
fi
cp "$ROOT/build/guest/vmlinuz" "$ROOT/build/guest/initrd.cpio.gz" "$STAGE/guest/"
# The uncompressed kernel, which warden's default guest prefers.
[ ! -s "$ROOT/build/guest/vmlinux" ] || cp "$ROOT/build/guest/vmlinux" "$STAGE/guest/"
for f in "${EXTRA[@]}"; do cp -a "$f" "$STAGE/extra/"; done
install -m 0755 "$SCRIPT" "$STAGE/l1-script"
mkcpio "$STAGE" "$STAGE.cpio"

INITRAMFS="$STAGE.initramfs"
parts=("$STATIC")
[ $WITH_QEMU = 1 ] && parts+=("$QPART")
parts+=("$STAGE.cpio")
# The kernel unpacks concatenated archives; under TCG an uncompressed one is
# unpacked faster than gunzip runs (see the L1_COMPRESS note above).
case $L1_COMPRESS in
    none) cat "${parts[@]}" >"$INITRAMFS" ;;
    gzip) cat "${parts[@]}" | gzip -1 >"$INITRAMFS" ;;
    *) die "L1_COMPRESS must be none or gzip" ;;
esac
rm -f "$STAGE.cpio"

echo "l1.sh: L1 initramfs $(( $(stat -c %s "$INITRAMFS") / 1024 / 1024 )) MiB ($L1_COMPRESS), smp $SMP, mem $MEM MiB, timeout ${TIMEOUT}s"

LOG="$L1DIR/last.log"
STATUS="$STAGE/qemu.rc"
T0=$EPOCHREALTIME
# QEMU's stderr warnings about CPUID bits TCG does not emulate are noise.
{
    rc=0
    timeout -k 10 "$TIMEOUT" "${L1_QEMU:-$QEMU_BIN}" -accel "tcg,thread=${L1_TCG_THREAD:-multi}" -cpu EPYC -smp "$SMP" -m "$MEM" \
        -pidfile "$STAGE/qemu.pid" \
        -nic none -nographic -no-reboot -kernel "$KDIR/vmlinuz" -initrd "$INITRAMFS" \
        ${L1_QEMU_ARGS:-} -append "console=ttyS0 panic=-1 quiet ${L1_APPEND:-}${L1_KVM_AMD_ARGS:+ l1_kvm_amd_args=$L1_KVM_AMD_ARGS}" </dev/null 2>&1 || rc=$?
    echo "$rc" >"$STATUS"
} | grep --line-buffered -v "TCG doesn't support requested feature" | {
    exit_line="" booted=""
    # No line for SILENCE seconds: L1 hung (every case prints within its
    # own 180 s timeout), which is stopped like a reported soft lockup.
    while true; do
        # (status taken this way: under set -e a bare failing read would
        # end this reader, not L1)
        rs=0
        IFS= read -r -t "${L1_SILENCE:-420}" line || rs=$?
        if [ $rs -gt 128 ]; then
            if [ -z "$exit_line" ] && [ ! -e "$STATUS.lockup" ]; then
                : >"$STATUS.lockup"
                printf 'l1.sh: no output from L1 for %s s: L1 is hung; stopping it\n' "${L1_SILENCE:-420}"
                kill "$(cat "$STAGE/qemu.pid" 2>/dev/null)" 2>/dev/null
            fi
            continue
        fi
        [ $rs -eq 0 ] || break
        line=${line%$'\r'}
        printf '%s\n' "$line"
        case $line in
            *"L1: up "*)
                if [ -z "$booted" ]; then
                    booted=1
                    t=$EPOCHREALTIME
                    printf 'l1.sh: L1 booted to init in %.2f s (host wall; L1 uptime %s s)\n' \
                        "$(awk -v a="$T0" -v b="$t" 'BEGIN{print b-a}')" "${line##*L1: up }"
                fi ;;
            *"L1: kvm ready "*)
                printf 'l1.sh: L1 /dev/kvm ready after %.2f s\n' \
                    "$(awk -v a="$T0" -v b="$EPOCHREALTIME" 'BEGIN{print b-a}')" ;;
            *L1-EXIT:\ *) exit_line=${line##*L1-EXIT: } ;;
            # L1's own kernel stuck (seen now and then with multi-threaded
            # TCG): nothing more will come; stop it instead of waiting for
            # the timeout, once the rest of the report (the stuck task, its
            # backtrace) had a few seconds to reach the log.
            *"watchdog: BUG: soft lockup"*)
                if [ -z "$exit_line" ] && [ ! -e "$STATUS.lockup" ]; then
                    : >"$STATUS.lockup"
                    printf 'l1.sh: L1 kernel soft lockup: stopping L1 in %s s\n' "${L1_LOCKUP_GRACE:-5}"
                    ( sleep "${L1_LOCKUP_GRACE:-5}"; kill "$(cat "$STAGE/qemu.pid" 2>/dev/null)" 2>/dev/null ) >/dev/null 2>&1 &
                fi ;;
        esac
    done
    printf '%s\n' "$exit_line" >"$STATUS.exit"
} 2>&1 | tee "$LOG"

qrc=$(cat "$STATUS" 2>/dev/null || echo 1)
exit_line=$(cat "$STATUS.exit" 2>/dev/null || true)
elapsed=$(awk -v a="$T0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.1f", b-a}')
if [ -e "$STATUS.lockup" ]; then
    echo "l1.sh: L1 stopped: soft lockup or hang in L1 (${elapsed}s)"
    exit 126
fi
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
    echo "l1.sh: TIMEOUT: L1 killed after ${TIMEOUT}s (see build/l1/last.log)"
    exit 124
fi
if ! [[ $exit_line =~ ^[0-9]+$ ]]; then
    echo "l1.sh: L1 ended without an L1-EXIT line (QEMU exit $qrc, ${elapsed}s; see build/l1/last.log)"
    exit 125
fi
echo "l1.sh: L1 finished in ${elapsed}s, script exit $exit_line"
SCRIPT_RC=$exit_line
exit "$exit_line"
