#!/usr/bin/env bash
# `warden lab idle`'s Linux part (docs/lab.md, "warden lab idle"): the
# default guest (Debian's cloud kernel) left idle, in the emulated tier only
# (tests/emu/l1.sh: the native tier's kvm_pvm cannot boot Linux), with
#   default    warden run as it is
#   realtime   --kvm-hint-realtime: KVM_HINTS_REALTIME in CPUID 0x40000001
#              EDX, so the guest's haltpoll cpuidle driver (built in:
#              CONFIG_HALTPOLL_CPUIDLE=y) loads and the guest polls itself
#   poll-off   --halt-poll-ns 0: KVM never polls a halted vCPU
# For each: the guest's cpuidle driver, then a window of idle (WINDOW s,
# started 1 s after the guest's "up" line, while it runs `sleep`): exits per
# second that reached warden by reason and KVM's counters per second (the
# --stats-trace intervals written inside the window), and the vCPU
# thread's host CPU time per second (/proc/PID/task/TID/stat, utime +
# stime, in L1's USER_HZ ticks of 10 ms).  Then `warden lab idle` with the
# built-in guest at a small size, in the same L1.
#
# Usage: flock /tmp/tcg.lock nice -n 10 bash bench/idle.sh   (from the repo root)
# Env: WINDOW=5 (seconds of idle measured), LAB_ITERATIONS=200 (the lab's
#      idles per mode), WARDEN=path (default build/warden-static),
#      IDLE_LOG=path (no L1 run: the report again from that earlier log).
# KVM's interval counters leave zeros out (--stats-trace): a counter absent
# from every line of the window is reported as 0.
# Output: a markdown report in build/bench/idle-<date>.md, the L1 log next
# to it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. "$ROOT/bench/facts.sh"
WINDOW=${WINDOW:-5}
LAB_ITERATIONS=${LAB_ITERATIONS:-200}
export WARDEN=${WARDEN:-$ROOT/build/warden-static}
OUT=$ROOT/build/bench
die() { echo "bench/idle.sh: error: $*" >&2; exit 1; }
[[ $WINDOW =~ ^[1-9][0-9]?$ && $LAB_ITERATIONS =~ ^[1-9][0-9]*$ ]] || die "WINDOW (1-99) and LAB_ITERATIONS must be numbers"
[ -f "$WARDEN" ] || die "$WARDEN missing (make static)"
[ -s build/guest/vmlinux ] || die "build/guest/vmlinux missing (make guest)"
mkdir -p "$OUT"
stamp=$(date -u +%Y%m%d-%H%M%S)
SCRIPT=$OUT/l1-idle.sh LOG=$OUT/idle-$stamp.log REPORT=$OUT/idle-$stamp.md

{
    echo "WINDOW=$WINDOW LAB_ITERATIONS=$LAB_ITERATIONS"
    bench_l1_facts_sh
    cat <<'EOF2'
echo "fact: L1 kvm halt_poll_ns $(cat /sys/module/kvm/parameters/halt_poll_ns 2>/dev/null || echo '?')"
ticks() { # PID: utime + stime of its vcpu0 thread
	for t in /proc/$1/task/*; do
		[ "$(cat $t/comm 2>/dev/null)" = vcpu0 ] && { awk '{print $14 + $15}' $t/stat; return; }
	done
	echo -1
}
for cfg in default realtime poll-off; do
	case $cfg in default) opt= ;; realtime) opt=--kvm-hint-realtime ;; poll-off) opt="--halt-poll-ns 0" ;; esac
	rm -f /tmp/o.txt /tmp/t.jsonl
	/bin/warden run --mem 256 --kernel /guest/vmlinux --initrd /guest/initrd.cpio.gz $opt \
		--cmdline "console=ttyS0 quiet panic=-1 pci=off 8250.nr_uarts=1 warden.run=\"cat /sys/devices/system/cpu/cpuidle/current_driver; sleep $((WINDOW + 3))\"" \
		--stats-trace /tmp/t.jsonl >/tmp/o.txt 2>/tmp/e.txt </dev/null &
	pid=$!
	i=0
	while ! grep -q 'warden-guest: up' /tmp/o.txt 2>/dev/null && [ $i -lt 600 ]; do sleep 0.2; i=$((i + 1)); done
	sleep 1
	n0=$(wc -l </tmp/t.jsonl); c0=$(ticks $pid); read u0 _ </proc/uptime
	sleep $WINDOW
	n1=$(wc -l </tmp/t.jsonl); c1=$(ticks $pid); read u1 _ </proc/uptime
	wait $pid; rc=$?
	echo "IDLE $cfg status $rc ticks $c0 $c1 uptime $u0 $u1 lines $n0 $n1"
	echo "IDLE-$cfg-OUT-BEGIN"; cat /tmp/o.txt; echo "IDLE-$cfg-OUT-END"
	echo "IDLE-$cfg-TRACE-BEGIN"; sed -n "$((n0 + 1)),${n1}p" /tmp/t.jsonl; echo "IDLE-$cfg-TRACE-END"
done
rc=0
/bin/warden lab idle --iterations $LAB_ITERATIONS --json /tmp/li.json >/tmp/li.txt 2>&1 || rc=$?
echo "LAB-STATUS $rc"
echo LAB-TABLE-BEGIN; cat /tmp/li.txt; echo LAB-TABLE-END
echo LAB-JSON-BEGIN; cat /tmp/li.json; echo LAB-JSON-END
EOF2
} >"$SCRIPT"
rc=0
if [ -n "${IDLE_LOG:-}" ]; then
    LOG=$IDLE_LOG
else
    bash tests/emu/l1.sh --timeout 1200 "$SCRIPT" >"$LOG" 2>&1 || rc=$?
fi
[ $rc -eq 0 ] || die "L1 run failed (status $rc, log $LOG)"
tr -d '\r' <"$LOG" >"$LOG.clean"
block() { sed -n "/^$1-BEGIN\$/,/^$1-END\$/p" "$LOG.clean" | sed '1d;$d'; }

{
    echo "bench/idle.sh, $(date -u +%F): \`WINDOW=$WINDOW LAB_ITERATIONS=$LAB_ITERATIONS bash bench/idle.sh\`"
    echo
    bench_facts emu | sed 's/^/    /'
    grep '^fact: L1' "$LOG.clean" | sed 's/^/    /' || true
    echo "    fact: guest: the default guest, $(bench_guest_kernel), 1 vCPU, 256 MiB, idle in \`sleep\`"
    echo
    echo "| config | cpuidle driver | window s | exits to warden /s (by reason) | KVM exits /s | halt_exits /s | halt_successful_poll /s | halt_wakeup /s | host CPU ms/s |"
    echo "|---|---|---|---|---|---|---|---|---|"
    for cfg in default realtime poll-off; do
        line=$(grep "^IDLE $cfg status" "$LOG.clean") || die "no result for $cfg (log $LOG)"
        read -r _ _ _ st _ c0 c1 _ u0 u1 _ _ _ <<<"$line"
        [ "$st" = 0 ] || echo "bench/idle.sh: warning: $cfg ended with status $st" >&2
        drv=$(block "IDLE-$cfg-OUT" | grep -m1 -E '^(haltpoll|acpi_idle|intel_idle|none)' || echo '?')
        block "IDLE-$cfg-TRACE" | jq -rs --arg cfg "$cfg" --arg drv "$drv" --argjson c0 "$c0" --argjson c1 "$c1" \
            --argjson u0 "$u0" --argjson u1 "$u1" '
            (map(.dt_s) | add) as $dt
            | (reduce .[] as $l ({}; reduce ($l.warden | to_entries[]) as $e (.; .[$e.key] += $e.value))) as $w
            | (reduce .[] as $l ({}; reduce (($l.kvm // {}) | to_entries[]) as $e (.; .[$e.key] += $e.value))) as $k
            | def r(x): (x // 0) / $dt * 10 | round / 10 | tostring;
            "| \($cfg) | \($drv) | \($dt * 100 | round / 100) | \(($w | to_entries | map(select(.value > 0)) | map("\(.key) \(r(.value))") | join(", ")) as $s | if $s == "" then "0" else $s end) | \(r($k.exits)) | \(r($k.halt_exits)) | \(r($k.halt_successful_poll)) | \(r($k.halt_wakeup)) | \(($c1 - $c0) * 10 / ($u1 - $u0) | round) |"'
    done
    echo
    echo "\`warden lab idle --iterations $LAB_ITERATIONS\` in the same L1 (status $(sed -n 's/^LAB-STATUS //p' "$LOG.clean")):"
    echo
    echo '```'
    block LAB-TABLE
    echo '```'
} >"$REPORT"
block LAB-JSON >"${REPORT%.md}-lab.json"
cat "$REPORT"
echo "(report: ${REPORT#"$ROOT"/})"
