# The advice's saving in time (sourced by run.sh): `warden run
# --advice-costs FILE` prices each advised source with the rows of a
# `warden bench exits --json` FILE measured on this host; the saving must
# be the advised exits times (the exit's row - the replacement's row), as
# recomputed here from the file itself, and missing without the file.
advice_costs_checks() { # BIN
	local bin=$1 c=$OUT/advice-costs.json j want
	timeout 120 "$bin" bench exits --rows loop,pio-warden --rounds 1 --iterations 200 --json "$c" \
		>"$OUT/advice-costs.out" 2>&1 </dev/null
	expect_eq "advice costs: the two rows measured" "measured measured" \
		"$(json "$c" '[.rows[] | select(.name == "loop" or .name == "pio-warden") | .status] | join(" ")')"
	run advice-virtio "$bin" --rng --transport mmio --no-coalesced-pio --kernel $G/virtio-hostile.elf --advice-costs "$c"
	j=$OUT/advice-virtio.json
	expect_eq "advice costs: guest ran" 0 "$(rc advice-virtio)"
	expect_eq "advice costs: the serial console (every byte an exit) priced by its rows" \
		"serial console (COM1) pio-warden loop" \
		"$(json $j '.advice[0] | "\(.source) \(.saving.exit_row) \(.saving.instead_row)"')"
	want=$(jq -r --slurpfile c "$c" '.advice[0].exits as $n
		| ($c[0].rows[] | select(.name == "pio-warden") | .guest.ns.median) as $e
		| ($c[0].rows[] | select(.name == "loop") | .guest.ns.median) as $l
		| $n * (if $e > $l then $e - $l else 0 end) | floor' "$j" 2>/dev/null)
	expect_eq "advice costs: saving = exits x (exit row - loop row), from the file" "$want" \
		"$(json $j '.advice[0].saving.ns | floor')"
	expect_match "advice costs: the saving in the exit table" \
		'saving measured on this host: [0-9]+ x .* pio-warden - loop' "$OUT/advice-virtio.err"
	run advice-virtio-none "$bin" --rng --transport mmio --no-coalesced-pio --kernel $G/virtio-hostile.elf
	expect_eq "advice without --advice-costs: no saving claimed" "serial console (COM1) null" \
		"$(json $OUT/advice-virtio-none.json '.advice[0] | "\(.source) \(.saving)"')"
	expect_match "advice without --advice-costs: says how to get the saving" \
		'then --advice-costs F' "$OUT/advice-virtio-none.err"
}

advice_costs_bad() {
	bad "--advice-costs: missing file" '^warden: --advice-costs /nonexistent/b.json: cannot read it' \
		run --kernel $G/long64.elf --advice-costs /nonexistent/b.json
	bad "--advice-costs: not bench exits JSON" 'not the JSON of `warden bench exits --json`' \
		run --kernel $G/long64.elf --advice-costs "$OUT/release-long64.json"
}
