/* Kernel address space layout randomization for a vmlinux that warden
 * boots directly. A bzImage randomizes itself: its decompressor picks a
 * physical and a virtual address, applies the kernel's relocation table
 * and sets KASLR_FLAG in the zero page. A vmlinux has no decompressor, so
 * warden does the same work before the first instruction: the relocation
 * table is what the Linux build appends to the uncompressed kernel
 * (arch/x86/tools/relocs, "vmlinux.relocs"), which `make guest` keeps when
 * it extracts the vmlinux from the bzImage. Pure functions, no KVM. */
#ifndef WARDEN_BOOT_KASLR_H
#define WARDEN_BOOT_KASLR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct guest_mem;

#define KASLR_START_KERNEL_MAP 0xffffffff80000000ULL /* __START_KERNEL_map */
/* KERNEL_IMAGE_SIZE of a kernel built with RANDOMIZE_BASE (the only x86-64
 * kernels that carry a relocation table): the image's virtual range. */
#define KASLR_IMAGE_SIZE (1ULL << 30)
/* Both addresses move in 2 MiB steps: the kernel maps itself with 2 MiB
 * pages and startup_64 stops on a load address that is not so aligned. */
#define KASLR_ALIGN (2ULL << 20)
/* Lowest physical address, as the decompressor: LOAD_PHYSICAL_ADDR. */
#define KASLR_MIN_PHYS (16ULL << 20)
/* boot_params.hdr.loadflags bit: the kernel was randomized, so it
 * randomizes its memory regions (direct map, vmalloc, vmemmap) too. */
#define KASLR_FLAG 0x02

/* The relocation table: three lists of 32-bit entries, each the low half
 * of the kernel virtual address of a field to adjust. Entries are read
 * with memcpy from the buffer the table was parsed from. */
struct kaslr_relocs {
	const uint8_t *r64;   /* 64-bit fields: add the virtual delta */
	const uint8_t *inv32; /* 32-bit fields: subtract it */
	const uint8_t *r32;   /* 32-bit fields: add it */
	size_t n64, ninv32, n32;
};

/* One PT_LOAD's link physical range. An entry names a field by
 * KASLR_START_KERNEL_MAP + its physical address, also in the per-CPU
 * segment (linked at virtual 0), as the decompressor reads them. */
struct kaslr_range {
	uint64_t paddr, memsz;
};

/* Whether TAIL (LEN bytes: what follows the ELF in the file) is exactly a
 * relocation table. Laid out from the end backwards: 32-bit entries, 0,
 * inverse 32-bit entries, 0, 64-bit entries, and a 0 that must be TAIL's
 * first word. Anything else (no tail, a length not a multiple of 4, a
 * list without its terminator, bytes before it) is "no table": 0. */
int kaslr_relocs_parse(const uint8_t *tail, size_t len, struct kaslr_relocs *r);

/* Where the kernel goes. */
struct kaslr_place {
	uint64_t phys_shift; /* added to every segment's physical address */
	uint64_t virt_delta; /* added to every kernel virtual address */
	bool randomized;     /* chosen at random (either side had a choice) */
};

/* Choose a placement for a kernel whose segments span link physical
 * [START, END) (START 2 MiB aligned; START's virtual address is
 * KASLR_START_KERNEL_MAP + START), in RAM below PHYS_TOP, from two random
 * numbers. Physical: a 2 MiB aligned base from KASLR_MIN_PHYS (or START,
 * if lower) up to PHYS_TOP - size. Virtual: the image moved by a multiple
 * of 2 MiB inside the first KASLR_IMAGE_SIZE above the kernel map. A side
 * with a single slot stays where it was linked. */
void kaslr_choose(uint64_t start, uint64_t end, uint64_t phys_top, uint64_t rnd_phys,
		  uint64_t rnd_virt, struct kaslr_place *p);

/* Apply R for a kernel moved by P, whose segments (RANGES, link physical
 * addresses) are already in guest memory at their address + phys_shift.
 * Every entry is checked first, nothing is changed unless all point at a
 * whole field inside one of RANGES: 0, else a user error naming PATH. */
int kaslr_apply(struct guest_mem *mem, const struct kaslr_relocs *r, const struct kaslr_place *p,
		const struct kaslr_range *ranges, unsigned nranges, const char *path);

/* Whether CMDLINE asks for no randomization: a whitespace-separated word
 * "nokaslr", read as the decompressor reads it (quotes mean nothing to it,
 * so a bzImage and a vmlinux given the same line agree). */
bool kaslr_disabled_by(const char *cmdline);

#endif
