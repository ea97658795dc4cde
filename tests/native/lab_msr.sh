# `warden lab msr-filter` at a small size (sourced by run.sh): the exits
# of each MSR loop against its design, each run measured or skipped as
# KVM says when asked without warden (kvm-check-ext):
#   left to KVM: no exit to warden (IA32_TSC_AUX: only where KVM's
#     supported CPUID has RDTSCP or RDPID, else KVM answers #GP: skipped);
#   intercepted: exactly one exit per write (where KVM has
#     KVM_CAP_X86_USER_SPACE_MSR and KVM_CAP_X86_MSR_FILTER, else skipped).
# The checks first run on a doctored copy of the results, where each must
# fail, so none of them can pass by construction.
MSR_ITER=200

# msr_json_checks FILE LABEL TSC_AUX_OK(1|0) FILTER_OK(1|0)
msr_json_checks() {
	local f=$1 l=$2 aux=$3 filt=$4 why msr want
	why=$(json_file_error "$f")
	if [ -n "$why" ]; then
		failed "$l: nothing to check: $why"
		return
	fi
	expect_eq "$l: experiment" msr-filter "$(json "$f" .experiment)"
	expect_eq "$l: JSON fields" "true true true true true" \
		"$(json "$f" '[has("tier"), (.tier.name | type == "string"), has("model"), has("measured"),
			has("exits_saved_per_iteration")] | map(tostring) | join(" ")')"
	for msr in IA32_TSC_AUX IA32_KERNEL_GS_BASE; do
		if [ $msr = IA32_TSC_AUX ] && [ "$aux" = 0 ]; then
			expect_eq "$l: $msr left to KVM: skipped, KVM's CPUID has neither RDTSCP nor RDPID" \
				"skipped true" "$(json "$f" ".measured.$msr.kvm | \"\\(.status) \\(.reason | test(\"RDTSCP\"))\"")"
		else
			expect_eq "$l: $msr left to KVM: no exit to warden in $MSR_ITER writes" "measured 0" \
				"$(json "$f" ".measured.$msr.kvm | \"\\(.status) \\(.exits_to_warden)\"")"
		fi
		if [ "$filt" = 1 ]; then
			expect_eq "$l: $msr intercepted: one exit per write" "measured $MSR_ITER" \
				"$(json "$f" ".measured.$msr.intercepted | \"\\(.status) \\(.exits_to_warden)\"")"
			expect_eq "$l: $msr intercepted: ns per write measured" number \
				"$(json "$f" ".measured.$msr.intercepted.ns_per_iteration.median | type")"
		else
			expect_eq "$l: $msr intercepted: skipped without user-space MSRs" skipped \
				"$(json "$f" ".measured.$msr.intercepted.status")"
		fi
	done
}

# msr_svg_checks SVG JSON LABEL: per MSR and way, a bar in each panel
# (ns, exits per write) exactly where the JSON says the run measured.
msr_svg_checks() {
	local svg=$1 f=$2 l=$3 msr way want
	for msr in IA32_TSC_AUX IA32_KERNEL_GS_BASE; do
		for way in kvm intercepted; do
			want=$(json "$f" ".measured.$msr.$way.status | if . == \"measured\" then 1 else 0 end")
			expect_eq "$l: SVG: $msr $way: bars for ns and exits per write ($want each)" "$want $want" \
				"$(svg_count "$svg" bar "ns $msr $way") $(svg_count "$svg" bar "exits $msr $way")"
		done
	done
}

lab_msr_checks() { # BIN LABEL
	local bin=$1 l="$2 lab msr-filter" name=$2-lab-msr aux filt a b u m
	[[ $bin == */asan/* ]] && ASAN_RUNS+=("$name")
	timeout 120 "$bin" lab msr-filter --iterations $MSR_ITER --json "$OUT/$name.json" \
		--svg "$OUT/$name.svg" >"$OUT/$name.out" 2>"$OUT/$name.err" </dev/null
	expect_eq "$l: exit status" 0 "$?"
	expect_match "$l: table with the model's exits" '^MSR +way +model ex/it +warden/it' "$OUT/$name.out"
	if [ -x "$CK" ] && a=$("$CK" --cpuid 0x80000001 0 edx 27 2>/dev/null) && b=$("$CK" --cpuid 7 0 ecx 22 2>/dev/null) &&
		u=$("$CK" --vm 188 2>/dev/null) && m=$("$CK" --vm 189 2>/dev/null); then
		[ "$a" = 1 ] || [ "$b" = 1 ] && aux=1 || aux=0
		[ "$u" -gt 0 ] && [ "$m" -gt 0 ] && filt=1 || filt=0
		msr_json_checks "$OUT/$name.json" "$l" $aux $filt
		msr_svg_checks "$OUT/$name.svg" "$OUT/$name.json" "$l"
	else
		failed "$l: cannot ask KVM for RDTSCP/RDPID and user-space MSRs"
	fi
}

# A doctored copy: an MSR left to KVM that exited, an intercepted one that
# missed an exit and one without a time, a field gone; TSC_AUX's skip
# claimed where KVM offers it (and its run where it does not).
lab_msr_can_fail() {
	local src=$OUT/release-lab-msr.json bad=$OUT/lab-msr-doctored.json n aux
	if [ ! -s "$src" ]; then
		failed "lab msr-filter: no results to doctor ($src)"
		return
	fi
	[ "$(json "$src" .measured.IA32_TSC_AUX.kvm.status)" = skipped ] && aux=1 || aux=0
	jq '.measured.IA32_KERNEL_GS_BASE.kvm.exits_to_warden = 3
		| .measured.IA32_KERNEL_GS_BASE.intercepted.exits_to_warden -= 1
		| .measured.IA32_TSC_AUX.intercepted.ns_per_iteration.median = null
		| del(.exits_saved_per_iteration)' "$src" >"$bad"
	n=$(PASSED=0 FAILED=0 SKIPPED=0; msr_json_checks "$bad" doctored $aux 1 >/dev/null; echo $FAILED)
	expect_eq "check can fail: the msr-filter checks refuse doctored results" 5 "$n"
	# A plot with a measured run's ns bar gone.
	svg_doctor "$OUT/release-lab-msr.svg" "$OUT/lab-msr-doctored.svg" "s:g[@data-series='ns IA32_KERNEL_GS_BASE intercepted']"
	n=$(PASSED=0 FAILED=0 SKIPPED=0; msr_svg_checks "$OUT/lab-msr-doctored.svg" "$src" doctored >/dev/null; echo $FAILED)
	expect_eq "check can fail: the msr-filter plot checks refuse a doctored plot" 1 "$n"
}

lab_msr_bad_input() {
	lab_bad "msr-filter --iterations 0" 'iterations needs a whole number from 10' msr-filter --iterations 0
	lab_bad "msr-filter unknown option" 'unknown option' msr-filter --frobnicate
	lab_bad "msr-filter --json unwritable" 'cannot write --json' msr-filter --iterations 10 --json /nonexistent/dir/x.json
	lab_bad "msr-filter --svg unwritable" 'cannot write --svg' msr-filter --iterations 10 --svg /nonexistent/dir/x.svg
}
