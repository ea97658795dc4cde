# warden's hypercall module in the Linux guest (sourced by l1-tests.sh):
# the default guest with guest/linux-module's whc.ko in its initramfs
# (/extra/initrd-whc.cpio.gz, from `make guest-module`).
#  whc_console: with --hypercall: the module finds the interface and loads;
#               a line, then 70,000 bytes (several requests a batch), go
#               through /dev/whc-console to warden's stdout; a small run of
#               the batching experiment through debugfs.
#  whc_absent:  without --hypercall: the module refuses to load, boot goes on.
if [ -f /extra/initrd-whc.cpio.gz ]; then
	case_run whc_console --hypercall --initrd /extra/initrd-whc.cpio.gz --cmdline "$BASE warden.run=\"\
echo whc-loaded=\$(grep -c '^whc ' /proc/modules); dmesg | grep 'whc:'; printf 'whc-line-4711\n' >/dev/whc-console; echo line-rc=\$?; \
yes w | head -c 70000 >/dev/whc-console; echo big-rc=\$?; mount -t debugfs none /sys/kernel/debug; \
echo '3 1 4' >/sys/kernel/debug/whc/batching; r=\$?; echo; echo knob-rc=\$r; cat /sys/kernel/debug/whc/batching\""
	case_run whc_absent --initrd /extra/initrd-whc.cpio.gz --cmdline "$BASE warden.run=\"\
echo whc-loaded=\$(grep -c '^whc ' /proc/modules); ls /dev/whc-console\""
else
	echo "@@CASE whc_none rc=0"
fi
