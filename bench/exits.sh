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
# The emulated tier's QEMU runs niced (nice -n 10): it shares the host's
# cores.
# Output: a markdown report with each tier's table, also written to
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
OUT=$ROOT/build/bench/exits
die() { echo "bench/exits.sh: error: $*" >&2; exit 1; }

for v in ROUNDS ITERATIONS EMU_ROUNDS EMU_ITERATIONS; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive number"
done
for t in $TIERS; do case $t in native|emu) ;; *) die "unknown tier '$t' in TIERS" ;; esac; done
mkdir -p "$OUT"
stamp=$(date -u +%Y%m%d-%H%M%S)
REPORT=$ROOT/build/bench/exits-$stamp.md
rows_opt=()
[ -z "$ROWS" ] || rows_opt=(--rows "$ROWS")

{
    echo "warden bench exits, $(date -u +%F): \`TIERS=\"$TIERS\" ROUNDS=$ROUNDS ITERATIONS=$ITERATIONS EMU_ROUNDS=$EMU_ROUNDS EMU_ITERATIONS=$EMU_ITERATIONS${ROWS:+ ROWS=$ROWS}${EXTRA:+ EXTRA=\"$EXTRA\"} bash bench/exits.sh\`"
    echo
    bench_facts $TIERS | sed 's/^/    /'
    echo "    fact: guest: warden's built-in bench guest (guest/lab/exits.c), no Linux kernel"
} >"$REPORT"

for tier in $TIERS; do
    case $tier in
    native)
        [ -r /dev/kvm ] && [ -w /dev/kvm ] || { echo "bench/exits.sh: skipped native tier: no usable /dev/kvm" | tee -a "$REPORT" >&2; continue; }
        make --no-print-directory all >/dev/null
        rc=0
        # shellcheck disable=SC2086
        build/warden bench exits --rounds "$ROUNDS" --iterations "$ITERATIONS" "${rows_opt[@]}" $EXTRA \
            --json "$OUT/native.json" >"$OUT/native.txt" 2>"$OUT/native.err" || rc=$?
        {
            echo
            echo "native tier: \`warden bench exits --rounds $ROUNDS --iterations $ITERATIONS${ROWS:+ --rows $ROWS}${EXTRA:+ $EXTRA}\` (status $rc)"
            echo
            echo '```'
            cat "$OUT/native.txt" "$OUT/native.err"
            echo '```'
        } >>"$REPORT"
        cp "$OUT/native.json" "${REPORT%.md}-native.json" 2>/dev/null || true
        ;;
    emu)
        [ -f build/warden-static ] && [ build/warden-static -nt build/warden ] || make --no-print-directory static >/dev/null
        {
            bench_l1_facts_sh
            cat <<EOF
rc=0
warden bench exits --rounds $EMU_ROUNDS --iterations $EMU_ITERATIONS ${ROWS:+--rows $ROWS} $EXTRA --json /tmp/bx.json >/tmp/bx.txt 2>&1 || rc=\$?
echo "BX-STATUS \$rc"
echo BX-TABLE-BEGIN
cat /tmp/bx.txt
echo BX-TABLE-END
echo BX-JSON-BEGIN
cat /tmp/bx.json
echo BX-JSON-END
EOF
        } >"$OUT/l1-script.sh"
        rc=0
        nice -n 10 bash tests/emu/l1.sh --timeout 2400 "$OUT/l1-script.sh" >"$OUT/emu.log" 2>&1 || rc=$?
        [ $rc -eq 0 ] || die "L1 run failed (status $rc, log $OUT/emu.log)"
        tr -d '\r' <"$OUT/emu.log" | sed -n '/^BX-JSON-BEGIN$/,/^BX-JSON-END$/p' | sed '1d;$d' >"$OUT/emu.json"
        {
            echo
            tr -d '\r' <"$OUT/emu.log" | grep '^fact: L1' | sed 's/^/    /' || true
            echo
            echo "emulated tier (L2 in L1): \`warden bench exits --rounds $EMU_ROUNDS --iterations $EMU_ITERATIONS${ROWS:+ --rows $ROWS}${EXTRA:+ $EXTRA}\` ($(tr -d '\r' <"$OUT/emu.log" | sed -n 's/^BX-STATUS //p'))"
            echo
            echo '```'
            tr -d '\r' <"$OUT/emu.log" | sed -n '/^BX-TABLE-BEGIN$/,/^BX-TABLE-END$/p' | sed '1d;$d'
            echo '```'
        } >>"$REPORT"
        cp "$OUT/emu.json" "${REPORT%.md}-emu.json"
        jq -e .rows "$OUT/emu.json" >/dev/null 2>&1 || die "no JSON from the emulated tier (log $OUT/emu.log)"
        ;;
    esac
done
cat "$REPORT"
echo "(report: ${REPORT#"$ROOT"/})"
