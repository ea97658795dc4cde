# virtio-rng checks (sourced by tests/emu/run.sh).
expect_eq "virtio-rng: guest boots and powers off" 0 "$(rc rng)"
expect_match "virtio-rng: the guest's hw_random uses it" '^virtio_rng' "$OUT/rng.out"
expect_eq "virtio-rng: the guest read 256 KiB from /dev/hwrng" 262144 "$(grep -E '^[0-9]+$' "$OUT/rng.out" | head -1)"
n=$(js rng '.device_work["virtio-rng"].bytes // 0')
[ "$n" -ge 262144 ] 2>/dev/null && pass "virtio-rng: device counted >= 256 KiB served ($n)" || failed "virtio-rng: bytes served $n"
expect_eq "virtio-rng: no guest errors" 0 "$(js rng '.device_work["virtio-rng"].errors')"
# The same run had --no-rtc: no RTC in the guest, none of its port exits,
# and the date from kvmclock (L1's clock, set from this host's).
L="--no-rtc"
expect_match "$L: the guest registered no RTC" '^rtcs=$' "$OUT/rng.out"
expect_match "$L: the guest's kernel log says nothing of an RTC" '^rtc_lines=0$' "$OUT/rng.out"
y=$(sed -n 's/^year=\([0-9]*\)$/\1/p' "$OUT/rng.out" | head -1)
[ "${y:-0}" -ge $(($(date +%Y) - 1)) ] 2>/dev/null && [ "$y" -le "$(date +%Y)" ] &&
	pass "$L: the guest knows the year ($y)" || failed "$L: the guest's year is '$y', this host's $(date +%Y)"
expect_eq "$L: warden has no RTC device" false "$(js rng '.devices | has("rtc")')"
expect_eq "$L: no exit at the RTC's ports (0x70, 0x71)" 0 \
	"$(js rng '[.unclaimed[] | select(.space == "pio" and (.addr == "0x70" or .addr == "0x71"))] | length')"
L="virtio-rng rate limit"
expect_eq "$L: guest boots and powers off" 0 "$(rc rng_rate)"
expect_eq "$L: the guest still read 64 KiB" 65536 "$(grep -E '^[0-9]+$' "$OUT/rng_rate.out" | head -1)"
t=$(awk -F= '/^t0=/ { a = $2 } /^t1=/ { b = $2 } END { if (a != "" && b != "") printf "%d", (b - a) * 1000; else print -1 }' \
	"$OUT/rng_rate.out")
[ "$t" -ge 6300 ] 2>/dev/null && pass "$L: the read took $t ms, at least the limit's 6300" ||
	failed "$L: the read took $t ms, less than the limit allows (6300)"
n=$(js rng_rate '.device_work["virtio-rng"].throttled // 0')
[ "$n" -gt 0 ] 2>/dev/null && pass "$L: requests made to wait are counted ($n)" || failed "$L: throttled $n"
