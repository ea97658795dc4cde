#include "boot/loader.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/acpi.h"
#include "boot/boot_entry.h"
#include "boot/bzimage.h"
#include "boot/cpu_state.h"
#include "boot/elf.h"
#include "core/layout.h"
#include "boot/linux.h"
#include "boot/multiboot.h"
#include "boot/vmlinux.h"
#include "util/error.h"
#include "util/file.h"

static enum kernel_format detect(const uint8_t *img, size_t len, enum kernel_format asked)
{
	struct mb_header mb;

	if (asked != KERNEL_AUTO)
		return asked;
	/* Before ELF: a multiboot kernel is usually an ELF32 file too. */
	if (multiboot_find(img, len, &mb))
		return KERNEL_MULTIBOOT;
	if (elf_looks_like(img, len))
		return KERNEL_ELF;
	return KERNEL_BZIMAGE; /* anything else must be a bzImage or is refused */
}

/* The tables describe the devices with what the allocator granted them. */
static uint64_t write_acpi(struct vm *vm)
{
	uint8_t *area = gmem_ptr(&vm->mem, LAYOUT_ACPI, LAYOUT_ACPI_END - LAYOUT_ACPI);

	if (!area)
		return 0;
	return acpi_build(area, LAYOUT_ACPI_END - LAYOUT_ACPI, LAYOUT_ACPI, vm->cfg.ncpus,
			  (const struct device *const *)vm->devices, vm->ndevices);
}

/* The "firmware" at the reset vector. Linux on a hardware-reduced ACPI
 * platform reboots by jumping to the BIOS reset vector in real mode
 * (BOOT_EFI falls back to BOOT_BIOS without EFI). A PC's firmware would
 * then reset the machine; ours does exactly that, through the ACPI reset
 * register, instead of running off into zeroed memory forever. */
static int write_reset_stub(struct vm *vm)
{
	static const uint8_t stub[] = {
		0xba, (PORT_ACPI_PM + ACPI_PM_RESET) & 0xff, (PORT_ACPI_PM + ACPI_PM_RESET) >> 8, /* mov dx, port */
		0xb0, ACPI_RESET_VALUE, /* mov al, value */
		0xee,                   /* out dx, al */
		0xf4,                   /* hlt */
		0xeb, 0xfd,             /* jmp hlt */
	};
	uint8_t *p = gmem_ptr(&vm->mem, LAYOUT_RESET_VECTOR, sizeof(stub));

	if (!p)
		return fail(ERR_USAGE, "guest memory too small for the reset vector");
	memcpy(p, stub, sizeof(stub));
	return 0;
}

/* Whether FD (SIZE bytes) is a kernel that can be loaded from the file at
 * each boot, a Linux vmlinux or a bzImage as FORMAT allows; its headers
 * are then in IMG. (A failed vmlinux try leaves at most the ELF header's
 * bytes, which the bzImage's setup then overwrites.) */
static bool loadable_from_file(int fd, uint8_t *img, size_t size, enum kernel_format format)
{
	if (format != KERNEL_BZIMAGE && vmlinux_read_headers(fd, img, size) == 0 &&
	    vmlinux_is_linux(img, size))
		return true;
	return format != KERNEL_ELF && bzimage_read_setup(fd, img, size) == 0 &&
	       bzimage_looks_like(img, size);
}

/* A kernel is big (50 MB for Debian's vmlinux, 14 MB for its bzImage),
 * and only its headers are looked at before it is loaded: read just those
 * now and keep the file open, so each load reads the rest straight into
 * guest memory: one copy instead of two. In the emulated L1, set-up went
 * from 0.75-1.1 s to 0.1-0.25 s for the vmlinux (docs/benchmarks.md).
 * 1 if SPEC now holds such a lazy kernel (a Linux vmlinux or a bzImage,
 * as FORMAT allows); 0 if the file is anything else, or cannot be handled
 * so, for file_read_all to read (and judge) whole. */
static int read_kernel_lazily(struct boot_spec *spec)
{
	int fd = open(spec->kernel, O_RDONLY | O_CLOEXEC);
	struct stat st;
	uint8_t *img;
	size_t size;

	if (fd < 0)
		return 0;
	/* calloc of a large block is fresh zeroed pages: untouched ones cost
	 * nothing, and the parts never read stay zero. */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < 64 ||
	    (uint64_t)st.st_size > (1ULL << 32) /* file_read_all's limit */ ||
	    !(img = calloc(1, (size_t)st.st_size))) {
		close(fd);
		return 0;
	}
	size = (size_t)st.st_size;
	if (!loadable_from_file(fd, img, size, spec->format)) {
		free(img);
		close(fd);
		return 0;
	}
	spec->kernel_img = img;
	spec->kernel_len = size;
	spec->kernel_fd = fd;
	spec->kernel_lazy = true;
	return 1;
}

int boot_spec_read(struct boot_spec *spec)
{
	spec->kernel_lazy = false;
	spec->kernel_fd = -1;
	if ((spec->format == KERNEL_FLAT || !read_kernel_lazily(spec)) &&
	    file_read_all(spec->kernel, "kernel", &spec->kernel_img, &spec->kernel_len) < 0)
		return -1;
	if (spec->initrd &&
	    file_read_all(spec->initrd, "initrd", &spec->initrd_img, &spec->initrd_len) < 0) {
		boot_spec_free(spec);
		return -1;
	}
	return 0;
}

void boot_spec_free(struct boot_spec *spec)
{
	if (spec->kernel_lazy)
		close(spec->kernel_fd);
	spec->kernel_lazy = false;
	spec->kernel_fd = -1;
	free(spec->kernel_img);
	free(spec->initrd_img);
	spec->kernel_img = spec->initrd_img = NULL;
	spec->kernel_len = spec->initrd_len = 0;
}

int boot_load(struct vm *vm, const struct boot_spec *spec)
{
	struct boot_entry entry = { 0 };

	return boot_load_entry(vm, spec, &entry);
}

int boot_load_entry(struct vm *vm, const struct boot_spec *spec, struct boot_entry *entry)
{
	const uint8_t *img = spec->kernel_img;
	size_t len = spec->kernel_len;
	uint64_t rsdp;
	int ret = -1;

	if (write_reset_stub(vm) < 0)
		return -1;
	rsdp = write_acpi(vm);
	if (!rsdp)
		return fail(ERR_USAGE, "cannot build ACPI tables for %u vCPUs in guest memory", vm->cfg.ncpus);
	switch (detect(img, len, spec->format)) {
	case KERNEL_BZIMAGE: {
		struct linux_boot lb = {
			.kernel = img, .kernel_len = len, .kernel_path = spec->kernel,
			.kernel_from_fd = spec->kernel_lazy, .kernel_fd = spec->kernel_fd,
			.initrd = spec->initrd_img, .initrd_len = spec->initrd_len,
			.cmdline = spec->cmdline ? spec->cmdline : "", .rsdp = rsdp,
		};
		if (!bzimage_looks_like(img, len))
			return fail(ERR_USAGE, "%s is not a bzImage or ELF kernel (for a raw binary use --kernel-format flat)",
				    spec->kernel);
		ret = linux_load(&vm->mem, &lb, entry);
		break;
	}
	case KERNEL_ELF:
		/* A Linux vmlinux gets the Linux boot protocol; any other ELF
		 * (the native tier's test guests) is loaded as before. */
		if (vmlinux_is_linux(img, len)) {
			struct linux_boot lb = {
				.kernel = img, .kernel_len = len, .kernel_path = spec->kernel,
				.kernel_from_fd = spec->kernel_lazy, .kernel_fd = spec->kernel_fd,
				.initrd = spec->initrd_img, .initrd_len = spec->initrd_len,
				.cmdline = spec->cmdline ? spec->cmdline : "", .rsdp = rsdp,
			};
			ret = linux_load_vmlinux(&vm->mem, &lb, entry);
		} else {
			ret = elf_load(&vm->mem, img, len, spec->kernel, entry);
		}
		break;
	case KERNEL_FLAT:
		ret = flat_load(&vm->mem, img, len, spec->kernel, entry);
		break;
	case KERNEL_MULTIBOOT: {
		struct multiboot_boot mb = {
			.kernel = img, .kernel_len = len, .kernel_path = spec->kernel,
			.cmdline = spec->cmdline ? spec->cmdline : "",
			.module = spec->initrd_img, .module_len = spec->initrd_len,
		};
		ret = multiboot_load(&vm->mem, &mb, entry);
		break;
	}
	default:
		return fail(ERR_USAGE, "unknown kernel format");
	}
	if (ret == 0 && spec->initrd_img && !bzimage_looks_like(img, len) && !vmlinux_is_linux(img, len) &&
	    !boot_is_multiboot(spec))
		ret = fail(ERR_USAGE, "--initrd needs a Linux kernel (bzImage or vmlinux)");
	/* The boot GDT and page tables go into memory now; core gets registers. */
	if (ret == 0)
		ret = cpu_state_build(&vm->mem, entry, &vm->boot);
	return ret;
}

bool boot_is_multiboot(const struct boot_spec *spec)
{
	return detect(spec->kernel_img, spec->kernel_len, spec->format) == KERNEL_MULTIBOOT;
}

int boot_is_linux(const struct boot_spec *spec)
{
	struct bzimage bz;

	if (spec->format == KERNEL_FLAT || boot_is_multiboot(spec))
		return 0;
	if (spec->format != KERNEL_BZIMAGE && vmlinux_is_linux(spec->kernel_img, spec->kernel_len)) {
		struct vmlinux vm;

		/* A broken vmlinux, too, is reported before anything about the host. */
		return vmlinux_parse(spec->kernel_img, spec->kernel_len, spec->kernel, &vm) < 0 ? -1 : 1;
	}
	if (spec->format == KERNEL_ELF || !bzimage_looks_like(spec->kernel_img, spec->kernel_len))
		return 0;
	/* Report a bad header before anything about the host. */
	return bzimage_parse(spec->kernel_img, spec->kernel_len, spec->kernel, &bz) < 0 ? -1 : 1;
}
