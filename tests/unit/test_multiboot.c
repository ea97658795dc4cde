/* Multiboot v1 (src/boot/multiboot.c): finding the header, loading at the
 * a.out-kludge addresses, the boot information, and refusals. */
#include "boot/boot_entry.h"
#include "boot/multiboot.h"
#include "core/guest_mem.h"
#include "core/layout.h"
#include "unit.h"

#define MEM (16 * GMEM_MIB)
#define LOAD 0x200000u

static struct guest_mem mem;

static int setup(void **state)
{
	(void)state;
	return gmem_map(&mem, MEM);
}

static int teardown(void **state)
{
	(void)state;
	gmem_unmap(&mem);
	return 0;
}

/* An image with a header at OFF: FLAGS, a valid checksum, and the a.out
 * addresses for a file loaded at LOAD whose header is at LOAD + OFF. */
static size_t image(uint8_t *img, size_t len, size_t off, uint32_t flags, uint32_t bss_extra)
{
	memset(img, 0x90, len);
	u_wr32(img + off, MB_HEADER_MAGIC);
	u_wr32(img + off + 4, flags);
	u_wr32(img + off + 8, -(MB_HEADER_MAGIC + flags));
	u_wr32(img + off + 12, LOAD + (uint32_t)off);      /* header_addr */
	u_wr32(img + off + 16, LOAD);                      /* load_addr */
	u_wr32(img + off + 20, 0);                         /* load_end_addr: the whole file */
	u_wr32(img + off + 24, LOAD + (uint32_t)len + bss_extra);
	u_wr32(img + off + 28, LOAD + 0x100);              /* entry */
	return len;
}

static void test_find(void **state)
{
	static uint8_t img[16384];
	struct mb_header h;

	(void)state;
	image(img, sizeof(img), 64, MB_HF_AOUT, 0);
	assert_int_equal(multiboot_find(img, sizeof(img), &h), 1);
	assert_int_equal(h.offset, 64);
	assert_int_equal(h.load_addr, LOAD);
	/* A wrong checksum is no header. */
	u_wr32(img + 72, u_rd32(img + 72) + 1);
	assert_int_equal(multiboot_find(img, sizeof(img), &h), 0);
	/* Past the first 8 KiB, or unaligned: not found. */
	image(img, sizeof(img), 8192, MB_HF_AOUT, 0);
	assert_int_equal(multiboot_find(img, sizeof(img), &h), 0);
	memset(img, 0, sizeof(img));
	image(img, 4096, 66, 0, 0);
	assert_int_equal(multiboot_find(img, 4096, &h), 0);
	/* The last place it can be, in a file that ends right after it. */
	image(img, 8192, 8180, 0, 0);
	assert_int_equal(multiboot_find(img, 8192, &h), 1);
	assert_int_equal(h.header_addr, 0); /* no room for the addresses: not read */
}

static void test_load_aout_and_info(void **state)
{
	static uint8_t img[8192];
	static const uint8_t module[] = "the module";
	struct multiboot_boot mb = { .kernel = img, .kernel_len = sizeof(img), .kernel_path = "k",
				     .cmdline = "a b=c", .module = module, .module_len = sizeof(module) };
	struct boot_entry e;
	const struct mb_info *info;
	const struct mb_module *m;
	const uint8_t *bss;

	(void)state;
	image(img, sizeof(img), 0, MB_HF_AOUT | MB_HF_PAGE_ALIGN | MB_HF_MEMINFO, 4096);
	memset(gmem_ptr(&mem, LOAD + sizeof(img), 4096), 0xee, 4096);
	assert_int_equal(multiboot_load(&mem, &mb, &e), 0);
	assert_int_equal(e.mode, BOOT_MODE_PROT32);
	assert_int_equal(e.rip, LOAD + 0x100);
	assert_int_equal(e.rax, MB_BOOT_MAGIC);
	assert_memory_equal(gmem_ptr(&mem, LOAD, sizeof(img)), img, sizeof(img));
	bss = gmem_ptr(&mem, LOAD + sizeof(img), 4096);
	for (unsigned i = 0; i < 4096; i++)
		assert_int_equal(bss[i], 0);
	info = gmem_ptr(&mem, e.rbx, sizeof(*info));
	assert_non_null(info);
	assert_int_equal(info->flags, MB_IF_MEM | MB_IF_CMDLINE | MB_IF_MODS | MB_IF_MMAP | MB_IF_LOADER_NAME);
	assert_int_equal(info->mem_lower, 639);
	assert_int_equal(info->mem_upper, (MEM - GMEM_MIB) / 1024);
	/* The kernel's name first, as GRUB and QEMU give it (the suite's argv[0]). */
	assert_string_equal((const char *)gmem_ptr(&mem, info->cmdline, 8), "k a b=c");
	assert_string_equal((const char *)gmem_ptr(&mem, info->boot_loader_name, 7), "warden");
	assert_int_equal(info->mods_count, 1);
	m = gmem_ptr(&mem, info->mods_addr, sizeof(*m));
	assert_int_equal(m->mod_start & 0xfff, 0);
	assert_int_equal(m->mod_end - m->mod_start, sizeof(module));
	assert_true(m->mod_start >= LOAD + sizeof(img) + 4096);
	assert_memory_equal(gmem_ptr(&mem, m->mod_start, sizeof(module)), module, sizeof(module));
	assert_int_equal(info->mmap_length % 24, 0);
	assert_true(info->mmap_length >= 2 * 24);
}

static void test_refusals(void **state)
{
	static uint8_t img[8192];
	struct multiboot_boot mb = { .kernel = img, .kernel_len = sizeof(img), .kernel_path = "k",
				     .cmdline = "" };
	struct boot_entry e;

	(void)state;
	image(img, sizeof(img), 0, MB_HF_AOUT | MB_HF_VIDEO, 0);
	assert_user_error(multiboot_load(&mem, &mb, &e), "video mode");
	image(img, sizeof(img), 0, MB_HF_AOUT | (1u << 5), 0);
	assert_user_error(multiboot_load(&mem, &mb, &e), "unknown feature");
	/* Without the a.out addresses only an ELF32 can be placed. */
	image(img, sizeof(img), 0, 0, 0);
	assert_user_error(multiboot_load(&mem, &mb, &e), "ELF32");
	/* Addresses that do not match the file or do not fit in RAM. */
	image(img, sizeof(img), 0, MB_HF_AOUT, 0);
	u_wr32(img + 12, LOAD + 64); /* header_addr says 64 bytes in: before the file */
	u_wr32(img + 8, -(MB_HEADER_MAGIC + MB_HF_AOUT));
	assert_user_error(multiboot_load(&mem, &mb, &e), "do not match");
	image(img, sizeof(img), 0, MB_HF_AOUT, 0);
	u_wr32(img + 12, MEM - 16);
	u_wr32(img + 16, MEM - 16);
	u_wr32(img + 24, 0);
	assert_user_error(multiboot_load(&mem, &mb, &e), "does not fit");
	image(img, sizeof(img), 0, MB_HF_AOUT, 0);
	u_wr32(img + 20, LOAD + sizeof(img) + 1); /* load_end past the file */
	assert_user_error(multiboot_load(&mem, &mb, &e), "past the end");
	/* A module that does not fit above the kernel. */
	image(img, sizeof(img), 0, MB_HF_AOUT, 0);
	mb.module = img;
	mb.module_len = MEM;
	assert_user_error(multiboot_load(&mem, &mb, &e), "initrd");
}

/* The command line: the kernel's name alone without arguments, and the
 * limit counts the name too. */
static void test_cmdline(void **state)
{
	static uint8_t img[8192];
	static char args[LAYOUT_CMDLINE_MAX];
	struct multiboot_boot mb = { .kernel = img, .kernel_len = sizeof(img), .kernel_path = "x86/msr.flat",
				     .cmdline = "" };
	struct boot_entry e;
	const struct mb_info *info;

	(void)state;
	image(img, sizeof(img), 0, MB_HF_AOUT, 0);
	assert_int_equal(multiboot_load(&mem, &mb, &e), 0);
	info = gmem_ptr(&mem, e.rbx, sizeof(*info));
	assert_string_equal((const char *)gmem_ptr(&mem, info->cmdline, 13), "x86/msr.flat");
	/* Arguments that fit alone but not after "x86/msr.flat ". */
	memset(args, 'a', sizeof(args) - 13);
	args[sizeof(args) - 13] = 0; /* 12 + 1 + (MAX - 13): one too many */
	mb.cmdline = args;
	assert_user_error(multiboot_load(&mem, &mb, &e), "command line too long");
	args[sizeof(args) - 14] = 0; /* now exactly LAYOUT_CMDLINE_MAX - 1 in all */
	assert_int_equal(multiboot_load(&mem, &mb, &e), 0);
	info = gmem_ptr(&mem, e.rbx, sizeof(*info));
	assert_int_equal(strlen((const char *)gmem_ptr(&mem, info->cmdline, LAYOUT_CMDLINE_MAX)),
			 LAYOUT_CMDLINE_MAX - 1);
	assert_memory_equal(gmem_ptr(&mem, info->cmdline, 14), "x86/msr.flat a", 14);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find),
		T(test_load_aout_and_info),
		T(test_refusals),
		T(test_cmdline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
