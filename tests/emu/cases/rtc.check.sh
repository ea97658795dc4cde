# RTC alarm checks (sourced by tests/emu/run.sh).
expect_eq "rtc: guest boots and powers off" 0 "$(rc rtc)"
expect_match "rtc: rtc_cmos registers alarms" 'rtc_cmos .*alarms up to' "$OUT/rtc.out"
if grep -q 'rtc_cmos.*no alarms' "$OUT/rtc.out"; then
	failed "rtc: rtc_cmos says no alarms"
else
	pass "rtc: rtc_cmos does not say no alarms"
fi
expect_match "rtc: the alarm was set" '^set=[0-9]+' "$OUT/rtc.out"
n=$(awk '/^ *[0-9]+:.*rtc0$/ { s = 0; for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i; print s; exit }' "$OUT/rtc.out")
[ "${n:-0}" -ge 1 ] 2>/dev/null && pass "rtc: the alarm interrupt reached the guest ($n on rtc0)" ||
	failed "rtc: no rtc0 interrupt in the guest's /proc/interrupts ('$n')"
# Consumed: set before (a time), empty after; an alarm that was never set
# would read empty too.
if grep -Eq '^set=[0-9]+' "$OUT/rtc.out" && grep -q '^after=$' "$OUT/rtc.out"; then
	pass "rtc: the alarm fired and was consumed (wakealarm set, then empty)"
else
	failed "rtc: wakealarm not set then consumed: $(grep -E '^(set|after)=' "$OUT/rtc.out" | tr '\n' ' ')"
fi
