# `warden lab batching` at a small size (sourced by run.sh): the exits of
# each way against what the built-in guest did, and the JSON's fields.
#   trap: exactly one exit to warden per port write (REPS * n per block),
#         and the device counted every write;
#   port: exactly one exit per batch (REPS per block);
#   fast: none where KVM says it has KVM_CAP_IOEVENTFD (asked without
#         warden, kvm-check-ext), one per batch where it has not.
# The checks first run on a doctored copy of the results, where each must
# fail, so none of them can pass by construction.
BT_REPS=3
BT_SIZES=1,2,4,8

# bt_json_checks FILE LABEL IOEVENTFD(true|false)
bt_json_checks() {
	local f=$1 l=$2 ioev=$3 why want
	why=$(json_file_error "$f")
	if [ -n "$why" ]; then
		failed "$l: nothing to check: $why"
		return
	fi
	expect_eq "$l: experiment" batching "$(json "$f" .experiment)"
	expect_eq "$l: the run finished, every hypercall answered WHC_OK" "true 0" \
		"$(json "$f" '"\(.ok) \(.measured.failures)"')"
	expect_eq "$l: trap: one exit per port write" "3 6 12 24" \
		"$(json "$f" '.measured.ways.trap.exits | map(tostring) | join(" ")')"
	expect_eq "$l: trap: the device counted every write" "3 6 12 24" \
		"$(json "$f" '.measured.ways.trap.trapped_writes | map(tostring) | join(" ")')"
	expect_eq "$l: port doorbell: one exit per batch" "3 3 3 3" \
		"$(json "$f" '.measured.ways.port.exits | map(tostring) | join(" ")')"
	[ "$ioev" = true ] && want="0 0 0 0" || want="3 3 3 3"
	expect_eq "$l: fast doorbell: exits as KVM_CAP_IOEVENTFD says ($ioev)" "$want" \
		"$(json "$f" '.measured.ways.fast.exits | map(tostring) | join(" ")')"
	# The fast doorbell's crossovers may be null: on a loaded host (seen
	# under ASan at load 8) the noise can put its fitted slope above the
	# trap's, and then the model has no n* (t_e <= 0) to give; the key
	# must still be there. The port doorbell's, an exit apart, must not.
	expect_eq "$l: JSON fields" "true true true true true true true true" \
		"$(json "$f" '[has("tier"), (.tier.name | type == "string"), has("model"), has("measured"),
			(.crossover_model.port | type == "number"),
			(.crossover_model | has("fast") and (.fast | type == "number" or type == "null")),
			(.crossover_measured.port | type == "number"),
			(.crossover_measured | has("fast") and (.fast | type == "number" or type == "null"))]
			| map(tostring) | join(" ")')"
	expect_eq "$l: the fit: t_e, t_p, t_h per doorbell" "true" \
		"$(json "$f" '[.model.port, .model.fast | .t_e_ns, .t_p_ns, .t_h_ns | type == "number"] | all')"
}

# bt_svg_checks SVG JSON LABEL: the plot holds, per way, a dot for each
# size measured, the measured line and the fitted one; a model n* marker
# and a measured-crossover ring per doorbell that has one.
bt_svg_checks() {
	local svg=$1 f=$2 l=$3 w n
	n=$(json "$f" '.measured.sizes | length')
	for w in trap port fast; do
		expect_eq "$l: SVG: $w: a dot per batch size measured" "$n" "$(svg_count "$svg" point $w)"
		expect_eq "$l: SVG: $w: the measured line and the fit" "1 1" \
			"$(svg_count "$svg" line $w) $(svg_count "$svg" line "$w fit")"
	done
	expect_eq "$l: SVG: the model's n* marked per doorbell" \
		"$(json "$f" '[.crossover_model[] | select(. != null)] | length')" "$(svg_count "$svg" class marker)"
	expect_eq "$l: SVG: the measured crossover marked per doorbell" \
		"$(json "$f" '[.crossover_measured[] | select(. != null)] | length')" "$(svg_count "$svg" class crossover)"
}

lab_batching_checks() { # BIN LABEL
	local bin=$1 l="$2 lab batching" name=$2-lab-bt ioev
	[[ $bin == */asan/* ]] && ASAN_RUNS+=("$name")
	timeout 120 "$bin" lab batching --reps $BT_REPS --sizes $BT_SIZES --json "$OUT/$name.json" \
		--svg "$OUT/$name.svg" >"$OUT/$name.out" 2>"$OUT/$name.err" </dev/null
	expect_eq "$l: exit status" 0 "$?"
	expect_match "$l: table with the model's n* next to the crossover" '^doorbell +model n\* = t_h/t_e +measured crossover' "$OUT/$name.out"
	if [ -x "$CK" ] && ioev=$("$CK" --vm 36 2>/dev/null); then
		[ "$ioev" -gt 0 ] && ioev=true || ioev=false
		expect_eq "$l: KVM_CAP_IOEVENTFD as KVM answers" "$ioev" "$(json "$OUT/$name.json" '.tier.capabilities.KVM_CAP_IOEVENTFD')"
		bt_json_checks "$OUT/$name.json" "$l" "$ioev"
		bt_svg_checks "$OUT/$name.svg" "$OUT/$name.json" "$l"
	else
		failed "$l: cannot ask KVM for KVM_CAP_IOEVENTFD"
	fi
}

# A doctored copy: a trap that missed an exit and a write, a port batch
# that exited twice, a fast doorbell that exited when it should not (and
# the other way round), a run that failed, no crossover.
lab_batching_can_fail() {
	local src=$OUT/release-lab-bt.json bad=$OUT/lab-bt-doctored.json n ioev
	if [ ! -s "$src" ]; then
		failed "lab batching: no results to doctor ($src)"
		return
	fi
	ioev=$(json "$src" .tier.capabilities.KVM_CAP_IOEVENTFD)
	jq '.measured.ways.trap.exits[1] -= 1 | .measured.ways.trap.trapped_writes[2] -= 1
		| .measured.ways.port.exits[0] *= 2 | .measured.ways.fast.exits[3] = 1
		| .ok = false | del(.crossover_measured.fast) | del(.model.port.t_h_ns)' "$src" >"$bad"
	n=$(PASSED=0 FAILED=0 SKIPPED=0; bt_json_checks "$bad" doctored "$ioev" >/dev/null; echo $FAILED)
	expect_eq "check can fail: the batching checks refuse doctored results" 7 "$n"
	# A plot with a dot, the fast fit and a crossover ring gone; one cut short.
	svg_doctor "$OUT/release-lab-bt.svg" "$OUT/lab-bt-doctored.svg" "s:circle[@class='point'][@data-series='port']"
	svg_doctor "$OUT/lab-bt-doctored.svg" "$OUT/lab-bt-doctored.svg" "s:polyline[@data-name='fast fit']"
	svg_doctor "$OUT/lab-bt-doctored.svg" "$OUT/lab-bt-doctored.svg" "s:circle[@class='crossover']"
	n=$(PASSED=0 FAILED=0 SKIPPED=0; bt_svg_checks "$OUT/lab-bt-doctored.svg" "$src" doctored >/dev/null; echo $FAILED)
	expect_eq "check can fail: the batching plot checks refuse a doctored plot" 3 "$n"
	head -c 600 "$OUT/release-lab-bt.svg" >"$OUT/lab-bt-cut.svg"
	if [[ $(svg_count "$OUT/lab-bt-cut.svg" point trap) == not-svg* ]]; then
		pass "check can fail: a plot cut short is not well-formed SVG"
	else
		failed "check can fail: a plot cut short passes as SVG"
	fi
}

lab_batching_bad_input() {
	lab_bad "batching --reps 0" 'reps needs a whole number from 1' batching --reps 0
	lab_bad "batching --sizes descending" 'sizes must ascend' batching --sizes 4,2
	lab_bad "batching --sizes one size (no fit)" 'at least 2 sizes' batching --sizes 4
	lab_bad "batching --sizes above the batch limit" 'from 1 to 256' batching --sizes 1,257
	lab_bad "batching unknown option" 'unknown option' batching --frobnicate
	lab_bad "batching --json unwritable" 'cannot write --json' batching --reps 1 --sizes 1,2 --json /nonexistent/dir/x.json
	lab_bad "batching --svg unwritable" 'cannot write --svg' batching --reps 1 --sizes 1,2 --svg /nonexistent/dir/x.svg
}
