#!/usr/bin/env bash
# `warden bench exits` at a small size on this host's /dev/kvm: every row is
# measured, skipped for a reason KVM gives when asked directly
# (tests/native/kvm_check_ext.c); exits per iteration are what each row
# is designed to cause;
# the JSON has its fields; a host without a capability (an LD_PRELOAD shim
# hides it) gets rows skipped, not failed; bad options give one line and
# status 2.  Sourced by run.sh (which provides B, OUT and the tests/lib.sh
# helpers); also runs alone:
#   NATIVE_BUILD=build bash tests/native/bench_exits.sh
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -uo pipefail
	cd "$(dirname "$0")/../.."
	. tests/lib.sh
	B=${NATIVE_BUILD:-build}
	OUT=$B/tests/native
	mkdir -p "$OUT"
	BENCH_ALONE=1
fi
echo "== warden bench exits"
CK=$B/tests/kvm-check-ext
BX_N=200
BX_ROWS="loop cpuid hypercall-kvm pio-warden pio-ioeventfd mmio-write-warden mmio-read-warden mmio-ioeventfd
mmio-coalesced pio-coalesced hlt-timer hlt-ipi rdmsr-kvm wrmsr-kvm rdmsr-warden wrmsr-warden ipi hypercall-warden hypercall-fast"

# bx_run NAME BIN ARGS...: one bench run, its status in $OUT/NAME.rc.
bx_run() {
	local name=$1 bin=$2
	shift 2
	timeout 600 nice -n 10 "$bin" bench exits "$@" >"$OUT/$name.out" 2>"$OUT/$name.err" </dev/null
	echo $? >"$OUT/$name.rc"
}
# bx ROW FILTER: a field of row ROW in the main run's JSON.
bx() { json "$BJ" ".rows[] | select(.name==\"$1\") | $2"; }

# bx_checks JSONFILE LABEL: what must hold in any complete run.
bx_fields() {
	local j=$1 l=$2
	expect_eq "$l: experiment" bench-exits "$(json "$j" .experiment)"
	expect_eq "$l: tier is native or emulated" true "$(json "$j" '.tier.name | test("^(native|emulated)$")')"
	expect_eq "$l: every row has a name and a status" true \
		"$(json "$j" '[.rows[] | (.name | type == "string") and (.status | test("^(measured|skipped|not yet|failed)$"))] | all')"
	expect_eq "$l: measured rows have guest and floor figures and overhead_ratio" true \
		"$(json "$j" '[.rows[] | select(.status=="measured") | (.guest.ns.median > 0) and (.guest.cycles.p99 >= .guest.cycles.median) and (.guest.cycles.min <= .guest.cycles.median) and (.floor.ns.median > 0) and (.overhead_ratio > 0) and (.warden_share | has("ns_per_iteration"))] | all')"
	expect_eq "$l: rows not measured say why" true \
		"$(json "$j" '[.rows[] | select(.status!="measured") | (.reason | length > 10) and (.overhead_ratio == null)] | all')"
}

if [ ! -x "$CK" ]; then
	failed "bench exits: $CK missing (make native-test builds it)"
fi
bx_run bench-exits $B/warden --rounds 1 --iterations $BX_N --json "$OUT/bench-exits.json"
BJ=$OUT/bench-exits.json
expect_eq "bench exits: exit status" 0 "$(cat "$OUT/bench-exits.rc")"
expect_eq "bench exits: nothing on stderr" 0 "$(wc -c <"$OUT/bench-exits.err")"
expect_match "bench exits: table header" '^row +warden/it +KVM/it +guest ns +p99 ns +floor ns +share ns/ex +share% +overhead +net$' \
	"$OUT/bench-exits.out"
bx_fields "$BJ" "bench exits"
expect_eq "bench exits: all $(wc -w <<<"$BX_ROWS") rows, in order" "$(echo $BX_ROWS)" \
	"$(json "$BJ" '[.rows[].name] | join(" ")')"
expect_eq "bench exits: iterations as asked" $BX_N "$(json "$BJ" .iterations)"
expect_eq "bench exits: no row failed ($(json "$BJ" '[.rows[] | select(.status=="failed") | "\(.name): \(.reason)"] | join("; ")'))" \
	0 "$(json "$BJ" '[.rows[] | select(.status=="failed")] | length')"
# The table prints every row once, with the JSON's verdict.
for r in $BX_ROWS; do
	st=$(bx "$r" .status)
	if [ "$st" = measured ]; then
		expect_match "bench exits: table row $r measured" "^$r +[0-9.]+ +([0-9.]+|\?) +[0-9]+ " "$OUT/bench-exits.out"
	else
		expect_match "bench exits: table row $r says $st" "^$r +$st: " "$OUT/bench-exits.out"
	fi
done
expect_eq "bench exits: tier's KVM module as in /sys/module" \
	"$(for m in kvm_amd kvm_intel kvm_pvm; do [ -d /sys/module/$m ] && { echo $m; break; }; done)" \
	"$(json "$BJ" .tier.kvm_module)"
# The tier: kvm_pvm is the native tier; elsewhere, emulated exactly when
# the CPU is QEMU's TCG (its CPUID signature, which the JSON quotes).
if [ -d /sys/module/kvm_pvm ] && [ ! -d /sys/module/kvm_amd ] && [ ! -d /sys/module/kvm_intel ]; then
	expect_eq "bench exits: kvm_pvm is the native tier" native "$(json "$BJ" .tier.name)"
elif json "$BJ" .tier.cpu | grep -q TCGTCGTCGTCG; then
	expect_eq "bench exits: a TCG CPU is the emulated tier" emulated "$(json "$BJ" .tier.name)"
else
	expect_eq "bench exits: a CPU that is not TCG is the native tier" native "$(json "$BJ" .tier.name)"
fi

# Skipped rows: exactly those whose capability KVM denies when asked
# without warden (on a VM, as warden asks when KVM answers there).
if [ -x "$CK" ]; then
	vmcap() { $CK --vm "$1" 2>/dev/null || echo error; }
	ioev=$(vmcap 36) coal=$(vmcap 15) usm=$(vmcap 188) filt=$(vmcap 189)
	want() { [ "$1" -gt 0 ] 2>/dev/null && echo measured || echo skipped; }
	for r in pio-ioeventfd mmio-ioeventfd hypercall-fast; do
		expect_eq "bench exits: $r as KVM_CAP_IOEVENTFD ($ioev) says" "$(want "$ioev")" "$(bx $r .status)"
	done
	expect_eq "bench exits: mmio-coalesced as KVM_CAP_COALESCED_MMIO ($coal) says" "$(want "$coal")" \
		"$(bx mmio-coalesced .status)"
	cpio=$(vmcap 162)
	[ "$coal" -gt 0 ] 2>/dev/null && cboth=$cpio || cboth=0
	expect_eq "bench exits: pio-coalesced as KVM_CAP_COALESCED_PIO ($cpio) and _MMIO ($coal) say" "$(want "$cboth")" \
		"$(bx pio-coalesced .status)"
	tscd=$(vmcap 72)
	[ "$tscd" -gt 0 ] 2>/dev/null &&
		expect_eq "bench exits: hlt-timer measured, as KVM_CAP_TSC_DEADLINE_TIMER ($tscd) offers the timer" measured \
			"$(bx hlt-timer .status)"
	m=$( [ "$usm" -gt 0 ] 2>/dev/null && [ "$filt" -gt 0 ] 2>/dev/null && echo measured || echo skipped)
	for r in rdmsr-warden wrmsr-warden; do
		expect_eq "bench exits: $r as KVM_CAP_X86_USER_SPACE_MSR ($usm) and MSR_FILTER ($filt) say" "$m" \
			"$(bx $r .status)"
	done
fi
# kvm_pvm never completes a VMCALL from ring 0 (docs/lab.md): skipped there,
# and only there.
if [ -d /sys/module/kvm_pvm ] && [ ! -d /sys/module/kvm_amd ] && [ ! -d /sys/module/kvm_intel ]; then
	expect_eq "bench exits: hypercall-kvm skipped on kvm_pvm" skipped "$(bx hypercall-kvm .status)"
	expect_eq "bench exits: hypercall-kvm's reason names kvm_pvm" true "$(bx hypercall-kvm '.reason | test("kvm_pvm")')"
else
	expect_eq "bench exits: hypercall-kvm measured" measured "$(bx hypercall-kvm .status)"
	expect_eq "bench exits: KVM answered the hypercall with -KVM_ENOSYS" 0xfffffffffffffc18 \
		"$(bx hypercall-kvm .guest.guest_check)"
fi
expect_eq "bench exits: no row is 'not yet'" 0 "$(json "$BJ" '[.rows[] | select(.status=="not yet")] | length')"
expect_eq "bench exits: hypercall-warden measured (it needs no capability)" measured "$(bx hypercall-warden .status)"

# The hypercall rows: every call answered WHC_OK (the guest counts the
# ones that were not), by warden and by the floor.
for r in hypercall-warden hypercall-fast; do
	[ "$(bx $r .status)" = measured ] || continue
	for side in guest floor; do
		expect_eq "bench exits: $r ($side): every hypercall answered WHC_OK" 0x0 "$(bx $r .$side.guest_check)"
	done
done

# Exits per iteration as designed, on both sides (warden and the floor):
# exactly one per iteration for the rows that go to warden, none for the
# ones KVM handles or an ioeventfd absorbs, one per full ring (169 writes
# on x86's ring of 170 entries) for coalesced MMIO.
for r in pio-warden mmio-write-warden mmio-read-warden rdmsr-warden wrmsr-warden hypercall-warden; do
	[ "$(bx $r .status)" = measured ] || continue
	expect_eq "bench exits: $r: one exit to warden per iteration" $BX_N "$(bx $r .guest.exits_to_user_space)"
	expect_eq "bench exits: $r: one exit to the floor per iteration" $BX_N "$(bx $r .floor.exits_to_user_space)"
done
for r in loop cpuid hypercall-kvm pio-ioeventfd mmio-ioeventfd hlt-timer hlt-ipi rdmsr-kvm wrmsr-kvm ipi \
	hypercall-fast; do
	[ "$(bx $r .status)" = measured ] || continue
	expect_eq "bench exits: $r: no exit reaches warden" 0 "$(bx $r .guest.exits_to_user_space)"
	expect_eq "bench exits: $r: no exit reaches the floor" 0 "$(bx $r .floor.exits_to_user_space)"
done
for r in mmio-coalesced pio-coalesced; do
	[ "$(bx $r .status)" = measured ] || continue
	for side in guest floor; do
		x=$(bx $r ".$side.exits_to_user_space")
		if [ "$x" -ge $((BX_N / 169)) ] 2>/dev/null && [ "$x" -le $((BX_N / 169 + 1)) ]; then
			pass "bench exits: $r ($side): $x exits for $BX_N writes (one per full ring)"
		else
			failed "bench exits: $r ($side): $x exits for $BX_N writes, want one per 169"
		fi
	done
	# Every write of the window reached the device: through the ring
	# (drained at a full ring's exit or before the end mark), or, for the
	# write that found the ring full, by its own exit.
	expect_eq "bench exits: $r: every write reached the device through warden" \
		"$BX_N" "$(bx $r '.warden_share.coalesced_writes_per_iteration * '$BX_N' + .guest.exits_to_user_space | round')"
done
# KVM's own counter agrees: at least one exit per iteration where one
# reaches warden (each is KVM's first), next to none for the measuring loop
# on its own (only the host's interrupts: well under one in ten).
if [ "$(bx pio-warden .guest.kvm_exits_per_iteration)" != null ]; then
	expect_eq "bench exits: pio-warden: KVM counts every exit" true \
		"$(bx pio-warden '.guest.kvm_exits_per_iteration >= 1 and .floor.kvm_exits_per_iteration >= 1')"
	expect_eq "bench exits: loop: KVM counts (almost) no exit" true \
		"$(bx loop '.guest.kvm_exits_per_iteration < 0.1 and .floor.kvm_exits_per_iteration < 0.1')"
else
	skip "bench exits: this host's KVM has no binary stats: KVM's exit counts not compared"
fi
# What the guest read back: the bench device's register, through warden;
# the MSR as warden's device and as KVM keep it (warden boots it as 1).
[ "$(bx mmio-read-warden .status)" = measured ] &&
	expect_eq "bench exits: mmio-read-warden read the device's value" 0x4c414221 "$(bx mmio-read-warden .guest.guest_check)"
[ "$(bx rdmsr-warden .status)" = measured ] &&
	expect_eq "bench exits: rdmsr-warden read warden's MSR device" 0x1 "$(bx rdmsr-warden .guest.guest_check)"
expect_eq "bench exits: rdmsr-kvm read KVM's IA32_MISC_ENABLE" 0x1 "$(bx rdmsr-kvm .guest.guest_check)"
# warden's share exists exactly where exits reach warden.
expect_eq "bench exits: pio-warden: warden's share per exit measured" true \
	"$(bx pio-warden '.warden_share.ns_per_exit.total > 0 and .warden_share.ns_per_exit.decode > 0 and .warden_share.fraction_of_round_trip > 0 and .overhead_ratio_bound_from_share > 1')"
expect_eq "bench exits: cpuid: no warden share" 0 "$(bx cpuid .warden_share.ns_per_iteration)"
expect_eq "bench exits: hypercall-warden: warden's share per exit measured" true \
	"$(bx hypercall-warden '.warden_share.ns_per_exit.total > 0 and .warden_share.ns_per_exit.emulate > 0')"

# A host without ioeventfd, coalesced MMIO and user-space MSRs (hidden by
# a shim that makes KVM_CHECK_EXTENSION answer 0): those rows are skipped,
# naming the capability, and the run still succeeds.
if [ -f $B/tests/fake-kvm-caps.so ]; then
	WARDEN_FAKE_NO_CAPS=36,15,188,162 LD_PRELOAD=$B/tests/fake-kvm-caps.so \
		bx_run bench-exits-nocaps $B/warden --rounds 1 --iterations 20 \
		--rows pio-warden,pio-ioeventfd,mmio-coalesced,pio-coalesced,rdmsr-warden,mmio-ioeventfd,hypercall-warden,hypercall-fast \
		--json "$OUT/bench-exits-nocaps.json"
	j=$OUT/bench-exits-nocaps.json
	expect_eq "bench exits without capabilities: exit status" 0 "$(cat "$OUT/bench-exits-nocaps.rc")"
	bx_fields "$j" "bench exits without capabilities"
	for rc in pio-ioeventfd:KVM_CAP_IOEVENTFD mmio-ioeventfd:KVM_CAP_IOEVENTFD mmio-coalesced:KVM_CAP_COALESCED_MMIO \
		pio-coalesced:KVM_CAP_COALESCED_MMIO rdmsr-warden:KVM_CAP_X86_USER_SPACE_MSR hypercall-fast:KVM_CAP_IOEVENTFD; do
		r=${rc%%:*} cap=${rc#*:}
		expect_eq "bench exits without $cap: $r skipped, naming it" "skipped true" \
			"$(json "$j" ".rows[] | select(.name==\"$r\") | \"\(.status) \(.reason | test(\"$cap\"))\"")"
	done
	for r in pio-warden hypercall-warden; do
		expect_eq "bench exits without capabilities: $r still measured" measured \
			"$(json "$j" ".rows[] | select(.name==\"$r\") | .status")"
	done
	expect_eq "bench exits without capabilities: the JSON records KVM's answer" 0 \
		"$(json "$j" .tier.capabilities.KVM_CAP_COALESCED_MMIO)"
else
	failed "bench exits: $B/tests/fake-kvm-caps.so missing (make native-test builds it)"
fi

# Under AddressSanitizer + UBSan: a few rows of each kind of path (warden
# exits, MSRs, coalesced ring, two vCPUs).
if [ -x "$B/asan/warden" ]; then
	ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		bx_run bench-exits-asan $B/asan/warden --rounds 1 --iterations 50 \
		--rows pio-warden,mmio-read-warden,mmio-coalesced,wrmsr-warden,hlt-ipi,hypercall-warden,hypercall-fast \
		--json "$OUT/bench-exits-asan.json"
	expect_eq "bench exits (asan): status 0, nothing on stderr" "0 0" \
		"$(cat "$OUT/bench-exits-asan.rc") $(wc -c <"$OUT/bench-exits-asan.err")"
	for r in pio-warden hypercall-warden; do
		expect_eq "bench exits (asan): $r one exit per iteration" 50 \
			"$(json "$OUT/bench-exits-asan.json" ".rows[] | select(.name==\"$r\") | .guest.exits_to_user_space")"
	done
	expect_eq "bench exits (asan): no row failed" 0 \
		"$(json "$OUT/bench-exits-asan.json" '[.rows[] | select(.status=="failed")] | length')"
fi

# Bad input: one line, status 2.
bx_bad() { # NAME REGEX ARGS...
	local name=$1 re=$2
	shift 2
	$B/warden "$@" >"$OUT/bx-bad.out" 2>"$OUT/bx-bad.err" </dev/null
	local st=$?
	if [ $st -eq 2 ] && [ "$(wc -l <"$OUT/bx-bad.err")" -eq 1 ] && grep -Eq -- "$re" "$OUT/bx-bad.err"; then
		pass "bench exits: bad input: $name"
	else
		failed "bench exits: bad input: $name (status $st): $(head -c 300 "$OUT/bx-bad.err")"
	fi
}
bx_bad "--rounds 0" 'rounds needs a number from 1 to 1000' bench exits --rounds 0
bx_bad "--iterations too many" 'iterations needs a number from 1 to 1000000' bench exits --iterations 1000001
bx_bad "--iterations not a number" 'iterations needs' bench exits --iterations many
bx_bad "--rows unknown" "no row 'nosuch'" bench exits --rows loop,nosuch
bx_bad "--json unwritable" 'cannot write --json /nonexistent/dir/x.json' bench exits --json /nonexistent/dir/x.json
bx_bad "unknown option" 'unknown option' bench exits --frobnicate
bx_bad "unknown experiment" "unknown bench 'nosuch'" bench nosuch
bx_bad "no experiment" 'bench needs an experiment' bench
bx_bad "no /dev/kvm" 'no /nonexistent/kvm' bench exits --kvm-device /nonexistent/kvm --rows loop
$B/warden bench exits --help >"$OUT/bx-help.out" 2>&1
expect_eq "bench exits --help: status 0" 0 "$?"
expect_match "bench exits --help: lists the rows" 'hypercall-warden' "$OUT/bx-help.out"

if [ -n "${BENCH_ALONE:-}" ]; then
	finish native-bench-exits
	exit $?
fi
