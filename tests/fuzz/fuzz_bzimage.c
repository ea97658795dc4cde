/* The bzImage loader (src/boot/bzimage.c, src/boot/linux.c): the input is
 * the --kernel file.  It is loaded as warden loads it, both ways:
 * whole, from memory (linux_load), and lazily (bzimage_read_setup from
 * the file, then linux_load reading the rest from the fd into guest
 * memory), with a small initrd and a command line, into guarded RAM
 * (tests/fuzz/loader_fuzz.h).  A refused file must be a user error; a
 * loaded one must be entered inside RAM. */
#include "boot/bzimage.h"
#include "boot/linux.h"
#include "loader_fuzz.h"

static const uint8_t initrd[4096] = { 0x1f, 0x8b };

static void load(const uint8_t *img, size_t len, int fd)
{
	struct linux_boot lb = {
		.kernel = img, .kernel_len = len, .kernel_path = "fuzz-bzImage",
		.kernel_from_fd = fd >= 0, .kernel_fd = fd,
		.initrd = initrd, .initrd_len = sizeof(initrd),
		.cmdline = "console=ttyS0 panic=-1", .rsdp = 0xe0000,
	};
	struct boot_entry e = { 0 };
	int r;

	err_clear();
	r = linux_load(fz_load_ram(), &lb, &e);
	fz_refused_cleanly(r);
	fz_entry_in_ram(r, &e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *img = fz_image(data, size);
	struct bzimage bz;
	int fd;

	err_clear();
	fz_refused_cleanly(bzimage_parse(img, size, "fuzz-bzImage", &bz));
	if (bzimage_looks_like(img, size))
		load(img, size, -1);
	free(img);
	/* The lazy path: only the setup read from the file (loader.c). */
	img = calloc(1, size ? size : 1);
	fd = fz_memfd(data, size);
	if (img && bzimage_read_setup(fd, img, size) == 0 && bzimage_looks_like(img, size))
		load(img, size, fd);
	close(fd);
	free(img);
	return 0;
}
