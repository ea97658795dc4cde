#include "boot/linux.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "boot/boot_entry.h"
#include "boot/bzimage.h"
#include "boot/e820.h"
#include "boot/kaslr.h"
#include "core/layout.h"
#include "boot/vmlinux.h"
#include "core/guest_mem.h"
#include "util/error.h"
#include "util/log.h"
#include "util/pread_parallel.h"

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

/* What the common part of loading needs to know about the kernel, whether
 * it came as a bzImage or as a vmlinux. */
struct linux_kernel {
	const uint8_t *hdr;       /* image bytes whose [0x1f1, hdr_end) is the setup header */
	size_t hdr_end;
	uint32_t cmdline_size;    /* longest command line, excluding the NUL */
	uint32_t initrd_addr_max;
	uint64_t kernel_end;      /* first byte the kernel does not need */
	uint64_t entry;           /* its 64-bit entry point */
};

static int write_zero_page(struct guest_mem *mem, const struct linux_boot *lb,
			   const struct linux_kernel *k, uint64_t initrd_addr)
{
	uint8_t *bp = gmem_ptr(mem, LAYOUT_ZERO_PAGE, BP_SIZE);
	struct e820_entry map[E820_MAX];
	uint32_t v32;
	uint64_t v64;
	unsigned n;

	if (!bp)
		return fail(ERR_USAGE, "guest memory too small for the zero page");
	memset(bp, 0, BP_SIZE);
	/* The setup header as the kernel image carries it. */
	memcpy(bp + BZ_SETUP_SECTS, k->hdr + BZ_SETUP_SECTS, k->hdr_end - BZ_SETUP_SECTS);
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

static int check_fits(const struct guest_mem *mem, uint64_t kernel_end)
{
	if (kernel_end > gmem_low_end(mem))
		return fail(ERR_USAGE, "--mem %llu MiB is too small for this kernel (it needs at least %llu MiB)",
			    (unsigned long long)(mem->size >> 20), (unsigned long long)mib_up(kernel_end) + 16);
	return 0;
}

/* Command line, initrd, zero page and entry: the same for both formats,
 * once the kernel itself is in memory. */
static int finish_load(struct guest_mem *mem, const struct linux_boot *lb,
		       const struct linux_kernel *k, struct boot_entry *entry)
{
	uint64_t initrd_addr = 0;
	size_t cmdlen = strlen(lb->cmdline);
	uint8_t *dst;

	if (cmdlen > k->cmdline_size || cmdlen >= LAYOUT_CMDLINE_MAX)
		return fail(ERR_USAGE, "--cmdline is %zu bytes; this kernel accepts at most %u",
			    cmdlen, k->cmdline_size);
	dst = gmem_ptr(mem, LAYOUT_CMDLINE, cmdlen + 1);
	if (!dst)
		return fail(ERR_USAGE, "guest memory too small for the command line");
	memcpy(dst, lb->cmdline, cmdlen + 1);

	if (lb->initrd) {
		if (linux_place_initrd(gmem_low_end(mem), k->initrd_addr_max, k->kernel_end,
				       lb->initrd_len, &initrd_addr) < 0)
			return -1;
		dst = gmem_ptr(mem, initrd_addr, lb->initrd_len);
		if (!dst)
			return fail(ERR_USAGE, "initrd does not fit in guest memory");
		memcpy(dst, lb->initrd, lb->initrd_len);
	}
	if (write_zero_page(mem, lb, k, initrd_addr) < 0)
		return -1;
	*entry = (struct boot_entry){
		.mode = BOOT_MODE_LONG64,
		.rip = k->entry,
		.rsi = LAYOUT_ZERO_PAGE,
		.rsp = LAYOUT_ZERO_PAGE,
	};
	return 0;
}

/* Bytes [OFF, OFF+LEN) of the kernel file to DST: from the image in
 * memory, or straight from the file (the caller checked the range). */
static int kernel_bytes(const struct linux_boot *lb, uint8_t *dst, uint64_t off, uint64_t len)
{
	struct pread_part part = { .dst = dst, .off = off, .len = len };

	if (!lb->kernel_from_fd) {
		memcpy(dst, lb->kernel + off, len);
		return 0;
	}
	return pread_parallel_load(lb->kernel_fd, &part, 1, "kernel", lb->kernel_path);
}

int linux_load(struct guest_mem *mem, const struct linux_boot *lb, struct boot_entry *entry)
{
	struct bzimage bz;
	struct linux_kernel k;
	uint64_t base;
	uint8_t *dst;

	if (bzimage_parse(lb->kernel, lb->kernel_len, lb->kernel_path, &bz) < 0)
		return -1;
	/* The decompressor runs in place at 1 MiB and unpacks to pref_address
	 * (LOAD_PHYSICAL_ADDR), needing init_size bytes there. */
	base = bz.pref_address > LAYOUT_KERNEL ? bz.pref_address : LAYOUT_KERNEL;
	if (bz.init_size > UINT64_MAX - base)
		return fail(ERR_USAGE, "%s: bzImage pref_address 0x%llx plus init_size 0x%llx is past the end of memory",
			    lb->kernel_path, (unsigned long long)bz.pref_address,
			    (unsigned long long)bz.init_size);
	k = (struct linux_kernel){
		.hdr = lb->kernel, .hdr_end = bz.header_end,
		.cmdline_size = bz.cmdline_size, .initrd_addr_max = bz.initrd_addr_max,
		.kernel_end = base + bz.init_size,
		.entry = LAYOUT_KERNEL + BZ_ENTRY_64, /* startup_64 of the decompressor */
	};
	if (check_fits(mem, k.kernel_end) < 0)
		return -1;
	dst = gmem_ptr(mem, LAYOUT_KERNEL, bz.pm_len);
	if (!dst)
		return fail(ERR_USAGE, "kernel does not fit in guest memory");
	/* The protected-mode kernel: the decompressor and its payload. */
	if (kernel_bytes(lb, dst, bz.setup_len, bz.pm_len) < 0)
		return -1;
	return finish_load(mem, lb, &k, entry);
}

void linux_vmlinux_header(uint8_t *hdr)
{
	uint16_t v16;
	uint32_t v32;

	memset(hdr, 0, LINUX_VMLINUX_HDR_END);
	v16 = 0xAA55;
	memcpy(hdr + BZ_BOOT_FLAG, &v16, 2);
	memcpy(hdr + BZ_HEADER_MAGIC, "HdrS", 4);
	/* 2.12, as the kernel's own PVH entry fills in for itself: the
	 * version that has the 64-bit entry and ext_* fields. */
	v16 = BZ_MIN_VERSION;
	memcpy(hdr + BZ_VERSION, &v16, 2);
	hdr[BZ_LOADFLAGS] = BZ_LOADED_HIGH;
	v32 = LINUX_VMLINUX_INITRD_ADDR_MAX;
	memcpy(hdr + BZ_INITRD_ADDR_MAX, &v32, 4);
	v32 = LINUX_VMLINUX_CMDLINE_SIZE;
	memcpy(hdr + BZ_CMDLINE_SIZE, &v32, 4);
	hdr[BZ_XLOADFLAGS] = BZ_XLF_KERNEL_64;
}

/* The relocation table appended to the vmlinux, read into *BUF (freed by
 * the caller). 1 if there is one, 0 if not, -1 on a read error. */
static int read_relocs(const struct linux_boot *lb, uint8_t **buf, struct kaslr_relocs *r)
{
	uint64_t start = vmlinux_elf_end(lb->kernel, lb->kernel_len);
	size_t len;

	*buf = NULL;
	if (start >= lb->kernel_len || lb->kernel_len - start > LINUX_RELOCS_MAX)
		return 0;
	len = lb->kernel_len - start;
	if (!lb->kernel_from_fd)
		return kaslr_relocs_parse(lb->kernel + start, len, r);
	if (!(*buf = malloc(len)))
		return fail(ERR_HOST, "out of memory for the kernel's relocation table");
	if (kernel_bytes(lb, *buf, start, len) < 0)
		return -1;
	return kaslr_relocs_parse(*buf, len, r);
}

/* Randomize where the vmlinux goes, as a bzImage's decompressor would:
 * *P (zero when not), with R the table to apply. PHYS_TOP: where RAM for
 * the kernel ends (the initrd goes above). 0, or -1 on an error. */
static int plan_kaslr(const struct linux_boot *lb, const struct vmlinux *vm, uint64_t phys_top,
		      uint8_t **buf, struct kaslr_relocs *r, struct kaslr_place *p)
{
	uint64_t rnd[2];
	int have;

	memset(p, 0, sizeof(*p));
	*buf = NULL;
	if (kaslr_disabled_by(lb->cmdline)) {
		log_debug("kernel not randomized: nokaslr on the command line");
		return 0;
	}
	if ((have = read_relocs(lb, buf, r)) <= 0) {
		if (have == 0)
			log_debug("kernel not randomized: the vmlinux has no relocation table");
		return have;
	}
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		log_warn("kernel not randomized: getrandom failed");
		return 0;
	}
	kaslr_choose(vm->start, vm->end, phys_top, rnd[0], rnd[1], p);
	if (!p->randomized) {
		log_debug("kernel not randomized: no room to move it");
		return 0;
	}
	log_debug("kernel randomized: physical 0x%llx, virtual 0x%llx (%zu relocations)",
		  (unsigned long long)(vm->start + p->phys_shift),
		  (unsigned long long)(KASLR_START_KERNEL_MAP + vm->start + p->virt_delta),
		  r->n64 + r->ninv32 + r->n32);
	return 0;
}

/* Where RAM for the kernel ends: below the initrd, which goes at the top. */
static int kernel_ram_top(const struct guest_mem *mem, const struct linux_boot *lb, uint64_t kernel_end,
			  uint64_t *top)
{
	*top = gmem_low_end(mem);
	if (!lb->initrd)
		return 0;
	return linux_place_initrd(*top, LINUX_VMLINUX_INITRD_ADDR_MAX, kernel_end, lb->initrd_len, top);
}

/* Segments at their place, relocated. */
static int load_vmlinux_at(struct guest_mem *mem, const struct linux_boot *lb, const struct kaslr_place *p,
			   const struct kaslr_relocs *r)
{
	struct kaslr_range ranges[VMLINUX_MAX_PHDRS];
	unsigned n;

	if (vmlinux_load_segments(mem, lb->kernel, lb->kernel_len, lb->kernel_from_fd ? lb->kernel_fd : -1,
				  p->phys_shift, lb->kernel_path) < 0)
		return -1;
	if (p->virt_delta == 0)
		return 0;
	n = vmlinux_kernel_ranges(lb->kernel, lb->kernel_len, ranges);
	return kaslr_apply(mem, r, p, ranges, n, lb->kernel_path);
}

/* Why the 64-bit boot protocol and not PVH (hvm_start_info, 32-bit entry
 * at XEN_ELFNOTE_PHYS32_ENTRY): the zero page, e820, initrd, RSDP and the
 * long-mode entry state are exactly what warden already builds, unit
 * tested, for the bzImage, so the vmlinux only adds "copy segments, jump to
 * e_entry"; it works for any x86-64 vmlinux, also one built without
 * CONFIG_PVH; and the kernel's PVH entry ends up in startup_64 with a
 * boot_params it fills in itself from the same facts anyway. A vmlinux
 * has no decompressor, so warden does its one job besides unpacking:
 * KASLR (kaslr.h), with the relocation table the build appended. */
int linux_load_vmlinux(struct guest_mem *mem, const struct linux_boot *lb, struct boot_entry *entry)
{
	uint8_t hdr[LINUX_VMLINUX_HDR_END];
	struct vmlinux vm;
	struct linux_kernel k;
	struct kaslr_relocs r;
	struct kaslr_place p;
	uint8_t *relocs_buf = NULL;
	uint64_t top;
	int ret = -1;

	if (vmlinux_parse(lb->kernel, lb->kernel_len, lb->kernel_path, &vm) < 0 || check_fits(mem, vm.end) < 0 ||
	    kernel_ram_top(mem, lb, vm.end, &top) < 0 || plan_kaslr(lb, &vm, top, &relocs_buf, &r, &p) < 0)
		goto out;
	linux_vmlinux_header(hdr);
	if (p.randomized)
		hdr[BZ_LOADFLAGS] |= KASLR_FLAG;
	k = (struct linux_kernel){
		.hdr = hdr, .hdr_end = sizeof(hdr),
		.cmdline_size = LINUX_VMLINUX_CMDLINE_SIZE,
		.initrd_addr_max = LINUX_VMLINUX_INITRD_ADDR_MAX,
		.kernel_end = vm.end + p.phys_shift, /* .bss and .brk included */
		.entry = vm.entry + p.phys_shift,    /* startup_64 itself */
	};
	if (load_vmlinux_at(mem, lb, &p, &r) == 0)
		ret = finish_load(mem, lb, &k, entry);
out:
	free(relocs_buf);
	return ret;
}
