# virtio-rng: the guest reads 1 MiB from /dev/hwrng (sourced by l1-tests.sh).
case_run rng --rng --cmdline "$BASE warden.run=\"cat /sys/class/misc/hw_random/rng_current; dd if=/dev/hwrng bs=64k count=16 2>/dev/null | wc -c\""
# The same read under a rate limit (--rng=bw=: Firecracker's entropy
# rate_limiter): 16,384 bytes every 100 ms, so the 1 MiB takes at least
# (1,048,576 - 16,384) / 163,840 = 6.3 s, timed by the guest's uptime.
case_run rng_rate --rng=bw=16384/100 --cmdline "$BASE warden.run=\"echo t0=\$(cut -d' ' -f1 /proc/uptime); \
dd if=/dev/hwrng bs=64k count=16 2>/dev/null | wc -c; echo t1=\$(cut -d' ' -f1 /proc/uptime)\""
