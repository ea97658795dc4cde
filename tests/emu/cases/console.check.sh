# virtio-console checks (sourced by tests/emu/run.sh).
vc() { js "$1" ".device_work[\"virtio-console\"].$2 // \"none\""; }
in_range() { # NAME MIN MAX VALUE
	[ "$4" -ge "$2" ] 2>/dev/null && [ "$4" -le "$3" ] && pass "$1 ($4)" || failed "$1: '$4' not in [$2, $3]"
}

# 1. console=hvc0
expect_eq "virtio-console hvc0: guest boots and powers off" 0 "$(rc console_hvc0)"
expect_match "virtio-console hvc0: init's up line comes through hvc0" '^warden-guest: up [0-9]' "$OUT/console_hvc0.out"
expect_match "virtio-console hvc0: the command's output comes through hvc0" '^hello-from-hvc0$' "$OUT/console_hvc0.out"
expect_match "virtio-console hvc0: /proc/consoles lists hvc0" '^hvc0 ' "$OUT/console_hvc0.out"
expect_match "virtio-console hvc0: init reports the command's status" '^warden-guest: run exit 0' "$OUT/console_hvc0.out"
n=$(grep -c '^warden-guest: up' "$OUT/console_hvc0.out")
expect_eq "virtio-console hvc0: the up line once (no copy on ttyS0)" 1 "$n"
n=$(vc console_hvc0 bytes)
in_range "virtio-console hvc0: device counted the output bytes" 60 1000000 "$n"
n=$(vc console_hvc0 requests)
in_range "virtio-console hvc0: transmit requests counted" 3 1000000 "$n"
expect_eq "virtio-console hvc0: no guest errors" 0 "$(vc console_hvc0 errors)"

# 2. input through hvc0
expect_eq "virtio-console input: guest powers off" 0 "$(rc console_in)"
expect_match "virtio-console input: the typed line reaches the guest through hvc0" \
	'^got:warden-hvc0-input-42$' "$OUT/console_in.out"
# The line typed, echoed by the tty and printed back, at least.
in_range "virtio-console input: device counted input and output" 60 1000000 "$(vc console_in bytes)"
expect_eq "virtio-console input: no guest errors" 0 "$(vc console_in errors)"

# 3. console=ttyS0 beside a virtio console
expect_eq "virtio-console beside ttyS0: guest powers off" 0 "$(rc console_ttys0)"
expect_match "virtio-console beside ttyS0: typed input still goes to ttyS0" \
	'^got:warden-ttyS0-input-44$' "$OUT/console_ttys0.out"
expect_match "virtio-console beside ttyS0: a write to /dev/hvc0 reaches stdout" \
	'^via-hvc0$' "$OUT/console_ttys0.out"
# "via-hvc0" and the tty's CR LF: only that went through hvc0.
in_range "virtio-console beside ttyS0: exactly the hvc0 write counted" 9 10 "$(vc console_ttys0 bytes)"
expect_eq "virtio-console beside ttyS0: no guest errors" 0 "$(vc console_ttys0 errors)"

# 4. input across a device reset (unbind/bind: status 0, second DRIVER_OK)
expect_eq "virtio-console reset: guest powers off" 0 "$(rc console_reset)"
expect_match "virtio-console reset: last console= is hvc0, so input goes to hvc0" \
	'^got:warden-hvc0-input-45$' "$OUT/console_reset.out"
expect_match "virtio-console reset: output after the driver is bound again" \
	'^hvc0-rebound$' "$OUT/console_reset.out"
expect_match "virtio-console reset: input after the reset reaches the guest" \
	'^got2:warden-hvc0-input-46$' "$OUT/console_reset.out"
expect_eq "virtio-console reset: no guest errors" 0 "$(vc console_reset errors)"
