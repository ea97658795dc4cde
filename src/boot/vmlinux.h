/* A Linux vmlinux: the uncompressed x86-64 kernel ELF (what Firecracker
 * boots, and what `make guest` extracts from the Debian bzImage). Telling
 * it apart from any other ELF, and checking it before anything is copied
 * into guest memory. Pure parsing, no KVM. */
#ifndef WARDEN_BOOT_VMLINUX_H
#define WARDEN_BOOT_VMLINUX_H

#include <stddef.h>
#include <stdint.h>

struct guest_mem;
struct kaslr_range;

/* Xen ELF note types (xen/include/public/elfnote.h) that Linux carries. */
#define VMLINUX_XEN_NOTE_GUEST_OS 6
#define VMLINUX_XEN_NOTE_PHYS32_ENTRY 18

/* More program headers than any kernel has (the Debian one has 5). */
#define VMLINUX_MAX_PHDRS 64

struct vmlinux {
	uint64_t entry;     /* e_entry: physical address of startup_64 */
	uint64_t start;     /* lowest physical byte of the PT_LOAD segments */
	uint64_t end;       /* first physical byte above them (end of .bss/.brk) */
	uint64_t pvh_entry; /* XEN_ELFNOTE_PHYS32_ENTRY, 0 if absent (not used to boot) */
	unsigned nload;     /* PT_LOAD segments */
};

/* Whether IMG is a Linux kernel ELF: a 64-bit little-endian x86-64 ELF
 * with a PT_NOTE segment holding a note named "Linux" (build salt, since
 * Linux 4.19) or a Xen GUEST_OS note saying "linux". 1 yes, 0 no. Never an
 * error: whatever it cannot read as such a note (note segment outside the
 * file, note running past its segment) just does not count, so every
 * other ELF (the project's test guests) is left to the plain ELF loader. */
int vmlinux_is_linux(const uint8_t *img, size_t len);

/* Check IMG (LEN bytes: the file's size, though a vmlinux read lazily
 * holds only its headers and notes) as a kernel to load at its physical
 * addresses: header, program headers, the section header table and every
 * PT_LOAD and PT_NOTE inside the file, PT_LOADs at or above 1 MiB (below
 * is warden's: zero page, command line, page tables, ACPI), below the
 * 3 GiB RAM hole, not overlapping, and the entry point inside an
 * executable segment's file bytes. A user error naming PATH on failure. */
int vmlinux_parse(const uint8_t *img, size_t len, const char *path, struct vmlinux *vm);

/* Copy the PT_LOAD segments (file bytes, then zeroes up to p_memsz) to
 * their physical addresses + SHIFT. Needs a successful vmlinux_parse of
 * IMG. The bytes come from IMG, or with FD >= 0 from that file (read
 * straight into guest memory; IMG then only needs the headers). */
int vmlinux_load_segments(struct guest_mem *mem, const uint8_t *img, size_t len, int fd,
			  uint64_t shift, const char *path);

/* Where the ELF ends in a file of LEN bytes: past its headers, program
 * headers, section header table and segments' file bytes. What a Linux
 * build appends after that is the kernel's relocation table (kaslr.h).
 * Needs only the ELF header and program headers in IMG. */
uint64_t vmlinux_elf_end(const uint8_t *img, size_t len);

/* The PT_LOADs' physical ranges to OUT (VMLINUX_MAX_PHDRS entries): where
 * relocation entries may point; how many. */
unsigned vmlinux_kernel_ranges(const uint8_t *img, size_t len, struct kaslr_range *out);

/* Read the parts of the ELF file FD (SIZE bytes) that vmlinux_is_linux and
 * vmlinux_parse look at, the ELF header, program headers and note
 * segments, to the same offsets of IMG (SIZE bytes, zeroed). 0, or -1 if
 * that cannot be done (not an x86-64 ELF64, a read error); no error is
 * recorded: the caller reads the whole file instead. */
int vmlinux_read_headers(int fd, uint8_t *img, size_t size);

#endif
