# warden's hypercall module in the Linux guest (sourced by l1-tests.sh):
# the default guest with guest/linux-module's whc.ko in its initramfs
# (/extra/initrd-whc.cpio.gz, from `make guest-module`).
#  whc_console: with --hypercall: the module finds the interface and loads;
#               a line, then 70,000 bytes in one write() (two batches of
#               several requests), go
#               through /dev/whc-console to warden's stdout; a small run of
#               the batching experiment through debugfs.
#  whc_disk:    with --hypercall-disk: /dev/whc-disk reads the image
#               (whole, and its first 4 KiB) and writes a sector into it;
#               an unaligned read is refused.
#  whc_absent:  without --hypercall: the module refuses to load, boot goes on.
if [ -f /extra/initrd-whc.cpio.gz ]; then
	case_run whc_console --hypercall --initrd /extra/initrd-whc.cpio.gz --cmdline "$BASE warden.run=\"\
echo whc-loaded=\$(grep -c '^whc ' /proc/modules); dmesg | grep 'whc:'; printf 'whc-line-4711\n' >/dev/whc-console; echo line-rc=\$?; \
yes w | head -c 70000 >/tmp/w; dd if=/tmp/w of=/dev/whc-console bs=70000 2>/dev/null; echo big-rc=\$?; mount -t debugfs none /sys/kernel/debug; \
echo '3 1 4' >/sys/kernel/debug/whc/batching; r=\$?; echo; echo knob-rc=\$r; cat /sys/kernel/debug/whc/batching\""
	# The disk path: a 1 MiB image of random bytes; the guest reads all of
	# it (several batches) and its first 4 KiB, then writes one sector.
	dd if=/dev/urandom of=/tmp/whc-disk.img bs=1M count=1 2>/dev/null
	echo "whc-disk-all=$(md5sum </tmp/whc-disk.img | cut -c1-32)" >/tmp/whc_l1.out
	echo "whc-disk-head=$(head -c 4096 /tmp/whc-disk.img | md5sum | cut -c1-32)" >>/tmp/whc_l1.out
	case_run whc_disk --hypercall --hypercall-disk /tmp/whc-disk.img --initrd /extra/initrd-whc.cpio.gz \
		--cmdline "$BASE warden.run=\"h(){ md5sum|cut -c1-32;}; ls -l /dev/whc-disk; \
echo size=\$(wc -c </dev/whc-disk); echo all=\$(h </dev/whc-disk); echo head=\$(dd if=/dev/whc-disk bs=4096 count=1 2>/dev/null | h); \
printf whc-disk-write-4711 | dd of=/dev/whc-disk bs=512 seek=8 conv=sync,notrunc 2>/dev/null; echo write-rc=\$?; \
dd if=/dev/whc-disk bs=100 count=1 2>/dev/null; echo unaligned-rc=\$?\""
	echo "whc-disk-sector8=$(dd if=/tmp/whc-disk.img bs=512 skip=8 count=1 2>/dev/null | head -c 19)" >>/tmp/whc_l1.out
	echo "whc-disk-sector8-rest=$(dd if=/tmp/whc-disk.img bs=512 skip=8 count=1 2>/dev/null | tail -c 493 | md5sum | cut -c1-32)" >>/tmp/whc_l1.out
	echo "whc-zero-493=$(head -c 493 /dev/zero | md5sum | cut -c1-32)" >>/tmp/whc_l1.out
	echo "@@BEGIN whc_l1.out"; cat /tmp/whc_l1.out; echo "@@END whc_l1.out"
	rm -f /tmp/whc-disk.img
	case_run whc_absent --initrd /extra/initrd-whc.cpio.gz --cmdline "$BASE warden.run=\"\
echo whc-loaded=\$(grep -c '^whc ' /proc/modules); ls /dev/whc-console\""
else
	echo "@@CASE whc_none rc=0"
fi
