/* This process's page table as /proc/self/pagemap tells it (the kernel's
 * admin-guide/mm/pagemap.rst): one 64-bit entry per virtual page.  Read
 * in windows of 512 entries (2 MiB of address space) as pages are asked
 * for in order.  Unprivileged readers get the flags, not the frames. */
#ifndef WARDEN_UTIL_PAGEMAP_H
#define WARDEN_UTIL_PAGEMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PAGEMAP_PRESENT (1ull << 63)
#define PAGEMAP_SWAPPED (1ull << 62) /* also a migration entry */
#define PAGEMAP_FILE (1ull << 61)    /* a file's page (or shared anonymous) */

struct pagemap {
	int fd;         /* -1: closed */
	uint64_t first; /* the page entry[0] is for */
	size_t n;       /* entries held */
	uint64_t entry[512];
};

/* 0, or -1 with errno (no /proc, as in a jail). */
int pagemap_open(struct pagemap *pm);
void pagemap_close(struct pagemap *pm);
/* The entry of the page at ADDR into *E; false if it cannot be read. */
bool pagemap_entry(struct pagemap *pm, const void *addr, uint64_t *e);

#endif
