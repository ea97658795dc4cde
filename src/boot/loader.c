#include "boot/loader.h"

#include <stdlib.h>
#include <string.h>

#include "boot/acpi.h"
#include "boot/bzimage.h"
#include "boot/elf.h"
#include "boot/layout.h"
#include "boot/linux.h"
#include "util/error.h"
#include "util/file.h"

static enum kernel_format detect(const uint8_t *img, size_t len, enum kernel_format asked)
{
	if (asked != KERNEL_AUTO)
		return asked;
	if (elf_looks_like(img, len))
		return KERNEL_ELF;
	return KERNEL_BZIMAGE; /* anything else must be a bzImage or is refused */
}

static uint64_t write_acpi(struct vm *vm)
{
	uint8_t *area = gmem_ptr(&vm->mem, LAYOUT_ACPI, LAYOUT_ACPI_END - LAYOUT_ACPI);

	if (!area)
		return 0;
	return acpi_build(area, LAYOUT_ACPI_END - LAYOUT_ACPI, LAYOUT_ACPI, vm->cfg.ncpus);
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

int boot_load(struct vm *vm, const struct boot_spec *spec)
{
	uint8_t *img = NULL, *initrd = NULL;
	size_t len = 0, initrd_len = 0;
	uint64_t rsdp;
	int ret = -1;

	if (file_read_all(spec->kernel, "kernel", &img, &len) < 0)
		return -1;
	if (spec->initrd && file_read_all(spec->initrd, "initrd", &initrd, &initrd_len) < 0)
		goto out;
	if (write_reset_stub(vm) < 0)
		goto out;
	rsdp = write_acpi(vm);
	if (!rsdp) {
		fail(ERR_USAGE, "cannot build ACPI tables for %u vCPUs in guest memory", vm->cfg.ncpus);
		goto out;
	}
	switch (detect(img, len, spec->format)) {
	case KERNEL_BZIMAGE: {
		struct linux_boot lb = {
			.kernel = img, .kernel_len = len, .kernel_path = spec->kernel,
			.initrd = initrd, .initrd_len = initrd_len,
			.cmdline = spec->cmdline ? spec->cmdline : "", .rsdp = rsdp,
		};
		if (!bzimage_looks_like(img, len)) {
			fail(ERR_USAGE, "%s is not a bzImage or ELF kernel (for a raw binary use --kernel-format flat)",
			     spec->kernel);
			goto out;
		}
		ret = linux_load(&vm->mem, &lb, &vm->entry);
		break;
	}
	case KERNEL_ELF:
		ret = elf_load(&vm->mem, img, len, spec->kernel, &vm->entry);
		break;
	case KERNEL_FLAT:
		ret = flat_load(&vm->mem, img, len, spec->kernel, &vm->entry);
		break;
	default:
		fail(ERR_USAGE, "unknown kernel format");
	}
	if (ret == 0 && initrd && !bzimage_looks_like(img, len))
		ret = fail(ERR_USAGE, "--initrd needs a Linux bzImage kernel");
out:
	free(img);
	free(initrd);
	return ret;
}

int boot_is_linux(const struct boot_spec *spec)
{
	uint8_t *img;
	size_t len;
	int linux_kernel;

	if (spec->format == KERNEL_ELF || spec->format == KERNEL_FLAT)
		return 0;
	if (file_read_all(spec->kernel, "kernel", &img, &len) < 0)
		return -1;
	linux_kernel = bzimage_looks_like(img, len);
	if (linux_kernel) {
		/* Report a bad header before anything about the host. */
		struct bzimage bz;
		if (bzimage_parse(img, len, spec->kernel, &bz) < 0)
			linux_kernel = -1;
	}
	free(img);
	return linux_kernel;
}
