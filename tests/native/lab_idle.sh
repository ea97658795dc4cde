# `warden lab idle` at a small size (sourced by run.sh): the exits of each
# idle mode against the design, each mode measured or skipped as KVM says
# when asked without warden (kvm-check-ext):
#   hlt, hlt-poll-0, hlt-poll-200000: no exit to warden; one KVM halt exit
#     per HLT (KVM's binary stats, where the host has them); polling off:
#     no poll attempted (the polling modes need KVM_CAP_HALT_POLL);
#   idle-call: exactly one exit to warden per call, no KVM halt exit;
#   hlt-passthrough: no exit at all where KVM grants KVM_X86_DISABLE_EXITS_HLT
#     (else skipped); kvm_pvm grants it yet emulates the guest's ring-0 HLT
#     (docs/lab.md): the exact check is skipped there, by the host's kind.
# The checks first run on a doctored copy of the results, where each must
# fail, so none of them can pass by construction.
IDLE_ITER=200
IDLE_POLL_ROW=hlt-poll-200000

# idle_json_checks FILE LABEL STATS(1|0) POLL(1|0) PASSTHROUGH(1|0) EXACT_PT(1|0)
idle_json_checks() {
	local f=$1 l=$2 st=$3 poll=$4 pt=$5 exact=$6 why m sel
	why=$(json_file_error "$f")
	if [ -n "$why" ]; then
		failed "$l: nothing to check: $why"
		return
	fi
	expect_eq "$l: experiment" idle "$(json "$f" .experiment)"
	expect_eq "$l: JSON fields" "true true true true true" \
		"$(json "$f" '[has("date"), (.tier.name | type == "string"), (.tier.capabilities | type == "object"),
			(.model.modes | length == 5), (.measured | length == 5)] | map(tostring) | join(" ")')"
	sel() { echo ".measured[] | select(.mode == \"$1\")"; }
	for m in hlt hlt-poll-0 $IDLE_POLL_ROW; do
		if [ $m != hlt ] && [ "$poll" = 0 ]; then
			expect_eq "$l: $m skipped without KVM_CAP_HALT_POLL" skipped "$(json "$f" "$(sel $m).status")"
			continue
		fi
		expect_eq "$l: $m: $IDLE_ITER timed idles, none reached warden" "measured 0 true" \
			"$(json "$f" "$(sel $m) | \"\\(.status) \\(.exits_to_warden) \\(.idles >= $IDLE_ITER)\"")"
		expect_eq "$l: $m: latency and host CPU measured" "number number" \
			"$(json "$f" "$(sel $m) | \"\\(.latency_ns.median | type) \\(.host_cpu_ms_per_s | type)\"")"
		if [ "$st" = 1 ]; then
			expect_eq "$l: $m: one KVM halt exit per HLT" true \
				"$(json "$f" "$(sel $m) | .kvm.halt_exits == .idles")"
		fi
	done
	if [ "$poll" = 1 ] && [ "$st" = 1 ]; then
		expect_eq "$l: hlt-poll-0: KVM attempted no poll" 0 \
			"$(json "$f" "$(sel hlt-poll-0) | .kvm.halt_attempted_poll + .kvm.halt_successful_poll")"
	fi
	expect_eq "$l: idle-call: exactly one exit to warden per call" "measured true" \
		"$(json "$f" "$(sel idle-call) | \"\\(.status) \\(.exits_to_warden == .idles and .idles >= $IDLE_ITER)\"")"
	if [ "$st" = 1 ]; then
		expect_eq "$l: idle-call: no KVM halt exit" 0 "$(json "$f" "$(sel idle-call).kvm.halt_exits")"
	fi
	if [ "$pt" = 0 ]; then
		expect_eq "$l: hlt-passthrough skipped where KVM does not grant HLT" skipped \
			"$(json "$f" "$(sel hlt-passthrough).status")"
	elif [ "$exact" = 1 ] && [ "$st" = 1 ]; then
		expect_eq "$l: hlt-passthrough: no exit to warden, no KVM halt exit" "measured 0 0" \
			"$(json "$f" "$(sel hlt-passthrough) | \"\\(.status) \\(.exits_to_warden) \\(.kvm.halt_exits)\"")"
	else
		expect_eq "$l: hlt-passthrough: measured, no exit to warden" "measured 0" \
			"$(json "$f" "$(sel hlt-passthrough) | \"\\(.status) \\(.exits_to_warden)\"")"
		skip "$l: hlt-passthrough: no halt exits: ${IDLE_PT_WHY:-KVM has no binary statistics}"
	fi
	unset -f sel
}

lab_idle_checks() { # BIN LABEL
	local bin=$1 l="$2 lab idle" name=$2-lab-idle st poll pt exact=1 hp de
	[[ $bin == */asan/* ]] && ASAN_RUNS+=("$name")
	timeout 120 "$bin" lab idle --iterations $IDLE_ITER --json "$OUT/$name.json" --svg "$OUT/$name.svg" \
		>"$OUT/$name.out" 2>"$OUT/$name.err" </dev/null
	expect_eq "$l: exit status" 0 "$?"
	expect_match "$l: table with the model's exits" '^mode +model w +warden/id +model h +KVM halt' "$OUT/$name.out"
	expect_match "$l: SVG written" '^<svg ' "$OUT/$name.svg"
	[[ $HOST_STATS_FD == yes ]] && st=1 || st=0
	if [ -x "$CK" ] && hp=$("$CK" --vm 182 2>/dev/null) && de=$("$CK" --vm 143 2>/dev/null); then
		[ "$hp" -gt 0 ] && poll=1 || poll=0
		[ $((de & 2)) -ne 0 ] && pt=1 || pt=0
		IDLE_PT_WHY=
		if [ -d /sys/module/kvm_pvm ] && [ ! -d /sys/module/kvm_amd ] && [ ! -d /sys/module/kvm_intel ]; then
			exact=0
			IDLE_PT_WHY="kvm_pvm grants KVM_X86_DISABLE_EXITS_HLT but emulates the guest's ring-0 HLT (a halt exit each)"
		fi
		idle_json_checks "$OUT/$name.json" "$l" $st $poll $pt $exact
	else
		failed "$l: cannot ask KVM for KVM_CAP_HALT_POLL and KVM_CAP_X86_DISABLE_EXITS"
	fi
	# Woken by an IPI from vCPU 1: the same exits per idle.
	timeout 120 "$bin" lab idle --wake ipi --iterations 100 --json "$OUT/$name-ipi.json" \
		>"$OUT/$name-ipi.out" 2>"$OUT/$name-ipi.err" </dev/null
	expect_eq "$l --wake ipi: exit status" 0 "$?"
	expect_eq "$l --wake ipi: hlt none to warden, idle-call one per call" "ipi 0 true" \
		"$(json "$OUT/$name-ipi.json" '"\(.params.wake) \(.measured[0].exits_to_warden) \(.measured[] | select(.mode == "idle-call") | .exits_to_warden == .idles and .idles >= 100)"')"
}

# A doctored copy: an HLT that reached warden, a polling mode with a halt
# exit short, polling off that polled, an idle call without its exit, one
# with a halt exit, passthrough with a halt exit, a latency gone, a mode
# gone.  All checks on (stats, polling, exact passthrough).
lab_idle_can_fail() {
	local src=$OUT/release-lab-idle.json bad=$OUT/lab-idle-doctored.json n
	if [ ! -s "$src" ] || [ "$(json "$src" '[.measured[] | select(.status == "measured")] | length')" != 5 ]; then
		skip "lab idle: the doctored-results check needs all five modes measured ($src)"
		return
	fi
	jq '(.measured[] | select(.mode == "hlt") | .exits_to_warden) = 1
		| (.measured[] | select(.mode == "hlt-poll-200000") | .kvm.halt_exits) -= 1
		| (.measured[] | select(.mode == "hlt-poll-0") | .kvm.halt_attempted_poll) = 3
		| (.measured[] | select(.mode == "idle-call") | .exits_to_warden) -= 1
		| (.measured[] | select(.mode == "idle-call") | .kvm.halt_exits) = 2
		| (.measured[] | select(.mode == "hlt-passthrough") | .kvm.halt_exits) = 5
		| (.measured[] | select(.mode == "hlt-poll-0") | .latency_ns.median) = null
		| .model.modes |= .[0:4]' "$src" >"$bad"
	n=$(PASSED=0 FAILED=0 SKIPPED=0; idle_json_checks "$bad" doctored 1 1 1 1 >/dev/null; echo $FAILED)
	expect_eq "check can fail: the idle checks refuse doctored results" 8 "$n"
}

lab_idle_bad_input() {
	lab_bad "idle --iterations 0" 'iterations needs a whole number from 10' idle --iterations 0
	lab_bad "idle --poll-ns 0" 'poll-ns needs a whole number from 1' idle --poll-ns 0
	lab_bad "idle unknown option" 'unknown option' idle --frobnicate
	lab_bad "idle --wake" 'wake must be timer or ipi' idle --wake nmi
	lab_bad "idle --json unwritable" 'cannot write --json' idle --iterations 10 --json /nonexistent/dir/x.json
}

# `warden run`'s idle options on the observatory's guest (observe.S: 50
# HLTs with the in-kernel LAPIC, tests/native/observatory.sh): with
# --halt-poll-ns 0 KVM attempts no poll; --hlt-passthrough runs where KVM
# grants the HLT bit (and no halt exit reaches KVM there, but on kvm_pvm,
# above), else warden refuses it with one line and status 1.
idle_run_checks() { # BIN LABEL
	local bin=$1 l="$2 run idle options" j de
	run "$2-idle-poll0" "$bin" --kernel $G/observe.elf --halt-poll-ns 0 --kvm-hint-realtime
	j=$OUT/$2-idle-poll0.json
	expect_eq "$l: --halt-poll-ns 0 --kvm-hint-realtime: poweroff" 0 "$(rc $2-idle-poll0)"
	if [[ $HOST_STATS_FD == yes ]]; then
		expect_eq "$l: --halt-poll-ns 0: 50 halt exits, no poll attempted" "50 0" \
			"$(json $j '.kvm_stats.vcpus[0] | "\(.halt_exits) \(.halt_attempted_poll + .halt_successful_poll)"')"
	else
		skip "$l: --halt-poll-ns 0: this host's KVM has no binary statistics ($HOST_STATS_FD)"
	fi
	if ! de=$("$CK" --vm 143 2>/dev/null); then
		failed "$l: cannot ask KVM for KVM_CAP_X86_DISABLE_EXITS"
		return
	fi
	run "$2-idle-pt" "$bin" --kernel $G/observe.elf --hlt-passthrough
	j=$OUT/$2-idle-pt.json
	if [ $((de & 2)) -eq 0 ]; then
		expect_eq "$l: --hlt-passthrough refused where KVM does not grant HLT: status 1" 1 "$(rc $2-idle-pt)"
		expect_match "$l: --hlt-passthrough refused, naming the capability" 'KVM_CAP_X86_DISABLE_EXITS' "$OUT/$2-idle-pt.err"
		return
	fi
	expect_eq "$l: --hlt-passthrough: poweroff" 0 "$(rc $2-idle-pt)"
	if [ -d /sys/module/kvm_pvm ] && [ ! -d /sys/module/kvm_amd ] && [ ! -d /sys/module/kvm_intel ]; then
		skip "$l: --hlt-passthrough: no halt exits: kvm_pvm grants the HLT bit but emulates the guest's ring-0 HLT"
	elif [[ $HOST_STATS_FD == yes ]]; then
		expect_eq "$l: --hlt-passthrough: no halt exit" 0 "$(json $j '.kvm_stats.vcpus[0].halt_exits')"
	else
		skip "$l: --hlt-passthrough: this host's KVM has no binary statistics ($HOST_STATS_FD)"
	fi
}
