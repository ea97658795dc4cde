#!/usr/bin/env bash
# Emulated-hardware tier: QEMU TCG emulates an AMD-V host with nested
# paging (L1); a statically linked warden runs inside it and boots the
# default Debian-kernel guest as L2 through real SVM. Needs no /dev/kvm on
# the host. One L1 boot runs every case (tests/emu/l1-tests.sh); this
# script checks what came back.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh
OUT=build/tests/emu${EMU_ONLY:+-$EMU_ONLY}
mkdir -p "$OUT"
echo "== emulated-hardware tier (warden in an emulated AMD-V host)"
helper_checks   # the comparison helpers (tests/lib.sh) refuse missing sides

if ! command -v qemu-system-x86_64 >/dev/null; then
	skip "qemu-system-x86_64 is not installed: emulated-hardware tier not run"
	finish emu
	exit $?
fi
# EMU_ONLY=NAME runs only tests/emu/cases/NAME.l1.sh and its checks (for
# working on one feature); WARDEN=path picks the static binary (see l1.sh).
if [ -n "${EMU_ONLY:-}" ]; then
	extras=(tests/emu/cases/$EMU_ONLY.l1.sh)
else
	extras=(tests/emu/cases)
fi
# The native tier's test guests, for cases that run them under real SVM
# (/extra/guests in L1).
GUESTS=${EMU_GUESTS:-build/tests/guests}
[ -d "$GUESTS" ] && extras+=("$GUESTS")
bash tests/emu/l1.sh --smp 4 --mem 6144 --timeout 1200 tests/emu/l1-tests.sh "${extras[@]}" >"$OUT/l1.log" 2>&1
st=$?
# L1's own kernel used to hang now and then under multi-threaded TCG
# (about one full run in three), when KVM patched __schedule at a VM's
# start or end; l1-init now keeps a VM open so that never happens again
# (4 of 4 runs clean since, 112 s each). Should L1 still lock up, that says
# nothing about warden: L1 gets one more chance, and the tier says so.
if [ $st = 126 ]; then
	echo "  NOTE  L1's kernel locked up or hung under emulation; running L1 once more (first log: $OUT/l1-lockup.log)"
	mv "$OUT/l1.log" "$OUT/l1-lockup.log"
	bash tests/emu/l1.sh --smp 4 --mem 6144 --timeout 1200 tests/emu/l1-tests.sh "${extras[@]}" >"$OUT/l1.log" 2>&1
	st=$?
fi
tr -d '\r' <"$OUT/l1.log" >"$OUT/l1.txt"
expect_eq "L1 ran the cases" 0 "$st"

# Split the log into per-case files.
awk -v dir="$OUT" '
	/^@@CASE / { split($3, a, "="); print a[2] > (dir "/" $2 ".rc"); close(dir "/" $2 ".rc"); next }
	/^@@BEGIN / { f = dir "/" $2; printf "" > f; on = 1; next }
	/^@@END / { on = 0; close(f); next }
	on { print >> f }
' "$OUT/l1.txt"
rc() { cat "$OUT/$1.rc" 2>/dev/null || echo missing; }
js() { json "$OUT/$1.json" "$2"; }
# refused WHAT CASE REGEX: the case ended with status 2 and one stderr line
# matching REGEX (how warden must answer bad input).
refused() {
	if [ "$(rc "$2")" = 2 ] && [ "$(grep -c . "$OUT/$2.err")" -eq 1 ] && grep -Eq "$3" "$OUT/$2.err"; then
		pass "$1 refused with one line and status 2: $2"
	else
		failed "$1 $2: status $(rc "$2"), stderr: $(head -c 300 "$OUT/$2.err")"
	fi
}

core_checks() {
	expect_eq "default guest boots and powers off (status 0)" 0 "$(rc boot)"
	expect_match "default guest reaches its init line" '^warden-guest: up [0-9]' "$OUT/boot.out"
	expect_eq "boot: end reason" poweroff "$(js boot .end_reason)"
	expect_eq "boot: total equals the sum of reasons" "$(js boot '[.reasons[].count] | add')" "$(js boot .total_exits)"
	expect_eq "boot: per-vCPU totals add up" "$(js boot .total_exits)" "$(js boot '[.per_vcpu[].total_exits] | add')"
	n=$(js boot '.reasons.io.count // 0')
	[ "$n" -gt 0 ] 2>/dev/null && pass "boot: port I/O exits counted ($n)" || failed "boot: no port I/O exits"
	n=$(js boot '.devices.serial.count // 0')
	[ "$n" -gt 0 ] 2>/dev/null && pass "boot: serial exits attributed ($n)" || failed "boot: no serial exits"
	n=$(js boot '.devices.rtc.count // 0')
	[ "$n" -gt 0 ] 2>/dev/null && [ "$n" -lt 1000 ] && pass "boot: RTC read a few times, not polled ($n)" || failed "boot: RTC exits $n"
	expect_eq "boot: poweroff through the ACPI sleep register" true "$(js boot '.devices["acpi-pm"].count >= 1')"
	n=$(js boot .total_exits)
	[ "$n" -gt 0 ] 2>/dev/null && [ "$n" -lt 20000 ] && pass "boot: plausible exit total ($n)" || failed "boot: exit total $n"
	expect_match "boot: exit table on stderr" 'VM exits reached warden' "$OUT/boot.err"

	expect_eq "--cpus 4: guest sees 4 CPUs" 4 "$(grep -E '^[0-9]+$' "$OUT/cpus4.out" | head -1)"
	expect_eq "--cpus 4: 4 vCPUs in the stats" 4 "$(js cpus4 '.per_vcpu | length')"
	expect_eq "--cpus 2: guest sees 2 CPUs" 2 "$(grep -E '^[0-9]+$' "$OUT/cpus2.out" | head -1)"
	expect_eq "--cpus 4: status 0" 0 "$(rc cpus4)"

	expect_eq "reboot (ACPI reset register) ends the VM with status 3" 3 "$(rc reboot_acpi)"
	expect_eq "reboot via ACPI: reset register written" true "$(js reboot_acpi '.devices["acpi-pm"].count >= 1')"
	expect_eq "reboot=k (i8042 reset) ends the VM with status 3" 3 "$(rc reboot_kbd)"
	expect_eq "reboot=k: i8042 got the reset" true "$(js reboot_kbd '.devices.i8042.count >= 1')"
	expect_eq "reboot=t (triple fault) ends the VM with status 4" 4 "$(rc triple)"
	expect_eq "triple fault: a shutdown exit" 1 "$(js triple '.reasons.shutdown.count')"

	expect_eq "4 GiB guest (RAM above the MMIO hole) boots" 0 "$(rc bigmem)"
	kb=$(grep -o 'MemTotal: *[0-9]*' "$OUT/bigmem.out" | grep -o '[0-9]*$')
	[ -n "$kb" ] && [ "$kb" -gt 3500000 ] && pass "4 GiB guest sees its memory ($kb kB)" || failed "4 GiB guest MemTotal '$kb'"

	expect_match "console input reaches the guest" '^got:warden-console-input-42' "$OUT/stdin.out"

	refused "bad input" bad_kernel 'not a bzImage'
	refused "bad input" bad_kernel_gz 'not a bzImage'
	refused "bad input" bad_initrd_fit 'does not fit'
	refused "bad input" bad_mem_small 'too small'
	refused "bad input" bad_missing 'cannot open kernel'
}
if [ -n "${EMU_ONLY:-}" ]; then
	. "tests/emu/cases/$EMU_ONLY.check.sh"
	finish emu
	exit $?
fi
core_checks
# Checks of the cases in tests/emu/cases (NAME.check.sh next to NAME.l1.sh).
for f in tests/emu/cases/*.check.sh; do
	[ -f "$f" ] && . "$f"
done
finish emu
