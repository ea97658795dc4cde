/* Loading a Linux bzImage with the 64-bit boot protocol: protected-mode
 * code at 1 MiB, a zero page with the setup header, e820 map, command
 * line, initrd and ACPI RSDP pointer; entry at code32_start + 0x200. */
#ifndef WARDEN_BOOT_LINUX_H
#define WARDEN_BOOT_LINUX_H

#include <stddef.h>
#include <stdint.h>

struct guest_mem;
struct boot_entry;

struct linux_boot {
	const uint8_t *kernel;
	size_t kernel_len;
	const char *kernel_path;
	const uint8_t *initrd; /* may be NULL */
	size_t initrd_len;
	const char *cmdline;
	uint64_t rsdp;         /* guest-physical address of the RSDP */
};

/* Where the initrd goes: as high as allowed, page aligned, above KERNEL_END.
 * Returns 0 and sets *ADDR, or -1 (user error) if it does not fit. */
int linux_place_initrd(uint64_t low_end, uint32_t initrd_addr_max, uint64_t kernel_end,
		       uint64_t size, uint64_t *addr);

int linux_load(struct guest_mem *mem, const struct linux_boot *lb, struct boot_entry *entry);

#endif
