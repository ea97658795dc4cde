# virtio-blk queues=2 and poll=US in the Linux guest (sourced by tests/emu/run.sh).
bmq_v() { tr ' ' '\n' <"$OUT/$1.out" 2>/dev/null | sed -n "s/^$2=//p" | head -n 1; }
# A run done twice (blkmq.l1.sh's bmq_case): its first guest stalled with
# the disk at rest.  Checked here from the first run's own description,
# not from L1's word (by the same rule, bmq_at_rest, taken from the L1
# script so there is one definition), and counted in the tier's result line.
eval "$(sed -n '/^bmq_at_rest()/,/^}/p' tests/emu/cases/blkmq.l1.sh)"
for c in blkmq_notify blkmq_poll; do
	case_rerun virtio-blk $c $c.first.err bmq_at_rest "queues were not all at rest"
done
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
expect_eq "virtio-blk poll=10000: the window in use is poll='s" 10000 "$(js blkmq_poll '.device_work["virtio-blk0"].poll_window_us')"
expect_eq "virtio-blk queues=2: no polling time without poll" 0 "$(js blkmq_notify '.device_work["virtio-blk0"].poll_us')"
p=$(js blkmq_poll '.device_work["virtio-blk0"].poll_us // 0')
[ "$p" -gt 0 ] 2>/dev/null && pass "virtio-blk poll: polling time reported ($p us, cpu $(js blkmq_poll '.device_work["virtio-blk0"].cpu_us') us)" ||
	failed "virtio-blk poll: poll_us '$p'"

# The polling recipe (blkmq_iopoll): io_uring IOPOLL on a poll queue moves
# a known amount of data, checked word by word, with few VM exits.  The
# exits are L1's kvm:kvm_exit histogram, switched on and off by the
# tool's CPUID and VMMCALL (blkmq.l1.sh).  The bounds are generous (the
# target, 2 per 100 MiB, is for bench/virtio.sh, docs/benchmarks.md):
# - the I/O vCPU (1) takes at most one exit per 16 requests (64 for the
#   1,024), not counting INTR (L1's own interrupts, which the polled
#   guest does not cause): measured 11-38; the device not polling (no
#   poll=) gave 130 (a notification per io_uring_enter of 8 requests),
#   interrupt-driven completions 145 (HLT while waiting);
# - the whole VM at most BIO_MAX (2000) for the 128 MiB: most of what
#   remains is time, not I/O (vCPU 0 keeps the guest's 250 Hz tick as
#   nohz_full's timekeeper: HLT and TSC-deadline writes; measured 340 and
#   1,029 in 2 s of windows).
BIO_MAX=${BIO_MAX:-2000}
bio=$OUT/blkmq_iopoll_exits.txt
if grep -q '^skipped:' "$bio" 2>/dev/null; then
	skip "virtio-blk IOPOLL: $(sed 's/^skipped: //' "$bio")"
else
	expect_eq "virtio-blk IOPOLL: guest boots and powers off" 0 "$(rc blkmq_iopoll)"
	expect_eq "virtio-blk IOPOLL: virtio_blk reloaded with poll_queues=1, a queue polls" "0 1" \
		"$(bmq_v blkmq_iopoll insmod) $(bmq_v blkmq_iopoll iopoll)"
	expect_eq "virtio-blk IOPOLL: uringio write and read-back ended with status 0" "0 0" \
		"$(bmq_v blkmq_iopoll uw) $(bmq_v blkmq_iopoll ur)"
	expect_match "virtio-blk IOPOLL: 64 MiB written in 512 polled completions" \
		'^uringio: write 67108864 bytes .* 512 completions, qd 8, bs 131072, iopoll 1, verify pattern' "$OUT/blkmq_iopoll.out"
	expect_match "virtio-blk IOPOLL: 64 MiB read back in 512 polled completions, every word as written" \
		'^uringio: read 67108864 bytes .* 512 completions, qd 8, bs 131072, iopoll 1, verify ok' "$OUT/blkmq_iopoll.out"
	i0=$(bmq_v blkmq_iopoll irq0) i1=$(bmq_v blkmq_iopoll irq1)
	[ -n "$i0" ] && [ "$i0" = "$i1" ] &&
		pass "virtio-blk IOPOLL: no disk interrupt during the polled I/O ($i0 before and after)" ||
		failed "virtio-blk IOPOLL: the disk's interrupts went from '$i0' to '$i1'"
	# { vcpu_id: N, exit_reason: CODE } hitcount: COUNT
	read -r total vmmcall io_vcpu <<<"$(awk '/^\{.*exit_reason:/ { n = $NF; t += n
			if ($0 ~ /exit_reason: *129 /) v += n
			if ($0 ~ /vcpu_id: *1,/ && $0 !~ /exit_reason: *96 /) io += n }
		END { print t + 0, v + 0, io + 0 }' "$bio")"
	by=$(awk '/^\{.*exit_reason:/ { v = $0; sub(/.*vcpu_id: */, "", v); sub(/[ ,].*/, "", v);
		r = $0; sub(/.*exit_reason: */, "", r); sub(/ .*/, "", r); printf "vcpu%s/%s=%s ", v, r, $NF }' "$bio")
	# Each window's closing VMMCALL (SVM code 129) is counted in it: two
	# of them, or the windows never opened.
	[ "$vmmcall" = 2 ] &&
		pass "virtio-blk IOPOLL: L1 counted both windows ($total exits, their closing VMMCALLs among them)" ||
		failed "virtio-blk IOPOLL: L1's window histogram has $vmmcall VMMCALL exits, not 2: the windows did not open and close"
	[ "$io_vcpu" -le 64 ] 2>/dev/null &&
		pass "virtio-blk IOPOLL: the I/O vCPU took $io_vcpu exits besides L1's interrupts for 1,024 requests (at most 64)" ||
		failed "virtio-blk IOPOLL: the I/O vCPU took $io_vcpu exits besides L1's interrupts for 1,024 requests (more than 64; by vCPU/SVM code: $by)"
	[ "$total" -le "$BIO_MAX" ] 2>/dev/null &&
		pass "virtio-blk IOPOLL: $total VM exits for 128 MiB (at most $BIO_MAX; by vCPU/SVM code: $by)" ||
		failed "virtio-blk IOPOLL: $total VM exits for 128 MiB, more than $BIO_MAX (by vCPU/SVM code: $by)"
fi
