# Root disks with the default initramfs (sourced by l1-tests.sh; runs in
# L1's /tmp). A tiny root file system (busybox and an /sbin/init script) is
# made here with mkfs.ext4 -d (e2fsprogs, not busybox); the Debian one is distro.l1.sh's.
#  rootdisk_dev:     --disk IMG,root: root=/dev/vda from warden, mounted ro,
#                    its init runs as PID 1 and powers off
#  rootdisk_label:   root=LABEL=... rw by the user's --cmdline (second disk),
#                    the init writes a file L1 then reads with debugfs
#  rootdisk_uuid:    root=UUID=...
#  rootdisk_missing: root=/dev/vdz: one error line, status 8
#  rootdisk_noinit:  init= names nothing, console=hvc0: the line on hvc0
#  rootdisk_nofs:    a disk with no file system: the mount fails, status 8
#  bad_root_two:     two root disks refused (status 2, one line)
mkdir -p /tmp/rd/bin /tmp/rd/sbin /tmp/rd/dev /tmp/rd/proc /tmp/rd/sys /tmp/rd/tmp
cp /bin/busybox /tmp/rd/bin/busybox
for a in sh cat echo grep poweroff sync awk; do ln -s busybox "/tmp/rd/bin/$a"; done
cat >/tmp/rd/sbin/init <<'INIT'
#!/bin/sh
set -- $(grep ' / ' /proc/mounts | tail -n 1)
echo "rootdisk-init: pid $$ root $1 $3 ${4%%,*}"
if [ "${4%%,*}" = rw ]; then
	echo written-by-rootdisk-init >/hello
	sync
fi
poweroff -f
INIT
chmod 755 /tmp/rd/sbin/init
RD_UUID=5b1e2a7c-7a2d-4c3e-9f00-0000000000aa
dd if=/dev/zero of=/tmp/rd.img bs=1M count=16 2>/dev/null
mkfs.ext4 -q -F -L wardentest -U "$RD_UUID" -d /tmp/rd /tmp/rd.img
dd if=/dev/zero of=/tmp/rd-other.img bs=1M count=1 2>/dev/null

case_run rootdisk_dev --disk /tmp/rd.img,root
case_run rootdisk_label --disk /tmp/rd-other.img --disk /tmp/rd.img --cmdline "root=LABEL=wardentest rw"
echo "@@BEGIN rootdisk_hello.txt"; debugfs -R 'cat /hello' /tmp/rd.img 2>/dev/null; echo; echo "@@END rootdisk_hello.txt"
e2fsck -fn /tmp/rd.img >/dev/null 2>&1
echo "@@CASE rootdisk_fsck rc=$?"
case_run rootdisk_uuid --disk /tmp/rd.img --cmdline "root=UUID=$RD_UUID"
case_run rootdisk_missing --disk /tmp/rd.img --cmdline "root=/dev/vdz"
case_run rootdisk_noinit --disk /tmp/rd.img,root --virtio-console --cmdline "console=hvc0 init=/sbin/nothing-here"
case_run rootdisk_nofs --disk /tmp/rd-other.img,root
case_run bad_root_two --disk /tmp/rd.img,root --disk /tmp/rd-other.img,root
rm -rf /tmp/rd /tmp/rd.img /tmp/rd-other.img
