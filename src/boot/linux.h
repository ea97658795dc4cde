/* Loading Linux with the 64-bit boot protocol: a zero page with the setup
 * header, e820 map, command line, initrd and ACPI RSDP pointer, entered in
 * long mode with RSI pointing at it. From a bzImage: protected-mode code
 * at 1 MiB, entry at 1 MiB + 0x200 (the decompressor). From a vmlinux: its
 * segments at their physical addresses, entry at e_entry (startup_64). */
#ifndef WARDEN_BOOT_LINUX_H
#define WARDEN_BOOT_LINUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct guest_mem;
struct boot_entry;

struct linux_boot {
	const uint8_t *kernel;
	size_t kernel_len;
	const char *kernel_path;
	bool kernel_from_fd;   /* the bytes past the headers come from KERNEL_FD, not KERNEL */
	int kernel_fd;
	const uint8_t *initrd; /* may be NULL */
	size_t initrd_len;
	const char *cmdline;
	uint64_t rsdp;         /* guest-physical address of the RSDP */
};

/* Where the initrd goes: as high as allowed, page aligned, above KERNEL_END.
 * Returns 0 and sets *ADDR, or -1 (user error) if it does not fit. */
int linux_place_initrd(uint64_t low_end, uint32_t initrd_addr_max, uint64_t kernel_end,
		       uint64_t size, uint64_t *addr);

/* LB->kernel is a bzImage. */
int linux_load(struct guest_mem *mem, const struct linux_boot *lb, struct boot_entry *entry);

/* The setup header warden writes for a vmlinux, which has none: image
 * offsets [0x1f1, LINUX_VMLINUX_HDR_END) of a zero page. */
#define LINUX_VMLINUX_HDR_END 0x268          /* end of the 2.12 header */
#define LINUX_VMLINUX_CMDLINE_SIZE 2047u      /* x86 COMMAND_LINE_SIZE - 1 */
#define LINUX_VMLINUX_INITRD_ADDR_MAX 0x7fffffffu
/* A relocation table longer than this is not one (Debian's: 0.8 MB). */
#define LINUX_RELOCS_MAX (64u << 20)
void linux_vmlinux_header(uint8_t *hdr);

/* LB->kernel is a Linux vmlinux ELF (vmlinux_is_linux). */
int linux_load_vmlinux(struct guest_mem *mem, const struct linux_boot *lb, struct boot_entry *entry);

#endif
