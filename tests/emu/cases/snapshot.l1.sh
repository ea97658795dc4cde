# Snapshots of a Linux guest (docs/snapshot.md), sourced by l1-tests.sh:
# the default guest counts, one line every 0.1 s with its uptime
# (kvmclock); SIGUSR2 with --snapshot-then exit stops warden right after
# the snapshot; two new wardens restore it in turn, each must count on
# from where it stopped to 60 and power off.  snap_src.time: ms from
# SIGUSR2 to the snapshot written (warden's own line has it too).
SNAP_CMD='i=0; while [ $i -le 60 ]; do read u _ </proc/uptime; echo tick $i $u; i=$((i+1)); sleep 0.1; done'
rm -rf /tmp/snapd && mkdir -p /tmp/snapd
warden run --cmdline "$BASE warden.run=\"$SNAP_CMD\"" --snapshot-dir /tmp/snapd --snapshot-then exit \
	>/tmp/snap_src.out 2>/tmp/snap_src.err </dev/null &
pid=$!
( sleep 170; kill -KILL $pid ) >/dev/null 2>&1 &
wd=$!
i=0
while ! grep -q '^tick 20 ' /tmp/snap_src.out 2>/dev/null && [ $i -lt 800 ]; do
	sleep 0.2
	i=$((i + 1))
done
kill -USR2 $pid
wait $pid
echo "@@CASE snap_src rc=$?"
kill $wd 2>/dev/null
for f in out err; do
	echo "@@BEGIN snap_src.$f"
	cat "/tmp/snap_src.$f"
	echo
	echo "@@END snap_src.$f"
done
echo "@@BEGIN snap_files.out"
ls -l /tmp/snapd
echo "@@END snap_files.out"
case_run snap_restore1 --restore /tmp/snapd --verbose
case_run snap_restore2 --restore /tmp/snapd --verbose
