# --acpi-s3 (sourced by run.sh): guests/s3_resume.S finds the FACS through
# the FADT, leaves a real-mode waking vector in it, sets RTC_EN, arms the
# RTC alarm after an update (UIP up, then down) and writes SLP_TYP=1|SLP_EN
# to PM1a_CNT.  warden must park the vCPUs and resume vCPU 0 in real mode
# at the vector when the alarm fires about a second later, with WAK_STS
# and RTC_STS set, the sleeping code never run on and the RTC's seconds
# moved on: status 129.
s3_checks() { # BIN LABEL
	local bin=$1 l=$2 t0 t1 ms
	t0=$(date +%s%N)
	run "$l-s3" "$bin" --acpi-s3 --cpus 2 --kernel $G/s3-resume.elf --test-exit-port 0xf4 --verbose
	t1=$(date +%s%N)
	ms=$(( (t1 - t0) / 1000000 ))
	expect_eq "$l s3: resumed in real mode at the FACS waking vector, WAK_STS|RTC_STS set, the sleeping code stopped (status 129)" \
		129 "$(rc $l-s3)"
	# The guest saw a second begin, then slept until the alarm at the
	# next one: the run cannot be shorter than that second.
	if [ "$(rc $l-s3)" = 129 ] && [ "$ms" -ge 900 ]; then
		pass "$l s3: the RTC alarm woke it (${ms} ms from start, at least 900)"
	else
		failed "$l s3: woke after ${ms} ms (status $(rc $l-s3)), not by the alarm a second later"
	fi
	expect_match "$l s3: warden says it suspended" 'acpi-pm: suspended to S3' "$OUT/$l-s3.err"
	expect_match "$l s3: and where it resumed" 'resume from S3 at 0100:0000' "$OUT/$l-s3.err"
	# S5 through the same PM1a_CNT: a power off (status 0).
	run "$l-s3-s5" "$bin" --acpi-s3 --kernel $G/s3-s5.elf --test-exit-port 0xf4
	expect_eq "$l s3: SLP_TYP=5|SLP_EN in PM1a_CNT powers off (status 0)" 0 "$(rc $l-s3-s5)"
	# Without --acpi-s3 the FADT stays hardware-reduced: no FACS (0x41).
	run "$l-s3-off" "$bin" --kernel $G/s3-resume.elf --test-exit-port 0xf4
	expect_eq "$l s3: without --acpi-s3 the guest finds no FACS (status 131)" 131 "$(rc $l-s3-off)"
}
