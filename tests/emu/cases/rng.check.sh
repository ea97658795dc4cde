# virtio-rng checks (sourced by tests/emu/run.sh).
expect_eq "virtio-rng: guest boots and powers off" 0 "$(rc rng)"
expect_match "virtio-rng: the guest's hw_random uses it" '^virtio_rng' "$OUT/rng.out"
expect_eq "virtio-rng: the guest read 1 MiB from /dev/hwrng" 1048576 "$(grep -E '^[0-9]+$' "$OUT/rng.out" | head -1)"
n=$(js rng '.device_work["virtio-rng"].bytes // 0')
[ "$n" -ge 1048576 ] 2>/dev/null && pass "virtio-rng: device counted >= 1 MiB served ($n)" || failed "virtio-rng: bytes served $n"
expect_eq "virtio-rng: no guest errors" 0 "$(js rng '.device_work["virtio-rng"].errors')"
