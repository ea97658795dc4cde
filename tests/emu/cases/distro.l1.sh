# The distribution case (sourced by l1-tests.sh): Debian bookworm with
# systemd from build/distro/rootfs.img (scripts/distro.sh; tests/emu/run.sh
# builds it and carries it in as /extra/rootfs.img), booted by the default
# kernel and initramfs with one option. Its workload unit prints
# "warden-distro: ..." lines (the boot's state, files written, fsynced and
# read back) and, with warden.workload=stay, then says it stays up; the
# case then sends warden SIGTERM: the ACPI power button, systemd-logind's
# poweroff, within the grace period (--shutdown-timeout 60; a guest that
# ignored the button would be stopped hard then, status 7). L1 then checks
# the image with e2fsck -fn. One boot for both: a systemd boot is the
# tier's longest case. Without the image (it could not be built) nothing
# runs and distro.check.sh says why it skipped.
distro_case() {
	name=distro
	read -r t0 _ </proc/uptime
	warden run --stats /tmp/$name.json --mem 1024 --disk /extra/rootfs.img,root --shutdown-timeout 60 \
		--cmdline "warden.workload=stay" >/tmp/$name.out 2>/tmp/$name.err </dev/null &
	pid=$!
	n=0
	while ! grep -q 'warden-distro: staying up' /tmp/$name.out 2>/dev/null && [ $n -lt 900 ] &&
		kill -0 $pid 2>/dev/null; do
		sleep 1
		n=$((n + 1))
	done
	read -r t1 _ </proc/uptime
	kill -TERM $pid
	wait $pid
	rc=$?
	read -r t2 _ </proc/uptime
	echo "@@CASE $name rc=$rc"
	echo "@@BEGIN $name.time"; echo "$t0 $t1 $t2" | awk '{ printf "%.1f %.1f\n", $2 - $1, $3 - $2 }'; echo "@@END $name.time"
	for f in out err json; do
		echo "@@BEGIN $name.$f"
		[ -f "/tmp/$name.$f" ] && cat "/tmp/$name.$f"
		echo
		echo "@@END $name.$f"
	done
}
if [ -f /extra/rootfs.img ]; then
	distro_case
	e2fsck -fn /extra/rootfs.img >/tmp/distro_fsck.txt 2>&1
	echo "@@CASE distro_fsck rc=$?"
	echo "@@BEGIN distro_fsck.txt"; cat /tmp/distro_fsck.txt; echo; echo "@@END distro_fsck.txt"
	rm -f /extra/rootfs.img /tmp/distro.*
fi
