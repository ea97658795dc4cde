# Snapshots of a Linux guest (docs/snapshot.md), sourced by l1-tests.sh:
# the default guest (with virtio-rng) counts, one line every 0.1 s with
# its uptime, then reads 64 bytes from /dev/hwrng and names its
# clocksource; SIGUSR2 with --snapshot-then exit stops warden right after
# the snapshot; two new wardens restore it in turn, each must count on
# from where it stopped to 60 and power off.
SNAP_CMD='i=0; while [ $i -le 60 ]; do read u _ </proc/uptime; echo tick $i $u; i=$((i+1)); sleep 0.1; done; echo hwrng=$(head -c 64 /dev/hwrng | wc -c); echo clocksource=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)'
# snap_source NAME WAIT-REGEX DIR WARDEN-ARGS...: run warden with
# --snapshot-dir DIR --snapshot-then exit, send SIGUSR2 once its output
# has a line matching WAIT-REGEX, print the case as case_run does.
snap_source() {
	name=$1 until=$2 dir=$3
	shift 3
	rm -rf "$dir" && mkdir -p "$dir"
	: >"/tmp/$name.out"
	warden run "$@" --snapshot-dir "$dir" --snapshot-then exit >"/tmp/$name.out" 2>"/tmp/$name.err" </dev/null &
	pid=$!
	( sleep 170; kill -KILL $pid ) >/dev/null 2>&1 &
	wd=$!
	i=0
	while ! grep -q "$until" "/tmp/$name.out" 2>/dev/null && [ $i -lt 800 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	kill -USR2 $pid
	wait $pid
	echo "@@CASE $name rc=$?"
	kill $wd 2>/dev/null
	for f in out err; do
		echo "@@BEGIN $name.$f"
		cat "/tmp/$name.$f"
		echo
		echo "@@END $name.$f"
	done
}
snap_source snap_src '^tick 20 ' /tmp/snapd --rng --cmdline "$BASE warden.run=\"$SNAP_CMD\""
echo "@@BEGIN snap_files.out"
ls -l /tmp/snapd
echo "@@END snap_files.out"
case_run snap_restore1 --restore /tmp/snapd --verbose
case_run snap_restore2 --restore /tmp/snapd --verbose

# A restored guest that reboots: a restore reads no initrd, so warden must
# read it for the fresh boot (--reboot is the machine's: the snapshot's
# source gets it).  One raw disk tells the boots apart: the restored guest
# counts on to 10, writes "rebooted" to it and reboots; the fresh boot
# (its /init from the initrd prints the init line) finds the word, says
# second-boot and powers off.  (No double quote in the command: it is
# inside warden.run="...".)
dd if=/dev/zero of=/tmp/snapboot.img bs=1M count=1 2>/dev/null
REBOOT_CMD='if head -c 8 /dev/vda | grep -q rebooted; then echo second-boot; else i=0; while [ $i -le 10 ]; do echo rtick $i; i=$((i+1)); sleep 0.1; done; printf rebooted | dd of=/dev/vda conv=fsync 2>/dev/null; echo rebooting; reboot -f; fi'
snap_source snapboot_src '^rtick 5' /tmp/snapbd --reboot --disk /tmp/snapboot.img --cmdline "$BASE warden.run=\"$REBOOT_CMD\""
case_run snapboot_restore --restore /tmp/snapbd

# With a disk: the guest appends a line to a file on ext4 and fsyncs it,
# each 0.1 s.  The snapshot at line 15 (--snapshot-then exit), then the
# image is copied twice and each copy restored with its own --disk: both
# guests write on to line 40, unmount and power off; L1 checks each
# image (e2fsck, the file's lines: snapdisk_l1.out).
dd if=/dev/zero of=/tmp/snapdisk.img bs=1M count=64 2>/dev/null
mkfs.ext4 -q -F /tmp/snapdisk.img
DISK_CMD='mkdir -p /m; mount -t ext4 /dev/vda /m; i=0; while [ $i -le 40 ]; do echo line $i >>/m/f; sync /m/f; read u _ </proc/uptime; echo dtick $i $u; i=$((i+1)); sleep 0.1; done; umount /m; echo umount=$?'
snap_source snapdisk_src '^dtick 15 ' /tmp/snapdd --disk /tmp/snapdisk.img --cmdline "$BASE warden.run=\"$DISK_CMD\""
cp /tmp/snapdisk.img /tmp/snapdisk1.img
cp /tmp/snapdisk.img /tmp/snapdisk2.img
case_run snapdisk_restore1 --restore /tmp/snapdd --disk /tmp/snapdisk1.img
case_run snapdisk_restore2 --restore /tmp/snapdd --disk /tmp/snapdisk2.img
: >/tmp/snapdisk_l1.out
for n in 1 2; do
	e2fsck -fn /tmp/snapdisk$n.img >/dev/null 2>&1
	echo "fsck$n=$?" >>/tmp/snapdisk_l1.out
	echo "lines$n=$(debugfs -R 'cat /f' /tmp/snapdisk$n.img 2>/dev/null | tr '\n' ' ')" >>/tmp/snapdisk_l1.out
done
echo "@@BEGIN snapdisk_l1.out"
cat /tmp/snapdisk_l1.out
echo "@@END snapdisk_l1.out"

# Devices busy across the snapshot: the guest's console is hvc0, so every
# tick goes through virtio-console.  Over PCI (MSI-X: the restore makes
# the routes again) with virtio-rng; then over virtio-mmio with virtio-net
# on a tap: the guest pings L1 before and after, the restore runs on
# another tap (--net tap=) with the first one's MAC on L1's side, so the
# guest's ARP entry stays right; the guest's MAC is the snapshot's.
HVC_SNAP="console=hvc0 quiet panic=-1 8250.nr_uarts=1"
snap_source snaphvc_pci '^tick 20 ' /tmp/snaphp --transport pci --virtio-console --rng \
	--cmdline "$HVC_SNAP warden.run=\"$SNAP_CMD\""
case_run snaphvc_pci_restore --restore /tmp/snaphp
NET_SNAP_CMD='ip addr add 10.0.3.15/24 dev eth0; ip link set eth0 up; ping -c 1 -w 20 10.0.3.1 >/dev/null && echo ping1=ok || echo ping1=fail; echo mac=$(cat /sys/class/net/eth0/address); i=0; while [ $i -le 40 ]; do echo tick $i; i=$((i+1)); sleep 0.1; done; ping -c 1 -w 20 10.0.3.1 >/dev/null && echo ping2=ok || echo ping2=fail; echo mac=$(cat /sys/class/net/eth0/address)'
# snap_net NAME NET-OPTS: the net case on warden's own data path (""), or
# with vhost-net (",vhost=on": the kernel's rings stopped at the snapshot
# and handed to it again from the restored indices).
snap_net() {
	tunctl -t snt1 >/dev/null 2>&1
	ip addr add 10.0.3.1/24 dev snt1
	ip link set snt1 up
	snap_source ${1}_src '^tick 20' /tmp/$1 --transport mmio --net tap=snt1$2 --virtio-console \
		--cmdline "$HVC_SNAP pci=off warden.run=\"$NET_SNAP_CMD\""
	snt_mac=$(cat /sys/class/net/snt1/address)
	tunctl -d snt1 >/dev/null 2>&1
	tunctl -t snt2 >/dev/null 2>&1
	ip link set snt2 address "$snt_mac"
	ip addr add 10.0.3.1/24 dev snt2
	ip link set snt2 up
	case_run ${1}_restore --restore /tmp/$1 --net tap=snt2
	tunctl -d snt2 >/dev/null 2>&1
}
snap_net snapnet ""
snap_net snapnetv ",vhost=on"
