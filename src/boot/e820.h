/* The BIOS e820 memory map handed to Linux in the zero page. */
#ifndef WARDEN_BOOT_E820_H
#define WARDEN_BOOT_E820_H

#include <stdint.h>

#define E820_RAM 1
#define E820_RESERVED 2
#define E820_MAX 128

struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __attribute__((packed));

_Static_assert(sizeof(struct e820_entry) == 20, "e820 entry is 20 bytes");

struct guest_mem;

/* Fill OUT (capacity E820_MAX) for MEM; returns the number of entries.
 * Layout: low RAM below the EBDA, the legacy BIOS area (reserved: the ACPI
 * tables live there), RAM from 1 MiB up to the MMIO hole, RAM above 4 GiB. */
unsigned e820_build(const struct guest_mem *mem, struct e820_entry *out);

#endif
