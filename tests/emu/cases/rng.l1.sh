# virtio-rng: the guest reads 256 KiB from /dev/hwrng (sourced by
# l1-tests.sh): the hw_random core asks for a few dozen bytes a request, so
# each KiB is dozens of queue round trips (1 MiB took about 40 s of L1).
# The same machine without the CMOS RTC (--no-rtc): the guest registers no
# RTC and still knows the date (kvmclock's wall clock).
case_run rng --rng --no-rtc --cmdline "$BASE warden.run=\"cat /sys/class/misc/hw_random/rng_current; dd if=/dev/hwrng bs=64k count=4 2>/dev/null | wc -c; \
echo rtcs=\$(ls /sys/class/rtc); echo year=\$(date +%Y); echo rtc_lines=\$(dmesg | grep -vi 'command line' | grep -ci rtc)\""
# A read under a rate limit (--rng=bw=: Firecracker's entropy
# rate_limiter): 1,024 bytes every 100 ms, so 64 KiB take at least
# (65,536 - 1,024) / 10,240 = 6.3 s, timed by the guest's uptime.  The
# guest's own pace (64-byte requests) is 5 to 15 times that, so it waits
# even on a loaded host (at 16,384 bytes every 100 ms, an L1 slowed by
# other jobs was seen never to wait).
case_run rng_rate --rng=bw=1024/100 --cmdline "$BASE warden.run=\"echo t0=\$(cut -d' ' -f1 /proc/uptime); \
dd if=/dev/hwrng bs=64k count=1 2>/dev/null | wc -c; echo t1=\$(cut -d' ' -f1 /proc/uptime)\""
