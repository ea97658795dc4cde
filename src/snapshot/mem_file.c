#include "snapshot/mem_file.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "core/guest_mem.h"
#include "util/error.h"
#include "util/file.h"

/* Zero runs this size and aligned are left as holes. */
#define CHUNK (64u << 10)

static bool all_zero(const uint8_t *p, size_t n)
{
	const uint64_t *w = (const uint64_t *)p;

	for (size_t i = 0; i < n / sizeof(*w); i++)
		if (w[i])
			return false;
	return true;
}

/* The non-zero runs of the mapping, each with one pwrite. */
static int write_runs(int fd, const struct guest_mem *m)
{
	uint64_t run = 0, off;
	bool in_run = false;

	for (off = 0; off < m->size; off += CHUNK) {
		size_t n = m->size - off < CHUNK ? (size_t)(m->size - off) : CHUNK;
		bool zero = all_zero(m->map + off, n);

		if (!zero && !in_run) {
			run = off;
			in_run = true;
		} else if (zero && in_run) {
			if (file_pwrite_all(fd, m->map + run, off - run, run) < 0)
				return -1;
			in_run = false;
		}
	}
	return in_run ? file_pwrite_all(fd, m->map + run, m->size - run, run) : 0;
}

int mem_file_write(const struct guest_mem *m, const char *path)
{
	char tmp[4096];
	int fd, ret = 0;

	/* A new file renamed over the old one: a VM restored from the old one
	 * maps it privately and reads it lazily, so it must never change. */
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return fail(ERR_USAGE, "snapshot path %s is too long", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return fail_errno(ERR_USAGE, "cannot create snapshot memory file %s", tmp);
	/* The guest RAM is one mapping in gpa order (core/guest_mem.c). */
	if (ftruncate(fd, (off_t)m->size) < 0 || write_runs(fd, m) < 0 || fsync(fd) < 0)
		ret = fail_errno(ERR_HOST, "cannot write snapshot memory file %s", tmp);
	close(fd);
	if (ret == 0 && rename(tmp, path) < 0)
		ret = fail_errno(ERR_HOST, "cannot rename %s to %s", tmp, path);
	if (ret < 0)
		unlink(tmp);
	return ret;
}
