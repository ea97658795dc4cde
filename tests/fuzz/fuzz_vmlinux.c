/* The Linux vmlinux loader (src/boot/vmlinux.c, src/boot/linux.c,
 * src/boot/kaslr.c): the input is the --kernel file, an ELF with Linux's
 * notes and, after it, the relocation table KASLR applies.  Loaded as
 * warden loads it, both ways: whole, from memory, and lazily
 * (vmlinux_read_headers, then the segments read from the fd into guest
 * memory), into guarded RAM (tests/fuzz/loader_fuzz.h).  A refused file
 * must be a user error; a loaded one must be entered inside RAM. */
#include "boot/linux.h"
#include "boot/vmlinux.h"
#include "loader_fuzz.h"

static void load(const uint8_t *img, size_t len, int fd)
{
	struct linux_boot lb = {
		.kernel = img, .kernel_len = len, .kernel_path = "fuzz-vmlinux",
		.kernel_from_fd = fd >= 0, .kernel_fd = fd,
		.cmdline = "console=ttyS0 panic=-1", .rsdp = 0xe0000,
	};
	struct boot_entry e = { 0 };
	int r;

	err_clear();
	r = linux_load_vmlinux(fz_load_ram(), &lb, &e);
	fz_refused_cleanly(r);
	fz_entry_in_ram(r, &e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *img = fz_image(data, size);
	int fd;

	if (vmlinux_is_linux(img, size))
		load(img, size, -1);
	free(img);
	img = calloc(1, size ? size : 1);
	fd = fz_memfd(data, size);
	if (img && vmlinux_read_headers(fd, img, size) == 0 && vmlinux_is_linux(img, size))
		load(img, size, fd);
	close(fd);
	free(img);
	return 0;
}
