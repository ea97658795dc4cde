#!/usr/bin/env bash
# Where a restored guest's time goes between its vCPUs' start and its
# first lines, in the emulated AMD-V tier (a diagnostic for
# docs/benchmarks.md's "Snapshot and restore"; bench/snapshot.sh times the
# whole).  One L1: the default guest (its counter prints "tick N" every
# 20 ms) is booted, snapshotted at its 20th tick, then restored RUNS times
# lazily and RUNS times with its working set, alternating, each with L1's
# kvm:kvm_entry, kvm_exit and kvm_pio events traced.  Each restore is cut
# into windows: the set-up (warden's start, a trace marker, to the first
# VM entry), then up to each of the first LINES lines (the UART write of
# its newline, port 0x3f8), then line LINES to line 30.  Per window: its
# length, the time inside the guest (entry to exit), and per exit reason
# the count and the time out of the guest (exit to the next entry, in KVM
# or in warden); a HLT's time is the guest idle.  Then RUNS times the
# same guest booted, snapshotted at its 20th tick and resumed in its own
# process (--snapshot-then resume), cut the same way from the end of the
# pause: a restore's windows against a guest whose memory did not move.
# Tracing costs each event some microseconds in L1: compare windows, not
# absolute times.
#
# Usage: bash bench/restore-trace.sh   (from the repo root; make static
#        guest first; takes /tmp/tcg.lock through bench/tcg-lock.sh)
# Env: MEM=256 (MiB), RUNS=3, LINES=3, WARDEN (default build/warden-static).
# Output: the L1 log's lines on stdout, the whole log in
# build/bench/restore-trace/emu.log.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. "$ROOT/bench/facts.sh"
. "$ROOT/bench/snapshot_l1.sh"
MEM=${MEM:-256}
RUNS=${RUNS:-3}
LINES=${LINES:-3}
WARDEN=${WARDEN:-$ROOT/build/warden-static}
OUT=$ROOT/build/bench/restore-trace
[ -x "$WARDEN" ] && [ -s build/guest/vmlinux ] || { echo "bench/restore-trace.sh: make static guest first" >&2; exit 1; }
for v in "$MEM" "$RUNS" "$LINES"; do
	[[ $v =~ ^[1-9][0-9]*$ ]] || { echo "bench/restore-trace.sh: MEM, RUNS and LINES are positive numbers" >&2; exit 1; }
done
[ "$LINES" -lt 30 ] || { echo "bench/restore-trace.sh: LINES must be below 30" >&2; exit 1; }
mkdir -p "$OUT"
{
	echo '#!/bin/sh'
	bench_l1_facts_sh
	bench_snapshot_l1_sh
	echo "m=$MEM; RUNS=$RUNS; LINES=$LINES"
	cat <<'L1'
T=/sys/kernel/tracing
windows() { # MODE: the trace of one restore, or one resume, cut into windows
    awk -v lines=$LINES -v mode=$1 '
    function ts(   i) { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\.[0-9]+:$/) return substr($i, 1, length($i) - 1) + 0; return -1 }
    function close_window(name, t,   r) {
        printf "  %-14s %7.1f ms; in the guest %6.1f ms;", name, (t - wstart) * 1000, guest * 1000
        for (r in cnt) printf " %s %d (%.1f ms)", r, cnt[r], out[r] * 1000
        printf "\n"
        for (r in cnt) { delete cnt[r]; delete out[r] }
        guest = 0; wstart = t
    }
    /RESTORE_START|SNAPSHOT_SIGNAL/ { wstart = ts(); marked = 1; next }
    # restore: the windows start at the first entry; resume: at the first
    # entry after the pause (the longest stop of the vCPU, over 100 ms)
    / kvm_entry:/ { t = ts()
        if (!started && marked && (mode == "restore" || (inexit && t - texit > 0.1))) {
            started = 1; inexit = 0; close_window(mode == "restore" ? "set-up" : "paused", t) }
        if (inexit) out[why] += t - texit
        inexit = 0; tentry = t; next }
    / kvm_exit:/ { t = ts(); texit = t; inexit = 1
        if (!started) next
        guest += t - tentry
        why = $0; sub(/.*reason /, "", why); sub(/ .*/, "", why); cnt[why]++; next }
    / kvm_pio:/ && /pio_write at 0x3f8 / && / val 0xa( |$)/ { if (!started) next
        n++
        if (n <= lines) close_window("to line " n, ts())
        else if (n == 30) { close_window("lines " lines "-30", ts()); exit } }'
}
snap_cold $m
echo "COLD $m: $(grep -o 'VM set up in [0-9.]* ms' /tmp/setup); init line $(ms_between $t0 $tup) ms"
echo 40000 >$T/buffer_size_kb
for e in kvm_exit kvm_entry kvm_pio; do echo 1 >$T/events/kvm/$e/enable; done
i=0
for v in learn $(while [ $i -lt $RUNS ]; do echo lazy hot; i=$((i + 1)); done); do
    snap_hint $v
    echo 0 >$T/tracing_on; echo >$T/trace; echo 1 >$T/tracing_on
    echo RESTORE_START >$T/trace_marker
    snap_restore warden
    t1=; n=0
    while IFS= read -r line; do
        case $line in
        *"VM set up in"*) echo "$line" >/tmp/setup ;;
        "tick "*) n=$((n + 1)); [ -n "$t1" ] || t1=$EPOCHREALTIME
                  [ $n != 40 ] || kill -TERM $pid ;;
        esac
    done </tmp/fifo
    wait $pid 2>/dev/null
    echo 0 >$T/tracing_on
    [ $v != learn ] || { snap_keep_hint; continue; }
    echo "RESTORE $v $m: $(grep -o 'VM set up in [0-9.]* ms' /tmp/setup); first line $(ms_between $t0 $t1) ms (read by the shell)"
    windows restore <$T/trace
    sleep 2
done
# The same guest snapshotted and resumed in its own process (memory and
# everything else unchanged): its first lines after the pause.
i=0
while [ $i -lt $RUNS ]; do
    i=$((i + 1))
    rm -rf /tmp/snapr && mkdir -p /tmp/snapr && rm -f /tmp/fifo && mkfifo /tmp/fifo
    warden run --mem $m --cmdline "console=ttyS0 quiet panic=-1 warden.run=\"$CMD\"" \
        --snapshot-dir /tmp/snapr --snapshot-then resume </dev/null >/tmp/fifo 2>&1 &
    pid=$!
    n=-1; sent=
    while IFS= read -r line; do
        case $line in
        "tick 20"*) [ -z "$sent" ] || continue; sent=1  # the line ends in \r
                    echo 0 >$T/tracing_on; echo >$T/trace; echo 1 >$T/tracing_on
                    echo SNAPSHOT_SIGNAL >$T/trace_marker; kill -USR2 $pid ;;
        *"snapshot written"*) w=$line; n=0 ;;
        "tick "*) [ $n -lt 0 ] || n=$((n + 1)); [ $n != 40 ] || kill -TERM $pid ;;
        esac
    done </tmp/fifo
    wait $pid 2>/dev/null
    echo 0 >$T/tracing_on
    echo "RESUME $i $m: ${w#*warden: }"
    windows resume <$T/trace
done
L1
} >"$OUT/l1-script.sh"
WARDEN=$WARDEN bash "$ROOT/bench/tcg-lock.sh" nice -n 10 bash tests/emu/l1.sh --mem 4096 --timeout 900 \
	"$OUT/l1-script.sh" >"$OUT/emu.log" 2>&1 ||
	{ echo "bench/restore-trace.sh: L1 run failed (log $OUT/emu.log)" >&2; exit 1; }
bench_facts emu
tr -d '\r' <"$OUT/emu.log" | grep -E '^(fact: |COLD|RESTORE|  [a-z])'
