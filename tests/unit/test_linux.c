/* Linux 64-bit boot protocol loader (src/boot/linux.c), and reading a
 * bzImage lazily (boot_spec_read in src/boot/loader.c). */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "boot/boot_entry.h"
#include "boot/bzimage.h"
#include "boot/e820.h"
#include "core/layout.h"
#include "boot/linux.h"
#include "boot/loader.h"
#include "core/guest_mem.h"
#include "bzimage_fixture.h"
#include "unit.h"

#define MEM_SIZE (64 * GMEM_MIB)
#define PAGE 4096ULL
#define RSDP 0xe0000ULL

/* boot_params offsets outside the setup header. */
#define ZP_ACPI_RSDP_ADDR 0x070
#define ZP_E820_ENTRIES 0x1e8
#define ZP_E820_TABLE 0x2d0

struct fixture {
	struct guest_mem mem;
	uint8_t *kernel;
	struct linux_boot lb;
	struct boot_entry entry;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->mem.map = calloc(1, MEM_SIZE);
	if (!f->mem.map)
		return -1;
	f->mem.map_len = MEM_SIZE;
	gmem_layout(&f->mem, MEM_SIZE);
	f->kernel = malloc(FX_LEN);
	if (!f->kernel)
		return -1;
	fx_bzimage_fill(f->kernel, FX_LEN);
	f->lb = (struct linux_boot){
		.kernel = f->kernel,
		.kernel_len = FX_LEN,
		.kernel_path = "bzImage",
		.cmdline = "console=ttyS0 quiet panic=-1",
		.rsdp = RSDP,
	};
	memset(&f->entry, 0xee, sizeof(f->entry));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	free(f->mem.map);
	free(f->kernel);
	free(f);
	return 0;
}

static uint8_t *zero_page(struct fixture *f)
{
	return f->mem.map + LAYOUT_ZERO_PAGE;
}

/* --- linux_place_initrd --- */

static void test_place_initrd_top_page_aligned(void **state)
{
	uint64_t addr = 0, size = GMEM_MIB + 123;

	(void)state;
	assert_int_equal(linux_place_initrd(MEM_SIZE, 0x7fffffff, 24 * GMEM_MIB, size, &addr), 0);
	assert_int_equal(addr % PAGE, 0);
	assert_true(addr + size <= MEM_SIZE);
	/* As high as possible: less than a page is left above it. */
	assert_true(MEM_SIZE - (addr + size) < PAGE);
	assert_int_equal(addr, MEM_SIZE - GMEM_MIB - PAGE);
	/* A page-multiple size ends exactly at the top. */
	assert_int_equal(linux_place_initrd(MEM_SIZE, 0x7fffffff, 24 * GMEM_MIB, 2 * GMEM_MIB, &addr), 0);
	assert_int_equal(addr, MEM_SIZE - 2 * GMEM_MIB);
}

static void test_place_initrd_respects_addr_max(void **state)
{
	uint64_t addr = 0, size = 4 * GMEM_MIB + 1;
	uint32_t max = 0x37ffffff; /* the 2.03+ default: 896 MiB - 1 */

	(void)state;
	assert_int_equal(linux_place_initrd(3 * GMEM_GIB, max, 24 * GMEM_MIB, size, &addr), 0);
	assert_int_equal(addr % PAGE, 0);
	assert_true(addr + size - 1 <= max);
	assert_int_equal(addr, 0x38000000ULL - 5 * GMEM_MIB + (GMEM_MIB - PAGE));
	/* The largest possible initrd_addr_max: memory is the limit. */
	assert_int_equal(linux_place_initrd(3 * GMEM_GIB, 0xffffffff, 24 * GMEM_MIB, PAGE, &addr), 0);
	assert_int_equal(addr, 3 * GMEM_GIB - PAGE);
}

static void test_place_initrd_boundary_above_kernel(void **state)
{
	uint64_t addr = 0, kernel_end = 24 * GMEM_MIB;
	uint64_t room = MEM_SIZE - kernel_end;

	(void)state;
	/* Exactly fills the space between kernel and top of memory. */
	assert_int_equal(linux_place_initrd(MEM_SIZE, 0x7fffffff, kernel_end, room, &addr), 0);
	assert_int_equal(addr, kernel_end);
	/* One byte more would overlap the kernel. */
	assert_user_error(linux_place_initrd(MEM_SIZE, 0x7fffffff, kernel_end, room + 1, &addr),
			  "does not fit");
}

static void test_place_initrd_does_not_fit(void **state)
{
	uint64_t addr = 0x1234;

	(void)state;
	/* Larger than all memory. */
	assert_user_error(linux_place_initrd(MEM_SIZE, 0x7fffffff, 24 * GMEM_MIB, MEM_SIZE + PAGE, &addr),
			  "does not fit");
	/* Larger than what initrd_addr_max allows. */
	assert_user_error(linux_place_initrd(3 * GMEM_GIB, 0x0fffffff, 24 * GMEM_MIB, 300 * GMEM_MIB, &addr),
			  "does not fit");
	assert_contains(err_msg(), "--mem");
	assert_int_equal(addr, 0x1234); /* untouched on failure */
}

/* --- linux_load --- */

static void test_load_zero_page(void **state)
{
	struct fixture *f = *state;
	uint8_t initrd[3000];
	uint64_t expect_initrd, kernel_end = FX_PREF_ADDRESS + FX_INIT_SIZE;
	uint8_t *bp;

	for (size_t i = 0; i < sizeof(initrd); i++)
		initrd[i] = (uint8_t)(i ^ 0xa5);
	f->lb.initrd = initrd;
	f->lb.initrd_len = sizeof(initrd);
	assert_int_equal(linux_place_initrd(MEM_SIZE, FX_INITRD_ADDR_MAX, kernel_end,
					    sizeof(initrd), &expect_initrd), 0);
	assert_int_equal(expect_initrd, MEM_SIZE - PAGE);

	assert_int_equal(linux_load(&f->mem, &f->lb, &f->entry), 0);
	bp = zero_page(f);
	/* The setup header as in the image, with the loader's fields set. */
	assert_int_equal(bp[BZ_SETUP_SECTS], FX_SETUP_SECTS);
	assert_int_equal(u_rd16(bp + BZ_BOOT_FLAG), 0xAA55);
	assert_memory_equal(bp + BZ_HEADER_MAGIC, "HdrS", 4);
	assert_int_equal(u_rd16(bp + BZ_VERSION), FX_VERSION);
	assert_int_equal(u_rd32(bp + BZ_CMDLINE_SIZE), FX_CMDLINE_SIZE);
	assert_int_equal(u_rd32(bp + BZ_INIT_SIZE), FX_INIT_SIZE);
	assert_true(bp[BZ_LOADFLAGS] & BZ_LOADED_HIGH);
	assert_int_equal(bp[BZ_TYPE_OF_LOADER], 0xff);
	/* Nothing past the header is copied from the image. */
	assert_int_equal(bp[FX_CANARY_OFF], 0);
	assert_int_equal(u_rd32(bp + BZ_CMD_LINE_PTR), LAYOUT_CMDLINE);
	assert_int_equal(u_rd32(bp + BZ_RAMDISK_IMAGE), expect_initrd);
	assert_int_equal(u_rd32(bp + BZ_RAMDISK_SIZE), sizeof(initrd));
	assert_int_equal(u_rd64(bp + ZP_ACPI_RSDP_ADDR), RSDP);

	/* The command line, NUL-terminated. */
	assert_string_equal((char *)f->mem.map + LAYOUT_CMDLINE, "console=ttyS0 quiet panic=-1");
	/* The initrd bytes. */
	assert_memory_equal(f->mem.map + expect_initrd, initrd, sizeof(initrd));
}

static void test_load_e820_in_zero_page(void **state)
{
	struct fixture *f = *state;
	const struct e820_entry expect[] = {
		{ 0, LAYOUT_EBDA_START, E820_RAM },
		{ LAYOUT_EBDA_START, 0x100000 - LAYOUT_EBDA_START, E820_RESERVED },
		{ 0x100000, MEM_SIZE - 0x100000, E820_RAM },
	};
	struct e820_entry got[3];
	uint8_t *bp;

	assert_int_equal(linux_load(&f->mem, &f->lb, &f->entry), 0);
	bp = zero_page(f);
	assert_int_equal(bp[ZP_E820_ENTRIES], 3);
	memcpy(got, bp + ZP_E820_TABLE, sizeof(got));
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(got[i].addr, expect[i].addr);
		assert_int_equal(got[i].size, expect[i].size);
		assert_int_equal(got[i].type, expect[i].type);
	}
	/* Nothing after the last entry. */
	for (unsigned i = ZP_E820_TABLE + sizeof(got); i < ZP_E820_TABLE + 128 * 20; i++)
		assert_int_equal(bp[i], 0);
}

static void test_load_kernel_and_entry(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(linux_load(&f->mem, &f->lb, &f->entry), 0);
	assert_memory_equal(f->mem.map + LAYOUT_KERNEL, f->kernel + FX_SETUP_LEN, FX_PM_LEN);
	/* The setup code itself is not loaded anywhere near the kernel. */
	assert_int_equal(f->mem.map[LAYOUT_KERNEL + FX_PM_LEN], 0);
	assert_int_equal(f->entry.mode, BOOT_MODE_LONG64);
	assert_int_equal(f->entry.rip, LAYOUT_KERNEL + 0x200);
	assert_int_equal(f->entry.rsi, LAYOUT_ZERO_PAGE);
}

static void test_load_without_initrd(void **state)
{
	struct fixture *f = *state;
	uint8_t *bp;

	assert_int_equal(linux_load(&f->mem, &f->lb, &f->entry), 0);
	bp = zero_page(f);
	assert_int_equal(u_rd32(bp + BZ_RAMDISK_IMAGE), 0);
	assert_int_equal(u_rd32(bp + BZ_RAMDISK_SIZE), 0);
}

static void test_load_cmdline_at_limit(void **state)
{
	struct fixture *f = *state;
	char cmd[33];

	memset(cmd, 'x', 32);
	cmd[32] = 0;
	u_wr32(f->kernel + BZ_CMDLINE_SIZE, 32); /* excludes the NUL */
	f->lb.cmdline = cmd;
	assert_int_equal(linux_load(&f->mem, &f->lb, &f->entry), 0);
	assert_string_equal((char *)f->mem.map + LAYOUT_CMDLINE, cmd);
}

/* pref_address near 2^64: pref_address + init_size must not wrap around
 * and pass the size check (found by test_loader_random). */
static void test_load_pref_address_wraps(void **state)
{
	struct fixture *f = *state;

	u_wr64(f->kernel + BZ_PREF_ADDRESS, 0xffffffffffffffd3ULL);
	assert_user_error(linux_load(&f->mem, &f->lb, &f->entry), "past the end of memory");
	u_wr64(f->kernel + BZ_PREF_ADDRESS, UINT64_MAX - FX_INIT_SIZE); /* ends exactly at 2^64 - 1 */
	assert_user_error(linux_load(&f->mem, &f->lb, &f->entry), "too small");
}

static void test_load_mem_too_small(void **state)
{
	struct fixture *f = *state;

	u_wr32(f->kernel + BZ_INIT_SIZE, 0x4000000); /* 64 MiB from 16 MiB */
	assert_user_error(linux_load(&f->mem, &f->lb, &f->entry), "too small");
	assert_contains(err_msg(), "--mem 64 MiB");
	/* It names a size that works: 16 + 64 MiB of kernel plus headroom. */
	assert_contains(err_msg(), "at least 96 MiB");
}

static void test_load_cmdline_too_long(void **state)
{
	struct fixture *f = *state;
	char cmd[34];

	memset(cmd, 'y', 33);
	cmd[33] = 0;
	u_wr32(f->kernel + BZ_CMDLINE_SIZE, 32);
	f->lb.cmdline = cmd;
	assert_user_error(linux_load(&f->mem, &f->lb, &f->entry), "--cmdline is 33 bytes");
	assert_contains(err_msg(), "at most 32");
}

static void test_load_initrd_too_big(void **state)
{
	struct fixture *f = *state;
	size_t len = 48 * GMEM_MIB; /* 64 MiB guest, kernel up to 24 MiB */
	uint8_t *initrd = calloc(1, len);

	assert_non_null(initrd);
	f->lb.initrd = initrd;
	f->lb.initrd_len = len;
	assert_user_error(linux_load(&f->mem, &f->lb, &f->entry), "does not fit");
	assert_contains(err_msg(), "initrd (48 MiB)");
	free(initrd);
}

static void test_load_not_a_bzimage(void **state)
{
	struct fixture *f = *state;

	f->kernel[BZ_BOOT_FLAG] = 0;
	assert_user_error(linux_load(&f->mem, &f->lb, &f->entry), "not a bzImage");
}

/* --- a bzImage read lazily: headers up front, the rest at each load --- */

static void test_spec_read_bzimage_lazily(void **state)
{
	struct fixture *f = *state;
	char *path = u_write_temp(f->kernel, FX_LEN);
	struct boot_spec spec = { .kernel = path, .format = KERNEL_AUTO };

	assert_int_equal(boot_spec_read(&spec), 0);
	assert_true(spec.kernel_lazy);
	assert_true(spec.kernel_fd >= 0);
	assert_int_equal(spec.kernel_len, FX_LEN);
	/* The boot sector and setup are there, the payload was not read. */
	assert_memory_equal(spec.kernel_img, f->kernel, FX_SETUP_LEN);
	for (size_t i = FX_SETUP_LEN; i < FX_LEN; i++)
		if (spec.kernel_img[i])
			fail_msg("payload byte %zu read up front", i);
	assert_int_equal(boot_is_linux(&spec), 1);

	/* Loading reads the payload from the file into guest memory. */
	f->lb.kernel = spec.kernel_img;
	f->lb.kernel_from_fd = true;
	f->lb.kernel_fd = spec.kernel_fd;
	assert_int_equal(linux_load(&f->mem, &f->lb, &f->entry), 0);
	assert_memory_equal(f->mem.map + LAYOUT_KERNEL, f->kernel + FX_SETUP_LEN, FX_PM_LEN);
	assert_int_equal(u_rd16(zero_page(f) + BZ_VERSION), FX_VERSION);

	/* The file shrinks between two boots: the next load says so. */
	assert_int_equal(truncate(path, FX_SETUP_LEN + 100), 0);
	assert_user_error(linux_load(&f->mem, &f->lb, &f->entry), "shrank while reading");
	boot_spec_free(&spec);
	unlink(path);
}

/* Not lazily: a bzImage forced to be read as an ELF (then refused as
 * one), and a file shorter than a boot sector and setup. */
static void test_spec_read_bzimage_whole(void **state)
{
	struct fixture *f = *state;
	struct boot_spec spec = { .kernel = u_write_temp(f->kernel, FX_LEN), .format = KERNEL_ELF };
	uint8_t img[FX_SETUP_LEN];
	int fd;

	assert_int_equal(boot_spec_read(&spec), 0);
	assert_false(spec.kernel_lazy);
	assert_memory_equal(spec.kernel_img, f->kernel, FX_LEN);
	boot_spec_free(&spec);
	unlink(spec.kernel);

	spec = (struct boot_spec){ .kernel = u_write_temp(f->kernel, 0x300), .format = KERNEL_AUTO };
	assert_int_equal(boot_spec_read(&spec), 0);
	assert_false(spec.kernel_lazy);
	assert_int_equal(spec.kernel_len, 0x300);
	fd = open(spec.kernel, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(bzimage_read_setup(fd, img, 0x300), -1);
	close(fd);
	boot_spec_free(&spec);
	unlink(spec.kernel);
}

/* A bzImage file cut short (shorter than syssize says): refused where
 * main() first looks at the kernel, boot_is_linux after boot_spec_read,
 * before the host check and before any VM exists; read lazily (only the
 * setup in memory) the check uses the file's real size. Also when the
 * cut leaves less than the setup (the file is then read whole). */
static void test_spec_truncated_bzimage_refused(void **state)
{
	struct fixture *f = *state;
	static const size_t cuts[] = { FX_LEN - 1, FX_LEN - 16, FX_SETUP_LEN + 0x201, FX_SETUP_LEN + 1,
				       FX_SETUP_LEN - 1, 0x300 };
	static const enum kernel_format formats[] = { KERNEL_AUTO, KERNEL_BZIMAGE };

	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++)
		for (size_t j = 0; j < 2; j++) {
			struct boot_spec spec = { .kernel = u_write_temp(f->kernel, cuts[i]), .format = formats[j] };

			assert_int_equal(boot_spec_read(&spec), 0);
			assert_int_equal(spec.kernel_lazy, cuts[i] > FX_SETUP_LEN);
			assert_int_equal(spec.kernel_len, cuts[i]);
			assert_user_error(boot_is_linux(&spec), "truncated bzImage");
			assert_contains(err_msg(), spec.kernel);
			assert_null(strchr(err_msg(), '\n'));
			/* And linux_load, should anything call it. */
			f->lb.kernel = spec.kernel_img;
			f->lb.kernel_len = spec.kernel_len;
			f->lb.kernel_from_fd = spec.kernel_lazy;
			f->lb.kernel_fd = spec.kernel_fd;
			f->mem.map[LAYOUT_KERNEL] = 0xcc;
			assert_user_error(linux_load(&f->mem, &f->lb, &f->entry), "truncated bzImage");
			assert_int_equal(f->mem.map[LAYOUT_KERNEL], 0xcc);
			boot_spec_free(&spec);
			unlink(spec.kernel);
		}
}

/* Bytes after the kernel syssize gives (Debian signs its kernels: the
 * signature follows) are no truncation: loaded as before, all of them. */
static void test_load_bzimage_with_trailer(void **state)
{
	struct fixture *f = *state;
	size_t len = FX_LEN + 1472;
	uint8_t *img = malloc(len);
	struct boot_spec spec = { .format = KERNEL_AUTO };

	assert_non_null(img);
	fx_bzimage_fill(img, len);
	spec.kernel = u_write_temp(img, len);
	assert_int_equal(boot_spec_read(&spec), 0);
	assert_true(spec.kernel_lazy);
	assert_int_equal(boot_is_linux(&spec), 1);
	f->lb.kernel = spec.kernel_img;
	f->lb.kernel_len = spec.kernel_len;
	f->lb.kernel_from_fd = true;
	f->lb.kernel_fd = spec.kernel_fd;
	assert_int_equal(linux_load(&f->mem, &f->lb, &f->entry), 0);
	assert_memory_equal(f->mem.map + LAYOUT_KERNEL, img + FX_SETUP_LEN, len - FX_SETUP_LEN);
	boot_spec_free(&spec);
	unlink(spec.kernel);
	free(img);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_place_initrd_top_page_aligned),
		cmocka_unit_test(test_place_initrd_respects_addr_max),
		cmocka_unit_test(test_place_initrd_boundary_above_kernel),
		cmocka_unit_test(test_place_initrd_does_not_fit),
		T(test_load_zero_page),
		T(test_load_e820_in_zero_page),
		T(test_load_kernel_and_entry),
		T(test_load_without_initrd),
		T(test_load_cmdline_at_limit),
		T(test_load_pref_address_wraps),
		T(test_load_mem_too_small),
		T(test_load_cmdline_too_long),
		T(test_load_initrd_too_big),
		T(test_load_not_a_bzimage),
		T(test_spec_read_bzimage_lazily),
		T(test_spec_read_bzimage_whole),
		T(test_spec_truncated_bzimage_refused),
		T(test_load_bzimage_with_trailer),
	};

	return cmocka_run_group_tests_name("linux", tests, NULL, NULL);
}
