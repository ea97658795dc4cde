# Direct boot of the uncompressed kernel (sourced by l1-tests.sh): the
# guest's /guest/vmlinux (extracted from the bzImage by `make guest`),
# randomized and entered at startup_64 with warden's own 2.12 zero page; the
# bzImage still boots with --kernel; a damaged vmlinux is refused.
# /sys/kernel/boot_params/version shows whose setup header the kernel got,
# _text where it runs virtually and /proc/iomem's "Kernel code" physically:
# warden randomizes both (KASLR) unless the command line says nokaslr.
WHERE='grep -w _text /proc/kallsyms; grep Kernel.code /proc/iomem'
case_run vmlinux_cpus2 --kernel /guest/vmlinux --initrd /guest/initrd.cpio.gz --cpus 2 --cmdline "$BASE warden.run=\"grep -c ^processor /proc/cpuinfo; cat /sys/kernel/boot_params/version; $WHERE\""
case_run vmlinux_nokaslr --kernel /guest/vmlinux --initrd /guest/initrd.cpio.gz --cmdline "$BASE nokaslr warden.run=\"$WHERE\""
case_run vmlinux_bz --kernel /guest/vmlinuz --initrd /guest/initrd.cpio.gz --cmdline "$BASE warden.run=\"cat /sys/kernel/boot_params/version\""
# Cut inside the last segment, after the notes: recognised as Linux, refused.
head -c 41943040 /guest/vmlinux >/tmp/vmlinux-cut
case_run vmlinux_cut --kernel /tmp/vmlinux-cut
rm -f /tmp/vmlinux-cut
# A bzImage cut short (the file shorter than its setup header's syssize):
# refused before the VM starts here too, under real SVM (it used to end in
# a triple fault).
head -c 9000000 /guest/vmlinuz >/tmp/vmlinuz-cut
case_run vmlinuz_cut --kernel /tmp/vmlinuz-cut --initrd /guest/initrd.cpio.gz
rm -f /tmp/vmlinuz-cut
# The default guest (no --kernel): the vmlinux when the guest directory has
# one, else the bzImage.
case_run vmlinux_default --cmdline "$BASE warden.run=\"cat /sys/kernel/boot_params/version; $WHERE\""
mkdir -p /tmp/gzguest
ln -sf /guest/vmlinuz /guest/initrd.cpio.gz /tmp/gzguest/
(WARDEN_GUEST_DIR=/tmp/gzguest; export WARDEN_GUEST_DIR
 case_run vmlinux_default_gz --cmdline "$BASE warden.run=\"cat /sys/kernel/boot_params/version\"")
rm -rf /tmp/gzguest
