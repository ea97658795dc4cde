# `warden lab tsc` at a small size (sourced by run.sh): the guest's TSC
# readings against the host's TSC stamped around each reading's exit.
#   both rings: every reading arrived and one offset fits them all;
#   the offset the readings allow holds the one KVM keeps when asked
#     without warden (kvm-check-ext --tsc-offset N): N itself where KVM
#     honours the request (then the model's match is reported as such);
#     whatever KVM keeps instead (kvm_pvm keeps 0) elsewhere;
#   the frequency: set where kvm-check-ext --vm says KVM_CAP_TSC_CONTROL,
#     else skipped naming it; the guest TSC's rate over CLOCK_MONOTONIC
#     within its bound (plus 0.1% for KVM's kHz rounding and the clock's
#     slewing) of the model's;
#   without KVM_CAP_VCPU_ATTRIBUTES (a shim hides it) the offset is set
#     through IA32_TSC and the same checks hold.
# The checks first run on a doctored copy of the results, where each must
# fail, so none of them can pass by construction.
TS_SAMPLES=4
TS_OFFSET=1099511627776

# ts_expect NAME EXPECTED GOT: expect_eq, except that where MOVED (set by
# ts_json_checks) says KVM moved the offset on a host whose TSC is
# unstable, a check that does not hold is a named skip.
ts_expect() {
	if [ -n "$moved" ] && [ "$2" != "$3" ]; then
		skip "$1: got '$3', not '$2': KVM moved the offset while the guest ran ($moved)"
	else
		expect_eq "$1" "$2" "$3"
	fi
}

# ts_json_checks FILE LABEL KEPT(offset KVM keeps) SCALING(1|0) METHOD [UNSTABLE]
# UNSTABLE: why the host's TSC is unstable, as the host says (L1 under
# TCG on some hosts).  There KVM re-bases a guest's TSC offset at every
# entry into KVM_RUN (the guest's TSC frozen while out, then caught up by
# the kernel's clock), so the model of one fixed offset need not hold:
# where KVM's offset after the run is no longer KEPT, a phase's checks
# that do not hold are named skips (those that hold still pass).
ts_json_checks() {
	local f=$1 l=$2 kept=$3 scal=$4 method=$5 unstable=${6:-} why ph after moved=
	why=$(json_file_error "$f")
	if [ -n "$why" ]; then
		failed "$l: nothing to check: $why"
		return
	fi
	expect_eq "$l: experiment, fields, the run finished" "tsc true true true true" \
		"$(json "$f" '"\(.experiment) \(has("tier")) \(has("model")) \(has("measured")) \(.ok)"')"
	expect_eq "$l: the offset requested and how it was set" "$TS_OFFSET $method" \
		"$(json "$f" '"\(.model.offset) \(.model.method)"')"
	after=$(json "$f" .kvm_attr_offset)
	[ -n "$unstable" ] && [[ $after =~ ^-?[0-9]+$ ]] && [ "$after" != "$kept" ] &&
		moved="$kept kept when set, $after after the run; $unstable"
	for ph in ring0 ring3; do
		ts_expect "$l: $ph: every reading arrived, one offset fits them all" "measured true" \
			"$(json "$f" ".measured.$ph | \"\\(.status) \\(.consistent)\"")"
		ts_expect "$l: $ph: the readings allow the offset KVM keeps ($kept)" true \
			"$(json "$f" ".measured.$ph | (.offset_low <= $kept and $kept <= .offset_high)")"
		ts_expect "$l: $ph: the model's match said as it is (KVM keeps $kept of $TS_OFFSET)" \
			"$([ "$kept" = "$TS_OFFSET" ] && echo true || echo false)" "$(json "$f" ".measured.$ph.matches_model")"
		ts_expect "$l: $ph: guest TSC rate over CLOCK_MONOTONIC within its bound + 0.1% of the model's" true \
			"$(json "$f" "(.measured.$ph.khz_measured - .model.khz | fabs) <= .measured.$ph.khz_bound + .model.khz / 1000")"
	done
	if [ "$scal" = 1 ]; then
		expect_eq "$l: frequency set (KVM_CAP_TSC_CONTROL)" set "$(json "$f" .model.khz_status)"
	else
		expect_eq "$l: frequency skipped, naming KVM_CAP_TSC_CONTROL" true \
			"$(json "$f" '.model.khz_status | test("^skipped: .*KVM_CAP_TSC_CONTROL")')"
	fi
}

# ts_ask_host: sets TS_KEPT and TS_SCAL from KVM, asked without warden; 1
# when it cannot be asked.
ts_ask_host() {
	[ -x "$CK" ] && TS_KEPT=$("$CK" --tsc-offset $TS_OFFSET 2>/dev/null) && TS_SCAL=$("$CK" --vm 60 2>/dev/null) || return 1
	[ "$TS_KEPT" = none ] && TS_KEPT=$TS_OFFSET # no attribute: the IA32_TSC path, whose offset KVM keeps
	[ "$TS_SCAL" -gt 0 ] && TS_SCAL=1 || TS_SCAL=0
}

lab_tsc_checks() { # BIN LABEL
	local bin=$1 l="$2 lab tsc" name=$2-lab-tsc method
	[[ $bin == */asan/* ]] && ASAN_RUNS+=("$name")
	timeout 120 "$bin" lab tsc --samples $TS_SAMPLES --gap-us 20000 --offset $TS_OFFSET --json "$OUT/$name.json" \
		--svg "$OUT/$name.svg" >"$OUT/$name.out" 2>"$OUT/$name.err" </dev/null
	expect_eq "$l: exit status" 0 "$?"
	expect_match "$l: table with the requested offset next to the measured one" '^RDTSC +offset requested +offset measured' "$OUT/$name.out"
	if ! ts_ask_host; then
		failed "$l: cannot ask KVM which TSC offset it keeps"
		return
	fi
	[ "$("$CK" --tsc-offset 0 2>/dev/null)" = none ] && method="KVM_SET_MSRS IA32_TSC" || method=KVM_VCPU_TSC_OFFSET
	ts_json_checks "$OUT/$name.json" "$l" "$TS_KEPT" $TS_SCAL "$method"
	if python3 -c 'import sys, xml.dom.minidom as m; m.parse(sys.argv[1])' "$OUT/$name.svg" 2>/dev/null; then
		pass "$l: the SVG parses"
	else
		failed "$l: the SVG does not parse ($OUT/$name.svg)"
	fi
}

# Without KVM_CAP_VCPU_ATTRIBUTES (127), hidden by the shim: IA32_TSC.
lab_tsc_msr_path() {
	local l="release lab tsc without KVM_CAP_VCPU_ATTRIBUTES" name=release-lab-tsc-msr
	if [ ! -f $B/tests/fake-kvm-caps.so ]; then
		failed "$l: $B/tests/fake-kvm-caps.so missing (make native-test builds it)"
		return
	fi
	WARDEN_FAKE_NO_CAPS=127 LD_PRELOAD=$B/tests/fake-kvm-caps.so timeout 120 $B/warden lab tsc --samples $TS_SAMPLES \
		--gap-us 20000 --offset $TS_OFFSET --json "$OUT/$name.json" >"$OUT/$name.out" 2>"$OUT/$name.err" </dev/null
	expect_eq "$l: exit status" 0 "$?"
	ts_ask_host || { failed "$l: cannot ask KVM which TSC offset it keeps"; return; }
	ts_json_checks "$OUT/$name.json" "$l" "$TS_KEPT" $TS_SCAL "KVM_SET_MSRS IA32_TSC"
}

# A doctored copy: ring 0's interval moved off KVM's offset, ring 3 with
# no offset fitting every reading and its rate 1% beyond its bound (not 1%
# off the measured rate: on a busy host the bound itself can exceed 1%,
# and the doctored rate then passed), the model's match
# claimed, the frequency's status changed, a field gone.
lab_tsc_can_fail() {
	local src=$OUT/release-lab-tsc.json bad=$OUT/lab-tsc-doctored.json n
	if [ ! -s "$src" ]; then
		failed "lab tsc: no results to doctor ($src)"
		return
	fi
	ts_ask_host || { failed "lab tsc: cannot ask KVM which TSC offset it keeps"; return; }
	jq --argjson k "$TS_KEPT" '.measured.ring0.offset_low = $k + 1000000 | .measured.ring0.offset_high = $k + 2000000
		| .measured.ring3.consistent = false
		| .measured.ring3.khz_measured = .model.khz + .measured.ring3.khz_bound + .model.khz / 100
		| .measured.ring3.matches_model |= not | .model.khz_status = "frequency: whatever" | del(.tier)' "$src" >"$bad"
	n=$(PASSED=0 FAILED=0 SKIPPED=0; ts_json_checks "$bad" doctored "$TS_KEPT" $TS_SCAL "$(json "$src" .model.method)" >/dev/null; echo $FAILED)
	expect_eq "check can fail: the tsc checks refuse doctored results" 6 "$n"
}

lab_tsc_bad_input() {
	lab_bad "tsc --samples 1" 'samples needs a whole number from 2' tsc --samples 1
	lab_bad "tsc --offset not a number" 'offset needs a whole number' tsc --offset 12x
	lab_bad "tsc unknown option" 'unknown option' tsc --frobnicate
	lab_bad "tsc --json unwritable" 'cannot write --json' tsc --samples 2 --gap-us 10 --json /nonexistent/dir/x.json
}
