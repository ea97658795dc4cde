#include "boot/linux.h"

#include <string.h>

#include "boot/boot_entry.h"
#include "boot/bzimage.h"
#include "boot/e820.h"
#include "boot/layout.h"
#include "core/guest_mem.h"
#include "util/error.h"

/* boot_params fields outside the setup header. */
#define BP_ACPI_RSDP_ADDR 0x070
#define BP_E820_ENTRIES 0x1e8
#define BP_E820_TABLE 0x2d0
#define BP_SIZE 4096

#define PAGE 4096ULL

static uint64_t mib_up(uint64_t bytes)
{
	return (bytes + GMEM_MIB - 1) / GMEM_MIB;
}

int linux_place_initrd(uint64_t low_end, uint32_t initrd_addr_max, uint64_t kernel_end,
		       uint64_t size, uint64_t *addr)
{
	uint64_t top = low_end;

	if ((uint64_t)initrd_addr_max + 1 < top)
		top = (uint64_t)initrd_addr_max + 1;
	if (size > top || ((top - size) & ~(PAGE - 1)) < kernel_end)
		return fail(ERR_USAGE,
			    "initrd (%llu MiB) does not fit in guest memory below %llu MiB next to the kernel; give more --mem",
			    (unsigned long long)mib_up(size), (unsigned long long)(top >> 20));
	*addr = (top - size) & ~(PAGE - 1);
	return 0;
}

static int write_zero_page(struct guest_mem *mem, const struct linux_boot *lb,
			   uint64_t initrd_addr)
{
	uint8_t *bp = gmem_ptr(mem, LAYOUT_ZERO_PAGE, BP_SIZE);
	struct e820_entry map[E820_MAX];
	size_t hdr_end = 0x202 + lb->kernel[0x201];
	uint32_t v32;
	uint64_t v64;
	unsigned n;

	if (!bp)
		return fail(ERR_USAGE, "guest memory too small for the zero page");
	memset(bp, 0, BP_SIZE);
	/* The setup header as the kernel image carries it. */
	memcpy(bp + BZ_SETUP_SECTS, lb->kernel + BZ_SETUP_SECTS, hdr_end - BZ_SETUP_SECTS);
	bp[BZ_TYPE_OF_LOADER] = 0xff; /* undefined boot loader */
	bp[BZ_LOADFLAGS] |= BZ_LOADED_HIGH;
	v32 = LAYOUT_CMDLINE;
	memcpy(bp + BZ_CMD_LINE_PTR, &v32, 4);
	v32 = (uint32_t)initrd_addr;
	memcpy(bp + BZ_RAMDISK_IMAGE, &v32, 4);
	v32 = (uint32_t)lb->initrd_len;
	memcpy(bp + BZ_RAMDISK_SIZE, &v32, 4);
	v64 = lb->rsdp;
	memcpy(bp + BP_ACPI_RSDP_ADDR, &v64, 8);
	n = e820_build(mem, map);
	bp[BP_E820_ENTRIES] = (uint8_t)n;
	memcpy(bp + BP_E820_TABLE, map, n * sizeof(map[0]));
	return 0;
}

int linux_load(struct guest_mem *mem, const struct linux_boot *lb, struct boot_entry *entry)
{
	struct bzimage bz;
	uint64_t kernel_end, initrd_addr = 0;
	size_t cmdlen = strlen(lb->cmdline);
	uint8_t *dst;

	if (bzimage_parse(lb->kernel, lb->kernel_len, lb->kernel_path, &bz) < 0)
		return -1;
	/* The decompressor runs in place at 1 MiB and unpacks to pref_address
	 * (LOAD_PHYSICAL_ADDR), needing init_size bytes there. */
	kernel_end = (bz.pref_address > LAYOUT_KERNEL ? bz.pref_address : LAYOUT_KERNEL) + bz.init_size;
	if (kernel_end > gmem_low_end(mem))
		return fail(ERR_USAGE, "--mem %llu MiB is too small for this kernel (it needs at least %llu MiB)",
			    (unsigned long long)(mem->size >> 20), (unsigned long long)mib_up(kernel_end) + 16);
	dst = gmem_ptr(mem, LAYOUT_KERNEL, bz.pm_len);
	if (!dst)
		return fail(ERR_USAGE, "kernel does not fit in guest memory");
	memcpy(dst, bz.pm, bz.pm_len);

	if (cmdlen > bz.cmdline_size || cmdlen >= LAYOUT_CMDLINE_MAX)
		return fail(ERR_USAGE, "--cmdline is %zu bytes; this kernel accepts at most %u",
			    cmdlen, bz.cmdline_size);
	dst = gmem_ptr(mem, LAYOUT_CMDLINE, cmdlen + 1);
	if (!dst)
		return fail(ERR_USAGE, "guest memory too small for the command line");
	memcpy(dst, lb->cmdline, cmdlen + 1);

	if (lb->initrd) {
		if (linux_place_initrd(gmem_low_end(mem), bz.initrd_addr_max, kernel_end,
				       lb->initrd_len, &initrd_addr) < 0)
			return -1;
		dst = gmem_ptr(mem, initrd_addr, lb->initrd_len);
		if (!dst)
			return fail(ERR_USAGE, "initrd does not fit in guest memory");
		memcpy(dst, lb->initrd, lb->initrd_len);
	}
	if (write_zero_page(mem, lb, initrd_addr) < 0)
		return -1;
	*entry = (struct boot_entry){
		.mode = BOOT_MODE_LONG64,
		.rip = LAYOUT_KERNEL + 0x200, /* startup_64 */
		.rsi = LAYOUT_ZERO_PAGE,
		.rsp = LAYOUT_ZERO_PAGE,
	};
	return 0;
}
