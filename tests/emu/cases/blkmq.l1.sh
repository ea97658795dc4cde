# virtio-blk with two queues, without and with polling (sourced by
# l1-tests.sh; runs in L1's /tmp).  Over PCI, so each queue has its MSI-X
# vector.  The guest (2 vCPUs) counts its hardware queues and their
# interrupt lines, reads 16 MiB with O_DIRECT 4 KiB reads (one request at
# a time), then reloads virtio_blk with poll_queues=1 (busybox insmod: the
# kernel command line does not reach a module loaded that way) and shows
# a queue that polls (queue/io_poll).
#  blkmq_notify: queues=2        blkmq_poll: queues=2,poll=10000
#  (A window that adapts, poll=50,poll-max=10000, found all but 13-17 of
#  the 4,098 requests in two runs of this case alone, but in one full
#  tier run the guest's reads crawled, 2,058 in 175 s, not understood:
#  docs/virtio.md. The tier keeps the fixed window it has run with.)
BMQ_RUN="echo hwq=\$(ls /sys/block/vda/mq | wc -l) irqs=\$(grep -c 'virtio[0-9]-req' /proc/interrupts); \
dd if=/dev/vda of=/dev/null bs=4k count=4096 iflag=direct 2>/dev/null; echo dd=\$?; \
m=/lib/modules/\$(uname -r)/\$(grep virtio_blk /lib/modules/\$(uname -r)/load-order); rmmod virtio_blk; \
insmod \$m poll_queues=1; echo insmod=\$?; sleep 1; \
echo hwq2=\$(ls /sys/block/vda/mq | wc -l) iopoll=\$(cat /sys/block/vda/queue/io_poll)"
# In this tier the guest itself stalls now and then (1-5% of runs of
# blkmq_poll, docs/benchmarks.md "The polled two-queue disk's stall"):
# dd is runnable on no CPU's run queue while the disk is at rest.  So a
# run whose guest has not finished in 90 s is stopped at once
# (--shutdown-timeout 0: no power button, the disk stays as the guest
# left it); if warden's --verbose description shows every queue at rest
# (nothing waiting, nothing in flight, the driver's used_event at
# used.idx: it took every answer), the run is done once more and
# NAME.rerun says so (blkmq.check.sh checks the first run's description
# itself and counts the rerun in the tier's result line).
bmq_at_rest() { # ERR: every queue described, each at rest
	awk '/ queue [0-9]+ at the end: / { n++; u = $0; sub(/.*used.idx /, "", u); sub(/ .*/, "", u)
		e = $0; sub(/.*used_event /, "", e); sub(/,.*/, "", e)
		if ($0 !~ /\(0 waiting\)/ || $0 !~ /\(0 in flight\)/ || u != e) bad++ }
		END { exit !(n > 0 && !bad) }' "$1"
}
bmq_case() { # NAME [warden run args...]
	name=$1
	shift
	timeout 90 warden run --verbose --shutdown-timeout 0 --stats "/tmp/$name.json" "$@" \
		>"/tmp/$name.out" 2>"/tmp/$name.err" </dev/null
	st=$?
	if ! grep -q '^dd=' "/tmp/$name.out" && bmq_at_rest "/tmp/$name.err"; then
		cp "/tmp/$name.err" "/tmp/$name.first.err"
		echo "the guest stalled (no dd= in 90 s) with the disk at rest" >"/tmp/$name.rerun"
		timeout 90 warden run --verbose --shutdown-timeout 0 --stats "/tmp/$name.json" "$@" \
			>"/tmp/$name.out" 2>"/tmp/$name.err" </dev/null
		st=$?
	fi
	case_report "$name" $st
	rerun_report "$name"
}
dd if=/dev/zero of=/tmp/blkmq.img bs=1M count=16 2>/dev/null
bmq_case blkmq_notify --transport pci --cpus 2 --disk /tmp/blkmq.img,queues=2 \
	--cmdline "console=ttyS0 quiet panic=-1 8250.nr_uarts=1 warden.run=\"$BMQ_RUN\""
bmq_case blkmq_poll --transport pci --cpus 2 --disk /tmp/blkmq.img,queues=2,poll=10000 \
	--cmdline "console=ttyS0 quiet panic=-1 8250.nr_uarts=1 warden.run=\"$BMQ_RUN\""
rm -f /tmp/blkmq.img

# The polling recipe end to end (docs/virtio.md, "The guest's side"): a
# polled disk with 2 queues, 2 vCPUs with vCPU 1 off the tick and RCU
# (nohz_full, rcu_nocbs), KVM_HINTS_REALTIME, virtio_blk reloaded with
# poll_queues=1, then guest/tools/uringio on vCPU 1 writes 64 MiB of a
# pattern and reads it back (checked word by word) with io_uring IOPOLL,
# QD 8.  Around each timed loop the tool executes a CPUID of its own leaf
# (0x57415201) and a VMMCALL with RAX 0x57415244; L1's KVM traces both
# (kvm:kvm_cpuid, kvm:kvm_hypercall), and they switch a paused
# kvm:kvm_exit histogram (by vCPU and SVM exit code) on and off, so L1's
# KVM counts the exits of the two windows itself, nothing of warden's.
# (Two events: one cannot hold an enable_hist and a disable_hist of the
# same histogram.)  The closing VMMCALL's own exit is counted.  The guest
# prints its disk interrupts before and after (the polled queue has none).
T=/sys/kernel/debug/tracing/events/kvm
[ -d $T ] || T=/sys/kernel/tracing/events/kvm
BIO_HIST='hist:keys=vcpu_id,exit_reason:vals=hitcount:size=256:pause'
BIO_ON='enable_hist:kvm:kvm_exit if function == 1463898625'
BIO_OFF='disable_hist:kvm:kvm_exit if nr == 1463898692'
BIO_RUN="m=/lib/modules/\$(uname -r)/\$(grep virtio_blk /lib/modules/\$(uname -r)/load-order); rmmod virtio_blk; \
insmod \$m poll_queues=1; echo insmod=\$?; sleep 1; echo iopoll=\$(cat /sys/block/vda/queue/io_poll); \
irq() { grep 'virtio[0-9]-req' /proc/interrupts | tr -s ' ' | cut -d' ' -f3,4 | tr ' \n' '++'; echo 0; }; \
echo irq0=\$((\$(irq))); \
uringio write /dev/vda --size 64M --bs 128K --qd 8 --iopoll --cpu 1 --verify --mark bio_w; echo uw=\$?; \
uringio read /dev/vda --size 64M --bs 128K --qd 8 --iopoll --cpu 1 --verify --mark bio_r; echo ur=\$?; \
echo irq1=\$((\$(irq)))"
dd if=/dev/zero of=/tmp/blkmq.img bs=1M count=80 2>/dev/null
# (>> : opening a trigger file with O_TRUNC removes the event's triggers.)
if echo "$BIO_HIST" >>$T/kvm_exit/trigger && echo "$BIO_ON" >>$T/kvm_cpuid/trigger && echo "$BIO_OFF" >>$T/kvm_hypercall/trigger &&
	grep -q '^enable_hist' $T/kvm_cpuid/trigger && grep -q '^disable_hist' $T/kvm_hypercall/trigger; then
	case_run blkmq_iopoll --transport pci --cpus 2 --disk /tmp/blkmq.img,queues=2,poll=10000 --kvm-hint-realtime \
		--cmdline "console=ttyS0 quiet panic=-1 8250.nr_uarts=1 nohz_full=1 rcu_nocbs=1 warden.run=\"$BIO_RUN\""
	echo "@@BEGIN blkmq_iopoll_exits.txt"
	cat $T/kvm_exit/hist
	echo "@@END blkmq_iopoll_exits.txt"
else
	echo "@@BEGIN blkmq_iopoll_exits.txt"
	echo "skipped: L1's tracefs took no enable_hist trigger on kvm:kvm_cpuid or disable_hist on kvm:kvm_hypercall"
	echo "@@END blkmq_iopoll_exits.txt"
fi
echo "!$BIO_OFF" >>$T/kvm_hypercall/trigger 2>/dev/null
echo "!$BIO_ON" >>$T/kvm_cpuid/trigger 2>/dev/null
echo "!$BIO_HIST" >>$T/kvm_exit/trigger 2>/dev/null
rm -f /tmp/blkmq.img
