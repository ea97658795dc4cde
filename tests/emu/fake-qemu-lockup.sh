#!/usr/bin/env bash
# A stand-in for qemu-system-x86_64 that tests/emu/run.sh gives l1.sh
# (L1_QEMU) to check its own handling of a stuck L1: prints what L1's
# console shows when L1's kernel reports a soft lockup of task
# FAKE_LOCKUP_TASK (none: L1 just goes silent), then hangs until l1.sh
# stops it. Takes QEMU's arguments and uses only -pidfile.
while [ $# -gt 0 ]; do
	if [ "$1" = -pidfile ]; then
		echo $$ >"$2"
		shift
	fi
	shift
done
echo "L1: up 1.02"
echo "@@CASE boot rc=0"
if [ -n "${FAKE_LOCKUP_TASK:-}" ]; then
	echo "[   61.204811] watchdog: BUG: soft lockup - CPU#1 stuck for 26s! [$FAKE_LOCKUP_TASK:412]"
	# The rest of the report comes a moment later (l1.sh must wait for it).
	sleep 0.5
	echo "warden: a line of a case's output, printed meanwhile on another CPU"
	echo "[   61.204903] CPU: 1 PID: 412 Comm: $FAKE_LOCKUP_TASK Not tainted 6.1.0-fake #1  Debian 6.1.0-fake"
	echo "[   61.205120] Call Trace:"
	echo "[   61.205121]  <TASK>"
	echo "[   61.205187]  text_poke_bp_batch+0x95/0x1e0"
	echo "[   61.205201]  </TASK>"
fi
exec sleep 600
