#!/usr/bin/env bash
# The distribution boot benchmark and reliability study (issue 13): the
# Debian bookworm root disk of `make distro` (systemd, udev; its workload
# unit writes, fsyncs and verifies 8 MiB, then powers off) booted to
# multi-user by warden and by QEMU -M microvm in ONE emulated AMD-V L1
# (tests/emu/l1.sh --with-qemu), the same kernel, initramfs, image, vCPUs,
# memory and command line, in alternating rounds.
#
# Usage: bench/distro-boot.sh          (from the repo root; `make distro`,
#                                       `make static guest` first)
# Env:
#   BOOTS=10          rounds; each boots every VMM once, odd rounds warden
#                     first, even rounds QEMU first
#   CPUS=2 MEM=1024   the L2's vCPUs and MiB (the issue's triple faults
#                     were seen with two vCPUs)
#   CMDLINE=...       the whole guest command line for both VMMs (warden's
#                     own default with --disk IMG,root --transport mmio,
#                     word for word: warden runs the disk on virtio-mmio,
#                     as QEMU microvm does, not on its default virtio-pci)
#   BOOT_TIMEOUT=300  seconds before one boot counts as a hang and is killed
#   WARDEN=path       static warden for L1 (default build/warden-static)
#
# Per boot, read in L1 (never from what a VMM says of itself):
#   outcome   ok           the workload's "verify ok" and "poweroff" lines,
#                          the VMM ended with status 0
#             triple-fault L1's KVM took an SVM SHUTDOWN exit (the kvm_exit
#                          hist trigger's reason 0x7f) in this boot
#             hang         no end within BOOT_TIMEOUT: killed
#             failed       anything else (listed with its last lines)
#   multi-user s           VMM start to the workload's "system running" line
#                          (systemctl is-system-running --wait returned)
#   systemd                the guest's own "Startup finished in ..." line
#                          (systemd-analyze time, printed by the workload)
#   exits                  L1's kvm_exit hist trigger over the VM's whole life,
#                          by SVM exit reason
#   fsck                   e2fsck -fy on the image after the boot (it is
#                          repaired, so the next boot starts clean)
# A boot during which L1 itself failed (tests/emu/l1.sh stops an L1 whose
# kernel reports a soft lockup) ends the run; it is reported as "L1 lost"
# (a BENCH-START without its BENCH-BOOT) and counts for neither VMM.
# Several runs' logs can be summed: bench/distro_boot_report.py LOG...
# Output: build/bench/distro-boot-<stamp>.{log,md}.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/bench/facts.sh"
OUT="$ROOT/build/bench"
BOOTS=${BOOTS:-10}
CPUS=${CPUS:-2}
MEM=${MEM:-1024}
CMDLINE=${CMDLINE:-console=ttyS0 quiet panic=-1 pci=off 8250.nr_uarts=1 root=/dev/vda}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-300}
IMG=$ROOT/build/distro/rootfs.img
export WARDEN=${WARDEN:-$ROOT/build/warden-static}

die() { echo "bench/distro-boot.sh: error: $*" >&2; exit 1; }
[[ $BOOTS =~ ^[1-9][0-9]*$ && $CPUS =~ ^[1-9][0-9]*$ && $MEM =~ ^[1-9][0-9]*$ && $BOOT_TIMEOUT =~ ^[1-9][0-9]*$ ]] \
    || die "BOOTS, CPUS, MEM and BOOT_TIMEOUT must be numbers"
case $CMDLINE in *'"'*|*"'"*) die "CMDLINE must not contain quotes" ;; esac
[ -s "$IMG" ] || die "$IMG missing (make distro)"
[ -f "$WARDEN" ] || die "$WARDEN missing (make static)"

mkdir -p "$OUT"
stamp=$(date -u +%Y%m%d-%H%M%S)
SCRIPT="$OUT/l1-distro-boot.sh"
LOG="$OUT/distro-boot-$stamp.log"
REPORT="$OUT/distro-boot-$stamp.md"

{
    cat <<EOF
BOOTS=$BOOTS
CPUS=$CPUS
MEM=$MEM
CMDLINE='$CMDLINE'
BOOT_TIMEOUT=$BOOT_TIMEOUT
EOF
    bench_l1_facts_sh
    cat <<'EOF'
echo 1 >/proc/sys/kernel/printk
EV=/sys/kernel/debug/tracing/events/kvm/kvm_exit
HIST='hist:keys=exit_reason:vals=hitcount'
[ -w $EV/trigger ] || { echo "BENCH-ERROR: no $EV/trigger"; exit 1; }
# One trigger for the whole run, cleared before each boot (see bench/boot.sh:
# adding and removing it flips jump labels, which now and then hangs L1).
echo "$HIST" >$EV/trigger
[ -n "$EPOCHREALTIME" ] || { echo "BENCH-ERROR: sh has no \$EPOCHREALTIME"; exit 1; }
# What KVM delivered last, for a boot that fails: the SHUTDOWN exit (with
# the event in delivery), the exceptions and interrupts KVM injected
# (kvm:kvm_inj_exception, kvm:kvm_inj_virq) in the trace ring, emptied
# before each boot, shown for a failed one (the issue's question: whose
# triple faults are they?).
TR=/sys/kernel/debug/tracing
echo 8192 >$TR/buffer_size_kb
echo 1 >$TR/events/kvm/kvm_inj_exception/enable
echo 1 >$TR/events/kvm/kvm_inj_virq/enable
# And the SHUTDOWN exit itself, with SVM's exit_int_info: the event the
# CPU was delivering when it gave up (a filter on the ring buffer only;
# the hist trigger still counts every exit).
echo 'exit_reason == 127' >$TR/events/kvm/kvm_exit/filter
echo 1 >$TR/events/kvm/kvm_exit/enable
IMG=/extra/rootfs.img
e2fsck -fy $IMG >/dev/null 2>&1
echo "BENCH-FSCK-START rc=$?"

boot() { # VMM N
	vmm=$1 n=$2
	rm -f /tmp/fifo /tmp/mu /tmp/lines
	mkfifo /tmp/fifo
	echo "$HIST:clear" >>$EV/trigger
	echo >$TR/trace
	echo "BENCH-START vmm=$vmm n=$n"
	t0=$EPOCHREALTIME
	case $vmm in
	qemu)
		setsid qemu-system-x86_64 -enable-kvm -M microvm,rtc=on -cpu host \
			-m $MEM -smp $CPUS -nographic -no-reboot \
			-global virtio-mmio.force-legacy=false \
			-drive id=root,file=$IMG,format=raw,if=none -device virtio-blk-device,drive=root \
			-kernel /guest/vmlinuz -initrd /guest/initrd.cpio.gz -append "$CMDLINE" \
			</dev/null >/tmp/fifo 2>&1 &
		;;
	warden)
		setsid warden run --kernel /guest/vmlinuz --initrd /guest/initrd.cpio.gz \
			--disk $IMG,root --transport mmio --cmdline "$CMDLINE" --mem $MEM --cpus $CPUS \
			</dev/null >/tmp/fifo 2>&1 &
		;;
	esac
	pid=$!
	setsid sh -c "sleep $BOOT_TIMEOUT; echo '$vmm#$n| bench: killed after ${BOOT_TIMEOUT}s'; kill -KILL -$pid $pid" </dev/null 2>/dev/null &
	wd=$!
	while IFS= read -r line; do
		case $line in
		*"warden-distro: system "*) [ -e /tmp/mu ] || echo "$EPOCHREALTIME ${line##*warden-distro: system }" | tr -d '\r' >/tmp/mu ;;
		esac
		echo "$line" >>/tmp/lines
		echo "  $vmm#$n| $line"
	done </tmp/fifo
	wait $pid
	rc=$?
	t1=$EPOCHREALTIME
	cat $EV/hist >/tmp/hist
	if kill -0 $wd 2>/dev/null; then
		kill -KILL -$wd $wd 2>/dev/null
		hung=0
	else
		hung=1
	fi
	wait $wd 2>/dev/null
	if [ -e /tmp/mu ]; then
		read -r tmu state </tmp/mu
		mu=$(awk -v a=$t0 -v b=$tmu 'BEGIN{printf "%.2f", b-a}')
	else
		mu=NA state=NA
	fi
	total=$(awk -v a=$t0 -v b=$t1 'BEGIN{printf "%.2f", b-a}')
	shutdowns=$(awk '/^[{] exit_reason: *127 *[}]/ { sub(/.*hitcount: */, ""); print $1 }' /tmp/hist)
	exits=$(awk '/^ *Hits:/{print $2}' /tmp/hist)
	if [ "${shutdowns:-0}" -gt 0 ]; then
		outcome=triple-fault
	elif [ $hung = 1 ]; then
		outcome=hang
	elif [ $rc = 0 ] && grep -q 'warden-distro: verify ok' /tmp/lines && grep -q 'warden-distro: poweroff' /tmp/lines; then
		outcome=ok
	else
		outcome=failed
	fi
	# systemd's own view: "Startup finished in 2.1s (kernel) + 14.3s (userspace) = 16.4s"
	sed -n "s/.*warden-distro: \(Startup finished in .*\)/BENCH-SYSTEMD vmm=$vmm n=$n| \1/p" /tmp/lines | head -n 1
	e2fsck -fy $IMG >/tmp/fsck 2>&1
	fsck=$?
	echo "BENCH-BOOT vmm=$vmm n=$n outcome=$outcome rc=$rc state=$state multiuser_s=$mu total_s=$total exits=${exits:-NA} shutdown_exits=${shutdowns:-0} fsck=$fsck"
	if [ $outcome != ok ]; then
		tail -n 30 /tmp/lines | sed "s/^/BENCH-TAIL vmm=$vmm n=$n| /"
		{ grep ' kvm_exit: ' $TR/trace; grep ' kvm_inj_exception: ' $TR/trace | tail -n 10
		  grep ' kvm_inj_virq: ' $TR/trace | tail -n 10; } | sed "s/^/BENCH-TRACE vmm=$vmm n=$n| /"
		sed "s/^/BENCH-FSCKOUT vmm=$vmm n=$n| /" /tmp/fsck | tail -n 5
	fi
	awk -v vmm=$vmm -v n=$n '/^[{] exit_reason:/ {
		sub(/.*exit_reason: */, ""); r=$1; sub(/.*hitcount: */, ""); c=$1;
		print "BENCH-EXIT vmm=" vmm " n=" n " reason=" r " count=" c }' /tmp/hist
}

i=1
while [ $i -le $BOOTS ]; do
	if [ $((i % 2)) = 1 ]; then order="warden qemu"; else order="qemu warden"; fi
	echo "BENCH-ROUND n=$i order=$order"
	for vmm in $order; do boot $vmm $i; done
	i=$((i + 1))
done
echo "!$HIST" >$EV/trigger
EOF
} >"$SCRIPT"

l1_timeout=$(( BOOTS * 2 * (BOOT_TIMEOUT + 60) + 600 ))
echo "bench/distro-boot.sh: $BOOTS rounds of warden and QEMU microvm, $CPUS vCPUs, $MEM MiB; log ${LOG#"$ROOT"/}"
set +e
bash "$(dirname "${BASH_SOURCE[0]}")/tcg-lock.sh" nice -n 10 bash "$ROOT/tests/emu/l1.sh" --with-qemu --mem 4096 --timeout "$l1_timeout" \
    "$SCRIPT" "$IMG" >"$LOG" 2>&1
l1rc=$?
set -e
[ "$l1rc" = 0 ] || echo "bench/distro-boot.sh: L1 run ended with status $l1rc (the boots it finished still count), see ${LOG#"$ROOT"/}" >&2
grep -q '^BENCH-BOOT ' <(tr -d '\r' <"$LOG") || die "no BENCH-BOOT lines in $LOG"
{
    echo "### systemd boot: warden vs QEMU microvm ($(date -u +%Y-%m-%dT%H:%MZ), emulated AMD-V tier, guest kernel $(bench_guest_kernel), L2 $MEM MiB / $CPUS vCPUs)"
    echo
    echo "Command: \`BOOTS=$BOOTS CPUS=$CPUS MEM=$MEM bash bench/distro-boot.sh\`; cmdline \`$CMDLINE\`"
    echo
    bench_facts emu | sed 's/^/    /'
    tr -d '\r' <"$LOG" | grep -E '^fact: L1' | sed 's/^/    /' || true
    echo
    python3 "$ROOT/bench/distro_boot_report.py" "$LOG"
} >"$REPORT"
cat "$REPORT"
echo "bench/distro-boot.sh: report written to ${REPORT#"$ROOT"/}"
