/* Randomized robustness of the kernel loaders: linux_load (bzImage),
 * linux_load_vmlinux (vmlinux, with KASLR's relocation table), elf_load
 * (any other ELF) and boot_load reading them from files.
 *
 * What it guarantees: a user can hand warden any file as --kernel and
 * --initrd, and the loader either loads it or refuses it cleanly. For
 * every mutated image of a valid seed:
 *   - the loader returns 0 or -1, without a crash, an abort or an
 *     AddressSanitizer/UBSan report (the image is a heap buffer of exactly
 *     its length, so a read past its end is caught);
 *   - it writes nothing outside guest RAM: RAM sits between PROT_NONE
 *     guard regions (16 MiB below, 4 GiB above), so a stray write faults;
 *   - on -1 it recorded a user error: one non-empty line;
 *   - on 0 the entry point is in guest RAM; for Linux the kernel, the
 *     command line and the initrd are where the zero page says, in RAM,
 *     the initrd above the kernel and below its initrd_addr_max.
 *
 * Why randomized: the hand-written tests (test_bzimage.c, test_linux.c,
 * test_vmlinux.c, test_elf.c, test_kaslr.c) check each bounds check one at
 * a time; bit flips, header fields set to boundary values, truncation and
 * extension, several at once, reach the combinations nobody writes down.
 * Why fixed seeds: every iteration draws from a PRNG seeded with a fixed
 * constant of its seed image and its iteration number (and so does KASLR,
 * through the getrandom below), so every run tries the same inputs and a
 * failure reproduces exactly. A failure names its case (seed image, PRNG
 * seed, iteration, the mutations made): a crash or sanitizer report is
 * followed by "the failing case: ..."; a case that breaks the contract
 * without crashing is counted and the run goes on, and the test then
 * fails with "VIOLATION in N case(s): ..." and the first such case for
 * each check that failed. */
#include <ctype.h>
#include <elf.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#include "boot/boot_entry.h"
#include "boot/bzimage.h"
#include "boot/elf.h"
#include "boot/kaslr.h"
#include "core/layout.h"
#include "boot/linux.h"
#include "boot/loader.h"
#include "boot/vmlinux.h"
#include "core/guest_mem.h"
#include "core/vm.h"
#include "bzimage_fixture.h"
#include "core/device.h"
#include "unit.h"

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/asan_interface.h>
#endif

#define RAM_SIZE (64 * GMEM_MIB)
#define GUARD_LOW (16 * GMEM_MIB)
#define GUARD_HIGH (4 * GMEM_GIB)   /* any address below 4 GiB past RAM faults */
#define EXTEND_MAX 4096
#define WORK_SLACK (4 * EXTEND_MAX) /* up to 4 extensions per case */
#define MUTATIONS_MAX 4
#define MEM_ITERS 20000             /* per seed, loaded from memory */
#define FILE_ITERS 1500             /* per seed, through files and boot_load */
#define PAGE 4096ULL
#define KERNEL_PATH "kernel"

/* ---- the case being run: named in every failure ---- */

static struct case_ctx {
	int active;
	const char *how; /* "in memory", "from files" */
	const char *seed;
	uint64_t prng;
	unsigned iter;
	char log[640];
	size_t loglen;
} cur;

static const char *case_text(void)
{
	static char buf[900];

	snprintf(buf, sizeof(buf), "%s %s, prng seed 0x%llx, iteration %u, mutations: %s", cur.seed,
		 cur.how, (unsigned long long)cur.prng, cur.iter, cur.log);
	return buf;
}

static void logm(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logm(const char *fmt, ...)
{
	va_list ap;
	int n;

	if (cur.loglen >= sizeof(cur.log) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(cur.log + cur.loglen, sizeof(cur.log) - cur.loglen, fmt, ap);
	va_end(ap);
	if (n > 0)
		cur.loglen += (size_t)n;
	if (cur.loglen > sizeof(cur.log) - 1)
		cur.loglen = sizeof(cur.log) - 1;
}

/* Violations of the oracle. A case that breaks it is recorded and the
 * run goes on, so that one bug does not hide another; the test fails at
 * its end, naming each kind of violation (the check that failed) once,
 * with its first case. */
#define KINDS_MAX 32 /* more than there are checks */

static struct violation {
	const char *check; /* fail_case's format */
	unsigned cases;
	char first[1600];
} violations[KINDS_MAX];
static unsigned nviolations;
static jmp_buf case_exit;

static void fail_case(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fail_case(const char *fmt, ...)
{
	struct violation *v = violations;
	char what[600];
	va_list ap;

	while (v < violations + nviolations && v->check != fmt)
		v++;
	if (v == violations + nviolations && nviolations < KINDS_MAX) {
		va_start(ap, fmt);
		vsnprintf(what, sizeof(what), fmt, ap);
		va_end(ap);
		*v = (struct violation){ .check = fmt };
		snprintf(v->first, sizeof(v->first), "%s\n    (first: %s)", what, case_text());
		nviolations++;
	}
	if (v < violations + KINDS_MAX)
		v->cases++;
	longjmp(case_exit, 1);
}

static void report_violations(void)
{
	unsigned n = nviolations;

	for (unsigned i = 0; i < n; i++)
		print_message("VIOLATION in %u case(s): %s\n", violations[i].cases, violations[i].first);
	nviolations = 0;
	if (n)
		fail_msg("%u kind(s) of violation of the loaders' contract, listed above", n);
}

#ifdef __SANITIZE_ADDRESS__
/* A sanitizer report or a guard-page fault ends the process: say which case. */
static void on_death(void)
{
	if (cur.active)
		fprintf(stderr, "test_loader_random: the failing case: %s\n", case_text());
}
#endif

/* cmocka turns SIGSEGV into a test failure without a stack trace; during
 * the random cases the sanitizer's handler (saved in main, before cmocka
 * replaced it) reports a guard-page fault with the faulting access and
 * the stack, and on_death adds the case. */
static struct sigaction sanitizer_segv, sanitizer_bus;

static void faults_to_sanitizer(void)
{
	sigaction(SIGSEGV, &sanitizer_segv, NULL);
	sigaction(SIGBUS, &sanitizer_bus, NULL);
}

/* ---- the PRNG (unit.h's xorshift64*) ---- */

/* The state of iteration ITER of the seed PRNG (splitmix64 of both). */
static uint64_t case_state(uint64_t prng, unsigned iter)
{
	uint64_t z = prng + (iter + 1) * 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31)) | 1; /* xorshift must not start at 0 */
}

/* KASLR's randomness (plan_kaslr in linux.c) from the case's PRNG, so that
 * where a failing case put the kernel reproduces too. Defined in the test
 * binary, it takes the place of libc's for the loaders linked into it. */
static uint64_t kaslr_state = 1;

ssize_t getrandom(void *buf, size_t len, unsigned int flags)
{
	uint8_t *p = buf;

	(void)flags;
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(u_rand(&kaslr_state) >> 56);
	return (ssize_t)len;
}

/* ---- seed images ---- */

enum kind { K_BZIMAGE, K_VMLINUX, K_ELF };
enum { S_BZIMAGE, S_VMLINUX, S_VMLINUX_RELOCS, S_ELF64, S_ELF32, NSEEDS };

/* A header field that mutations set to boundary values. */
struct field {
	char name[24];
	uint32_t off;
	uint8_t width;
};

#define FIELDS_MAX 96

struct seed {
	const char *name;
	enum kind kind;
	uint64_t prng;
	uint8_t *img;
	size_t len;
	size_t hot; /* half the bit flips land in [0, hot): the headers */
	struct field fields[FIELDS_MAX];
	unsigned nfields;
};

static void add_field(struct seed *sd, const char *name, int index, size_t off, size_t width)
{
	struct field *f;

	assert_true(sd->nfields < FIELDS_MAX);
	f = &sd->fields[sd->nfields++];
	if (index < 0)
		snprintf(f->name, sizeof(f->name), "%s", name);
	else
		snprintf(f->name, sizeof(f->name), "%s[%d]", name, index);
	f->off = (uint32_t)off;
	f->width = (uint8_t)width;
}

struct field_desc {
	const char *name;
	size_t off, width;
};

#define FLD(type, m) { #m, offsetof(type, m), sizeof(((type *)0)->m) }

static const struct field_desc ehdr64_fields[] = {
	{ "EI_CLASS", EI_CLASS, 1 }, { "EI_DATA", EI_DATA, 1 },
	FLD(Elf64_Ehdr, e_type), FLD(Elf64_Ehdr, e_machine), FLD(Elf64_Ehdr, e_entry),
	FLD(Elf64_Ehdr, e_phoff), FLD(Elf64_Ehdr, e_shoff), FLD(Elf64_Ehdr, e_phentsize),
	FLD(Elf64_Ehdr, e_phnum), FLD(Elf64_Ehdr, e_shentsize), FLD(Elf64_Ehdr, e_shnum),
};
static const struct field_desc phdr64_fields[] = {
	FLD(Elf64_Phdr, p_type), FLD(Elf64_Phdr, p_flags), FLD(Elf64_Phdr, p_offset),
	FLD(Elf64_Phdr, p_vaddr), FLD(Elf64_Phdr, p_paddr), FLD(Elf64_Phdr, p_filesz),
	FLD(Elf64_Phdr, p_memsz), FLD(Elf64_Phdr, p_align),
};
static const struct field_desc ehdr32_fields[] = {
	{ "EI_CLASS", EI_CLASS, 1 }, { "EI_DATA", EI_DATA, 1 },
	FLD(Elf32_Ehdr, e_type), FLD(Elf32_Ehdr, e_machine), FLD(Elf32_Ehdr, e_entry),
	FLD(Elf32_Ehdr, e_phoff), FLD(Elf32_Ehdr, e_phentsize), FLD(Elf32_Ehdr, e_phnum),
};
static const struct field_desc phdr32_fields[] = {
	FLD(Elf32_Phdr, p_type), FLD(Elf32_Phdr, p_offset), FLD(Elf32_Phdr, p_paddr),
	FLD(Elf32_Phdr, p_filesz), FLD(Elf32_Phdr, p_memsz), FLD(Elf32_Phdr, p_flags),
};
static const struct field_desc bzimage_fields[] = {
	{ "setup_sects", BZ_SETUP_SECTS, 1 }, { "syssize", 0x1f4, 4 },
	{ "boot_flag", BZ_BOOT_FLAG, 2 }, { "jump_offset", BZ_JUMP + 1, 1 },
	{ "HdrS", BZ_HEADER_MAGIC, 4 }, { "version", BZ_VERSION, 2 },
	{ "loadflags", BZ_LOADFLAGS, 1 }, { "code32_start", BZ_CODE32_START, 4 },
	{ "initrd_addr_max", BZ_INITRD_ADDR_MAX, 4 }, { "kernel_alignment", BZ_KERNEL_ALIGNMENT, 4 },
	{ "relocatable", BZ_RELOCATABLE, 1 }, { "xloadflags", BZ_XLOADFLAGS, 2 },
	{ "cmdline_size", BZ_CMDLINE_SIZE, 4 }, { "pref_address", BZ_PREF_ADDRESS, 8 },
	{ "init_size", BZ_INIT_SIZE, 4 }, { "payload_offset", BZ_PAYLOAD_OFFSET, 4 },
	{ "payload_length", BZ_PAYLOAD_LENGTH, 4 },
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static void add_fields(struct seed *sd, const struct field_desc *d, size_t n, int index, size_t base)
{
	for (size_t i = 0; i < n; i++)
		add_field(sd, d[i].name, index, base + d[i].off, d[i].width);
}

static void add_elf64_fields(struct seed *sd, unsigned nph)
{
	add_fields(sd, ehdr64_fields, NELEM(ehdr64_fields), -1, 0);
	for (unsigned i = 0; i < nph; i++)
		add_fields(sd, phdr64_fields, NELEM(phdr64_fields), (int)i,
			   sizeof(Elf64_Ehdr) + i * sizeof(Elf64_Phdr));
}

static void elf64_header(Elf64_Ehdr *h, uint64_t entry, unsigned phnum)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->e_ident, ELFMAG, SELFMAG);
	h->e_ident[EI_CLASS] = ELFCLASS64;
	h->e_ident[EI_DATA] = ELFDATA2LSB;
	h->e_ident[EI_VERSION] = EV_CURRENT;
	h->e_type = ET_EXEC;
	h->e_machine = EM_X86_64;
	h->e_version = EV_CURRENT;
	h->e_entry = entry;
	h->e_phoff = sizeof(*h);
	h->e_ehsize = sizeof(*h);
	h->e_phentsize = sizeof(Elf64_Phdr);
	h->e_phnum = (uint16_t)phnum;
}

/* The bzImage of bzimage_fixture.h: 2.15 header, 6000 bytes of PM code. */
static void seed_bzimage(struct seed *sd)
{
	*sd = (struct seed){ .name = "bzImage", .kind = K_BZIMAGE, .prng = 0xb21a6e5eed0001ULL,
			     .len = FX_LEN, .hot = FX_HEADER_END };
	sd->img = fx_bzimage_new();
	add_fields(sd, bzimage_fields, NELEM(bzimage_fields), -1, 0);
}

/* The vmlinux of test_vmlinux.c: text with startup_64 and data + bss near
 * 16 MiB, a note segment with a "Linux" and a Xen PVH note; with RELOCS
 * the relocation table follows the ELF, naming fields in both. */
#define VM_NOTE_OFF 0x400
#define VM_TEXT_OFF 0x1000
#define VM_TEXT_LEN 0x800
#define VM_TEXT_PADDR 0x1000000ULL
#define VM_DATA_OFF 0x1800
#define VM_DATA_FILESZ 0x200
#define VM_DATA_MEMSZ 0x3000
#define VM_DATA_PADDR 0x1200000ULL
#define VM_SEGS_END (VM_DATA_OFF + VM_DATA_FILESZ)
#define VM_SH_NUM 2 /* section headers after the segments, as in a real one */
#define VM_ELF_END (VM_SEGS_END + VM_SH_NUM * sizeof(Elf64_Shdr))
#define VM_VIRT(paddr) (0x81000000u + (uint32_t)((paddr) - VM_TEXT_PADDR))

static const uint32_t vm_relocs[] = {
	0, VM_VIRT(VM_DATA_PADDR + 0x10), VM_VIRT(VM_TEXT_PADDR + 0x100), /* 64-bit */
	0, VM_VIRT(VM_TEXT_PADDR + 0x20),                                /* inverse 32-bit */
	0, VM_VIRT(VM_DATA_PADDR + 0x40), VM_VIRT(VM_TEXT_PADDR + 0x7fc), /* 32-bit */
};

static size_t put_note(uint8_t *p, const char *name, uint32_t type, const void *desc, uint32_t descsz)
{
	uint32_t namesz = (uint32_t)strlen(name) + 1;
	size_t off = 12 + ((namesz + 3) & ~3u);

	u_wr32(p, namesz);
	u_wr32(p + 4, descsz);
	u_wr32(p + 8, type);
	memcpy(p + 12, name, namesz);
	memcpy(p + off, desc, descsz);
	return off + ((descsz + 3) & ~3u);
}

static void vmlinux_fill(uint8_t *img, size_t len)
{
	uint32_t salt = 0, pvh = (uint32_t)VM_TEXT_PADDR + 0x50;
	size_t nlen = put_note(img + VM_NOTE_OFF, "Linux", 0x100, &salt, 4);
	Elf64_Phdr p[3] = {
		{ .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = VM_TEXT_OFF,
		  .p_vaddr = 0xffffffff81000000ULL, .p_paddr = VM_TEXT_PADDR,
		  .p_filesz = VM_TEXT_LEN, .p_memsz = VM_TEXT_LEN, .p_align = 0x200000 },
		{ .p_type = PT_LOAD, .p_flags = PF_R | PF_W, .p_offset = VM_DATA_OFF,
		  .p_vaddr = 0xffffffff81200000ULL, .p_paddr = VM_DATA_PADDR,
		  .p_filesz = VM_DATA_FILESZ, .p_memsz = VM_DATA_MEMSZ, .p_align = 0x200000 },
		{ .p_type = PT_NOTE, .p_flags = PF_R, .p_offset = VM_NOTE_OFF, .p_align = 4 },
	};
	Elf64_Shdr text = { .sh_type = SHT_PROGBITS, .sh_flags = SHF_ALLOC | SHF_EXECINSTR,
			    .sh_addr = 0xffffffff81000000ULL, .sh_offset = VM_TEXT_OFF, .sh_size = VM_TEXT_LEN };
	Elf64_Ehdr h;

	nlen += put_note(img + VM_NOTE_OFF + nlen, "Xen", VMLINUX_XEN_NOTE_PHYS32_ENTRY, &pvh, 4);
	p[2].p_filesz = p[2].p_memsz = nlen;
	elf64_header(&h, VM_TEXT_PADDR, 3);
	h.e_shoff = VM_SEGS_END;
	h.e_shentsize = sizeof(Elf64_Shdr);
	h.e_shnum = VM_SH_NUM;
	memcpy(img, &h, sizeof(h));
	memcpy(img + sizeof(h), p, sizeof(p));
	for (size_t i = VM_TEXT_OFF; i < VM_SEGS_END; i++)
		img[i] = (uint8_t)(i * 5 + 1);
	memset(img + VM_SEGS_END, 0, sizeof(Elf64_Shdr)); /* SHN_UNDEF */
	memcpy(img + VM_SEGS_END + sizeof(Elf64_Shdr), &text, sizeof(text));
	if (len > VM_ELF_END)
		memcpy(img + VM_ELF_END, vm_relocs, sizeof(vm_relocs));
}

static void seed_vmlinux(struct seed *sd, int relocs)
{
	*sd = (struct seed){ .name = relocs ? "vmlinux+relocs" : "vmlinux", .kind = K_VMLINUX,
			     .prng = relocs ? 0x5eed0003ULL : 0x5eed0002ULL,
			     .len = VM_ELF_END + (relocs ? sizeof(vm_relocs) : 0), .hot = VM_NOTE_OFF + 0x40 };
	sd->img = calloc(1, sd->len);
	assert_non_null(sd->img);
	vmlinux_fill(sd->img, sd->len);
	add_elf64_fields(sd, 3);
	add_field(sd, "note.namesz", -1, VM_NOTE_OFF, 4);
	add_field(sd, "note.descsz", -1, VM_NOTE_OFF + 4, 4);
	for (unsigned i = 0; relocs && i < NELEM(vm_relocs); i++)
		add_field(sd, "reloc", (int)i, VM_ELF_END + 4 * i, 4);
}

/* A test guest ELF64 (no Linux note): code at 1 MiB, data + bss at 2 MiB. */
#define E64_LEN 0x180

static void seed_elf64(struct seed *sd)
{
	Elf64_Phdr p[2] = {
		{ .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = 0x100, .p_paddr = 0x100000,
		  .p_vaddr = 0x100000, .p_filesz = 0x30, .p_memsz = 0x1000 },
		{ .p_type = PT_LOAD, .p_flags = PF_R | PF_W, .p_offset = 0x140, .p_paddr = 0x200000,
		  .p_vaddr = 0x200000, .p_filesz = 0x40, .p_memsz = 0x2000 },
	};
	Elf64_Ehdr h;

	*sd = (struct seed){ .name = "elf64", .kind = K_ELF, .prng = 0xe1f64ULL, .len = E64_LEN,
			     .hot = sizeof(h) + sizeof(p) };
	sd->img = calloc(1, E64_LEN);
	assert_non_null(sd->img);
	elf64_header(&h, 0x100010, 2);
	memcpy(sd->img, &h, sizeof(h));
	memcpy(sd->img + sizeof(h), p, sizeof(p));
	for (size_t i = 0x100; i < E64_LEN; i++)
		sd->img[i] = (uint8_t)(0x40 + i * 3);
	add_elf64_fields(sd, 2);
}

/* A test guest ELF32: one segment at 2 MiB, entered in protected mode. */
#define E32_LEN 0x100

static void seed_elf32(struct seed *sd)
{
	Elf32_Ehdr h = { .e_type = ET_EXEC, .e_machine = EM_386, .e_version = EV_CURRENT,
			 .e_entry = 0x200020, .e_phoff = sizeof(h), .e_ehsize = sizeof(h),
			 .e_phentsize = sizeof(Elf32_Phdr), .e_phnum = 1 };
	Elf32_Phdr p = { .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = 0xc0,
			 .p_paddr = 0x200000, .p_vaddr = 0x200000, .p_filesz = 0x40, .p_memsz = 0x1000 };

	*sd = (struct seed){ .name = "elf32", .kind = K_ELF, .prng = 0xe1f32ULL, .len = E32_LEN,
			     .hot = sizeof(h) + sizeof(p) };
	memcpy(h.e_ident, ELFMAG, SELFMAG);
	h.e_ident[EI_CLASS] = ELFCLASS32;
	h.e_ident[EI_DATA] = ELFDATA2LSB;
	h.e_ident[EI_VERSION] = EV_CURRENT;
	sd->img = calloc(1, E32_LEN);
	assert_non_null(sd->img);
	memcpy(sd->img, &h, sizeof(h));
	memcpy(sd->img + sizeof(h), &p, sizeof(p));
	for (size_t i = 0xc0; i < E32_LEN; i++)
		sd->img[i] = (uint8_t)(0x40 + i * 3);
	add_fields(sd, ehdr32_fields, NELEM(ehdr32_fields), -1, 0);
	add_fields(sd, phdr32_fields, NELEM(phdr32_fields), 0, sizeof(h));
}

/* ---- mutations ----
 * Bit flips and random bytes (half of them in the headers), a header
 * field set to an edge value, truncation and extension. The relocation
 * table's lists are bounded by zero words, so its counts change when an
 * entry is set to 0, when it is cut short, and when words are appended. */

/* A value at an edge that loaders must check: around 0, the file's
 * length, the 1 MiB and RAM boundaries, the 3 GiB hole, the kernel map,
 * the top of 64 bits; or the old value nudged, or anything. */
static uint64_t edge_value(uint64_t *s, uint64_t old, size_t len)
{
	uint64_t small = u_below(s, 64);

	switch (u_below(s, 17)) {
	case 0: return 0;
	case 1: return small;
	case 2: return old + 1 + small;
	case 3: return old - 1 - small;
	case 4: return old ^ (1ULL << u_below(s, 64));
	case 5: return 1ULL << u_below(s, 64);
	case 6: return UINT64_MAX - small;
	case 7: return len - small;
	case 8: return len + small;
	case 9: return RAM_SIZE - u_below(s, 4) * PAGE - small;
	case 10: return RAM_SIZE + small;
	case 11: return LAYOUT_HIGH_MEM_START - 2 + u_below(s, 4);
	case 12: return GMEM_HOLE_START - small;
	case 13: return GMEM_HIGH_START - 32 + small;
	case 14: return KASLR_START_KERNEL_MAP + VM_TEXT_PADDR + u_below(s, 4 * GMEM_MIB);
	case 15: return 0x80000000ULL - 32 + small;
	default: return u_rand(s);
	}
}

static void set_field(uint8_t *b, size_t len, const struct seed *sd, uint64_t *s)
{
	const struct field *f = &sd->fields[u_below(s, sd->nfields)];
	uint64_t old = 0, v;

	if (f->off + f->width > len)
		return; /* cut off by a truncation */
	memcpy(&old, b + f->off, f->width);
	v = edge_value(s, old, len);
	memcpy(b + f->off, &v, f->width); /* little-endian: the low bytes */
	if (f->width < 8)
		v &= (1ULL << (8 * f->width)) - 1;
	logm("%s=0x%llx ", f->name, (unsigned long long)v);
}

static size_t any_offset(const struct seed *sd, size_t len, uint64_t *s)
{
	if (u_below(s, 2) && sd->hot < len)
		return u_below(s, sd->hot);
	return u_below(s, len);
}

static void flip_bit(uint8_t *b, size_t len, const struct seed *sd, uint64_t *s)
{
	size_t off;
	unsigned bit;

	if (!len)
		return;
	off = any_offset(sd, len, s);
	bit = (unsigned)u_below(s, 8);
	b[off] ^= (uint8_t)(1u << bit);
	logm("flip 0x%zx.%u ", off, bit);
}

static void set_byte(uint8_t *b, size_t len, const struct seed *sd, uint64_t *s)
{
	size_t off;

	if (!len)
		return;
	off = any_offset(sd, len, s);
	b[off] = (uint8_t)u_rand(s);
	logm("byte 0x%zx=0x%02x ", off, b[off]);
}

/* Cut anywhere, or just short of the end (into a relocation table, the
 * last segment's bytes). */
static size_t truncate_at(size_t len, uint64_t *s)
{
	size_t n = u_below(s, 2) ? u_below(s, len + 1) : len - u_below(s, len < 64 ? len + 1 : 64);

	logm("truncate %zu ", n);
	return n;
}

/* Append zeroes, random bytes, or words that read as relocation entries
 * and list terminators. */
static size_t extend(uint8_t *b, size_t len, size_t cap, uint64_t *s)
{
	size_t n = 1 + u_below(s, EXTEND_MAX);
	unsigned how = (unsigned)u_below(s, 3);

	if (n > cap - len)
		n = cap - len;
	for (size_t i = 0; i < n; i += 4) {
		uint32_t w = how == 0 ? 0 : (uint32_t)u_rand(s);

		if (how == 2 && u_below(s, 8) == 0)
			w = 0;
		else if (how == 2)
			w = VM_VIRT(VM_TEXT_PADDR) + (uint32_t)u_below(s, 0x204000);
		memcpy(b + len + i, &w, n - i < 4 ? n - i : 4);
	}
	logm("extend +%zu(%s) ", n, how == 0 ? "zeroes" : how == 1 ? "random" : "relocs");
	return len + n;
}

static size_t mutate_once(uint8_t *b, size_t len, size_t cap, const struct seed *sd, uint64_t *s)
{
	unsigned pick = (unsigned)u_below(s, 20);

	if (pick < 9)
		set_field(b, len, sd, s);
	else if (pick < 13)
		flip_bit(b, len, sd, s);
	else if (pick < 15)
		set_byte(b, len, sd, s);
	else if (pick < 17)
		return truncate_at(len, s);
	else
		return extend(b, len, cap, s);
	return len;
}

/* ---- guest memory with guard regions, and the run of one case ---- */

/* A file for boot_spec_read that a crash leaves nothing of: a memfd,
 * opened again by its /proc/self/fd path. */
struct memfile {
	int fd;
	char path[32];
};

struct rig {
	uint8_t *reserve; /* GUARD_LOW + RAM + GUARD_HIGH, PROT_NONE but RAM */
	size_t reserve_len;
	struct guest_mem mem;
	uint8_t *initrd;  /* RAM_SIZE patterned bytes; initrds are prefixes */
	uint8_t *work;    /* the image being mutated */
	size_t work_cap;
	uint8_t *img;     /* the mutated image, exactly its length */
	char *long_cmdline;
	struct memfile kernel_file, initrd_file;
	struct seed seeds[NSEEDS];
};

/* Random bytes, each page starting with its number: a misplaced initrd
 * does not compare equal. */
static void fill_initrd(uint8_t *b)
{
	uint64_t s = 0x1417bdULL;

	for (size_t i = 0; i < PAGE; i += 8)
		u_wr64(b + i, u_rand(&s));
	for (size_t pg = 1; pg < RAM_SIZE / PAGE; pg++)
		memcpy(b + pg * PAGE, b, PAGE);
	for (size_t pg = 0; pg < RAM_SIZE / PAGE; pg++)
		u_wr64(b + pg * PAGE, pg);
}

static int memfile_open(struct memfile *f, const char *name)
{
	f->fd = memfd_create(name, MFD_CLOEXEC);
	snprintf(f->path, sizeof(f->path), "/proc/self/fd/%d", f->fd);
	return f->fd < 0 ? -1 : 0;
}

/* The file now holds B (LEN bytes). */
static void memfile_put(const struct memfile *f, const uint8_t *b, size_t len)
{
	assert_int_equal(ftruncate(f->fd, 0), 0);
	assert_int_equal(pwrite(f->fd, b, len, 0), (ssize_t)len);
}

static int rig_setup(void **state)
{
	struct rig *r = calloc(1, sizeof(*r));

	if (!r)
		return -1;
	r->kernel_file.fd = r->initrd_file.fd = -1;
	r->reserve_len = GUARD_LOW + RAM_SIZE + GUARD_HIGH;
	r->reserve = mmap(NULL, r->reserve_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (r->reserve == MAP_FAILED)
		return -1;
	r->mem.map = r->reserve + GUARD_LOW;
	if (mprotect(r->mem.map, RAM_SIZE, PROT_READ | PROT_WRITE) < 0)
		return -1;
	r->mem.map_len = RAM_SIZE;
	gmem_layout(&r->mem, RAM_SIZE);
	r->initrd = malloc(RAM_SIZE);
	r->long_cmdline = malloc(LAYOUT_CMDLINE_MAX + 1);
	if (!r->initrd || !r->long_cmdline)
		return -1;
	fill_initrd(r->initrd);
	memset(r->long_cmdline, 'c', LAYOUT_CMDLINE_MAX);
	r->long_cmdline[LAYOUT_CMDLINE_MAX] = 0;
	seed_bzimage(&r->seeds[S_BZIMAGE]);
	seed_vmlinux(&r->seeds[S_VMLINUX], 0);
	seed_vmlinux(&r->seeds[S_VMLINUX_RELOCS], 1);
	seed_elf64(&r->seeds[S_ELF64]);
	seed_elf32(&r->seeds[S_ELF32]);
	r->work_cap = FX_LEN + WORK_SLACK; /* the largest seed */
	r->work = malloc(r->work_cap);
	*state = r;
	if (!r->work || memfile_open(&r->kernel_file, "kernel") < 0)
		return -1;
	return memfile_open(&r->initrd_file, "initrd");
}

static int rig_teardown(void **state)
{
	struct rig *r = *state;

	cur.active = 0;
	for (unsigned i = 0; i < NSEEDS; i++)
		free(r->seeds[i].img);
	munmap(r->reserve, r->reserve_len);
	free(r->initrd);
	free(r->long_cmdline);
	free(r->work);
	free(r->img);
	close(r->kernel_file.fd);
	close(r->initrd_file.fd);
	free(r);
	return 0;
}

/* What one case hands the loader besides the kernel image. */
struct inputs {
	const uint8_t *img;
	size_t len;
	const char *cmdline;
	const uint8_t *initrd;
	size_t initrd_len;
	enum kernel_format format; /* from files: --kernel-format */
};

/* SD mutated 1 to MUTATIONS_MAX times, into r->img (exactly its length,
 * so that AddressSanitizer sees a read past its end); its length. */
static size_t mutated_image(struct rig *r, const struct seed *sd, uint64_t *s)
{
	unsigned n = 1 + (unsigned)u_below(s, MUTATIONS_MAX);
	size_t len = sd->len;

	memcpy(r->work, sd->img, len);
	for (unsigned i = 0; i < n; i++)
		len = mutate_once(r->work, len, r->work_cap, sd, s);
	free(r->img);
	r->img = malloc(len ? len : 1);
	assert_non_null(r->img);
	memcpy(r->img, r->work, len);
	return len;
}

/* The rest of a case: command line, initrd and, FROM_FILES, the
 * --kernel-format. An initrd for Linux, and from files for anything
 * (boot_load must refuse it for other kernels); a RAM-sized one only in
 * memory (writing a file that size costs too much time). */
static void pick_inputs(struct rig *r, const struct seed *sd, uint64_t *s, struct inputs *in, int from_files)
{
	static const char *const cmdlines[] = { "", "console=ttyS0 quiet", "nokaslr console=ttyS0" };
	static const enum kernel_format formats[] = { KERNEL_AUTO, KERNEL_AUTO, KERNEL_AUTO, KERNEL_BZIMAGE,
						      KERNEL_ELF, KERNEL_FLAT };
	static const char *const format_names[] = { "auto", "bzimage", "elf", "flat" };
	unsigned pick = (unsigned)u_below(s, 128);

	in->cmdline = u_below(s, 64) ? cmdlines[u_below(s, 3)] : r->long_cmdline;
	if (sd->kind == K_ELF && !from_files) {
		/* elf_load takes no initrd */
	} else if (pick < 56) {
		in->initrd = r->initrd;
		in->initrd_len = 1 + u_below(s, 16384);
	} else if (pick == 56 && !from_files) {
		in->initrd = r->initrd;
		in->initrd_len = 1 + u_below(s, RAM_SIZE);
	}
	if (in->initrd)
		logm("initrd %zu ", in->initrd_len);
	if (from_files) {
		in->format = formats[u_below(s, NELEM(formats))];
		logm("--kernel-format %s ", format_names[in->format]);
	}
}

/* Case ITER of seed SD, drawn from PRNG: the mutated image and the rest
 * of IN; it is now the current case. */
static void make_case(struct rig *r, const struct seed *sd, uint64_t prng, unsigned iter,
		      struct inputs *in, int from_files)
{
	uint64_t s = case_state(prng, iter);

	cur = (struct case_ctx){ .active = 1, .how = from_files ? "from files" : "in memory",
				 .seed = sd->name, .prng = prng, .iter = iter };
	*in = (struct inputs){ 0 };
	in->len = mutated_image(r, sd, &s);
	in->img = r->img;
	pick_inputs(r, sd, &s, in, from_files);
	kaslr_state = u_rand(&s) | 1;
}

static int load_mem(struct rig *r, enum kind k, const struct inputs *in, struct boot_entry *e)
{
	struct linux_boot lb = {
		.kernel = in->img, .kernel_len = in->len, .kernel_path = KERNEL_PATH, .kernel_fd = -1,
		.initrd = in->initrd, .initrd_len = in->initrd_len, .cmdline = in->cmdline,
		.rsdp = LAYOUT_ACPI,
	};

	switch (k) {
	case K_BZIMAGE:
		return linux_load(&r->mem, &lb, e);
	case K_VMLINUX:
		return linux_load_vmlinux(&r->mem, &lb, e);
	default:
		return elf_load(&r->mem, in->img, in->len, KERNEL_PATH, e);
	}
}

/* ---- the oracle ---- */

static void check_refused(void)
{
	const char *m = err_msg();

	if (err_class() != ERR_USAGE)
		fail_case("refused, but not with a user error (class %d): \"%s\"", (int)err_class(), m);
	if (!*m || strcmp(m, "unknown error") == 0)
		fail_case("refused without an error message");
	for (const char *p = m; *p; p++)
		if (iscntrl((unsigned char)*p))
			fail_case("error message holds control character 0x%02x: \"%s\"", (unsigned char)*p, m);
}

/* First byte past a bzImage's kernel as its header says: its PM code at
 * 1 MiB, decompressed at max(pref_address, 1 MiB) into init_size bytes
 * (at least the PM code's). UINT64_MAX if that sum wraps. */
static uint64_t bzimage_end(const uint8_t *img, size_t len)
{
	unsigned sects = img[BZ_SETUP_SECTS] ? img[BZ_SETUP_SECTS] : 4;
	uint64_t pm_len = len - (sects + 1) * 512ULL;
	uint64_t pref = u_rd64(img + BZ_PREF_ADDRESS), init = u_rd32(img + BZ_INIT_SIZE);

	if (pref < LAYOUT_KERNEL)
		pref = LAYOUT_KERNEL;
	if (init < pm_len)
		init = pm_len;
	return pref > UINT64_MAX - init ? UINT64_MAX : pref + init;
}

/* The PM code at 1 MiB; the kernel's end. What the header says is in
 * the file: the kernel syssize gives (the image was not cut short), the
 * 64-bit entry point inside it, the payload inside it, and the header's
 * end (the jump at 0x200) past every field the loader reads. */
static uint64_t check_bzimage_loaded(const struct rig *r, const struct inputs *in)
{
	size_t setup = ((size_t)(in->img[BZ_SETUP_SECTS] ? in->img[BZ_SETUP_SECTS] : 4) + 1) * 512;
	uint64_t end = bzimage_end(in->img, in->len);
	uint64_t sys_len = (uint64_t)u_rd32(in->img + BZ_SYSSIZE) * 16;
	uint64_t payload_end = (uint64_t)u_rd32(in->img + BZ_PAYLOAD_OFFSET) + u_rd32(in->img + BZ_PAYLOAD_LENGTH);

	if (sys_len > in->len - setup)
		fail_case("loaded a bzImage cut short: syssize says %llu bytes of kernel, the file has %zu",
			  (unsigned long long)sys_len, in->len - setup);
	if (sys_len <= BZ_ENTRY_64)
		fail_case("loaded a bzImage of %llu bytes of kernel: its entry point 0x200 is outside",
			  (unsigned long long)sys_len);
	if (payload_end > sys_len)
		fail_case("loaded a bzImage whose payload ends at %llu, past its kernel's %llu bytes",
			  (unsigned long long)payload_end, (unsigned long long)sys_len);
	if (0x202 + in->img[BZ_JUMP + 1] < BZ_INIT_SIZE + 4)
		fail_case("loaded a bzImage whose setup header ends at 0x%x, before init_size",
			  0x202 + in->img[BZ_JUMP + 1]);
	if (end > RAM_SIZE)
		fail_case("loaded a bzImage whose kernel ends at 0x%llx, past RAM (0x%llx)",
			  (unsigned long long)end, (unsigned long long)RAM_SIZE);
	if (memcmp(r->mem.map + LAYOUT_KERNEL, in->img + setup, in->len - setup) != 0)
		fail_case("the PM code at 1 MiB differs from the image's");
	return end;
}

/* What a loaded vmlinux's headers say is in the file, read here without
 * the loader's help: the program header table, every PT_LOAD's and
 * PT_NOTE's bytes, the section header table. */
static void check_vmlinux_in_file(const struct inputs *in)
{
	Elf64_Ehdr h;

	memcpy(&h, in->img, sizeof(h));
	if (h.e_phoff > in->len || (uint64_t)h.e_phnum * sizeof(Elf64_Phdr) > in->len - h.e_phoff)
		fail_case("loaded a vmlinux whose program headers are outside the file");
	for (unsigned i = 0; i < h.e_phnum; i++) {
		Elf64_Phdr ph;

		memcpy(&ph, in->img + h.e_phoff + i * sizeof(ph), sizeof(ph));
		if (((ph.p_type == PT_LOAD && ph.p_memsz) || ph.p_type == PT_NOTE) &&
		    (ph.p_offset > in->len || ph.p_filesz > in->len - ph.p_offset))
			fail_case("loaded a vmlinux whose segment %u (type %u) is outside the file", i, ph.p_type);
	}
	if (h.e_shoff > in->len || (uint64_t)h.e_shnum * h.e_shentsize > in->len - h.e_shoff)
		fail_case("loaded a vmlinux whose section header table is outside the file");
}

/* The same for any other ELF, 64- or 32-bit: every PT_LOAD in the file. */
static void check_elf_in_file(const struct inputs *in)
{
	uint64_t phoff, phentsize, off, filesz;
	unsigned phnum, type;
	int is64 = in->img[EI_CLASS] == ELFCLASS64;

	if (is64) {
		Elf64_Ehdr h;

		memcpy(&h, in->img, sizeof(h));
		phoff = h.e_phoff, phnum = h.e_phnum, phentsize = sizeof(Elf64_Phdr);
	} else {
		Elf32_Ehdr h;

		memcpy(&h, in->img, sizeof(h));
		phoff = h.e_phoff, phnum = h.e_phnum, phentsize = sizeof(Elf32_Phdr);
	}
	if (phoff > in->len || phnum * phentsize > in->len - phoff)
		fail_case("loaded an ELF whose program headers are outside the file");
	for (unsigned i = 0; i < phnum; i++) {
		if (is64) {
			Elf64_Phdr ph;

			memcpy(&ph, in->img + phoff + i * phentsize, sizeof(ph));
			type = ph.p_type, off = ph.p_offset, filesz = ph.p_filesz;
		} else {
			Elf32_Phdr ph;

			memcpy(&ph, in->img + phoff + i * phentsize, sizeof(ph));
			type = ph.p_type, off = ph.p_offset, filesz = ph.p_filesz;
		}
		if (type == PT_LOAD && (off > in->len || filesz > in->len - off))
			fail_case("loaded an ELF whose segment %u is outside the file", i);
	}
}

/* The segments at one 2 MiB-aligned shift from their link address, inside
 * RAM above 1 MiB; the kernel's end. */
static uint64_t check_vmlinux_loaded(const struct inputs *in, const struct boot_entry *e)
{
	struct vmlinux vm;
	uint64_t shift, start, end;

	check_vmlinux_in_file(in);
	if (vmlinux_parse(in->img, in->len, KERNEL_PATH, &vm) < 0)
		fail_case("loaded a vmlinux that vmlinux_parse refuses: %s", err_msg());
	shift = e->rip - vm.entry;
	start = vm.start + shift;
	end = vm.end + shift;
	if (shift % KASLR_ALIGN != 0 || start < LAYOUT_HIGH_MEM_START || end < start || end > RAM_SIZE)
		fail_case("vmlinux [0x%llx, 0x%llx) put at [0x%llx, 0x%llx): not in RAM above 1 MiB",
			  (unsigned long long)vm.start, (unsigned long long)vm.end,
			  (unsigned long long)start, (unsigned long long)end);
	return end;
}

/* Command line and initrd where the zero page says, the initrd page
 * aligned, above KERNEL_END, below MAX (initrd_addr_max), in RAM. */
static void check_boot_data(const struct rig *r, const struct inputs *in, uint64_t kernel_end, uint64_t max)
{
	const uint8_t *zp = r->mem.map + LAYOUT_ZERO_PAGE;
	uint64_t addr = u_rd32(zp + BZ_RAMDISK_IMAGE), size = u_rd32(zp + BZ_RAMDISK_SIZE);
	size_t head = in->initrd_len < PAGE ? in->initrd_len : PAGE;

	if (u_rd32(zp + BZ_CMD_LINE_PTR) != LAYOUT_CMDLINE ||
	    strcmp((const char *)r->mem.map + LAYOUT_CMDLINE, in->cmdline) != 0)
		fail_case("the command line is not at 0x%x", LAYOUT_CMDLINE);
	if (!in->initrd) {
		if (addr || size)
			fail_case("no initrd, but the zero page has one at 0x%llx", (unsigned long long)addr);
		return;
	}
	if (size != in->initrd_len || addr % PAGE || addr < kernel_end || addr + size > RAM_SIZE ||
	    addr + size - 1 > max)
		fail_case("initrd of %zu bytes put at 0x%llx+0x%llx; kernel ends at 0x%llx, initrd_addr_max 0x%llx",
			  in->initrd_len, (unsigned long long)addr, (unsigned long long)size,
			  (unsigned long long)kernel_end, (unsigned long long)max);
	if (memcmp(r->mem.map + addr, in->initrd, head) != 0 ||
	    memcmp(r->mem.map + addr + size - head, in->initrd + size - head, head) != 0)
		fail_case("the initrd's bytes are not at 0x%llx", (unsigned long long)addr);
}

static void check_loaded(const struct rig *r, enum kind k, const struct inputs *in, const struct boot_entry *e)
{
	uint64_t end, max;

	if (!gmem_ptr(&r->mem, e->rip, 1))
		fail_case("loaded, but the entry point 0x%llx is outside guest RAM", (unsigned long long)e->rip);
	if (k == K_ELF) {
		if (e->mode != BOOT_MODE_REAL16) /* not a flat binary */
			check_elf_in_file(in);
		return;
	}
	if (e->mode != BOOT_MODE_LONG64 || e->rsi != LAYOUT_ZERO_PAGE)
		fail_case("Linux entered in mode %d with RSI 0x%llx", (int)e->mode, (unsigned long long)e->rsi);
	if (k == K_BZIMAGE) {
		end = check_bzimage_loaded(r, in);
		max = u_rd32(in->img + BZ_INITRD_ADDR_MAX);
	} else {
		end = check_vmlinux_loaded(in, e);
		max = LINUX_VMLINUX_INITRD_ADDR_MAX;
	}
	check_boot_data(r, in, end, max);
}

/* The outcome of one case: 0 and a sane load, or -1 and a clean error. */
static void check_outcome(const struct rig *r, enum kind k, const struct inputs *in, int ret,
			  const struct boot_entry *e)
{
	if (ret == -1)
		check_refused();
	else if (ret == 0)
		check_loaded(r, k, in, e);
	else
		fail_case("the loader returned %d, neither 0 nor -1", ret);
}

/* One case: ITER of seed SD. Returns the loader's 0 or -1 (or never
 * returns: fail_case). */
typedef int case_fn(struct rig *r, const struct seed *sd, unsigned iter);

static int mem_case(struct rig *r, const struct seed *sd, unsigned iter)
{
	struct inputs in;
	struct boot_entry e;
	int ret;

	make_case(r, sd, sd->prng, iter, &in, 0);
	memset(&e, 0xee, sizeof(e));
	err_clear();
	ret = load_mem(r, sd->kind, &in, &e);
	check_outcome(r, sd->kind, &in, ret, &e);
	return ret;
}

/* FN's case, or 1 if it broke the oracle. */
static int guarded(case_fn *fn, struct rig *r, const struct seed *sd, unsigned iter)
{
	if (setjmp(case_exit))
		return 1;
	return fn(r, sd, iter);
}

struct tally {
	unsigned loaded, refused, violated;
};

/* Both outcomes must be common, or the mutations miss the point: all
 * refused means nothing got past the first check, all loaded means
 * nothing was broken. */
static void report_tally(const struct seed *sd, const char *how, const struct tally *t)
{
	unsigned n = t->loaded + t->refused + t->violated;

	print_message("%s %s: %u cases, %u loaded, %u refused, %u broke the contract\n", sd->name, how, n,
		      t->loaded, t->refused, t->violated);
	if (t->loaded < n / 20 || t->refused < n / 20)
		fail_msg("%s %s: %u of %u cases loaded: the mutations are too weak or too strong",
			 sd->name, how, t->loaded, n);
}

/* N cases of seed SD through FN. */
static void run_cases(struct rig *r, const struct seed *sd, unsigned n, case_fn *fn, const char *how)
{
	struct tally t = { 0 };

	faults_to_sanitizer();
	for (unsigned i = 0; i < n; i++) {
		int ret = guarded(fn, r, sd, i);

		if (ret == 0)
			t.loaded++;
		else if (ret < 0)
			t.refused++;
		else
			t.violated++;
	}
	cur.active = 0;
	report_tally(sd, how, &t);
}

/* ---- through files: boot_spec_read (lazy for Linux) and boot_load ---- */

/* Which loader boot_load used, told by the entry it set: only Linux gets
 * RSI = zero page; then by --kernel-format and the magic (see detect). */
static enum kind kind_loaded(const struct boot_spec *spec, const struct inputs *in, const struct boot_entry *e)
{
	if (e->mode != BOOT_MODE_LONG64 || e->rsi != LAYOUT_ZERO_PAGE)
		return K_ELF; /* ELF or flat */
	if (spec->format != KERNEL_BZIMAGE && elf_looks_like(in->img, in->len))
		return K_VMLINUX;
	return K_BZIMAGE;
}

static int file_case(struct rig *r, const struct seed *sd, unsigned iter)
{
	/* The ACPI PM registers the FADT points at, as the allocator grants them. */
	static struct device pm = {
		.name = "acpi-pm", .acpi_hid = ACPI_HID_FADT_PM,
		.res = { .nranges = 1, .range = { DEVICE_RANGE(BUS_PIO, PORT_ACPI_PM, ACPI_PM_LEN) },
			 .gsi = DEVICE_NO_GSI },
	};
	struct vm vm = { .mem = r->mem, .cfg = { .ncpus = 1 }, .devices = { &pm }, .ndevices = 1 };
	struct boot_spec spec = { .kernel = r->kernel_file.path };
	struct boot_entry entry;
	struct inputs in;
	int ret;

	/* Other cases than in memory: a different PRNG seed. */
	make_case(r, sd, sd->prng ^ 0xf11e, iter, &in, 1);
	spec.format = in.format;
	spec.cmdline = in.cmdline;
	memfile_put(&r->kernel_file, in.img, in.len);
	if (in.initrd) {
		memfile_put(&r->initrd_file, in.initrd, in.initrd_len);
		spec.initrd = r->initrd_file.path;
	}
	memset(&entry, 0xee, sizeof(entry));
	err_clear();
	ret = boot_spec_read(&spec);
	if (ret == 0) {
		ret = boot_load_entry(&vm, &spec, &entry);
		boot_spec_free(&spec);
	}
	check_outcome(r, ret == 0 ? kind_loaded(&spec, &in, &entry) : sd->kind, &in, ret, &entry);
	return ret;
}

/* ---- the tests ---- */

/* The seed itself, unmutated, with an initrd for Linux: it must load
 * (and pass the oracle), and a relocation table must be used. */
static int seed_case(struct rig *r, const struct seed *sd, unsigned iter)
{
	struct inputs in = { .img = sd->img, .len = sd->len, .cmdline = "console=ttyS0" };
	struct boot_entry e;
	int kaslr;

	cur = (struct case_ctx){ .active = 1, .how = "unmutated", .seed = sd->name, .prng = sd->prng,
				 .iter = iter };
	logm("none");
	if (sd->kind != K_ELF) {
		in.initrd = r->initrd;
		in.initrd_len = 5000;
	}
	err_clear();
	if (load_mem(r, sd->kind, &in, &e) != 0)
		fail_case("the seed is refused: %s", err_msg());
	check_outcome(r, sd->kind, &in, 0, &e);
	kaslr = r->mem.map[LAYOUT_ZERO_PAGE + BZ_LOADFLAGS] & KASLR_FLAG;
	if (sd->kind == K_VMLINUX && kaslr != (sd->len > VM_ELF_END ? KASLR_FLAG : 0))
		fail_case("the seed's relocation table is %s", kaslr ? "seen where there is none" : "not used");
	return 0;
}

/* The seeds are valid images: the random cases start from loads. */
static void test_seeds_load(void **state)
{
	struct rig *r = *state;

	for (unsigned i = 0; i < NSEEDS; i++)
		guarded(seed_case, r, &r->seeds[i], 0);
	cur.active = 0;
	report_violations();
}

/* MEM_ITERS cases of seed SEED, loaded from memory. */
static void run_in_memory(void **state, unsigned seed)
{
	struct rig *r = *state;

	run_cases(r, &r->seeds[seed], MEM_ITERS, mem_case, "in memory");
}

static void test_bzimage_random(void **state)
{
	run_in_memory(state, S_BZIMAGE);
	report_violations();
}

static void test_vmlinux_random(void **state)
{
	run_in_memory(state, S_VMLINUX);
	report_violations();
}

static void test_vmlinux_relocs_random(void **state)
{
	run_in_memory(state, S_VMLINUX_RELOCS);
	report_violations();
}

static void test_elf_random(void **state)
{
	run_in_memory(state, S_ELF64);
	run_in_memory(state, S_ELF32);
	report_violations();
}

/* Every seed as files: format detection, lazy reading of a vmlinux's or
 * bzImage's headers, the rest read from the file into guest memory. */
static void test_boot_load_files_random(void **state)
{
	struct rig *r = *state;

	for (unsigned i = 0; i < NSEEDS; i++)
		run_cases(r, &r->seeds[i], FILE_ITERS, file_case, "from files");
	report_violations();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seeds_load),
		cmocka_unit_test(test_bzimage_random),
		cmocka_unit_test(test_vmlinux_random),
		cmocka_unit_test(test_vmlinux_relocs_random),
		cmocka_unit_test(test_elf_random),
		cmocka_unit_test(test_boot_load_files_random),
	};

	sigaction(SIGSEGV, NULL, &sanitizer_segv);
	sigaction(SIGBUS, NULL, &sanitizer_bus);
#ifdef __SANITIZE_ADDRESS__
	__asan_set_death_callback(on_death);
#endif
	return cmocka_run_group_tests_name("loader_random", tests, rig_setup, rig_teardown);
}
