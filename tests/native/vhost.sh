# --net ...,vhost= (sourced by run.sh): whether the host has vhost-net is
# asked of the host (/dev/vhost-net is a character device), never of
# warden.  Without it: vhost=on is refused with one line and status 2,
# vhost=auto says so once and runs on warden's own data path.  With it
# (this tier's host has none so far): vhost=on starts.  The data path
# itself (packets moved by the kernel, none by warden) is the emulated
# tier's net_vhost case, in an L1 that has vhost-net.
vhost_checks() { # BIN LABEL
	local bin=$1 l=$2 tap=wvh$$
	if [ ! -c /dev/net/tun ]; then
		skip "$l vhost: no /dev/net/tun on this host: no tap to attach"
		return
	fi
	run "$l-vhost-on" "$bin" --kernel $G/long64.elf --net tap=$tap,vhost=on
	run "$l-vhost-auto" "$bin" --kernel $G/long64.elf --net tap=$tap,vhost=auto
	if [ -c /dev/vhost-net ]; then
		expect_eq "$l vhost: vhost=on runs on a host with /dev/vhost-net" 0 "$(rc $l-vhost-on)"
		expect_match "$l vhost: vhost=auto takes vhost-net when the host has it" 'vhost-net carries the data path' "$OUT/$l-vhost-auto.err"
	else
		if [ "$(rc $l-vhost-on)" = 2 ] && [ "$(grep -c . "$OUT/$l-vhost-on.err")" -eq 1 ] &&
			grep -Eq '^warden: --net tap=wvh[0-9]+,vhost=on: /dev/vhost-net: no such device on this host' "$OUT/$l-vhost-on.err"; then
			pass "$l vhost: vhost=on without /dev/vhost-net: one line, status 2"
		else
			failed "$l vhost: vhost=on without /dev/vhost-net: status $(rc $l-vhost-on), want 2 and one line: $(head -c 300 "$OUT/$l-vhost-on.err")"
		fi
		# poll goes to vhost's busy polling, queues=N to one vhost-net per
		# pair: without vhost-net, the same refusal.
		local v
		for v in poll=20 queues=2; do
			run "$l-vhost-${v%%=*}" "$bin" --kernel $G/long64.elf --cpus 2 --net tap=$tap,vhost=on,$v
			if [ "$(rc $l-vhost-${v%%=*})" = 2 ] && [ "$(grep -c . "$OUT/$l-vhost-${v%%=*}.err")" -eq 1 ] &&
				grep -Eq '^warden: --net tap=wvh[0-9]+,vhost=on: /dev/vhost-net: no such device on this host' "$OUT/$l-vhost-${v%%=*}.err"; then
				pass "$l vhost: vhost=on,$v without /dev/vhost-net: one line, status 2"
			else
				failed "$l vhost: vhost=on,$v without /dev/vhost-net: status $(rc $l-vhost-${v%%=*}), want 2 and one line: $(head -c 300 "$OUT/$l-vhost-${v%%=*}.err")"
			fi
		done
		expect_eq "$l vhost: vhost=auto without /dev/vhost-net runs the guest" 0 "$(rc $l-vhost-auto)"
		expect_match "$l vhost: vhost=auto says it falls back, once" \
			'^warden: virtio-net0: vhost=auto: /dev/vhost-net: no such device on this host .*; warden.s own data path instead$' \
			"$OUT/$l-vhost-auto.err"
	fi
}
