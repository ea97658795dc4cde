# virtio-net (sourced by l1-tests.sh): L1 is the other end of the guest's
# tap.  The guest checks its MAC, pings L1 and moves 8 MiB over TCP each
# way with busybox nc; a second warden on the same tap must be refused;
# a second boot without mac= has warden create its tap.  Every wait is
# bounded and every background process is killed at the end.
#
# busybox nc closes its sending half at the end of stdin and exits when the
# peer closes; a listener whose stdin ends at once would close too early,
# so listeners read a FIFO that nobody writes (the guest's read its console).
# net_transfer_once NAME TAP WARDEN-ARGS...: the guest on TAP (made here, as
# 10.0.2.1/24 in L1) pings L1 and moves 8 MiB each way over TCP; results go
# to /tmp/NAME_l1.out (h2g-sent, g2h-recv, h2g-tries, and L1's view of the
# tap: tap-rx-packets, tap-tx-packets), the case to /tmp/NAME.case.  While
# the guest runs, BUSY_CASE (when set) boots a second warden on the tap.
# NET_OPTS (",vhost=on"...) goes after --net's mac=; NET_BASE (default
# $BASE) starts the guest's command line; NET_MIB (default 8) is the size
# each way.  How long each way took: the guest's uptime around its send
# (g2h-t0, g2h-t1), L1's clock around its send that got through (h2g-ms).
net_transfer_once() {
	ncase=$1 ntap=$2  # (not $name: case_run sets that)
	shift 2
	netres=/tmp/${ncase}_l1.out
	: >"$netres"
	rm -f /tmp/net-hold /tmp/net-g2h.done
	mkfifo /tmp/net-hold
	exec 3<>/tmp/net-hold
	dd if=/dev/urandom of=/tmp/net-h2g bs=1M count=${NET_MIB:-8} 2>/dev/null
	echo "h2g-sent $(md5sum </tmp/net-h2g | cut -d' ' -f1)" >>"$netres"

	# NET_WARDEN_TAP=1: warden creates the tap (a multi-queue one for
	# queues=N; busybox's tunctl makes single-queue taps), configured
	# here once it exists.
	if [ -z "${NET_WARDEN_TAP:-}" ]; then
		tunctl -t $ntap >/dev/null 2>&1 || echo "tunctl failed" >>"$netres"
		ip addr add 10.0.2.1/24 dev $ntap
		ip link set $ntap up
	fi
	# (busybox timeout runs the command in its own pid: $! is nc's.)
	(
		timeout 150 nc -l -p 5000 <&3 >/tmp/net-g2h 2>/dev/null &
		echo $! >/tmp/net-nc.pid
		wait $!
		touch /tmp/net-g2h.done
	) &

	# The guest's own count of its virtio-pci queue interrupts (MSI-X
	# vectors virtioN-input.I / -output.I; columns 2 and 3 are the counts
	# of CPUs 0 and 1, a text column counting 0), receive and transmit,
	# before and after the transfers (0 0 on virtio-mmio, whose one line
	# is virtioN).  NET_GEXTRA: more guest commands, before the ping.
	gi="awk '/virtio[0-9]+-input/ {i+=\$2+\$3} /virtio[0-9]+-output/ {o+=\$2+\$3} END {print i+0, o+0}' /proc/interrupts"
	g="ip addr add 10.0.2.15/24 dev eth0; ip link set eth0 up"
	g="$g; echo mac=\$(cat /sys/class/net/eth0/address); echo feat=\$(cat /sys/class/net/eth0/device/features)"
	g="$g; echo irqs-before=\$($gi)${NET_GEXTRA:-}"
	g="$g; ping -c 3 -w 30 10.0.2.1 | grep transmitted"
	g="$g; dd if=/dev/urandom of=/g bs=1M count=${NET_MIB:-8} 2>/dev/null; echo g2h-sent=\$(md5sum </g)"
	g="$g; echo g2h-t0=\$(cut -d' ' -f1 /proc/uptime)"
	g="$g; timeout 60 nc 10.0.2.1 5000 </g; echo g2h-rc=\$?; echo g2h-t1=\$(cut -d' ' -f1 /proc/uptime)"
	g="$g; timeout 60 nc -l -p 5001 >/r; echo h2g-recv=\$(wc -c </r) \$(md5sum </r)"
	g="$g; echo irqs-after=\$($gi)"
	case_run $ncase --mem 512 --net tap=$ntap,mac=02:77:61:72:64:01$NET_OPTS "$@" \
		--cmdline "${NET_BASE:-$BASE} warden.run=\"$g\"" >/tmp/$ncase.case 2>&1 &
	wpid=$!
	if [ -n "${NET_WARDEN_TAP:-}" ]; then
		i=0
		while [ ! -e /sys/class/net/$ntap ] && [ $i -lt 300 ] && kill -0 $wpid 2>/dev/null; do
			sleep 0.1
			i=$((i + 1))
		done
		ip addr add 10.0.2.1/24 dev $ntap
		ip link set $ntap up
	fi

	if [ -n "${BUSY_CASE:-}" ]; then
		# While warden holds the tap, a second one must be refused.
		i=0
		while ! grep -q "attached to existing tap $ntap" /tmp/$ncase.err 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.2
			i=$((i + 1))
		done
		case_run $BUSY_CASE --net tap=$ntap >/tmp/$BUSY_CASE.case 2>&1
	fi

	# Guest to L1: the listener ends when the guest's nc closes (or
	# warden is gone).
	while [ ! -e /tmp/net-g2h.done ] && kill -0 $wpid 2>/dev/null; do
		sleep 0.5
	done
	kill "$(cat /tmp/net-nc.pid)" 2>/dev/null
	echo "g2h-recv $(wc -c </tmp/net-g2h) $(md5sum </tmp/net-g2h | cut -d' ' -f1)" >>"$netres"
	# L1 to guest: retry until the guest listens (refused before that),
	# for at most 90 s and while warden runs.
	i=0
	end=$(($(date +%s) + 90))
	# (L1's busybox date has no %N: its uptime, in hundredths.)
	until t0=$(cut -d' ' -f1 /proc/uptime) && timeout 60 nc 10.0.2.15 5001 </tmp/net-h2g 2>/dev/null; do
		i=$((i + 1))
		[ "$(date +%s)" -lt $end ] && kill -0 $wpid 2>/dev/null || break
		sleep 0.5
	done
	echo "h2g-tries $i" >>"$netres"
	echo "h2g-ms $(awk -v a="$t0" '{ printf "%d", ($1 - a) * 1000 }' /proc/uptime)" >>"$netres"
	wait $wpid
	exec 3>&-
	echo "tap-rx-packets $(cat /sys/class/net/$ntap/statistics/rx_packets 2>/dev/null)" >>"$netres"
	echo "tap-tx-packets $(cat /sys/class/net/$ntap/statistics/tx_packets 2>/dev/null)" >>"$netres"
	cat /tmp/$ncase.case
	[ -z "${BUSY_CASE:-}" ] || cat /tmp/$BUSY_CASE.case
	tunctl -d $ntap >/dev/null 2>&1
}

# The emulated CPU's own failure (docs/benchmarks.md, one-off "The guest's
# double fault with vhost-net"): now and then, mostly with vhost-net's
# interrupt per packet, the guest takes an event on the wrong side of a
# `syscall` and double-faults, under QEMU as under warden.  With `quiet`
# its console keeps two lines of it.  net_emu_df CONSOLE: they are there.
net_emu_df() {
	grep -q 'PANIC: double fault' "$1" && grep -q 'Kernel panic - not syncing' "$1"
}
# net_transfer NAME TAP WARDEN-ARGS...: net_transfer_once, done once more
# when the guest died of that; NAME.rerun says so and NAME.first.out keeps
# the first console (net.check.sh checks it and counts the rerun in the
# tier's result line).  A second one fails the case as any crash would.
net_transfer() {
	net_transfer_once "$@"
	net_emu_df "/tmp/$1.out" || return 0
	cp "/tmp/$1.out" "/tmp/$1.first.out"
	echo "the guest double-faulted (the emulated CPU's failure)" >"/tmp/$1.rerun"
	net_transfer_once "$@"
	rerun_report "$1"
}

net_l1() {
	# Notification coalescing (VIRTIO_NET_F_NOTF_COAL) under the default
	# seccomp filters: the guest sets it through the ethtool ioctl
	# (guest/tools/netcoal.c: the driver sends TX_SET and RX_SET on the
	# control queue), reads it back, then moves the 8 MiB each way with
	# its interrupts held back by warden's timers.  net_pci below is the
	# same transfer on the same transport without coalescing: the check
	# compares the two's interrupts.
	BUSY_CASE=net_busy
	NET_GEXTRA="; netcoal eth0 200 32 200 32; echo coal-rc=\$?"
	net_transfer net wtap0
	BUSY_CASE= NET_GEXTRA=
	netres=/tmp/net_l1.out

	# Not a tap: refused before any boot.
	case_run net_notap --net tap=lo
	# No mac=: warden creates the tap (gone again after exit), the guest
	# sees the derived MAC.
	case_run net_nomac --net tap=wtap1 --cmdline "$BASE warden.run=\"cat /sys/class/net/eth0/address\""
	ip link show wtap1 >/dev/null 2>&1 && echo "wtap1-after present" >>"$netres" || echo "wtap1-after absent" >>"$netres"
	# queues=2 on 2 vCPUs: the driver sets 2 pairs over the control queue
	# at probe (it warns when the device refuses) and has 2 queues each
	# way; --verbose for warden's line saying how many pairs are in use.
	# (The grep's pattern is written pair[s] so that it does not match the
	# command line, which dmesg prints too: it did, and counted 2 for a
	# refusal that never happened.)
	case_run net_mq --cpus 2 --verbose --net tap=wtapq,queues=2 --cmdline "$BASE warden.run=\"echo netq=\$(ls /sys/class/net/eth0/queues | tr '\n' ,); \
echo pairfail=\$(dmesg | grep -c 'Fail to set num of queue pair[s]')\""

	echo "@@BEGIN net_l1.out"
	cat "$netres"
	echo "@@END net_l1.out"
}
# The same transfer with vhost=on: the kernel's vhost-net moves the
# packets; L1's own /dev/vhost-net is reported on its own (the check
# skips without it).  On virtio-mmio, so that the transport warden no
# longer defaults to keeps a transfer (and vhost's relay, which sets
# InterruptStatus there, is covered).
net_vhost_l1() {
	echo "vhost-dev $([ -c /dev/vhost-net ] && echo yes || echo no)" >/tmp/net_vhost_l1.dev
	NET_OPTS=,vhost=on
	net_transfer net_vhost wtap2 --transport mmio
	NET_OPTS=
	cat /tmp/net_vhost_l1.dev >>/tmp/net_vhost_l1.out
	echo "@@BEGIN net_vhost_l1.out"
	cat /tmp/net_vhost_l1.out
	echo "@@END net_vhost_l1.out"
}
# vhost=on over virtio-pci (issue 14): vhost-net signals each queue's
# MSI-X irqfd itself, so KVM injects the interrupts and warden's I/O thread
# relays none; with poll=50 the kernel's worker also busy-polls the rings
# (VHOST_SET_VRING_BUSYLOOP_TIMEOUT).  --verbose for warden's line saying
# where each queue's interrupts go.
net_pci_vhost_l1() {
	NET_OPTS=,vhost=on,poll=50
	NET_BASE="console=ttyS0 quiet panic=-1 8250.nr_uarts=1"
	net_transfer net_pci_vhost wtap4 --transport pci --verbose
	NET_OPTS= NET_BASE=
	cat /tmp/net_vhost_l1.dev >>/tmp/net_pci_vhost_l1.out
	echo "@@BEGIN net_pci_vhost_l1.out"
	cat /tmp/net_pci_vhost_l1.out
	echo "@@END net_pci_vhost_l1.out"
}
# vhost=on with queues=2 on 2 vCPUs over virtio-pci: one vhost-net per
# queue pair, the control queue kept by warden (the driver's VQ_PAIRS_SET
# at probe attaches the second tap queue).
net_mq_vhost_l1() {
	NET_OPTS=,vhost=on,queues=2 NET_WARDEN_TAP=1
	NET_BASE="console=ttyS0 quiet panic=-1 8250.nr_uarts=1"
	NET_GEXTRA="; echo netq=\$(ls /sys/class/net/eth0/queues | tr '\n' ,); echo pairfail=\$(dmesg | grep -c 'Fail to set num of queue pair[s]')"
	net_transfer net_mq_vhost wtap5 --transport pci --cpus 2 --verbose
	NET_OPTS= NET_BASE= NET_GEXTRA= NET_WARDEN_TAP=
	cat /tmp/net_vhost_l1.dev >>/tmp/net_mq_vhost_l1.out
	echo "@@BEGIN net_mq_vhost_l1.out"
	cat /tmp/net_mq_vhost_l1.out
	echo "@@END net_mq_vhost_l1.out"
}
# The same transfer over virtio-pci (MSI-X; pci=off left out), without
# coalescing: the baseline of the net transfer's coalesced interrupts.
net_pci_l1() {
	NET_BASE="console=ttyS0 quiet panic=-1 8250.nr_uarts=1"
	net_transfer net_pci wtap3 --transport pci
	NET_BASE=
	echo "@@BEGIN net_pci_l1.out"
	cat /tmp/net_pci_l1.out
	echo "@@END net_pci_l1.out"
}
# Rate limits each way (rx-bw=, tx-bw=: Firecracker's rx_rate_limiter and
# tx_rate_limiter) on warden's own path: 1 MiB each way at 320 KiB/s
# (a bucket of 32 KiB refilled every 100 ms) takes at least 3.1 s, where
# the same transfer unlimited takes about half a second in this tier.
net_rate_l1() {
	NET_OPTS=,rx-bw=32768/100,tx-bw=32768/100 NET_MIB=1
	NET_BASE="console=ttyS0 quiet panic=-1 8250.nr_uarts=1"
	net_transfer net_rate wtap6 --transport pci
	NET_OPTS= NET_BASE= NET_MIB=
	echo "@@BEGIN net_rate_l1.out"
	cat /tmp/net_rate_l1.out
	echo "@@END net_rate_l1.out"
}
net_l1
net_rate_l1
net_vhost_l1
net_pci_vhost_l1
net_mq_vhost_l1
net_pci_l1
