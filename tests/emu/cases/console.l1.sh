# virtio-console (sourced by l1-tests.sh): hvc0 as the guest's console, typed
# input through it (also across a driver reset), and hvc0 beside ttyS0.
HVC="console=hvc0 quiet panic=-1 8250.nr_uarts=1"

# typed_case NAME WAIT1 LINE1 WAIT2 LINE2 warden-args...: like case_run, but
# stdin is a fifo; LINEn is typed once WAITn is on warden's stdout (as a
# person would; WAIT2 empty: one line only).
type_after() { # NAME WAIT LINE
	i=0
	while ! grep -q "$2" "/tmp/$1.out" 2>/dev/null && [ $i -lt 600 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	# In a subshell: if warden is gone, SIGPIPE ends only that.
	(echo "$3" >&3) 2>/dev/null
}
typed_case() {
	name=$1 w1=$2 l1=$3 w2=$4 l2=$5
	shift 5
	rm -f "/tmp/$name.in"
	mkfifo "/tmp/$name.in"
	timeout 180 warden run --stats "/tmp/$name.json" "$@" \
		<"/tmp/$name.in" >"/tmp/$name.out" 2>"/tmp/$name.err" &
	pid=$!
	exec 3>"/tmp/$name.in"
	type_after "$name" "$w1" "$l1"
	[ -z "$w2" ] || type_after "$name" "$w2" "$l2"
	wait $pid
	rc=$?
	exec 3>&-
	echo "@@CASE $name rc=$rc"
	for f in out err json; do
		echo "@@BEGIN $name.$f"
		[ -f "/tmp/$name.$f" ] && cat "/tmp/$name.$f"
		echo
		echo "@@END $name.$f"
	done
}

# 1. console=hvc0: init's output and the kernel console go through hvc0.
case_run console_hvc0 --virtio-console \
	--cmdline "$HVC warden.run=\"echo hello-from-hvc0; cat /proc/consoles\""

# 2. console=hvc0: typed input reaches the guest through hvc0.
typed_case console_in 'warden-guest: up' warden-hvc0-input-42 '' '' \
	--virtio-console --cmdline "$HVC warden.run=\"read -t 60 line; echo got:\$line\""

# 3. console=ttyS0 with a virtio console: input stays on COM1, and writing to
# /dev/hvc0 still reaches warden's stdout.
typed_case console_ttys0 'warden-guest: up' warden-ttyS0-input-44 '' '' \
	--virtio-console --cmdline "$BASE warden.run=\"read -t 60 line; echo got:\$line; echo via-hvc0 >/dev/hvc0\""

# 4. Input across a device reset: the driver is unbound and bound again (status
# 0, then a second DRIVER_OK).  The last console= is hvc0, so input goes to
# hvc0, while init stays on ttyS0 (its console when it started) and so does
# not hold hvc0 open (a held, hung-up hvc0 tty would shadow the new one).
rebind='cd /sys/bus/virtio/drivers/virtio_console; d=$(ls -d virtio*); echo $d >unbind; echo $d >bind'
typed_case console_reset 'warden-guest: up' warden-hvc0-input-45 hvc0-rebound warden-hvc0-input-46 \
	--virtio-console --cmdline "$BASE console=hvc0 warden.run=\"{ read -t 60 line; echo got:\$line; } </dev/hvc0 >/dev/hvc0; $rebind; { echo hvc0-rebound; read -t 60 line; echo got2:\$line; } </dev/hvc0 >/dev/hvc0\""
