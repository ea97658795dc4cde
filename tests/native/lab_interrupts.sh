# `warden lab interrupts` at a small size (sourced by run.sh): each way
# measured or skipped as KVM says when asked without warden
# (kvm-check-ext), and exact where exact:
#   every injected interrupt delivered exactly once (the guest's count,
#     after a settle, equals what warden injected) on each way;
#   no exit to warden while the interrupts flow (KVM's interrupt
#     controller, a guest idling in HLT);
#   irqfd where KVM has KVM_CAP_IRQFD, MSI where it has
#     KVM_CAP_SIGNAL_MSI, else skipped naming the capability; KVM_IRQ_LINE
#     always;
#   KVM's exit counts present exactly where the host has binary stats;
#   the host's AVIC/APICv parameters as /sys/module says;
#   the plot: the latency quantiles of each way measured.
# The checks first run on a doctored copy of the results, where each must
# fail, so none of them can pass by construction.
IR_COUNT=100

# ir_param MODULE PARAM: the module parameter's value, or "null".
ir_param() {
	local f=/sys/module/$1/parameters/$2
	if [ -r "$f" ]; then printf '"%s"' "$(tr -d ' \n' <"$f")"; else echo null; fi
}

# ir_json_checks FILE LABEL IRQFD(1|0) MSI(1|0) STATS(1|0)
ir_json_checks() {
	local f=$1 l=$2 irqfd=$3 msi=$4 stats=$5 why way want
	why=$(json_file_error "$f")
	if [ -n "$why" ]; then
		failed "$l: nothing to check: $why"
		return
	fi
	expect_eq "$l: experiment" interrupts "$(json "$f" .experiment)"
	expect_eq "$l: JSON fields" "true true true true true true" \
		"$(json "$f" '[has("date"), (.tier.name | type == "string"), (.model.kvm_exits_per_interrupt | type == "number"),
			has("measured"), has("avic_apicv_would_remove_per_interrupt"), .ok] | map(tostring) | join(" ")')"
	for way in irqfd irq-line msi; do
		want=1
		[ $way = irqfd ] && want=$irqfd
		[ $way = msi ] && want=$msi
		if [ "$want" = 0 ]; then
			expect_eq "$l: $way: skipped, naming the capability KVM lacks" "skipped true" \
				"$(json "$f" ".measured[\"$way\"] | \"\\(.status) \\(.reason | test(\"KVM_CAP_\"))\"")"
			continue
		fi
		expect_eq "$l: $way: each of $IR_COUNT interrupts delivered exactly once" "measured $IR_COUNT $IR_COUNT" \
			"$(json "$f" ".measured[\"$way\"] | \"\\(.status) \\(.injected) \\(.delivered)\"")"
		expect_eq "$l: $way: no exit to warden" 0 "$(json "$f" ".measured[\"$way\"].exits_to_warden")"
		expect_eq "$l: $way: latency measured" "number number" \
			"$(json "$f" ".measured[\"$way\"] | \"\\(.round_trip_ns.median | type) \\(.warden_cpu_ns_per_interrupt | type)\"")"
		[ "$stats" = 1 ] && want=object || want=null
		expect_eq "$l: $way: KVM's exit counts where the host has binary stats" $want \
			"$(json "$f" ".measured[\"$way\"].kvm_exits | type")"
	done
	expect_eq "$l: AVIC and APICv as /sys/module says" \
		"$(ir_param kvm_amd avic) $(ir_param kvm_intel enable_apicv)" \
		"$(json "$f" '.tier.interrupt_virtualisation | "\(.["kvm_amd.avic"] | tojson) \(.["kvm_intel.enable_apicv"] | tojson)"')"
}

# ir_svg_checks SVG JSON LABEL: three dots (min, median, p99) of each
# measured way's round trip, none for a way that did not run.
ir_svg_checks() {
	local svg=$1 f=$2 l=$3 way want
	for way in irqfd irq-line msi; do
		want=$(json "$f" ".measured[\"$way\"].status | if . == \"measured\" then 3 else 0 end")
		expect_eq "$l: SVG: $way: round-trip quantiles" "$want" "$(svg_count "$svg" point "$way round trip")"
	done
}

lab_interrupts_checks() { # BIN LABEL
	local bin=$1 l="$2 lab interrupts" name=$2-lab-ir irqfd msi stats
	[[ $bin == */asan/* ]] && ASAN_RUNS+=("$name")
	timeout 120 "$bin" lab interrupts --count $IR_COUNT --json "$OUT/$name.json" --svg "$OUT/$name.svg" \
		>"$OUT/$name.out" 2>"$OUT/$name.err" </dev/null
	expect_eq "$l: exit status" 0 "$?"
	expect_match "$l: table with the model's exits next to KVM's" '^way +delivered +rtt med .* model +KVM/i' "$OUT/$name.out"
	if [ -x "$CK" ] && irqfd=$("$CK" --vm 32 2>/dev/null) && msi=$("$CK" --vm 77 2>/dev/null) &&
		stats=$("$CK" --stats-fd 2>/dev/null); then
		[ "$irqfd" -gt 0 ] && irqfd=1 || irqfd=0
		[ "$msi" -gt 0 ] && msi=1 || msi=0
		[ "$stats" = yes ] && stats=1 || stats=0
		ir_json_checks "$OUT/$name.json" "$l" $irqfd $msi $stats
		ir_svg_checks "$OUT/$name.svg" "$OUT/$name.json" "$l"
	else
		failed "$l: cannot ask KVM for KVM_CAP_IRQFD, KVM_CAP_SIGNAL_MSI and binary stats"
	fi
}

# A host without KVM_CAP_IRQFD and KVM_CAP_SIGNAL_MSI (hidden by the
# shim that makes KVM_CHECK_EXTENSION answer 0): those ways skipped,
# naming the capability; KVM_IRQ_LINE still measured; status 0.
lab_interrupts_nocaps() {
	local name=lab-ir-nocaps stats
	if [ ! -f "$B/tests/fake-kvm-caps.so" ]; then
		failed "lab interrupts without capabilities: $B/tests/fake-kvm-caps.so is missing"
		return
	fi
	WARDEN_FAKE_NO_CAPS=32,77 LD_PRELOAD=$B/tests/fake-kvm-caps.so timeout 120 $B/warden lab interrupts \
		--count 20 --json "$OUT/$name.json" >"$OUT/$name.out" 2>"$OUT/$name.err" </dev/null
	expect_eq "lab interrupts without KVM_CAP_IRQFD, KVM_CAP_SIGNAL_MSI: exit status" 0 "$?"
	[ "$(json "$OUT/$name.json" '.measured["irq-line"].kvm_exits | type')" = object ] && stats=1 || stats=0
	IR_COUNT=20 ir_json_checks "$OUT/$name.json" "lab interrupts without KVM_CAP_IRQFD, KVM_CAP_SIGNAL_MSI" 0 0 $stats
}

# A doctored copy: an interrupt delivered twice on irqfd, one lost on
# KVM_IRQ_LINE, an exit to warden on MSI, no KVM counts, AVIC claimed,
# a field gone; a plot without a quantile.
lab_interrupts_can_fail() {
	local src=$OUT/release-lab-ir.json bad=$OUT/lab-ir-doctored.json n stats
	if [ ! -s "$src" ]; then
		failed "lab interrupts: no results to doctor ($src)"
		return
	fi
	[ "$(json "$src" '.measured["irq-line"].kvm_exits | type')" = object ] && stats=1 || stats=0
	jq '.measured.irqfd.delivered += 1 | .measured["irq-line"].delivered -= 1
		| .measured.msi.exits_to_warden = 1 | .measured.msi.kvm_exits = null
		| .tier.interrupt_virtualisation["kvm_amd.avic"] = "doctored" | del(.avic_apicv_would_remove_per_interrupt)' \
		"$src" >"$bad"
	n=$(PASSED=0 FAILED=0 SKIPPED=0; ir_json_checks "$bad" doctored 1 1 $stats >/dev/null; echo $FAILED)
	expect_eq "check can fail: the interrupts checks refuse doctored results" 6 "$n"
	svg_doctor "$OUT/release-lab-ir.svg" "$OUT/lab-ir-doctored.svg" "s:circle[@data-series='irq-line round trip']"
	n=$(PASSED=0 FAILED=0 SKIPPED=0; ir_svg_checks "$OUT/lab-ir-doctored.svg" "$src" doctored >/dev/null; echo $FAILED)
	expect_eq "check can fail: the interrupts plot checks refuse a doctored plot" 1 "$n"
}

lab_interrupts_bad_input() {
	lab_bad "interrupts --count 0" 'count needs a whole number from 10' interrupts --count 0
	lab_bad "interrupts unknown option" 'unknown option' interrupts --frobnicate
	lab_bad "interrupts --json unwritable" 'cannot write --json' interrupts --count 10 --json /nonexistent/dir/x.json
	lab_bad "interrupts --svg unwritable" 'cannot write --svg' interrupts --count 10 --svg /nonexistent/dir/x.svg
}
