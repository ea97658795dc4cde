/* The functions every VM exit runs through, marked so that the compiler
 * puts them in .text.hot, which the linker lays out together: an exit
 * then executes code from a page or two instead of one page per source
 * file.  That matters because after an exit the TLB is cold for warden's
 * user space (natively after the guest ran; in the emulated tier QEMU's
 * software TLB is emptied by L1's world switches), and every page of code
 * or data an exit touches costs a page walk. */
#ifndef WARDEN_UTIL_HOT_H
#define WARDEN_UTIL_HOT_H

#define EXIT_PATH __attribute__((hot))

/* An exit path function that starts a page: what an exit runs of it (well
 * under 4 KiB) is then one page of code wherever the linker puts it, where
 * it may otherwise straddle two.  For the run loop, which every exit
 * runs (the accounting's work comes in batches: core/exit_notes.h). */
#define EXIT_PATH_PAGE __attribute__((hot, noinline, aligned(4096)))

/* What the exit loop calls only rarely (a pause, a suspend, a crash): out
 * of line and out of the hot pages, and the paths to it laid out apart,
 * so the common exit's code stays dense. */
#define COLD_PATH __attribute__((cold, noinline))

#include <stdlib.h>
#include <string.h>

/* Zeroed memory for a structure an exit reads, placed so that it never
 * straddles two pages: aligned to the power of two at or above its size
 * (a page at most).  Freed with free(). */
static inline void *calloc_in_page(size_t size)
{
	size_t align = 64;
	void *p;

	while (align < size && align < 4096)
		align *= 2;
	p = aligned_alloc(align, (size + align - 1) / align * align);
	if (p)
		memset(p, 0, size);
	return p;
}

#endif
