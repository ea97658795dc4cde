#!/usr/bin/env bash
# Which MSRs a booting Linux guest writes and reads, and how often (issue
# 12, section 5, `warden lab msr-filter`), and what sending each to warden
# would cost at the per-write cost `warden lab msr-filter` measures in the
# same tier. Emulated AMD-V tier only: the native tier (kvm_pvm) cannot boot
# a stock Linux kernel (docs/lab.md), so this script does not run there.
#
# How: inside one L1 (tests/emu/l1.sh), a hist trigger on kvm:kvm_msr keyed
# by MSR and direction (as bench/exitsources.sh counts them), read before
# warden starts the default guest (build/guest/vmlinux + initrd), at the
# guest's init line ("warden-guest: up": the boot) and at its end; then
# `warden lab msr-filter` at a small size in the same L1 for the cost of an
# intercepted write. kvm:kvm_msr fires for the accesses KVM intercepts: an
# MSR the CPU lets the guest touch without an exit (on SVM: FS/GS_BASE,
# KERNEL_GS_BASE, the SYSCALL MSRs, ...) is not counted.
#
# Usage: bench/msr-census.sh     (from the repo root)
# Env:
#   CMDLINE=...       guest kernel command line (default as bench/exitsources.sh)
#   BOOT_TIMEOUT=120  seconds before the boot is killed inside L1
#   ITERATIONS=200    msr-filter's writes per run in L1
#   WARDEN=path       static warden for L1 (default build/warden-static)
# The L1 run waits for other users of the machine's TCG (flock
# /tmp/tcg.lock) and runs niced.
# Output: a markdown report, also written to build/bench/msr-census-<date>.md
# (the L1 log next to it).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/bench/facts.sh"
OUT="$ROOT/build/bench"
CMDLINE=${CMDLINE:-console=ttyS0 quiet panic=-1 pci=off 8250.nr_uarts=1}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-120}
ITERATIONS=${ITERATIONS:-200}
export WARDEN=${WARDEN:-$ROOT/build/warden-static}
die() { echo "bench/msr-census.sh: error: $*" >&2; exit 1; }

[[ $BOOT_TIMEOUT =~ ^[1-9][0-9]*$ && $ITERATIONS =~ ^[1-9][0-9]*$ ]] || die "BOOT_TIMEOUT and ITERATIONS must be numbers"
case $CMDLINE in *'"'*|*"'"*) die "CMDLINE must not contain quotes" ;; esac
[ -f "$WARDEN" ] || die "$WARDEN missing (make static)"
[ -s "$ROOT/build/guest/vmlinux" ] || die "build/guest/vmlinux missing (make guest)"

mkdir -p "$OUT"
stamp=$(date +%Y%m%d-%H%M%S)
SCRIPT="$OUT/l1-msr-census.sh"
LOG="$OUT/msr-census-$stamp.log"
REPORT="$OUT/msr-census-$stamp.md"

{
    cat <<EOF
CMDLINE='$CMDLINE'
BOOT_TIMEOUT=$BOOT_TIMEOUT
ITERATIONS=$ITERATIONS
EOF
    bench_l1_facts_sh
    cat <<'EOF'
echo 1 >/proc/sys/kernel/printk
EV=/sys/kernel/debug/tracing/events/kvm
echo 'hist:keys=ecx.hex,write:vals=hitcount:size=4096' >>$EV/kvm_msr/trigger ||
	{ echo "MSRC-ERROR: cannot set a hist trigger on kvm_msr"; exit 1; }
# snap FILE: "<msr> <write> <count>" per histogram entry.
snap() {
	awk '/^[{]/ { c = $0; sub(/.*hitcount: */, "", c); sub(/ .*/, "", c)
		m = $0; sub(/.*ecx: */, "", m); sub(/[, ].*/, "", m)
		w = $0; sub(/.*write: */, "", w); sub(/[ }].*/, "", w)
		print m, w, c }' $EV/kvm_msr/hist >"$1"
}
delta() { # PHASE FROM TO
	awk -v p="MSRC $1" 'FILENAME == ARGV[1] { a[$1 " " $2] = $3; next }
		{ d = $3 - a[$1 " " $2]; if (d > 0) print p, $1, $2, d }' "$2" "$3"
}
rm -f /tmp/up /tmp/fifo /tmp/snap.*
mkfifo /tmp/fifo
snap /tmp/snap.start
setsid warden run --kernel /guest/vmlinux --initrd /guest/initrd.cpio.gz \
	--cmdline "$CMDLINE" --mem 256 --cpus 1 </dev/null >/tmp/fifo 2>&1 &
pid=$!
setsid sh -c "sleep $BOOT_TIMEOUT; echo '  guest| bench: killed after ${BOOT_TIMEOUT}s'; kill -KILL -$pid $pid" </dev/null 2>/dev/null &
wd=$!
while IFS= read -r line; do
	case $line in
	*"warden-guest: up "*) [ -e /tmp/up ] || { : >/tmp/up; snap /tmp/snap.up; } ;;
	esac
	echo "  guest| $line"
done </tmp/fifo
wait $pid
rc=$?
snap /tmp/snap.end
kill -KILL -$wd $wd 2>/dev/null
wait $wd 2>/dev/null
up=0
if [ -e /tmp/up ]; then
	delta boot /tmp/snap.start /tmp/snap.up
	delta after /tmp/snap.up /tmp/snap.end
	up=1
fi
echo "MSRC-BOOT rc=$rc up=$up"
warden lab msr-filter --iterations $ITERATIONS --json /tmp/msr.json
echo "MSRC-LAB rc=$?"
[ -s /tmp/msr.json ] && echo "MSRC-JSON $(tr -d '\n' </tmp/msr.json)"
exit 0
EOF
} >"$SCRIPT"

echo "bench/msr-census.sh: one boot of the default guest in L1, cmdline '$CMDLINE'; log $LOG"
set +e
bash "$(dirname "${BASH_SOURCE[0]}")/tcg-lock.sh" nice -n 10 bash "$ROOT/tests/emu/l1.sh" --timeout $((BOOT_TIMEOUT + ITERATIONS + 900)) \
    "$SCRIPT" >"$LOG" 2>&1
l1rc=$?
set -e
[ "$l1rc" = 0 ] || die "L1 run failed (tests/emu/l1.sh exit $l1rc), see $LOG"
tr -d '\r' <"$LOG" | grep -q '^MSRC-BOOT rc=[0-9]* up=1' || die "the guest did not reach its init line, see $LOG"

{
    echo "### MSR accesses of one Linux boot ($(date -u +%Y-%m-%dT%H:%MZ), emulated AMD-V tier, guest kernel $(bench_guest_kernel), L2 256 MiB / 1 vCPU)"
    echo
    echo "Command: \`CMDLINE=\"$CMDLINE\" ITERATIONS=$ITERATIONS bash bench/msr-census.sh\`"
    echo
    bench_facts emu | sed 's/^/    /'
    tr -d '\r' <"$LOG" | grep -E '^(fact: L1|MSRC-BOOT |MSRC-LAB )' | sed 's/^/    /' || true
    echo
    python3 "$ROOT/bench/msr_census_report.py" "$LOG"
} >"$REPORT"
cat "$REPORT"
echo "bench/msr-census.sh: report written to ${REPORT#"$ROOT"/}"
