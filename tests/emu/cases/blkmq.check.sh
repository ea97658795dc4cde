# virtio-blk queues=2 and poll=US in the Linux guest (sourced by tests/emu/run.sh).
bmq_v() { tr ' ' '\n' <"$OUT/$1.out" 2>/dev/null | sed -n "s/^$2=//p" | head -n 1; }
for c in blkmq_notify blkmq_poll; do
	expect_eq "virtio-blk $c: guest boots and powers off" 0 "$(rc $c)"
	expect_eq "virtio-blk $c: the guest has 2 hardware queues" 2 "$(bmq_v $c hwq)"
	expect_eq "virtio-blk $c: one MSI-X line per queue (virtioN-req.0, .1)" 2 "$(bmq_v $c irqs)"
	expect_eq "virtio-blk $c: 16 MiB of O_DIRECT reads" 0 "$(bmq_v $c dd)"
	expect_eq "virtio-blk $c: virtio_blk reloaded with poll_queues=1" 0 "$(bmq_v $c insmod)"
	expect_eq "virtio-blk $c: ... 2 hardware queues, one of them polled" "2 1" "$(bmq_v $c hwq2) $(bmq_v $c iopoll)"
	expect_eq "virtio-blk $c: no guest errors" 0 "$(js $c '.device_work["virtio-blk0"].errors // 0')"
done
# One request at a time: re-armed after each, the device gets about one
# notification per request; polling for 10 ms after each, it finds nearly
# all of them itself (bounded generously: half).
for c in blkmq_notify blkmq_poll; do
	eval "${c#blkmq_}_req=\$(js $c '.device_work[\"virtio-blk0\"].requests // 0')"
	eval "${c#blkmq_}_ntf=\$(js $c '.device_work[\"virtio-blk0\"].notifies // 0')"
done
[ "$notify_req" -ge 4096 ] 2>/dev/null && [ $((notify_ntf * 10)) -ge $((notify_req * 9)) ] &&
	pass "virtio-blk queues=2: without polling, a notification per request ($notify_ntf for $notify_req)" ||
	failed "virtio-blk queues=2: without polling, $notify_ntf notifications for $notify_req requests"
[ "$poll_req" -ge 4096 ] 2>/dev/null && [ $((poll_ntf * 2)) -le "$poll_req" ] &&
	pass "virtio-blk queues=2,poll=10000: $poll_ntf notifications for $poll_req requests" ||
	failed "virtio-blk queues=2,poll=10000: $poll_ntf notifications for $poll_req requests (more than half)"
expect_eq "virtio-blk queues=2: no polling time without poll" 0 "$(js blkmq_notify '.device_work["virtio-blk0"].poll_us')"
p=$(js blkmq_poll '.device_work["virtio-blk0"].poll_us // 0')
[ "$p" -gt 0 ] 2>/dev/null && pass "virtio-blk poll: polling time reported ($p us, cpu $(js blkmq_poll '.device_work["virtio-blk0"].cpu_us') us)" ||
	failed "virtio-blk poll: poll_us '$p'"
