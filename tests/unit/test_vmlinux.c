/* Linux vmlinux recognition, checking and loading (src/boot/vmlinux.c,
 * linux_load_vmlinux in src/boot/linux.c, boot_is_linux in loader.c). */
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "boot/boot_entry.h"
#include "boot/bzimage.h"
#include "boot/e820.h"
#include "boot/kaslr.h"
#include "core/layout.h"
#include "boot/linux.h"
#include "boot/loader.h"
#include "boot/vmlinux.h"
#include "core/guest_mem.h"
#include "unit.h"

#define MEM_SIZE (64 * GMEM_MIB)
#define PAGE 4096ULL
#define RSDP 0xe0000ULL

/* The synthetic vmlinux: text (with startup_64 at its start) and data +
 * bss, like a real one at 16 MiB, and a note segment. */
#define NOTE_OFF 0x400
#define TEXT_OFF 0x1000
#define TEXT_LEN 0x800
#define TEXT_PADDR 0x1000000ULL
#define DATA_OFF 0x1800
#define DATA_FILESZ 0x200
#define DATA_MEMSZ 0x3000
#define DATA_PADDR 0x1200000ULL
#define KERNEL_END (DATA_PADDR + DATA_MEMSZ)
#define ENTRY TEXT_PADDR
#define PVH_ENTRY 0x1000850u
#define IMG_LEN (DATA_OFF + DATA_FILESZ + 0x100) /* + trailing "relocs" */
#define PH_TEXT 0
#define PH_DATA 1
#define PH_NOTE 2

/* Which notes the image carries. */
enum {
	N_LINUX = 1,     /* "Linux" build salt note */
	N_XEN_LINUX = 2, /* Xen GUEST_OS "linux" */
	N_XEN_OTHER = 4, /* Xen GUEST_OS "NetBSD" */
	N_GNU = 8,       /* GNU build id */
	N_PVH = 16,      /* Xen PHYS32_ENTRY */
};

struct fx {
	struct guest_mem mem;
	uint8_t *img;
	struct linux_boot lb;
	struct boot_entry entry;
};

static uint8_t text_byte(unsigned i) { return (uint8_t)(0x90 + i * 5); }
static uint8_t data_byte(unsigned i) { return (uint8_t)(0x31 + i * 3); }

static size_t put_note(uint8_t *p, const char *name, uint32_t type, const void *desc, uint32_t descsz)
{
	uint32_t namesz = (uint32_t)strlen(name) + 1;
	size_t off = 12;

	u_wr32(p, namesz);
	u_wr32(p + 4, descsz);
	u_wr32(p + 8, type);
	memcpy(p + off, name, namesz);
	off += (namesz + 3) & ~3u;
	memcpy(p + off, desc, descsz);
	off += (descsz + 3) & ~3u;
	return off;
}

static size_t put_notes(uint8_t *p, unsigned which)
{
	static const uint8_t build_id[20] = { 0x3b, 0x43, 0xfa };
	uint64_t pvh = PVH_ENTRY;
	uint32_t salt = 0;
	size_t n = 0;

	if (which & N_XEN_LINUX)
		n += put_note(p + n, "Xen", VMLINUX_XEN_NOTE_GUEST_OS, "linux", 6);
	if (which & N_XEN_OTHER)
		n += put_note(p + n, "Xen", VMLINUX_XEN_NOTE_GUEST_OS, "NetBSD", 7);
	if (which & N_GNU)
		n += put_note(p + n, "GNU", NT_GNU_BUILD_ID, build_id, sizeof(build_id));
	if (which & N_LINUX)
		n += put_note(p + n, "Linux", 0x100, &salt, 4);
	if (which & N_PVH)
		n += put_note(p + n, "Xen", VMLINUX_XEN_NOTE_PHYS32_ENTRY, &pvh, 8);
	return n;
}

static Elf64_Ehdr *eh(uint8_t *img) { return (Elf64_Ehdr *)(void *)img; }
static Elf64_Phdr *ph(uint8_t *img, unsigned i)
{
	return (Elf64_Phdr *)(void *)(img + sizeof(Elf64_Ehdr) + i * sizeof(Elf64_Phdr));
}

static void build(uint8_t *img, unsigned notes)
{
	Elf64_Ehdr h = { 0 };
	Elf64_Phdr p[3] = { 0 };
	size_t nlen;

	memset(img, 0, IMG_LEN);
	memcpy(h.e_ident, ELFMAG, SELFMAG);
	h.e_ident[EI_CLASS] = ELFCLASS64;
	h.e_ident[EI_DATA] = ELFDATA2LSB;
	h.e_ident[EI_VERSION] = EV_CURRENT;
	h.e_type = ET_EXEC;
	h.e_machine = EM_X86_64;
	h.e_version = EV_CURRENT;
	h.e_entry = ENTRY;
	h.e_phoff = sizeof(h);
	h.e_ehsize = sizeof(h);
	h.e_phentsize = sizeof(Elf64_Phdr);
	h.e_phnum = 3;
	nlen = put_notes(img + NOTE_OFF, notes);
	p[PH_TEXT] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = TEXT_OFF,
				   .p_vaddr = 0xffffffff81000000ULL, .p_paddr = TEXT_PADDR,
				   .p_filesz = TEXT_LEN, .p_memsz = TEXT_LEN, .p_align = 0x200000 };
	p[PH_DATA] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_W, .p_offset = DATA_OFF,
				   .p_vaddr = 0xffffffff81200000ULL, .p_paddr = DATA_PADDR,
				   .p_filesz = DATA_FILESZ, .p_memsz = DATA_MEMSZ, .p_align = 0x200000 };
	p[PH_NOTE] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_flags = PF_R, .p_offset = NOTE_OFF,
				   .p_paddr = TEXT_PADDR + NOTE_OFF, .p_filesz = nlen, .p_memsz = nlen,
				   .p_align = 4 };
	memcpy(img, &h, sizeof(h));
	memcpy(img + sizeof(h), p, sizeof(p));
	for (unsigned i = 0; i < TEXT_LEN; i++)
		img[TEXT_OFF + i] = text_byte(i);
	for (unsigned i = 0; i < DATA_FILESZ; i++)
		img[DATA_OFF + i] = data_byte(i);
	memset(img + DATA_OFF + DATA_FILESZ, 0x77, IMG_LEN - DATA_OFF - DATA_FILESZ);
}

#define ALL_NOTES (N_XEN_LINUX | N_GNU | N_LINUX | N_PVH)

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->mem.map = malloc(MEM_SIZE);
	f->img = malloc(IMG_LEN);
	if (!f->mem.map || !f->img)
		return -1;
	/* Garbage everywhere, so that zeroing (bss, zero page) is visible. */
	memset(f->mem.map, 0xcc, MEM_SIZE);
	f->mem.map_len = MEM_SIZE;
	gmem_layout(&f->mem, MEM_SIZE);
	build(f->img, ALL_NOTES);
	f->lb = (struct linux_boot){
		.kernel = f->img, .kernel_len = IMG_LEN, .kernel_path = "vmlinux",
		.cmdline = "console=ttyS0 quiet", .rsdp = RSDP,
	};
	memset(&f->entry, 0xee, sizeof(f->entry));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	free(f->mem.map);
	free(f->img);
	free(f);
	return 0;
}

/* A refusal: status -1, a user error containing SUBSTR, on one line. */
#define assert_refused(call, substr)                                           \
	do {                                                                   \
		assert_user_error(call, substr);                               \
		assert_null(strchr(err_msg(), '\n'));                          \
	} while (0)

/* --- recognition --- */

static void test_is_linux_by_notes(void **state)
{
	struct fx *f = *state;

	assert_int_equal(vmlinux_is_linux(f->img, IMG_LEN), 1);
	build(f->img, N_LINUX);
	assert_int_equal(vmlinux_is_linux(f->img, IMG_LEN), 1);
	build(f->img, N_XEN_LINUX);
	assert_int_equal(vmlinux_is_linux(f->img, IMG_LEN), 1);
	/* Linux note after others. */
	build(f->img, N_GNU | N_PVH | N_LINUX);
	assert_int_equal(vmlinux_is_linux(f->img, IMG_LEN), 1);
}

static void test_not_linux(void **state)
{
	struct fx *f = *state;

	/* Notes of other systems, or none: a plain ELF (like the test guests). */
	build(f->img, N_GNU);
	assert_int_equal(vmlinux_is_linux(f->img, IMG_LEN), 0);
	build(f->img, N_XEN_OTHER | N_PVH);
	assert_int_equal(vmlinux_is_linux(f->img, IMG_LEN), 0);
	build(f->img, 0);
	assert_int_equal(vmlinux_is_linux(f->img, IMG_LEN), 0);
	build(f->img, ALL_NOTES);
	ph(f->img, PH_NOTE)->p_type = PT_NULL;
	assert_int_equal(vmlinux_is_linux(f->img, IMG_LEN), 0);
	/* Linux notes, but not an x86-64 ELF64. */
	build(f->img, ALL_NOTES);
	eh(f->img)->e_machine = EM_AARCH64;
	assert_int_equal(vmlinux_is_linux(f->img, IMG_LEN), 0);
	build(f->img, ALL_NOTES);
	f->img[EI_CLASS] = ELFCLASS32;
	assert_int_equal(vmlinux_is_linux(f->img, IMG_LEN), 0);
	build(f->img, ALL_NOTES);
	f->img[EI_DATA] = ELFDATA2MSB;
	assert_int_equal(vmlinux_is_linux(f->img, IMG_LEN), 0);
	build(f->img, ALL_NOTES);
	f->img[0] = 'M';
	assert_int_equal(vmlinux_is_linux(f->img, IMG_LEN), 0);
	/* A name that only starts like Linux's. */
	build(f->img, N_LINUX);
	u_wr32(f->img + NOTE_OFF, 5); /* "Linu" + NUL would be namesz 5 */
	assert_int_equal(vmlinux_is_linux(f->img, IMG_LEN), 0);
}

/* Every prefix of the image, in a buffer of exactly that size, so that
 * AddressSanitizer sees any read past the end. */
static void test_is_linux_truncated(void **state)
{
	struct fx *f = *state;
	size_t note_end = NOTE_OFF + ph(f->img, PH_NOTE)->p_filesz;

	for (size_t len = 0; len <= IMG_LEN; len++) {
		uint8_t *p = malloc(len ? len : 1);
		int r;

		assert_non_null(p);
		memcpy(p, f->img, len);
		r = vmlinux_is_linux(p, len);
		/* Only once the whole note segment is in the file. */
		assert_int_equal(r, len >= note_end);
		free(p);
	}
}

static void test_is_linux_malformed_notes(void **state)
{
	struct fx *f = *state;

	/* namesz running past the segment: the Linux note after it is lost. */
	build(f->img, N_GNU | N_LINUX);
	u_wr32(f->img + NOTE_OFF, 0xfffffff0u);
	assert_int_equal(vmlinux_is_linux(f->img, IMG_LEN), 0);
	/* descsz so large that offsets would wrap in 32 bits. */
	build(f->img, N_GNU | N_LINUX);
	u_wr32(f->img + NOTE_OFF + 4, 0xffffffffu);
	assert_int_equal(vmlinux_is_linux(f->img, IMG_LEN), 0);
	/* Note segment outside the file, or wrapping. */
	build(f->img, ALL_NOTES);
	ph(f->img, PH_NOTE)->p_offset = IMG_LEN + 1;
	assert_int_equal(vmlinux_is_linux(f->img, IMG_LEN), 0);
	build(f->img, ALL_NOTES);
	ph(f->img, PH_NOTE)->p_filesz = UINT64_MAX;
	assert_int_equal(vmlinux_is_linux(f->img, IMG_LEN), 0);
	/* A Linux note cut short by the segment size. */
	build(f->img, N_LINUX);
	ph(f->img, PH_NOTE)->p_filesz = 12 + 8 + 2;
	assert_int_equal(vmlinux_is_linux(f->img, IMG_LEN), 0);
	/* Program header table outside the file, or too many entries. */
	build(f->img, ALL_NOTES);
	eh(f->img)->e_phoff = IMG_LEN - 8;
	assert_int_equal(vmlinux_is_linux(f->img, IMG_LEN), 0);
	build(f->img, ALL_NOTES);
	eh(f->img)->e_phnum = VMLINUX_MAX_PHDRS + 1;
	assert_int_equal(vmlinux_is_linux(f->img, IMG_LEN), 0);
	/* 8-byte note alignment is read as such. */
	build(f->img, N_LINUX);
	ph(f->img, PH_NOTE)->p_align = 8;
	assert_int_equal(vmlinux_is_linux(f->img, IMG_LEN), 1);
}

/* --- vmlinux_parse --- */

static void test_parse(void **state)
{
	struct fx *f = *state;
	struct vmlinux vm;

	assert_int_equal(vmlinux_parse(f->img, IMG_LEN, "vmlinux", &vm), 0);
	assert_int_equal(vm.entry, ENTRY);
	assert_int_equal(vm.start, TEXT_PADDR);
	assert_int_equal(vm.end, KERNEL_END);
	assert_int_equal(vm.pvh_entry, PVH_ENTRY);
	assert_int_equal(vm.nload, 2);
	/* Entry point later in the text. */
	eh(f->img)->e_entry = TEXT_PADDR + TEXT_LEN - 1;
	assert_int_equal(vmlinux_parse(f->img, IMG_LEN, "vmlinux", &vm), 0);
	assert_int_equal(vm.entry, TEXT_PADDR + TEXT_LEN - 1);
	/* Zero-sized PT_LOADs carry nothing and are ignored. */
	ph(f->img, PH_NOTE)->p_type = PT_LOAD;
	ph(f->img, PH_NOTE)->p_memsz = ph(f->img, PH_NOTE)->p_filesz = 0;
	ph(f->img, PH_NOTE)->p_paddr = 0;
	assert_int_equal(vmlinux_parse(f->img, IMG_LEN, "vmlinux", &vm), 0);
	assert_int_equal(vm.nload, 2);
}

static void test_parse_bad_header(void **state)
{
	struct fx *f = *state;
	struct vmlinux vm;

	assert_refused(vmlinux_parse(f->img, sizeof(Elf64_Ehdr) - 1, "short", &vm), "short is not a 64-bit");
	f->img[EI_CLASS] = ELFCLASS32;
	assert_refused(vmlinux_parse(f->img, IMG_LEN, "vmlinux", &vm), "not a 64-bit little-endian x86-64 ELF");
	build(f->img, ALL_NOTES);
	eh(f->img)->e_machine = EM_386;
	assert_refused(vmlinux_parse(f->img, IMG_LEN, "vmlinux", &vm), "x86-64");
	build(f->img, ALL_NOTES);
	eh(f->img)->e_type = ET_DYN;
	assert_refused(vmlinux_parse(f->img, IMG_LEN, "vmlinux", &vm), "ET_EXEC");
	build(f->img, ALL_NOTES);
	eh(f->img)->e_phentsize = 32;
	assert_refused(vmlinux_parse(f->img, IMG_LEN, "vmlinux", &vm), "bad ELF program headers");
	build(f->img, ALL_NOTES);
	eh(f->img)->e_phoff = UINT64_MAX;
	assert_refused(vmlinux_parse(f->img, IMG_LEN, "vmlinux", &vm), "bad ELF program headers");
	build(f->img, ALL_NOTES);
	eh(f->img)->e_phnum = 0xffff;
	assert_refused(vmlinux_parse(f->img, IMG_LEN, "vmlinux", &vm), "bad ELF program headers");
}

static void test_parse_bad_segments(void **state)
{
	struct fx *f = *state;
	struct vmlinux vm;

	ph(f->img, PH_DATA)->p_offset = IMG_LEN - DATA_FILESZ + 1;
	assert_refused(vmlinux_parse(f->img, IMG_LEN, "vmlinux", &vm), "vmlinux: ELF segment outside the file");
	build(f->img, ALL_NOTES);
	ph(f->img, PH_DATA)->p_offset = UINT64_MAX - 8; /* offset + filesz wraps */
	assert_refused(vmlinux_parse(f->img, IMG_LEN, "vmlinux", &vm), "outside the file");
	build(f->img, ALL_NOTES);
	ph(f->img, PH_TEXT)->p_memsz = TEXT_LEN - 1; /* filesz > memsz */
	assert_refused(vmlinux_parse(f->img, IMG_LEN, "vmlinux", &vm), "outside the file");
	build(f->img, ALL_NOTES);
	ph(f->img, PH_DATA)->p_paddr = LAYOUT_ZERO_PAGE; /* over warden's boot data */
	assert_refused(vmlinux_parse(f->img, IMG_LEN, "vmlinux", &vm), "below 1 MiB");
	build(f->img, ALL_NOTES);
	ph(f->img, PH_DATA)->p_paddr = GMEM_HOLE_START - DATA_MEMSZ + 1; /* into the MMIO hole */
	assert_refused(vmlinux_parse(f->img, IMG_LEN, "vmlinux", &vm), "below 3 GiB");
	build(f->img, ALL_NOTES);
	ph(f->img, PH_DATA)->p_paddr = UINT64_MAX - 0x1000; /* paddr + memsz wraps */
	assert_refused(vmlinux_parse(f->img, IMG_LEN, "vmlinux", &vm), "below 3 GiB");
	build(f->img, ALL_NOTES);
	ph(f->img, PH_DATA)->p_memsz = UINT64_MAX;
	assert_refused(vmlinux_parse(f->img, IMG_LEN, "vmlinux", &vm), "below 3 GiB");
	build(f->img, ALL_NOTES);
	ph(f->img, PH_DATA)->p_paddr = TEXT_PADDR + TEXT_LEN - 1; /* last text byte */
	assert_refused(vmlinux_parse(f->img, IMG_LEN, "vmlinux", &vm), "overlap");
	build(f->img, ALL_NOTES);
	ph(f->img, PH_TEXT)->p_type = PT_NULL;
	ph(f->img, PH_DATA)->p_type = PT_NOTE;
	assert_refused(vmlinux_parse(f->img, IMG_LEN, "vmlinux", &vm), "no loadable segment");
}

/* A PT_NOTE segment past the end of the file: refused by the parser
 * (is_linux only ignores it), also a second one after the Linux note. */
static void test_parse_note_outside_file(void **state)
{
	struct fx *f = *state;
	struct vmlinux vm;
	Elf64_Phdr extra;

	ph(f->img, PH_NOTE)->p_offset = IMG_LEN - ph(f->img, PH_NOTE)->p_filesz + 1;
	assert_refused(vmlinux_parse(f->img, IMG_LEN, "vmlinux", &vm), "vmlinux: ELF note segment outside the file");
	build(f->img, ALL_NOTES);
	ph(f->img, PH_NOTE)->p_offset = UINT64_MAX - 8; /* offset + filesz wraps */
	assert_refused(vmlinux_parse(f->img, IMG_LEN, "vmlinux", &vm), "note segment outside the file");
	build(f->img, ALL_NOTES);
	extra = *ph(f->img, PH_NOTE);
	extra.p_offset = IMG_LEN - 8;
	memcpy(ph(f->img, 3), &extra, sizeof(extra));
	eh(f->img)->e_phnum = 4;
	assert_int_equal(vmlinux_is_linux(f->img, IMG_LEN), 1);
	assert_refused(vmlinux_parse(f->img, IMG_LEN, "vmlinux", &vm), "note segment outside the file");
	/* Ending exactly at the end of the file is inside. */
	ph(f->img, 3)->p_filesz = 8;
	assert_int_equal(vmlinux_parse(f->img, IMG_LEN, "vmlinux", &vm), 0);
}

/* The section header table, where the relocation table begins, in the
 * file; a file cut anywhere before its end is refused by the parser,
 * which boot_is_linux runs before the host is even looked at. */
#define SH_OFF (DATA_OFF + DATA_FILESZ)
#define SH_NUM 2

static void test_parse_section_headers(void **state)
{
	struct fx *f = *state;
	struct vmlinux vm;

	eh(f->img)->e_shoff = SH_OFF;
	eh(f->img)->e_shnum = SH_NUM;
	eh(f->img)->e_shentsize = sizeof(Elf64_Shdr);
	assert_int_equal(vmlinux_parse(f->img, IMG_LEN, "vmlinux", &vm), 0);
	assert_int_equal(vmlinux_parse(f->img, SH_OFF + SH_NUM * sizeof(Elf64_Shdr), "vmlinux", &vm), 0);
	assert_refused(vmlinux_parse(f->img, SH_OFF + SH_NUM * sizeof(Elf64_Shdr) - 1, "vmlinux", &vm),
		       "vmlinux: ELF section header table outside the file (is the file cut short?)");
	eh(f->img)->e_shoff = IMG_LEN + 1;
	eh(f->img)->e_shnum = 0;
	assert_refused(vmlinux_parse(f->img, IMG_LEN, "vmlinux", &vm), "section header table outside");
	eh(f->img)->e_shoff = UINT64_MAX - 8; /* offset + size wraps */
	eh(f->img)->e_shnum = 1;
	assert_refused(vmlinux_parse(f->img, IMG_LEN, "vmlinux", &vm), "section header table outside");
	eh(f->img)->e_shoff = 0x40;
	eh(f->img)->e_shnum = 0xffff;
	eh(f->img)->e_shentsize = 0xffff; /* the product needs 64 bits */
	assert_refused(vmlinux_parse(f->img, IMG_LEN, "vmlinux", &vm), "section header table outside");
	/* None at all (a stripped ELF may have none): nothing to check. */
	eh(f->img)->e_shoff = 0;
	eh(f->img)->e_shnum = 0;
	assert_int_equal(vmlinux_parse(f->img, IMG_LEN, "vmlinux", &vm), 0);
}

/* Every prefix of a vmlinux with section headers, in a buffer of exactly
 * that size: refused up to the end of the ELF, for whatever reason. */
static void test_parse_truncated(void **state)
{
	struct fx *f = *state;
	size_t elf_end = SH_OFF + SH_NUM * sizeof(Elf64_Shdr);
	struct vmlinux vm;

	eh(f->img)->e_shoff = SH_OFF;
	eh(f->img)->e_shnum = SH_NUM;
	eh(f->img)->e_shentsize = sizeof(Elf64_Shdr);
	for (size_t len = 0; len <= IMG_LEN; len++) {
		uint8_t *p = malloc(len ? len : 1);

		assert_non_null(p);
		memcpy(p, f->img, len);
		err_clear();
		if (len < elf_end) {
			assert_refused(vmlinux_parse(p, len, "vmlinux", &vm), "vmlinux");
		} else {
			assert_int_equal(vmlinux_parse(p, len, "vmlinux", &vm), 0);
			assert_int_equal(vmlinux_elf_end(p, len), elf_end);
		}
		free(p);
	}
}

static void test_parse_bad_entry(void **state)
{
	struct fx *f = *state;
	struct vmlinux vm;

	eh(f->img)->e_entry = DATA_PADDR; /* not executable */
	assert_refused(vmlinux_parse(f->img, IMG_LEN, "vmlinux", &vm), "entry point 0x1200000");
	eh(f->img)->e_entry = TEXT_PADDR + TEXT_LEN; /* just past the text */
	assert_refused(vmlinux_parse(f->img, IMG_LEN, "vmlinux", &vm), "not in an executable segment");
	eh(f->img)->e_entry = 0xffffffff81000000ULL; /* virtual, not physical */
	assert_refused(vmlinux_parse(f->img, IMG_LEN, "vmlinux", &vm), "not in an executable segment");
	/* In an executable segment's bss: nothing the loader put there. */
	build(f->img, ALL_NOTES);
	ph(f->img, PH_DATA)->p_flags |= PF_X;
	eh(f->img)->e_entry = DATA_PADDR + DATA_FILESZ;
	assert_refused(vmlinux_parse(f->img, IMG_LEN, "vmlinux", &vm), "not in an executable segment");
	eh(f->img)->e_entry = DATA_PADDR + DATA_FILESZ - 1;
	assert_int_equal(vmlinux_parse(f->img, IMG_LEN, "vmlinux", &vm), 0);
}

/* vmlinux_load_segments checks each PT_LOAD against the file itself,
 * whoever calls it: nothing is copied from outside the file. */
static void test_load_segments_outside_file(void **state)
{
	struct fx *f = *state;

	ph(f->img, PH_DATA)->p_offset = IMG_LEN - DATA_FILESZ + 1;
	err_clear();
	assert_refused(vmlinux_load_segments(&f->mem, f->img, IMG_LEN, -1, 0, "vmlinux"),
		       "vmlinux: ELF segment outside the file");
	assert_int_equal(f->mem.map[DATA_PADDR], 0xcc);
	build(f->img, ALL_NOTES);
	ph(f->img, PH_TEXT)->p_filesz = UINT64_MAX; /* and p_memsz: offset + size wraps */
	ph(f->img, PH_TEXT)->p_memsz = UINT64_MAX;
	assert_refused(vmlinux_load_segments(&f->mem, f->img, IMG_LEN, -1, 0, "vmlinux"), "outside the file");
	assert_int_equal(f->mem.map[TEXT_PADDR], 0xcc);
}

/* Where the ELF ends (and the relocation table begins): never past the
 * file, whatever the headers say; tables outside it do not count. */
static void test_elf_end(void **state)
{
	struct fx *f = *state;
	size_t segs_end = DATA_OFF + DATA_FILESZ;

	assert_int_equal(vmlinux_elf_end(f->img, IMG_LEN), segs_end);
	eh(f->img)->e_shoff = segs_end;
	eh(f->img)->e_shnum = 2;
	eh(f->img)->e_shentsize = sizeof(Elf64_Shdr);
	assert_int_equal(vmlinux_elf_end(f->img, IMG_LEN), segs_end + 2 * sizeof(Elf64_Shdr));
	/* A section header table past the end of the file. */
	eh(f->img)->e_shoff = IMG_LEN - sizeof(Elf64_Shdr) + 1;
	assert_int_equal(vmlinux_elf_end(f->img, IMG_LEN), segs_end);
	eh(f->img)->e_shoff = UINT64_MAX - 8;
	assert_int_equal(vmlinux_elf_end(f->img, IMG_LEN), segs_end);
	/* A segment past the end of the file. */
	build(f->img, ALL_NOTES);
	ph(f->img, PH_DATA)->p_filesz = IMG_LEN;
	assert_int_equal(vmlinux_elf_end(f->img, IMG_LEN), TEXT_OFF + TEXT_LEN);
	ph(f->img, PH_DATA)->p_offset = UINT64_MAX - 8;
	ph(f->img, PH_DATA)->p_filesz = 16;
	assert_int_equal(vmlinux_elf_end(f->img, IMG_LEN), TEXT_OFF + TEXT_LEN);
}

/* vmlinux_read_headers reads a program header table no kernel has
 * (more than VMLINUX_MAX_PHDRS entries) not at all. */
static void test_read_headers_too_many_phdrs(void **state)
{
	struct fx *f = *state;
	uint8_t *img = calloc(1, IMG_LEN);
	char *path;
	int fd;

	assert_non_null(img);
	eh(f->img)->e_phnum = VMLINUX_MAX_PHDRS + 1; /* in the file: 64 + 65 * 56 < NOTE_OFF + ... */
	path = u_write_temp(f->img, IMG_LEN);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(vmlinux_read_headers(fd, img, IMG_LEN), -1);
	eh(f->img)->e_phnum = 3;
	close(fd);
	unlink(path);
	path = u_write_temp(f->img, IMG_LEN);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(vmlinux_read_headers(fd, img, IMG_LEN), 0);
	close(fd);
	unlink(path);
	free(img);
}

/* --- linux_load_vmlinux: segments, zero page, entry --- */

static void test_load(void **state)
{
	struct fx *f = *state;
	const uint8_t *m = f->mem.map;
	uint8_t initrd[5000];
	uint64_t initrd_addr;
	const uint8_t *bp = m + LAYOUT_ZERO_PAGE;
	struct e820_entry e[3];

	for (size_t i = 0; i < sizeof(initrd); i++)
		initrd[i] = (uint8_t)(i ^ 0x3c);
	f->lb.initrd = initrd;
	f->lb.initrd_len = sizeof(initrd);
	assert_int_equal(linux_load_vmlinux(&f->mem, &f->lb, &f->entry), 0);

	/* Segments at their physical addresses, bss zeroed, nothing around. */
	for (unsigned i = 0; i < TEXT_LEN; i++)
		assert_int_equal(m[TEXT_PADDR + i], text_byte(i));
	for (unsigned i = 0; i < DATA_FILESZ; i++)
		assert_int_equal(m[DATA_PADDR + i], data_byte(i));
	for (uint64_t a = DATA_PADDR + DATA_FILESZ; a < KERNEL_END; a++)
		if (m[a] != 0)
			fail_msg("bss byte at 0x%llx is 0x%x", (unsigned long long)a, m[a]);
	assert_int_equal(m[TEXT_PADDR - 1], 0xcc);
	assert_int_equal(m[TEXT_PADDR + TEXT_LEN], 0xcc);
	assert_int_equal(m[KERNEL_END], 0xcc);
	/* The note segment's paddr is not loaded (PT_NOTE, inside text here). */

	/* Entry: startup_64 in long mode with RSI = zero page. */
	assert_int_equal(f->entry.mode, BOOT_MODE_LONG64);
	assert_int_equal(f->entry.rip, ENTRY);
	assert_int_equal(f->entry.rsi, LAYOUT_ZERO_PAGE);

	/* Zero page: a 2.12 header warden made, the loader's fields. */
	assert_int_equal(u_rd16(bp + BZ_BOOT_FLAG), 0xAA55);
	assert_memory_equal(bp + BZ_HEADER_MAGIC, "HdrS", 4);
	assert_int_equal(u_rd16(bp + BZ_VERSION), 0x020c);
	assert_int_equal(bp[BZ_TYPE_OF_LOADER], 0xff);
	assert_int_equal(bp[BZ_LOADFLAGS], BZ_LOADED_HIGH);
	assert_int_equal(bp[BZ_SETUP_SECTS], 0);
	assert_int_equal(u_rd32(bp + BZ_CMDLINE_SIZE), 2047);
	assert_int_equal(u_rd32(bp + BZ_CMD_LINE_PTR), LAYOUT_CMDLINE);
	assert_string_equal((const char *)m + LAYOUT_CMDLINE, "console=ttyS0 quiet");
	assert_int_equal(u_rd64(bp + 0x070), RSDP); /* acpi_rsdp_addr */
	/* The initrd at the top of RAM, page aligned, above the kernel. */
	initrd_addr = u_rd32(bp + BZ_RAMDISK_IMAGE);
	assert_int_equal(initrd_addr, MEM_SIZE - 2 * PAGE);
	assert_int_equal(u_rd32(bp + BZ_RAMDISK_SIZE), sizeof(initrd));
	assert_memory_equal(m + initrd_addr, initrd, sizeof(initrd));
	/* e820 as for a bzImage; the rest of the page zeroed. */
	assert_int_equal(bp[0x1e8], 3);
	memcpy(e, bp + 0x2d0, sizeof(e));
	assert_int_equal(e[2].addr, LAYOUT_HIGH_MEM_START);
	assert_int_equal(e[2].size, MEM_SIZE - LAYOUT_HIGH_MEM_START);
	assert_int_equal(e[2].type, E820_RAM);
	assert_int_equal(bp[0], 0);
	assert_int_equal(bp[LINUX_VMLINUX_HDR_END], 0);
	assert_int_equal(bp[4095], 0);
}

static void test_load_without_initrd(void **state)
{
	struct fx *f = *state;
	const uint8_t *bp = f->mem.map + LAYOUT_ZERO_PAGE;

	assert_int_equal(linux_load_vmlinux(&f->mem, &f->lb, &f->entry), 0);
	assert_int_equal(u_rd32(bp + BZ_RAMDISK_IMAGE), 0);
	assert_int_equal(u_rd32(bp + BZ_RAMDISK_SIZE), 0);
}

static void test_load_refusals(void **state)
{
	struct fx *f = *state;
	char cmd[2049];
	uint8_t *initrd;

	/* RAM ends inside the kernel's bss: refused before anything is copied. */
	gmem_layout(&f->mem, KERNEL_END - PAGE);
	assert_refused(linux_load_vmlinux(&f->mem, &f->lb, &f->entry), "--mem 18 MiB is too small");
	assert_int_equal(f->mem.map[TEXT_PADDR], 0xcc);
	gmem_layout(&f->mem, MEM_SIZE);
	/* The command line the kernel can take: 2047 bytes, not 2048. */
	memset(cmd, 'c', 2047);
	cmd[2047] = 0;
	f->lb.cmdline = cmd;
	assert_int_equal(linux_load_vmlinux(&f->mem, &f->lb, &f->entry), 0);
	cmd[2047] = 'c';
	cmd[2048] = 0;
	assert_refused(linux_load_vmlinux(&f->mem, &f->lb, &f->entry), "--cmdline is 2048 bytes");
	f->lb.cmdline = "";
	/* An initrd that does not fit between the kernel and the top of RAM. */
	initrd = calloc(1, MEM_SIZE - KERNEL_END + 1);
	assert_non_null(initrd);
	f->lb.initrd = initrd;
	f->lb.initrd_len = MEM_SIZE - KERNEL_END + 1;
	assert_refused(linux_load_vmlinux(&f->mem, &f->lb, &f->entry), "does not fit");
	free(initrd);
	f->lb.initrd = NULL;
	f->lb.initrd_len = 0;
	/* A malformed ELF: one line, nothing loaded. */
	memset(f->mem.map + TEXT_PADDR, 0xcc, TEXT_LEN);
	ph(f->img, PH_DATA)->p_offset = IMG_LEN;
	assert_refused(linux_load_vmlinux(&f->mem, &f->lb, &f->entry), "outside the file");
	assert_int_equal(f->mem.map[TEXT_PADDR], 0xcc);
}

static void test_header_fields(void **state)
{
	uint8_t hdr[LINUX_VMLINUX_HDR_END];

	(void)state;
	memset(hdr, 0x5a, sizeof(hdr));
	linux_vmlinux_header(hdr);
	/* A header the bzImage parser itself accepts (2.12, 64-bit entry). */
	assert_true(bzimage_looks_like(hdr, sizeof(hdr)));
	assert_int_equal(u_rd16(hdr + BZ_VERSION), BZ_MIN_VERSION);
	assert_int_equal(hdr[BZ_XLOADFLAGS], BZ_XLF_KERNEL_64);
	assert_int_equal(u_rd32(hdr + BZ_INITRD_ADDR_MAX), 0x7fffffff);
	assert_int_equal(hdr[0], 0);
	assert_int_equal(u_rd32(hdr + BZ_CODE32_START), 0);
}

/* --- boot_is_linux: the host check must see a vmlinux as Linux --- */

static void test_boot_is_linux(void **state)
{
	struct fx *f = *state;
	struct boot_spec spec = { .kernel = "vmlinux", .kernel_img = f->img, .kernel_len = IMG_LEN };

	spec.format = KERNEL_AUTO;
	assert_int_equal(boot_is_linux(&spec), 1);
	spec.format = KERNEL_ELF;
	assert_int_equal(boot_is_linux(&spec), 1);
	spec.format = KERNEL_FLAT;
	assert_int_equal(boot_is_linux(&spec), 0);
	/* A broken vmlinux: its error, before any word about the host. */
	ph(f->img, PH_TEXT)->p_offset = IMG_LEN;
	spec.format = KERNEL_AUTO;
	assert_refused(boot_is_linux(&spec), "vmlinux: ELF segment outside the file");
	/* A test guest ELF: not Linux. */
	build(f->img, N_GNU);
	assert_int_equal(boot_is_linux(&spec), 0);
}

/* --- boot_spec_read: a vmlinux is read lazily, anything else whole --- */

/* Load from what boot_spec_read made of the file: headers in memory, the
 * rest from the file. */
static void boot_from_spec(struct fx *f, const struct boot_spec *spec)
{
	f->lb.kernel = spec->kernel_img;
	f->lb.kernel_len = spec->kernel_len;
	f->lb.kernel_from_fd = spec->kernel_lazy;
	f->lb.kernel_fd = spec->kernel_fd;
}

static void test_spec_read_lazy(void **state)
{
	struct fx *f = *state;
	char *path = u_write_temp(f->img, IMG_LEN);
	struct boot_spec spec = { .kernel = path, .format = KERNEL_AUTO };

	assert_int_equal(boot_spec_read(&spec), 0);
	assert_true(spec.kernel_lazy);
	assert_true(spec.kernel_fd >= 0);
	assert_int_equal(spec.kernel_len, IMG_LEN);
	/* Headers and notes are there, segment bytes were not read. */
	assert_memory_equal(spec.kernel_img, f->img, sizeof(Elf64_Ehdr) + 3 * sizeof(Elf64_Phdr));
	assert_memory_equal(spec.kernel_img + NOTE_OFF, f->img + NOTE_OFF, ph(f->img, PH_NOTE)->p_filesz);
	assert_int_equal(spec.kernel_img[TEXT_OFF], 0);
	assert_int_equal(spec.kernel_img[DATA_OFF], 0);
	assert_int_equal(boot_is_linux(&spec), 1);

	/* Loading reads the segments from the file into guest memory. */
	boot_from_spec(f, &spec);
	assert_int_equal(linux_load_vmlinux(&f->mem, &f->lb, &f->entry), 0);
	for (unsigned i = 0; i < TEXT_LEN; i++)
		assert_int_equal(f->mem.map[TEXT_PADDR + i], text_byte(i));
	for (unsigned i = 0; i < DATA_FILESZ; i++)
		assert_int_equal(f->mem.map[DATA_PADDR + i], data_byte(i));
	assert_int_equal(f->mem.map[DATA_PADDR + DATA_FILESZ], 0);
	assert_int_equal(f->entry.rip, ENTRY);

	/* The file shrinks between two boots: the next load says so. */
	assert_int_equal(truncate(path, DATA_OFF + 1), 0);
	assert_refused(linux_load_vmlinux(&f->mem, &f->lb, &f->entry), "shrank while reading");
	boot_spec_free(&spec);
	assert_false(spec.kernel_lazy);
	assert_int_equal(spec.kernel_fd, -1);
	unlink(path);
}

static void test_spec_read_whole(void **state)
{
	struct fx *f = *state;
	struct boot_spec spec = { .format = KERNEL_AUTO };

	/* An ELF without Linux notes (a test guest): read whole, as before. */
	build(f->img, N_GNU);
	spec.kernel = u_write_temp(f->img, IMG_LEN);
	assert_int_equal(boot_spec_read(&spec), 0);
	assert_false(spec.kernel_lazy);
	assert_int_equal(spec.kernel_len, IMG_LEN);
	assert_memory_equal(spec.kernel_img, f->img, IMG_LEN);
	boot_spec_free(&spec);
	unlink(spec.kernel);
	/* A vmlinux with --kernel-format bzimage is not read lazily either. */
	build(f->img, ALL_NOTES);
	spec = (struct boot_spec){ .kernel = u_write_temp(f->img, IMG_LEN), .format = KERNEL_BZIMAGE };
	assert_int_equal(boot_spec_read(&spec), 0);
	assert_false(spec.kernel_lazy);
	assert_memory_equal(spec.kernel_img, f->img, IMG_LEN);
	boot_spec_free(&spec);
	unlink(spec.kernel);
	/* Missing file: file_read_all's error, unchanged. */
	spec = (struct boot_spec){ .kernel = "/nonexistent/vmlinux", .format = KERNEL_AUTO };
	assert_refused(boot_spec_read(&spec), "cannot open kernel /nonexistent/vmlinux");
}


/* A vmlinux file cut short, read lazily (headers and notes in memory):
 * boot_is_linux, which main() runs before the host check, refuses it by
 * the file's real size, cut inside a segment or the section headers. */
static void test_spec_truncated_vmlinux_refused(void **state)
{
	struct fx *f = *state;
	const size_t elf_end = SH_OFF + SH_NUM * sizeof(Elf64_Shdr);
	const size_t cuts[] = { TEXT_OFF + 1, DATA_OFF + DATA_FILESZ - 1, SH_OFF + 1, elf_end - 1 };

	eh(f->img)->e_shoff = SH_OFF;
	eh(f->img)->e_shnum = SH_NUM;
	eh(f->img)->e_shentsize = sizeof(Elf64_Shdr);
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		struct boot_spec spec = { .kernel = u_write_temp(f->img, cuts[i]), .format = KERNEL_AUTO };

		assert_int_equal(boot_spec_read(&spec), 0);
		assert_true(spec.kernel_lazy);
		assert_int_equal(spec.kernel_len, cuts[i]);
		assert_refused(boot_is_linux(&spec), "outside the file");
		assert_contains(err_msg(), spec.kernel);
		boot_spec_free(&spec);
		unlink(spec.kernel);
	}
	/* Whole, it is Linux. */
	{
		struct boot_spec spec = { .kernel = u_write_temp(f->img, elf_end), .format = KERNEL_AUTO };

		assert_int_equal(boot_spec_read(&spec), 0);
		assert_int_equal(boot_is_linux(&spec), 1);
		boot_spec_free(&spec);
		unlink(spec.kernel);
	}
}

/* --- KASLR: the image with a relocation table after the ELF --- */

#define ELF_END (DATA_OFF + DATA_FILESZ)
#define F64_OFF 0x10 /* in data: a 64-bit kernel pointer */
#define INV_OFF 0x20 /* in text: a 32-bit field relocated inversely */
#define F32_OFF 0x40 /* in data: a 32-bit kernel pointer */
#define F64_VAL 0xffffffff81000123ULL
#define INV_VAL 0x40000000u
#define F32_VAL 0x81200008u

/* Three fields and the table naming them; returns the file's length.
 * BAD: the 32-bit entry points past the data segment. */
static size_t add_relocs(uint8_t *img, int bad)
{
	const uint32_t words[] = { 0, 0x81200000 + F64_OFF, 0, 0x81000000 + INV_OFF, 0,
				   bad ? 0x81203000u : 0x81200000 + F32_OFF };

	u_wr64(img + DATA_OFF + F64_OFF, F64_VAL);
	u_wr32(img + TEXT_OFF + INV_OFF, INV_VAL);
	u_wr32(img + DATA_OFF + F32_OFF, F32_VAL);
	memcpy(img + ELF_END, words, sizeof(words));
	return ELF_END + sizeof(words);
}

/* The kernel loaded SHIFT bytes above its link address and relocated by
 * DELTA, with every other byte as in the file. */
static void assert_moved(const uint8_t *m, uint64_t shift, uint64_t delta)
{
	for (unsigned i = 0; i < TEXT_LEN; i++)
		if (i < INV_OFF || i >= INV_OFF + 4)
			assert_int_equal(m[TEXT_PADDR + shift + i], text_byte(i));
	for (unsigned i = 0; i < DATA_FILESZ; i++)
		if ((i < F64_OFF || i >= F64_OFF + 8) && (i < F32_OFF || i >= F32_OFF + 4))
			assert_int_equal(m[DATA_PADDR + shift + i], data_byte(i));
	assert_int_equal(m[DATA_PADDR + shift + DATA_FILESZ], 0);
	assert_int_equal(u_rd64(m + DATA_PADDR + shift + F64_OFF), F64_VAL + delta);
	assert_int_equal(u_rd32(m + TEXT_PADDR + shift + INV_OFF), (uint32_t)(INV_VAL - delta));
	assert_int_equal(u_rd32(m + DATA_PADDR + shift + F32_OFF), (uint32_t)(F32_VAL + delta));
}

static void test_load_kaslr(void **state)
{
	struct fx *f = *state;
	const uint8_t *m = f->mem.map;
	const uint8_t *bp = m + LAYOUT_ZERO_PAGE;
	uint8_t initrd[5000] = { 0 };
	uint64_t first_shift = 0, first_delta = 0;
	int other_shift = 0, other_delta = 0;

	f->lb.kernel_len = add_relocs(f->img, 0);
	f->lb.initrd = initrd;
	f->lb.initrd_len = sizeof(initrd);
	for (int i = 0; i < 16; i++) {
		uint64_t shift, delta;

		memset(f->mem.map, 0xcc, MEM_SIZE);
		assert_int_equal(linux_load_vmlinux(&f->mem, &f->lb, &f->entry), 0);
		shift = f->entry.rip - ENTRY;
		delta = u_rd64(m + DATA_PADDR + shift + F64_OFF) - F64_VAL;
		/* 2 MiB aligned, at or above 16 MiB, below the initrd; the
		 * image's virtual range inside the kernel's 1 GiB. */
		assert_int_equal(shift % KASLR_ALIGN, 0);
		assert_int_equal(delta % KASLR_ALIGN, 0);
		assert_true(KERNEL_END + shift <= u_rd32(bp + BZ_RAMDISK_IMAGE));
		assert_true(KERNEL_END + delta <= KASLR_IMAGE_SIZE);
		assert_moved(m, shift, delta);
		if (shift)
			assert_int_equal(m[TEXT_PADDR], 0xcc);
		/* The kernel is told, so it randomizes its memory regions too. */
		assert_int_equal(bp[BZ_LOADFLAGS], BZ_LOADED_HIGH | KASLR_FLAG);
		if (i == 0) {
			first_shift = shift;
			first_delta = delta;
		}
		other_shift |= shift != first_shift;
		other_delta |= delta != first_delta;
	}
	/* 22 physical and 503 virtual places: 16 loads do not all agree. */
	assert_true(other_shift);
	assert_true(other_delta);
}

static void test_load_nokaslr(void **state)
{
	struct fx *f = *state;
	const uint8_t *bp = f->mem.map + LAYOUT_ZERO_PAGE;

	f->lb.kernel_len = add_relocs(f->img, 0);
	f->lb.cmdline = "console=ttyS0 nokaslr quiet";
	assert_int_equal(linux_load_vmlinux(&f->mem, &f->lb, &f->entry), 0);
	assert_int_equal(f->entry.rip, ENTRY);
	assert_moved(f->mem.map, 0, 0);
	assert_int_equal(bp[BZ_LOADFLAGS], BZ_LOADED_HIGH);

	/* No table after the ELF (the fixture's tail is not one): the same. */
	f->lb.cmdline = "console=ttyS0";
	f->lb.kernel_len = IMG_LEN;
	memset(f->img + ELF_END, 0x77, IMG_LEN - ELF_END);
	assert_int_equal(linux_load_vmlinux(&f->mem, &f->lb, &f->entry), 0);
	assert_int_equal(f->entry.rip, ENTRY);
	assert_moved(f->mem.map, 0, 0);
	assert_int_equal(bp[BZ_LOADFLAGS], BZ_LOADED_HIGH);
}

static void test_load_kaslr_bad_table(void **state)
{
	struct fx *f = *state;

	f->lb.kernel_len = add_relocs(f->img, 1);
	assert_refused(linux_load_vmlinux(&f->mem, &f->lb, &f->entry),
		       "vmlinux: relocation entry 0x81203000 is not inside the kernel image");
	/* With nokaslr the table is not used, so not checked. */
	f->lb.cmdline = "nokaslr";
	assert_int_equal(linux_load_vmlinux(&f->mem, &f->lb, &f->entry), 0);
}

/* A relocation table longer than LINUX_RELOCS_MAX is not taken for one,
 * even a well-formed one: the kernel is loaded where it was linked. */
static void test_load_relocs_too_long(void **state)
{
	struct fx *f = *state;
	size_t n64 = LINUX_RELOCS_MAX / 4 - 2; /* 0, n64 entries, 0, 0: one word too many */
	size_t len = ELF_END + 4 * (n64 + 3);
	uint8_t *img = calloc(1, len);
	uint32_t entry = 0x81200000 + F64_OFF;

	assert_non_null(img);
	memcpy(img, f->img, ELF_END);
	for (size_t i = 0; i < n64; i++)
		memcpy(img + ELF_END + 4 + 4 * i, &entry, 4);
	f->lb.kernel = img;
	f->lb.kernel_len = len;
	assert_true(len - ELF_END > LINUX_RELOCS_MAX);
	assert_int_equal(linux_load_vmlinux(&f->mem, &f->lb, &f->entry), 0);
	assert_int_equal(f->entry.rip, ENTRY);
	assert_int_equal(f->mem.map[LAYOUT_ZERO_PAGE + BZ_LOADFLAGS], BZ_LOADED_HIGH);
	/* One entry less: it is a table, and used. */
	memset(img + len - 12, 0, 8);
	f->lb.kernel_len = len - 4;
	assert_int_equal(linux_load_vmlinux(&f->mem, &f->lb, &f->entry), 0);
	assert_int_equal(f->mem.map[LAYOUT_ZERO_PAGE + BZ_LOADFLAGS], BZ_LOADED_HIGH | KASLR_FLAG);
	free(img);
}

static void test_load_kaslr_from_file(void **state)
{
	struct fx *f = *state;
	size_t len = add_relocs(f->img, 0);
	char *path = u_write_temp(f->img, len);
	struct boot_spec spec = { .kernel = path, .format = KERNEL_AUTO };
	uint64_t shift;

	assert_int_equal(boot_spec_read(&spec), 0);
	assert_true(spec.kernel_lazy);
	/* Only the headers were read: the table comes from the file at load. */
	assert_int_equal(spec.kernel_img[ELF_END + 4], 0);
	boot_from_spec(f, &spec);
	assert_int_equal(linux_load_vmlinux(&f->mem, &f->lb, &f->entry), 0);
	shift = f->entry.rip - ENTRY;
	assert_moved(f->mem.map, shift, u_rd64(f->mem.map + DATA_PADDR + shift + F64_OFF) - F64_VAL);
	assert_int_equal(f->mem.map[LAYOUT_ZERO_PAGE + BZ_LOADFLAGS], BZ_LOADED_HIGH | KASLR_FLAG);
	boot_spec_free(&spec);
	unlink(path);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_is_linux_by_notes),
		T(test_not_linux),
		T(test_is_linux_truncated),
		T(test_is_linux_malformed_notes),
		T(test_parse),
		T(test_parse_bad_header),
		T(test_parse_bad_segments),
		T(test_parse_note_outside_file),
		T(test_parse_section_headers),
		T(test_parse_truncated),
		T(test_parse_bad_entry),
		T(test_load_segments_outside_file),
		T(test_elf_end),
		T(test_read_headers_too_many_phdrs),
		T(test_load),
		T(test_load_without_initrd),
		T(test_load_refusals),
		T(test_load_kaslr),
		T(test_load_nokaslr),
		T(test_load_kaslr_bad_table),
		T(test_load_kaslr_from_file),
		T(test_load_relocs_too_long),
		cmocka_unit_test(test_header_fields),
		T(test_boot_is_linux),
		T(test_spec_read_lazy),
		T(test_spec_read_whole),
		T(test_spec_truncated_vmlinux_refused),
	};

	return cmocka_run_group_tests_name("vmlinux", tests, NULL, NULL);
}
