/* Multiboot (version 1) kernels, such as the kvm-unit-tests x86 suite: a
 * 32-bit kernel with a multiboot header in its first 8 KiB.  warden loads
 * it (as an ELF, or at the header's a.out-kludge addresses), writes the
 * boot information below 1 MiB (command line, memory map, the initrd as
 * the one module, the boot loader's name) and enters it in flat 32-bit
 * protected mode with EAX = 0x2BADB002 and EBX = the information's
 * address, paging off, interrupts off. */
#ifndef WARDEN_BOOT_MULTIBOOT_H
#define WARDEN_BOOT_MULTIBOOT_H

#include <stddef.h>
#include <stdint.h>

struct guest_mem;
struct boot_entry;

#define MB_HEADER_MAGIC 0x1badb002u
#define MB_BOOT_MAGIC 0x2badb002u /* in EAX at entry */
#define MB_SEARCH_LEN 8192        /* the header is in the first 8 KiB */

/* Header flags the kernel may ask for (bits 0-15 are requirements). */
#define MB_HF_PAGE_ALIGN (1u << 0) /* modules on 4 KiB boundaries */
#define MB_HF_MEMINFO (1u << 1)    /* mem_lower/mem_upper and the map */
#define MB_HF_VIDEO (1u << 2)      /* a video mode: warden has no display */
#define MB_HF_AOUT (1u << 16)      /* load at the header's addresses */

/* Information flags warden sets. */
#define MB_IF_MEM (1u << 0)
#define MB_IF_CMDLINE (1u << 2)
#define MB_IF_MODS (1u << 3)
#define MB_IF_MMAP (1u << 6)
#define MB_IF_LOADER_NAME (1u << 9)

/* The boot information (Multiboot 0.6.96, 3.3): the fields warden fills. */
struct mb_info {
	uint32_t flags;
	uint32_t mem_lower, mem_upper; /* KiB below 640 KiB / above 1 MiB */
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
	uint32_t drives_length, drives_addr;
	uint32_t config_table;
	uint32_t boot_loader_name;
	uint32_t apm_table;
	uint32_t vbe[4]; /* control and mode info, mode, interface (unused) */
} __attribute__((packed));
_Static_assert(sizeof(struct mb_info) == 88, "multiboot info is 88 bytes");

struct mb_module {
	uint32_t mod_start, mod_end, string, reserved;
} __attribute__((packed));
_Static_assert(sizeof(struct mb_module) == 16, "multiboot module is 16 bytes");

struct mb_mmap_entry {
	uint32_t size; /* of the rest: 20 */
	uint64_t base_addr, length;
	uint32_t type;
} __attribute__((packed));
_Static_assert(sizeof(struct mb_mmap_entry) == 24, "multiboot mmap entry is 24 bytes");

struct mb_header {
	uint32_t magic, flags, checksum;
	uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
	size_t offset; /* where the header is in the file */
};

/* Find a multiboot header in IMG (LEN bytes): 1 found (in *H), 0 none.
 * A header whose checksum fails is no header. */
int multiboot_find(const uint8_t *img, size_t len, struct mb_header *h);

struct multiboot_boot {
	const uint8_t *kernel;
	size_t kernel_len;
	const char *kernel_path;
	const char *cmdline;    /* the arguments, "" for none: the kernel sees
	                         * "KERNEL_PATH ARGS", as from GRUB or QEMU */
	const uint8_t *module;  /* the initrd, or NULL */
	size_t module_len;
};

/* Load a multiboot kernel into MEM; user errors for a kernel that asks
 * for what warden cannot give or does not fit. */
int multiboot_load(struct guest_mem *mem, const struct multiboot_boot *mb, struct boot_entry *entry);

#endif
