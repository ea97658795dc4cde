#!/usr/bin/env bash
# The batching experiment (`warden lab batching`'s claim, docs/lab.md) from a
# real Linux guest: in the emulated tier (a QEMU TCG L1 with real SVM,
# tests/emu/l1.sh), warden boots the default Debian guest with --hypercall
# and guest/linux-module's whc.ko in its initramfs; the module times, with
# the TSC, n operations as n single-request port-doorbell calls against one
# batch of n on the port and on the fast doorbell, for NOPs and for 1-byte
# console writes (/sys/kernel/debug/whc/batching).  Printed: cost per
# operation against n, the fitted t_h, t_p, t_e, the model's crossover
# n* = t_h / t_e next to the measured one (bench/batching_linux_report.py).
#
# Usage: bench/batching-linux.sh   (from the repo root)
# Env:   REPS=21                  groups per operation, way and size
#        SIZES="1 2 3 4 6 8 12 16 32 64"
# L1 runs under `flock /tmp/tcg.lock nice -n 10` (one TCG machine at a time
# on a shared host).  Output: the tables, also in
# build/bench/batching-linux-<stamp>.md, the JSON next to it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. "$ROOT/bench/facts.sh"
REPS=${REPS:-21}
SIZES=${SIZES:-1 2 3 4 6 8 12 16 32 64}
OUT=$ROOT/build/bench/batching-linux
die() { echo "bench/batching-linux.sh: error: $*" >&2; exit 1; }

[[ $REPS =~ ^[1-9][0-9]*$ ]] && [ "$REPS" -le 1001 ] || die "REPS must be a number from 1 to 1001"
for n in $SIZES; do [[ $n =~ ^[1-9][0-9]*$ ]] && [ "$n" -le 256 ] || die "SIZES: '$n' is not a batch size (1-256)"; done
mkdir -p "$OUT"
stamp=$(date -u +%Y%m%d-%H%M%S)
REPORT=$ROOT/build/bench/batching-linux-$stamp.md
command="REPS=$REPS SIZES=\"$SIZES\" bash bench/batching-linux.sh"

make --no-print-directory static guest >/dev/null || die "make static guest failed"
rc=0
bash guest/linux-module/build.sh >/dev/null || rc=$?
[ $rc -eq 0 ] || die "no hypercall module: $(cat build/guest-module/unavailable 2>/dev/null || echo "guest/linux-module/build.sh failed ($rc)")"

# In L1: the guest mounts debugfs, runs the experiment, prints the results
# between markers (console operations print dots on warden's stdout first).
{
    bench_l1_facts_sh
    cat <<EOF
export WARDEN_GUEST_DIR=/guest
warden run --hypercall --initrd /extra/initrd-whc.cpio.gz --stats /tmp/wb.json \\
  --cmdline "console=ttyS0 quiet panic=-1 pci=off 8250.nr_uarts=1 warden.run=\\"mount -t debugfs none /sys/kernel/debug; echo '$REPS $SIZES' >/sys/kernel/debug/whc/batching; echo; echo WHC-BEGIN; cat /sys/kernel/debug/whc/batching; echo WHC-END\\"" \\
  >/tmp/wb.out 2>/tmp/wb.err </dev/null
echo "WB-STATUS \$?"
cat /tmp/wb.out
echo WB-STATS-BEGIN; cat /tmp/wb.json; echo; echo WB-STATS-END
EOF
} >"$OUT/l1-script.sh"
rc=0
bash "$(dirname "${BASH_SOURCE[0]}")/tcg-lock.sh" nice -n 10 bash tests/emu/l1.sh --timeout 2400 "$OUT/l1-script.sh" \
    build/guest-module/initrd-whc.cpio.gz >"$OUT/emu.log" 2>&1 || rc=$?
[ $rc -eq 0 ] || die "L1 run failed (status $rc, log $OUT/emu.log)"
tr -d '\r' <"$OUT/emu.log" >"$OUT/emu.clean.log"
st=$(sed -n 's/^WB-STATUS //p' "$OUT/emu.clean.log")
[ "$st" = 0 ] || die "warden run in L1 ended with status '$st' (log $OUT/emu.log)"
sed -n '/^WHC-BEGIN$/,/^WHC-END$/p' "$OUT/emu.clean.log" | sed '1d;$d' >"$OUT/results.txt"
sed -n '/^WB-STATS-BEGIN$/,/^WB-STATS-END$/p' "$OUT/emu.clean.log" | sed '1d;$d' >"$OUT/stats.json"
{ bench_facts emu; grep '^fact: L1' "$OUT/emu.clean.log" || true; } >"$OUT/facts.txt"
{
    echo "Batching from a Linux guest, $(date -u +%F): \`$command\` (emulated tier)"
    echo
    sed 's/^/    /' "$OUT/facts.txt"
    echo "    fact: hypercall device in L2: $(jq -c '.device_work.hypercall | {exits, notifies, requests, bytes, errors}' "$OUT/stats.json" 2>/dev/null || echo '?')"
    echo
    python3 bench/batching_linux_report.py "$OUT/results.txt" "${REPORT%.md}.json" "$OUT/facts.txt" "$command"
} >"$REPORT"
cat "$REPORT"
rel=${REPORT#"$ROOT"/}
echo "(report: $rel, JSON: ${rel%.md}.json)"
