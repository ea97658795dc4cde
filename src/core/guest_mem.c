#include "core/guest_mem.h"

#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/error.h"

void gmem_layout(struct guest_mem *m, uint64_t size)
{
	uint64_t low = size < GMEM_HOLE_START ? size : GMEM_HOLE_START;

	m->size = size;
	m->nregions = 1;
	m->regions[0] = (struct gmem_region){ .gpa = 0, .size = low, .hva = m->map };
	if (size > low) {
		m->nregions = 2;
		m->regions[1] = (struct gmem_region){
			.gpa = GMEM_HIGH_START,
			.size = size - low,
			.hva = m->map ? m->map + low : NULL,
		};
	}
}

int gmem_map(struct guest_mem *m, uint64_t size)
{
	size_t len = size + GMEM_ALIGN;
	uint8_t *raw, *aligned;

	memset(m, 0, sizeof(*m));
	/* NORESERVE: the guest only costs host memory for pages it touches. */
	raw = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED)
		return fail_errno(ERR_USAGE, "cannot map %llu MiB of guest memory",
				  (unsigned long long)(size / GMEM_MIB));
	aligned = (uint8_t *)(((uintptr_t)raw + GMEM_ALIGN - 1) & ~(GMEM_ALIGN - 1));
	/* Trim the slack so the mapping itself is 2 MiB aligned. */
	if (aligned > raw)
		munmap(raw, aligned - raw);
	if (aligned + size < raw + len)
		munmap(aligned + size, raw + len - (aligned + size));
	m->map = aligned;
	m->map_len = size;
	madvise(m->map, size, MADV_HUGEPAGE);
	/* Guest memory must not be copied into children (e.g. a helper fork). */
	madvise(m->map, size, MADV_DONTFORK);
	gmem_layout(m, size);
	return 0;
}

int gmem_map_file(struct guest_mem *m, uint64_t size, const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return fail_errno(ERR_USAGE, "snapshot memory file %s", path);
	/* The size of the file actually mapped, checked on its descriptor. */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != size) {
		close(fd);
		return fail(ERR_USAGE, "snapshot memory file %s is %lld bytes; the snapshot's machine has %llu",
			    path, (long long)st.st_size, (unsigned long long)size);
	}
	/* The aligned reservation first, then the file over it. */
	if (gmem_map(m, size) < 0) {
		close(fd);
		return -1;
	}
	if (mmap(m->map, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED | MAP_NORESERVE, fd, 0) ==
	    MAP_FAILED) {
		close(fd);
		gmem_unmap(m);
		return fail_errno(ERR_HOST, "cannot map snapshot memory file %s", path);
	}
	madvise(m->map, size, MADV_DONTFORK);
	/* Kept: a snapshot of this VM asks the file where its holes are. */
	m->from_file = true;
	m->file_fd = fd;
	return 0;
}

void gmem_unmap(struct guest_mem *m)
{
	if (m->map)
		munmap(m->map, m->map_len);
	if (m->from_file)
		close(m->file_fd);
	memset(m, 0, sizeof(*m));
}

void *gmem_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	for (unsigned i = 0; i < m->nregions; i++) {
		const struct gmem_region *r = &m->regions[i];
		uint64_t off;

		if (gpa < r->gpa)
			continue;
		off = gpa - r->gpa;
		/* off <= size and len <= size - off: no overflow possible. */
		if (off <= r->size && len <= r->size - off)
			return r->hva + off;
	}
	return NULL;
}

uint64_t gmem_low_end(const struct guest_mem *m)
{
	return m->regions[0].size;
}
