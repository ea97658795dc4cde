#!/usr/bin/env bash
# Where a restore's time goes, in the emulated AMD-V tier (a diagnostic
# for docs/benchmarks.md's "Snapshot and restore"; the timed table is
# bench/snapshot.sh's).  One L1: the default Linux guest is booted with
# --snapshot-dir, snapshotted at its 20th tick (it prints one every
# 20 ms), then restored once per word of VARIANTS:
#   learn  no hint; runs past 0.5 s, so it records the working set
#          (DIR/memory.hot, docs/snapshot.md), which is kept for "hot"
#   lazy   the hint removed: every page comes in on the guest's touch
#   hot    the recorded hint put back: its pages mapped before the vCPUs run
#   learn-huge, lazy-huge, hot-huge
#          the same from a second snapshot, written by a second cold boot
#          into a tmpfs mounted huge=always (its memory file in 2 MiB
#          pages, mapped whole where the guest only reads:
#          docs/snapshot.md) when a variant names it; it learns its own
#          hint
# warden's own split of its set-up (--verbose: "set-up phases", each
# phase's ms, and the wall-clock time of main's start, from which the time
# from the shell's exec of warden to main is computed: "before main") is
# printed for each.
# With WARDEN_B=PATH (another static build of warden), every variant runs
# twice in a row, with build/warden-static ("A", or WARDEN) and with
# PATH ("B"): the two builds' set-up compared in one L1 (the snapshot is
# A's; both must be the same version).
# Each restore runs with --stats (KVM's own counters: pf_taken, pages_4k,
# pages_2m, exits) and is stopped (SIGTERM, --shutdown-timeout 0) at its
# 30th line; warden's threads' page faults and CPU time (/proc/PID/task/*/
# stat: minflt, utime, stime, guest_time in clock ticks) are read at the
# vCPUs' start, at the first line and at the 30th.
#
# Usage: bash bench/restore-phases.sh   (from the repo root; make static
#        guest first; takes /tmp/tcg.lock through bench/tcg-lock.sh)
# Env: MEM=256 (MiB), VARIANTS="learn lazy hot lazy hot lazy hot" (with
#      learn-huge before any hot-huge),
#      WARDEN (build A, default build/warden-static), WARDEN_B (build B).
# Output: the L1 log's lines on stdout, the whole log in
# build/bench/restore-phases/emu.log.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. "$ROOT/bench/facts.sh"
. "$ROOT/bench/snapshot_l1.sh"
MEM=${MEM:-256}
VARIANTS=${VARIANTS:-learn lazy hot lazy hot lazy hot}
WARDEN_A=${WARDEN:-$ROOT/build/warden-static}
EXTRA=()
BUILDS=A
if [ -n "${WARDEN_B:-}" ]; then
	[ -x "$WARDEN_B" ] || { echo "bench/restore-phases.sh: WARDEN_B=$WARDEN_B is not a program" >&2; exit 1; }
	mkdir -p "$ROOT/build/bench/restore-phases/b" && cp "$WARDEN_B" "$ROOT/build/bench/restore-phases/b/warden"
	EXTRA=("$ROOT/build/bench/restore-phases/b")
	BUILDS="A B"
fi
OUT=$ROOT/build/bench/restore-phases
[ -x "$WARDEN_A" ] && [ -s build/guest/vmlinux ] || { echo "bench/restore-phases.sh: make static guest first" >&2; exit 1; }
[[ $MEM =~ ^[1-9][0-9]*$ ]] || { echo "bench/restore-phases.sh: MEM must be MiB" >&2; exit 1; }
mkdir -p "$OUT"
{
	echo '#!/bin/sh'
	bench_l1_facts_sh
	bench_snapshot_l1_sh
	echo "m=$MEM; VARIANTS='$VARIANTS'; BUILDS='$BUILDS'"
	cat <<'L1'
threads() { # PID: per task, then the process: page faults and CPU ticks
    for t in /proc/$1/task/*; do
        echo "TASK $(cat $t/comm 2>/dev/null) $(sed 's/^.*) //' $t/stat 2>/dev/null |
            awk '{ print "minflt=" $8, "majflt=" $10, "utime=" $12, "stime=" $13, "guest=" $41 }')"
    done
    echo "PROC $(sed 's/^.*) //' /proc/$1/stat | awk '{ print "minflt=" $8, "majflt=" $10, "utime=" $12, "stime=" $13, "guest=" $41 }')"
}
kstats() { # FILE: KVM's counters (the VM's, then each vCPU's) from --stats
    tr ',{}' '\n\n\n' <$1 | grep -E '"(pages_4k|pages_2m|pf_taken|pf_fixed|exits|halt_exits|io_exits|total_exits)"' | tr -d ' \n'
    echo
}
snap_cold $m --stats /tmp/cold.json
echo "COLD $m: $(grep -o 'VM set up in [0-9.]* ms' /tmp/setup); init line $(ms_between $t0 $tup) ms"
echo "COLD kvm: $(kstats /tmp/cold.json)"
case " $VARIANTS" in
*-huge*)
    snap_huge_mount
    SNAP=/tmp/snaph snap_cold $m --stats /tmp/cold.json
    echo "COLD-huge $m: $(grep -o 'VM set up in [0-9.]* ms' /tmp/setup); init line $(ms_between $t0 $tup) ms; $(cat /tmp/written)"
    echo "COLD-huge files: $(du -k /tmp/snap/memory /tmp/snaph/memory | tr '\n\t' '; ')"
    echo "COLD-huge kvm: $(kstats /tmp/cold.json)" ;;
esac
for v in $VARIANTS; do
  for b in $BUILDS; do
    w=warden; [ $b = B ] && w=/extra/b/warden
    rm -f /tmp/r.json
    SNAP=/tmp/snap
    case $v in *-huge) SNAP=/tmp/snaph ;; esac
    snap_hint ${v%-huge} $SNAP
    snap_restore $w --stats /tmp/r.json --shutdown-timeout 0
    t1=; n=0
    while IFS= read -r line; do
        case $line in
        *"VM set up in"*) echo "$line" >/tmp/setup; threads $pid >/tmp/setup.threads ;;
        *"set-up phases"*) echo "LOG $line"
                           m0=$(echo "$line" | sed -n 's/.*main started at \([0-9.]*\)).*/\1/p')
                           echo "LOG before main (the shell's exec of warden to main): $(ms_between $t0 $m0) ms" ;;
        *"working set"*|*"set-up:"*) echo "LOG $line" ;;
        "tick "*) n=$((n + 1))
                  if [ -z "$t1" ]; then t1=$EPOCHREALTIME; threads $pid >/tmp/first.threads; fi
                  if [ $n = 30 ]; then threads $pid >/tmp/last.threads; t30=$EPOCHREALTIME; kill -TERM $pid; fi ;;
        esac
    done </tmp/fifo
    wait $pid 2>/dev/null
    case $v in learn*) [ $b = A ] && snap_keep_hint $SNAP ;; esac
    echo "RESTORE $v $m build $b: $(grep -o 'VM set up in [0-9.]* ms' /tmp/setup); first line $(ms_between $t0 $t1) ms; line 30 $(ms_between $t0 $t30) ms"
    echo " at the vCPUs' start:"; cat /tmp/setup.threads
    echo " at the first line:"; cat /tmp/first.threads
    echo " at line 30:"; cat /tmp/last.threads
    echo " kvm: $(kstats /tmp/r.json)"
    sleep 2
  done
done
L1
} >"$OUT/l1-script.sh"
WARDEN=$WARDEN_A bash "$ROOT/bench/tcg-lock.sh" nice -n 10 bash tests/emu/l1.sh --mem 4096 --timeout 900 \
	"$OUT/l1-script.sh" "${EXTRA[@]}" >"$OUT/emu.log" 2>&1 ||
	{ echo "bench/restore-phases.sh: L1 run failed (log $OUT/emu.log)" >&2; exit 1; }
bench_facts emu
tr -d '\r' <"$OUT/emu.log" | grep -E '^(fact: |COLD|RESTORE|LOG| at|TASK|PROC| kvm)'
