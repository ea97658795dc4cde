# Snapshot checks for a Linux guest (sourced by tests/emu/run.sh).
# snap_ticks FILE...: "N UPTIME" per tick line, the files joined.
snap_ticks() { cat "$@" | tr -d '\r' | grep -oE '^tick [0-9]+ [0-9.]+' | cut -d' ' -f2-; }
# count_joined LABEL N REGEX FILE...: the counts (the second word of the
# lines matching REGEX) of the source's and the restore's output joined
# are 0..N, each once, in order.
count_joined() {
	local label=$1 n=$2 re=$3 seq
	shift 3
	seq=$(cat "$@" | tr -d '\r' | grep -oE "$re" | awk '{ print $2 }' | tr '\n' ' ')
	if [ "$seq" = "$(seq 0 "$n" | tr '\n' ' ')" ]; then
		pass "$label: the count continued where the snapshot stopped it"
	else
		failed "$label: the joined count is broken: ${seq:0:200}"
	fi
}

expect_eq "snapshot (Linux): SIGUSR2 with --snapshot-then exit ends warden after it (status 7)" 7 "$(rc snap_src)"
expect_match "snapshot (Linux): warden wrote it" 'snapshot written to /tmp/snapd in [0-9.]+ ms' "$OUT/snap_src.err"
for r in snap_restore1 snap_restore2; do
	expect_eq "snapshot (Linux) $r: the restored guest counts on and powers off (status 0)" 0 "$(rc $r)"
	# The count: source and restore joined are 0..60, each once, in order.
	count_joined "snapshot (Linux) $r" 60 '^tick [0-9]+ [0-9.]+' "$OUT/snap_src.out" "$OUT/$r.out"
	expect_match "snapshot (Linux) $r: the restored virtio-rng answers (64 bytes from /dev/hwrng)" '^hwrng=64' "$OUT/$r.out"
	# Which clock the uptime comes from (the TSC restore carries "tsc",
	# the kvmclock restore "kvm-clock"): said in the check's name.
	expect_match "snapshot (Linux) $r: the guest's clocksource is $(sed -n 's/^clocksource=//p' "$OUT/$r.out" | tr -d '\r')" \
		'^clocksource=(kvm-clock|tsc)' "$OUT/$r.out"
	# The guest's clock (uptime) moved forward at each tick, by about its
	# 0.1 s sleep, and not by the time the snapshot lay on disk: no step
	# back, none of 3 s or more (a restore without the kvmclock or the TSC
	# jumps by seconds; the guest's own clamp would hide a step back).
	step=$(snap_ticks "$OUT/snap_src.out" "$OUT/$r.out" | awk '
		NR > 1 { d = $2 - last; if (d < min || NR == 2) min = d; if (d > max) max = d }
		{ last = $2 } END { if (NR < 2) print "none"; else printf "%.2f %.2f\n", min, max }')
	if [ "$step" != none ] && awk -v s="$step" 'BEGIN { split(s, a, " "); exit !(a[1] >= 0 && a[2] < 3) }'; then
		pass "snapshot (Linux) $r: the guest's uptime moved on at every tick, also across the restore (steps $step s: min max)"
	else
		failed "snapshot (Linux) $r: the guest's uptime stepped back or jumped (steps ${step} s: min max)"
	fi
done
expect_match "snapshot (Linux): restore time reported (process start to the vCPUs starting)" \
	'VM set up in [0-9.]+ ms since warden started' "$OUT/snap_restore1.err"

# A restored guest that reboots (--reboot): the restore read no initrd;
# the fresh boot must load the kernel and the initrd (its /init prints the
# init line) and run to its poweroff, the count before it whole.
L="snapshot (Linux): a restored guest that reboots"
expect_eq "$L: the source wrote the snapshot (status 7)" 7 "$(rc snapboot_src)"
expect_eq "$L: warden boots it again and it powers off (status 0)" 0 "$(rc snapboot_restore)"
expect_match "$L: warden said it starts the guest again" 'guest rebooted; starting it again' "$OUT/snapboot_restore.err"
count_joined "$L" 10 '^rtick [0-9]+$' "$OUT/snapboot_src.out" "$OUT/snapboot_restore.out"
# The restored guest resumed inside its command: its init line is the
# fresh boot's, after "rebooting", and the fresh boot's command found the
# word on the disk.
expect_eq "$L: after the reboot, the init line (the initrd's /init), then second-boot" "rebooting|up|second-boot" \
	"$(tr -d '\r' <"$OUT/snapboot_restore.out" | sed -n -e 's/^rebooting$/rebooting/p' -e 's/^warden-guest: up .*/up/p' -e 's/^second-boot$/second-boot/p' | paste -sd'|')"
expect_eq "$L: the stats' end reason" poweroff "$(js snapboot_restore .end_reason)"

# With a disk (virtio-blk): the snapshot, two restores on copies of the
# image, each guest writing on; the file systems clean, each file's
# lines 0..40 once each.
expect_eq "snapshot (Linux, disk): --snapshot-then exit after the snapshot (status 7)" 7 "$(rc snapdisk_src)"
expect_match "snapshot (Linux, disk): warden wrote it (virtio-blk saved)" 'snapshot written to /tmp/snapdd' "$OUT/snapdisk_src.err"
for n in 1 2; do
	r=snapdisk_restore$n
	expect_eq "snapshot (Linux, disk) restore $n (own --disk copy): the guest writes on, unmounts, powers off (status 0)" 0 "$(rc $r)"
	expect_match "snapshot (Linux, disk) restore $n: the file system unmounted cleanly" '^umount=0' "$OUT/$r.out"
	count_joined "snapshot (Linux, disk) restore $n" 40 '^dtick [0-9]+' "$OUT/snapdisk_src.out" "$OUT/$r.out"
	expect_eq "snapshot (Linux, disk) restore $n: e2fsck finds the image clean" 0 \
		"$(sed -n "s/^fsck$n=//p" "$OUT/snapdisk_l1.out")"
	expect_eq "snapshot (Linux, disk) restore $n: the file has lines 0..40 once each, fsynced before and after" \
		"$(for i in $(seq 0 40); do printf 'line %s ' $i; done)" "$(sed -n "s/^lines$n=//p" "$OUT/snapdisk_l1.out")"
done

# Devices busy across the snapshot (virtio-console as hvc0 over PCI with
# virtio-rng; virtio-net and the console over mmio, restored on another tap).
expect_eq "snapshot (Linux, hvc0 over PCI): written, then warden ends (status 7)" 7 "$(rc snaphvc_pci)"
expect_eq "snapshot (Linux, hvc0 over PCI): the restored guest counts on and powers off (status 0)" 0 "$(rc snaphvc_pci_restore)"
count_joined "snapshot (Linux, hvc0 over PCI): the console" 60 '^tick [0-9]+ [0-9.]+' \
	"$OUT/snaphvc_pci.out" "$OUT/snaphvc_pci_restore.out"
expect_match "snapshot (Linux, hvc0 over PCI): virtio-rng answers after the restore (its MSI-X route made again)" \
	'^hwrng=64' "$OUT/snaphvc_pci_restore.out"
for n in snapnet snapnetv; do
	w="snapshot (Linux, net$([ $n = snapnetv ] && echo ', vhost-net'))"
	expect_eq "$w: written, then warden ends (status 7)" 7 "$(rc ${n}_src)"
	expect_match "$w: the guest pinged L1 before the snapshot" '^ping1=ok' "$OUT/${n}_src.out"
	expect_eq "$w: restored on another tap, the guest runs on and powers off (status 0)" 0 "$(rc ${n}_restore)"
	expect_match "$w: the restored guest pings L1 through the new tap" '^ping2=ok' "$OUT/${n}_restore.out"
	count_joined "$w" 40 '^tick [0-9]+$' "$OUT/${n}_src.out" "$OUT/${n}_restore.out"
	expect_eq "$w: the guest's MAC is the snapshot's on the new tap" \
		"$(tr -d '\r' <"$OUT/${n}_src.out" | sed -n 's/^mac=//p' | head -n 1)" \
		"$(tr -d '\r' <"$OUT/${n}_restore.out" | sed -n 's/^mac=//p' | head -n 1)"
done
expect_match "snapshot (Linux, net, vhost-net): vhost-net carried the data path" 'vhost-net carries the data path' \
	"$OUT/snapnetv_restore.err"
