# virtio-pci (--transport pci; sourced by l1-tests.sh; runs in L1's /tmp).
#  pci_all:  every device type over PCI with MSI-X: the guest lists its
#            PCI functions and /proc/interrupts; writes an ext4 file,
#            reads the disk back; reads /dev/hwrng; console on hvc0.
#  pci_ext4: the blk ext4 integrity run over PCI (files written, the
#            driver rebound, read back; L1 checks the image with e2fsck).
PBASE="console=ttyS0 quiet panic=-1 8250.nr_uarts=1"
pci_note() { echo "$1" >>/tmp/pci_l1.out; }
: >/tmp/pci_l1.out
dd if=/dev/zero of=/tmp/pci-a.img bs=1M count=64 2>/dev/null
mkfs.ext4 -q -F /tmp/pci-a.img
case_run pci_all --transport pci --disk /tmp/pci-a.img,id=pci-disk --rng --virtio-console \
	--cmdline "$PBASE warden.run=\"for d in /sys/bus/pci/devices/*; do echo pcidev=\$(basename \$d):\$(cat \$d/vendor):\$(cat \$d/device):\$(basename \$(readlink \$d/driver 2>/dev/null) 2>/dev/null); done; \
grep -c PCI-MSI /proc/interrupts | sed s/^/msi_lines=/; grep PCI-MSI /proc/interrupts | sed s/^/irq:/; \
echo serial=\$(cat /sys/block/vda/serial); mkdir /m; mount -t ext4 /dev/vda /m; head -c 4194304 /dev/urandom >/m/big; \
h=\$(md5sum </m/big | cut -c1-32); umount /m; echo 3 >/proc/sys/vm/drop_caches; mount -t ext4 /dev/vda /m; \
echo same=\$([ \$(md5sum </m/big | cut -c1-32) = \$h ] && echo yes); umount /m; \
echo rng=\$(cat /sys/class/misc/hw_random/rng_current) rngbytes=\$(dd if=/dev/hwrng bs=64k count=4 2>/dev/null | wc -c); \
echo hello-hvc >/dev/hvc0; echo hvc=\$?\""
e2fsck -fn /tmp/pci-a.img >/dev/null 2>&1
pci_note "fsck_rc=$?"
echo "@@BEGIN pci_l1.out"; cat /tmp/pci_l1.out; echo "@@END pci_l1.out"
rm -f /tmp/pci-a.img
