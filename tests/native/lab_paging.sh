# `warden lab paging` at a small size (sourced by run.sh): KVM's counters
# in each window against the design, for each host backing and guest
# mapping, with the host's facts asked without warden: which MMU KVM uses
# (kvm_pvm: shadow, its guest ring 0 emulated; kvm_amd npt / kvm_intel ept
# from /sys/module), whether transparent huge pages are on
# (/sys/kernel/mm/transparent_hugepage/enabled), binary statistics
# (kvm-check-ext --stats-fd).
#   every run finished, its touches read back;
#   4 KiB backing: no huge page in the working sets (smaps); 2 MiB
#     backing: huge pages exactly where THP is not "never";
#   first touch: at most one exit per 4 KiB page (+ slack); where KVM can
#     only map 4 KiB pages, at least one per 8 (prefetch) and no 2 MiB map;
#     where the host backs all of it with 2 MiB pages and KVM may map them
#     (nested paging, or a 2 MiB guest mapping), at most one per 2 MiB and
#     2 MiB maps (where THP gave only part of it, the upper bound alone);
#   re-touch: no exit (+ slack);
#   remap loop: KVM handles 2 INVLPG per iteration on shadow paging, none
#     on nested; exits: 2-5 per iteration on hardware shadow paging, none
#     on nested or on kvm_pvm (ring 0 emulated there: no exit at all);
#   CR3 loop: one exit per switch on hardware shadow paging, none else.
# Slack: 10 + 1% of the window's units (the host's interrupts), 10 + 2% for
# the first touch, the longest window (with the emulated tier's QEMU on
# both cores it once saw 21 interrupts in 1024 touches, all faults
# exactly one per page); where the
# loop should make no exit at all (the remap loop on nested paging and
# kvm_pvm) 10 + 10%: the loop runs for milliseconds on kvm_pvm and a busy
# host's interrupts landed 12 times in it once, while shadow paging's
# 2-5 exits per iteration stay far above either bound.
# The checks first run on a doctored copy of the results, where each must
# fail, so none of them can pass by construction.
PG_SIZES=1,4
PG_ITER=100

# pg_json_checks FILE LABEL MMU(nested|shadow|pvm) THP(1|0)
pg_json_checks() {
	local f=$1 l=$2 mmu=$3 thp=$4 why r name q
	why=$(json_file_error "$f")
	if [ -n "$why" ]; then
		failed "$l: nothing to check: $why"
		return
	fi
	expect_eq "$l: experiment and fields" "paging true true true 4" \
		"$(json "$f" '"\(.experiment) \(has("tier")) \(has("model")) \(.tier.mmu | type == "string") \(.measured | length)"')"
	for r in 0 1 2 3; do
		q=".measured[$r]"
		name=$(json "$f" "$q.name")
		expect_eq "$l: $name: finished, touches read back" "measured true" \
			"$(json "$f" "$q | \"\\(.status) \\(.check == .check_expected and .check > 0)\"")"
		if [ "$(json "$f" "$q.backing")" = 4K ]; then
			expect_eq "$l: $name: no huge page in the working sets (smaps)" "true 0" \
				"$(json "$f" "$q.host_pages | \"\\(.smaps_read) \\(.anon_huge_kb)\"")"
		else
			expect_eq "$l: $name: huge pages in the working sets exactly where THP is on ($thp)" "true $thp" \
				"$(json "$f" "$q.host_pages | \"\\(.smaps_read) \\(if .anon_huge_kb > 0 then 1 else 0 end)\"")"
		fi
		# KVM maps 2 MiB where the host does and the MMU lets it: nested
		# always, shadow only under a 2 MiB guest mapping.
		expect_eq "$l: $name: first touch: exits within one per 4 KiB page (and 2 MiB maps where the model has them)" 0 \
			"$(json "$f" "\"$mmu\" as \$mmu | $q as \$r | (\$mmu == \"nested\" or \$r.guest_map == \"2M\") as \$can |
				(\$can and \$r.host_pages.huge_fraction == 1) as \$big |
				(\$can and \$r.host_pages.huge_fraction > 0 and \$r.host_pages.huge_fraction < 1) as \$part |
				[\$r.windows[] | select(.kind == \"first\") | (10 + .units / 50) as \$s |
				 select(.kvm.exits > .units + \$s or
					(\$big or \$part | not) and (.kvm.exits < .units / 8 or .kvm.pages_2m != 0) or
					\$big and (.kvm.exits > (.units / 512 | ceil) + \$s or .kvm.pages_2m <= 0))] | length")"
		expect_eq "$l: $name: re-touch: no exit" 0 \
			"$(json "$f" "[$q.windows[] | select(.kind == \"retouch\" and .kvm.exits > 10 + .units / 100)] | length")"
		expect_eq "$l: $name: remap loop: INVLPG and exits as the MMU ($mmu) has them" true \
			"$(json "$f" "\"$mmu\" as \$mmu | $q.windows[] | select(.kind == \"remap\") | (10 + .units / 100) as \$s |
				(10 + .units / 10) as \$q |
				if \$mmu == \"nested\" then .kvm.invlpg == 0 and .kvm.exits <= \$q
				elif \$mmu == \"pvm\" then .kvm.invlpg == 2 * .units and .kvm.exits <= \$q
				else .kvm.invlpg == 2 * .units and .kvm.exits >= 2 * .units and .kvm.exits <= 5 * .units + \$s end")"
		expect_eq "$l: $name: CR3 loop: exits as the MMU ($mmu) has them" true \
			"$(json "$f" "\"$mmu\" as \$mmu | $q.windows[] | select(.kind == \"cr3\") | (10 + .units / 100) as \$s |
				if \$mmu == \"shadow\" then .kvm.exits >= .units and .kvm.exits <= .units + \$s else .kvm.exits <= \$s end")"
	done
}

# pg_ask_host: sets PG_MMU and PG_THP from the host, not from warden.
pg_ask_host() {
	local v
	if [ -e /sys/module/kvm_pvm ]; then
		PG_MMU=pvm
	elif v=$(cat /sys/module/kvm_amd/parameters/npt 2>/dev/null) || v=$(cat /sys/module/kvm_intel/parameters/ept 2>/dev/null); then
		case $v in Y|1) PG_MMU=nested ;; *) PG_MMU=shadow ;; esac
	else
		return 1
	fi
	grep -q '\[never\]' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null && PG_THP=0 || PG_THP=1
	[ -r /sys/kernel/mm/transparent_hugepage/enabled ] || PG_THP=0
}

lab_paging_checks() { # BIN LABEL
	local bin=$1 l="$2 lab paging" name=$2-lab-paging
	[[ $bin == */asan/* ]] && ASAN_RUNS+=("$name")
	timeout 300 "$bin" lab paging --sizes $PG_SIZES --iterations $PG_ITER --json "$OUT/$name.json" \
		--svg "$OUT/$name.svg" >"$OUT/$name.out" 2>"$OUT/$name.err" </dev/null
	expect_eq "$l: exit status" 0 "$?"
	expect_match "$l: table with the model's exits next to KVM's" '^window +units +model exits +exits' "$OUT/$name.out"
	if [ "${HOST_STATS_FD:-}" != yes ] && [ "$("$CK" --stats-fd 2>/dev/null)" != yes ]; then
		skip "$l: the exit checks: KVM has no binary statistics here (kvm-check-ext --stats-fd)"
		return
	fi
	if ! pg_ask_host; then
		failed "$l: cannot tell which MMU KVM uses (no kvm_pvm, kvm_amd or kvm_intel in /sys/module)"
		return
	fi
	pg_json_checks "$OUT/$name.json" "$l" $PG_MMU $PG_THP
	if python3 -c 'import sys, xml.dom.minidom as m; m.parse(sys.argv[1])' "$OUT/$name.svg" 2>/dev/null; then
		pass "$l: the SVG parses"
	else
		failed "$l: the SVG does not parse ($OUT/$name.svg)"
	fi
}

# A doctored copy: a field gone; run 0's touches read back wrong, its
# first touch at two exits a page, a 4K-backed run with huge pages, a
# re-touch that exits, an INVLPG lost, a CR3 loop that exits; run 3's 2
# MiB maps gone where the model has them (or made where it has none).
lab_paging_can_fail() {
	local src=$OUT/release-lab-paging.json bad=$OUT/lab-paging-doctored.json n
	if [ ! -s "$src" ]; then
		failed "lab paging: no results to doctor ($src)"
		return
	fi
	pg_ask_host || { failed "lab paging: cannot tell which MMU KVM uses"; return; }
	jq '.measured[0].check += 1 | .measured[0].windows |= map(
			if .kind == "first" then .kvm.exits = 2 * .units + 100
			elif .kind == "retouch" then .kvm.exits = 500
			elif .kind == "remap" then .kvm.invlpg += 1
			elif .kind == "cr3" then .kvm.exits = if .kvm.exits > 10 then 0 else 5 * .units end
			else . end)
		| .measured[1].host_pages.anon_huge_kb = 2048
		| .measured[3].windows |= map(if .kind == "first" then .kvm.pages_2m = (if .kvm.pages_2m > 0 then 0 else 7 end) else . end)
		| del(.tier)' "$src" >"$bad"
	n=$(PASSED=0 FAILED=0 SKIPPED=0; pg_json_checks "$bad" doctored $PG_MMU $PG_THP >/dev/null; echo $FAILED)
	expect_eq "check can fail: the paging checks refuse doctored results" 8 "$n"
}

lab_paging_bad_input() {
	lab_bad "paging --sizes too big" 'sizes needs at most 6 whole numbers' paging --sizes 128,128
	lab_bad "paging --iterations 0" 'iterations needs a whole number from 1' paging --iterations 0
	lab_bad "paging --backing 1g" 'backing must be 4k, 2m' paging --backing 1g
	lab_bad "paging unknown option" 'unknown option' paging --frobnicate
	lab_bad "paging --json unwritable" 'cannot write --json' paging --sizes 1 --iterations 1 --backing 4k --map 4k --json /nonexistent/dir/x.json
}
