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
	return acpi_build(area, LAYOUT_ACPI_END - LAYOUT_ACPI, LAYOUT_ACPI, vm->cfg.ncpus,
			  vm->acpi_devs, vm->nacpi_devs);
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

int boot_spec_read(struct boot_spec *spec)
{
	if (file_read_all(spec->kernel, "kernel", &spec->kernel_img, &spec->kernel_len) < 0)
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
	free(spec->kernel_img);
	free(spec->initrd_img);
	spec->kernel_img = spec->initrd_img = NULL;
	spec->kernel_len = spec->initrd_len = 0;
}

int boot_load(struct vm *vm, const struct boot_spec *spec)
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
			.initrd = spec->initrd_img, .initrd_len = spec->initrd_len,
			.cmdline = spec->cmdline ? spec->cmdline : "", .rsdp = rsdp,
		};
		if (!bzimage_looks_like(img, len))
			return fail(ERR_USAGE, "%s is not a bzImage or ELF kernel (for a raw binary use --kernel-format flat)",
				    spec->kernel);
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
		return fail(ERR_USAGE, "unknown kernel format");
	}
	if (ret == 0 && spec->initrd_img && !bzimage_looks_like(img, len))
		ret = fail(ERR_USAGE, "--initrd needs a Linux bzImage kernel");
	return ret;
}

int boot_is_linux(const struct boot_spec *spec)
{
	struct bzimage bz;

	if (spec->format == KERNEL_ELF || spec->format == KERNEL_FLAT ||
	    !bzimage_looks_like(spec->kernel_img, spec->kernel_len))
		return 0;
	/* Report a bad header before anything about the host. */
	return bzimage_parse(spec->kernel_img, spec->kernel_len, spec->kernel, &bz) < 0 ? -1 : 1;
}
