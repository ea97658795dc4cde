#include "util/pagemap.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define PAGE 4096u

int pagemap_open(struct pagemap *pm)
{
	memset(pm, 0, offsetof(struct pagemap, entry));
	pm->fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	return pm->fd < 0 ? -1 : 0;
}

void pagemap_close(struct pagemap *pm)
{
	if (pm->fd >= 0)
		close(pm->fd);
	pm->fd = -1;
}

bool pagemap_entry(struct pagemap *pm, const void *addr, uint64_t *e)
{
	uint64_t page = (uintptr_t)addr / PAGE;

	if (pm->fd < 0)
		return false;
	if (page < pm->first || page >= pm->first + pm->n) {
		ssize_t r = pread(pm->fd, pm->entry, sizeof(pm->entry), (off_t)(page * sizeof(uint64_t)));

		if (r < (ssize_t)sizeof(uint64_t))
			return false;
		pm->first = page;
		pm->n = (size_t)r / sizeof(uint64_t);
	}
	*e = pm->entry[page - pm->first];
	return true;
}
