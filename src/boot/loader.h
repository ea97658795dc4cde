/* Putting a guest into memory: kernel (bzImage, ELF or flat binary),
 * initrd, command line, e820 map and ACPI tables; sets the boot entry. */
#ifndef WARDEN_BOOT_LOADER_H
#define WARDEN_BOOT_LOADER_H

#include <stdbool.h>

#include "core/vm.h"

enum kernel_format {
	KERNEL_AUTO,    /* bzImage or ELF, by magic */
	KERNEL_BZIMAGE,
	KERNEL_ELF,
	KERNEL_FLAT,    /* raw real-mode binary, never guessed */
	KERNEL_MULTIBOOT, /* a multiboot (v1) kernel */
};

struct boot_spec {
	const char *kernel;
	const char *initrd;
	const char *cmdline;
	enum kernel_format format;
	/* File contents, read once by boot_spec_read and reused on every
	 * (re)boot. */
	uint8_t *kernel_img;
	size_t kernel_len;
	uint8_t *initrd_img;
	size_t initrd_len;
	/* A Linux vmlinux or a bzImage is read lazily: kernel_img is
	 * file-sized but holds only the headers (a vmlinux's ELF header,
	 * program headers and notes; a bzImage's boot sector and setup); the
	 * rest is read from kernel_fd straight into guest memory at each load. */
	bool kernel_lazy;
	int kernel_fd;
};

/* Read the kernel and initrd files named in SPEC (user errors on failure). */
int boot_spec_read(struct boot_spec *spec);
void boot_spec_free(struct boot_spec *spec);
/* Put the guest into VM's memory and set the boot registers (vm->boot). */
int boot_load(struct vm *vm, const struct boot_spec *spec);
/* Same, and the entry the loader decided in *ENTRY (for tests). */
struct boot_entry;
int boot_load_entry(struct vm *vm, const struct boot_spec *spec, struct boot_entry *entry);
/* Whether the kernel is a multiboot kernel (it gets the multiboot boot
 * information, and the firmware interface such kernels look for). */
bool boot_is_multiboot(const struct boot_spec *spec);
/* Whether the kernel file is a Linux bzImage (for the host-capability check):
 * 1 yes, 0 no, -1 a broken bzImage header (error recorded). Needs boot_spec_read. */
int boot_is_linux(const struct boot_spec *spec);

#endif
