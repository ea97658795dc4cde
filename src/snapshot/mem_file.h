/* The snapshot's memory file: guest RAM as one flat file (the low region,
 * then RAM above 4 GiB), exactly the machine's RAM size, sparse where the
 * guest's memory is zero.  A restore maps it privately
 * (core/guest_mem.h: gmem_map_file). */
#ifndef WARDEN_SNAPSHOT_MEM_FILE_H
#define WARDEN_SNAPSHOT_MEM_FILE_H

#include <stdint.h>

struct guest_mem;

/* What a write did with guest memory, in bytes: written to the file,
 * read to find its zero runs, and skipped because the host never gave
 * those pages to the guest (anonymous RAM only; /proc/self/pagemap). */
struct mem_file_counts {
	uint64_t written, read, skipped;
};

/* Write M to PATH.tmp, fsync it, rename it to PATH (a file of the same
 * name that a restored VM maps stays as it was).  COUNTS, if not NULL,
 * gets what it did. */
int mem_file_write(const struct guest_mem *m, const char *path, struct mem_file_counts *counts);

#endif
