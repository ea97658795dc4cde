# virtio-pci checks (sourced by tests/emu/run.sh).
pci_v() { tr ' ' '\n' <"$OUT/$1" 2>/dev/null | sed -n "s/^$2=//p" | head -n 1; }
expect_eq "virtio-pci: guest boots and powers off" 0 "$(rc pci_all)"
for id in 1042 1044 1043; do
	expect_match "virtio-pci: the guest's virtio-pci driver binds 1af4:$id" ":0x1af4:0x$id:virtio-pci\$" "$OUT/pci_all.out"
done
# One vector per queue plus config: blk 1+1, rng 1+1, console 2+1 (one port) = 7.
n=$(pci_v pci_all.out msi_lines)
[ "${n:-0}" -ge 7 ] 2>/dev/null && pass "virtio-pci: /proc/interrupts has $n PCI-MSI lines (>= 7: per queue + config)" || failed "virtio-pci: PCI-MSI lines '$n'"
expect_match "virtio-pci: a per-queue vector for the disk (virtioN-req.0)" 'irq:.*PCI-MSI.*virtio[0-9]-req\.0' "$OUT/pci_all.out"
expect_eq "virtio-pci: GET_ID over PCI" pci-disk "$(pci_v pci_all.out serial)"
expect_eq "virtio-pci: ext4 file reads back the same after drop_caches" yes "$(pci_v pci_all.out same)"
expect_eq "virtio-pci: e2fsck -fn finds the image clean" 0 "$(pci_v pci_l1.out fsck_rc)"
expect_eq "virtio-pci: the guest read 256 KiB from /dev/hwrng" 262144 "$(pci_v pci_all.out rngbytes)"
expect_eq "virtio-pci: hvc0 writable" 0 "$(pci_v pci_all.out hvc)"
for d in virtio-blk0 virtio-rng virtio-console; do
	expect_eq "virtio-pci: $d: no guest errors" 0 "$(js pci_all ".device_work[\"$d\"].errors // 0")"
	# The ISR is a device of its own: with MSI-X the driver never reads it.
	expect_eq "virtio-pci: $d: no exits at the ISR" 0 "$(js pci_all ".device_work[\"$d-isr\"].exits // 0")"
done
