# The jail's cgroup v2 limits (issue 15 section 2; docs/security.md), in
# L1: this host has cgroup v1 only, L1's kernel has cgroup2. Sourced by
# l1-tests.sh.  L1's root is its initramfs, from which pivot_root cannot
# leave, so the case first builds a tmpfs root holding warden, the guest
# and /dev/kvm and starts warden chrooted into it (a root with a parent
# mount, as on a disk-booted host).  While the guest sleeps, it prints what
# the kernel says of the jailed process: its cgroup, the group's limits,
# its uid; after the end, whether the group is gone.
jail_case() {
	r=/jailhost
	if ! grep -qw cgroup2 /proc/filesystems; then
		printf '@@BEGIN jail.skip\nL1 kernel has no cgroup2 file system\n@@END jail.skip\n'
		return
	fi
	mkdir -p /sys/fs/cgroup && { mountpoint -q /sys/fs/cgroup || mount -t cgroup2 none /sys/fs/cgroup; }
	mkdir -p $r && mount -t tmpfs -o size=192m jailhost $r
	mkdir -p $r/bin $r/guest $r/dev $r/proc $r/sys $r/tmp $r/jail
	cp /bin/warden $r/bin/ && cp /guest/vmlinuz /guest/initrd.cpio.gz $r/guest/
	cp -a /dev/kvm /dev/null $r/dev/
	mount -t proc proc $r/proc && mount -t sysfs sys $r/sys && mount -t cgroup2 none $r/sys/fs/cgroup
	chroot $r /bin/warden run --stats /tmp/jail.json --mem 128 --jail /jail --jail-uid 65534 --jail-gid 65534 \
		--jail-mem 512 --jail-cpus 1.5 --kernel /guest/vmlinuz --initrd /guest/initrd.cpio.gz \
		--cmdline "$BASE warden.run=\"sleep 4; echo jail-guest-done\"" >/tmp/jail.out 2>/tmp/jail.err </dev/null &
	pid=$!
	( sleep 170; kill -KILL $pid ) >/dev/null 2>&1 &
	wd=$!
	i=0
	# The jailed child (PID 1 of its namespace) once it has joined the group.
	while ! grep -q warden /proc/$(cat /proc/$pid/task/$pid/children 2>/dev/null | awk '{ print $1 }')/cgroup 2>/dev/null &&
		[ $i -lt 300 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	sleep 1
	cpid=$(cat /proc/$pid/task/$pid/children 2>/dev/null | awk '{ print $1 }')
	echo "@@BEGIN jail.cg"
	echo "pid $pid"
	echo "memory.max $(cat /sys/fs/cgroup/warden-$pid/memory.max 2>/dev/null)"
	echo "cpu.max $(cat /sys/fs/cgroup/warden-$pid/cpu.max 2>/dev/null)"
	echo "cgroup $(cat /proc/$cpid/cgroup 2>/dev/null)"
	echo "uid $(awk '$1 == "Uid:" { print $2 }' /proc/$cpid/status 2>/dev/null)"
	echo "@@END jail.cg"
	wait $pid
	rc=$?
	kill $wd 2>/dev/null
	echo "@@BEGIN jail.after"
	[ -d /sys/fs/cgroup/warden-$pid ] && echo "group present" || echo "group gone"
	echo "@@END jail.after"
	cp $r/tmp/jail.json /tmp/jail.json 2>/dev/null
	echo "@@CASE jail rc=$rc"
	for f in out err json; do
		echo "@@BEGIN jail.$f"
		[ -f "/tmp/jail.$f" ] && cat "/tmp/jail.$f"
		echo
		echo "@@END jail.$f"
	done
	umount $r/sys/fs/cgroup $r/sys $r/proc $r 2>/dev/null
}
jail_case
