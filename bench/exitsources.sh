#!/usr/bin/env bash
# Where a boot's VM exits come from: the exits of one Linux boot, by reason
# and then by source (CPUID from the guest kernel or from user space; port
# I/O by port; MSR accesses by MSR; nested page faults by guest-physical
# region), split at the guest's init line into "boot" (VMM start -> init
# line) and "after" (init line -> the VM's end: /init's last steps and the
# poweroff path); and L1's own interrupts during the VM's life (which the
# INTR exits are). Emulated AMD-V tier: the VMMs run inside one L1
# (tests/emu/l1.sh --with-qemu), as in bench/boot.sh.
#
# Usage: bench/exitsources.sh     (from the repo root)
# Env:
#   BOOTS=3          boots per VMM, in rounds (odd rounds in VMMS order, even
#                    rounds reversed); the tables are medians over the boots
#                    that succeeded (status 0 and an init line)
#   VMMS="warden qemu-vmlinux"  from: warden (the vmlinux, warden's default
#                    guest), warden-split (the same with --irqchip split),
#                    warden-split-nowin (split, --no-ioapic-window),
#                    warden-bz (the bzImage), qemu (QEMU -M
#                    microvm,rtc=on with the bzImage), qemu-vmlinux (QEMU
#                    with the vmlinux, PVH): the default pair boots the
#                    same kernel file
#   CMDLINE=...      guest kernel command line (default as in docs/benchmarks.md)
#   BOOT_TIMEOUT=120 seconds before one boot is killed inside L1
#   WARDEN=path      static warden for L1 (default build/warden-static)
#
# How: hist triggers in L1, set once before the first boot (adding and
# removing them per boot would patch L1's kernel each time, see
# bench/boot.sh), read at the VMM's start, at the guest's init line and at
# the VMM's exit; the differences are the boot's. kvm:kvm_exit keyed by
# exit_reason, and by guest_rip for CPUID (exit_reason 0x72; a RIP in the
# upper half is the guest kernel's); kvm:kvm_pio by port and direction;
# kvm:kvm_msr by MSR and direction; kvm:kvm_page_fault by guest-physical
# address (every nested page fault); /proc/interrupts summed over L1's CPUs.
# Output: host/tier/guest-kernel facts and the tables, also in
# build/bench/exitsources-<date>.md (L1 log: build/bench/exitsources-<date>.log).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/bench/facts.sh"
OUT="$ROOT/build/bench"
BOOTS=${BOOTS:-3}
VMMS=${VMMS:-warden qemu-vmlinux}
CMDLINE=${CMDLINE:-console=ttyS0 quiet panic=-1 pci=off 8250.nr_uarts=1}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-120}
export WARDEN=${WARDEN:-$ROOT/build/warden-static}
die() { echo "bench/exitsources.sh: error: $*" >&2; exit 1; }

[[ $BOOTS =~ ^[1-9][0-9]*$ && $BOOT_TIMEOUT =~ ^[1-9][0-9]*$ ]] || die "BOOTS and BOOT_TIMEOUT must be numbers"
case $CMDLINE in *'"'*|*"'"*) die "CMDLINE must not contain quotes" ;; esac
VMMS=$(echo $VMMS)
[ -n "$VMMS" ] || die "no VMM"
for v in $VMMS; do
    case $v in
    qemu|qemu-vmlinux) ;;
    warden|warden-bz|warden-split|warden-split-nowin) [ -f "$WARDEN" ] || die "$WARDEN missing (make static)" ;;
    *) die "unknown VMM '$v' in VMMS" ;;
    esac
done
[ -s "$ROOT/build/guest/vmlinux" ] || [[ " $VMMS " != *" warden "* && " $VMMS " != *" qemu-vmlinux "* ]] \
    || die "warden and qemu-vmlinux need build/guest/vmlinux (make guest)"

mkdir -p "$OUT"
stamp=$(date +%Y%m%d-%H%M%S)
SCRIPT="$OUT/l1-exitsources.sh"
LOG="$OUT/exitsources-$stamp.log"
REPORT="$OUT/exitsources-$stamp.md"

{
    cat <<EOF
BOOTS=$BOOTS
CMDLINE='$CMDLINE'
BOOT_TIMEOUT=$BOOT_TIMEOUT
VMMS='$VMMS'
EOF
    bench_l1_facts_sh
    cat <<'EOF'
echo 1 >/proc/sys/kernel/printk
EV=/sys/kernel/debug/tracing/events/kvm
# One set of triggers for the whole run (see bench/boot.sh on why).
for t in \
	"kvm_exit hist:keys=exit_reason:vals=hitcount" \
	"kvm_exit hist:keys=guest_rip.hex:vals=hitcount:size=16384 if exit_reason == 114" \
	"kvm_pio hist:keys=port.hex,rw:vals=hitcount" \
	"kvm_msr hist:keys=ecx.hex,write:vals=hitcount" \
	"kvm_page_fault hist:keys=fault_address.hex:vals=hitcount:size=16384"; do
	ev=${t%% *}
	echo "${t#* }" >>$EV/$ev/trigger || { echo "SRC-ERROR: cannot set '${t#* }' on $ev"; exit 1; }
done
[ -n "$EPOCHREALTIME" ] || { echo "SRC-ERROR: sh has no \$EPOCHREALTIME"; exit 1; }

# snap FILE: every histogram entry and L1's interrupt counters (summed over
# L1's CPUs), one "<hist> <key> <count>" line each; <hist> is the event and
# the trigger's place on it (kvm_exit#1, kvm_exit#2, ...).
snap() {
	for ev in kvm_exit kvm_pio kvm_msr kvm_page_fault; do
		awk -v ev=$ev '/^# trigger info:/ { k++ }
			/^[{]/ { c = $0; sub(/.*hitcount: */, "", c); sub(/ .*/, "", c)
				key = $0; sub(/^[{] */, "", key); sub(/ *[}].*/, "", key); gsub(/ +/, "", key)
				print ev "#" k, key, c }' $EV/$ev/hist
	done
	awk 'NR > 1 { s = 0; for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i; print "irq#1", $1, s }' /proc/interrupts
} >"$1"
# delta VMM N PHASE FROM TO: what changed between two snaps, as SRC lines.
delta() {
	awk -v p="SRC $1 $2 $3" 'FILENAME == ARGV[1] { a[$1 " " $2] = $3; next }
		{ d = $3 - a[$1 " " $2]; if (d > 0) print p, $1, $2, d }' "$4" "$5"
}

kernel_of() {
	case $1 in
	warden|warden-split|warden-split-nowin|qemu-vmlinux) echo /guest/vmlinux ;;
	*) echo /guest/vmlinuz ;;
	esac
}
for vmm in $VMMS; do echo "SRC-KERNEL vmm=$vmm kernel=$(kernel_of $vmm)"; done

boot() {
	vmm=$1 n=$2
	rm -f /tmp/up /tmp/fifo
	mkfifo /tmp/fifo
	rm -f /tmp/snap.*
	snap /tmp/snap.start
	kernel=$(kernel_of $vmm)
	case $vmm in
	qemu*)
		setsid qemu-system-x86_64 -enable-kvm -M microvm,rtc=on -cpu host \
			-m 256 -smp 1 -nographic -no-reboot \
			-kernel $kernel -initrd /guest/initrd.cpio.gz -append "$CMDLINE" \
			</dev/null >/tmp/fifo 2>&1 &
		;;
	warden*)
		extra=
		[ $vmm = warden-split ] && extra="--irqchip split"
		[ $vmm = warden-split-nowin ] && extra="--irqchip split --no-ioapic-window"
		setsid warden run --kernel $kernel --initrd /guest/initrd.cpio.gz \
			--cmdline "$CMDLINE" --mem 256 --cpus 1 $extra </dev/null >/tmp/fifo 2>&1 &
		;;
	esac
	pid=$!
	setsid sh -c "sleep $BOOT_TIMEOUT; echo '  $vmm#$n| bench: killed after ${BOOT_TIMEOUT}s'; kill -KILL -$pid $pid" </dev/null 2>/dev/null &
	wd=$!
	while IFS= read -r line; do
		case $line in
		*"warden-guest: up "*) [ -e /tmp/up ] || { : >/tmp/up; snap /tmp/snap.up; } ;;
		esac
		echo "  $vmm#$n| $line"
	done </tmp/fifo
	wait $pid
	rc=$?
	snap /tmp/snap.end
	kill -KILL -$wd $wd 2>/dev/null
	wait $wd 2>/dev/null
	if [ -e /tmp/up ]; then
		up=1
		delta $vmm $n boot /tmp/snap.start /tmp/snap.up
		delta $vmm $n after /tmp/snap.up /tmp/snap.end
	else
		up=0
	fi
	echo "SRC-BOOT vmm=$vmm n=$n rc=$rc up=$up"
}

REVERSED=
for vmm in $VMMS; do REVERSED="$vmm $REVERSED"; done
i=1
while [ $i -le $BOOTS ]; do
	if [ $((i % 2)) = 1 ]; then order=$VMMS; else order=$REVERSED; fi
	echo "SRC-ROUND n=$i order=$(echo $order | tr ' ' ,)"
	for vmm in $order; do boot $vmm $i; done
	i=$((i + 1))
done
EOF
} >"$SCRIPT"

nv=$(wc -w <<<"$VMMS")
l1_timeout=$(( BOOTS * nv * (BOOT_TIMEOUT + 30) + 300 ))
echo "bench/exitsources.sh: $VMMS, $BOOTS boots each, cmdline '$CMDLINE'; log $LOG"
bench_facts emu
set +e
bash "$ROOT/tests/emu/l1.sh" --with-qemu --timeout "$l1_timeout" "$SCRIPT" >"$LOG" 2>&1
l1rc=$?
set -e
[ "$l1rc" = 0 ] || die "L1 run failed (tests/emu/l1.sh exit $l1rc), see $LOG"
grep -q '^SRC-BOOT ' "$LOG" || die "no SRC-BOOT lines in $LOG"

{
    echo "### Where the boot's exits come from ($(date -u +%Y-%m-%dT%H:%MZ), emulated AMD-V tier, guest kernel $(bench_guest_kernel), L2 256 MiB / 1 vCPU)"
    echo
    echo "Command: \`BOOTS=$BOOTS VMMS=\"$VMMS\" CMDLINE=\"$CMDLINE\" bash bench/exitsources.sh\`"
    echo
    bench_facts emu | sed 's/^/    /'
    tr -d '\r' <"$LOG" | grep -E '^(fact: L1|SRC-ROUND |SRC-BOOT )' | sed 's/^/    /' || true
    echo
    python3 "$ROOT/bench/exitsources_report.py" "$LOG" "$VMMS"
} >"$REPORT"
cat "$REPORT"
echo "bench/exitsources.sh: report written to ${REPORT#"$ROOT"/}"
