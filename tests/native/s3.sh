# --acpi-s3 (sourced by run.sh): guests/s3_resume.S finds the FACS through
# the FADT, leaves a real-mode waking vector in it, sets RTC_EN, arms the
# RTC alarm after an update (UIP up, then down) for the second after next
# and writes SLP_TYP=1|SLP_EN to PM1a_CNT.  warden must park the vCPUs and
# resume vCPU 0 in real mode at the vector when the alarm fires about two
# seconds later, with WAK_STS
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
	# The guest saw a second begin, then slept until the alarm two
	# seconds on: the run cannot be shorter than those two seconds.
	if [ "$(rc $l-s3)" = 129 ] && [ "$ms" -ge 1900 ]; then
		pass "$l s3: the RTC alarm woke it (${ms} ms from start, at least 1900)"
	else
		failed "$l s3: woke after ${ms} ms (status $(rc $l-s3)), not by the alarm two seconds later"
	fi
	expect_match "$l s3: warden says it suspended" 'acpi-pm: suspended to S3' "$OUT/$l-s3.err"
	expect_match "$l s3: and where it resumed" 'resume from S3 at 0100:0000' "$OUT/$l-s3.err"
	# S5 through the same PM1a_CNT: a power off (status 0).
	run "$l-s3-s5" "$bin" --acpi-s3 --kernel $G/s3-s5.elf --test-exit-port 0xf4
	expect_eq "$l s3: SLP_TYP=5|SLP_EN in PM1a_CNT powers off (status 0)" 0 "$(rc $l-s3-s5)"
	s3_signal_check "$bin" "$l"
	# Without --acpi-s3 the FADT stays hardware-reduced: no FACS (0x41).
	run "$l-s3-off" "$bin" --kernel $G/s3-resume.elf --test-exit-port 0xf4
	expect_eq "$l s3: without --acpi-s3 the guest finds no FACS (status 131)" 131 "$(rc $l-s3-off)"
}

# A suspended VM still ends on a signal: the guest sleeps with RTC_EN
# clear (nothing wakes it); SIGTERM with --shutdown-timeout 0 must stop
# the parked vCPUs (status 7) within the 5 s vm_stop allows.
s3_signal_check() { # BIN LABEL
	local bin=$1 l=$2 n="$2-s3-sigterm" pid i t0 t1
	[[ $bin == */asan/* ]] && ASAN_RUNS+=("$n")
	"$bin" run --mem 16 --acpi-s3 --cpus 2 --kernel $G/s3-no-wake.elf --test-exit-port 0xf4 \
		--shutdown-timeout 0 --verbose --stats "$OUT/$n.json" >"$OUT/$n.out" 2>"$OUT/$n.err" </dev/null &
	pid=$!
	for i in $(seq 100); do
		grep -q 'suspended to S3' "$OUT/$n.err" && break
		sleep 0.1
	done
	sleep 0.3
	t0=$(date +%s%N)
	kill -TERM $pid
	( sleep 20; kill -KILL $pid ) >/dev/null 2>&1 &
	wait $pid
	echo $? >"$OUT/$n.rc"
	t1=$(date +%s%N)
	expect_match "$l s3: the no-wake guest suspended" 'acpi-pm: suspended to S3' "$OUT/$n.err"
	expect_eq "$l s3: SIGTERM stops a suspended VM (status 7)" 7 "$(rc $n)"
	if [ $(( (t1 - t0) / 1000000 )) -lt 3000 ]; then
		pass "$l s3: ... within 3 s ($(( (t1 - t0) / 1000000 )) ms)"
	else
		failed "$l s3: a suspended VM took $(( (t1 - t0) / 1000000 )) ms to stop"
	fi
}
