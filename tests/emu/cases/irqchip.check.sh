# --irqchip split checks (sourced by tests/emu/run.sh).  The pins come
# from the guest's own report of the IOAPIC's version register.
s=$OUT/irqchip_split
expect_eq "irqchip split: the guest boots and powers off (status 0)" 0 "$(rc irqchip_split)"
# Lines 0-10: the ISA lines up to the RTC's 8, and the disk's 10 (the pool's first).
expect_match "irqchip split: Linux finds warden's IOAPIC with 11 pins" 'IOAPIC\[0\]: .*address 0xfec00000, GSI 0-10$' "$s.out"
expect_match "irqchip split: 1 MiB written and read back through the disk" '^same=yes$' "$s.out"
# (Linux numbers its IRQs itself: the line is the IO-APIC's pin.)
expect_match "irqchip split: the disk's interrupts go through the IOAPIC, line 10" \
	'^ *[0-9]+: +([1-9][0-9]* +[0-9]+|[0-9]+ +[1-9][0-9]*) +IO-APIC +10-(fasteoi|edge) +virtio0$' "$s.out"
expect_match "irqchip split: the RTC alarm fired (line 8, an edge) and was consumed" '^after=$' "$s.out"
expect_match "irqchip split: the RTC alarm's interrupt counted" \
	'^ *[0-9]+: +([1-9][0-9]* +[0-9]+|[0-9]+ +[1-9][0-9]*) +IO-APIC +8-edge +rtc0$' "$s.out"
expect_eq "irqchip split: warden's IOAPIC took MMIO exits (the guest programming it)" true \
	"$(json $s.json '.devices.ioapic.count > 0')"
# The window page (docs/irqchip.md): every register access writes the
# index, but only writes of the data register exit; Linux reads each
# pin's entry, so the data register takes fewer exits. Without the
# window the two counts are the same.
ro=$(sed -n 's/^readonly_mem=//p' "$OUT/irqchip.sys" 2>/dev/null)
idx=$(json $s.json '[.attribution.mmio[] | select(.addr == "0xfec00000") | .count] | add')
dat=$(json $s.json '[.attribution.mmio[] | select(.addr == "0xfec00010") | .count] | add')
if ! [[ $ro =~ ^-?[0-9]+$ ]]; then
	failed "irqchip split: L1's KVM was not asked for read-only slots (no /extra/kvm-check-ext): '$ro'"
elif [ "$ro" -le 0 ]; then
	skip "irqchip split: window page: L1's KVM lacks KVM_CAP_READONLY_MEM ($ro)"
elif [[ $idx =~ ^[0-9]+$ && $dat =~ ^[0-9]+$ ]] && [ "$dat" -gt 0 ] && [ "$dat" -lt "$idx" ]; then
	pass "irqchip split: register reads from the window page (data register $dat exits, index $idx)"
else
	failed "irqchip split: data register $dat exits against index $idx: reads still exit"
fi
expect_match "irqchip split: the console's line too (4)" '^ *[0-9]+: +([1-9][0-9]* +[0-9]+|[0-9]+ +[1-9][0-9]*) +IO-APIC +4-edge +ttyS0$' "$s.out"
# (Linux sets every line here edge-triggered, so KVM reports no EOI:
# the level path is the native tier's, tests/native/ioapic.sh.)
b=$OUT/irqchip_button
expect_eq "irqchip split: SIGTERM, the guest powers off on the power button (status 0)" 0 "$(rc irqchip_button)"
expect_match "irqchip split: the guest's acpid got the power button (line 5)" '^warden-guest: power button: powering off' "$b.out"
