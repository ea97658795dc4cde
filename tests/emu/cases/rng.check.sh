# virtio-rng checks (sourced by tests/emu/run.sh).
expect_eq "virtio-rng: guest boots and powers off" 0 "$(rc rng)"
expect_match "virtio-rng: the guest's hw_random uses it" '^virtio_rng' "$OUT/rng.out"
expect_eq "virtio-rng: the guest read 256 KiB from /dev/hwrng" 262144 "$(grep -E '^[0-9]+$' "$OUT/rng.out" | head -1)"
n=$(js rng '.device_work["virtio-rng"].bytes // 0')
[ "$n" -ge 262144 ] 2>/dev/null && pass "virtio-rng: device counted >= 256 KiB served ($n)" || failed "virtio-rng: bytes served $n"
expect_eq "virtio-rng: no guest errors" 0 "$(js rng '.device_work["virtio-rng"].errors')"
L="virtio-rng rate limit"
expect_eq "$L: guest boots and powers off" 0 "$(rc rng_rate)"
expect_eq "$L: the guest still read 64 KiB" 65536 "$(grep -E '^[0-9]+$' "$OUT/rng_rate.out" | head -1)"
t=$(awk -F= '/^t0=/ { a = $2 } /^t1=/ { b = $2 } END { if (a != "" && b != "") printf "%d", (b - a) * 1000; else print -1 }' \
	"$OUT/rng_rate.out")
[ "$t" -ge 6300 ] 2>/dev/null && pass "$L: the read took $t ms, at least the limit's 6300" ||
	failed "$L: the read took $t ms, less than the limit allows (6300)"
n=$(js rng_rate '.device_work["virtio-rng"].throttled // 0')
[ "$n" -gt 0 ] 2>/dev/null && pass "$L: requests made to wait are counted ($n)" || failed "$L: throttled $n"
