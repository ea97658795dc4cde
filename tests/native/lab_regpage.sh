# `warden lab emulated-vs-virtio` at a small size (sourced by run.sh): the
# exit counts of each mechanism against what the built-in guest did.
#   (a), (b) trapped: at least one exit per register access;
#   (d) batch ring: one doorbell exit per batch, at most one per BATCH ops;
#   (c) register page: no access reaches warden, and KVM's write faults are
#       at most one per written page per scan interval (the guest's first
#       touches are before its window); (c') the same page held while busy:
#       no access reaches warden, and see lab_hold_checks;
# every run: the device counted every control write the guest made.
# The checks first run on a doctored copy of the results, where each must
# fail, so none of them can pass by construction.
LAB_BATCH=16

# lab_json_checks FILE LABEL: the checks on one results file.
lab_json_checks() {
	local f=$1 l=$2 m ops ex dev rd wr db sc pf why
	why=$(json_file_error "$f")
	if [ -n "$why" ]; then
		failed "$l: nothing to check: $why"
		return
	fi
	expect_eq "$l: experiment" emulated-vs-virtio "$(json "$f" .experiment)"
	expect_eq "$l: every run finished, the device counted every control write" 0 \
		"$(json "$f" '[.measured.runs[] | select(.ok != true or .device_count != .writes)] | length')"
	for m in pio mmio; do
		rd=$(json "$f" "[.measured.runs[] | select(.mode==\"$m\") | .reads] | add")
		wr=$(json "$f" "[.measured.runs[] | select(.mode==\"$m\") | .writes] | add")
		dev=$(json "$f" "[.measured.runs[] | select(.mode==\"$m\") | .exits_device] | add")
		if [[ $rd =~ ^[0-9]+$ && $wr =~ ^[0-9]+$ && $dev =~ ^[0-9]+$ ]] && [ $((rd + wr)) -gt 0 ] &&
			[ "$dev" -ge $((rd + wr)) ]; then
			pass "$l ($m): at least one exit per register access ($dev exits, $((rd + wr)) accesses)"
		else
			failed "$l ($m): $dev device exits for $rd reads + $wr writes"
		fi
	done
	rd=$(json "$f" '[.measured.runs[] | select(.mode=="ring") | .reads] | add')
	wr=$(json "$f" '[.measured.runs[] | select(.mode=="ring") | .writes] | add')
	db=$(json "$f" '[.measured.runs[] | select(.mode=="ring") | .doorbells] | add')
	dev=$(json "$f" '[.measured.runs[] | select(.mode=="ring") | .exits_device] | add')
	if [[ $db =~ ^[0-9]+$ && $dev =~ ^[0-9]+$ ]] && [ "$db" -gt 0 ] && [ "$dev" = "$db" ] &&
		[ "$(json "$f" "[.measured.runs[] | select(.mode==\"ring\") | select(.doorbells > ((.reads + .writes + $LAB_BATCH - 1) / $LAB_BATCH | floor))] | length")" = 0 ]; then
		pass "$l (ring): one exit per doorbell, at most one doorbell per $LAB_BATCH operations ($db for $((rd + wr)))"
	else
		failed "$l (ring): $dev device exits, $db doorbells for $rd reads + $wr writes (batch $LAB_BATCH)"
	fi
	expect_eq "$l (page, page-held): no register access reaches warden" 0 \
		"$(json "$f" '[.measured.runs[] | select(.mode=="page" or .mode=="page-held") | .exits_device] | add')"
	expect_eq "$l (page): the classic mechanism holds nothing" 0 \
		"$(json "$f" '[.measured.runs[] | select(.mode=="page") | .held_scans] | add')"
	# The mechanisms that leave the page alone run no scanner (its wake-ups
	# would cost them exits where they reach the vCPU's CPU).
	expect_eq "$l (pio, mmio, ring): no scanner" 0 \
		"$(json "$f" '[.measured.runs[] | select(.mode=="pio" or .mode=="mmio" or .mode=="ring") | .scans] | add')"
	sc=$(json "$f" '[.measured.runs[] | select(.mode=="page") | .dirty_scans] | add')
	if [[ $sc =~ ^[0-9]+$ ]] && [ "$sc" -gt 0 ]; then
		pass "$l (page): the scanner found the guest's writes ($sc scans)"
	else
		failed "$l (page): the scanner saw no dirty page ($sc)"
	fi
	if [[ $HOST_STATS_FD == no:* ]]; then
		skip "$l (page): KVM's write faults: the host has no binary stats (kvm-check-ext --stats-fd: $HOST_STATS_FD)"
	else
		pf=$(json "$f" '[.measured.runs[] | select(.mode=="page") | select(.kvm.pf_taken > (.scans + 1))] | length')
		expect_eq "$l (page): KVM write faults at most one per page per scan interval" 0 "$pf"
		pf=$(json "$f" '[.measured.runs[] | select(.mode=="page") | .kvm.pf_taken] | add')
		sc=$(json "$f" '[.measured.runs[] | select(.mode=="page") | .scans] | add')
		[[ $pf =~ ^[0-9]+$ ]] && pass "$l (page): $pf write faults in $sc scans" || failed "$l (page): no write-fault count ($pf)"
	fi
	r=$(json "$f" .reduction)
	if awk -v r="$r" 'BEGIN { exit !(r + 0 > 0 && r + 0 < 1) }' && [ "$r" != null ]; then
		pass "$l: reduction (a) to (c) is a fraction ($r)"
	else
		failed "$l: reduction is not a fraction: '$r'"
	fi
	expect_eq "$l: JSON fields" "true true true true" \
		"$(json "$f" '[has("tier"), (.tier.name | type == "string"), has("model"), has("measured")] | map(tostring) | join(" ")')"
	expect_eq "$l: model (c) one exit per scan (1 ms)" 1000 "$(json "$f" .model.exits_per_s.page)"
}

lab_regpage_checks() { # BIN LABEL
	local bin=$1 l="$2 lab" name=$2-lab-ev man want
	[[ $bin == */asan/* ]] && ASAN_RUNS+=("$name")
	timeout 120 "$bin" lab emulated-vs-virtio --seconds 0.1 --rates 0.1,1 --batch $LAB_BATCH \
		--json "$OUT/$name.json" --svg "$OUT/$name.svg" >"$OUT/$name.out" 2>"$OUT/$name.err" </dev/null
	expect_eq "$l: exit status" 0 "$?"
	expect_match "$l: table with the reduction" '^reduction \(a\) -> \(c\)' "$OUT/$name.out"
	# Where the host offers manual dirty-log protection (asked of KVM), it is used.
	if [ -x "$CK" ] && man=$("$CK" --vm 168 2>/dev/null); then
		[ $((man & 1)) -eq 1 ] && want=true || want=false
		expect_eq "$l: manual dirty-log protection as KVM offers it ($man)" "$want" \
			"$(json "$OUT/$name.json" '[.measured.runs[] | select(.mode=="page") | .manual_protect] | unique | join(",")')"
	else
		failed "$l: cannot ask KVM for KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2"
	fi
	lab_json_checks "$OUT/$name.json" "$l"
	if python3 -c 'import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot(); sys.exit(0 if r.tag.endswith("svg") and len(r.findall(".//{http://www.w3.org/2000/svg}polyline")) == 20 else 1)' "$OUT/$name.svg" 2>/dev/null; then
		pass "$l: the SVG parses, with a model and a measured line per mechanism"
	else
		failed "$l: $OUT/$name.svg is not the plot"
	fi
	lab_hold_checks "$bin" "$2" "$man"
}

# (c'), the register page left writable while the guest keeps writing
# it, protected again after HOLD scans without a write. With a hold of
# 1 scan (1 ms, --hold-scans 1): at the model workload (a control write every
# 33 us) it is protected again only when the guest was kept from running
# for a scan, so write faults come in few dirty scans (at most 1 in 10
# here), where the run without hold takes one in every one; at 1% (a write every 3.3 ms) it is protected
# again between writes, so most writes fault (without the re-protection,
# none would). Needs manual protection (MAN: kvm-check-ext's answer for
# KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2).
lab_hold_checks() { # BIN LABEL MAN
	local bin=$1 l="$2 lab hold" name=$2-lab-ev-hold man=$3 f pf held wr sc n gets
	[[ $bin == */asan/* ]] && ASAN_RUNS+=("$name")
	timeout 120 "$bin" lab emulated-vs-virtio --seconds 0.2 --rates 0.01,1 --batch $LAB_BATCH --hold-scans 1 \
		--json "$OUT/$name.json" >"$OUT/$name.out" 2>"$OUT/$name.err" </dev/null
	expect_eq "$l: exit status" 0 "$?"
	f=$OUT/$name.json
	expect_eq "$l: every run finished, the device counted every control write" 0 \
		"$(json "$f" '[.measured.runs[] | select(.ok != true or .device_count != .writes)] | length')"
	expect_eq "$l: model (c') no exit while held" 0 "$(json "$f" '.model.exits_per_s["page-held"]')"
	if ! [[ $man =~ ^[0-9]+$ ]] || [ $((man & 1)) -eq 0 ]; then
		skip "$l: the host offers no manual dirty-log protection ($man): nothing is held"
		return
	fi
	held=$(json "$f" '[.measured.runs[] | select(.mode=="page-held" and .fraction==1) | .held_scans] | add')
	if [[ $held =~ ^[0-9]+$ ]] && [ "$held" -gt 0 ]; then
		pass "$l: the page was held at the model workload ($held scans)"
	else
		failed "$l: no scan held the page at the model workload ($held)"
	fi
	# A scan that starts with the page held asks KVM nothing (on some
	# hosts each KVM_GET_DIRTY_LOG kicks the vCPU out of the guest): every
	# scan asks but those after a held one (give or take the window's edge).
	n=$(json "$f" '[.measured.runs[] | select(.mode=="page-held") |
		select(.dirty_log_gets < .scans - .held_scans - 1 or .dirty_log_gets > .scans - .held_scans + 1)] | length')
	gets=$(json "$f" '[.measured.runs[] | select(.mode=="page-held") | .dirty_log_gets] | add')
	expect_eq "$l: a scan after a held one asks KVM nothing ($gets dirty-log reads in all, $held held scans at the model workload)" 0 "$n"
	expect_eq "$l: (c) asks KVM at every scan" 0 \
		"$(json "$f" '[.measured.runs[] | select(.mode=="page" and .dirty_log_gets != .scans)] | length')"
	if [[ $HOST_STATS_FD == no:* ]]; then
		skip "$l: KVM's write faults: the host has no binary stats (kvm-check-ext --stats-fd: $HOST_STATS_FD)"
		return
	fi
	pf=$(json "$f" '[.measured.runs[] | select(.mode=="page-held" and .fraction==1) | .kvm.pf_taken] | add')
	sc=$(json "$f" '[.measured.runs[] | select(.mode=="page-held" and .fraction==1) | .dirty_scans] | add')
	if [[ $pf =~ ^[0-9]+$ && $sc =~ ^[0-9]+$ ]] && [ "$sc" -gt 0 ] && [ $((pf * 10)) -le "$sc" ]; then
		pass "$l: at the model workload a write fault in at most 1 of 10 dirty scans ($pf in $sc)"
	else
		failed "$l: $pf write faults in $sc dirty scans with the page held ($held scans)"
	fi
	pf=$(json "$f" '[.measured.runs[] | select(.mode=="page-held" and .fraction<1) | .kvm.pf_taken] | add')
	wr=$(json "$f" '[.measured.runs[] | select(.mode=="page-held" and .fraction<1) | .writes] | add')
	if [[ $pf =~ ^[0-9]+$ && $wr =~ ^[0-9]+$ ]] && [ "$wr" -gt 0 ] && [ $((pf * 2)) -ge "$wr" ]; then
		pass "$l: at 1% protected again between writes ($pf write faults for $wr writes)"
	else
		failed "$l: at 1% $pf write faults for $wr writes: the page was not protected again"
	fi
}

# The checks can fail: a doctored copy where (a) exits less than it
# accesses and scans, the ring rings twice per batch, the page faults
# twice per scan and holds, (c') exits to warden, the device misses a
# write and the scanner saw nothing.
lab_checks_can_fail() {
	local src=$OUT/release-lab-ev.json bad=$OUT/lab-ev-doctored.json n
	if [ ! -s "$src" ]; then
		failed "lab: no results to doctor ($src)"
		return
	fi
	jq '.measured.runs |= map(
		if .mode == "pio" then .exits_device = 0 | .scans = 5
		elif .mode == "ring" then .doorbells = (.reads + .writes) | .exits_device = .doorbells
		elif .mode == "page" then .kvm.pf_taken = (.scans * 2 + 2) | .dirty_scans = 0 | .held_scans = 1
		elif .mode == "page-held" then .exits_device = 3
		else .device_count = (.writes + 1) end) | .reduction = 1.5' "$src" >"$bad"
	n=$(PASSED=0 FAILED=0 SKIPPED=0; lab_json_checks "$bad" doctored >/dev/null; echo $FAILED)
	# pio, ring, page faults (unless skipped), scanner, device count,
	# reduction, an access of page-held reaching warden, (c) holding, a
	# scanner in a pio run
	want=9
	[[ $HOST_STATS_FD == no:* ]] && want=8
	expect_eq "check can fail: the lab checks refuse doctored results" $want "$n"
}

lab_bad() { # NAME REGEX ARGS...
	local name=$1 re=$2
	shift 2
	$B/warden lab "$@" >"$OUT/bad.out" 2>"$OUT/bad.err" </dev/null
	local st=$?
	if [ $st -eq 2 ] && [ "$(wc -l <"$OUT/bad.err")" -eq 1 ] && grep -Eq -- "$re" "$OUT/bad.err"; then
		pass "bad input: warden lab $name"
	else
		failed "bad input: warden lab $name (status $st): $(head -c 300 "$OUT/bad.err")"
	fi
}
lab_bad_input() {
	lab_bad "without an experiment" 'needs an experiment'
	lab_bad "unknown experiment" "unknown experiment 'nope'" nope
	lab_bad "--rates not ending at 1" 'must end with 1' emulated-vs-virtio --rates 0.5
	lab_bad "--rates descending" 'must ascend' emulated-vs-virtio --rates 1,0.5
	lab_bad "--scan-us too small (the scanner never spins)" 'scan-us needs a number from 100' emulated-vs-virtio --scan-us 10
	lab_bad "--batch 0" 'batch needs a number from 1' emulated-vs-virtio --batch 0
	lab_bad "--hold-scans too large" 'hold-scans needs a number from 1 to 1000' emulated-vs-virtio --hold-scans 1001
	lab_bad "--hold-scans 0" 'hold-scans needs a number from 1 to 1000' emulated-vs-virtio --hold-scans 0
	lab_bad "--hold-scans not whole" 'hold-scans needs a whole number' emulated-vs-virtio --hold-scans 1.5
	lab_bad "unknown option" 'unknown option' emulated-vs-virtio --frobnicate
	lab_bad "--json unwritable" 'cannot write --json' emulated-vs-virtio --seconds 0.01 --rates 1 --json /nonexistent/dir/x.json
}
