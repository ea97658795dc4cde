# virtio-blk checks (sourced by tests/emu/run.sh).
# blk_v FILE KEY: the value of the first KEY=... in $OUT/FILE (keys may share a line).
blk_v() { tr ' ' '\n' <"$OUT/$1" 2>/dev/null | sed -n "s/^$2=//p" | head -n 1; }
blk_md5ok() { [ "${#1}" = 32 ]; }

# --- blk_ext4: write on ext4, check the image in L1, reset and restart ---
expect_eq "virtio-blk: ext4 guest boots and powers off" 0 "$(rc blk_ext4)"
expect_eq "virtio-blk: GET_ID (/sys/block/vda/serial) is the id= name" warden-disk-a "$(blk_v blk_ext4.out serial)"
expect_eq "virtio-blk: a read-write disk is not read-only in the guest" 0 "$(blk_v blk_ext4.out ro)"
big=$(blk_v blk_ext4.out big)
blk_md5ok "$big" && pass "virtio-blk: the guest wrote a 4 MiB file ($big)" || failed "virtio-blk: no md5 from the guest ('$big')"
expect_eq "virtio-blk: e2fsck -fn finds the image clean" 0 "$(blk_v blk_l1.out fsck_rc)"
[ "$(blk_v blk_l1.out fsck_rc)" = 0 ] || { echo "----- e2fsck"; tail -n 20 "$OUT/blk_fsck.txt"; echo "-----"; }
expect_eq "virtio-blk: the image holds the guest's file (debugfs md5)" "$big" "$(blk_v blk_l1.out big_md5)"
expect_eq "virtio-blk: the image holds the small file" hello-warden-blk "$(blk_v blk_l1.out small)"
expect_eq "virtio-blk: after unbind/bind (device reset, restart) the guest reads the file back" "$big" "$(blk_v blk_ext4.out big2)"
expect_eq "virtio-blk: ... and the small file" hello-warden-blk "$(blk_v blk_ext4.out small2)"
expect_eq "virtio-blk: ext4 unmounts cleanly" 0 "$(blk_v blk_ext4.out umount)"
expect_eq "virtio-blk: no guest errors (ext4)" 0 "$(js blk_ext4 '.device_work["virtio-blk0"].errors')"
expect_eq "virtio-blk: the guest read the whole disk" 0 "$(blk_v blk_ext4.out readall)"
req=$(js blk_ext4 '.device_work["virtio-blk0"].requests // 0')
bytes=$(js blk_ext4 '.device_work["virtio-blk0"].bytes // 0')
exits=$(js blk_ext4 '.device_work["virtio-blk0"].exits // 0')
notifies=$(js blk_ext4 '.device_work["virtio-blk0"].notifies // 0')
irqs=$(js blk_ext4 '.device_work["virtio-blk0"].interrupts // 0')
# 4 MiB written, read back after the restart, then the whole 64 MiB disk.
[ "$bytes" -ge $((72 << 20)) ] 2>/dev/null && pass "virtio-blk: device counted >= 72 MiB moved ($bytes)" || failed "virtio-blk: bytes $bytes"
[ "$req" -ge 200 ] 2>/dev/null && pass "virtio-blk: device counted requests ($req)" || failed "virtio-blk: requests $req"
# With ioeventfd (the default) a notification never exits to warden.  What
# does: the set-up of each probe (two here, plus the reset between them;
# about 45 accesses each) and, per interrupt, virtio-mmio's InterruptStatus
# read and InterruptACK write.  Had the notifications exited, the rest
# would be at least their number.
other=$((exits - 2 * irqs))
[ "$notifies" -ge 150 ] 2>/dev/null && [ "$other" -ge 0 ] && [ "$other" -le 150 ] && [ "$other" -lt "$notifies" ] &&
	pass "virtio-blk: notifications cause no exits to warden ($exits exits = 2 x $irqs interrupts + $other set-up; $notifies notifies, $req requests)" ||
	failed "virtio-blk: $exits MMIO exits, $irqs interrupts, $notifies notifies, $req requests"
# EVENT_IDX and batching: fewer notifications than requests.
[ "$notifies" -lt "$req" ] 2>/dev/null && [ "$notifies" -gt 0 ] &&
	pass "virtio-blk: fewer notifications than requests ($notifies for $req)" ||
	failed "virtio-blk: $notifies notifications for $req requests"

# --- blk_two: read-only disk next to a raw one --------------------------------
expect_eq "virtio-blk: two-disk guest boots and powers off" 0 "$(rc blk_two)"
expect_eq "virtio-blk: ,ro disk is read-only in the guest (/sys/block/vda/ro)" 1 "$(blk_v blk_two.out ro_a)"
expect_eq "virtio-blk: second disk is writable (/sys/block/vdb/ro)" 0 "$(blk_v blk_two.out ro_b)"
rw=$(blk_v blk_two.out rawwrite)
[ -n "$rw" ] && [ "$rw" != 0 ] && pass "virtio-blk: a raw write to the ro disk fails (dd status $rw)" || failed "virtio-blk: raw write to the ro disk: status '$rw'"
a0=$(blk_v blk_l1.out a_md5_before)
blk_md5ok "$a0" && expect_eq "virtio-blk: the ro image is unchanged (md5)" "$a0" "$(blk_v blk_l1.out a_md5_after)" ||
	failed "virtio-blk: no md5 of the ro image"
expect_eq "virtio-blk: the guest reads the file through the ro disk" "$big" "$(blk_v blk_two.out big)"
expect_eq "virtio-blk: copied to the second disk and read back (guest)" "$big" "$(blk_v blk_two.out copy)"
expect_eq "virtio-blk: serial derived from the file name" blk-b.img "$(blk_v blk_two.out serial_b)"
dm=$(blk_v blk_two.out discard_max)
# L1's /tmp is a tmpfs: hole punching works, so discard is offered.
[ "$dm" -gt 0 ] 2>/dev/null && pass "virtio-blk: discard offered (discard_max_bytes $dm)" || failed "virtio-blk: discard_max_bytes '$dm'"
expect_eq "virtio-blk: blkdiscard succeeds" 0 "$(blk_v blk_two.out discard)"
z=$(blk_v blk_l1.out zero_1m)
expect_eq "virtio-blk: the discarded MiB reads as zeroes in the guest" "$z" "$(blk_v blk_two.out hole)"
expect_eq "virtio-blk: the discarded MiB is zeroes in the image" "$z" "$(blk_v blk_l1.out b_part1)"
expect_eq "virtio-blk: the image's first MiB is the copied file's" "$(blk_v blk_l1.out big_part0)" "$(blk_v blk_l1.out b_part0)"
expect_eq "virtio-blk: the image's MiB 2-3 are the copied file's" "$(blk_v blk_l1.out big_part23)" "$(blk_v blk_l1.out b_part23)"
kb0=$(blk_v blk_l1.out b_kib_before) kb1=$(blk_v blk_l1.out b_kib_after)
[ "$kb1" -le $((kb0 - 1024)) ] 2>/dev/null && pass "virtio-blk: the discard punched a hole (${kb0} KiB -> ${kb1} KiB)" ||
	failed "virtio-blk: image allocation ${kb0} KiB -> ${kb1} KiB"
for dev in virtio-blk0 virtio-blk1; do
	r=$(js blk_two ".device_work[\"$dev\"].requests // 0")
	b=$(js blk_two ".device_work[\"$dev\"].bytes // 0")
	[ "$r" -gt 0 ] 2>/dev/null && [ "$b" -ge 4194304 ] 2>/dev/null &&
		pass "virtio-blk: stats device_work.$dev ($r requests, $b bytes)" || failed "virtio-blk: device_work.$dev: $r requests, $b bytes"
done
# The guest's kernel honours VIRTIO_BLK_F_RO: it refuses the write itself,
# so no request fails at the device (the device's own refusal is unit-tested).
expect_eq "virtio-blk: no errors on the ro disk (the guest never sent the write)" 0 "$(js blk_two '.device_work["virtio-blk0"].errors')"
expect_eq "virtio-blk: no errors on the second disk" 0 "$(js blk_two '.device_work["virtio-blk1"].errors')"
for c in blk_ext4 blk_two; do
	grep -q 'guest error' "$OUT/$c.err" && failed "virtio-blk: $c: warden saw a guest error: $(grep 'guest error' "$OUT/$c.err" | head -1)" ||
		pass "virtio-blk: $c: no guest protocol errors"
done

# --- bad --disk arguments ------------------------------------------------------
refused "virtio-blk: bad --disk" bad_disk_missing 'blk-nonexistent.img: cannot open'
refused "virtio-blk: bad --disk" bad_disk_size 'not a multiple of 512'
refused "virtio-blk: bad --disk" bad_disk_dir '/tmp: cannot open: Is a directory'
refused "virtio-blk: bad --disk" bad_disk_chr 'not a regular file or block device'
refused "virtio-blk: bad --disk" bad_disk_twice 'in use'
