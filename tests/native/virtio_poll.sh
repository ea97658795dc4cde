# virtio-blk with several queues and in polling mode (guests/virtio_blk_mq.c;
# sourced by tests/native/run.sh, which defines run, rc, bad, OUT, G, B).
# The guest sets up every queue the disk offers, moves blocks through each,
# then streams requests one at a time, notifying only when the device's
# avail_event asks (as Linux does), and prints exact counts of what it did
# (modes: notify; poll=200000; poll=50,poll-max=200000, whose window
# adapts).
# With --no-ioeventfd each register access is an exit to warden, so the
# exits warden counts at the disk are the guest's accesses, and those at
# QueueNotify its notifications.  Without polling the device re-arms after
# each request: one notification per request, exactly.  With poll=US it
# finds the requests itself: the stream's notifications stay near zero
# (bounded generously: a vCPU descheduled for longer than the window
# costs one), and the device reports the polling time it paid for that.
blk_mq_count() { # FILE KEY: a number from the guest's "counts" line
	awk -v k="$2" '/^virtio-blk: counts / { for (i = 3; i < NF; i += 2) if ($i == k) print $(i + 1) }' "$1"
}
blk_mq_checks() { # BIN LABEL
	local bin=$1 l=$2 img=$OUT/blk-mq.img mode name j out dw n kicks
	for mode in notify poll adapt; do
		name=$l-blk-mq-$mode
		rm -f "$img" && truncate -s 8M "$img"
		if [ $mode = poll ]; then
			run "$name" "$bin" --cpus 4 --disk "$img,queues=4,poll=200000" --transport mmio --no-ioeventfd --kernel $G/virtio-blk-mq.elf \
				--verbose
		elif [ $mode = adapt ]; then
			run "$name" "$bin" --cpus 4 --disk "$img,queues=4,poll=50,poll-max=200000" --transport mmio --no-ioeventfd \
				--kernel $G/virtio-blk-mq.elf
		else
			run "$name" "$bin" --cpus 4 --disk "$img,queues=4" --transport mmio --no-ioeventfd --kernel $G/virtio-blk-mq.elf
		fi
		j=$OUT/$name.json
		out=$OUT/$name.out
		dw='.device_work["virtio-blk0"]'
		expect_eq "$l blk queues=4 ($mode): poweroff exit status" 0 "$(rc $name)"
		expect_match "$l blk queues=4 ($mode): every guest check passed" '^virtio-blk: all checks passed$' "$out"
		grep -q '^virtio-blk: FAIL ' "$out" &&
			failed "$l blk queues=4 ($mode): $(grep '^virtio-blk: FAIL ' "$out" | head -n 5 | tr '\n' ';')"
		expect_eq "$l blk queues=4 ($mode): the guest sees 4 queues" 4 "$(awk '/^virtio-blk: queues / { print $3 }' "$out")"
		expect_eq "$l blk queues=4 ($mode): requests as the guest counted" "$(blk_mq_count "$out" requests)" "$(json $j "$dw.requests")"
		expect_eq "$l blk queues=4 ($mode): bytes as the guest counted" "$(blk_mq_count "$out" bytes)" "$(json $j "$dw.bytes")"
		expect_eq "$l blk queues=4 ($mode): exits at the disk = the guest's register accesses" \
			"$(blk_mq_count "$out" accesses)" "$(json $j "$dw.exits")"
		kicks=$(blk_mq_count "$out" kicks)
		expect_eq "$l blk queues=4 ($mode): QueueNotify exits = the guest's notifications" "$kicks" \
			"$(json $j '[.attribution.mmio[] | select(.addr == "0xc0000050") | .count] | add // 0')"
		expect_eq "$l blk queues=4 ($mode): notifications received = sent" "$kicks" "$(json $j "$dw.notifies")"
		[ "$(json $j "$dw.interrupts_suppressed")" -gt 0 ] 2>/dev/null &&
			pass "$l blk queues=4 ($mode): interrupts the guest declined are counted as suppressed" ||
			failed "$l blk queues=4 ($mode): interrupts_suppressed $(json $j "$dw.interrupts_suppressed")"
		[ "$(json $j "$dw.cpu_us")" -gt 0 ] 2>/dev/null &&
			pass "$l blk queues=4 ($mode): the I/O thread's CPU time is reported" ||
			failed "$l blk queues=4 ($mode): cpu_us $(json $j "$dw.cpu_us")"
		n=$(blk_mq_count "$out" stream_requests)
		kicks=$(blk_mq_count "$out" stream_kicks)
		if [ $mode = notify ]; then
			expect_eq "$l blk queues=4 (notify): stream: one notification per request" "$n" "$kicks"
			expect_eq "$l blk queues=4 (notify): no polling time" 0 "$(json $j "$dw.poll_us")"
		else
			[ "$n" -gt 0 ] 2>/dev/null && [ "$kicks" -le $((n / 10)) ] &&
				pass "$l blk queues=4 ($mode): stream: $kicks notifications for $n requests (at most 10%)" ||
				failed "$l blk queues=4 ($mode): stream: $kicks notifications for $n requests (more than 10%)"
			[ $(($(json $j "$dw.notifies_suppressed") + kicks)) -ge "$n" ] 2>/dev/null &&
				pass "$l blk queues=4 ($mode): every request announced or found by polling (notifies_suppressed)" ||
				failed "$l blk queues=4 ($mode): notifies_suppressed $(json $j "$dw.notifies_suppressed") + $kicks < $n"
			[ "$(json $j "$dw.poll_us")" -gt 0 ] 2>/dev/null &&
				pass "$l blk queues=4 ($mode): polling time reported ($(json $j "$dw.poll_us") us)" ||
				failed "$l blk queues=4 ($mode): poll_us $(json $j "$dw.poll_us")"
		fi
		# --verbose: each queue as the device left it at the VM's end (the
		# guest powers off without a reset): every request it made taken
		# and answered, and the device still polling.
		if [ $mode = poll ]; then
			local ends=$OUT/$name.ends
			grep -E '^warden: virtio-blk0: queue [0-3] at the end: ' "$OUT/$name.err" >"$ends"
			expect_eq "$l blk queues=4 (poll): --verbose describes each queue at the end" 4 "$(wc -l <"$ends")"
			expect_eq "$l blk queues=4 (poll): ... nothing waiting, nothing in flight, still polling" 4 \
				"$(grep -c '(0 waiting), .*(0 in flight);.*, polling$' "$ends")"
			expect_eq "$l blk queues=4 (poll): ... their avail.idx add up to the guest's requests" \
				"$(blk_mq_count "$out" requests)" "$(awk '{ s += $9 } END { print s + 0 }' "$ends")"
		fi
		# The window in use: poll='s fixed one, or where poll-max= took it
		# from 50 us (a request here comes milliseconds apart).
		n=$(json $j "$dw.poll_window_us")
		case $mode in
		notify) expect_eq "$l blk queues=4 (notify): no polling window" 0 "$n" ;;
		poll) expect_eq "$l blk queues=4 (poll): the window is poll='s" 200000 "$n" ;;
		adapt)
			[ "$n" -gt 50 ] 2>/dev/null && [ "$n" -le 200000 ] &&
				pass "$l blk queues=4 (adapt): poll-max= grew the window from 50 us ($n us)" ||
				failed "$l blk queues=4 (adapt): window '$n' us, not above 50 and at most 200000"
			;;
		esac
	done
	rm -f "$img"
}
# Rate limits (bw=, ops=: Firecracker's rate_limiter): the same guest's
# 264 requests (1,081,344 bytes), under a limit far below what it does
# unlimited (about 0.4 s here).  A limiter can only slow the guest down,
# so the run's wall time has a floor whatever the host's load: ops=10/100
# (a bucket of 10, 100 a second) needs (264 - 10) / 100 = 2.54 s at least,
# bw=51200/100 (512,000 bytes a second) (1,081,344 - 51,200) / 512,000 =
# 2.01 s.  Both are five times or more the guest's own pace, so that it
# must wait even when a loaded host slows it (at 1,024,000 bytes a second,
# a guest slowed to 2.5 times its pace was seen never to wait).  While it
# waits the I/O thread sleeps on its timer: its CPU time stays a small
# part of the wait.
blk_rate_checks() { # BIN LABEL
	local bin=$1 l=$2 img=$OUT/blk-rate.img lim floor name j t0 ms cpu
	for lim in ops=10/100:2540 bw=51200/100:2010; do
		floor=${lim#*:}
		lim=${lim%:*}
		name=$l-blk-rate-${lim%%=*}
		rm -f "$img" && truncate -s 8M "$img"
		t0=$(date +%s%N)
		run "$name" "$bin" --cpus 4 --disk "$img,queues=4,$lim" --transport mmio --no-ioeventfd --kernel $G/virtio-blk-mq.elf
		ms=$((($(date +%s%N) - t0) / 1000000))
		j=$OUT/$name.json
		expect_eq "$l blk $lim: poweroff exit status" 0 "$(rc $name)"
		expect_match "$l blk $lim: every guest check passed" '^virtio-blk: all checks passed$' "$OUT/$name.out"
		expect_eq "$l blk $lim: requests as the guest counted" "$(blk_mq_count "$OUT/$name.out" requests)" \
			"$(json $j '.device_work["virtio-blk0"].requests')"
		[ "$ms" -ge "$floor" ] &&
			pass "$l blk $lim: the run took $ms ms, at least the limit's $floor" ||
			failed "$l blk $lim: the run took $ms ms, less than the limit allows ($floor)"
		[ "$(json $j '.device_work["virtio-blk0"].throttled')" -gt 0 ] 2>/dev/null &&
			pass "$l blk $lim: requests made to wait are counted ($(json $j '.device_work["virtio-blk0"].throttled'))" ||
			failed "$l blk $lim: throttled $(json $j '.device_work["virtio-blk0"].throttled')"
		# The exit table's device work shows the same waits (its last column).
		expect_eq "$l blk $lim: the exit table's waits are the JSON's" "$(json $j '.device_work["virtio-blk0"].throttled')" \
			"$(awk '/^  device work .* waits$/ { t = 1; next } t && $1 == "virtio-blk0" { print $NF; exit }' "$OUT/$name.err")"
		cpu=$(json $j '.device_work["virtio-blk0"].cpu_us')
		[ "$cpu" -ge 0 ] 2>/dev/null && [ $((cpu / 1000)) -lt $((ms / 4)) ] &&
			pass "$l blk $lim: the I/O thread slept while limited ($((cpu / 1000)) ms CPU in $ms ms)" ||
			failed "$l blk $lim: the I/O thread used $cpu us of CPU in $ms ms"
	done
	rm -f "$img"
}

blk_mq_bad_input() {
	local img=$OUT/blk-mq-bad.img
	truncate -s 1M "$img"
	bad "--disk queues=0" "--disk queues= takes 1 to 8, not '0'" run --kernel $G/long64.elf --disk "$img,queues=0"
	bad "--disk queues=9" "--disk queues= takes 1 to 8, not '9'" run --kernel $G/long64.elf --cpus 16 --disk "$img,queues=9"
	bad "--disk queues= more than the vCPUs" "queues=4: more queues than the guest's 2 vCPUs can use" \
		run --kernel $G/long64.elf --cpus 2 --disk "$img,queues=4"
	bad "--disk poll=garbage" "--disk poll= takes microseconds, 1 to 1000000, not 'fast'" \
		run --kernel $G/long64.elf --disk "$img,poll=fast"
	bad "--net poll= empty" "--net poll= takes microseconds, 1 to 1000000, not ''" \
		run --kernel $G/long64.elf --net "tap=wtpoll0,poll="
	bad "--disk poll-max= below poll=" "--disk poll-max=200 is below poll=300: the window adapts from poll up to poll-max" \
		run --kernel $G/long64.elf --disk "$img,poll=300,poll-max=200"
	bad "--net poll-max= with vhost=on" "--net: poll-max= needs warden's own packet path, not vhost=on" \
		run --kernel $G/long64.elf --net "tap=wtpoll0,vhost=on,poll-max=500"
	bad "--net queues=0" "--net queues= takes 1 to 3, not '0'" run --kernel $G/long64.elf --net "tap=wtpoll0,queues=0"
	# poll with vhost=on is vhost-net's busy polling: the value is checked
	# the same (whether vhost-net is there is tests/native/vhost.sh's).
	bad "--net poll=garbage with vhost=on" "--net poll= takes microseconds, 1 to 1000000, not '5ms'" \
		run --kernel $G/long64.elf --net "tap=wtpoll0,poll=5ms,vhost=on"
	bad "--net poll=0 with vhost=on" "--net poll= takes microseconds, 1 to 1000000, not '0'" \
		run --kernel $G/long64.elf --net "tap=wtpoll0,vhost=on,poll=0"
	bad "--net queues=4 with vhost=on" "--net queues= takes 1 to 3, not '4'" \
		run --kernel $G/long64.elf --cpus 4 --net "tap=wtpoll0,queues=4,vhost=on"
	bad "--net queues= more than the vCPUs" "--net queues=3: more queues than the guest's 2 vCPUs can use" \
		run --kernel $G/long64.elf --cpus 2 --net "tap=wtpoll0,queues=3"
	bad "--disk bw= without a refill time" "--disk bw= takes SIZE/MS\\[/BURST\\] .*not '10'" \
		run --kernel $G/long64.elf --disk "$img,bw=10"
	bad "--disk ops= negative" "--disk ops= takes SIZE/MS.*not '-1/100'" run --kernel $G/long64.elf --disk "$img,ops=-1/100"
	bad "--net rx-ops= with vhost" "--net: rate limits .* need warden's own packet path, not vhost=on" \
		run --kernel $G/long64.elf --net "tap=wtpoll0,vhost=on,rx-ops=100/1000"
	bad "--rng= unknown word" "--rng: unknown option 'fast'" run --kernel $G/long64.elf --rng=fast
	bad "--rng=bw= too large" "--rng bw= takes SIZE/MS" run --kernel $G/long64.elf --rng=bw=9007199254740993/1
	rm -f "$img"
}
