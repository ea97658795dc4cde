#include "boot/elf.h"

#include <elf.h>
#include <string.h>

#include "boot/boot_entry.h"
#include "core/layout.h"
#include "core/guest_mem.h"
#include "util/error.h"

int elf_looks_like(const uint8_t *img, size_t len)
{
	return len >= EI_NIDENT && memcmp(img, ELFMAG, SELFMAG) == 0;
}

/* One PT_LOAD segment: file bytes, then zeroes up to memsz. */
static int load_segment(struct guest_mem *mem, const uint8_t *img, size_t len, const char *path,
			uint64_t off, uint64_t filesz, uint64_t paddr, uint64_t memsz)
{
	uint8_t *dst;

	if (filesz > memsz || off > len || filesz > len - off)
		return fail(ERR_USAGE, "%s: ELF segment outside the file", path);
	dst = gmem_ptr(mem, paddr, memsz);
	if (!dst)
		return fail(ERR_USAGE, "%s: ELF segment at 0x%llx+0x%llx is outside guest memory",
			    path, (unsigned long long)paddr, (unsigned long long)memsz);
	memcpy(dst, img + off, filesz);
	memset(dst + filesz, 0, memsz - filesz);
	return 0;
}

/* The vCPU starts at ENTRY: it must be guest RAM, or it would start in
 * nothing at all. */
static int check_entry(const struct guest_mem *mem, const char *path, uint64_t entry)
{
	if (!gmem_ptr(mem, entry, 1))
		return fail(ERR_USAGE, "%s: ELF entry point 0x%llx is outside guest memory", path,
			    (unsigned long long)entry);
	return 0;
}

static int load64(struct guest_mem *mem, const uint8_t *img, size_t len, const char *path,
		  struct boot_entry *entry)
{
	Elf64_Ehdr eh;

	memcpy(&eh, img, sizeof(eh));
	if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phoff > len ||
	    (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr) > len - eh.e_phoff)
		return fail(ERR_USAGE, "%s: bad ELF program headers", path);
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, img + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type == PT_LOAD &&
		    load_segment(mem, img, len, path, ph.p_offset, ph.p_filesz, ph.p_paddr, ph.p_memsz) < 0)
			return -1;
	}
	if (check_entry(mem, path, eh.e_entry) < 0)
		return -1;
	*entry = (struct boot_entry){ .mode = BOOT_MODE_LONG64, .rip = eh.e_entry,
				      .rsp = LAYOUT_ZERO_PAGE };
	return 0;
}

static int load32(struct guest_mem *mem, const uint8_t *img, size_t len, const char *path,
		  struct boot_entry *entry)
{
	Elf32_Ehdr eh;

	memcpy(&eh, img, sizeof(eh));
	if (eh.e_phentsize != sizeof(Elf32_Phdr) || eh.e_phoff > len ||
	    (uint64_t)eh.e_phnum * sizeof(Elf32_Phdr) > len - eh.e_phoff)
		return fail(ERR_USAGE, "%s: bad ELF program headers", path);
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf32_Phdr ph;
		memcpy(&ph, img + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type == PT_LOAD &&
		    load_segment(mem, img, len, path, ph.p_offset, ph.p_filesz, ph.p_paddr, ph.p_memsz) < 0)
			return -1;
	}
	if (check_entry(mem, path, eh.e_entry) < 0)
		return -1;
	*entry = (struct boot_entry){ .mode = BOOT_MODE_PROT32, .rip = eh.e_entry,
				      .rsp = LAYOUT_ZERO_PAGE };
	return 0;
}

uint64_t elf_load_end(const uint8_t *img, size_t len)
{
	uint64_t end = 0;
	Elf32_Ehdr eh;

	if (len < sizeof(Elf64_Ehdr) || !elf_looks_like(img, len))
		return 0;
	memcpy(&eh, img, sizeof(eh));
	if (img[EI_CLASS] == ELFCLASS32) {
		if (eh.e_phentsize != sizeof(Elf32_Phdr) || eh.e_phoff > len ||
		    (uint64_t)eh.e_phnum * sizeof(Elf32_Phdr) > len - eh.e_phoff)
			return 0;
		for (unsigned i = 0; i < eh.e_phnum; i++) {
			Elf32_Phdr ph;

			memcpy(&ph, img + eh.e_phoff + i * sizeof(ph), sizeof(ph));
			if (ph.p_type == PT_LOAD && (uint64_t)ph.p_paddr + ph.p_memsz > end)
				end = (uint64_t)ph.p_paddr + ph.p_memsz;
		}
	} else {
		Elf64_Ehdr e;

		memcpy(&e, img, sizeof(e));
		if (e.e_phentsize != sizeof(Elf64_Phdr) || e.e_phoff > len ||
		    (uint64_t)e.e_phnum * sizeof(Elf64_Phdr) > len - e.e_phoff)
			return 0;
		for (unsigned i = 0; i < e.e_phnum; i++) {
			Elf64_Phdr ph;

			memcpy(&ph, img + e.e_phoff + i * sizeof(ph), sizeof(ph));
			if (ph.p_type == PT_LOAD && ph.p_paddr + ph.p_memsz >= ph.p_paddr &&
			    ph.p_paddr + ph.p_memsz > end)
				end = ph.p_paddr + ph.p_memsz;
		}
	}
	return end;
}

int elf_load(struct guest_mem *mem, const uint8_t *img, size_t len, const char *path,
	     struct boot_entry *entry)
{
	if (!elf_looks_like(img, len))
		return fail(ERR_USAGE, "%s is not an ELF file", path);
	if (img[EI_DATA] != ELFDATA2LSB)
		return fail(ERR_USAGE, "%s: not a little-endian ELF", path);
	if (img[EI_CLASS] == ELFCLASS64 && len >= sizeof(Elf64_Ehdr)) {
		if (((const Elf64_Ehdr *)(const void *)img)->e_machine != EM_X86_64)
			return fail(ERR_USAGE, "%s: not an x86-64 ELF", path);
		return load64(mem, img, len, path, entry);
	}
	if (img[EI_CLASS] == ELFCLASS32 && len >= sizeof(Elf32_Ehdr)) {
		if (((const Elf32_Ehdr *)(const void *)img)->e_machine != EM_386)
			return fail(ERR_USAGE, "%s: not an i386 ELF", path);
		return load32(mem, img, len, path, entry);
	}
	return fail(ERR_USAGE, "%s: truncated ELF header", path);
}

int flat_load(struct guest_mem *mem, const uint8_t *img, size_t len, const char *path,
	      struct boot_entry *entry)
{
	uint8_t *dst;

	/* Real mode reaches 1 MiB; keep clear of the EBDA and BIOS area. */
	if (len == 0 || len > LAYOUT_EBDA_START - LAYOUT_FLAT_LOAD)
		return fail(ERR_USAGE, "%s: a flat binary must be 1 to %u bytes", path,
			    LAYOUT_EBDA_START - LAYOUT_FLAT_LOAD);
	dst = gmem_ptr(mem, LAYOUT_FLAT_LOAD, len);
	if (!dst)
		return fail(ERR_USAGE, "guest memory too small for %s", path);
	memcpy(dst, img, len);
	*entry = (struct boot_entry){ .mode = BOOT_MODE_REAL16, .rip = LAYOUT_FLAT_LOAD,
				      .rsp = LAYOUT_FLAT_LOAD };
	return 0;
}
