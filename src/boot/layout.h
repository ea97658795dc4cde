/* Where warden puts things in guest-physical memory at boot. */
#ifndef WARDEN_BOOT_LAYOUT_H
#define WARDEN_BOOT_LAYOUT_H

#define LAYOUT_GDT 0x1000          /* boot GDT */
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
#define LAYOUT_RESET_VECTOR 0xffff0  /* where a CPU reset (F000:FFF0) starts */
#define LAYOUT_HIGH_MEM_START 0x100000
#define LAYOUT_KERNEL 0x100000     /* bzImage protected-mode code */

/* Port I/O map of the platform devices. */
#define PORT_I8042_DATA 0x60
#define PORT_I8042_CMD 0x64
#define PORT_RTC 0x70              /* index 0x70, data 0x71 */
#define PORT_COM1 0x3f8
#define IRQ_COM1 4
#define PORT_ACPI_PM 0x600         /* sleep control, sleep status, reset */
#define ACPI_PM_SLEEP_CTL 0
#define ACPI_PM_SLEEP_STS 1
#define ACPI_PM_RESET 2
#define ACPI_PM_LEN 4
#define ACPI_RESET_VALUE 0x1
#define ACPI_S5_TYPE 5             /* SLP_TYP of \_S5 in our DSDT */

#define IOAPIC_ADDR 0xfec00000
#define LAPIC_ADDR 0xfee00000

#endif
