# virtio-blk with two queues, without and with polling (sourced by
# l1-tests.sh; runs in L1's /tmp).  Over PCI, so each queue has its MSI-X
# vector.  The guest (2 vCPUs) counts its hardware queues and their
# interrupt lines, reads 16 MiB with O_DIRECT 4 KiB reads (one request at
# a time), then reloads virtio_blk with poll_queues=1 (busybox insmod: the
# kernel command line does not reach a module loaded that way) and shows
# a queue that polls (queue/io_poll).
#  blkmq_notify: queues=2        blkmq_poll: queues=2,poll=10000
BMQ_RUN="echo hwq=\$(ls /sys/block/vda/mq | wc -l) irqs=\$(grep -c 'virtio[0-9]-req' /proc/interrupts); \
dd if=/dev/vda of=/dev/null bs=4k count=4096 iflag=direct 2>/dev/null; echo dd=\$?; \
m=/lib/modules/\$(uname -r)/\$(grep virtio_blk /lib/modules/\$(uname -r)/load-order); rmmod virtio_blk; \
insmod \$m poll_queues=1; echo insmod=\$?; sleep 1; \
echo hwq2=\$(ls /sys/block/vda/mq | wc -l) iopoll=\$(cat /sys/block/vda/queue/io_poll)"
dd if=/dev/zero of=/tmp/blkmq.img bs=1M count=16 2>/dev/null
case_run blkmq_notify --transport pci --cpus 2 --disk /tmp/blkmq.img,queues=2 \
	--cmdline "console=ttyS0 quiet panic=-1 8250.nr_uarts=1 warden.run=\"$BMQ_RUN\""
case_run blkmq_poll --transport pci --cpus 2 --disk /tmp/blkmq.img,queues=2,poll=10000 \
	--cmdline "console=ttyS0 quiet panic=-1 8250.nr_uarts=1 warden.run=\"$BMQ_RUN\""
rm -f /tmp/blkmq.img
