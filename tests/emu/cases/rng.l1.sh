# virtio-rng: the guest reads 1 MiB from /dev/hwrng (sourced by l1-tests.sh).
case_run rng --rng --cmdline "$BASE warden.run=\"cat /sys/class/misc/hw_random/rng_current; dd if=/dev/hwrng bs=64k count=16 2>/dev/null | wc -c\""
