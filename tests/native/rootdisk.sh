# Root disks and the guest's command line (sourced by tests/native/run.sh,
# which defines bad, run, OUT, G and B): what warden refuses before a VM
# exists, and the command line it composes for a Linux kernel. Booting a
# root disk needs a stock kernel: the emulated tier's rootdisk and distro
# cases.
rootdisk_bad_input() {
	local img=$OUT/rootdisk.img
	truncate -s 1M "$img"
	bad "--disk ...,root with a kernel that is not Linux" 'only a Linux kernel takes a root disk' \
		run --kernel "$G/long64.elf" --disk "$img,root"
	bad "two root disks" '2 disks have the root flag; at most one' \
		run --kernel "$G/long64.elf" --disk "$img,root" --disk "$img,ro,root"
	bad "--disk with an unknown flag" "unknown option 'roots' \(ro, root, id=NAME, queues=N, poll\[=US\], poll-max=US, bw=SIZE/MS\[/BURST\], ops=SIZE/MS\[/BURST\]\)" \
		run --kernel "$G/long64.elf" --disk "$img,roots"
	# The composed line is printed before the kvm_pvm refusal (asked of
	# the host's modules, as above), so this host shows it without booting.
	if [ -d /sys/module/kvm_pvm ] && [ ! -d /sys/module/kvm_intel ] && [ ! -d /sys/module/kvm_amd ] &&
		[ -f build/guest/vmlinuz ]; then
		$B/warden run --verbose --kernel build/guest/vmlinuz --disk "$img,root" \
			--cmdline 'panic=0 "warden.run=echo panic=1" x=1' >"$OUT/rootdisk-cmdline.out" \
			2>"$OUT/rootdisk-cmdline.err" </dev/null
		expect_eq "command line: defaults, root=, the user's words; panic=0 replaces panic=-1" \
			'warden: debug: guest command line: console=ttyS0 8250.nr_uarts=1 root=/dev/vda panic=0 "warden.run=echo panic=1" x=1' \
			"$(grep -m1 'guest command line' "$OUT/rootdisk-cmdline.err")"
	else
		skip "the command line of a Linux kernel is checked here only on a kvm_pvm host (elsewhere it boots: the emulated tier checks it)"
	fi
	rm -f "$img"
}
