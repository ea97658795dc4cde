/* The generic ELF loader (src/boot/elf.c), for any ELF that is not a
 * Linux vmlinux (the native tier's test guests): the input is the
 * --kernel file, loaded into guarded RAM (tests/fuzz/loader_fuzz.h), and
 * elf_load_end (where the highest segment ends) asked of it too.  A
 * refused file must be a user error; a loaded one must be entered inside
 * RAM. */
#include "boot/elf.h"
#include "loader_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *img = fz_image(data, size);
	struct boot_entry e = { 0 };
	int r;

	(void)elf_load_end(img, size);
	if (elf_looks_like(img, size)) {
		err_clear();
		r = elf_load(fz_load_ram(), img, size, "fuzz-elf", &e);
		fz_refused_cleanly(r);
		/* An ELF's entry is its own: only the loaded bytes are checked
		 * (by the guards), not where it jumps. */
	}
	free(img);
	return 0;
}
