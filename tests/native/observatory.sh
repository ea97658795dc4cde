# Exit observatory on the native tier (sourced by tests/native/run.sh, with
# B, G, OUT, run, rc from there).  The guest observe.S does exactly
# K = 700 port writes, M = 300 MMIO reads (both reach warden), C = 400
# CPUIDs and H = 50 HLTs (both handled in KVM), prints 14 characters and
# powers off; warden's report must show exactly that.
OBS_K=700 OBS_M=300 OBS_H=50

observatory_checks() { # BIN LABEL
	local bin=$1 l=$2 j n sum

	# --no-coalesced-pio: the checks count the UART's transmit exits too.
	run "$l-observe" "$bin" --no-coalesced-pio --kernel $G/observe.elf --stats-trace "$OUT/$l-observe.jsonl" \
		--stats-interval 0.02
	j=$OUT/$l-observe.json
	expect_eq "$l observatory: poweroff" 0 "$(rc $l-observe)"
	expect_match "$l observatory: guest finished" '^observe: done' "$OUT/$l-observe.out"
	# The exits that reach warden, exactly.
	expect_eq "$l observatory: PIO exits (K + 14 serial + 1 poweroff)" $((OBS_K + 15)) "$(json $j .reasons.io.count)"
	expect_eq "$l observatory: MMIO exits (M)" $OBS_M "$(json $j .reasons.mmio.count)"
	expect_absent "$l observatory: no HLT reaches warden (irqchip in KVM)" "$(json $j .reasons.hlt.count)"
	expect_eq "$l observatory: port 0x520 attributed, unclaimed" "$OBS_K (unclaimed)" \
		"$(json $j '.attribution.ports[] | select(.port=="0x520") | "\(.count) \(.device)"')"
	expect_eq "$l observatory: busiest port first" 0x520 "$(json $j '.attribution.ports[0].port')"
	expect_eq "$l observatory: serial port attributed to the UART" "14 serial" \
		"$(json $j '.attribution.ports[] | select(.port=="0x3f8") | "\(.count) \(.device)"')"
	expect_eq "$l observatory: MMIO address attributed" $OBS_M \
		"$(json $j '.attribution.mmio[] | select(.addr=="0xd0001000") | .count')"
	# The parts add up.
	expect_eq "$l observatory: total = sum of reasons" "$(json $j '[.reasons[].count] | add')" "$(json $j .total_exits)"
	expect_eq "$l observatory: device + unclaimed exits = PIO + MMIO exits" \
		"$(json $j '.reasons.io.count + .reasons.mmio.count')" \
		"$(json $j '([.devices[].count] | add) + .unclaimed_exits')"
	# The poweroff write is the last exit: it never returns into KVM_RUN.
	n=$((OBS_K + 15))
	expect_eq "$l observatory: PIO exits timed: run, decode, emulate, return" "$n $n $n $((n - 1))" \
		"$(json $j '.reasons.io.parts | "\(.run.count) \(.decode.count) \(.emulate.count) \(.return.count)"')"
	expect_eq "$l observatory: log2 buckets hold every MMIO exit" $OBS_M "$(json $j '[.reasons.mmio.log2[].count] | add')"
	n=$(json $j '.reasons.io.p99_ns'); sum=$(json $j '.reasons.io.max_ns')
	[ "$n" -gt 0 ] 2>/dev/null && [ "$n" -le "$sum" ] && pass "$l observatory: 0 < p99 <= max ($n <= $sum ns)" ||
		failed "$l observatory: p99 $n, max $sum"
	# The in-kernel half: KVM's own counters, wherever the host has them
	# (asked of KVM directly: HOST_STATS_FD from run.sh).
	if [[ $HOST_STATS_FD != no:* ]]; then
		expect_eq "$l observatory: KVM's binary statistics recorded (host: $HOST_STATS_FD)" object \
			"$(json $j '.kvm_stats | type')"
		expect_eq "$l observatory: KVM counted H halt exits" $OBS_H "$(json $j '.kvm_stats.vcpus[0].halt_exits')"
		n=$(json $j '.kvm_stats.vcpus[0].irq_injections')
		[ "$n" -ge $OBS_H ] 2>/dev/null && pass "$l observatory: KVM injected >= H timer interrupts ($n)" ||
			failed "$l observatory: KVM injected $n < $OBS_H interrupts"
		expect_eq "$l observatory: KVM saw the M MMIO exits" $OBS_M "$(json $j '.kvm_stats.vcpus[0].mmio_exits')"
		expect_eq "$l observatory: split from KVM's counters" kvm-stats "$(json $j .exits.source)"
		expect_eq "$l observatory: all exits = in KVM + by warden" "$(json $j .exits.total)" \
			"$(json $j '.exits.handled_in_kvm + .exits.handled_by_warden')"
		expect_eq "$l observatory: by warden = exits warden handled" "$(json $j .total_exits)" \
			"$(json $j .exits.handled_by_warden)"
		n=$(json $j .exits.handled_in_kvm)
		[ "$n" -ge $OBS_H ] 2>/dev/null && pass "$l observatory: >= H exits handled in KVM ($n)" ||
			failed "$l observatory: handled in KVM $n < $OBS_H"
		expect_eq "$l observatory: per-vCPU split = whole" "$(json $j .exits.total)" "$(json $j '[.per_vcpu[].exits.total] | add')"
	else
		skip "$l observatory: this host's KVM has no binary statistics (kvm-check-ext --stats-fd: $HOST_STATS_FD)"
		expect_eq "$l observatory: warden says why KVM's statistics are missing" string \
			"$(json $j '.kvm_stats_missing | type')"
	fi
	# --stats-trace: one line per interval, then the final figures; the
	# intervals add up to the totals.
	if jq -e . "$OUT/$l-observe.jsonl" >/dev/null 2>&1; then
		pass "$l observatory: every --stats-trace line is JSON"
	else
		failed "$l observatory: --stats-trace has a line that is not JSON"
	fi
	expect_eq "$l observatory: last line is the final report" final "$(tail -n 1 "$OUT/$l-observe.jsonl" | jq -r .type)"
	expect_eq "$l observatory: final line = --stats file" "$(json $j .total_exits)" \
		"$(tail -n 1 "$OUT/$l-observe.jsonl" | jq -r .stats.total_exits)"
	expect_eq "$l observatory: intervals add up to the PIO exits" $((OBS_K + 15)) \
		"$(jq -s '[.[] | select(.type=="interval") | .warden.io // 0] | add' "$OUT/$l-observe.jsonl")"
	if [[ $HOST_STATS_FD != no:* ]]; then
		expect_eq "$l observatory: intervals add up to KVM's exit count" "$(json $j '.kvm_stats.vcpus[0].exits')" \
			"$(jq -s '[.[] | select(.type=="interval") | .kvm.exits // 0] | add' "$OUT/$l-observe.jsonl")"
	fi
	n=$(grep -c '^warden live: .*s ' "$OUT/$l-observe.err")
	[ "$n" -ge 1 ] && pass "$l observatory: live table printed ($n lines)" || failed "$l observatory: no live table"
	expect_match "$l observatory: table names both halves" 'handled in KVM [0-9]+ .*handled by warden [0-9]+' "$OUT/$l-observe.err"

	# --exit-trace: where the host cannot give the trace (asked directly:
	# HOST_EXIT_TRACE from run.sh), warden says why and keeps the rest.
	run "$l-observe-trace" "$bin" --no-coalesced-pio --kernel $G/observe.elf --exit-trace
	j=$OUT/$l-observe-trace.json
	expect_eq "$l exit trace: the VM still runs" 0 "$(rc $l-observe-trace)"
	if [[ $HOST_EXIT_TRACE != no:* ]]; then
		expect_eq "$l exit trace: recorded (host: $HOST_EXIT_TRACE)" object "$(json $j '.exit_trace | type')"
		expect_eq "$l exit trace: CPUIDs seen" 400 "$(json $j '[.exit_trace.reasons[] | select(.code==114 or .code==10) | .count] | add')"
	else
		expect_match "$l exit trace: missing trace explained" 'exit trace: not recorded \(' "$OUT/$l-observe-trace.err"
		expect_eq "$l exit trace: JSON says why" string "$(json $j '.exit_trace_missing | type')"
		expect_eq "$l exit trace: PIO exits still exact" $((OBS_K + 15)) "$(json $j .reasons.io.count)"
	fi
}

obs_bad() { # NAME REGEX ARGS...: one line, status 2
	local name=$1 re=$2
	shift 2
	$B/warden run --kernel $G/observe.elf "$@" >"$OUT/obs-bad.out" 2>"$OUT/obs-bad.err" </dev/null
	local st=$?
	if [ $st -eq 2 ] && [ "$(wc -l <"$OUT/obs-bad.err")" -eq 1 ] && grep -Eq -- "$re" "$OUT/obs-bad.err"; then
		pass "observatory bad input: $name"
	else
		failed "observatory bad input: $name (status $st): $(head -c 300 "$OUT/obs-bad.err")"
	fi
}
