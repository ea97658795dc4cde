/* ELF and flat-binary loaders (src/boot/elf.c). */
#include <elf.h>

#include "boot/boot_entry.h"
#include "boot/elf.h"
#include "core/layout.h"
#include "core/guest_mem.h"
#include "unit.h"

#define MEM_SIZE (4 * GMEM_MIB)
#define DATA_OFF 0x100 /* segment bytes in the file */
#define FILESZ 48
#define MEMSZ 4096
#define IMG_LEN (DATA_OFF + FILESZ)
#define PADDR64 0x100000ULL
#define ENTRY64 0x100010ULL
#define PADDR32 0x200000U
#define ENTRY32 0x200020U

struct fx {
	struct guest_mem mem;
	uint8_t img[IMG_LEN];
	struct boot_entry entry;
} __attribute__((aligned(16)));

static uint8_t data_byte(unsigned i) { return (uint8_t)(0x40 + i * 3); }

static void build64(uint8_t *img)
{
	Elf64_Ehdr eh = { 0 };
	Elf64_Phdr ph = { 0 };

	memset(img, 0, IMG_LEN);
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_EXEC;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_entry = ENTRY64;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(ph);
	eh.e_phnum = 1;
	ph.p_type = PT_LOAD;
	ph.p_flags = PF_R | PF_X;
	ph.p_offset = DATA_OFF;
	ph.p_vaddr = 0xffffffff80000000ULL + PADDR64; /* loaded by paddr, not vaddr */
	ph.p_paddr = PADDR64;
	ph.p_filesz = FILESZ;
	ph.p_memsz = MEMSZ;
	memcpy(img, &eh, sizeof(eh));
	memcpy(img + sizeof(eh), &ph, sizeof(ph));
	for (unsigned i = 0; i < FILESZ; i++)
		img[DATA_OFF + i] = data_byte(i);
}

static void build32(uint8_t *img)
{
	Elf32_Ehdr eh = { 0 };
	Elf32_Phdr ph = { 0 };

	memset(img, 0, IMG_LEN);
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS32;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_EXEC;
	eh.e_machine = EM_386;
	eh.e_version = EV_CURRENT;
	eh.e_entry = ENTRY32;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(ph);
	eh.e_phnum = 1;
	ph.p_type = PT_LOAD;
	ph.p_flags = PF_R | PF_X;
	ph.p_offset = DATA_OFF;
	ph.p_vaddr = 0xc0000000U + PADDR32;
	ph.p_paddr = PADDR32;
	ph.p_filesz = FILESZ;
	ph.p_memsz = MEMSZ;
	memcpy(img, &eh, sizeof(eh));
	memcpy(img + sizeof(eh), &ph, sizeof(ph));
	for (unsigned i = 0; i < FILESZ; i++)
		img[DATA_OFF + i] = data_byte(i);
}

/* Program header 0 of the image, to patch. */
static Elf64_Phdr *ph64(uint8_t *img) { return (Elf64_Phdr *)(void *)(img + sizeof(Elf64_Ehdr)); }
static Elf64_Ehdr *eh64(uint8_t *img) { return (Elf64_Ehdr *)(void *)img; }
static Elf32_Phdr *ph32(uint8_t *img) { return (Elf32_Phdr *)(void *)(img + sizeof(Elf32_Ehdr)); }
static Elf32_Ehdr *eh32(uint8_t *img) { return (Elf32_Ehdr *)(void *)img; }

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->mem.map = malloc(MEM_SIZE);
	if (!f->mem.map)
		return -1;
	/* Garbage everywhere, so zeroing of the bss is visible. */
	memset(f->mem.map, 0xcc, MEM_SIZE);
	f->mem.map_len = MEM_SIZE;
	gmem_layout(&f->mem, MEM_SIZE);
	memset(&f->entry, 0xee, sizeof(f->entry));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	free(f->mem.map);
	free(f);
	return 0;
}

static void expect_segment(struct fx *f, uint64_t paddr)
{
	const uint8_t *m = f->mem.map;

	for (unsigned i = 0; i < FILESZ; i++)
		assert_int_equal(m[paddr + i], data_byte(i));
	for (unsigned i = FILESZ; i < MEMSZ; i++)
		if (m[paddr + i] != 0)
			fail_msg("bss byte at 0x%llx is 0x%x", (unsigned long long)(paddr + i), m[paddr + i]);
	/* Nothing written around it. */
	assert_int_equal(m[paddr - 1], 0xcc);
	assert_int_equal(m[paddr + MEMSZ], 0xcc);
}

static void test_elf64_load(void **state)
{
	struct fx *f = *state;

	build64(f->img);
	assert_true(elf_looks_like(f->img, IMG_LEN));
	assert_int_equal(elf_load(&f->mem, f->img, IMG_LEN, "g.elf", &f->entry), 0);
	expect_segment(f, PADDR64);
	assert_int_equal(f->entry.mode, BOOT_MODE_LONG64);
	assert_int_equal(f->entry.rip, ENTRY64);
}

static void test_elf32_load(void **state)
{
	struct fx *f = *state;

	build32(f->img);
	assert_int_equal(elf_load(&f->mem, f->img, IMG_LEN, "g32.elf", &f->entry), 0);
	expect_segment(f, PADDR32);
	assert_int_equal(f->entry.mode, BOOT_MODE_PROT32);
	assert_int_equal(f->entry.rip, ENTRY32);
}

static void test_elf64_non_load_segments_ignored(void **state)
{
	struct fx *f = *state;

	build64(f->img);
	/* A PT_NOTE pointing nowhere sensible: must not be loaded or checked. */
	ph64(f->img)->p_type = PT_NOTE;
	ph64(f->img)->p_paddr = 0x7fffffffffffULL;
	ph64(f->img)->p_offset = 0xffffff;
	assert_int_equal(elf_load(&f->mem, f->img, IMG_LEN, "g.elf", &f->entry), 0);
	assert_int_equal(f->mem.map[PADDR64], 0xcc);
	assert_int_equal(f->entry.rip, ENTRY64);
}

static void test_segment_outside_guest_memory(void **state)
{
	struct fx *f = *state;

	build64(f->img);
	ph64(f->img)->p_paddr = MEM_SIZE - 16; /* memsz 4096 runs off the end */
	assert_user_error(elf_load(&f->mem, f->img, IMG_LEN, "g.elf", &f->entry),
			  "outside guest memory");
	build64(f->img);
	ph64(f->img)->p_paddr = 0xfffffffffffff000ULL; /* wraps */
	assert_user_error(elf_load(&f->mem, f->img, IMG_LEN, "g.elf", &f->entry),
			  "outside guest memory");
	build32(f->img);
	ph32(f->img)->p_paddr = 0xfee00000U; /* in the MMIO hole / beyond RAM */
	assert_user_error(elf_load(&f->mem, f->img, IMG_LEN, "g32.elf", &f->entry),
			  "outside guest memory");
}

/* The vCPU would start outside RAM: refused (found by test_loader_random). */
static void test_entry_outside_guest_memory(void **state)
{
	struct fx *f = *state;
	Elf64_Ehdr *e64 = (Elf64_Ehdr *)(void *)f->img;
	Elf32_Ehdr *e32 = (Elf32_Ehdr *)(void *)f->img;

	build64(f->img);
	e64->e_entry = MEM_SIZE; /* one past the end of RAM */
	assert_user_error(elf_load(&f->mem, f->img, IMG_LEN, "g.elf", &f->entry), "entry point");
	build64(f->img);
	e64->e_entry = MEM_SIZE - 1; /* the last byte of RAM: accepted */
	assert_int_equal(elf_load(&f->mem, f->img, IMG_LEN, "g.elf", &f->entry), 0);
	build32(f->img);
	e32->e_entry = 0xfffffff0U; /* the reset vector: no firmware here */
	assert_user_error(elf_load(&f->mem, f->img, IMG_LEN, "g32.elf", &f->entry), "entry point");
}

static void test_segment_outside_file(void **state)
{
	struct fx *f = *state;

	build64(f->img);
	ph64(f->img)->p_offset = IMG_LEN + 1;
	assert_user_error(elf_load(&f->mem, f->img, IMG_LEN, "g.elf", &f->entry),
			  "outside the file");
	build64(f->img);
	ph64(f->img)->p_offset = IMG_LEN - FILESZ + 1; /* last byte past the end */
	assert_user_error(elf_load(&f->mem, f->img, IMG_LEN, "g.elf", &f->entry),
			  "outside the file");
	build64(f->img);
	ph64(f->img)->p_filesz = UINT64_MAX; /* offset + filesz wraps */
	ph64(f->img)->p_memsz = UINT64_MAX;
	assert_user_error(elf_load(&f->mem, f->img, IMG_LEN, "g.elf", &f->entry),
			  "outside the file");
	build64(f->img);
	ph64(f->img)->p_memsz = FILESZ - 1; /* filesz > memsz */
	assert_user_error(elf_load(&f->mem, f->img, IMG_LEN, "g.elf", &f->entry),
			  "outside the file");
	build32(f->img);
	ph32(f->img)->p_offset = IMG_LEN - 8;
	assert_user_error(elf_load(&f->mem, f->img, IMG_LEN, "g32.elf", &f->entry),
			  "outside the file");
	/* Nothing was written to guest memory by the failed loads. */
	assert_int_equal(f->mem.map[PADDR64], 0xcc);
	assert_int_equal(f->mem.map[PADDR32], 0xcc);
}

static void test_bad_program_headers(void **state)
{
	struct fx *f = *state;

	build64(f->img);
	eh64(f->img)->e_phoff = IMG_LEN - 10; /* table runs past the end */
	assert_user_error(elf_load(&f->mem, f->img, IMG_LEN, "g.elf", &f->entry),
			  "bad ELF program headers");
	build64(f->img);
	eh64(f->img)->e_phnum = 1000;
	assert_user_error(elf_load(&f->mem, f->img, IMG_LEN, "g.elf", &f->entry),
			  "bad ELF program headers");
	build64(f->img);
	eh64(f->img)->e_phentsize = 32;
	assert_user_error(elf_load(&f->mem, f->img, IMG_LEN, "g.elf", &f->entry),
			  "bad ELF program headers");
	build32(f->img);
	eh32(f->img)->e_phoff = 0xffffffff;
	assert_user_error(elf_load(&f->mem, f->img, IMG_LEN, "g32.elf", &f->entry),
			  "bad ELF program headers");
}

static void test_wrong_machine(void **state)
{
	struct fx *f = *state;

	build64(f->img);
	eh64(f->img)->e_machine = EM_AARCH64;
	assert_user_error(elf_load(&f->mem, f->img, IMG_LEN, "arm.elf", &f->entry),
			  "not an x86-64 ELF");
	build32(f->img);
	eh32(f->img)->e_machine = EM_ARM;
	assert_user_error(elf_load(&f->mem, f->img, IMG_LEN, "arm32.elf", &f->entry),
			  "not an i386 ELF");
	/* A 64-bit class with the i386 machine is not accepted either. */
	build64(f->img);
	eh64(f->img)->e_machine = EM_386;
	assert_user_error(elf_load(&f->mem, f->img, IMG_LEN, "odd.elf", &f->entry),
			  "not an x86-64 ELF");
	assert_int_equal(f->mem.map[PADDR64], 0xcc);
}

static void test_not_elf(void **state)
{
	struct fx *f = *state;

	build64(f->img);
	f->img[EI_DATA] = ELFDATA2MSB;
	assert_user_error(elf_load(&f->mem, f->img, IMG_LEN, "be.elf", &f->entry), "little-endian");
	build64(f->img);
	f->img[0] = 'M';
	assert_false(elf_looks_like(f->img, IMG_LEN));
	assert_user_error(elf_load(&f->mem, f->img, IMG_LEN, "x.bin", &f->entry),
			  "x.bin is not an ELF file");
	build64(f->img);
	assert_false(elf_looks_like(f->img, EI_NIDENT - 1));
	assert_user_error(elf_load(&f->mem, f->img, 0, "empty", &f->entry), "not an ELF");
	/* ELF64 ident, but shorter than the ELF64 header. */
	assert_user_error(elf_load(&f->mem, f->img, sizeof(Elf64_Ehdr) - 1, "short", &f->entry),
			  "truncated ELF header");
	build64(f->img);
	f->img[EI_CLASS] = ELFCLASSNONE;
	assert_user_error(elf_load(&f->mem, f->img, IMG_LEN, "c0", &f->entry), "truncated ELF header");
}

/* Every file shorter than its class's ELF header, in a buffer of exactly
 * its size (AddressSanitizer sees a read past it): refused, nothing read
 * past the end. */
static void test_header_cut_short(void **state)
{
	struct fx *f = *state;

	for (int cls = 0; cls < 2; cls++) {
		size_t hdr = cls ? sizeof(Elf32_Ehdr) : sizeof(Elf64_Ehdr);

		if (cls)
			build32(f->img);
		else
			build64(f->img);
		for (size_t len = EI_NIDENT; len < hdr; len++) {
			uint8_t *p = malloc(len);

			assert_non_null(p);
			memcpy(p, f->img, len);
			assert_user_error(elf_load(&f->mem, p, len, "short.elf", &f->entry), "truncated ELF header");
			free(p);
		}
	}
}

static void test_flat_load(void **state)
{
	struct fx *f = *state;
	uint8_t bin[512];

	for (unsigned i = 0; i < sizeof(bin); i++)
		bin[i] = (uint8_t)(i * 5 + 1);
	bin[510] = 0x55;
	bin[511] = 0xaa;
	assert_int_equal(flat_load(&f->mem, bin, sizeof(bin), "boot.bin", &f->entry), 0);
	assert_memory_equal(f->mem.map + 0x7c00, bin, sizeof(bin));
	assert_int_equal(f->mem.map[0x7c00 - 1], 0xcc);
	assert_int_equal(f->mem.map[0x7c00 + sizeof(bin)], 0xcc);
	assert_int_equal(f->entry.mode, BOOT_MODE_REAL16);
	assert_int_equal(f->entry.rip, 0x7c00);
}

static void test_flat_load_sizes(void **state)
{
	struct fx *f = *state;
	const size_t max = LAYOUT_EBDA_START - LAYOUT_FLAT_LOAD;
	uint8_t *bin = calloc(1, max + 1);

	assert_non_null(bin);
	assert_user_error(flat_load(&f->mem, bin, 0, "empty.bin", &f->entry), "empty.bin");
	assert_user_error(flat_load(&f->mem, bin, max + 1, "big.bin", &f->entry), "1 to");
	bin[max - 1] = 0x99;
	assert_int_equal(flat_load(&f->mem, bin, max, "max.bin", &f->entry), 0);
	assert_int_equal(f->mem.map[LAYOUT_EBDA_START - 1], 0x99);
	assert_int_equal(f->mem.map[LAYOUT_EBDA_START], 0xcc);
	free(bin);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_elf64_load),
		T(test_elf32_load),
		T(test_elf64_non_load_segments_ignored),
		T(test_segment_outside_guest_memory),
		T(test_entry_outside_guest_memory),
		T(test_segment_outside_file),
		T(test_bad_program_headers),
		T(test_wrong_machine),
		T(test_not_elf),
		T(test_header_cut_short),
		T(test_flat_load),
		T(test_flat_load_sizes),
	};

	return cmocka_run_group_tests_name("elf", tests, NULL, NULL);
}
