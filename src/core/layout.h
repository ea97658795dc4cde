/* The one map of the machine: every guest-physical address, port and
 * interrupt line (GSI) warden uses is declared here, and nowhere else.
 * Fixed resources (the legacy PC devices, boot structures) are constants;
 * the pools below are handed out at run time by the one allocator
 * (core/resources.c) when a device is added to the VM, and the ACPI tables
 * are written from what it handed out. */
#ifndef WARDEN_CORE_LAYOUT_H
#define WARDEN_CORE_LAYOUT_H

/* --- guest-physical memory: boot structures in low RAM ------------------ */
#define LAYOUT_GDT 0x1000          /* boot GDT */
#define LAYOUT_MB_INFO 0x6000      /* multiboot information, module list, memory map */
#define LAYOUT_MB_INFO_END 0x7000
#define LAYOUT_ZERO_PAGE 0x7000    /* Linux boot_params */
#define LAYOUT_PML4 0x9000         /* identity page tables: PML4, PDPT, 4 PDs */
#define LAYOUT_PDPT 0xa000
#define LAYOUT_PD 0xb000           /* 4 pages: 4 GiB in 2 MiB pages */
#define LAYOUT_CMDLINE 0x20000     /* kernel command line */
#define LAYOUT_CMDLINE_MAX 0x10000
#define LAYOUT_FLAT_LOAD 0x7c00    /* real-mode flat binaries, like a boot sector */
#define LAYOUT_EBDA_START 0x9fc00  /* low RAM ends here */
#define LAYOUT_ACPI 0xe0000        /* RSDP and tables (Linux scans here) */
#define LAYOUT_ACPI_END 0x100000
/* The FACS (--acpi-s3): 64-byte aligned, right after the RSDP at
 * LAYOUT_ACPI; the ACPI PM device reads the guest's waking vector here
 * at resume, as a PC's firmware reads it from its own FACS. */
#define LAYOUT_ACPI_FACS (LAYOUT_ACPI + 0x40)
#define LAYOUT_RESET_VECTOR 0xffff0  /* where a CPU reset (F000:FFF0) starts */
#define LAYOUT_HIGH_MEM_START 0x100000
#define LAYOUT_KERNEL 0x100000     /* bzImage protected-mode code */
#define LAYOUT_LAB_PARAMS 0x40000  /* `warden lab`: the built-in guest's parameters and results */
#define LAYOUT_LAB_RING 0x41000    /* `warden lab`: the register page's batch ring (4 KiB) */

/* --- guest-physical memory: the 32-bit hole [3 GiB, 4 GiB) -------------- */
/* Device MMIO windows are handed out from this pool, 4 KiB aligned. */
#define LAYOUT_MMIO_POOL_START 0xc0000000ULL
#define LAYOUT_MMIO_POOL_END 0xc0100000ULL
/* The PCI MMIO window: BARs of PCI functions (virtio-pci, --transport pci)
 * are handed out from this pool, each naturally aligned to its size. */
#define LAYOUT_PCI_MMIO_START 0xc1000000ULL
#define LAYOUT_PCI_MMIO_END 0xc1800000ULL
/* The register page (src/devices/regpage.c): registers that are ordinary
 * guest RAM in a memory slot of their own, dirty-logged (2 pages: what the
 * guest writes, what warden writes); and the same registers trapped, as
 * an MMIO window (every access an exit). */
#define LAYOUT_REGPAGE 0xc0200000ULL
#define LAYOUT_REGPAGE_LEN 0x2000ULL
#define LAYOUT_REGPAGE_MMIO 0xc0210000ULL
#define LAYOUT_REGPAGE_MMIO_LEN 0x1000ULL
#define LAYOUT_IOAPIC 0xfec00000ULL
#define LAYOUT_IOAPIC_LEN 0x1000ULL
/* --intel-iommu: the VT-d remapping unit's register page, where QEMU's
 * q35 machine puts it (the kvm-unit-tests intel_iommu test reads it there,
 * without a DMAR table; devices/intel_iommu.c). */
#define LAYOUT_VTD 0xfed90000ULL
#define LAYOUT_VTD_LEN 0x1000ULL
#define LAYOUT_LAPIC 0xfee00000ULL
/* Pages KVM needs for Intel's real-mode emulation (unused on AMD). */
#define LAYOUT_TESTDEV_IOMEM 0xff000000ULL /* --test-device's scratch MMIO (pc-testdev's) */
#define LAYOUT_TESTDEV_IOMEM_LEN 0x10000
#define LAYOUT_KVM_IDENTITY_MAP 0xfffbc000ULL
#define LAYOUT_KVM_TSS 0xfffbd000ULL

/* --- port I/O ------------------------------------------------------------ */
#define PORT_I8042_DATA 0x60
#define PORT_I8042_CMD 0x64
#define PORT_I8042_LEN (PORT_I8042_CMD - PORT_I8042_DATA + 1)
#define PORT_RTC 0x70              /* index 0x70, data 0x71 */
#define PORT_RTC_LEN 2
#define PORT_COM1 0x3f8
#define PORT_COM_LEN 8
#define PORT_FW_CFG 0x510          /* selector; data at 0x511 (multiboot kernels) */
#define PORT_FW_CFG_DATA 0x511
#define PORT_FW_CFG_LEN 2
#define PORT_TEST_EXIT_DEFAULT 0xf4 /* isa-debug-exit's usual port (--test-exit-port) */
#define PORT_TESTDEV 0xe0          /* --test-device (QEMU pc-testdev's ports): latch */
#define PORT_TESTDEV_FLUSH 0xe4    /*   flush page */
#define PORT_TESTDEV_LATCH_BYTES 0xe8 /* the latch again, byte by byte */
#define PORT_TESTDEV_LEN 12
#define PORT_TESTDEV_IRQ 0x2000    /*   ISA interrupt lines 0-23 */
#define PORT_TESTDEV_IRQ_LEN 24
#define PORT_HV_TESTDEV 0x3000     /* --hyperv-testdev (QEMU hyperv-testdev's */
#define PORT_HV_TESTDEV_LEN 4      /*   control register) */
#define PORT_ACPI_PM 0x600         /* sleep control, sleep status, reset */
#define ACPI_PM_SLEEP_CTL 0
#define ACPI_PM_SLEEP_STS 1
#define ACPI_PM_RESET 2
#define ACPI_PM_LEN 4
#define ACPI_RESET_VALUE 0x1
#define ACPI_S5_TYPE 5             /* SLP_TYP of \_S5 in our DSDT */
/* A Linux guest's init reports that it could not boot (the default
 * initramfs: no root device, a failed mount, no init): a byte written here
 * ends the VM, warden's status 8 (devices/guest_status.c). */
#define PORT_GUEST_STATUS 0x5f0
#define PORT_GUEST_STATUS_LEN 1
/* --acpi-s3: the fixed-hardware PM1a blocks of a full (not hardware-
 * reduced) FADT, owned by the same device.  Event block: PM1_STS at +0,
 * PM1_EN at +2; control block: PM1_CNT. */
#define PORT_ACPI_PM1_EVT 0x604
#define ACPI_PM1_EVT_LEN 4
#define PORT_ACPI_PM1_CNT 0x608
#define ACPI_PM1_CNT_LEN 2
#define ACPI_S3_TYPE 1             /* SLP_TYP of \_S3 (QEMU's value too) */
#define PORT_HYPERCALL 0x540       /* --hypercall doorbells (include/warden/hypercall.h) */
#define PORT_HYPERCALL_LEN 8
#define PORT_PCI_CONFIG 0xcf8      /* PCI configuration mechanism #1: address at 0xcf8, */
#define PORT_PCI_CONFIG_DATA 0xcfc /*   data at 0xcfc-0xcff (devices/pci_host.c) */
#define PORT_PCI_CONFIG_LEN 8

/* --- the lab's built-in test guests (`warden bench exits`, src/lab) ----- */
#define LAYOUT_LAB_PARAMS 0x40000   /* the page warden and the guest share */
#define LAYOUT_LAB_AP_STACK 0x48000 /* top of vCPU 1's stack (grows down) */
#define LAYOUT_LAB_SAMPLES 0x200000 /* the guest's per-iteration samples */
#define LAYOUT_LAB_HC_BATCH 0x40800 /* bench exits' hypercall rows: the measured batch
				     * (header + 1 request, in the parameters' page) */
#define PORT_LAB 0x560              /* +0 an exit to warden, +1 a doorbell an
				     * ioeventfd absorbs, +2 the guest's marks,
				     * +3 a port KVM queues (coalesced PIO) */
#define PORT_LAB_EXIT (PORT_LAB + 0)
#define PORT_LAB_DOORBELL (PORT_LAB + 1)
#define PORT_LAB_MARK (PORT_LAB + 2)
#define PORT_LAB_COALESCED (PORT_LAB + 3)
#define PORT_LAB_LEN 4

/* `warden lab emulated-vs-virtio` (src/lab, src/devices/regpage.c): the
 * register page's trapped port window (with the batch ring's doorbell)
 * and the lab guest's control port (phase marks, results, the end). */
#define PORT_REGPAGE 0x570
#define PORT_REGPAGE_LEN 0x10
#define PORT_LAB_CTL 0x580         /* the lab guest's marks and results */
#define PORT_LAB_CTL_LEN 4

/* --- interrupt lines (IOAPIC pins) --------------------------------------- */
#define GSI_COM1 4
#define GSI_RTC 8                  /* the CMOS RTC's update and alarm interrupts */
#define ACPI_SCI_GSI 9             /* the FADT's SCI_INT (no SCI is ever raised) */
/* The power button's Generic Event Device (devices/power_button.c): an
 * ISA line no legacy device of ours uses, so it takes none from the pool. */
#define GSI_POWER_BUTTON 5
/* Pins 16-23 no legacy device uses: the pool for devices that ask for a
 * line (virtio-mmio). */
#define GSI_POOL_START 16
#define GSI_POOL_END 24            /* exclusive; the IOAPIC has 24 pins */
/* With warden's own IOAPIC (--irqchip split, core/ioapic.h) the pool
 * starts right after the ISA lines Linux may claim (the FADT's SCI, 9), so
 * that IOAPIC needs no pin past its devices': each pin costs a boot about
 * 21 exits. */
#define GSI_SPLIT_POOL_START 10
/* GSIs above the IOAPIC's pins: KVM routing entries for MSI-X vectors
 * (core/msi_routes.c), one per vector of each PCI function. */
#define GSI_MSI_POOL_START 24
#define GSI_MSI_POOL_END 128
/* Hyper-V SynIC interrupt routes (--hyperv-testdev's SINT routes): GSIs
 * past the MSI pool, each routed by KVM to one vCPU's SINT. */
#define GSI_HV_SINT_START GSI_MSI_POOL_END
#define GSI_HV_SINT_COUNT 128

#endif
