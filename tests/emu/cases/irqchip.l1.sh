# --irqchip split (docs/irqchip.md) with a real Linux guest, sourced by
# l1-tests.sh: warden's own IOAPIC in L1's SVM KVM, the LAPICs in KVM, no
# PIC and no PIT.
#  irqchip_split: 2 vCPUs and a virtio-mmio disk (its line from the pool
#    at 10, driven through warden's IOAPIC: no irqfd for a line).  The
#    guest says how many pins it found (Linux's "IOAPIC[0]: ... GSI 0-N"),
#    writes and reads back 1 MiB on the disk, and has an RTC alarm fire
#    (line 8); /proc/interrupts shows which chip each line went through.
#    Linux's register reads come from the IOAPIC's window page (no exit),
#    so its data register takes fewer exits than its index register.
#  irqchip_button: SIGTERM presses the power button (the GED's line 5,
#    through warden's IOAPIC); the guest's acpid powers off.
dd if=/dev/zero of=/tmp/irqchip.img bs=1M count=8 2>/dev/null
case_run irqchip_split --irqchip split --cpus 2 --transport mmio --disk /tmp/irqchip.img \
	--cmdline "$BASE warden.run=\"dmesg | grep 'IOAPIC\[0\]'; head -c 1048576 /dev/urandom >/tmp/d; \
dd if=/tmp/d of=/dev/vda bs=64k oflag=direct 2>/dev/null; echo 3 >/proc/sys/vm/drop_caches; \
echo same=\$(cmp -n 1048576 /tmp/d /dev/vda && echo yes); echo +2 >/sys/class/rtc/rtc0/wakealarm; sleep 3; \
echo after=\$(cat /sys/class/rtc/rtc0/wakealarm); cat /proc/interrupts\""
# L1's KVM asked without warden: read-only memory slots, which the
# IOAPIC's window page needs (KVM_CAP_READONLY_MEM, 81).
{
	[ -x /extra/kvm-check-ext ] && echo "readonly_mem=$(/extra/kvm-check-ext --vm 81 2>&1)"
} >/tmp/irqchip.sys
echo "@@BEGIN irqchip.sys"
cat /tmp/irqchip.sys
echo
echo "@@END irqchip.sys"
case_signal irqchip_button '^ready' TERM 1 --irqchip split --cmdline "$BASE warden.run=\"echo ready; sleep 600\""
