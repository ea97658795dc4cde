# warden's hypercall module in the Linux guest (sourced by tests/emu/run.sh).
if [ -f build/guest-module/unavailable ]; then
	skip "whc module: $(cat build/guest-module/unavailable)"
elif ! grep -q '^@@CASE whc_console ' "$OUT/l1.txt"; then
	failed "whc module: L1 ran no whc case (build/guest-module/initrd-whc.cpio.gz missing: make guest-module)"
else
	o=$OUT/whc_console.out
	expect_eq "whc module: guest with --hypercall powers off" 0 "$(rc whc_console)"
	expect_match "whc module: loaded (the host answered HELLO)" '^whc-loaded=1' "$o"
	expect_match "whc module: the kernel log says which interface it found" 'whc: hypercall interface version 1, features' "$o"
	expect_match "whc module: a line written to /dev/whc-console reaches warden's stdout" '^whc-line-4711$' "$o"
	expect_match "whc module: the line's write succeeded" '^line-rc=0$' "$o"
	expect_match "whc module: the 70,000-byte write succeeded" '^big-rc=0$' "$o"
	expect_eq "whc module: all 35,000 'w' lines arrived" 35000 "$(grep -c '^w$' "$o")"
	# 14 + 70,000 console bytes, and the experiment's 1-byte console operations.
	b=$(js whc_console '.device_work.hypercall.bytes')
	[ "$b" -ge 70014 ] 2>/dev/null && pass "whc module: the device counted the console bytes ($b)" ||
		failed "whc module: device bytes '$b', want at least 70014"
	expect_eq "whc module: no guest errors at the device" 0 "$(js whc_console '.device_work.hypercall.errors')"
	expect_match "whc module: the batching knob ran" '^knob-rc=0$' "$o"
	expect_match "whc module: the experiment's header" '^whc-batching tsc_khz [0-9]+ reps 3 ' "$o"
	for l in 'nop single 1' 'nop port 4' 'console single 4' 'console port 1'; do
		expect_match "whc module: experiment line '$l', every request answered" "^$l [0-9]+ [0-9]+ 0$" "$o"
	done
	d=$OUT/whc_disk.out
	l1() { sed -n "s/^$1=//p" "$OUT/whc_l1.out"; }
	expect_eq "whc disk: guest powers off" 0 "$(rc whc_disk)"
	expect_match "whc disk: /dev/whc-disk exists" 'whc-disk$' "$d"
	expect_eq "whc disk: its size is the image's" 1048576 "$(sed -n 's/^size=//p' "$d")"
	expect_eq "whc disk: the whole image read through it" "$(l1 whc-disk-all)" "$(sed -n 's/^all=//p' "$d")"
	expect_eq "whc disk: its first 4 KiB" "$(l1 whc-disk-head)" "$(sed -n 's/^head=//p' "$d")"
	expect_match "whc disk: the sector write succeeded" '^write-rc=0$' "$d"
	expect_eq "whc disk: the written sector is in the image" whc-disk-write-4711 "$(l1 whc-disk-sector8)"
	expect_eq "whc disk: padded with zeros" "$(l1 whc-zero-493)" "$(l1 whc-disk-sector8-rest)"
	expect_match "whc disk: an unaligned read is refused" '^unaligned-rc=1$' "$d"
	b=$(js whc_disk '.device_work.hypercall.bytes')
	[ "$b" -ge $((1048576 + 4096 + 512)) ] 2>/dev/null && pass "whc disk: the device counted the bytes ($b)" ||
		failed "whc disk: device bytes '$b', want at least $((1048576 + 4096 + 512))"
	expect_eq "whc disk: no guest errors at the device" 0 "$(js whc_disk '.device_work.hypercall.errors')"
	expect_eq "whc module absent: the guest still boots and powers off" 0 "$(rc whc_absent)"
	expect_match "whc module absent: the module refuses to load" 'insmod whc.ko failed' "$OUT/whc_absent.out"
	expect_match "whc module absent: and says why" 'whc: no hypercall interface' "$OUT/whc_absent.out"
	expect_match "whc module absent: not loaded" '^whc-loaded=0' "$OUT/whc_absent.out"
fi
