#!/usr/bin/env bash
# Snapshot and restore times (docs/snapshot.md), for 256 MiB and 2 GiB
# guests:
#   - snapshot: warden's own "snapshot written to DIR in N ms" (SIGUSR2 to
#     the files written and fsynced, the VM paused meanwhile), and the
#     memory file's allocated size (it is sparse);
#   - restore: process start to the vCPUs starting, warden's own
#     "VM set up in N ms since warden started" with --verbose, and, in the
#     emulated tier, from the shell's exec of warden to the restored
#     guest's first console line (its counter runs every 20 ms);
#     each size's first restore runs long enough to record its guest's
#     working set (DIR/memory.hot, docs/snapshot.md); then RUNS pairs,
#     alternating: a restore without it ("lazy": the hint removed) and
#     one with it ("working set": the recorded hint put back);
#   - emu only: a cold boot of the same guest, process start to the init
#     line ("warden-guest: up"), which the restore is compared with;
#   - the cold start's own "VM set up in N ms" (the same machine booted,
#     not restored), what the restore adds to it;
#   - emu: each restore's own split of its set-up (--verbose's "set-up
#     phases" and the working set's populate time) as SNAP-PHASES lines
#     among the raw lines, to tell a slow run's cause.
#
# Usage: bench/snapshot.sh [native|emu]...   (default: both; from the repo root)
#   native: the native tier's counting guest (make native-guests) on this
#           host's /dev/kvm (kvm_pvm here: no Linux)
#   emu:    the default Linux guest in the emulated AMD-V tier (make static
#           guest; runs QEMU/TCG: wrap it in flock /tmp/tcg.lock on a shared
#           machine)
# Env: RUNS=5 restores per size (medians), MEMS="256 2048" guest sizes in MiB.
# Output: markdown on stdout and in build/bench/snapshot-<date>.md.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. "$ROOT/bench/facts.sh"
. "$ROOT/bench/snapshot_l1.sh"
RUNS=${RUNS:-5}
MEMS=${MEMS:-256 2048}
TIERS=${*:-native emu}
OUT=$ROOT/build/bench/snapshot
REPORT=$ROOT/build/bench/snapshot-$(date -u +%Y%m%d-%H%M%S).md
die() { echo "bench/snapshot.sh: error: $*" >&2; exit 1; }
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive number"
mkdir -p "$OUT"
med() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2); else print "-" }'; }

# The native tier: snapshot-counter.elf, SIGUSR2 at count 20, then RUNS
# restores, each stopped once warden says the vCPUs start.
native() {
	local g=build/tests/guests/snapshot-counter.elf m d i pid
	[ -x build/warden ] && [ -f $g ] || die "build/warden or $g missing (make all native-guests)"
	for m in $MEMS; do
		d=$OUT/native-$m
		rm -rf "$d" && mkdir -p "$d"
		: >"$d.src.out" # before the child starts: no old "count 20" to match
		build/warden run --mem "$m" --kernel $g --test-exit-port 0xf4 --snapshot-dir "$d" \
			--snapshot-then exit --verbose >"$d.src.out" 2>"$d.src.err" </dev/null &
		pid=$!
		for ((i = 0; i < 400; i++)); do grep -q '^count 20$' "$d.src.out" && break; sleep 0.05; done
		kill -USR2 $pid
		wait $pid || true
		echo "SNAP-SETUP native $m $(grep -o 'VM set up in [0-9.]* ms' "$d.src.err" | awk '{ print $5 }')"
		echo "SNAP-WRITE native $m $(grep -o 'snapshot written to [^ ]* in [0-9.]* ms' "$d.src.err" | awk '{ print $(NF - 1) }') $(du -k "$d/memory" | cut -f1)"
		# The learning restore: the guest runs to its end (about 1 s).
		build/warden run --restore "$d" --verbose >"$d.r.out" 2>"$d.r.err" </dev/null || true
		echo "SNAP-HINT native $m $(grep -oE 'working set recorded in [^ ]*: [0-9]+ pages' "$d.r.err" | awk '{ print $(NF - 1) }')"
		cp "$d/memory.hot" "$d.hot" 2>/dev/null || rm -f "$d.hot"
		for ((i = 0; i < 2 * RUNS; i++)); do
			mode=lazy
			rm -f "$d/memory.hot"
			((i % 2)) && mode=hot && { cp "$d.hot" "$d/memory.hot" 2>/dev/null || true; }
			: >"$d.r.err"
			build/warden run --restore "$d" --verbose >"$d.r.out" 2>"$d.r.err" </dev/null &
			pid=$!
			for ((n = 0; n < 400; n++)); do grep -q 'VM set up in' "$d.r.err" && break; sleep 0.01; done
			kill -KILL $pid 2>/dev/null; wait $pid 2>/dev/null || true
			sleep 0.5 # the killed VM's teardown is over before the next start
			echo "SNAP-RESTORE native $m $mode $(grep -o 'VM set up in [0-9.]* ms' "$d.r.err" | awk '{ print $5 }')"
		done
		rm -rf "$d"
	done
}

# The emulated tier: the default guest counts every 20 ms; a cold boot
# (to the init line), the snapshot at tick 20, then RUNS restores, each
# stopped at its first tick.  Times from busybox's $EPOCHREALTIME.
emu() {
	[ -x build/warden-static ] && [ -s build/guest/vmlinux ] || die "build/warden-static or build/guest missing (make static guest)"
	{
		echo '#!/bin/sh'
		bench_l1_facts_sh
		bench_snapshot_l1_sh
		echo "RUNS=$RUNS; MEMS='$MEMS'"
		cat <<'L1'
for m in $MEMS; do
    snap_cold $m
    echo "SNAP-SETUP emu $m $(grep -o 'VM set up in [0-9.]* ms' /tmp/setup | awk '{ print $5 }')"
    echo "SNAP-COLD emu $m $(ms_between $t0 $tup)"
    echo "SNAP-WRITE emu $m $(grep -o 'in [0-9.]* ms' /tmp/written | awk '{ print $2 }') $(du -k /tmp/snap/memory | cut -f1)"
    # The learning restore: on to tick 40 (past the 0.5 s in which it
    # records its guest's working set).
    snap_restore warden
    while IFS= read -r line; do
        case $line in
        *"working set recorded"*) echo "SNAP-HINT emu $m $(echo "$line" | grep -oE '[0-9]+ pages' | awk '{ print $1 }')" ;;
        "tick 40"*) kill -KILL $pid ;;
        esac
    done </tmp/fifo
    wait $pid 2>/dev/null
    snap_keep_hint
    sleep 2
    i=0
    while [ $i -lt $((2 * RUNS)) ]; do
        i=$((i + 1))
        mode=lazy
        [ $((i % 2)) != 0 ] || mode=hot
        snap_hint $mode
        snap_restore warden
        t1=
        while IFS= read -r line; do
            case $line in
            *"VM set up in"*) echo "$line" >/tmp/setup ;;
            *"set-up phases"*|*"pages populated in"*) echo "SNAP-PHASES emu $m $mode ${line#warden: debug: }" ;;
            "tick "*) [ -n "$t1" ] || { t1=$EPOCHREALTIME; kill -KILL $pid; } ;;
            esac
        done </tmp/fifo
        wait $pid 2>/dev/null
        sleep 2 # the killed VM's teardown is over before the next start
        echo "SNAP-RESTORE emu $m $mode $(grep -o 'VM set up in [0-9.]* ms' /tmp/setup | awk '{ print $5 }') $(ms_between $t0 $t1)"
    done
done
L1
	} >"$OUT/l1-script.sh"
	nice -n 10 bash tests/emu/l1.sh --mem 4096 --timeout 1500 "$OUT/l1-script.sh" >"$OUT/emu.log" 2>&1 ||
		die "L1 run failed (log $OUT/emu.log)"
	tr -d '\r' <"$OUT/emu.log" | grep -E '^(SNAP-|fact: L1)'
}

raw=$OUT/raw.txt
: >"$raw"
for t in $TIERS; do
	case $t in native) native >>"$raw" ;; emu) emu >>"$raw" ;; *) die "unknown tier '$t'" ;; esac
done
{
	echo "Snapshot and restore, $(date -u +%F): \`RUNS=$RUNS MEMS=\"$MEMS\" bash bench/snapshot.sh $TIERS\`"
	echo
	bench_facts $TIERS | sed 's/^/    /'
	grep '^fact: L1' "$raw" | sed 's/^/    /' || true
	echo
	echo "| tier | guest MiB | snapshot written (ms) | memory file allocated (MiB) | working set recorded (pages) | restore | restores | restore: start -> vCPUs run (ms, median; min) | cold start -> vCPUs run (ms, one run) | restore: start -> first guest line (ms, median; min) | cold boot: start -> init line (ms) | restore / cold boot |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
	for t in $TIERS; do
		for m in $MEMS; do
			for mode in lazy hot; do
				sel() { awk -v t=$t -v m=$m -v o=$mode -v c="$1" '$1 == "SNAP-RESTORE" && $2 == t && $3 == m && $4 == o && $c != "" { print $c }' "$raw"; }
				w=$(awk -v t=$t -v m=$m '$1 == "SNAP-WRITE" && $2 == t && $3 == m { print $4 }' "$raw")
				a=$(awk -v t=$t -v m=$m '$1 == "SNAP-WRITE" && $2 == t && $3 == m { printf "%.1f", $5 / 1024 }' "$raw")
				h=$(awk -v t=$t -v m=$m '$1 == "SNAP-HINT" && $2 == t && $3 == m { print $4 }' "$raw")
				n=$(sel 5 | grep -c . || true)
				r=$(sel 5 | med)
				lo=$(sel 5 | sort -n | head -1)
				cs=$(awk -v t=$t -v m=$m '$1 == "SNAP-SETUP" && $2 == t && $3 == m { print $4 }' "$raw")
				f=$(sel 6 | med)
				flo=$(sel 6 | sort -n | head -1)
				c=$(awk -v t=$t -v m=$m '$1 == "SNAP-COLD" && $2 == t && $3 == m { print $4 }' "$raw")
				ratio=-
				[ -n "$c" ] && [ "$f" != - ] && ratio=$(awk -v a="$f" -v b="$c" 'BEGIN { printf "%.1f%%", 100 * a / b }')
				[ $mode = hot ] && mode="working set" || mode="lazy (no hint)"
				echo "| $t | $m | ${w:--} | ${a:--} | ${h:--} | $mode | $n | $r; ${lo:--} | ${cs:--} | $f; ${flo:--} | ${c:--} | $ratio |"
			done
		done
	done
	echo
	echo "Raw lines:"
	echo
	sed 's/^/    /' "$raw"
} >"$REPORT"
cat "$REPORT"
