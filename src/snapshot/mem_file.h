/* The snapshot's memory file: guest RAM as one flat file (the low region,
 * then RAM above 4 GiB), exactly the machine's RAM size, sparse where the
 * guest's memory is zero.  A restore maps it privately
 * (core/guest_mem.h: gmem_map_file). */
#ifndef WARDEN_SNAPSHOT_MEM_FILE_H
#define WARDEN_SNAPSHOT_MEM_FILE_H

struct guest_mem;

/* Write M to PATH.tmp, fsync it, rename it to PATH (a file of the same
 * name that a restored VM maps stays as it was). */
int mem_file_write(const struct guest_mem *m, const char *path);

#endif
