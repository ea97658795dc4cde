#include "boot/vmlinux.h"

#include <elf.h>
#include <string.h>

#include "boot/kaslr.h"
#include "core/layout.h"
#include "core/guest_mem.h"
#include "util/error.h"
#include "util/pread_parallel.h"

/* What the note segments say. */
struct notes {
	int linux_note; /* a "Linux" note, or Xen GUEST_OS "linux" */
	uint64_t pvh_entry;
};

static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* The ELF header if IMG is a 64-bit little-endian x86-64 ELF whose program
 * header table lies in the file, else 0. */
static int header_ok(const uint8_t *img, size_t len, Elf64_Ehdr *eh)
{
	if (len < sizeof(*eh) || memcmp(img, ELFMAG, SELFMAG) != 0 ||
	    img[EI_CLASS] != ELFCLASS64 || img[EI_DATA] != ELFDATA2LSB)
		return 0;
	memcpy(eh, img, sizeof(*eh));
	return eh->e_machine == EM_X86_64 && eh->e_phentsize == sizeof(Elf64_Phdr) &&
	       eh->e_phnum <= VMLINUX_MAX_PHDRS && eh->e_phoff <= len &&
	       (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) <= len - eh->e_phoff;
}

static Elf64_Phdr phdr(const uint8_t *img, const Elf64_Ehdr *eh, unsigned i)
{
	Elf64_Phdr ph;

	memcpy(&ph, img + eh->e_phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
	return ph;
}

static void note_seen(struct notes *n, const uint8_t *name, uint32_t namesz, uint32_t type,
		      const uint8_t *desc, uint32_t descsz)
{
	if (namesz == sizeof("Linux") && memcmp(name, "Linux", sizeof("Linux")) == 0)
		n->linux_note = 1;
	if (namesz != sizeof("Xen") || memcmp(name, "Xen", sizeof("Xen")) != 0)
		return;
	if (type == VMLINUX_XEN_NOTE_GUEST_OS && descsz >= 5 && memcmp(desc, "linux", 5) == 0)
		n->linux_note = 1;
	/* A 32-bit physical address, whatever width the kernel stored it in. */
	if (type == VMLINUX_XEN_NOTE_PHYS32_ENTRY && descsz >= 4)
		n->pvh_entry = rd32(desc);
}

/* Walk the notes in SEG (N bytes, entries padded to ALIGN); stops at the
 * first note that does not fit. Sizes are 32-bit, sums are done in 64. */
static void scan_segment(struct notes *n, const uint8_t *seg, uint64_t size, uint64_t align)
{
	uint64_t off = 0;

	while (size - off >= 12) {
		uint32_t namesz = rd32(seg + off), descsz = rd32(seg + off + 4), type = rd32(seg + off + 8);
		uint64_t name = off + 12;
		uint64_t desc = name + align_up(namesz, align);

		if (desc > size || descsz > size - desc)
			return;
		note_seen(n, seg + name, namesz, type, seg + desc, descsz);
		off = desc + align_up(descsz, align);
		if (off > size)
			return;
	}
}

static void scan_notes(const uint8_t *img, size_t len, const Elf64_Ehdr *eh, struct notes *n)
{
	memset(n, 0, sizeof(*n));
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph = phdr(img, eh, i);

		if (ph.p_type != PT_NOTE || ph.p_offset > len || ph.p_filesz > len - ph.p_offset)
			continue;
		/* Linux pads its notes to 4 bytes; the gABI allows 8. */
		scan_segment(n, img + ph.p_offset, ph.p_filesz, ph.p_align == 8 ? 8 : 4);
	}
}

int vmlinux_is_linux(const uint8_t *img, size_t len)
{
	Elf64_Ehdr eh;
	struct notes n;

	if (!header_ok(img, len, &eh))
		return 0;
	scan_notes(img, len, &eh, &n);
	return n.linux_note;
}

/* One PT_LOAD of a kernel: in the file, in low RAM above 1 MiB. */
static int check_segment(const Elf64_Phdr *ph, size_t len, const char *path)
{
	if (ph->p_filesz > ph->p_memsz || ph->p_offset > len || ph->p_filesz > len - ph->p_offset)
		return fail(ERR_USAGE, "%s: ELF segment outside the file", path);
	if (ph->p_paddr < LAYOUT_HIGH_MEM_START)
		return fail(ERR_USAGE, "%s: kernel segment at 0x%llx is below 1 MiB (warden's boot data lives there)",
			    path, (unsigned long long)ph->p_paddr);
	if (ph->p_memsz > GMEM_HOLE_START || ph->p_paddr > GMEM_HOLE_START - ph->p_memsz)
		return fail(ERR_USAGE, "%s: kernel segment at 0x%llx+0x%llx does not end below 3 GiB",
			    path, (unsigned long long)ph->p_paddr, (unsigned long long)ph->p_memsz);
	return 0;
}

/* Segments may not overlap (a later one would overwrite an earlier one). */
static int check_overlaps(const uint8_t *img, const Elf64_Ehdr *eh, const char *path)
{
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr a = phdr(img, eh, i);

		if (a.p_type != PT_LOAD || a.p_memsz == 0)
			continue;
		for (unsigned j = i + 1; j < eh->e_phnum; j++) {
			Elf64_Phdr b = phdr(img, eh, j);

			if (b.p_type == PT_LOAD && b.p_memsz && a.p_paddr < b.p_paddr + b.p_memsz &&
			    b.p_paddr < a.p_paddr + a.p_memsz)
				return fail(ERR_USAGE, "%s: ELF segments at 0x%llx and 0x%llx overlap", path,
					    (unsigned long long)a.p_paddr, (unsigned long long)b.p_paddr);
		}
	}
	return 0;
}

/* PT_LOADs checked and summed up in VM; the entry is not checked yet. */
static int check_segments(const uint8_t *img, size_t len, const Elf64_Ehdr *eh, const char *path,
			  struct vmlinux *vm)
{
	vm->start = UINT64_MAX;
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph = phdr(img, eh, i);

		/* Notes are read (the PVH entry), so they must be there too. */
		if (ph.p_type == PT_NOTE && (ph.p_offset > len || ph.p_filesz > len - ph.p_offset))
			return fail(ERR_USAGE, "%s: ELF note segment outside the file", path);
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		if (check_segment(&ph, len, path) < 0)
			return -1;
		vm->nload++;
		if (ph.p_paddr < vm->start)
			vm->start = ph.p_paddr;
		if (ph.p_paddr + ph.p_memsz > vm->end)
			vm->end = ph.p_paddr + ph.p_memsz;
		if ((ph.p_flags & PF_X) && eh->e_entry >= ph.p_paddr && eh->e_entry - ph.p_paddr < ph.p_filesz)
			vm->entry = eh->e_entry;
	}
	if (vm->nload == 0)
		return fail(ERR_USAGE, "%s: ELF kernel has no loadable segment", path);
	return check_overlaps(img, eh, path);
}

int vmlinux_parse(const uint8_t *img, size_t len, const char *path, struct vmlinux *vm)
{
	Elf64_Ehdr eh;
	struct notes n;

	memset(vm, 0, sizeof(*vm));
	if (len >= sizeof(eh))
		memcpy(&eh, img, sizeof(eh));
	if (len < sizeof(eh) || memcmp(img, ELFMAG, SELFMAG) != 0 || img[EI_CLASS] != ELFCLASS64 ||
	    img[EI_DATA] != ELFDATA2LSB || eh.e_machine != EM_X86_64)
		return fail(ERR_USAGE, "%s is not a 64-bit little-endian x86-64 ELF", path);
	if (!header_ok(img, len, &eh))
		return fail(ERR_USAGE, "%s: bad ELF program headers", path);
	if (eh.e_type != ET_EXEC)
		return fail(ERR_USAGE, "%s: a Linux vmlinux must be an executable ELF (ET_EXEC)", path);
	/* The section header table is not loaded, but where it ends is where
	 * the relocation table begins (vmlinux_elf_end): a file cut inside it
	 * would have KASLR read its table from the wrong bytes. */
	if (eh.e_shoff > len || (uint64_t)eh.e_shnum * eh.e_shentsize > len - eh.e_shoff)
		return fail(ERR_USAGE, "%s: ELF section header table outside the file (is the file cut short?)",
			    path);
	if (check_segments(img, len, &eh, path, vm) < 0)
		return -1;
	/* startup_64 must be code the loader put there, not bss. (0 cannot
	 * be a real entry: segments start at 1 MiB or above.) */
	if (vm->entry == 0)
		return fail(ERR_USAGE, "%s: entry point 0x%llx is not in an executable segment",
			    path, (unsigned long long)eh.e_entry);
	scan_notes(img, len, &eh, &n);
	vm->pvh_entry = n.pvh_entry;
	return 0;
}

/* Where each PT_LOAD's file bytes go in guest memory (its physical
 * address + SHIFT); the bytes past p_filesz are zeroed here. The number of
 * parts, or -1. */
static int plan_segments(struct guest_mem *mem, const uint8_t *img, size_t len, uint64_t shift,
			 const char *path, struct pread_part *parts)
{
	Elf64_Ehdr eh;
	int n = 0;

	if (!header_ok(img, len, &eh))
		return fail(ERR_USAGE, "%s: bad ELF program headers", path);
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph = phdr(img, &eh, i);
		uint8_t *dst;

		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		if (ph.p_filesz > ph.p_memsz || ph.p_offset > len || ph.p_filesz > len - ph.p_offset)
			return fail(ERR_USAGE, "%s: ELF segment outside the file", path);
		dst = gmem_ptr(mem, ph.p_paddr + shift, ph.p_memsz);
		if (!dst)
			return fail(ERR_USAGE, "%s: kernel segment at 0x%llx+0x%llx is outside guest memory",
				    path, (unsigned long long)(ph.p_paddr + shift), (unsigned long long)ph.p_memsz);
		memset(dst + ph.p_filesz, 0, ph.p_memsz - ph.p_filesz);
		parts[n++] = (struct pread_part){ .dst = dst, .off = ph.p_offset, .len = ph.p_filesz };
	}
	return n;
}

int vmlinux_load_segments(struct guest_mem *mem, const uint8_t *img, size_t len, int fd,
			  uint64_t shift, const char *path)
{
	struct pread_part parts[VMLINUX_MAX_PHDRS];
	int n = plan_segments(mem, img, len, shift, path, parts);

	if (n < 0)
		return -1;
	if (fd < 0) {
		for (int i = 0; i < n; i++)
			memcpy(parts[i].dst, img + parts[i].off, parts[i].len);
		return 0;
	}
	/* Straight from the file into guest memory, on as many CPUs as the
	 * host has idle before the guest starts. */
	return pread_parallel_load(fd, parts, (unsigned)n, "kernel", path);
}

int vmlinux_read_headers(int fd, uint8_t *img, size_t size)
{
	Elf64_Ehdr eh;

	if (size < sizeof(eh) || pread_full(fd, img, sizeof(eh), 0) < 0 ||
	    memcmp(img, ELFMAG, SELFMAG) != 0 || img[EI_CLASS] != ELFCLASS64)
		return -1;
	memcpy(&eh, img, sizeof(eh));
	if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum > VMLINUX_MAX_PHDRS ||
	    eh.e_phoff > size || (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr) > size - eh.e_phoff ||
	    pread_full(fd, img + eh.e_phoff, (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr), eh.e_phoff) < 0)
		return -1;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph = phdr(img, &eh, i);

		if (ph.p_type != PT_NOTE || ph.p_offset > size || ph.p_filesz > size - ph.p_offset)
			continue;
		if (pread_full(fd, img + ph.p_offset, ph.p_filesz, ph.p_offset) < 0)
			return -1;
	}
	return 0;
}

uint64_t vmlinux_elf_end(const uint8_t *img, size_t len)
{
	Elf64_Ehdr eh;
	uint64_t end;

	if (!header_ok(img, len, &eh))
		return len;
	end = eh.e_phoff + (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr);
	if (eh.e_shoff <= len && (uint64_t)eh.e_shnum * eh.e_shentsize <= len - eh.e_shoff &&
	    eh.e_shoff + (uint64_t)eh.e_shnum * eh.e_shentsize > end)
		end = eh.e_shoff + (uint64_t)eh.e_shnum * eh.e_shentsize;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph = phdr(img, &eh, i);

		if (ph.p_offset <= len && ph.p_filesz <= len - ph.p_offset && ph.p_offset + ph.p_filesz > end)
			end = ph.p_offset + ph.p_filesz;
	}
	return end;
}

unsigned vmlinux_kernel_ranges(const uint8_t *img, size_t len, struct kaslr_range *out)
{
	Elf64_Ehdr eh;
	unsigned n = 0;

	if (!header_ok(img, len, &eh))
		return 0;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph = phdr(img, &eh, i);

		if (ph.p_type == PT_LOAD && ph.p_memsz)
			out[n++] = (struct kaslr_range){ .paddr = ph.p_paddr, .memsz = ph.p_memsz };
	}
	return n;
}
