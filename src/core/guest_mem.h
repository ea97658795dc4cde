/* Guest physical memory: one host mapping, split around the 32-bit MMIO
 * hole.  Every guest-physical address the host touches goes through
 * gmem_ptr(), the single bounds-and-overflow check. */
#ifndef WARDEN_CORE_GUEST_MEM_H
#define WARDEN_CORE_GUEST_MEM_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#define GMEM_MIB (1ULL << 20)
#define GMEM_GIB (1ULL << 30)
/* RAM below 4 GiB stops here; [3 GiB, 4 GiB) holds IOAPIC, LAPIC and
 * device windows.  RAM beyond it continues at 4 GiB. */
#define GMEM_HOLE_START (3ULL * GMEM_GIB)
#define GMEM_HIGH_START (4ULL * GMEM_GIB)
/* Alignment that lets THP and nested paging use 2 MiB pages. */
#define GMEM_ALIGN (2ULL * GMEM_MIB)

struct gmem_region {
	uint64_t gpa;  /* guest-physical start */
	uint64_t size; /* bytes */
	uint8_t *hva;  /* host address of gpa */
};

struct guest_mem {
	uint8_t *map;   /* whole aligned mapping */
	size_t map_len; /* bytes mapped, including alignment slack */
	uint64_t size;  /* RAM bytes */
	unsigned nregions;
	struct gmem_region regions[2];
	/* Mapped from a snapshot's memory file (gmem_map_file): a page not
	 * yet touched holds the file's data, not zeros.  FILE_FD is that
	 * file, kept open for its holes (valid only when FROM_FILE). */
	bool from_file;
	int file_fd;
};

/* Lay out SIZE bytes of RAM (no allocation); used by gmem_map and tests. */
void gmem_layout(struct guest_mem *m, uint64_t size);
/* Allocate and lay out SIZE bytes of guest RAM (2 MiB aligned, THP advised). */
int gmem_map(struct guest_mem *m, uint64_t size);
/* The same, with the contents of PATH (a snapshot's memory file, exactly
 * SIZE bytes, else a user error naming it) mapped privately: pages are
 * read from the file when the guest first touches them, and its writes
 * stay in this process (two VMs may run from one file). */
int gmem_map_file(struct guest_mem *m, uint64_t size, const char *path);
void gmem_unmap(struct guest_mem *m);

/* Host pointer for [gpa, gpa+len) if it lies wholly inside one RAM region,
 * else NULL.  The one check for every guest-controlled address. */
void *gmem_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len);

/* End of RAM below the hole (exclusive). */
uint64_t gmem_low_end(const struct guest_mem *m);

#endif
