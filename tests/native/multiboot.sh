# Multiboot kernels, fw_cfg and the test-exit port on the native tier
# (sourced by tests/native/run.sh, with B, G, OUT, run, rc, bad from
# there). The guest multiboot.c prints what the boot information and
# fw_cfg told it and exits through the port with the status its command
# line names; each line is checked against what warden was given.

multiboot_checks() { # BIN LABEL
	local bin=$1 l=$2 o j mod=$OUT/mb-module.txt

	printf 'module-contents-0123456789' >"$mod"
	run "$l-mb" "$bin" --cpus 2 --kernel $G/multiboot.elf --initrd "$mod" \
		--cmdline "hello world exit=21" --test-exit-port 0xf4
	o=$OUT/$l-mb.out
	j=$OUT/$l-mb.json
	expect_eq "$l multiboot: status is (21 << 1) | 1 from the test-exit port" 43 "$(rc $l-mb)"
	expect_match "$l multiboot: magic in EAX" '^multiboot: magic 0x2badb002$' "$o"
	# mem, cmdline, mods, mmap, loader name: bits 0, 2, 3, 6, 9
	expect_match "$l multiboot: information flags" '^multiboot: flags 0x0000024d$' "$o"
	# The kernel's name first, as GRUB and QEMU give it (kvm-unit-tests
	# takes the first word as its argv[0]).
	expect_match "$l multiboot: command line: the kernel's name, then as given" \
		"^multiboot: cmdline '$G/multiboot.elf hello world exit=21'$" "$o"
	# --mem 16: 639 KiB below the EBDA, 15 MiB above 1 MiB, all of it in the map
	expect_match "$l multiboot: memory sizes" '^multiboot: mem_lower 639 mem_upper 15360$' "$o"
	expect_match "$l multiboot: memory map's RAM" '^multiboot: mmap [0-9]+ entries, RAM 15999 KiB$' "$o"
	expect_match "$l multiboot: the initrd as a page-aligned module" \
		"^multiboot: modules 1, first $(stat -c %s "$mod") bytes at 0x[0-9a-f]+ \(page aligned\) named 'initrd' starting 'module-c'$" "$o"
	expect_match "$l multiboot: loader name" "^multiboot: loader 'warden'$" "$o"
	expect_match "$l multiboot: fw_cfg signature, CPU count and RAM" '^multiboot: fw_cfg QEMU cpus 2 ram 16 MiB$' "$o"
	expect_eq "$l multiboot: the test-exit write attributed to its device" 1 \
		"$(json $j '.attribution.ports[] | select(.port=="0xf4" and .device=="test-exit") | .count')"
	expect_eq "$l multiboot: ended by the test exit" test-exit "$(json $j .end_reason)"

	# The a.out kludge: a flat binary placed by the header's addresses.
	run "$l-mb-aout" "$bin" --kernel $G/multiboot-aout.bin --cmdline "exit=3" --test-exit-port 0xf4
	expect_eq "$l multiboot a.out: status (3 << 1) | 1" 7 "$(rc $l-mb-aout)"
	expect_match "$l multiboot a.out: no module, no module flag" '^multiboot: flags 0x00000245$' "$OUT/$l-mb-aout.out"

	# Without the port the write is unclaimed and the guest powers off;
	# without --cmdline the kernel gets its name alone (not Linux's default).
	run "$l-mb-noport" "$bin" --kernel $G/multiboot.elf
	expect_eq "$l multiboot without --test-exit-port: poweroff" 0 "$(rc $l-mb-noport)"
	expect_match "$l multiboot without --cmdline: the kernel's name alone" \
		"^multiboot: cmdline '$G/multiboot.elf'$" "$OUT/$l-mb-noport.out"
	expect_eq "$l multiboot without --test-exit-port: the write is unclaimed" "1 (unclaimed)" \
		"$(json $OUT/$l-mb-noport.json '.attribution.ports[] | select(.port=="0xf4") | "\(.count) \(.device)"')"
}

multiboot_bad() {
	bad "multiboot kernel asking for a video mode" 'asks for a video mode' \
		run --kernel $G/multiboot-video.elf
	bad "--test-exit-port not a number" 'needs a port from 1 to 0xfffc' \
		run --kernel $G/multiboot.elf --test-exit-port zz
	bad "--test-exit-port 0" 'needs a port from 1 to 0xfffc' \
		run --kernel $G/multiboot.elf --test-exit-port 0
	bad "--test-exit-port on COM1's ports" '^warden: --test-exit-port 0x3fa: ' \
		run --kernel $G/multiboot.elf --test-exit-port 0x3fa
	bad "--kernel-format multiboot without a header" 'no multiboot header' \
		run --kernel $G/long64.elf --kernel-format multiboot
}
