#!/usr/bin/env bash
# What one VM exit touches in warden's user space: instructions and distinct
# 4 KiB pages of code and data per exit, traced with valgrind's lackey on
# the native tier (repeatable: no timing).  In the emulated tier this is
# what an exit costs warden: L1's world switches empty QEMU's software TLB,
# so each page an exit touches is a page walk done in software (util/hot.h,
# docs/benchmarks.md "The exit path in pages").
#
# Usage: bench/exit-pages.sh [WARDEN...]   (from the repo root)
#   each WARDEN a static binary (default build/warden-static)
# Env: EXITS=300 (exits per case), LIST=0 (1: the pages of one exit, with
#      the functions that touched them)
# Cases (guest bench/guests/pio_loop.S under `warden run --mem 16
# --seccomp off`: valgrind's own system calls are not on the vCPU thread's
# allowlist):
#   unclaimed-in   inl from port 0x1234, which no device claims (as
#                  kvm-unit-tests' vmexit inl_from_qemu)
#   unclaimed-out  outb to port 0x530, nobody's (bench/overhead.sh's loop)
#   claimed-out    outb to port 0x3ff, the UART's scratch register
#   lab-pio-warden `warden bench exits --rounds 1 --rows pio-warden`: the
#                  row of bench/exits.sh (its port device and warden's
#                  accounting, whose samples the lab reads every 32 exits)
#   lab-rdmsr-warden the same with an RDMSR an MSR filter sends to warden
# Besides instructions and pages: "lookups", the transfers of control that
# leave a basic block for a computed target (ret, indirect call or jump)
# or for another page: each is a jump-target lookup in QEMU's TCG, whose
# jump cache every CR3 load (so every world switch of L1) empties.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
EXITS=${EXITS:-300}
LIST=${LIST:-0}
OUT=$ROOT/build/bench/exit-pages
die() { echo "bench/exit-pages.sh: error: $*" >&2; exit 1; }
[[ $EXITS =~ ^[1-9][0-9]*$ ]] && [ "$EXITS" -ge 100 ] || die "EXITS must be a number >= 100"
command -v valgrind >/dev/null || die "valgrind is not installed (apt-get install valgrind)"
[ -r /dev/kvm ] && [ -w /dev/kvm ] || { echo "bench/exit-pages.sh: skipped: no usable /dev/kvm"; exit 0; }
[ $# -gt 0 ] || { make --no-print-directory static >/dev/null; set -- build/warden-static; }
mkdir -p "$OUT"
LISTOPT=()
[ "$LIST" = 1 ] && LISTOPT=(--list)

declare -A FLAGS=([unclaimed-in]="-DPORT=0x1234 -DREAD" [unclaimed-out]="-DPORT=0x530" [claimed-out]="-DPORT=0x3ff")
for c in unclaimed-in unclaimed-out claimed-out; do
    # shellcheck disable=SC2086
    gcc -DN="$EXITS" ${FLAGS[$c]} -c -o "$OUT/$c.o" bench/guests/pio_loop.S
    ld -m elf_x86_64 -static -nostdlib -Ttext=0x100000 -e _start -o "$OUT/$c.elf" "$OUT/$c.o"
done

# loop_func BINARY: the function of the exit loop: vcpu_loop (its own
# function since its stack was moved under a page's top), vcpu_thread
# in older binaries.
loop_func() {
    if nm "$1" | grep -w vcpu_loop >/dev/null; then echo vcpu_loop; else echo vcpu_thread; fi
}

# marker BINARY: the address of the instruction after KVM_RUN's syscall:
# in the run loop (its own system call), else in libc's ioctl().
marker() {
    local m
    m=$(objdump -d --no-show-raw-insn "$1" | awk "/<$(loop_func "$1")>:/,/^\$/" | grep -A1 -w syscall | sed -n 2p | awk '{print $1}' | tr -d :)
    [ -n "$m" ] || m=$(objdump -d --no-show-raw-insn "$1" | awk '/<(__)?ioctl>:/,/^$/' | grep -A1 -w syscall | sed -n 2p | awk '{print $1}' | tr -d :)
    echo "$m"
}

echo "bench/exit-pages.sh, $(date -u +%FT%TZ), tree $(git describe --always --dirty 2>/dev/null || echo '?'), EXITS=$EXITS, valgrind $(valgrind --version)"
for w in "$@"; do
    file "$w" | grep -q 'statically linked' || die "$w is not a static binary"
    m=$(marker "$w")
    [ -n "$m" ] || die "$w: no KVM_RUN system call found"
    echo "== $w (sha256 $(sha256sum "$w" | cut -c1-16), marker 0x$m)"
    for c in unclaimed-in unclaimed-out claimed-out lab-pio-warden lab-rdmsr-warden; do
        printf '%-16s ' "$c"
        if [[ $c == lab-* ]]; then
            args=(bench exits --rounds 1 --iterations "$EXITS" --rows "${c#lab-}")
        else
            args=(run --mem 16 --kernel "$OUT/$c.elf" --seccomp off)
        fi
        # --only the loop: where the marker is libc's ioctl(), the
        # stretches of the run loop, not the set-up's or the floor's.
        valgrind --tool=lackey --trace-mem=yes --log-file=/dev/stdout "$w" "${args[@]}" 2>/dev/null |
            python3 bench/exit_pages.py "$m" "$w" --only "$(loop_func "$w")" "${LISTOPT[@]}"
    done
done
