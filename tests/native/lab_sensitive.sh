# `warden lab sensitive` at a small size (sourced by run.sh): what each
# sensitive instruction returned against the guest's own state, and the
# exits around it.
#   every row: no exit to warden (KVM or the CPU handles them all);
#   CPL 0 (warden's boot tables, the guest's own, with and without UMIP):
#     every instruction returns the guest's own state;
#   CPL 3: SGDT, SIDT, SLDT, STR, SMSW and CPUID return it too, and raise
#     #GP when CR4.UMIP is set (PUSHF/POPF at CPL 3 are reported, not
#     checked: on kvm_pvm they show the host's IF);
#   SGDT on warden's boot tables returns warden's boot GDT (LAYOUT_GDT);
#   the UMIP rows run exactly when KVM_GET_SUPPORTED_CPUID offers UMIP
#     (kvm-check-ext --cpuid 7 0 ecx 2), else say skipped and why.
# The checks first run on a doctored copy of the results, where each must
# fail, so none of them can pass by construction.
SN_REPS=2

# sn_json_checks FILE LABEL UMIP(1|0)
sn_json_checks() {
	local f=$1 l=$2 umip=$3 why want
	why=$(json_file_error "$f")
	if [ -n "$why" ]; then
		failed "$l: nothing to check: $why"
		return
	fi
	expect_eq "$l: experiment" sensitive "$(json "$f" .experiment)"
	expect_eq "$l: JSON fields, the run finished" "true true true true true true" \
		"$(json "$f" '[has("tier"), (.tier.name | type == "string"), has("model"), has("measured"),
			(.wrong | type == "number"), .ok] | map(tostring) | join(" ")')"
	[ "$umip" = 1 ] && want=40 || want=24
	expect_eq "$l: rows measured (UMIP in KVM's CPUID: $umip)" $want \
		"$(json "$f" '[.measured[] | select(.status == "measured")] | length')"
	[ "$umip" = 1 ] && want=0 || want=16
	expect_eq "$l: UMIP rows skipped, saying why, only without UMIP" $want \
		"$(json "$f" '[.measured[] | select(.status == "skipped" and .umip and (.reason | test("UMIP")))] | length')"
	expect_eq "$l: no sensitive instruction exits to warden" 0 \
		"$(json "$f" '[.measured[] | select(.status == "measured" and .exits_to_warden != 0)] | length')"
	expect_eq "$l: CPL 0: every instruction returns the guest's own state" 0 \
		"$(json "$f" '[.measured[] | select(.status == "measured" and .cpl == 0 and .own_state != true)] | length')"
	expect_eq "$l: CPL 3: descriptor reads and CPUID return the guest's own state (#GP with UMIP)" 0 \
		"$(json "$f" '[.measured[] | select(.status == "measured" and .cpl == 3 and
			(.instruction | test("PUSHF|POPF") | not) and .own_state != true)] | length')"
	expect_eq "$l: SGDT on warden's boot tables returns warden's boot GDT (0x1000)" "4096 base 0x1000 limit 0x$(printf %x "$(json "$f" .boot_gdt.limit)")" \
		"$(json "$f" '"\(.boot_gdt.base) \(.measured[] | select(.context == "cpl0-boot" and .instruction == "SGDT") | .returned)"')"
}

# sn_svg_checks SVG JSON LABEL: the grid has a cell per context and
# instruction, coloured as the JSON says: own state (green), the #GP asked
# for (yellow), not the guest's own (red), skipped (grey).
sn_svg_checks() {
	local svg=$1 f=$2 l=$3
	expect_eq "$l: SVG: a cell per context and instruction" 40 \
		"$(( $(svg_count "$svg" fill '#a8dcb9') + $(svg_count "$svg" fill '#f7d88a') + $(svg_count "$svg" fill '#f4a9a0') + $(svg_count "$svg" fill '#e4e7ea') ))"
	expect_eq "$l: SVG: one cell named cpl3 STR" 1 "$(svg_count "$svg" cell "cpl3 STR")"
	expect_eq "$l: SVG: red cells: rows not the guest's own state" \
		"$(json "$f" '[.measured[] | select(.status == "measured" and .own_state == false)] | length')" \
		"$(svg_count "$svg" fill '#f4a9a0')"
	expect_eq "$l: SVG: yellow cells: the #GP the guest asked for" \
		"$(json "$f" '[.measured[] | select(.status == "measured" and .own_state and .faulted)] | length')" \
		"$(svg_count "$svg" fill '#f7d88a')"
	expect_eq "$l: SVG: grey cells: rows skipped" \
		"$(json "$f" '[.measured[] | select(.status != "measured")] | length')" "$(svg_count "$svg" fill '#e4e7ea')"
}

lab_sensitive_checks() { # BIN LABEL
	local bin=$1 l="$2 lab sensitive" name=$2-lab-sn umip
	[[ $bin == */asan/* ]] && ASAN_RUNS+=("$name")
	timeout 120 "$bin" lab sensitive --reps $SN_REPS --json "$OUT/$name.json" \
		--svg "$OUT/$name.svg" >"$OUT/$name.out" 2>"$OUT/$name.err" </dev/null
	expect_eq "$l: exit status" 0 "$?"
	expect_match "$l: table with the guest's own state next to what was returned" '^context +instruction +returned +guest.s own state' "$OUT/$name.out"
	if [ -x "$CK" ] && umip=$("$CK" --cpuid 7 0 ecx 2 2>/dev/null); then
		sn_json_checks "$OUT/$name.json" "$l" "$umip"
		sn_svg_checks "$OUT/$name.svg" "$OUT/$name.json" "$l"
	else
		failed "$l: cannot ask KVM for UMIP"
	fi
}

# A doctored copy: an instruction that exited to warden, a CPL-0 SIDT and
# a CPL-3 STR that returned something else, a UMIP row lost, the boot GDT
# moved, a field gone.
lab_sensitive_can_fail() {
	local src=$OUT/release-lab-sn.json bad=$OUT/lab-sn-doctored.json n umip
	if [ ! -s "$src" ]; then
		failed "lab sensitive: no results to doctor ($src)"
		return
	fi
	umip=$(json "$src" '[.measured[] | select(.status == "measured")] | length | if . == 40 then 1 else 0 end')
	jq '.measured |= map(
		if .context == "cpl0" and .instruction == "CPUID" then .exits_to_warden = 1
		elif .context == "cpl0" and .instruction == "SIDT" then .own_state = false
		elif .context == "cpl3" and .instruction == "STR" then .own_state = false
		else . end) | .measured[-1].status = "failed" | .boot_gdt.base = 8192 | del(.wrong)' "$src" >"$bad"
	n=$(PASSED=0 FAILED=0 SKIPPED=0; sn_json_checks "$bad" doctored "$umip" >/dev/null; echo $FAILED)
	expect_eq "check can fail: the sensitive checks refuse doctored results" 6 "$n"
	# A grid without the cpl3 STR cell, with a green cell turned red.
	svg_doctor "$OUT/release-lab-sn.svg" "$OUT/lab-sn-doctored.svg" "s:g[@data-series='cpl3 STR']"
	sed -i '0,/fill="#a8dcb9"/s//fill="#f4a9a0"/' "$OUT/lab-sn-doctored.svg"
	n=$(PASSED=0 FAILED=0 SKIPPED=0; sn_svg_checks "$OUT/lab-sn-doctored.svg" "$src" doctored >/dev/null; echo $FAILED)
	expect_eq "check can fail: the sensitive grid checks refuse a doctored grid" 3 "$n"
}

lab_sensitive_bad_input() {
	lab_bad "sensitive --reps 0" 'reps needs a whole number from 1' sensitive --reps 0
	lab_bad "sensitive unknown option" 'unknown option' sensitive --frobnicate
	lab_bad "sensitive --json unwritable" 'cannot write --json' sensitive --reps 1 --json /nonexistent/dir/x.json
	lab_bad "sensitive --svg unwritable" 'cannot write --svg' sensitive --reps 1 --svg /nonexistent/dir/x.svg
}
