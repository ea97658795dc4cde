/* The multiboot (v1) loader (src/boot/multiboot.c): the input is the
 * --kernel file; its header is searched for as warden does, and a kernel
 * with one is loaded with a module (the initrd) and a command line into
 * guarded RAM (tests/fuzz/loader_fuzz.h), which also builds the boot
 * information, memory map and module list.  A refused file must be a
 * user error. */
#include "boot/multiboot.h"
#include "loader_fuzz.h"

static const uint8_t module[4096] = { 'm', 'o', 'd' };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *img = fz_image(data, size);
	struct multiboot_boot mb = {
		.kernel = img, .kernel_len = size, .kernel_path = "fuzz-multiboot",
		.cmdline = "console=ttyS0", .module = module, .module_len = sizeof(module),
	};
	struct boot_entry e = { 0 };
	struct mb_header h;

	if (multiboot_find(img, size, &h) == 1) {
		err_clear();
		fz_refused_cleanly(multiboot_load(fz_load_ram(), &mb, &e));
	}
	free(img);
	return 0;
}
