# Crash consistency checks (sourced by tests/emu/run.sh): one SIGKILL trial
# on a raw disk and one on ext4 (durability.l1.sh); bench/durability.sh runs
# twenty and more per mode.
dur() { grep -m1 "^DUR-TRIAL mode=$1 " "$OUT/durability.txt" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p"; }
if grep -q '^DUR-NOTOOL' "$OUT/durability.txt" 2>/dev/null; then
	failed "durability: $(sed -n 's/^DUR-NOTOOL //p' "$OUT/durability.txt")"
else
	for m in raw ext4; do
		a=$(dur $m acked) k=$(dur $m kill_at)
		# Killed after at least ten acks: the trial wrote and was cut short.
		[ "${a:--1}" -ge 9 ] 2>/dev/null && pass "durability $m: killed with SIGKILL after $((a + 1)) acknowledged records" ||
			failed "durability $m: acknowledged records before the kill: '$a' (kill at $k)"
		expect_eq "durability $m: every acknowledged record on the host, intact" "$((a + 1)) -1" "$(dur $m intact) $(dur $m first_bad)"
	done
	f1=$(dur ext4 fsck1)
	[ "$f1" = 0 ] || [ "$f1" = 1 ] && pass "durability ext4: e2fsck replays the journal ($f1)" ||
		failed "durability ext4: e2fsck -fy said $f1 (want 0 or 1)"
	expect_eq "durability ext4: then e2fsck -fn finds it clean" 0 "$(dur ext4 fsck2)"
fi
