# Root disk checks (sourced by tests/emu/run.sh; cases in rootdisk.l1.sh).
rd_js() { js "$1" "$2"; }

# 1. --disk IMG,root
expect_eq "root disk: its init runs and powers off (status 0)" 0 "$(rc rootdisk_dev)"
expect_match "root disk: the initramfs says what it mounted" \
	'^warden-guest: root /dev/vda: /dev/vda mounted ro, starting /sbin/init' "$OUT/rootdisk_dev.out"
expect_match "root disk: the root's init is PID 1 on /dev/vda, ext4, ro" \
	'^rootdisk-init: pid 1 root /dev/vda ext4 ro' "$OUT/rootdisk_dev.out"
expect_eq "root disk: warden added root=/dev/vda to the command line" \
	"console=ttyS0 quiet panic=-1 8250.nr_uarts=1 root=/dev/vda" "$(rd_js rootdisk_dev .cmdline)"

# 2. root=LABEL= rw from the user's --cmdline: warden's defaults stay
expect_eq "root by LABEL: status 0" 0 "$(rc rootdisk_label)"
expect_match "root by LABEL: the second disk, mounted rw" \
	'^rootdisk-init: pid 1 root /dev/vdb ext4 rw' "$OUT/rootdisk_label.out"
expect_eq "root by LABEL: the file the root's init wrote is on the image" \
	written-by-rootdisk-init "$(grep -m1 . "$OUT/rootdisk_hello.txt")"
expect_eq "root by LABEL: e2fsck -fn clean afterwards" 0 "$(rc rootdisk_fsck)"
expect_eq "a --cmdline without panic=-1 keeps warden's defaults, user's words last" \
	"console=ttyS0 quiet panic=-1 8250.nr_uarts=1 root=LABEL=wardentest rw" "$(rd_js rootdisk_label .cmdline)"

# Without 8250.nr_uarts=1 Linux probes COM2-4, and without a PCI bus
# (pci=off) the PCI config ports (about 250 unclaimed port exits a boot;
# 2 with them).  The disk is on virtio-pci, whose host bridge claims the
# config ports.
n=$(rd_js rootdisk_label .unclaimed_exits)
[ "$n" -le 20 ] 2>/dev/null && pass "a user's --cmdline keeps 8250.nr_uarts=1: $n unclaimed exits" ||
	failed "a user's --cmdline: '$n' unclaimed exits (PCI/COM2-4 probed?)"

# 3. root=UUID=
expect_eq "root by UUID: status 0" 0 "$(rc rootdisk_uuid)"
expect_match "root by UUID: found /dev/vda" '^rootdisk-init: pid 1 root /dev/vda ext4 ro' "$OUT/rootdisk_uuid.out"

# 4.-6. roots that cannot boot: one line, warden's status 8, never a hang
rd_fails() { # NAME WHAT REGEX
	expect_eq "$2: status 8 (the guest could not boot)" 8 "$(rc "$1")"
	expect_eq "$2: exactly one error line from the initramfs" 1 "$(grep -c '^warden-guest: error: ' "$OUT/$1.out")"
	expect_match "$2: the line says why" "$3" "$OUT/$1.out"
	expect_eq "$2: end reason in the stats" guest-boot-failure "$(rd_js "$1" .end_reason)"
	expect_match "$2: warden names the failure on stderr" '^warden: the guest could not boot: ' "$OUT/$1.err"
}
rd_fails rootdisk_missing "missing root device" '^warden-guest: error: root /dev/vdz: no such device'
rd_fails rootdisk_noinit "missing init (console=hvc0)" \
	'^warden-guest: error: root /dev/vda: no init: /sbin/nothing-here is not an executable file'
expect_match "missing init (console=hvc0): warden names it: no init" 'the root file system has no init' "$OUT/rootdisk_noinit.err"
expect_eq "missing init (console=hvc0): the console was hvc0 (virtio-console carried the bytes)" true \
	"$(rd_js rootdisk_noinit '.device_work["virtio-console"].bytes > 0')"
rd_fails rootdisk_nofs "root without a file system" '^warden-guest: error: root /dev/vda: mount of /dev/vda failed'
refused "two root disks" bad_root_two 'at most one can be the root'
