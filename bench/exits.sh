#!/usr/bin/env bash
# `warden bench exits` on each tier, with the facts of the host: what each
# kind of exit costs as the guest sees it, warden's share, and the bare
# KVM_RUN floor (docs/lab.md explains the rows and columns).
#
# Usage: bench/exits.sh   (from the repo root)
# Env:
#   TIERS="native"          native and/or emu (the emulated AMD-V host,
#                           tests/emu/l1.sh: slow, keep it small)
#   ROUNDS=5 ITERATIONS=2000      the native tier's size
#   EMU_ROUNDS=1 EMU_ITERATIONS=100  the emulated tier's size
#   ROWS=                   only these rows (comma-separated; default all)
#   EXTRA=                  more options for warden bench exits
#                           (e.g. --no-accounting)
#   ALSO_NO_ACCOUNTING=0    1: on each tier, a second run of the rows that
#                           reach warden with --no-accounting (the same
#                           size, in the same L1): how much of warden's
#                           share is its exit accounting
#   BASELINE=               another warden binary (another tree's; static
#                           for the emulated tier): every run is made by
#                           this tree's warden and by BASELINE, alternating
#                           (this tree first), in the same L1 session:
#                           before against after on one host and hour
#   PASSES=1                with BASELINE: how many such pairs per run
# The emulated tier waits for the TCG lock (bench/tcg-lock.sh).
# The emulated tier's QEMU runs niced (nice -n 10): it shares the host's
# cores.
# Output: a markdown report with each run's table, also written to
# build/bench/exits-<date>.md; the JSON files next to it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. "$ROOT/bench/facts.sh"
TIERS=${TIERS:-native}
ROUNDS=${ROUNDS:-5}
ITERATIONS=${ITERATIONS:-2000}
EMU_ROUNDS=${EMU_ROUNDS:-1}
EMU_ITERATIONS=${EMU_ITERATIONS:-100}
ROWS=${ROWS:-}
EXTRA=${EXTRA:-}
ALSO_NO_ACCOUNTING=${ALSO_NO_ACCOUNTING:-0}
BASELINE=${BASELINE:-}
PASSES=${PASSES:-1}
WARDEN_ROWS=loop,pio-warden,mmio-write-warden,mmio-read-warden,rdmsr-warden,wrmsr-warden
OUT=$ROOT/build/bench/exits
die() { echo "bench/exits.sh: error: $*" >&2; exit 1; }

for v in ROUNDS ITERATIONS EMU_ROUNDS EMU_ITERATIONS PASSES; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive number"
done
for t in $TIERS; do case $t in native|emu) ;; *) die "unknown tier '$t' in TIERS" ;; esac; done
case $ALSO_NO_ACCOUNTING in 0|1) ;; *) die "ALSO_NO_ACCOUNTING must be 0 or 1" ;; esac
if [ -n "$BASELINE" ]; then
    [ -x "$BASELINE" ] || die "BASELINE $BASELINE is not an executable"
    BASELINE=$(cd "$(dirname "$BASELINE")" && pwd)/$(basename "$BASELINE")
fi
# The binaries of each run, in the order they run: "this" (this tree's
# warden), then, with BASELINE, "base", PASSES times.
WHO=(this)
if [ -n "$BASELINE" ]; then
    WHO=()
    for ((p = 1; p <= PASSES; p++)); do WHO+=("this$p" "base$p"); done
fi
# label WHO: how a report names that binary's run.
label() {
    case $1 in
    this) echo "" ;;
    this*) echo " [this tree, pass ${1#this}]" ;;
    base*) echo " [BASELINE $BASELINE, pass ${1#base}]" ;;
    esac
}
mkdir -p "$OUT"
stamp=$(date -u +%Y%m%d-%H%M%S)
REPORT=$ROOT/build/bench/exits-$stamp.md

# The runs on each tier: the options after `warden bench exits`, but for
# the size; the main run, then the optional diagnostic.
RUNS=("${ROWS:+--rows $ROWS }$EXTRA")
[ "$ALSO_NO_ACCOUNTING" = 0 ] || RUNS+=("--rows $WARDEN_ROWS --no-accounting")

# Built first, so that the facts name the binaries that run.
for t in $TIERS; do
    case $t in
    native) make --no-print-directory all >/dev/null ;;
    emu) make --no-print-directory static >/dev/null ;;
    esac
done
{
    echo "warden bench exits, $(date -u +%F): \`TIERS=\"$TIERS\" ROUNDS=$ROUNDS ITERATIONS=$ITERATIONS EMU_ROUNDS=$EMU_ROUNDS EMU_ITERATIONS=$EMU_ITERATIONS${ROWS:+ ROWS=$ROWS}${EXTRA:+ EXTRA=\"$EXTRA\"} ALSO_NO_ACCOUNTING=$ALSO_NO_ACCOUNTING${BASELINE:+ BASELINE=$BASELINE PASSES=$PASSES} bash bench/exits.sh\`"
    echo
    bench_facts $TIERS | sed 's/^/    /'
    for t in $TIERS; do
        b=build/warden; [ "$t" = emu ] && b=build/warden-static
        [ ! -f "$b" ] || echo "    fact: $t tier's warden: $b, sha256 $(sha256sum "$b" | cut -c1-16)"
    done
    [ -z "$BASELINE" ] || echo "    fact: BASELINE $BASELINE ($(stat -c '%y' "$BASELINE" | cut -d. -f1), sha256 $(sha256sum "$BASELINE" | cut -c1-16))"
    echo "    fact: guest: warden's built-in bench guest (guest/lab/exits.c), no Linux kernel"
} >"$REPORT"

# section LABEL COMMAND STATUS TABLE-FILE: one run's part of the report.
section() {
    echo
    echo "$1: \`$2\` (status $3)"
    echo
    echo '```'
    cat "$4"
    echo '```'
}

for tier in $TIERS; do
    case $tier in
    native)
        [ -r /dev/kvm ] && [ -w /dev/kvm ] || { echo "bench/exits.sh: skipped native tier: no usable /dev/kvm" | tee -a "$REPORT" >&2; continue; }
        for k in "${!RUNS[@]}"; do
            for w in "${WHO[@]}"; do
                rc=0
                bin=build/warden
                case $w in base*) bin=$BASELINE ;; esac
                # shellcheck disable=SC2086
                "$bin" bench exits --rounds "$ROUNDS" --iterations "$ITERATIONS" ${RUNS[$k]} \
                    --json "$OUT/native-$k$w.json" >"$OUT/native-$k$w.txt" 2>&1 || rc=$?
                section "native tier$(label "$w")" "warden bench exits --rounds $ROUNDS --iterations $ITERATIONS ${RUNS[$k]}" $rc \
                    "$OUT/native-$k$w.txt" >>"$REPORT"
                cp "$OUT/native-$k$w.json" "${REPORT%.md}-native-$k$w.json" 2>/dev/null || true
            done
        done
        ;;
    emu)
        {
            bench_l1_facts_sh
            for k in "${!RUNS[@]}"; do
                for w in "${WHO[@]}"; do
                    bin=warden
                    case $w in base*) bin=/extra/$(basename "$BASELINE") ;; esac
                    echo "rc=0"
                    echo "$bin bench exits --rounds $EMU_ROUNDS --iterations $EMU_ITERATIONS ${RUNS[$k]} --json /tmp/bx.json >/tmp/bx.txt 2>&1 || rc=\$?"
                    echo "echo \"BX$k$w-STATUS \$rc\""
                    echo "echo BX$k$w-TABLE-BEGIN; cat /tmp/bx.txt; echo BX$k$w-TABLE-END"
                    echo "echo BX$k$w-JSON-BEGIN; cat /tmp/bx.json; echo BX$k$w-JSON-END"
                done
            done
        } >"$OUT/l1-script.sh"
        rc=0
        bash bench/tcg-lock.sh nice -n 10 bash tests/emu/l1.sh --timeout 2400 "$OUT/l1-script.sh" ${BASELINE:+"$BASELINE"} \
            >"$OUT/emu.log" 2>&1 || rc=$?
        [ $rc -eq 0 ] || die "L1 run failed (status $rc, log $OUT/emu.log)"
        tr -d '\r' <"$OUT/emu.log" >"$OUT/emu.clean.log"
        { echo; grep '^fact: L1' "$OUT/emu.clean.log" | sed 's/^/    /' || true; } >>"$REPORT"
        for k in "${!RUNS[@]}"; do
            for w in "${WHO[@]}"; do
                id=$k$w
                sed -n "/^BX$id-JSON-BEGIN\$/,/^BX$id-JSON-END\$/p" "$OUT/emu.clean.log" | sed '1d;$d' >"$OUT/emu-$id.json"
                sed -n "/^BX$id-TABLE-BEGIN\$/,/^BX$id-TABLE-END\$/p" "$OUT/emu.clean.log" | sed '1d;$d' >"$OUT/emu-$id.txt"
                section "emulated tier (L2 in L1)$(label "$w")" \
                    "warden bench exits --rounds $EMU_ROUNDS --iterations $EMU_ITERATIONS ${RUNS[$k]}" \
                    "$(sed -n "s/^BX$id-STATUS //p" "$OUT/emu.clean.log")" "$OUT/emu-$id.txt" >>"$REPORT"
                cp "$OUT/emu-$id.json" "${REPORT%.md}-emu-$id.json"
                jq -e .rows "$OUT/emu-$id.json" >/dev/null 2>&1 || die "no JSON from the emulated tier's run $id (log $OUT/emu.log)"
            done
        done
        ;;
    esac
done
cat "$REPORT"
echo "(report: ${REPORT#"$ROOT"/})"
