# The IOAPIC, KVM's and warden's own (sourced by run.sh): one test guest
# (guests/ioapic_split.c) programs an edge pin (COM1's transmitter-empty
# interrupt) and a level pin (the RTC's update-ended flag, two seconds),
# and reads back the entries.  Under --irqchip kernel the pins are KVM's
# 24; under --irqchip split warden's IOAPIC has only the machine's 9 (lines 0-8), the
# level pin's EOIs come back from KVM (KVM_EXIT_IOAPIC_EOI) and clear
# Remote IRR, and every register write is an exit to warden; a register
# read is one too with --no-ioapic-window, and none by default where the
# host has read-only memory slots (the window page, core/ioapic.h).
# KVM_CAP_SPLIT_IRQCHIP is 121, KVM_CAP_READONLY_MEM 81, asked on a VM.
ioapic_checks() { # BIN LABEL
	local bin=$1 l=$2 cap line='^ioapic: pins %s edge 1 level 2 irr-in-service %s irr-after-eoi %s readback 0x10055$' j ro
	cap=$("$CK" --vm 121 2>&1) || { failed "$l ioapic: host probe kvm-check-ext --vm 121: $cap"; return; }
	run "$l-ioapic-kernel" "$bin" --kernel $G/ioapic-split.elf --irqchip kernel
	expect_eq "$l ioapic kernel: the guest powered off (status 0)" 0 "$(rc $l-ioapic-kernel)"
	# KVM's own IOAPIC leaves Remote IRR as this host's KVM keeps it: not checked.
	expect_match "$l ioapic kernel: KVM's 24 pins, one edge and two level interrupts, entry read back" \
		"$(printf "$line" 24 '[0-2]' '[01]')" "$OUT/$l-ioapic-kernel.out"
	expect_absent "$l ioapic kernel: no IOAPIC device of warden's" "$(json $OUT/$l-ioapic-kernel.json '.devices.ioapic')"
	if [ "$cap" -le 0 ] 2>/dev/null; then
		skip "$l ioapic split: this host's KVM lacks KVM_CAP_SPLIT_IRQCHIP ($cap)"
		return
	fi
	run "$l-ioapic-split" "$bin" --kernel $G/ioapic-split.elf --irqchip split
	j=$OUT/$l-ioapic-split.json
	expect_eq "$l ioapic split: the guest powered off (status 0)" 0 "$(rc $l-ioapic-split)"
	expect_match "$l ioapic split: 9 pins (up to the RTC's line), one edge and two level interrupts, Remote IRR clear after each EOI, read-only bits kept" \
		"$(printf "$line" 9 2 0)" "$OUT/$l-ioapic-split.out"
	expect_eq "$l ioapic split: KVM sent both level EOIs to warden" 2 "$(json $j '.reasons.ioapic_eoi.count')"
	expect_eq "$l ioapic split: the IOAPIC owns its MMIO exits and the EOIs" \
		"$(json $j '.reasons.mmio.count + .reasons.ioapic_eoi.count')" "$(json $j '.devices.ioapic.count')"
	# The window page: the guest reads IOWIN 6 times (version, the RTC's
	# entry twice in its handler and twice after, the read-back); with
	# every read an exit, the IOAPIC takes exactly those 6 more.
	run "$l-ioapic-nowin" "$bin" --kernel $G/ioapic-split.elf --irqchip split --no-ioapic-window
	expect_eq "$l ioapic split --no-ioapic-window: the guest powered off (status 0)" 0 "$(rc $l-ioapic-nowin)"
	# Remote IRR after the EOI is not checked here: with the handler's
	# read an exit, kvm_pvm reports the handler's EOI at that exit, before
	# its read of register C lowers the line, so the pin fires again at
	# once (seen on 2026-12-04; with the window the read is no exit).
	expect_match "$l ioapic split --no-ioapic-window: the same interrupts and entries" \
		"$(printf "$line" 9 2 '[01]')" "$OUT/$l-ioapic-nowin.out"
	ro=$("$CK" --vm 81 2>&1) || { failed "$l ioapic: host probe kvm-check-ext --vm 81: $ro"; ro=0; }
	if [ "$ro" -gt 0 ] 2>/dev/null; then
		expect_eq "$l ioapic split: the window page spares one exit per IOWIN read (6)" 6 \
			"$(( $(json $OUT/$l-ioapic-nowin.json '.devices.ioapic.count') - $(json $j '.devices.ioapic.count') ))"
	else
		skip "$l ioapic window: this host's KVM lacks KVM_CAP_READONLY_MEM ($ro)"
	fi
	# A snapshot between the edge and the level part (--snapshot-then exit),
	# restored in a new process: warden's IOAPIC state (the RTC's entry
	# unmasked, level) comes back, and so do KVM's routes for it, or the
	# RTC's interrupts would never arrive (level 0) or never end.
	local d="$OUT/$l-ioapic-snapdir" src=$l-ioapic-snapsrc dst=$l-ioapic-restored
	rm -rf "$d" && mkdir -p "$d"
	snap_run "$src" "$bin" --mem 16 --kernel $G/ioapic-split.elf --irqchip split --snapshot-dir "$d" \
		--snapshot-then exit
	if snap_wait_for '^ioapic: edge done' "$OUT/$src.out"; then
		kill -USR2 $SNAP_WPID
		wait $SNAP_PID
		echo $? >"$OUT/$src.rc"
		expect_eq "$l ioapic split: snapshot taken, then warden ended (status 7)" 7 "$(rc $src)"
		if grep -q '^ioapic: pins' "$OUT/$src.out"; then
			failed "$l ioapic split: the source finished its level part before the snapshot"
		else
			pass "$l ioapic split: the snapshot came before the level part"
		fi
		timeout 60 "$bin" run --restore "$d" --stats "$OUT/$dst.json" >"$OUT/$dst.out" 2>"$OUT/$dst.err" </dev/null
		echo $? >"$OUT/$dst.rc"
		expect_eq "$l ioapic split: the restored guest powered off (status 0)" 0 "$(rc $dst)"
		expect_match "$l ioapic split: restored, its level pin's two interrupts and EOIs came" \
			"$(printf "$line" 9 2 0)" "$OUT/$dst.out"
		expect_eq "$l ioapic split: the restored VM's EOIs reached warden's IOAPIC" 2 \
			"$(json $OUT/$dst.json '.reasons.ioapic_eoi.count')"
	else
		failed "$l ioapic split: the guest never said 'edge done': $(tail -c 300 "$OUT/$src.err")"
		kill -KILL $SNAP_WPID 2>/dev/null
	fi
	# Refusals: one line each, status 2.
	run "$l-ioapic-bad" "$bin" --kernel $G/ioapic-split.elf --irqchip both
	expect_eq "$l ioapic: --irqchip both refused (status 2)" 2 "$(rc $l-ioapic-bad)"
	expect_match "$l ioapic: --irqchip both named in one line" "^warden: --irqchip: 'both' is neither kernel nor split$" \
		"$OUT/$l-ioapic-bad.err"
	run "$l-ioapic-api" "$bin" --irqchip split --api-sock "$OUT/$l-ioapic.sock"
	expect_eq "$l ioapic: --irqchip split with --api-sock refused (status 2)" 2 "$(rc $l-ioapic-api)"
	run "$l-ioapic-nowin-kernel" "$bin" --kernel $G/ioapic-split.elf --no-ioapic-window
	expect_eq "$l ioapic: --no-ioapic-window without --irqchip split refused (status 2)" 2 "$(rc $l-ioapic-nowin-kernel)"
	expect_match "$l ioapic: --no-ioapic-window without split named in one line" \
		'^warden: --no-ioapic-window needs --irqchip split' "$OUT/$l-ioapic-nowin-kernel.err"
	run "$l-ioapic-noirq" "$bin" --kernel $G/ioapic-split.elf --irqchip split --no-irqchip
	expect_match "$l ioapic: --irqchip split with --no-irqchip refused" \
		'^warden: --irqchip split cannot be used with --no-irqchip$' "$OUT/$l-ioapic-noirq.err"
}
