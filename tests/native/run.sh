#!/usr/bin/env bash
# Native tier: purpose-built guests (real, protected and long mode) run on
# this host's /dev/kvm through warden's normal run loop and accounting.
# Each guest does a known number of port, MMIO, HLT and CPUID operations;
# the exit counts warden reports must match them exactly.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh

# The build directory under test (make passes its BUILD; default build).
B=${NATIVE_BUILD:-build}
G=$B/tests/guests
CK=$B/tests/kvm-check-ext   # asks KVM directly (kvm_check_ext.c)
OUT=$B/tests/native
mkdir -p "$OUT"
echo "== native tier (host /dev/kvm)"
helper_checks   # the comparison helpers (tests/lib.sh) refuse missing sides

if [ ! -c /dev/kvm ] || ! [ -r /dev/kvm ]; then
	skip "no usable /dev/kvm on this host: native tier not run"
	finish native
	exit $?
fi

# What this host's KVM offers, asked without warden (kvm-check-ext): "yes",
# or "no: what failed: why" (a test that needs it is skipped). A probe that
# cannot ask KVM at all is a failure, and the tests that need it run anyway.
host_has() { # VAR MODE: sets VAR to kvm-check-ext MODE's answer
	local a
	if [ ! -x "$CK" ]; then
		failed "host probe: $CK is missing (make native-test builds it)"
		a=unknown
	elif ! a=$("$CK" "$2" 2>&1) || ! [[ $a == yes || $a == no:* ]]; then
		failed "host probe: kvm-check-ext $2: $a"
		a=unknown
	fi
	printf -v "$1" '%s' "$a"
}
host_has HOST_IOEVENTFD --ioeventfd
host_has HOST_STATS_FD --stats-fd
host_has HOST_EXIT_TRACE --exit-trace
# Coalesced port writes: KVM_CAP_COALESCED_PIO (162) and the ring of
# KVM_CAP_COALESCED_MMIO (15), asked on a VM.
if [ -x "$CK" ] && a=$("$CK" --vm 162 2>/dev/null) && b=$("$CK" --vm 15 2>/dev/null); then
	[ "$a" -gt 0 ] && [ "$b" -gt 0 ] && COALESCED_PIO=yes || COALESCED_PIO=no
else
	failed "host probe: kvm-check-ext --vm 162/15 (coalesced PIO)"
	COALESCED_PIO=unknown
fi
# The crash report's KVM parts: KVM_CAP_X86_TRIPLE_FAULT_EVENT (218) and
# KVM_CAP_SYNC_REGS (74, a mask: 1 = the general registers), on a VM.
HOST_TF_EVENT=$("$CK" --vm 218 2>&1) || failed "host probe: kvm-check-ext --vm 218: $HOST_TF_EVENT"
HOST_SYNC_REGS=$("$CK" --vm 74 2>&1) || failed "host probe: kvm-check-ext --vm 74: $HOST_SYNC_REGS"
# Exits per byte a guest writes to the UART's transmit register.
[ "$COALESCED_PIO" = yes ] && SERIAL_TX_EXITS=0 || SERIAL_TX_EXITS=1
echo "   host: ioeventfd/irqfd: $HOST_IOEVENTFD; binary statistics: $HOST_STATS_FD; kvm_exit tracepoint: $HOST_EXIT_TRACE; coalesced PIO: $COALESCED_PIO"

# run NAME BINARY ARGS...: runs warden, records status/stdout/stderr/json.
# Runs of the sanitized build are listed in ASAN_RUNS for the report scan.
ASAN_RUNS=()
run() {
	local name=$1 bin=$2
	shift 2
	[[ $bin == */asan/* ]] && ASAN_RUNS+=("$name")
	timeout 60 "$bin" run --mem 16 --stats "$OUT/$name.json" "$@" \
		>"$OUT/$name.out" 2>"$OUT/$name.err" </dev/null
	echo $? >"$OUT/$name.rc"
}
rc() { cat "$OUT/$1.rc"; }

# The crash report of long64-triple.elf (docs/observatory.md): the console
# tail ends with the guest's last line, the last-exits ring is full and
# ends with the exits the guest made (the MMIO writes, or the serial ones
# where they exit, then the shutdown), KVM's events were read at the exit.
crash_checks() { # LABEL OUTPUT-PREFIX
	local l=$1 o=$2 j=$2.json last
	local mmio_rip  # the guest's address after its MMIO write instruction
	mmio_rip=$(printf '0x%x' "0x$(nm $G/long64-triple.elf | awk '$3 == "after_mmio_write" { print $1 }')")
	expect_match "$l triple fault: explanation line" '^  vCPU 0 triple-faulted: .*; last exits: .*#1151 shutdown.*; the guest.s last console lines: "long64: hello \| cpuid ok"' "$o.err"
	expect_match "$l triple fault: console tail printed" '^    \| cpuid ok$' "$o.err"
	expect_eq "$l triple fault: console tail (JSON) ends with the last line" \
		'["long64: hello","cpuid ok"]' "$(json $j '.crash.console_tail | tojson')"
	expect_eq "$l triple fault: last exits bounded (32 of all)" "32 $(json $j .total_exits)" \
		"$(json $j '"\(.crash.last_exits[0].exits | length) \(.crash.last_exits[0].total)"')"
	expect_eq "$l triple fault: last exit is the shutdown" shutdown "$(json $j '.crash.last_exits[0].exits[-1].reason')"
	if [ "$COALESCED_PIO" = yes ]; then last='mmio 0xd0000004 true'; else last='io 0x3f8 true'; fi
	expect_eq "$l triple fault: the exit before it is the guest's last access" "$last" \
		"$(json $j '.crash.last_exits[0].exits[-2] | "\(.reason) \(.addr) \(.write)"')"
	expect_eq "$l triple fault: exit numbers end at the total" "$(json $j .total_exits)" \
		"$(json $j '.crash.last_exits[0].exits[-1].seq')"
	expect_eq "$l triple fault: KVM_GET_VCPU_EVENTS read at the exit" "0 shutdown" \
		"$(json $j '"\(.crash.vcpu) \(.crash.exit)"')"
	expect_eq "$l triple fault: KVM_GET_VCPU_EVENTS answered" false "$(json $j '.crash.kvm_events.exception.pending')"
	if [ "$HOST_TF_EVENT" -gt 0 ] 2>/dev/null; then
		expect_eq "$l triple fault: KVM's triple-fault event enabled" true "$(json $j .crash.kvm_events.triple_fault_event)"
	else
		skip "$l triple fault: KVM's triple-fault event: this host's KVM lacks KVM_CAP_X86_TRIPLE_FAULT_EVENT ($HOST_TF_EVENT)"
	fi
	if [ $((HOST_SYNC_REGS & 1)) = 1 ] 2>/dev/null; then
		expect_eq "$l triple fault: MMIO write exits carry the guest RIP past the write (KVM_SYNC_X86_REGS)" "$mmio_rip" \
			"$(json $j '[.crash.last_exits[0].exits[] | select(.reason == "mmio") | .rip] | unique | join(",")')"
	else
		skip "$l triple fault: exit RIPs: this host's KVM lacks KVM_SYNC_X86_REGS ($HOST_SYNC_REGS)"
	fi
	expect_eq "$l triple fault: no exit trace, said so" "needs --exit-trace" "$(json $j .crash.kvm_delivered_missing)"
}

# A KVM internal error (long64-emufail.elf: an x87 load from MMIO, which
# KVM's emulator refuses) gets the crash report too: its explanation, the
# console tail, and the failing exit last in the ring, at the instruction.
emufail_checks() { # BIN LABEL
	local bin=$1 l=$2 o=$OUT/$2-emufail insn
	insn=$(printf '0x%x' "0x$(nm $G/long64-emufail.elf | awk '$3 == "emu_fail_insn" { print $1 }')")
	run "$l-emufail" "$bin" --kernel $G/long64-emufail.elf
	expect_eq "$l KVM internal error: exit status 5" 5 "$(rc $l-emufail)"
	expect_match "$l KVM internal error: explanation line" '^  vCPU 0: KVM internal error \(suberror 1\): .*; last exits: .* internal_error rip '"$insn"'; the guest.s last console lines: "long64: hello \| cpuid ok"' "$o.err"
	expect_eq "$l KVM internal error: crash object (vCPU, exit, console tail)" 'internal_error "cpuid ok"' \
		"$(json $o.json '"\(.crash.exit) \(.crash.console_tail[-1] | tojson)"')"
	expect_eq "$l KVM internal error: the ring ends with it, at the failing instruction" "internal_error $insn" \
		"$(json $o.json '.crash.last_exits[0].exits[-1] | "\(.reason) \(.rip)"')"
}

guest_checks() { # BIN LABEL
	local bin=$1 l=$2 j

	run "$l-long64" "$bin" --kernel $G/long64.elf
	j=$OUT/$l-long64.json
	expect_eq "$l long64: poweroff exit status" 0 "$(rc $l-long64)"
	expect_match "$l long64: console output" '^long64: hello' "$OUT/$l-long64.out"
	expect_match "$l long64: CPUID shows hypervisor bit and KVM signature" '^cpuid ok' "$OUT/$l-long64.out"
	# The 23 bytes written to the UART's transmit register: queued by KVM
	# (coalesced PIO) where it offers that, each an exit otherwise.
	if [ "$COALESCED_PIO" = yes ]; then
		expect_eq "$l long64: serial writes queued by KVM, no exit" "23 0" \
			"$(json $j '"\(.coalesced_writes.serial) \(.devices.serial.count // 0)"')"
		expect_eq "$l long64: PIO exits (1000 port 0x510 + 1 poweroff)" 1001 "$(json $j .reasons.io.count)"
		expect_eq "$l long64: total exits, CPUID handled in KVM" 1151 "$(json $j .total_exits)"
	else
		expect_eq "$l long64: PIO exits (23 serial + 1000 port 0x510 + 1 poweroff)" 1024 "$(json $j .reasons.io.count)"
		expect_eq "$l long64: total exits, CPUID handled in KVM" 1174 "$(json $j .total_exits)"
	fi
	expect_eq "$l long64: MMIO exits" 150 "$(json $j .reasons.mmio.count)"
	expect_eq "$l long64: port 0x510 attributed" 1000 "$(json $j '.unclaimed[] | select(.space=="pio" and .addr=="0x510") | .count')"
	expect_eq "$l long64: MMIO reads attributed to 0xd0000000" 100 "$(json $j '.unclaimed[] | select(.addr=="0xd0000000") | .count')"
	expect_eq "$l long64: MMIO writes attributed to 0xd0000004" 50 "$(json $j '.unclaimed[] | select(.addr=="0xd0000004") | .count')"
	run "$l-long64-nocoal" "$bin" --no-coalesced-pio --kernel $G/long64.elf
	expect_eq "$l long64 --no-coalesced-pio: every serial write an exit" "23 0 1174" \
		"$(json $OUT/$l-long64-nocoal.json '"\(.devices.serial.count) \(.coalesced_writes.serial) \(.total_exits)"')"
	expect_match "$l long64 --no-coalesced-pio: console output" '^long64: hello' "$OUT/$l-long64-nocoal.out"
	expect_eq "$l long64: ACPI sleep register write" 1 "$(json $j '.devices["acpi-pm"].count')"
	expect_eq "$l long64: end reason" poweroff "$(json $j .end_reason)"
	expect_match "$l long64: exit table printed" 'VM exits reached warden' "$OUT/$l-long64.err"

	expect_absent "$l long64: no crash report after a poweroff" "$(json $j .crash)"

	run "$l-triple" "$bin" --kernel $G/long64-triple.elf
	expect_eq "$l triple fault: exit status 4" 4 "$(rc $l-triple)"
	expect_eq "$l triple fault: one shutdown exit" 1 "$(json $OUT/$l-triple.json .reasons.shutdown.count)"
	crash_checks "$l" "$OUT/$l-triple"
	# The same in the HTML report, from the --stats-trace file.
	run "$l-triple-trace" "$bin" --stats-trace "$OUT/$l-triple.jsonl" --kernel $G/long64-triple.elf
	"$bin" report "$OUT/$l-triple.jsonl" -o "$OUT/$l-triple.html" >"$OUT/$l-triple-report.err" 2>&1
	expect_match "$l triple fault: the HTML report explains it" '<h2 id="sec-crash">Why the VM ended: triple-fault</h2>' "$OUT/$l-triple.html"
	expect_match "$l triple fault: the HTML report shows the console tail" '^cpuid ok$' "$OUT/$l-triple.html"

	emufail_checks "$bin" "$l"

	run "$l-prot32" "$bin" --kernel $G/prot32.elf --no-irqchip
	j=$OUT/$l-prot32.json
	expect_eq "$l prot32: HLT without irqchip ends the VM (status 6)" 6 "$(rc $l-prot32)"
	expect_match "$l prot32: console output" '^prot32: hello' "$OUT/$l-prot32.out"
	expect_eq "$l prot32: PIO exits (14 serial unless coalesced + 500)" $((14 * SERIAL_TX_EXITS + 500)) "$(json $j .reasons.io.count)"
	expect_eq "$l prot32: MMIO exits" 10 "$(json $j .reasons.mmio.count)"
	expect_eq "$l prot32: HLT exits" 1 "$(json $j .reasons.hlt.count)"
	expect_eq "$l prot32: port 0x511 attributed" 500 "$(json $j '.unclaimed[] | select(.addr=="0x511") | .count')"

	run "$l-real16" "$bin" --kernel $G/real16.bin --kernel-format flat
	j=$OUT/$l-real16.json
	expect_eq "$l real16: i8042 reset ends the VM as reboot (status 3)" 3 "$(rc $l-real16)"
	expect_match "$l real16: console output" '^real16: hello' "$OUT/$l-real16.out"
	expect_eq "$l real16: PIO exits (14 serial unless coalesced + 300 + 1 reset)" $((14 * SERIAL_TX_EXITS + 301)) "$(json $j .reasons.io.count)"
	expect_eq "$l real16: i8042 exits" 1 "$(json $j .devices.i8042.count)"
	expect_eq "$l real16: port 0x512 attributed" 300 "$(json $j '.unclaimed[] | select(.addr=="0x512") | .count')"
}

# A hostile virtio driver (guests/virtio_hostile.c) against virtio-rng:
# every broken queue it builds must end in DEVICE_NEEDS_RESET (logged once,
# counted once), never in anything worse, and the device must work again
# after a reset.  The guest prints exact counts of what it did; warden's
# statistics must agree with them.  KVM_IOEVENTFD and KVM_IRQFD work on
# this host's kvm_pvm, so the default run also checks that queue
# notifications completed in KVM (exits = register accesses - queue-0
# notifies), and the --no-ioeventfd --no-irqfd run that every access exited.
# Whether the host has them is asked of KVM directly (kvm-check-ext
# --ioeventfd on a scratch VM), never read from what warden printed: where
# the host has them and warden fails to use them, the checks fail.
VIRTIO_ERRORS=19          # broken queues the guest builds
VIRTIO_MIN_REQUESTS=15    # buffers served besides the reset-while-busy ones
virtio_count() { # FILE KEY: a number from the guest's "counts" line
	awk -v k="$2" '/^virtio-rng: counts / { for (i = 3; i < NF; i += 2) if ($i == k) print $(i + 1) }' "$1"
}
virtio_checks() { # BIN LABEL
	local bin=$1 l=$2 mode name j out acc exits

	for mode in ioeventfd no-ioeventfd; do
		name=$l-virtio-$mode
		if [ $mode = ioeventfd ] && [[ $HOST_IOEVENTFD == no:* ]]; then
			skip "$l virtio ($mode): this host's KVM has no ioeventfd/irqfd (kvm-check-ext --ioeventfd: $HOST_IOEVENTFD)"
			continue
		fi
		if [ $mode = ioeventfd ]; then
			run "$name" "$bin" --rng --transport mmio --kernel $G/virtio-hostile.elf
		else
			run "$name" "$bin" --rng --transport mmio --no-ioeventfd --no-irqfd --kernel $G/virtio-hostile.elf
		fi
		j=$OUT/$name.json
		out=$OUT/$name.out
		expect_eq "$l virtio ($mode): poweroff exit status" 0 "$(rc $name)"
		expect_match "$l virtio ($mode): every guest check passed" '^virtio-rng: all checks passed$' "$out"
		if grep -q '^virtio-rng: FAIL ' "$out"; then
			failed "$l virtio ($mode): guest checks failed: $(grep '^virtio-rng: FAIL ' "$out" | head -n 5 | tr '\n' ';')"
		fi
		expect_match "$l virtio ($mode): good buffer" '^virtio-rng: 64 random bytes returned$' "$out"
		expect_match "$l virtio ($mode): descriptor loop" '^virtio-rng: descriptor loop 1->2->1: device needs reset$' "$out"
		expect_match "$l virtio ($mode): recovery after reset" '^virtio-rng: recovered: 64 random bytes after the reset$' "$out"
		expect_match "$l virtio ($mode): buffer outside RAM" '^virtio-rng: buffer at 512 MiB \(outside RAM\): device needs reset$' "$out"
		expect_match "$l virtio ($mode): avail index jump" '^virtio-rng: avail index jumped by 1000: device needs reset$' "$out"
		expect_match "$l virtio ($mode): queue size 3" '^virtio-rng: queue size 3 at QueueReady: device needs reset$' "$out"
		expect_match "$l virtio ($mode): notify of a missing queue" '^virtio-rng: notify of queue 5, .*device works$' "$out"
		expect_eq "$l virtio ($mode): failure steps" $VIRTIO_ERRORS "$(grep -c '^virtio-rng: .*: device needs reset$' "$out")"
		# Guest errors are logged rate-limited: the first 5 of a burst.
		expect_eq "$l virtio ($mode): guest errors logged, rate-limited" 5 \
			"$(grep -c '^warden: guest error: virtio-rng: device needs reset' "$OUT/$name.err")"
		expect_eq "$l virtio ($mode): errors counted" $VIRTIO_ERRORS "$(json $j '.device_work["virtio-rng"].errors')"
		expect_eq "$l virtio ($mode): errors as the guest counted" "$(virtio_count "$out" errors)" \
			"$(json $j '.device_work["virtio-rng"].errors')"
		[ "$(json $j '.device_work["virtio-rng"].requests')" -ge $VIRTIO_MIN_REQUESTS ] 2>/dev/null &&
			pass "$l virtio ($mode): at least $VIRTIO_MIN_REQUESTS requests" ||
			failed "$l virtio ($mode): requests $(json $j '.device_work["virtio-rng"].requests') < $VIRTIO_MIN_REQUESTS"
		expect_eq "$l virtio ($mode): requests as the guest counted" "$(virtio_count "$out" requests)" \
			"$(json $j '.device_work["virtio-rng"].requests')"
		expect_eq "$l virtio ($mode): bytes as the guest counted" "$(virtio_count "$out" bytes)" \
			"$(json $j '.device_work["virtio-rng"].bytes')"
		expect_eq "$l virtio ($mode): notifications consumed" "$(virtio_count "$out" kicks)" \
			"$(json $j '.device_work["virtio-rng"].notifies')"
		expect_eq "$l virtio ($mode): interrupts (EVENT_IDX suppresses one)" "$(virtio_count "$out" irqs)" \
			"$(json $j '.device_work["virtio-rng"].interrupts')"
		acc=$(virtio_count "$out" accesses)
		exits=$(json $j '.device_work["virtio-rng"].exits')
		if [ $mode = ioeventfd ]; then
			expect_eq "$l virtio ($mode): exits = register accesses - queue-0 notifies" \
				"$((acc - $(virtio_count "$out" fast)))" "$exits"
		else
			expect_eq "$l virtio ($mode): every register access exits" "$acc" "$exits"
		fi
		expect_eq "$l virtio ($mode): device exits in the exit table" "$exits" "$(json $j '.devices["virtio-rng"].count')"
	done
}

# Every name warden gives a thread is one the emulated tier recognises in
# a kernel's soft-lockup report (WARDEN_THREADS in tests/lib.sh): a shim
# (thread_names.c) logs the names of a run with 2 vCPUs, a virtio device
# and the observatory.
thread_name_checks() {
	local log=$OUT/thread-names.txt other
	rm -f "$log"
	if [ ! -f $B/tests/thread-names.so ]; then
		failed "thread names: $B/tests/thread-names.so is missing (make native-test builds it)"
		return
	fi
	WARDEN_THREAD_NAMES=$log LD_PRELOAD=$B/tests/thread-names.so timeout 60 $B/warden run --mem 16 --cpus 2 --rng --transport mmio \
		--kernel $G/virtio-hostile.elf --stats-trace "$OUT/thread-names.jsonl" \
		>"$OUT/thread-names.out" 2>"$OUT/thread-names.err" </dev/null
	expect_eq "thread names: the shim saw both vCPU threads named" "vcpu0 vcpu1" \
		"$(grep -Ex 'vcpu[0-9]+' "$log" 2>/dev/null | sort -u | tr '\n' ' ' | sed 's/ $//')"
	grep -qx virtio-rng "$log" 2>/dev/null &&
		pass "thread names: the I/O thread of virtio-rng is named after its device" ||
		failed "thread names: no thread named virtio-rng (names: $(sort -u "$log" 2>/dev/null | tr '\n' ' '))"
	other=$(sort -u "$log" 2>/dev/null | grep -Evx "$WARDEN_THREADS" | tr '\n' ' ')
	if [ -z "$other" ]; then
		pass "thread names: all known to WARDEN_THREADS ($(sort -u "$log" | tr '\n' ' '))"
	else
		failed "thread names: warden names a thread '${other% }', which WARDEN_THREADS (tests/lib.sh) does not know"
	fi
}

. tests/native/observatory.sh
. tests/native/multiboot.sh
. tests/native/hypercall.sh
. tests/native/hyperv.sh        # --hyperv, --hyperv-testdev
. tests/native/lab_svg.sh       # the lab's SVG figures (svg_count, svg_doctor)
. tests/native/lab_regpage.sh   # warden lab emulated-vs-virtio
. tests/native/lab_batching.sh  # warden lab batching
. tests/native/lab_msr.sh       # warden lab msr-filter
. tests/native/lab_sensitive.sh # warden lab sensitive
. tests/native/advice.sh        # the advice's saving from bench exits rows
. tests/native/lab_idle.sh      # warden lab idle
. tests/native/lab_interrupts.sh # warden lab interrupts
. tests/native/lab_tsc.sh       # warden lab tsc
. tests/native/lab_paging.sh    # warden lab paging
. tests/native/shutdown.sh      # SIGTERM, the power button, the deadline, --nested
. tests/native/rtc.sh           # the RTC's update-ended flag
. tests/native/ioapic.sh        # --irqchip kernel|split: KVM's IOAPIC and warden's
. tests/native/rootdisk.sh      # --disk ...,root and the guest's command line
. tests/native/s3.sh            # --acpi-s3: suspend, RTC alarm, resume
. tests/native/edu_iommu.sh     # --intel-iommu, --edu: DMA and interrupts remapped
. tests/native/virtio_poll.sh   # virtio-blk queues=N and poll=US
. tests/native/snapshot.sh      # --snapshot-dir, SIGUSR2, --restore
. tests/native/vhost.sh         # --net ...,vhost=on|auto without/with vhost-net
. tests/native/api_snapshot.sh  # PUT /snapshot/create and /snapshot/load (api.sh calls it)
. tests/native/api.sh           # the Firecracker-compatible API, --config-file, metrics
. tests/native/vsock.sh         # virtio-vsock with Firecracker's host side
. tests/native/guest_tools.sh   # the benchmark's guest tools (randread, uringio) on a file
thread_name_checks
guest_tools_checks
guest_checks $B/warden release
multiboot_checks $B/warden release
# virtio-pci (guests/virtio_pci_guest.c): the guest enumerates the bus on
# ports 0xcf8/0xcfc, programs MSI-X and drives virtio-rng; every MSI it
# expects must reach the local APIC (it reads the IRR) and it never reads
# the ISR, which is a device of its own: zero exits there.  Its hostile
# steps (a BAR moved, MSI-X writes outside the table and into the PBA, a
# vector the function lacks, rings outside RAM) each count one error.
pci_checks() { # BIN LABEL
	local bin=$1 l=$2 name=$2-virtio-pci j out
	name=$l-virtio-pci
	if [[ $HOST_IOEVENTFD == no:* ]]; then
		skip "$l virtio-pci: this host's KVM has no ioeventfd/irqfd ($HOST_IOEVENTFD)"
		return
	fi
	run "$name" "$bin" --rng --transport pci --kernel $G/virtio-pci.elf
	j=$OUT/$name.json
	out=$OUT/$name.out
	expect_eq "$l virtio-pci: poweroff exit status" 0 "$(rc $name)"
	expect_match "$l virtio-pci: every guest check passed" '^virtio-pci: all checks passed$' "$out"
	grep -q '^virtio-pci: FAIL ' "$out" && failed "$l virtio-pci: $(grep '^virtio-pci: FAIL ' "$out" | head -n 5 | tr '\n' ';')"
	expect_match "$l virtio-pci: the queue's interrupt arrived as an MSI" "^virtio-pci: ok 64 random bytes; the queue's MSI arrived" "$out"
	expect_match "$l virtio-pci: masked vector held in the PBA, sent on unmask" '^virtio-pci: ok unmasked: delivered, PBA bit clear$' "$out"
	expect_eq "$l virtio-pci: warden counted the guest's errors" \
		"$(awk '/^virtio-pci: counts errors/ { print $4 }' "$out")" "$(json $j '.device_work["virtio-rng"].errors')"
	expect_eq "$l virtio-pci: no exits at the ISR" 0 "$(json $j '.device_work["virtio-rng-isr"].exits')"
	# The address register's writes go to KVM's coalesced ring where the
	# host has coalesced PIO: the same enumeration passes, and each write
	# queued is one exit to warden fewer than with --no-coalesced-pio.
	if [ "$COALESCED_PIO" != yes ]; then
		skip "$l virtio-pci: address writes queued by KVM: no coalesced PIO on this host ($COALESCED_PIO)"
		return
	fi
	run "$name-nocoal" "$bin" --rng --transport pci --no-coalesced-pio --kernel $G/virtio-pci.elf
	expect_match "$l virtio-pci --no-coalesced-pio: every guest check passed" '^virtio-pci: all checks passed$' \
		"$OUT/$name-nocoal.out"
	[ "$(json $j '.coalesced_writes["pci-host"]')" -gt 0 ] 2>/dev/null &&
		pass "$l virtio-pci: address writes queued by KVM ($(json $j '.coalesced_writes["pci-host"]'))" ||
		failed "$l virtio-pci: no address write queued by KVM ($(json $j '.coalesced_writes["pci-host"]'))"
	expect_eq "$l virtio-pci: each queued write is one exit to warden fewer" \
		"$(json "$OUT/$name-nocoal.json" '.devices["pci-host"].count')" \
		"$(json $j '.devices["pci-host"].count + .coalesced_writes["pci-host"]')"
}

virtio_checks $B/warden release
pci_checks $B/warden release
blk_mq_checks $B/warden release
blk_rate_checks $B/warden release
observatory_checks $B/warden release
hypercall_checks $B/warden release
hyperv_checks $B/warden release
hypercall_bad_input
lab_regpage_checks $B/warden release
lab_checks_can_fail
lab_batching_checks $B/warden release
lab_batching_can_fail
lab_msr_checks $B/warden release
lab_msr_can_fail
lab_sensitive_checks $B/warden release
lab_sensitive_can_fail
advice_costs_checks $B/warden
lab_idle_checks $B/warden release
lab_idle_can_fail
idle_run_checks $B/warden release
lab_interrupts_checks $B/warden release
lab_interrupts_can_fail
lab_interrupts_nocaps
lab_tsc_checks $B/warden release
lab_tsc_can_fail
lab_tsc_msr_path
lab_paging_checks $B/warden release
lab_paging_can_fail
shutdown_checks $B/warden release
rtc_checks $B/warden release
ioapic_checks $B/warden release
vhost_checks $B/warden release
s3_checks $B/warden release
edu_iommu_checks $B/warden release
snapshot_checks $B/warden release
vsock_checks $B/warden release mmio
vsock_checks $B/warden release pci
vsock_api_checks $B/warden release
nested_checks $B/warden release
obs_bad "--stats-interval 0" 'between 0.01 and 3600' --stats-interval 0
obs_bad "--stats-interval not a number" 'between 0.01 and 3600' --stats-interval fast
obs_bad "--stats-trace unwritable" 'cannot write --stats-trace' --stats-trace /nonexistent/dir/t.jsonl

# --reboot: a guest that resets is started again (each boot prints its
# hello), until warden is told to stop.
timeout --preserve-status -s TERM 3 $B/warden run --mem 16 --reboot --kernel $G/real16.bin --kernel-format flat \
	--stats "$OUT/reboot-loop.json" \
	>"$OUT/reboot-loop.out" 2>"$OUT/reboot-loop.err" </dev/null
st=$?
n=$(grep -c '^real16: hello' "$OUT/reboot-loop.out")
[ "$n" -ge 3 ] && pass "--reboot restarts a resetting guest ($n boots in 3 s)" || failed "--reboot: $n boots"
expect_eq "--reboot: stopped by SIGTERM (status 7)" 7 "$st"
expect_match "--reboot: each restart is announced" 'guest rebooted; starting it again' "$OUT/reboot-loop.err"
# The stop can land after a boot's hello and before its reset, so the
# last boot may not have reset: n or n-1 resets, never just one boot's.
resets=$(json "$OUT/reboot-loop.json" .devices.i8042.count)
if [ "$resets" = "$n" ] || [ "$resets" = "$((n - 1))" ]; then
	pass "--reboot: accounting spans all boots ($resets resets, $n boots)"
else
	failed "--reboot: accounting spans all boots: $resets resets for $n boots"
fi
# The same guests under AddressSanitizer + UBSan: any report fails the run.
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
rm -f "$OUT"/asan-*.err
guest_checks $B/asan/warden asan
multiboot_checks $B/asan/warden asan
virtio_checks $B/asan/warden asan
pci_checks $B/asan/warden asan
blk_mq_checks $B/asan/warden asan
blk_rate_checks $B/asan/warden asan
observatory_checks $B/asan/warden asan
hypercall_checks $B/asan/warden asan
hyperv_checks $B/asan/warden asan
edu_iommu_checks $B/asan/warden asan
lab_regpage_checks $B/asan/warden asan
lab_batching_checks $B/asan/warden asan
lab_msr_checks $B/asan/warden asan
lab_sensitive_checks $B/asan/warden asan
lab_idle_checks $B/asan/warden asan
idle_run_checks $B/asan/warden asan
lab_interrupts_checks $B/asan/warden asan
lab_tsc_checks $B/asan/warden asan
lab_paging_checks $B/asan/warden asan
shutdown_checks $B/asan/warden asan
rtc_checks $B/asan/warden asan
ioapic_checks $B/asan/warden asan
vhost_checks $B/asan/warden asan
s3_checks $B/asan/warden asan
snapshot_checks $B/asan/warden asan
vsock_checks $B/asan/warden asan mmio
# sanitizer_report FILE: the first line of a sanitizer report in FILE.
sanitizer_report() {
	grep -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer)|runtime error:' "$1"
}
printf '=================================================================\n==4242==ERROR: AddressSanitizer: heap-use-after-free on address 0x602000000010\n' \
	>"$OUT/sanitizer-selftest.err"
printf 'src/x.c:1:2: runtime error: signed integer overflow\n' >"$OUT/ubsan-selftest.err"
if [ -n "$(sanitizer_report "$OUT/sanitizer-selftest.err")" ] && [ -n "$(sanitizer_report "$OUT/ubsan-selftest.err")" ]; then
	pass "check can fail: ASan and UBSan reports are found by the scan"
else
	failed "the sanitizer scan misses a planted ASan or UBSan report"
fi
# Every asan run's stderr is there and holds no report; "none" only when
# the scan saw them all.
reports=0
for name in "${ASAN_RUNS[@]}"; do
	f=$OUT/$name.err
	if [ ! -f "$f" ]; then
		failed "asan run $name left no stderr file to scan"
		reports=$((reports + 1))
	elif r=$(sanitizer_report "$f"); then
		failed "sanitizer report in $f: $r"
		reports=$((reports + 1))
	fi
done
if [ ${#ASAN_RUNS[@]} -eq 0 ]; then
	failed "no asan run to scan for sanitizer reports"
elif [ $reports -eq 0 ]; then
	pass "no sanitizer reports in the ${#ASAN_RUNS[@]} asan runs"
fi

# Bad input: one line, exit status 2.
bad() { # NAME REGEX ARGS...
	local name=$1 re=$2
	shift 2
	$B/warden "$@" >"$OUT/bad.out" 2>"$OUT/bad.err" </dev/null
	local st=$?
	if [ $st -eq 2 ] && [ "$(wc -l <"$OUT/bad.err")" -eq 1 ] && grep -Eq -- "$re" "$OUT/bad.err"; then
		pass "bad input: $name"
	else
		failed "bad input: $name (status $st): $(head -c 300 "$OUT/bad.err")"
	fi
}
multiboot_bad
vsock_bad
advice_costs_bad
lab_bad_input
api_bad_input
lab_batching_bad_input
lab_msr_bad_input
lab_sensitive_bad_input
rootdisk_bad_input
blk_mq_bad_input
lab_idle_bad_input
lab_interrupts_bad_input
lab_tsc_bad_input
lab_paging_bad_input
printf 'not a kernel at all\n' >"$OUT/not-a-kernel"
# A bzImage header with boot protocol 2.00.
python3 - "$OUT/old-kernel" <<'PY' 2>/dev/null || printf '' >"$OUT/old-kernel"
import sys, struct
b = bytearray(4096)
b[0x1f1] = 4; b[0x1fe:0x200] = b'\x55\xaa'; b[0x202:0x206] = b'HdrS'
b[0x206:0x208] = struct.pack('<H', 0x0200)
open(sys.argv[1], 'wb').write(b)
PY
# A bzImage cut short: a 2.15 header that passes every other check, whose
# syssize says one 16-byte unit more than the file holds after the setup
# (and the same file whole, for the kvm_pvm check below).
python3 - "$OUT/cut-bzimage" "$OUT/whole-bzimage" <<'PY' 2>/dev/null || printf '' >"$OUT/cut-bzimage"
import sys, struct
setup, pm = 5 * 512, 0x1000
b = bytearray(setup + pm)
b[0x1f1] = 4; b[0x1fe:0x200] = b'\x55\xaa'; b[0x200:0x202] = b'\xeb\x6a'; b[0x202:0x206] = b'HdrS'
b[0x206:0x208] = struct.pack('<H', 0x020f); b[0x211] = 0x01; b[0x236] = 0x01
struct.pack_into('<I', b, 0x1f4, pm // 16 + 1)
open(sys.argv[1], 'wb').write(b)
struct.pack_into('<I', b, 0x1f4, pm // 16)
open(sys.argv[2], 'wb').write(b)
PY
bad "bzImage cut short (syssize)" 'cut-bzimage: truncated bzImage' run --kernel "$OUT/cut-bzimage"
# The guest's own kernels cut in half: refused as such, before anything
# about the host (boot_is_linux runs before the kvm_pvm check below).
if [ -f build/guest/vmlinuz ]; then
	head -c $(($(wc -c <build/guest/vmlinuz) / 2)) build/guest/vmlinuz >"$OUT/vmlinuz-cut"
	bad "the guest's bzImage cut in half" 'vmlinuz-cut: truncated bzImage' run --kernel "$OUT/vmlinuz-cut"
fi
if [ -f build/guest/vmlinux ]; then
	head -c $(($(wc -c <build/guest/vmlinux) / 2)) build/guest/vmlinux >"$OUT/vmlinux-cut"
	bad "the guest's vmlinux cut in half" 'vmlinux-cut: .*outside the file' run --kernel "$OUT/vmlinux-cut"
fi
bad "missing kernel" 'cannot open kernel' run --kernel /nonexistent/vmlinuz
bad "unreadable kernel (a directory)" 'not a regular file' run --kernel /
bad "not a bzImage" 'not a bzImage' run --kernel "$OUT/not-a-kernel"
bad "boot protocol too old" 'too old' run --kernel "$OUT/old-kernel"
bad "missing initrd" 'cannot open initrd' run --kernel $G/long64.elf --initrd /nonexistent/initrd
bad "--mem too small" 'too small' run --kernel $G/long64.elf --mem 1
bad "--mem more than the host has" 'more than this host' run --kernel $G/long64.elf --mem 100000G
bad "--cpus 0" 'at least 1' run --kernel $G/long64.elf --cpus 0
bad "--cpus above the limit" 'too large|KVM limit' run --kernel $G/long64.elf --cpus 1000
bad "no /dev/kvm" 'no /nonexistent/kvm' run --kernel $G/long64.elf --kvm-device /nonexistent/kvm
bad "not a KVM device" 'not a KVM device' run --kernel $G/long64.elf --kvm-device /dev/null
bad "unknown option" 'unknown option' run --frobnicate
if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
	chmod o+rx build "$B" "$B/warden" 2>/dev/null
	# A guest the unprivileged user can read: the kernel is checked before
	# /dev/kvm is opened.
	cp $G/long64.elf "$OUT/long64-world.elf" && chmod 644 "$OUT/long64-world.elf"
	setpriv --reuid=65534 --regid=65534 --clear-groups $B/warden run --kernel "$OUT/long64-world.elf" \
		>"$OUT/bad.out" 2>"$OUT/bad.err" </dev/null
	st=$?
	if [ $st -eq 2 ] && grep -q 'no permission' "$OUT/bad.err"; then pass "bad input: no permission on /dev/kvm"
	else failed "bad input: no permission on /dev/kvm (status $st): $(cat "$OUT/bad.err")"; fi
else
	skip "not root or no setpriv: cannot test /dev/kvm permission denial"
fi
# KVM API version mismatch: a preloaded shim makes KVM_GET_API_VERSION answer 11.
if [ -f $B/tests/fake-kvm-api.so ]; then
	LD_PRELOAD=$B/tests/fake-kvm-api.so $B/warden run --kernel $G/long64.elf \
		>"$OUT/bad.out" 2>"$OUT/bad.err" </dev/null
	st=$?
	if [ $st -eq 2 ] && grep -q 'API version mismatch' "$OUT/bad.err"; then pass "bad input: KVM API version mismatch"
	else failed "bad input: KVM API version mismatch (status $st): $(cat "$OUT/bad.err")"; fi
else
	failed "bad input: KVM API version mismatch: $B/tests/fake-kvm-api.so is missing (make native-test builds it)"
fi
# A stock kernel on a paravirtual KVM host is refused up front.
if [ -d /sys/module/kvm_pvm ] && [ ! -d /sys/module/kvm_intel ] && [ ! -d /sys/module/kvm_amd ]; then
	if [ -f build/guest/vmlinuz ]; then
		bad "stock Linux on kvm_pvm host" 'cannot run an unmodified Linux kernel' run --kernel build/guest/vmlinuz
	else
		skip "build/guest/vmlinuz missing: cannot test the kvm_pvm refusal"
	fi
	# The bzImage cut short above, whole: only the truncation refused it.
	bad "bzImage cut short, whole: refused for the host only" 'cannot run an unmodified Linux kernel' \
		run --kernel "$OUT/whole-bzimage"
fi
$B/warden --version | grep -q '^warden ' && pass "--version" || failed "--version"
$B/warden --help | grep -- '--kernel' >/dev/null && pass "--help" || failed "--help"  # grep reads it all: -q would end the pipe early (SIGPIPE under pipefail)

. tests/native/caps.sh   # warden caps against KVM asked directly
. tests/native/bench_exits.sh   # warden bench exits at a small size
. tests/native/sandbox.sh       # seccomp per thread, the jail

finish native
