# The CMOS RTC's alarm interrupt (IRQ 8), sourced by l1-tests.sh: Linux's
# rtc_cmos registers alarms (not "no alarms"), an alarm set 2 s ahead
# through /sys/class/rtc/rtc0/wakealarm fires (rtc0's line in
# /proc/interrupts counts it) and is consumed (wakealarm reads empty).
case_run rtc --cmdline "$BASE warden.run=\"dmesg | grep rtc_cmos; echo +2 >/sys/class/rtc/rtc0/wakealarm; echo set=\$(cat /sys/class/rtc/rtc0/wakealarm); sleep 4; grep rtc0 /proc/interrupts; echo after=\$(cat /sys/class/rtc/rtc0/wakealarm)\""
