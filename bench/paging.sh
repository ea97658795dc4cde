#!/usr/bin/env bash
# `warden lab paging` in the emulated AMD-V tier with nested paging and
# with shadow paging: two L1 boots (tests/emu/l1.sh), kvm-amd loaded with
# npt=1 and then npt=0 (L1_KVM_AMD_ARGS), each running the same small
# paging run; the first also runs `warden lab tsc`.  Which paging L1's KVM
# really used is read inside L1 (/sys/module/kvm_amd/parameters/npt) and
# written into each run's JSON by warden itself (tier.mmu_source); a run
# whose L1 did not say what was asked fails the script.
#
# Usage: bench/paging.sh   (from the repo root; takes two L1 boots)
# Env:
#   SIZES=1,4 ITERATIONS=200   the paging run's size (keep it small: TCG)
#   TSC_SAMPLES=8 TSC_GAP_US=20000   the tsc run's size
#   NPTS="1 0"                 which L1 configurations
# Each L1 runs under flock /tmp/tcg.lock (one L1 at a time on this
# machine) and nice -n 10.
# Output: build/bench/paging-<date>.md (the tables and the headline: the
# share of the memory-related exits nested paging removes, measured as
# 1 - exits(npt=1) / exits(npt=0) per host backing and guest mapping, next
# to the model's and the 95% claim), build/bench/paging-<date>.json.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. "$ROOT/bench/facts.sh"
SIZES=${SIZES:-1,4}
ITERATIONS=${ITERATIONS:-200}
TSC_SAMPLES=${TSC_SAMPLES:-8}
TSC_GAP_US=${TSC_GAP_US:-20000}
NPTS=${NPTS:-1 0}
OUT=$ROOT/build/bench/paging
die() { echo "bench/paging.sh: error: $*" >&2; exit 1; }
for n in $NPTS; do case $n in 0|1) ;; *) die "NPTS: 0 or 1, not '$n'" ;; esac; done
[[ $SIZES =~ ^[0-9]+(,[0-9]+)*$ ]] || die "SIZES must be a list of MiB"
for v in ITERATIONS TSC_SAMPLES TSC_GAP_US; do [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive number"; done
mkdir -p "$OUT"
stamp=$(date -u +%Y%m%d-%H%M%S)
REPORT=$ROOT/build/bench/paging-$stamp.md
[ -f build/warden-static ] && [ build/warden-static -nt build/warden ] || make --no-print-directory static >/dev/null

{
    echo "warden lab paging, emulated tier, $(date -u +%F): \`SIZES=$SIZES ITERATIONS=$ITERATIONS NPTS=\"$NPTS\" bash bench/paging.sh\`"
    echo
    bench_facts emu | sed 's/^/    /'
    echo "    fact: guest: warden's built-in paging guest (guest/lab/paging.c), no Linux kernel"
} >"$REPORT"

for npt in $NPTS; do
    {
        bench_l1_facts_sh
        echo "echo \"NPT-ASKED $npt NPT-SAYS \$(cat /sys/module/kvm_amd/parameters/npt 2>/dev/null || echo none)\""
        # Whether L1's kernel trusts its TSC (KVM keeps a guest's TSC offset
        # steady only on a stable host TSC).
        echo "echo \"fact: L1 clocksources: \$(cat /sys/devices/system/clocksource/clocksource0/available_clocksource 2>/dev/null)\""
        echo "dmesg | grep -i -m 3 'tsc.*unstable\\|marking tsc' | sed 's/^/fact: L1 kernel log: /'"
        echo "rc=0; warden lab paging --sizes $SIZES --iterations $ITERATIONS --json /tmp/pg.json --svg /tmp/pg.svg >/tmp/pg.txt 2>&1 || rc=\$?"
        echo "echo \"PG-STATUS \$rc\"; echo PG-TABLE-BEGIN; cat /tmp/pg.txt; echo PG-TABLE-END"
        echo "echo PG-JSON-BEGIN; cat /tmp/pg.json; echo PG-JSON-END; echo PG-SVG-BEGIN; cat /tmp/pg.svg; echo PG-SVG-END"
        if [ "$npt" = "$(echo $NPTS | cut -d' ' -f1)" ]; then
            echo "rc=0; warden lab tsc --samples $TSC_SAMPLES --gap-us $TSC_GAP_US --json /tmp/ts.json --svg /tmp/ts.svg >/tmp/ts.txt 2>&1 || rc=\$?"
            echo "echo \"TS-STATUS \$rc\"; echo TS-TABLE-BEGIN; cat /tmp/ts.txt; echo TS-TABLE-END"
            echo "echo TS-JSON-BEGIN; cat /tmp/ts.json; echo TS-JSON-END; echo TS-SVG-BEGIN; cat /tmp/ts.svg; echo TS-SVG-END"
        fi
    } >"$OUT/l1-script-npt$npt.sh"
    rc=0
    L1_KVM_AMD_ARGS="npt=$npt" bash "$(dirname "${BASH_SOURCE[0]}")/tcg-lock.sh" nice -n 10 bash tests/emu/l1.sh --timeout 900 \
        "$OUT/l1-script-npt$npt.sh" >"$OUT/emu-npt$npt.log" 2>&1 || rc=$?
    [ $rc -eq 0 ] || die "L1 (npt=$npt) failed (status $rc, log $OUT/emu-npt$npt.log)"
    tr -d '\r' <"$OUT/emu-npt$npt.log" >"$OUT/emu-npt$npt.clean.log"
    says=$(sed -n "s/^NPT-ASKED $npt NPT-SAYS //p" "$OUT/emu-npt$npt.clean.log")
    case "$npt:$says" in 1:Y|1:1|0:N|0:0) ;; *) die "L1 was asked for npt=$npt and its kvm_amd says '$says'" ;; esac
    for x in PG TS; do
        [ $x = TS ] && ! grep -q '^TS-STATUS' "$OUT/emu-npt$npt.clean.log" && continue
        for part in JSON SVG TABLE; do
            sed -n "/^$x-$part-BEGIN\$/,/^$x-$part-END\$/p" "$OUT/emu-npt$npt.clean.log" | sed '1d;$d' \
                >"$OUT/$x-npt$npt.${part,,}"
        done
    done
    jq -e '.experiment == "paging"' "$OUT/PG-npt$npt.json" >/dev/null || die "no paging JSON from L1 (npt=$npt)"
    {
        echo; grep '^fact: L1' "$OUT/emu-npt$npt.clean.log" | sed 's/^/    /' || true
        echo; echo "npt=$npt (L1's kvm_amd says npt=$says): \`warden lab paging --sizes $SIZES --iterations $ITERATIONS\` (status $(sed -n 's/^PG-STATUS //p' "$OUT/emu-npt$npt.clean.log"))"
        echo; echo '```'; cat "$OUT/PG-npt$npt.table"; echo '```'
        if [ -s "$OUT/TS-npt$npt.table" ]; then
            echo; echo "\`warden lab tsc --samples $TSC_SAMPLES --gap-us $TSC_GAP_US\` (status $(sed -n 's/^TS-STATUS //p' "$OUT/emu-npt$npt.clean.log"))"
            echo; echo '```'; cat "$OUT/TS-npt$npt.table"; echo '```'
        fi
    } >>"$REPORT"
    cp "$OUT/PG-npt$npt.json" "${REPORT%.md}-npt$npt.json"
    [ -s "$OUT/TS-npt$npt.json" ] && cp "$OUT/TS-npt$npt.json" "${REPORT%.md}-tsc.json"
done

# The headline, where both configurations ran: per host backing and guest
# mapping, 1 - exits(nested) / exits(shadow), overall and by kind.
if [ -s "$OUT/PG-npt1.json" ] && [ -s "$OUT/PG-npt0.json" ] && [[ " $NPTS " == *" 1 "* && " $NPTS " == *" 0 "* ]]; then
    jq -n --slurpfile n "$OUT/PG-npt1.json" --slurpfile s "$OUT/PG-npt0.json" '
        def frac(a; b): if b > 0 then 1 - a / b else null end;
        {experiment: "paging-nested-vs-shadow", date: $n[0].date, claim_removed: 0.95,
         nested_tier: $n[0].tier, shadow_tier: $s[0].tier, sizes_bytes: $n[0].sizes_bytes, iterations: $n[0].iterations,
         runs: [range(0; $n[0].measured | length) as $i | $n[0].measured[$i] as $a | $s[0].measured[$i] as $b |
           {name: $a.name, exits_nested: $a.exits_total, exits_shadow: $b.exits_total,
            removed_measured: frac($a.exits_total; $b.exits_total),
            removed_model: $a.model_removed_by_nested,
            by_kind: ($a.by_kind | keys | map(. as $k | {key: $k, value:
              {exits_nested: $a.by_kind[$k].exits, exits_shadow: $b.by_kind[$k].exits,
               removed_measured: frac($a.by_kind[$k].exits; $b.by_kind[$k].exits),
               removed_model: $a.by_kind[$k].model_removed_by_nested}}) | from_entries)}]}' \
        >"${REPORT%.md}.json"
    {
        echo
        echo "Nested against shadow paging (the same workload; exits in all windows, KVM's count):"
        echo
        echo "| host, guest pages | exits nested | exits shadow | removed, measured | removed, model | page-table changes: nested / shadow | first touches: nested / shadow |"
        echo "|---|---|---|---|---|---|---|"
        jq -r '.runs[] | "| \(.name) | \(.exits_nested) | \(.exits_shadow) | \(if .removed_measured then (.removed_measured * 1000 | round / 10 | tostring) + "%" else "-" end) | \(if .removed_model then (.removed_model * 1000 | round / 10 | tostring) + "%" else "-" end) | \(.by_kind.page_table_changes.exits_nested) / \(.by_kind.page_table_changes.exits_shadow) | \(.by_kind.first_touch.exits_nested) / \(.by_kind.first_touch.exits_shadow) |"' "${REPORT%.md}.json"
        echo
        echo "Claim: nested paging removes 95% of the memory-related exits."
    } >>"$REPORT"
fi
cat "$REPORT"
echo "(report: ${REPORT#"$ROOT"/})"
