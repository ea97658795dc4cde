# The distribution case's checks (sourced by tests/emu/run.sh; the case is
# distro.l1.sh; EMU_ONLY=distro or `make distro-test` runs it alone).
d_out=$OUT/distro.out
distro_checks() {
	expect_match "distro: the initramfs mounted the root disk and started its init" \
		'^warden-guest: root /dev/vda: /dev/vda mounted ro, starting /sbin/init' "$d_out"
	expect_match "distro: systemd reached a running system" '^warden-distro: system running' "$d_out"
	expect_match "distro: no failed units" '^warden-distro: failed units: none' "$d_out"
	expect_match "distro: / is remounted rw from the image's fstab" '^warden-distro: root /dev/vda +ext4 +rw,' "$d_out"
	expect_match "distro: files written, fsynced, read back after dropping the cache: equal" \
		'^warden-distro: verify ok 8 MiB [0-9a-f]{64}' "$d_out"
	expect_match "distro, shutdown from the host: the system was up when warden got SIGTERM" \
		'^warden-distro: staying up' "$d_out"
	expect_match "distro, shutdown from the host: warden asked the guest (the power button)" \
		'asking the guest to shut down \(power button\)' "$OUT/distro.err"
	expect_eq "distro: systemd powered off (status 0, not the hard stop's 7)" 0 "$(rc distro)"
	expect_eq "distro: ended by poweroff" poweroff "$(js distro .end_reason)"
	expect_match "distro: the kernel's power-down line" 'reboot: Power down' "$d_out"
	expect_eq "distro: e2fsck -fn of the image afterwards is clean" 0 "$(rc distro_fsck)"
	read -r d_up d_term <"$OUT/distro.time" 2>/dev/null
	echo "  note  distro: $(grep -m1 '^warden-distro: Startup finished' "$d_out" | tr -d '\r') (systemd-analyze in the guest); warden's start to the workload's end ${d_up:-?} s in L1, SIGTERM to warden's end ${d_term:-?} s (grace period 60 s)"
}
if [ -f "$OUT/distro.skip" ]; then
	skip "distro: the Debian image could not be built (make distro): $(cat "$OUT/distro.skip")"
else
	distro_checks
fi
