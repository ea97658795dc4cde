#!/usr/bin/env bash
# virtio benchmark: warden vs QEMU -M microvm with the same kernel, initramfs
# and virtio-mmio devices (a raw disk on L1's tmpfs, a tap network), both as
# L2 inside ONE emulated AMD-V L1 (tests/emu/l1.sh --with-qemu), alternating.
#
# Usage: bench/virtio.sh          (from the repo root)
# Env:
#   ROUNDS=3        measured runs per configuration: odd rounds run CONFIGS
#                   in order, even rounds in reverse order
#   CONFIGS="qemu warden"
#                   the VM configurations of each round:
#                   qemu        QEMU -M microvm, virtio-mmio (QEMU's defaults)
#                   qemu-best   QEMU -M q35, virtio-pci (MSI-X), the disk on
#                               an iothread with adaptive polling
#                               (poll-max-ns=32768) and aio=io_uring, the
#                               network on vhost-net
#                   warden      warden's defaults (virtio-pci since
#                               2026-12-02; virtio-mmio before: logs of
#                               older runs have that under "warden")
#                   warden-mmio --transport mmio
#                   warden-pci  --transport pci
#                   warden-pci-poll        and the disk and network polled
#                                          (poll, warden's own net path)
#                   warden-pci-pollmax     and the disk and network polled
#                                          with a window that adapts
#                                          (poll=50,poll-max=10000)
#                   warden-pci-pollmax-hp  as warden-pci-pollmax, and KVM
#                                          polls a halted vCPU for up to
#                                          2 ms before its thread sleeps
#                                          (--halt-poll-ns 2000000: host
#                                          CPU for the QD1 reader's wake-up)
#                   warden-pci-vhost       and the network on vhost-net
#                   warden-pci-coal        warden's own network path with
#                                          the guest's interrupt coalescing
#                                          (VIRTIO_NET_F_NOTF_COAL) set to
#                                          NET_COAL before the workloads
#                   warden-pci-poll-vhost  the disk polled, the network on
#                                          vhost-net with vhost's own busy
#                                          polling (--net ...,vhost=on,poll:
#                                          VHOST_SET_VRING_BUSYLOOP_TIMEOUT,
#                                          50 us); logs before 2026-12-02
#                                          23:30 UTC had the network on
#                                          vhost-net unpolled under this name
#                   warden-base-pci-vhost  as warden-pci-vhost, run by the
#                                          static warden WARDEN_BASE (another
#                                          tree: the same L1, another warden)
#                   qemu-best-iopoll   the polling recipe under QEMU: as
#                               qemu-best, and 2 vCPUs, the disk with
#                               num-queues=2, -cpu host,kvm-hint-dedicated=on
#                               (KVM_HINTS_REALTIME), the guest command line
#                               of warden-pci-iopoll
#                   warden-pci-iopoll  the polling recipe (docs/virtio.md,
#                               "The guest's side"): --cpus 2, --disk
#                               IMG,queues=2,poll=10000, --kvm-hint-realtime,
#                               the guest command line with nohz_full=1
#                               rcu_nocbs=1; for the iopoll* workloads
#                   warden's command line has no pci=off (warden adds it
#                   where the guest has no PCI bus); qemu's has it
#   KERNEL=vmlinuz  the guest kernel both VMMs boot, from `make guest`:
#                   vmlinuz (the bzImage; QEMU loads it as usual, warden with
#                   --kernel) or vmlinux (the uncompressed ELF, warden's
#                   default guest; QEMU boots it through its PVH note). The
#                   same file for both, so the rows compare VMMs, not kernels.
#   VARIANTS="--no-ioeventfd --no-irqfd --no-event-idx pci vhost pci+vhost"
#                   extra warden runs, one per word, for the exit table: an
#                   option as given, or pci (--transport pci), vhost
#                   (--net ...,vhost=on: L1 loads vhost_net), pci+vhost
#                   (both)
#   WORKLOADS="seqwrite seqread randread randread32 tcptx tcprx"
#                   the guest's workloads, in this order (a subset keeps a
#                   run short: WORKLOADS="tcptx tcprx" for the network).
#                   randread: RAND_READS 4 KiB reads at random offsets,
#                   one at a time (guest/tools/randread: the rate and the
#                   reads' p50/p99 latency); randread32: RAND32_READS of
#                   them 32 at a time (guest/tools/uringio --random
#                   --qd 32, interrupt-driven).
#                   tcptx/tcprx: NET_MIB over one TCP connection, guest ->
#                   L1 and L1 -> guest, each side sending a file in its RAM
#                   (made before the workload) with busybox nc.
#                   nettx/netrx: the same with the sender's data piped in
#                   (dd if=/dev/zero bs=64k | nc), the TCP workloads of logs
#                   before 2026-12-05.  On the emulated guest CPU the pipe
#                   is what they measure: TCP gets the data a little at a
#                   time and sends 1-3 segments at once, 5-6x slower than
#                   from a file (docs/benchmarks.md, "TCP from a file");
#                   or the polled ones, alone: iopollw1 iopollr1 iopollw32
#                   iopollr32 (guest/tools/uringio: BLK_MIB sequential
#                   written or read with io_uring IOPOLL, O_DIRECT, blocks
#                   of IOPOLL_BS (128K), queue depth 1 or 32, on vCPU 1,
#                   after virtio_blk is reloaded with poll_queues=1).  Those
#                   are counted exactly: the tool executes a CPUID of its
#                   own leaf and a VMMCALL with its own number around its
#                   timed loop, and those exits (kvm:kvm_cpuid and
#                   kvm:kvm_hypercall triggers) switch paused
#                   kvm_exit/kvm_msr/kvm_userspace_exit histograms on and
#                   off in L1; the closing VMMCALL is one of the exits.  Needs a configuration with 2 vCPUs
#                   and a poll queue (warden-pci-iopoll, qemu-best-iopoll)
#   PIN_VCPU1=1     in L1, put every thread of the VM on L1's CPU 0 and the
#                   guest's vCPU 1 (warden's "vcpu1", QEMU's "CPU 1/KVM")
#                   alone on CPU 1; with L1_APPEND="nohz_full=1 isolcpus=1
#                   rcu_nocbs=1" (tests/emu/l1.sh) L1's tick and its other
#                   tasks stay off that CPU too
#   BLK_MIB=256     sequential read/write size; RAND_READS=4000 4 KiB reads
#   NET_MIB=64      bulk TCP transfer each way
#   NET_COAL=200,64,200,64  warden-pci-coal's setting: rx-usecs, rx-frames,
#                   tx-usecs, tx-frames (an interrupt when that many
#                   packets are done or that long after the first)
#   WARDEN=path     static warden for L1 (default build/warden-static)
#   WARDEN_BASE=path  a second static warden, for warden-base-* (given to
#                   L1 as /extra/warden-base)
#
# Inside the guest each workload is framed by BENCH-BEGIN/BENCH-END lines on
# the console; L1 snapshots, at each line, the kvm:kvm_exit count (a hist
# trigger: every exit of the VM, handled in KVM or not), the
# kvm:kvm_userspace_exit count (exits that reached the VMM) and the tap's
# packet counters; the kvm_exit trigger is keyed by exit reason, so each
# workload's exits are also listed by reason (BENCH-REASONS lines, SVM exit
# codes).  So the figures are for the workload only (steady state), not
# the boot. A run whose VMM did not exit with status 0 is listed and
# left out of the medians (bench/virtio_report.py). Output: host, tier and
# guest-kernel facts, then the tables: build/bench/virtio-<date>.md and .log.
# Several shorter L1 runs (L1 has died in long ones) are summed by giving
# their logs to the report: python3 bench/virtio_report.py LOG... (each log
# names its sizes; logs of different sizes are refused).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/bench/facts.sh"
OUT="$ROOT/build/bench"
ROUNDS=${ROUNDS:-3}
CONFIGS=${CONFIGS:-qemu warden}
for c in $CONFIGS; do
    case $c in
    qemu | qemu-best | qemu-best-iopoll | warden | warden-mmio | warden-pci | warden-pci-poll | warden-pci-pollmax | \
        warden-pci-pollmax-hp | warden-pci-vhost | warden-pci-coal | \
        warden-pci-poll-vhost | warden-pci-iopoll) ;;
    warden-base-pci-vhost) [ -f "${WARDEN_BASE:-}" ] || { echo "bench/virtio.sh: $c needs WARDEN_BASE=path (a static warden)" >&2; exit 2; } ;;
    *) echo "bench/virtio.sh: unknown configuration '$c' in CONFIGS" >&2; exit 2 ;;
    esac
done
KERNEL=${KERNEL:-vmlinuz}
case $KERNEL in
vmlinuz) ;;
vmlinux) [ -s "$ROOT/build/guest/vmlinux" ] || { echo "bench/virtio.sh: KERNEL=vmlinux needs build/guest/vmlinux (make guest)" >&2; exit 1; } ;;
*) echo "bench/virtio.sh: KERNEL must be vmlinuz or vmlinux" >&2; exit 1 ;;
esac
VARIANTS=${VARIANTS---no-ioeventfd --no-irqfd --no-event-idx pci vhost pci+vhost}
BLK_MIB=${BLK_MIB:-256}
RAND_READS=${RAND_READS:-4000}
RAND32_READS=${RAND32_READS:-16000}
NET_MIB=${NET_MIB:-64}
NET_COAL=${NET_COAL:-200,64,200,64}
[[ $NET_COAL =~ ^[0-9]+,[0-9]+,[0-9]+,[0-9]+$ ]] ||
    { echo "bench/virtio.sh: NET_COAL must be four numbers with commas between: $NET_COAL" >&2; exit 2; }
WORKLOADS=${WORKLOADS:-seqwrite seqread randread randread32 tcptx tcprx}
# (0 when not run: the report then pools the log with older ones of the
# same other sizes, which had no randread32.)
case " $WORKLOADS " in *" randread32 "*) ;; *) RAND32_READS=0 ;; esac
IOPOLL_BS=${IOPOLL_BS:-128K}
PIN_VCPU1=${PIN_VCPU1:-0}
WINDOW=0 OTHER=0
for w in $WORKLOADS; do
    case $w in
    seqwrite | seqread | randread | randread32 | nettx | netrx | tcptx | tcprx) OTHER=1 ;;
    iopollw1 | iopollr1 | iopollw32 | iopollr32) WINDOW=1 ;;
    *) echo "bench/virtio.sh: unknown workload '$w' in WORKLOADS" >&2; exit 2 ;;
    esac
done
# The windows' triggers pause every histogram of kvm_exit between windows,
# so the others' counts would be wrong in the same run.
[ "$WINDOW$OTHER" != 11 ] || { echo "bench/virtio.sh: the iopoll* workloads run apart from the others (one WORKLOADS or the other)" >&2; exit 2; }
has() { case " $WORKLOADS " in *" $1 "*) return 0 ;; esac; return 1; }
RUN_TIMEOUT=${RUN_TIMEOUT:-600}
export WARDEN=${WARDEN:-$ROOT/build/warden-static}
[ -f "$WARDEN" ] || { echo "bench/virtio.sh: $WARDEN missing (make static)" >&2; exit 1; }

mkdir -p "$OUT"
stamp=$(date +%Y%m%d-%H%M%S)
SCRIPT="$OUT/l1-virtio-bench.sh"
LOG="$OUT/virtio-$stamp.log"
REPORT="$OUT/virtio-$stamp.md"

# The guest's side: one command line for both VMMs (no double quotes inside).
# bb/be frame a workload and time it with the guest's clock.
GUEST_CMD='bb() { echo BENCH-BEGIN $1; T=$EPOCHREALTIME; }; be() { echo BENCH-END $1 $T $EPOCHREALTIME; };'
GUEST_CMD+=' ip link set lo up; ip addr add 10.0.2.15/24 dev eth0; ip link set eth0 up;'
# A configuration's interrupt coalescing (warden-pci-coal): bench.coal=R,F,T,G
# on the guest's command line (an unknown module parameter to Linux), set
# with the ethtool ioctl (guest/tools/netcoal.c).  The pattern cannot match
# its own text in warden.run, which /proc/cmdline also holds.
GUEST_CMD+=' set -f; for a in $(cat /proc/cmdline); do case $a in bench.coal=[0-9]*) echo BENCH-COAL $(IFS=,; netcoal eth0 ${a#*=});; esac; done; set +f; sleep 1;'
has seqwrite && GUEST_CMD+=" bb seqwrite; dd if=/dev/zero of=/dev/vda bs=1M count=$BLK_MIB oflag=direct; be seqwrite;"
has seqread && GUEST_CMD+=" bb seqread; dd if=/dev/vda of=/dev/null bs=1M count=$BLK_MIB iflag=direct; be seqread;"
has randread && GUEST_CMD+=" bb randread; randread /dev/vda $RAND_READS; be randread;"
has randread32 && GUEST_CMD+=" uringio read /dev/vda --size $((RAND32_READS * 4))K --bs 4K --qd 32 --random --mark randread32;"
has nettx && GUEST_CMD+=" bb nettx; dd if=/dev/zero bs=64k count=$((NET_MIB * 16)) | nc 10.0.2.1 5001; be nettx;"
has netrx && GUEST_CMD+=' mkfifo /tmp/h; sleep 300 >/tmp/h & s=$!; bb netrx; nc -l -p 5002 </tmp/h >/dev/null; be netrx; kill $s;'
# From a file: its own ports (L1 listens on 5003 from the start, and sends
# to 5004 when the guest says BENCH-BEGIN tcprx).
has tcptx && GUEST_CMD+=" dd if=/dev/zero of=/tmp/tx bs=1M count=$NET_MIB 2>/dev/null; bb tcptx; nc 10.0.2.1 5003 </tmp/tx; be tcptx; rm /tmp/tx;"
has tcprx && GUEST_CMD+=' mkfifo /tmp/h4; sleep 300 >/tmp/h4 & s=$!; bb tcprx; nc -l -p 5004 </tmp/h4 >/dev/null; be tcprx; kill $s;'
# The polled workloads: virtio_blk reloaded with one poll queue (busybox
# insmod: the kernel command line does not reach a module loaded so), the
# disk's interrupts before and after (the polled queue has none), each
# run framed by uringio itself (--mark), then 2 s for L1 to read the
# histograms before the next window opens.
if [ $WINDOW = 1 ]; then
    GUEST_CMD+=' m=/lib/modules/$(uname -r)/$(grep virtio_blk /lib/modules/$(uname -r)/load-order); rmmod virtio_blk; insmod $m poll_queues=1; sleep 1;'
    GUEST_CMD+=' irq() { s=0; for x in $(grep virtio.-req /proc/interrupts); do case $x in *[!0-9]*) ;; *) s=$((s + x)) ;; esac; done; echo $s; };'
    GUEST_CMD+=' echo BENCH-IOPOLL io_poll=$(cat /sys/block/vda/queue/io_poll) hwq=$(ls /sys/block/vda/mq | wc -l) irq0=$(irq);'
    for w in $WORKLOADS; do
        case $w in iopollw*) op=write ;; *) op=read ;; esac
        GUEST_CMD+=" uringio $op /dev/vda --size ${BLK_MIB}M --bs $IOPOLL_BS --qd ${w#iopoll?} --iopoll --cpu 1 --mark $w; sleep 2;"
    done
    GUEST_CMD+=' echo BENCH-IOPOLL irq1=$(irq);'
fi
GUEST_CMD+=' sleep 1'

{
    cat <<EOF
ROUNDS=$ROUNDS
CONFIGS='$CONFIGS'
VARIANTS='$VARIANTS'
RAND_READS=$RAND_READS
RAND32_READS=$RAND32_READS
KERNEL=/guest/$KERNEL
BLK_MIB=$BLK_MIB
NET_MIB=$NET_MIB
NET_COAL=$NET_COAL
RUN_TIMEOUT=$RUN_TIMEOUT
GUEST_CMD='$GUEST_CMD'
WINDOW=$WINDOW
PIN_VCPU1=$PIN_VCPU1
EOF
    bench_l1_facts_sh
    cat <<'EOF'
echo 1 >/proc/sys/kernel/printk
echo "fact: L1 kernel command line: $(cat /proc/cmdline)"
echo "BENCH-SIZES blk=$BLK_MIB net=$NET_MIB rand=$RAND_READS rand32=$RAND32_READS"
T=/sys/kernel/debug/tracing/events/kvm
HIST='hist:keys=common_pid:vals=hitcount'
# Every exit of the VM, by reason (SVM exit code): the totals and the split.
RHIST='hist:keys=exit_reason:vals=hitcount:size=256'
# MSR accesses KVM handled or passed on (kvm:kvm_msr), by MSR and direction.
MHIST='hist:keys=ecx,write:vals=hitcount:size=256'
CMDLINE="console=ttyS0 quiet panic=-1 pci=off 8250.nr_uarts=1"
NOPCI_CMDLINE="console=ttyS0 quiet panic=-1 8250.nr_uarts=1"
# The polling recipe's vCPU 1: no tick, no RCU callbacks.
IOPOLL_CMDLINE="nohz_full=1 rcu_nocbs=1"
# Per run (set by config() and the variant loop below): what follows
# --disk's path and --net's tap=.  warden's command line has no pci=off:
# warden adds it itself when its devices are not on PCI.
CL=$NOPCI_CMDLINE NETX= DISKX=
TAP=btap0
CR=$(printf '\r')  # QEMU's console ends its lines with CR LF
dd if=/dev/zero of=/tmp/disk.img bs=1M count=$((BLK_MIB + 16)) 2>/dev/null
dd if=/dev/zero of=/tmp/l1tx bs=1M count=$NET_MIB 2>/dev/null  # tcprx's
mkfifo /tmp/hold
sleep 100000 >/tmp/hold &

hits() { awk '/^Totals:/{t=1} t && /Hits:/{print $2; exit}' $T/$1/hist; }
# reason:count,... of the kvm_exit hist (one word).
reasons() { awk '/^\{ *exit_reason:/{r=$0; sub(/.*exit_reason: */, "", r); sub(/ .*/, "", r); printf "%s:%s,", r, $NF}' $T/kvm_exit/hist; }
pkts() { r=0; t=0; read -r r </sys/class/net/$TAP/statistics/rx_packets; read -r t </sys/class/net/$TAP/statistics/tx_packets; echo $((r + t)); }
# msr-hex/r|w:count,... of the kvm_msr hist (one word).
msrs() { awk '/^\{.*ecx:/{m=$0; sub(/.*ecx: */, "", m); sub(/[ ,].*/, "", m); w=$0; sub(/.*write: */, "", w); sub(/[ ,}].*/, "", w);
	printf "%x/%s:%s,", m, (w == 1 ? "w" : "r"), $NF}' $T/kvm_msr/hist 2>/dev/null; }
snap() { echo "$EPOCHREALTIME $(hits kvm_exit) $(hits kvm_userspace_exit) $(pkts 2>/dev/null || echo 0) $(reasons) $(msrs)"; }
# L1's CPU ticks (USER_HZ) of the VM so far: its vCPU threads (warden's
# vcpuN, QEMU's "CPU N/KVM": the guest's own time is theirs), its other
# threads (device I/O, the main loop), and vhost's workers for it (kernel
# threads vhost-PID).  A stat's comm may hold spaces: fields are counted
# after its closing parenthesis (utime and stime are then the 12th and 13th).
cputicks() {
	{ cat /proc/$pid/task/*/stat; grep -h "^[0-9]* (vhost-$pid) " /proc/[0-9]*/stat; } 2>/dev/null |
		awk -v pid=$pid '{ c = $0; sub(/^[0-9]+ \(/, "", c); r = c; sub(/\) [^)]*$/, "", c); sub(/.*\) /, "", r)
			split(r, f, " "); t = f[12] + f[13]
			if (c == "vhost-" pid) h += t; else if (c ~ /^(vcpu[0-9]+|CPU [0-9]+\/KVM)$/) v += t; else o += t }
			END { printf "%d %d %d", v, o, h }'
}

# The polled workloads' windows (WINDOW=1): paused histograms that the
# tool's markers switch on and off, so they count exactly the exits in
# between: its CPUID of leaf 0x57415201 (kvm:kvm_cpuid) switches them on,
# its VMMCALL with RAX 0x57415244 (kvm:kvm_hypercall) off (one event
# cannot hold an enable_hist and a disable_hist of the same histogram).
# The CPUID's own exit comes before the switch, the VMMCALL's after it:
# a window is the exits between the two and the closing VMMCALL.
# enable_hist/disable_hist act on every histogram of the event, hence
# WINDOW runs have no others.  Triggers are added with >>: opening a
# trigger file with O_TRUNC removes the event's triggers.
WX='hist:keys=vcpu_id,exit_reason:vals=hitcount:size=256:pause'
WM='hist:keys=write,ecx:vals=hitcount:size=256:pause'
WU='hist:keys=reason:vals=hitcount:size=128:pause'
wtriggers() { # wtriggers [!]: the six switches, set or removed
	for e in kvm_exit kvm_msr kvm_userspace_exit; do
		echo "$1enable_hist:kvm:$e if function == 1463898625" >>$T/kvm_cpuid/trigger
		echo "$1disable_hist:kvm:$e if nr == 1463898692" >>$T/kvm_hypercall/trigger
	done
}
hsum() { awk '/hitcount:/{s += $NF} END{print s + 0}' $T/$1/hist; }
# As reasons(), summed over the vCPUs; and the split by vCPU (vcpuN:count,...).
wreasons() { awk '/exit_reason:/{r=$0; sub(/.*exit_reason: */, "", r); sub(/ .*/, "", r); n[r] += $NF}
	END{for (r in n) printf "%s:%s,", r, n[r]}' $T/kvm_exit/hist; }
wvcpus() { awk '/vcpu_id:/{v=$0; sub(/.*vcpu_id: */, "", v); sub(/[ ,].*/, "", v); n[v] += $NF}
	END{for (v in n) printf "vcpu%s:%s,", v, n[v]}' $T/kvm_exit/hist; }
# (size: 128 is the smallest a histogram takes.)
# The same fields as snap(), from the window histograms (cumulative over
# the windows so far), and the vCPU split as a ninth.
snapw() { echo "$EPOCHREALTIME $(hsum kvm_exit) $(hsum kvm_userspace_exit) 0 $(wreasons), $(msrs), $(wvcpus),"; }
# pin PID: every thread of the VM on L1's CPU 0, its vCPU 1 alone on CPU 1;
# false while the VM has no vCPU 1 thread yet (QEMU names its threads
# with -name debug-threads=on).
pin() {
	[ -n "$(grep -lxE 'vcpu1|CPU 1/KVM' /proc/$1/task/*/comm 2>/dev/null)" ] || return 1
	for t in /proc/$1/task/*; do
		case "$(cat $t/comm 2>/dev/null)" in
		vcpu1 | "CPU 1/KVM") taskset -p 2 ${t##*/} >/dev/null && echo "BENCH-PIN vmm=$vmm$tag thread ${t##*/} on CPU 1" ;;
		*) taskset -p 1 ${t##*/} >/dev/null ;;
		esac
	done
}

# l1send netrx|tcprx: L1's side of an L1 -> guest workload, once the guest
# has said BENCH-BEGIN: a second for its listener, then NET_MIB piped
# (netrx, port 5002) or from L1's file (tcprx, port 5004), timed until
# L1's nc ends (the guest has closed).
l1send() {
	sleep 1
	t1=$EPOCHREALTIME
	case $1 in
	netrx) dd if=/dev/zero bs=64k count=$((NET_MIB * 16)) 2>/dev/null | nc 10.0.2.15 5002 ;;
	tcprx) nc 10.0.2.15 5004 </tmp/l1tx ;;
	esac
	echo "L1SEND $1 $(awk -v a=$t1 -v b=$EPOCHREALTIME 'BEGIN{print b-a}')" >>/tmp/snaps
}

# run VMM TAG [warden options]: one VM with the workload; prints BENCH-RESULT lines.
run() {
	vmm=$1 tag=$2
	shift 2
	rm -f /tmp/out /tmp/stats.json /tmp/con
	mkfifo /tmp/con
	if [ $WINDOW = 1 ]; then
		echo "$WX" >$T/kvm_exit/trigger
		echo "$WM" >$T/kvm_msr/trigger
		echo "$WU" >$T/kvm_userspace_exit/trigger
		wtriggers ""
		wlast="0 0 0 0 , , ,"
	else
		echo "$RHIST" >$T/kvm_exit/trigger
		echo "$MHIST" >$T/kvm_msr/trigger 2>/dev/null
		echo "$HIST" >$T/kvm_userspace_exit/trigger
	fi
	case $vmm in
	qemu)
		setsid qemu-system-x86_64 -enable-kvm -M microvm,rtc=on -cpu host -m 512 -smp 1 \
			-nographic -no-reboot -kernel $KERNEL -initrd /guest/initrd.cpio.gz \
			-append "$CMDLINE warden.run=\"$GUEST_CMD\"" \
			-drive id=d0,file=/tmp/disk.img,format=raw,if=none -device virtio-blk-device,drive=d0 \
			-netdev tap,id=n0,ifname=$TAP,script=no,downscript=no -device virtio-net-device,netdev=n0 \
			</dev/null >/tmp/con 2>&1 &
		;;
	qemu-best)
		setsid qemu-system-x86_64 -enable-kvm -M q35 -cpu host -m 512 -smp 1 -name q,debug-threads=on \
			-nodefaults -display none -serial stdio -no-reboot -kernel $KERNEL -initrd /guest/initrd.cpio.gz \
			-append "$NOPCI_CMDLINE warden.run=\"$GUEST_CMD\"" \
			-object iothread,id=io0,poll-max-ns=32768 \
			-drive id=d0,file=/tmp/disk.img,format=raw,if=none,aio=io_uring -device virtio-blk-pci,drive=d0,iothread=io0 \
			-netdev tap,id=n0,ifname=$TAP,script=no,downscript=no,vhost=on -device virtio-net-pci,netdev=n0,romfile= \
			</dev/null >/tmp/con 2>&1 &
		;;
	qemu-best-iopoll)
		setsid qemu-system-x86_64 -enable-kvm -M q35 -cpu host,kvm-hint-dedicated=on -m 512 -smp 2 -name q,debug-threads=on \
			-nodefaults -display none -serial stdio -no-reboot -kernel $KERNEL -initrd /guest/initrd.cpio.gz \
			-append "$NOPCI_CMDLINE $IOPOLL_CMDLINE warden.run=\"$GUEST_CMD\"" \
			-object iothread,id=io0,poll-max-ns=32768 \
			-drive id=d0,file=/tmp/disk.img,format=raw,if=none,aio=io_uring \
			-device virtio-blk-pci,drive=d0,iothread=io0,num-queues=2 \
			-netdev tap,id=n0,ifname=$TAP,script=no,downscript=no,vhost=on -device virtio-net-pci,netdev=n0,romfile= \
			</dev/null >/tmp/con 2>&1 &
		;;
	warden)
		setsid ${WBIN:-warden} run --kernel $KERNEL --initrd /guest/initrd.cpio.gz \
			--mem 512 --cpus ${WCPUS:-1} --stats /tmp/stats.json "$@" \
			--disk /tmp/disk.img$DISKX --net tap=$TAP$NETX \
			--cmdline "$CL warden.run=\"$GUEST_CMD\"" </dev/null >/tmp/con 2>&1 &
		;;
	esac
	pid=$!
	# The watchdog: a VM still running after RUN_TIMEOUT is killed.
	(
		trap 'kill $s 2>/dev/null; exit 0' TERM
		sleep $RUN_TIMEOUT &
		s=$!
		wait $s
		kill -0 $pid 2>/dev/null && echo killed >/tmp/timedout && kill -KILL -$pid
	) &
	dog=$!
	# The console comes through the FIFO, a line at a time, to a loop
	# that forks nothing but at a workload's markers: polling /tmp/out
	# with grep every 50 ms (until 2026-12-05) took about 40% of one of
	# L1's two CPUs away from the VMs (docs/benchmarks.md, one-off "The
	# bench's own console polling").  (Opening the FIFO waits for the
	# VMM's end of it.)
	exec 4</tmp/con
	pinned=0
	k=0  # (not i: the round loop below uses it)
	while [ ! -e /sys/class/net/$TAP ] && [ $k -lt 200 ]; do sleep 0.05; k=$((k + 1)); done
	ip addr add 10.0.2.1/24 dev $TAP 2>/dev/null
	ip link set $TAP up
	nc -l -p 5001 </tmp/hold >/dev/null &
	ncpid=$!
	nc -l -p 5003 </tmp/hold >/dev/null &
	ncpid="$ncpid $!"
	seen=""
	while IFS= read -r l <&4; do
		echo "$l" >>/tmp/out
		if [ $PIN_VCPU1 = 1 ] && [ $pinned = 0 ] && pin $pid; then pinned=1; fi
		# BENCH-BEGIN/-END and a workload's whole name, once each.
		case $l in *BENCH-BEGIN\ * | *BENCH-END\ *) ;; *) continue ;; esac
		m=${l#*BENCH-} w=${l#*BENCH-* }
		w=${w%%[ $CR]*}
		case $w in seqwrite | seqread | randread | randread32 | nettx | netrx | tcptx | tcprx | iopoll[rw]1 | iopoll[rw]32) ;; *) continue ;; esac
		m=BENCH-${m%% *}_$w
		case " $seen " in *" $m "*) continue ;; esac
		seen="$seen $m"
		if [ $WINDOW = 1 ]; then
			# Paused between windows: a window's start is the last one's end.
			case $m in
			BENCH-BEGIN_*) echo "SNAP $m $wlast" >>/tmp/snaps ;;
			*) wlast=$(snapw); echo "SNAP $m $wlast" >>/tmp/snaps ;;
			esac
			continue
		fi
		echo "SNAP $m $(snap)" >>/tmp/snaps
		echo "CPU $m $(cputicks)" >>/tmp/snaps
		case $m in BENCH-BEGIN_netrx | BENCH-BEGIN_tcprx) l1send ${m#BENCH-BEGIN_} ;; esac
	done
	exec 4<&-
	kill $dog 2>/dev/null
	if [ -e /tmp/timedout ]; then
		echo "BENCH-ERROR $vmm$tag: killed after ${RUN_TIMEOUT}s"
		rm -f /tmp/timedout
	fi
	wait $pid
	rc=$?
	kill $ncpid 2>/dev/null
	# A VM that ended "well" without a single workload measured (seen once:
	# a QEMU that printed nothing and exited 0) is a failed run, not a run.
	: >>/tmp/snaps
	if [ $rc = 0 ] && ! grep -q '^SNAP BENCH-END_' /tmp/snaps; then
		echo "BENCH-ERROR $vmm$tag: no workload measured (its console had no BENCH-END line)"
		rc=255
	fi
	if [ $WINDOW = 1 ]; then
		wtriggers "!"
		echo "!$WX" >>$T/kvm_exit/trigger
		echo "!$WM" >>$T/kvm_msr/trigger
		echo "!$WU" >>$T/kvm_userspace_exit/trigger
	else
		echo "!$RHIST" >$T/kvm_exit/trigger
		echo "!$MHIST" >$T/kvm_msr/trigger 2>/dev/null
		echo "!$HIST" >$T/kvm_userspace_exit/trigger
	fi
	sed "s/^/  $vmm$tag| /" /tmp/out | grep -v '^ *$' | tail -40
	# Per workload: guest-timed seconds, all exits, userspace exits, packets.
	tr -d '\r' </tmp/out | grep '^BENCH-END ' >/tmp/ends
	awk -v vmm=$vmm -v tag="$tag" -v rc=$rc '
		FILENAME == "/tmp/ends" { gs[$2] = $4 - $3; next }
		/^SNAP BENCH-BEGIN_/ { w=substr($2, 13); e[w]=$4; u[w]=$5; p[w]=$6
			n = split($7, rs, ","); for (k = 1; k <= n; k++) if (split(rs[k], kv, ":") == 2) r0[w, kv[1]] = kv[2]
			n = split($8, rs, ","); for (k = 1; k <= n; k++) if (split(rs[k], kv, ":") == 2) m0[w, kv[1]] = kv[2]
			w0[w] = NF >= 9 ? $9 : "" }
		/^L1SEND/ { printf "BENCH-L1SEND vmm=%s%s work=%s rc=%d s=%s\n", vmm, tag, $2, rc, $3 }
		/^CPU BENCH-BEGIN_/ { w = substr($2, 13); cv[w] = $3; co[w] = $4; ch[w] = $5 }
		/^CPU BENCH-END_/ { w = substr($2, 11)
			printf "BENCH-CPU vmm=%s%s work=%s rc=%d vcpu=%d other=%d vhost=%d\n", vmm, tag, w, rc, $3 - cv[w], $4 - co[w], $5 - ch[w] }
		/^SNAP BENCH-END_/ { w=substr($2, 11);
			printf "BENCH-RESULT vmm=%s%s work=%s s=%.4f exits=%d uexits=%d pkts=%d rc=%d\n",
				vmm, tag, w, gs[w], $4-e[w], $5-u[w], $6-p[w], rc
			line = ""; n = split($7, rs, ",")
			for (k = 1; k <= n; k++) if (split(rs[k], kv, ":") == 2 && kv[2] - r0[w, kv[1]] > 0)
				line = line " " kv[1] "=" (kv[2] - r0[w, kv[1]])
			printf "BENCH-REASONS vmm=%s%s work=%s rc=%d%s\n", vmm, tag, w, rc, line
			line = ""; n = split($8, rs, ",")
			for (k = 1; k <= n; k++) if (split(rs[k], kv, ":") == 2 && kv[2] - m0[w, kv[1]] > 0)
				line = line " " kv[1] "=" (kv[2] - m0[w, kv[1]])
			printf "BENCH-MSRS vmm=%s%s work=%s rc=%d%s\n", vmm, tag, w, rc, line
			if (NF >= 9) { # a window: its exits by vCPU
				n = split(w0[w], rs, ","); for (k = 1; k <= n; k++) if (split(rs[k], kv, ":") == 2) v0[kv[1]] = kv[2]
				line = ""; n = split($9, rs, ",")
				for (k = 1; k <= n; k++) if (split(rs[k], kv, ":") == 2) line = line " " kv[1] "=" (kv[2] - v0[kv[1]])
				printf "BENCH-VCPUS vmm=%s%s work=%s rc=%d%s\n", vmm, tag, w, rc, line
				delete v0 } }' /tmp/ends /tmp/snaps
	grep -o 'BENCH-IOPOLL .*' /tmp/out | tr -d '\r' | sed "s/^BENCH-IOPOLL /BENCH-IOPOLL vmm=$vmm$tag rc=$rc /"
	grep -o 'BENCH-COAL .*' /tmp/out | tr -d '\r' | sed "s/^BENCH-COAL /BENCH-COAL vmm=$vmm$tag rc=$rc /"
	grep -o 'uringio: .*' /tmp/out | tr -d '\r' | sed "s/^/BENCH-URING vmm=$vmm$tag rc=$rc /"
	grep -o 'randread: .*' /tmp/out | sed "s/^/BENCH-RAND vmm=$vmm$tag rc=$rc /"
	echo "BENCH-RUN vmm=$vmm$tag kernel=$KERNEL rc=$rc"
	[ -f /tmp/stats.json ] && { echo "BENCH-JSON vmm=$vmm$tag"; cat /tmp/stats.json | tr -d '\n '; echo; }
	rm -f /tmp/snaps
}

# config NAME: one run of a configuration of CONFIGS.
config() {
	case $1 in
	qemu | qemu-best | warden) run $1 "" ;;
	warden-mmio) run warden -mmio --transport mmio ;;
	warden-pci) run warden -pci --transport pci ;;
	warden-pci-poll) DISKX=,poll NETX=,poll; run warden -pci-poll --transport pci ;;
	warden-pci-pollmax)
		DISKX=,poll=50,poll-max=10000 NETX=,poll=50,poll-max=10000
		run warden -pci-pollmax --transport pci ;;
	warden-pci-pollmax-hp)
		DISKX=,poll=50,poll-max=10000 NETX=,poll=50,poll-max=10000
		run warden -pci-pollmax-hp --transport pci --halt-poll-ns 2000000 ;;
	warden-pci-vhost) NETX=,vhost=on; run warden -pci-vhost --transport pci ;;
	warden-pci-coal) CL="$NOPCI_CMDLINE bench.coal=$NET_COAL"; run warden -pci-coal --transport pci ;;
	warden-base-pci-vhost) NETX=,vhost=on WBIN=/extra/warden-base; run warden -base-pci-vhost --transport pci ;;
	warden-pci-poll-vhost) DISKX=,poll NETX=,vhost=on,poll; run warden -pci-poll-vhost --transport pci ;;
	qemu-best-iopoll) run qemu-best-iopoll "" ;;
	warden-pci-iopoll)
		DISKX=,queues=2,poll=10000 WCPUS=2 CL="$NOPCI_CMDLINE $IOPOLL_CMDLINE"
		run warden -pci-iopoll --transport pci --kvm-hint-realtime ;;
	esac
	NETX= DISKX= WBIN= WCPUS= CL=$NOPCI_CMDLINE
}
REVERSED=
for c in $CONFIGS; do REVERSED="$c $REVERSED"; done
i=1
while [ $i -le $ROUNDS ]; do
	if [ $((i % 2)) = 1 ]; then order=$CONFIGS; else order=$REVERSED; fi
	for c in $order; do
		config $c
	done
	i=$((i + 1))
done
for v in $VARIANTS; do
	case $v in
	pci) run warden -pci --transport pci ;;
	vhost) NETX=,vhost=on; run warden -vhost ;;
	pci+vhost) NETX=,vhost=on; run warden -pci+vhost --transport pci ;;
	*) run warden "$v" $v ;;
	esac
	NETX=
done
EOF
} >"$SCRIPT"

echo "bench/virtio.sh: $ROUNDS rounds of '$CONFIGS', kernel $KERNEL for both VMMs, variants '$VARIANTS'; log $LOG"
bench_facts emu
set +e
BASE_EXTRA=()
if [ -n "${WARDEN_BASE:-}" ]; then
    cp "$WARDEN_BASE" "$OUT/warden-base"
    BASE_EXTRA=("$OUT/warden-base")
    echo "bench/virtio.sh: warden-base-* run $WARDEN_BASE ($($WARDEN_BASE --version 2>&1 | head -1))"
fi
bash "$ROOT/tests/emu/l1.sh" --with-qemu --smp 2 --mem 4096 --timeout 5400 "$SCRIPT" "${BASE_EXTRA[@]}" 2>&1 | tee "$LOG"
l1=${PIPESTATUS[0]}
set -e
{
    echo "### virtio benchmark ($(date -u +%Y-%m-%dT%H:%MZ), emulated AMD-V tier, guest kernel $(bench_guest_kernel) as $KERNEL under both VMMs)"
    echo
    echo "Command: \`${L1_APPEND:+L1_APPEND=\"$L1_APPEND\" }PIN_VCPU1=$PIN_VCPU1 IOPOLL_BS=$IOPOLL_BS ROUNDS=$ROUNDS CONFIGS=\"$CONFIGS\" WORKLOADS=\"$WORKLOADS\" KERNEL=$KERNEL BLK_MIB=$BLK_MIB NET_MIB=$NET_MIB NET_COAL=$NET_COAL RAND_READS=$RAND_READS VARIANTS=\"$VARIANTS\" bash bench/virtio.sh\`"
    echo
    bench_facts emu | sed 's/^/    /'
    tr -d '\r' <"$LOG" | grep '^fact: L1' | sed 's/^/    /' || true
    echo
    python3 "$ROOT/bench/virtio_report.py" "$LOG"
} >"$REPORT"
cat "$REPORT"
echo "bench/virtio.sh: report $REPORT"
# What completed is reported either way; a run that L1 cut short is a
# failed benchmark, not a short one.
if [ "$l1" != 0 ]; then
    echo "bench/virtio.sh: error: L1 ended with status $l1 (see $LOG): the figures above are partial" >&2
    exit 1
fi
