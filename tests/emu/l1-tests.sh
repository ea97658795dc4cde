#!/bin/sh
# Runs inside L1 (busybox sh), started by tests/emu/run.sh through l1.sh.
# Boots the default guest with warden in several ways and prints, for each
# case, its exit status and its files between markers; the host side
# (run.sh) does the checking.
echo 1 >/proc/sys/kernel/printk   # keep L1's kernel messages off the console
export WARDEN_GUEST_DIR=/guest
# No pci=off: warden adds it itself where the guest has no PCI bus (no
# virtio device, or --transport mmio); its devices are on virtio-pci by
# default.
BASE="console=ttyS0 quiet panic=-1 8250.nr_uarts=1"

# Every "@@CASE NAME rc=N" line gets L1's uptime appended (" t=SECONDS"),
# whoever prints it, so run.sh can say which cases the tier's time goes
# to. Each line is flushed at once: run.sh's silence watch reads the log
# as it grows. The pipe ends at @@EOF, not at the end of its input: a
# process a case left in the background may still hold the pipe open.
# (The cases run one at a time: two L2 VMs side by side in L1 saved a
# tenth of the tier's time, and one of them triple-faulted in its second
# run, as TCG's nested paging does now and then: docs/benchmarks.md.)
stamp_cases() {
	awk '/^@@EOF$/ { exit }
		/^@@CASE / { getline up < "/proc/uptime"; close("/proc/uptime")
			split(up, u, " "); $0 = $0 " t=" u[1] }
		{ print; fflush() }'
}

# case_report NAME RC: the case's status and its /tmp/NAME.{out,err,json}
case_report() {
	echo "@@CASE $1 rc=$2"
	for f in out err json; do
		echo "@@BEGIN $1.$f"
		[ -f "/tmp/$1.$f" ] && cat "/tmp/$1.$f"
		echo   # files need not end in a newline; markers must start a line
		echo "@@END $1.$f"
	done
}

# rerun_report NAME: a case run twice (its caller wrote /tmp/NAME.rerun,
# why, and kept the first run's file as /tmp/NAME.first.*): those files,
# for run.sh's case_rerun, then gone.
rerun_report() {
	for f in /tmp/$1.rerun /tmp/$1.first.*; do
		[ -f "$f" ] || continue
		echo "@@BEGIN ${f#/tmp/}"
		cat "$f"
		echo "@@END ${f#/tmp/}"
		rm -f "$f"
	done
}

# case NAME [warden run args...]: stdout, stderr, status, stats JSON
case_run() {
	name=$1
	shift
	timeout 180 warden run --stats "/tmp/$name.json" "$@" >"/tmp/$name.out" 2>"/tmp/$name.err" </dev/null
	case_report "$name" $?
}

# case_signal NAME PATTERN SIGNAL N [warden run args...]: as case_run, but
# once the guest's output has a line matching PATTERN (at most 120 s),
# warden gets SIGNAL N times, 1 s apart (TERM: the power button; a second
# one stops it at once); also NAME.time: seconds from the first signal to
# warden's end.
case_signal() {
	name=$1 pat=$2 sig=$3 nsig=$4
	shift 4
	warden run --stats "/tmp/$name.json" "$@" >"/tmp/$name.out" 2>"/tmp/$name.err" </dev/null &
	pid=$!
	( sleep 170; kill -KILL $pid ) >/dev/null 2>&1 &
	wd=$!
	i=0
	while ! grep -q "$pat" "/tmp/$name.out" 2>/dev/null && [ $i -lt 600 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	read -r t0 _ </proc/uptime
	kill -$sig $pid
	i=1
	while [ $i -lt "$nsig" ]; do
		sleep 1
		kill -$sig $pid
		i=$((i + 1))
	done
	wait $pid
	rc=$?
	read -r t1 _ </proc/uptime
	kill $wd 2>/dev/null
	case_report "$name" $rc
	echo "@@BEGIN $name.time"
	awk "BEGIN { print $t1 - $t0 }"
	echo "@@END $name.time"
}

cases() {
# With case files given directly as extras (EMU_ONLY=NAME in run.sh), run
# only those.
if ls /extra/*.l1.sh >/dev/null 2>&1; then
	for f in /extra/*.l1.sh; do
		. "$f"
	done
	return 0
fi

case_run boot                                  # the default guest, as `warden run` alone
case_run cpus4 --cpus 4 --cmdline "$BASE warden.run=\"grep -c ^processor /proc/cpuinfo\""
case_run cpus2 --cpus 2 --mem 512 --cmdline "$BASE warden.run=\"grep -c ^processor /proc/cpuinfo\""
case_run reboot_acpi --cmdline "$BASE warden.run=\"reboot -f\""   # Linux: EFI -> BIOS reset vector -> our stub -> ACPI reset register
case_run reboot_kbd --cmdline "$BASE reboot=k warden.run=\"reboot -f\""
case_run triple --cmdline "$BASE reboot=t warden.run=\"reboot -f\""
case_run bigmem --mem 4096 --cmdline "$BASE warden.run=\"grep MemTotal /proc/meminfo\""
# Console input reaches the guest through the UART's receive interrupt. Linux
# flushes the UART when init opens the console, so type only once the guest
# is up (as a person would).
mkfifo /tmp/console-in
timeout 180 warden run --cmdline "$BASE warden.run=\"read line; echo got:\$line\"" \
	</tmp/console-in >/tmp/stdin.out 2>/tmp/stdin.err &
pid=$!
exec 3>/tmp/console-in
i=0
while ! grep -q 'warden-guest: up' /tmp/stdin.out 2>/dev/null && [ $i -lt 600 ]; do
	sleep 0.2
	i=$((i + 1))
done
echo "warden-console-input-42" >&3
wait $pid
echo "@@CASE stdin rc=$?"
exec 3>&-
echo "@@BEGIN stdin.out"; cat /tmp/stdin.out; echo; echo "@@END stdin.out"

# Bad input: one line on stderr and status 2.
dd if=/dev/zero of=/tmp/big-initrd bs=1M count=80 2>/dev/null
case_run bad_kernel --kernel /etc/passwd
case_run bad_kernel_gz --kernel /guest/initrd.cpio.gz
case_run bad_initrd_fit --mem 128 --initrd /tmp/big-initrd
case_run bad_mem_small --mem 8
case_run bad_missing --kernel /nonexistent
# Cases of later features: tests/emu/cases/NAME.l1.sh, copied in as
# /extra/cases; each prints its results in the same markers.
for f in /extra/cases/*.l1.sh; do
	[ -f "$f" ] && . "$f"
done
}
read up _ </proc/uptime
echo "@@START t=$up"
{ cases; echo @@EOF; } | stamp_cases
