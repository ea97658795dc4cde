# virtio-blk (sourced by l1-tests.sh; runs in L1's /tmp, a tmpfs).
#  blk_ext4: the guest writes files into a fresh ext4 disk, rebinds the
#            driver (device reset + restart) and reads them back; L1 then
#            checks the image with e2fsck and debugfs.  Reading the whole
#            disk at the end makes enough requests to weigh exits against.
#  blk_two:  that disk read-only next to a raw second disk: reads, a copy
#            from one to the other, a refused raw write, a discard.
#  bad_disk_*: --disk arguments refused before boot.
# Results of L1's own checks go to blk_l1.out as key=value lines.
blk_note() { echo "$1" >>/tmp/blk_l1.out; }
blk_md5() { md5sum | cut -c1-32; }
: >/tmp/blk_l1.out
dd if=/dev/zero of=/tmp/blk-a.img bs=1M count=64 2>/dev/null
mkfs.ext4 -q -F /tmp/blk-a.img
# In the guest: h = md5 of stdin; every result is printed as key=value.
# (On virtio-mmio: blk.check.sh weighs its exits against the transport's
# two register accesses per interrupt; the pci case covers a disk on the
# default transport.)
case_run blk_ext4 --transport mmio --disk /tmp/blk-a.img,id=warden-disk-a --cmdline "$BASE warden.run=\"h(){ md5sum|cut -c1-32;}; \
echo serial=\$(cat /sys/block/vda/serial); echo ro=\$(cat /sys/block/vda/ro); mkdir /m; mount -t ext4 /dev/vda /m; \
head -c 4194304 /dev/urandom >/m/big; echo hello-warden-blk >/m/small.txt; sync; echo big=\$(h </m/big); umount /m; \
d=\$(basename \$(readlink /sys/block/vda/device)); echo \$d >/sys/bus/virtio/drivers/virtio_blk/unbind; \
echo \$d >/sys/bus/virtio/drivers/virtio_blk/bind; mount -t ext4 /dev/vda /m; echo big2=\$(h </m/big); \
echo small2=\$(cat /m/small.txt); umount /m; echo umount=\$?; echo 3 >/proc/sys/vm/drop_caches; \
dd if=/dev/vda of=/dev/null bs=64k 2>/dev/null; echo readall=\$?\""
e2fsck -fn /tmp/blk-a.img >/tmp/blk_fsck.txt 2>&1
blk_note "fsck_rc=$?"
debugfs -R 'cat /big' /tmp/blk-a.img >/tmp/blk-big.bin 2>/dev/null
blk_note "big_md5=$(blk_md5 </tmp/blk-big.bin)"
blk_note "small=$(debugfs -R 'cat /small.txt' /tmp/blk-a.img 2>/dev/null)"
blk_note "a_md5_before=$(blk_md5 </tmp/blk-a.img)"
dd if=/dev/zero of=/tmp/blk-b.img bs=1M count=16 2>/dev/null
blk_note "b_kib_before=$(du -k /tmp/blk-b.img | cut -f1)"
case_run blk_two --disk /tmp/blk-a.img,ro --disk /tmp/blk-b.img --cmdline "$BASE warden.run=\"h(){ md5sum|cut -c1-32;}; \
echo ro_a=\$(cat /sys/block/vda/ro) ro_b=\$(cat /sys/block/vdb/ro); echo serial_b=\$(cat /sys/block/vdb/serial); \
echo discard_max=\$(cat /sys/block/vdb/queue/discard_max_bytes); mkdir /m; mount -t ext4 -o ro /dev/vda /m; \
echo big=\$(h </m/big); cat /m/big >/dev/vdb; sync; echo 3 >/proc/sys/vm/drop_caches; \
echo copy=\$(head -c 4194304 /dev/vdb | h); dd if=/dev/zero of=/dev/vda bs=4096 count=1 conv=fsync 2>/dev/null; \
echo rawwrite=\$?; blkdiscard -o 1048576 -l 1048576 /dev/vdb; echo discard=\$?; echo 3 >/proc/sys/vm/drop_caches; \
echo hole=\$(dd if=/dev/vdb bs=1M skip=1 count=1 2>/dev/null | h); umount /m; echo umount=\$?\""
blk_note "a_md5_after=$(blk_md5 </tmp/blk-a.img)"
blk_note "b_kib_after=$(du -k /tmp/blk-b.img | cut -f1)"
blk_note "zero_1m=$(head -c 1048576 /dev/zero | blk_md5)"
blk_note "b_part0=$(dd if=/tmp/blk-b.img bs=1M count=1 2>/dev/null | blk_md5)"
blk_note "big_part0=$(dd if=/tmp/blk-big.bin bs=1M count=1 2>/dev/null | blk_md5)"
blk_note "b_part1=$(dd if=/tmp/blk-b.img bs=1M skip=1 count=1 2>/dev/null | blk_md5)"
blk_note "b_part23=$(dd if=/tmp/blk-b.img bs=1M skip=2 count=2 2>/dev/null | blk_md5)"
blk_note "big_part23=$(dd if=/tmp/blk-big.bin bs=1M skip=2 count=2 2>/dev/null | blk_md5)"
echo "@@BEGIN blk_l1.out"; cat /tmp/blk_l1.out; echo "@@END blk_l1.out"
echo "@@BEGIN blk_fsck.txt"; cat /tmp/blk_fsck.txt; echo; echo "@@END blk_fsck.txt"
# Refused before the guest starts: one line, status 2.
head -c 1000 /dev/zero >/tmp/blk-odd.img
case_run bad_disk_missing --disk /tmp/blk-nonexistent.img
case_run bad_disk_size --disk /tmp/blk-odd.img
case_run bad_disk_dir --disk /tmp
case_run bad_disk_chr --disk /dev/null
case_run bad_disk_twice --disk /tmp/blk-b.img --disk /tmp/blk-b.img
rm -f /tmp/blk-a.img /tmp/blk-b.img /tmp/blk-big.bin /tmp/blk-odd.img
