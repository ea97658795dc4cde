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
WARDEN_ROWS=loop,pio-warden,mmio-write-warden,mmio-read-warden,rdmsr-warden,wrmsr-warden
OUT=$ROOT/build/bench/exits
die() { echo "bench/exits.sh: error: $*" >&2; exit 1; }

for v in ROUNDS ITERATIONS EMU_ROUNDS EMU_ITERATIONS; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive number"
done
for t in $TIERS; do case $t in native|emu) ;; *) die "unknown tier '$t' in TIERS" ;; esac; done
case $ALSO_NO_ACCOUNTING in 0|1) ;; *) die "ALSO_NO_ACCOUNTING must be 0 or 1" ;; esac
mkdir -p "$OUT"
stamp=$(date -u +%Y%m%d-%H%M%S)
REPORT=$ROOT/build/bench/exits-$stamp.md

# The runs on each tier: the options after `warden bench exits`, but for
# the size; the main run, then the optional diagnostic.
RUNS=("${ROWS:+--rows $ROWS }$EXTRA")
[ "$ALSO_NO_ACCOUNTING" = 0 ] || RUNS+=("--rows $WARDEN_ROWS --no-accounting")

{
    echo "warden bench exits, $(date -u +%F): \`TIERS=\"$TIERS\" ROUNDS=$ROUNDS ITERATIONS=$ITERATIONS EMU_ROUNDS=$EMU_ROUNDS EMU_ITERATIONS=$EMU_ITERATIONS${ROWS:+ ROWS=$ROWS}${EXTRA:+ EXTRA=\"$EXTRA\"} ALSO_NO_ACCOUNTING=$ALSO_NO_ACCOUNTING bash bench/exits.sh\`"
    echo
    bench_facts $TIERS | sed 's/^/    /'
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
        make --no-print-directory all >/dev/null
        for k in "${!RUNS[@]}"; do
            rc=0
            # shellcheck disable=SC2086
            build/warden bench exits --rounds "$ROUNDS" --iterations "$ITERATIONS" ${RUNS[$k]} \
                --json "$OUT/native-$k.json" >"$OUT/native-$k.txt" 2>&1 || rc=$?
            section "native tier" "warden bench exits --rounds $ROUNDS --iterations $ITERATIONS ${RUNS[$k]}" $rc \
                "$OUT/native-$k.txt" >>"$REPORT"
            cp "$OUT/native-$k.json" "${REPORT%.md}-native-$k.json" 2>/dev/null || true
        done
        ;;
    emu)
        [ -f build/warden-static ] && [ build/warden-static -nt build/warden ] || make --no-print-directory static >/dev/null
        {
            bench_l1_facts_sh
            for k in "${!RUNS[@]}"; do
                echo "rc=0"
                echo "warden bench exits --rounds $EMU_ROUNDS --iterations $EMU_ITERATIONS ${RUNS[$k]} --json /tmp/bx.json >/tmp/bx.txt 2>&1 || rc=\$?"
                echo "echo \"BX$k-STATUS \$rc\""
                echo "echo BX$k-TABLE-BEGIN; cat /tmp/bx.txt; echo BX$k-TABLE-END"
                echo "echo BX$k-JSON-BEGIN; cat /tmp/bx.json; echo BX$k-JSON-END"
            done
        } >"$OUT/l1-script.sh"
        rc=0
        nice -n 10 bash tests/emu/l1.sh --timeout 2400 "$OUT/l1-script.sh" >"$OUT/emu.log" 2>&1 || rc=$?
        [ $rc -eq 0 ] || die "L1 run failed (status $rc, log $OUT/emu.log)"
        tr -d '\r' <"$OUT/emu.log" >"$OUT/emu.clean.log"
        { echo; grep '^fact: L1' "$OUT/emu.clean.log" | sed 's/^/    /' || true; } >>"$REPORT"
        for k in "${!RUNS[@]}"; do
            sed -n "/^BX$k-JSON-BEGIN\$/,/^BX$k-JSON-END\$/p" "$OUT/emu.clean.log" | sed '1d;$d' >"$OUT/emu-$k.json"
            sed -n "/^BX$k-TABLE-BEGIN\$/,/^BX$k-TABLE-END\$/p" "$OUT/emu.clean.log" | sed '1d;$d' >"$OUT/emu-$k.txt"
            section "emulated tier (L2 in L1)" \
                "warden bench exits --rounds $EMU_ROUNDS --iterations $EMU_ITERATIONS ${RUNS[$k]}" \
                "$(sed -n "s/^BX$k-STATUS //p" "$OUT/emu.clean.log")" "$OUT/emu-$k.txt" >>"$REPORT"
            cp "$OUT/emu-$k.json" "${REPORT%.md}-emu-$k.json"
            jq -e .rows "$OUT/emu-$k.json" >/dev/null 2>&1 || die "no JSON from the emulated tier's run $k (log $OUT/emu.log)"
        done
        ;;
    esac
done
cat "$REPORT"
echo "(report: ${REPORT#"$ROOT"/})"
