/* What the kernel-loader harnesses share: guest RAM between PROT_NONE
 * guards (a loader writing past RAM faults, which a sanitizer alone would
 * not see inside a larger mapping), the file's bytes in a heap buffer of
 * exactly their length, and in a memfd for the lazy paths (a large
 * bzImage or vmlinux is read from its fd straight into guest memory).
 * KASLR's randomness is fixed, so that a crash reproduces. */
#ifndef WARDEN_TESTS_LOADER_FUZZ_H
#define WARDEN_TESTS_LOADER_FUZZ_H

#include <stdlib.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#include "boot/boot_entry.h"
#include "core/guest_mem.h"
#include "util/error.h"
#include "fuzz.h"

#define FZ_LOAD_RAM (64 * GMEM_MIB)
#define FZ_GUARD (16 * GMEM_MIB)

static inline struct guest_mem *fz_load_ram(void)
{
	static struct guest_mem mem;
	uint8_t *p;

	if (mem.map)
		return &mem;
	p = mmap(NULL, FZ_GUARD + FZ_LOAD_RAM + FZ_GUARD, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED || mprotect(p + FZ_GUARD, FZ_LOAD_RAM, PROT_READ | PROT_WRITE) < 0)
		abort();
	mem.map = p + FZ_GUARD;
	mem.map_len = FZ_LOAD_RAM;
	gmem_layout(&mem, FZ_LOAD_RAM);
	return &mem;
}

/* DATA in a heap buffer of exactly SIZE bytes (the fuzzer's own may be
 * larger than the input); free() it. */
static inline uint8_t *fz_image(const uint8_t *data, size_t size)
{
	uint8_t *img = malloc(size ? size : 1);

	if (!img)
		abort();
	memcpy(img, data, size);
	return img;
}

/* A memfd holding DATA, at offset 0; close() it. */
static inline int fz_memfd(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz-kernel", MFD_CLOEXEC);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	return fd;
}

/* The loader's contract on a refused file: a user error, one line. */
static inline void fz_refused_cleanly(int r)
{
	fz_debug("%s\n", r < 0 ? err_msg() : "accepted");
	if (r < 0 && (err_class() != ERR_USAGE || !err_msg()[0]))
		__builtin_trap();
}

/* A successful load enters the guest inside RAM. */
static inline void fz_entry_in_ram(int r, const struct boot_entry *e)
{
	if (r == 0 && e->rip >= FZ_LOAD_RAM)
		__builtin_trap();
}

/* KASLR (boot/linux.c) draws its slot with getrandom: defined here, it
 * takes the place of libc's for the loaders linked in, and answers the
 * same bytes every time. */
ssize_t getrandom(void *buf, size_t len, unsigned int flags)
{
	(void)flags;
	memset(buf, 0x5a, len);
	return (ssize_t)len;
}

#endif
