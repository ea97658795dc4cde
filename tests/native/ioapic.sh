# The IOAPIC, KVM's and warden's own (sourced by run.sh): one test guest
# (guests/ioapic_split.c) programs an edge pin (COM1's transmitter-empty
# interrupt) and a level pin (the RTC's update-ended flag, two seconds),
# and reads back the entries.  Under --irqchip kernel the pins are KVM's
# 24; under --irqchip split warden's IOAPIC has only the machine's 9 (lines 0-8), the
# level pin's EOIs come back from KVM (KVM_EXIT_IOAPIC_EOI) and clear
# Remote IRR, and every register access is an exit to warden.
# KVM_CAP_SPLIT_IRQCHIP is 121, asked on a VM.
ioapic_checks() { # BIN LABEL
	local bin=$1 l=$2 cap line='^ioapic: pins %s edge 1 level 2 irr-after-eoi %s readback 0x10055$' j
	cap=$("$CK" --vm 121 2>&1) || { failed "$l ioapic: host probe kvm-check-ext --vm 121: $cap"; return; }
	run "$l-ioapic-kernel" "$bin" --kernel $G/ioapic-split.elf --irqchip kernel
	expect_eq "$l ioapic kernel: the guest powered off (status 0)" 0 "$(rc $l-ioapic-kernel)"
	# KVM's own IOAPIC leaves Remote IRR as this host's KVM keeps it: not checked.
	expect_match "$l ioapic kernel: KVM's 24 pins, one edge and two level interrupts, entry read back" \
		"$(printf "$line" 24 '[01]')" "$OUT/$l-ioapic-kernel.out"
	expect_absent "$l ioapic kernel: no IOAPIC device of warden's" "$(json $OUT/$l-ioapic-kernel.json '.devices.ioapic')"
	if [ "$cap" -le 0 ] 2>/dev/null; then
		skip "$l ioapic split: this host's KVM lacks KVM_CAP_SPLIT_IRQCHIP ($cap)"
		return
	fi
	run "$l-ioapic-split" "$bin" --kernel $G/ioapic-split.elf --irqchip split
	j=$OUT/$l-ioapic-split.json
	expect_eq "$l ioapic split: the guest powered off (status 0)" 0 "$(rc $l-ioapic-split)"
	expect_match "$l ioapic split: 9 pins (up to the RTC's line), one edge and two level interrupts, Remote IRR clear after each EOI, read-only bits kept" \
		"$(printf "$line" 9 0)" "$OUT/$l-ioapic-split.out"
	expect_eq "$l ioapic split: KVM sent both level EOIs to warden" 2 "$(json $j '.reasons.ioapic_eoi.count')"
	expect_eq "$l ioapic split: the IOAPIC owns its MMIO exits and the EOIs" \
		"$(json $j '.reasons.mmio.count + .reasons.ioapic_eoi.count')" "$(json $j '.devices.ioapic.count')"
	# Refusals: one line each, status 2.
	run "$l-ioapic-bad" "$bin" --kernel $G/ioapic-split.elf --irqchip both
	expect_eq "$l ioapic: --irqchip both refused (status 2)" 2 "$(rc $l-ioapic-bad)"
	expect_match "$l ioapic: --irqchip both named in one line" "^warden: --irqchip: 'both' is neither kernel nor split$" \
		"$OUT/$l-ioapic-bad.err"
	run "$l-ioapic-snap" "$bin" --kernel $G/ioapic-split.elf --irqchip split --snapshot-dir "$OUT/$l-ioapic-snapdir"
	expect_eq "$l ioapic: --irqchip split with --snapshot-dir refused (status 2)" 2 "$(rc $l-ioapic-snap)"
	run "$l-ioapic-noirq" "$bin" --kernel $G/ioapic-split.elf --irqchip split --no-irqchip
	expect_match "$l ioapic: --irqchip split with --no-irqchip refused" \
		'^warden: --irqchip split cannot be used with --no-irqchip$' "$OUT/$l-ioapic-noirq.err"
}
