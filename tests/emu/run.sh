#!/usr/bin/env bash
# Emulated-hardware tier: QEMU TCG emulates an AMD-V host with nested
# paging (L1); a statically linked warden runs inside it and boots the
# default Debian-kernel guest as L2 through real SVM. Needs no /dev/kvm on
# the host. One L1 boot runs every case (tests/emu/l1-tests.sh); this
# script checks what came back.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh
EMU_ONLY_DIR=${EMU_ONLY:-}
OUT=build/tests/emu${EMU_ONLY:+-${EMU_ONLY_DIR// /-}}
mkdir -p "$OUT"
# Files a case writes only sometimes: an earlier run's must not be read as
# this one's (a skip, or a case run twice: blkmq.l1.sh's bmq_case).
rm -f "$OUT/distro.skip" "$OUT"/*.rerun "$OUT"/*.first.err "$OUT"/*.first.out
echo "== emulated-hardware tier (warden in an emulated AMD-V host)"
helper_checks   # the comparison helpers (tests/lib.sh) refuse missing sides

if ! command -v qemu-system-x86_64 >/dev/null; then
	skip "qemu-system-x86_64 is not installed: emulated-hardware tier not run"
	finish emu "0 reruns"
	exit $?
fi
# EMU_ONLY=NAME runs only tests/emu/cases/NAME.l1.sh and its checks (for
# working on one feature; EMU_ONLY="NAME1 NAME2": those, in one L1); WARDEN=path picks the static binary (see l1.sh).
if [ -n "${EMU_ONLY:-}" ]; then
	extras=()
	for n in $EMU_ONLY; do # several names: one L1 for all
		extras+=("tests/emu/cases/$n.l1.sh")
	done
else
	extras=(tests/emu/cases)
fi
# The distro case boots a Debian root disk (`make distro`, cached in
# build/distro): built here when missing or stale, then carried into L1 as
# /extra/rootfs.img; if it cannot be built (no debootstrap, no mirror, not
# root) the case is skipped with the reason (distro.check.sh).
if [ -z "${EMU_ONLY:-}" ] || [[ " $EMU_ONLY " == *" distro "* ]]; then
	if bash scripts/distro.sh >"$OUT/distro-build.log" 2>&1; then
		extras+=(build/distro/rootfs.img)
	else
		tail -n 1 "$OUT/distro-build.log" >"$OUT/distro.skip"
	fi
fi
# The native tier's test guests, for cases that run them under real SVM
# (/extra/guests in L1).
GUESTS=${EMU_GUESTS:-build/tests/guests}
[ -d "$GUESTS" ] && extras+=("$GUESTS")
# The default guest's initramfs with warden's hypercall module (make
# guest-module), for the whc case: /extra/initrd-whc.cpio.gz in L1.
WHC_INITRD=build/guest-module/initrd-whc.cpio.gz
[ -f "$WHC_INITRD" ] && extras+=("$WHC_INITRD")
# The native tier's KVM probe, for cases that ask L1's KVM without warden
# (lab.l1.sh); dynamically linked: L1 has the glibc e2fsprogs needs.
[ -x build/tests/kvm-check-ext ] && extras+=(build/tests/kvm-check-ext)
# L1's own kernel used to hang now and then under multi-threaded TCG
# (about one full run in three), when KVM patched __schedule at a VM's
# start or end; l1-init now keeps a VM open so that never happens again
# (4 of 4 runs clean since, 112 s each). Should L1 still lock up or go
# silent (l1.sh status 126), L1 gets one more chance, and the tier's result
# line counts it ("N reruns (why)") -- unless the kernel's lockup report
# names one of warden's threads as the stuck task: that may be warden's
# doing, so it fails instead.
#
# warden's thread names are WARDEN_THREADS (tests/lib.sh; the native tier
# checks them against a running warden).

# lockup_tasks LOG: the tasks L1's kernel reported stuck, one a line: the
# "[comm:pid]" of each soft-lockup line and the "Comm:" of the kernel
# report lines (timestamped) that follow it. Case output printed meanwhile
# (no timestamp) is not part of a report.
lockup_tasks() {
	tr -d '\r' <"$1" | awk '
		/watchdog: BUG: soft lockup - CPU#[0-9]+ stuck for / {
			if (match($0, /\[[^][]*:[0-9]+\] *$/)) {
				t = substr($0, RSTART + 1, RLENGTH - 1)
				sub(/\] *$/, "", t); sub(/:[0-9]+$/, "", t)
				print t
			}
			left = 200
			next
		}
		left > 0 && /^\[ *[0-9]+\.[0-9]+\] / {
			left--
			if (match($0, / Comm: [^ ]+/))
				print substr($0, RSTART + 7, RLENGTH - 7)
			if ($0 ~ /[^a-z_]warden([^a-z_-]|$)/)
				print "warden"
		}'
}

# l1_stop_decision LOG: for an L1 that l1.sh stopped (status 126), one line:
# "rerun: why" or "fail: why".
l1_stop_decision() {
	local tasks ours
	tasks=$(lockup_tasks "$1" | sort -u | tr '\n' ' ')
	tasks=${tasks% }
	ours=$(lockup_tasks "$1" | grep -Ex "$WARDEN_THREADS" | sort -u | tr '\n' ' ')
	ours=${ours% }
	if [ -n "$ours" ]; then
		echo "fail: L1's soft lockup report names warden's thread(s) $ours (stuck tasks: $tasks)"
	elif [ -n "$tasks" ]; then
		echo "rerun: L1 kernel soft lockup in $tasks"
	elif grep -q 'watchdog: BUG: soft lockup' "$1"; then
		echo "rerun: L1 kernel soft lockup (stuck task not named)"
	else
		echo "rerun: L1 printed nothing for ${L1_SILENCE:-420} s"
	fi
}

# l1_checks: the rerun rule above, first on planted lockup reports, then
# end to end (l1.sh, l1_with_rerun, the result line) with a stand-in for
# QEMU (fake-qemu-lockup.sh): a lockup of a warden vCPU thread fails and is
# not rerun; one of a kernel thread, or a silence, is rerun once and
# counted; l1.sh keeps the report's lines that come after the lockup line.
l1_checks() {
	local f=$OUT/planted.log d
	printf '[   61.2] watchdog: BUG: soft lockup - CPU#1 stuck for 26s! [vcpu0:345]\n' >"$f"
	expect_eq "check can fail: a lockup of warden's vcpu0 is not rerun" fail "$(l1_stop_decision "$f" | cut -d: -f1)"
	printf '[   61.2] watchdog: BUG: soft lockup - CPU#3 stuck for 22s! [kworker/3:1:77]\n[   61.3] CPU: 3 PID: 77 Comm: kworker/3:1\nwarden: case output, not the report\n' >"$f"
	expect_eq "a lockup of a kernel thread is rerun, whatever warden printed meanwhile" \
		"rerun: L1 kernel soft lockup in kworker/3:1" "$(l1_stop_decision "$f")"
	printf '[   61.2] watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [swapper/0:0]\n[   61.3] CPU: 0 PID: 990 Comm: observatory Not tainted\n' >"$f"
	expect_eq "check can fail: warden's observatory thread in the report's Comm line is not rerun" fail \
		"$(l1_stop_decision "$f" | cut -d: -f1)"

	# The whole rule with a stand-in L1 that locks up (or goes silent)
	# every time: TASK|the tier's result line it must give.
	local d task want dir t line
	for d in "vcpu1|^emu: 0 passed, 1 failed, 0 skipped, 0 reruns$" \
		"swapper/1|^emu: 0 passed, 0 failed, 0 skipped, 1 rerun \(L1 kernel soft lockup in swapper/1; first log: " \
		"|^emu: 0 passed, 0 failed, 0 skipped, 1 rerun \(L1 printed nothing for 3 s; first log: "; do
		task=${d%%|*} want=${d#*|}
		t=${task:-silent}
		dir=$OUT/standin-${t//\//-}
		rm -rf "$dir"
		mkdir -p "$dir"
		line=$(
			export FAKE_LOCKUP_TASK=$task L1_QEMU=$PWD/tests/emu/fake-qemu-lockup.sh L1_LOCKUP_GRACE=2 L1_SILENCE=3
			PASSED=0 FAILED=0 SKIPPED=0 RERUNS=0 RERUN_WHY=
			l1_with_rerun "$dir" >/dev/null
			finish emu "$(reruns_note)"
		)
		if [[ $line =~ $want ]]; then
			pass "stand-in L1 ($t): $line"
		else
			failed "stand-in L1 ($t): result line '$line' does not match /$want/"
		fi
		if [ -n "$task" ]; then
			expect_match "stand-in L1 ($t): the report after the lockup line reaches the log" \
				'text_poke_bp_batch' "$dir/l1-stopped.log"
		fi
	done
}

# run_l1 DIR: L1 runs the cases once; its console in DIR/l1.log.  Under
# the TCG lock, as the bench scripts' L1s (bench/tcg-lock.sh, re-entrant):
# two L1s at once on a 2-core host slow both and spoil any figure taken
# meanwhile.
run_l1() {
	bash bench/tcg-lock.sh bash tests/emu/l1.sh --smp 4 --mem 6144 --timeout 1200 tests/emu/l1-tests.sh "${extras[@]}" >"$1/l1.log" 2>&1
}
# l1_with_rerun DIR: runs L1, and once more if l1.sh stopped it (status
# 126) and l1_stop_decision says rerun; sets st (l1.sh's last status) and
# counts the rerun in RERUNS / RERUN_WHY. The stopped run's log is kept as
# DIR/l1-stopped.log.
l1_with_rerun() {
	local dir=$1 decision
	run_l1 "$dir"
	st=$?
	[ "$st" = 126 ] || return 0
	mv "$dir/l1.log" "$dir/l1-stopped.log"
	decision=$(l1_stop_decision "$dir/l1-stopped.log")
	if [[ $decision == rerun:* ]]; then
		RERUNS=$((RERUNS + 1))
		RERUN_WHY="${decision#rerun: }; first log: $dir/l1-stopped.log"
		echo "  NOTE  $RERUN_WHY: running L1 once more (counted in the result line)"
		run_l1 "$dir"
		st=$?
	else
		failed "L1 stopped and not rerun: ${decision#fail: } (log: $dir/l1-stopped.log)"
		cp "$dir/l1-stopped.log" "$dir/l1.log"
	fi
}
# case_rerun LABEL NAME FIRST RULE WHAT: a case L1 ran twice ($OUT/NAME.rerun
# says why; l1-tests.sh's rerun_report).  Checked here from the first run's
# own file $OUT/FIRST, not from L1's word: counted in the result line when
# RULE FIRST holds, a failure saying the first run's WHAT otherwise.
case_rerun() {
	local l=$1 c=$2 first=$OUT/$3 rule=$4 what=$5
	[ -f "$OUT/$c.rerun" ] || return 0
	if "$rule" "$first" 2>/dev/null; then
		RERUNS=$((RERUNS + 1))
		RERUN_WHY="${RERUN_WHY:+$RERUN_WHY; }$c: $(cat "$OUT/$c.rerun"); first run: $first"
		echo "  NOTE  $c ran twice: $(cat "$OUT/$c.rerun") (counted in the result line)"
	else
		failed "$l $c: rerun, but the first run's $what ($first)"
	fi
}

# reruns_note: what the tier's result line says after the counts.
reruns_note() { echo "$RERUNS rerun$([ "$RERUNS" = 1 ] || echo s)${RERUN_WHY:+ ($RERUN_WHY)}"; }

RERUNS=0 RERUN_WHY=
l1_checks
l1_with_rerun "$OUT"
tr -d '\r' <"$OUT/l1.log" >"$OUT/l1.txt"
expect_eq "L1 ran the cases" 0 "$st"

# Split the log into per-case files.
awk -v dir="$OUT" '
	/^@@CASE / { split($3, a, "="); print a[2] > (dir "/" $2 ".rc"); close(dir "/" $2 ".rc"); next }
	/^@@BEGIN / { f = dir "/" $2; printf "" > f; on = 1; next }
	/^@@END / { on = 0; close(f); next }
	on { print >> f }
' "$OUT/l1.txt"
# Where the tier's time went: each case's share, from L1's uptime stamped
# on its @@CASE line (l1-tests.sh) less the stamp before it; the slowest
# eight, and the whole.
awk '
	/^@@START t=/ { sub(/.*t=/, ""); last = start = $0 + 0; next }
	/^@@CASE .* t=[0-9.]+$/ { t = $NF; sub(/^t=/, "", t); printf "%.1f %s\n", t - last, $2; last = t + 0 }
	END { if (last > start) printf "%.1f (all-cases)\n", last - start }
' "$OUT/l1.txt" | sort -rn | head -n 9 | awk '{ printf "  note  time in L1: %s s %s\n", $1, $2 }' >"$OUT/case-times.txt"
cat "$OUT/case-times.txt"
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
# A check file bash cannot parse would stop where it breaks and drop the
# checks after it without a failure: parse each first.
source_checks() { # FILE
	if bash -n "$1" 2>"$OUT/parse.err"; then
		. "$1"
	else
		failed "emu: $1 does not parse: $(head -c 300 "$OUT/parse.err")"
	fi
}
if [ -n "${EMU_ONLY:-}" ]; then
	for n in $EMU_ONLY; do
		source_checks "tests/emu/cases/$n.check.sh"
	done
	finish emu "$(reruns_note)"
	exit $?
fi
core_checks
# Checks of the cases in tests/emu/cases (NAME.check.sh next to NAME.l1.sh).
for f in tests/emu/cases/*.check.sh; do
	[ -f "$f" ] && source_checks "$f"
done
finish emu "$(reruns_note)"
