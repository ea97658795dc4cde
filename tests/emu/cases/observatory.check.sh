# Exit observatory checks (sourced by tests/emu/run.sh).

# hist_sum CASE [COMM-REGEX]: hitcounts of a hist table, optionally only
# the threads whose name matches.
hist_sum() {
	awk -v re="${2:-.}" '/hitcount:/ && $0 ~ re { for (i = 1; i <= NF; i++) if ($i == "hitcount:") s += $(i + 1) }
		END { print s + 0 }' "$OUT/$1.hist"
}
# hist_reason CASE CODE: hitcount for one exit_reason code.
hist_reason() {
	awk -v c="$2" '/exit_reason:/ { gsub(/[{}]/, ""); for (i = 1; i <= NF; i++) if ($i == "exit_reason:" && $(i + 1) == c)
		for (k = i; k <= NF; k++) if ($k == "hitcount:") s += $(k + 1) } END { print s + 0 }' "$OUT/$1.hist"
}
# within PCT A B: |A - B| <= PCT% of B
within() {
	awk -v p="$1" -v a="$2" -v b="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(b > 0 && d <= b * p / 100) }'
}

# --- the default guest, in-kernel half from KVM's binary stats ---
grep -v '^$' "$OUT/obs_boot.jsonl.b64" 2>/dev/null | base64 -d | gunzip >"$OUT/obs_boot.jsonl" 2>/dev/null ||
	failed "observatory: the --stats-trace file did not come back intact from L1"
expect_eq "observatory: default guest boots with --stats-trace" 0 "$(rc obs_boot)"
expect_eq "observatory: split from KVM's binary stats" kvm-stats "$(js obs_boot .exits.source)"
expect_eq "observatory: all exits = in KVM + by warden" "$(js obs_boot .exits.total)" \
	"$(js obs_boot '.exits.handled_in_kvm + .exits.handled_by_warden')"
expect_eq "observatory: exits reaching warden = sum of reasons" "$(js obs_boot '[.reasons[].count] | add')" \
	"$(js obs_boot .total_exits)"
expect_eq "observatory: by warden = reasons other than signals" \
	"$(js obs_boot '[.reasons | to_entries[] | select(.key != "signal" and .key != "ap_wakeup") | .value.count] | add')" \
	"$(js obs_boot .exits.handled_by_warden)"
expect_eq "observatory: devices + unclaimed = PIO + MMIO exits" \
	"$(js obs_boot '(.reasons.io.count // 0) + (.reasons.mmio.count // 0)')" \
	"$(js obs_boot '([.devices[].count] | add) + .unclaimed_exits')"
expect_eq "observatory: per-vCPU totals add up" "$(js obs_boot .exits.total)" "$(js obs_boot '[.per_vcpu[].exits.total] | add')"
hw=$(hist_sum obs_boot 'vcpu[0-9]')
ours=$(js obs_boot .exits.total)
if within 2 "$ours" "$hw"; then
	pass "observatory: total exits $ours within 2% of kvm:kvm_exit for warden's vCPU threads ($hw)"
else
	failed "observatory: total exits $ours vs kvm:kvm_exit for warden's threads $hw (more than 2% apart)"
fi
if jq -e . "$OUT/obs_boot.jsonl" >/dev/null 2>&1 && [ "$(tail -n 1 "$OUT/obs_boot.jsonl" | jq -r .type)" = final ]; then
	pass "observatory: --stats-trace is JSON lines ending with the final report"
else
	failed "observatory: --stats-trace is not JSON lines ending with a final line"
fi
expect_eq "observatory: intervals add up to KVM's exits" "$(js obs_boot .exits.total)" \
	"$(jq -s '[.[] | select(.type=="interval") | .kvm.exits // 0] | add' "$OUT/obs_boot.jsonl")"
n=$(grep -c '^warden live: .*s ' "$OUT/obs_boot.err")
[ "$n" -ge 3 ] && pass "observatory: live table every 0.5 s ($n lines)" || failed "observatory: live table lines: $n"
# The page renders from a real run (the report tier checks it in Chromium).
if [ -x build/warden ]; then
	build/warden report "$OUT/obs_boot.jsonl" -o "$OUT/obs_boot.html" 2>"$OUT/obs_boot.report.err"
	expect_eq "observatory: warden report renders the L1 run" 0 "$?"
	expect_match "observatory: the page has the exit-rate timeline" 'id="timeline"' "$OUT/obs_boot.html"
fi

# --- precise mode ---
expect_eq "exit trace: default guest boots (2 vCPUs)" 0 "$(rc obs_trace)"
expect_eq "exit trace: split from the trace" exit-trace "$(js obs_trace .exits.source)"
expect_eq "exit trace: no samples lost" 0 "$(js obs_trace .exit_trace.lost)"
expect_eq "exit trace: reasons add up to the total" "$(js obs_trace .exits.total)" \
	"$(js obs_trace '[.exit_trace.reasons[].count] | add')"
expect_eq "exit trace: in KVM + to warden per reason" "$(js obs_trace .exits.total)" \
	"$(js obs_trace '[.exit_trace.reasons[] | .in_kvm + .to_warden] | add')"
hw=$(hist_sum obs_trace)
ours=$(js obs_trace .exits.total)
within 2 "$ours" "$hw" && pass "exit trace: total $ours within 2% of kvm:kvm_exit ($hw)" ||
	failed "exit trace: total $ours vs kvm:kvm_exit $hw"
bad=0
for code in $(js obs_trace '.exit_trace.reasons[] | select(.count >= 100) | .code'); do
	a=$(js obs_trace ".exit_trace.reasons[] | select(.code == $code) | .count")
	b=$(hist_reason obs_trace "$code")
	within 2 "$a" "$b" || { bad=1; failed "exit trace: reason $code: $a vs kvm:kvm_exit $b"; }
done
n=$(js obs_trace '[.exit_trace.reasons[] | select(.count >= 100)] | length')
[ $bad = 0 ] && [ "$n" -ge 3 ] && pass "exit trace: each of $n busy reasons within 2% of kvm:kvm_exit keyed by exit_reason" ||
	{ [ $bad = 0 ] && failed "exit trace: only $n busy reasons"; }
expect_eq "exit trace: names SVM exits" "CPUID NPF" "$(js obs_trace '[.exit_trace.reasons | keys[] | select(. == "NPF" or . == "CPUID")] | join(" ")')"
n=$(js obs_trace '.exit_trace.reasons.CPUID.in_kvm')
[ "$n" -gt 0 ] 2>/dev/null && pass "exit trace: CPUIDs handled in KVM ($n)" || failed "exit trace: CPUID in KVM: $n"
n=$(js obs_trace '.exit_trace.reasons.IOIO.to_warden')
[ "$n" -gt 0 ] 2>/dev/null && pass "exit trace: IOIO exits reach warden ($n)" || failed "exit trace: IOIO to warden: $n"
n=$(js obs_trace '.exit_trace.reasons.CPUID.latency.p50_ns')
[ "$n" -gt 0 ] 2>/dev/null && pass "exit trace: in-KVM latency measured (CPUID p50 $n ns)" || failed "exit trace: CPUID latency $n"
n=$(js obs_trace '.attribution.msrs | length')
[ "$n" -ge 1 ] 2>/dev/null && pass "exit trace: MSRs attributed ($n)" || failed "exit trace: no MSR attribution"

# --- the counting guest under SVM ---
# Run in L1 when the host had the guest to give it (not when the case
# happened to leave output).
if [ -f "$GUESTS/observe.elf" ]; then
	expect_eq "observe guest: runs under SVM" 0 "$(rc obs_guest)"
	expect_eq "observe guest: CPUID exits (C, in KVM)" "400 400" "$(js obs_guest '.exit_trace.reasons.CPUID | "\(.count) \(.in_kvm)"')"
	expect_eq "observe guest: HLT exits (H, in KVM)" "50 50" "$(js obs_guest '.exit_trace.reasons.HLT | "\(.count) \(.in_kvm)"')"
	expect_eq "observe guest: IOIO exits (K + 15, to warden)" "715 715" "$(js obs_guest '.exit_trace.reasons.IOIO | "\(.count) \(.to_warden)"')"
	expect_eq "observe guest: NPF exits to warden (M MMIO reads)" 300 "$(js obs_guest '.exit_trace.reasons.NPF.to_warden')"
	# Coalesced PIO under SVM: the 14 UART writes are exits all the same,
	# handled in KVM instead of warden, where L1's KVM offers the ring.
	osys() { sed -n "s/^$1=//p" "$OUT/obs.sys" 2>/dev/null; }
	cp=$(osys coalesced_pio) cm=$(osys coalesced_mmio)
	if [ -z "$cp" ] || [ -z "$cm" ]; then
		failed "observe guest, coalesced: L1's KVM was not asked (no /extra/kvm-check-ext)"
	elif [ "$cp" -gt 0 ] 2>/dev/null && [ "$cm" -gt 0 ]; then
		expect_eq "observe guest, coalesced: IOIO exits (K + 15), 14 of them handled in KVM" "715 701 14" \
			"$(js obs_guest_coal '"\(.exit_trace.reasons.IOIO.count) \(.exit_trace.reasons.IOIO.to_warden) \(.coalesced_writes.serial)"')"
	else
		expect_eq "observe guest, coalesced: L1's KVM has no coalesced PIO, every write to warden" "715 715 0" \
			"$(js obs_guest_coal '"\(.exit_trace.reasons.IOIO.count) \(.exit_trace.reasons.IOIO.to_warden) \(.coalesced_writes.serial)"')"
	fi
	# One EOI per interrupt taken: at least H (a tick can also land between
	# the handler's iretq and the cli), at most what KVM injected (it counts
	# re-injections too).  Besides EOIs the guest touches exactly 7 MSRs.
	eoi=$(js obs_guest '.attribution.msrs[] | select(.msr == "0x80b") | .count')
	inj=$(js obs_guest '.kvm_stats.vcpus[0].irq_injections')
	[ "$eoi" -ge 50 ] 2>/dev/null && [ "$eoi" -le "$inj" ] && pass "observe guest: H <= EOIs ($eoi) <= KVM's injections ($inj)" ||
		failed "observe guest: EOIs $eoi, injections $inj"
	expect_eq "observe guest: MSR accesses besides EOIs" 7 "$(js obs_guest '[.attribution.msrs[] | select(.msr != "0x80b") | .count] | add')"
	expect_eq "observe guest: the APIC set-up MSRs" "0x1b:1/1 0x80f:0/1 0x832:0/1 0x838:0/2 0x83e:0/1" \
		"$(js obs_guest '[.attribution.msrs[] | select(.msr != "0x80b") | "\(.msr):\(.reads)/\(.writes)"] | sort | join(" ")')"
	expect_eq "observe guest: warden's PIO exits" 715 "$(js obs_guest .reasons.io.count)"
	expect_eq "observe guest: KVM's halt counter" 50 "$(js obs_guest '.kvm_stats.vcpus[0].halt_exits')"
	expect_eq "observe guest: CPUIDs agree with kvm:kvm_exit" "$(hist_reason obs_guest 114)" \
		"$(js obs_guest '.exit_trace.reasons.CPUID.count')"
else
	skip "no $GUESTS/observe.elf (make native-guests builds it): the counting guest was not run under SVM"
fi
