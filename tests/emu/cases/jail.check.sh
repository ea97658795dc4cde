# The jail's cgroup v2 limits in L1 (sourced by tests/emu/run.sh).
if [ -f "$OUT/jail.skip" ]; then
	skip "jail (cgroup v2): $(head -n 1 "$OUT/jail.skip")"
else
	pid=$(awk '$1 == "pid" { print $2 }' "$OUT/jail.cg" 2>/dev/null)
	expect_eq "jail (cgroup v2): the jailed guest boots and powers off" 0 "$(rc jail)"
	expect_match "jail (cgroup v2): the guest ran its command" '^jail-guest-done' "$OUT/jail.out"
	expect_eq "jail (cgroup v2): memory.max is --jail-mem 512" "memory.max 536870912" \
		"$(grep '^memory.max' "$OUT/jail.cg" 2>/dev/null)"
	expect_eq "jail (cgroup v2): cpu.max is --jail-cpus 1.5" "cpu.max 150000 100000" \
		"$(grep '^cpu.max' "$OUT/jail.cg" 2>/dev/null)"
	expect_eq "jail (cgroup v2): the jailed process is in warden's group" "cgroup 0::/warden-$pid" \
		"$(grep '^cgroup' "$OUT/jail.cg" 2>/dev/null)"
	expect_eq "jail (cgroup v2): the jailed process runs as uid 65534" "uid 65534" \
		"$(grep '^uid' "$OUT/jail.cg" 2>/dev/null)"
	expect_eq "jail (cgroup v2): the group is removed at the end" "group gone" "$(cat "$OUT/jail.after" 2>/dev/null)"
fi
