# The RTC's clock thread (sourced by run.sh): a guest enables the
# update-ended interrupt and polls register C (guests/rtc_uie.S); warden's
# RTC must set UF (and IRQF) at the next host second.  Without the thread
# the guest polls forever and run()'s timeout ends it.
rtc_checks() { # BIN LABEL
	local bin=$1 l=$2
	run "$l-rtc-uie" "$bin" --kernel $G/rtc-uie.bin --kernel-format flat --test-exit-port 0xf4
	expect_eq "$l rtc: UIE on, register C shows IRQF|UF within a second (status 19)" 19 "$(rc $l-rtc-uie)"
	run "$l-rtc-none" "$bin" --kernel $G/rtc-uie.bin --kernel-format flat --test-exit-port 0xf4 --no-rtc
	expect_eq "$l rtc: --no-rtc, the guest reads all ones (status 31)" 31 "$(rc $l-rtc-none)"
	expect_eq "$l rtc: --no-rtc, no rtc device" false "$(json "$OUT/$l-rtc-none.json" '.devices | has("rtc")')"
	expect_eq "$l rtc: --no-rtc, the guest's RTC accesses are unclaimed exits (0x70 and 0x71)" 2 \
		"$(json "$OUT/$l-rtc-none.json" '[.unclaimed[] | select(.space == "pio" and (.addr == "0x70" or .addr == "0x71"))] | length')"
	run "$l-rtc-none-s3" "$bin" --kernel $G/rtc-uie.bin --kernel-format flat --no-rtc --acpi-s3
	expect_eq "$l rtc: --no-rtc with --acpi-s3 refused (status 2)" 2 "$(rc $l-rtc-none-s3)"
	expect_eq "$l rtc: ... in one line" 1 "$(wc -l <"$OUT/$l-rtc-none-s3.err")"
	expect_match "$l rtc: ... naming both" '^warden: --no-rtc cannot be used with --acpi-s3' "$OUT/$l-rtc-none-s3.err"
}
