#include "snapshot/mem_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "core/guest_mem.h"
#include "util/error.h"
#include "util/file.h"
#include "util/log.h"

/* Zero runs this size and aligned are left as holes. */
#define CHUNK (64u << 10)
#define PAGE 4096u

/* /proc/self/pagemap (the kernel's admin-guide/mm/pagemap.rst): one
 * 64-bit entry per virtual page, bit 63 "present", bit 62 "swapped" (also
 * set for migration entries).  An anonymous page with neither was never
 * touched, or was discarded: it reads as zeros, so it need not be read.
 * Guest RAM is mostly such pages (a 2 GiB guest that used 100 MiB), and
 * reading them all cost the snapshot 0.2 s natively and ~1 s in the
 * emulated tier. */
#define PM_PRESENT (1ull << 63)
#define PM_SWAPPED (1ull << 62)

struct pagemap {
	int fd;         /* -1: no map, every chunk is read */
	uint64_t first; /* the page entry[0] is for */
	size_t n;       /* entries held */
	uint64_t entry[512];
	/* RAM mapped from a memory file: an untouched page holds the file's
	 * data, zeros only in the file's holes.  FILE_FD (-1: anonymous RAM,
	 * or the file cannot tell) and its data extent at or after the last
	 * offset asked, [data_off, data_end). */
	int file_fd;
	uint64_t data_off, data_end;
};

static void pagemap_open(struct pagemap *pm, const struct guest_mem *m)
{
	memset(pm, 0, offsetof(struct pagemap, entry));
	pm->file_fd = m->from_file ? m->file_fd : -1;
	pm->data_off = pm->data_end = 0;
	pm->fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (pm->fd < 0)
		log_debug("snapshot: no /proc/self/pagemap (%s): reading all of guest memory", strerror(errno));
}

/* Is [OFF, OFF + LEN) of the mapped memory file a hole?  False when
 * unsure (no file, or it cannot say: then nothing more is asked). */
static bool file_hole(struct pagemap *pm, uint64_t off, size_t len)
{
	if (pm->file_fd < 0)
		return false;
	if (off >= pm->data_end) {
		off_t d = lseek(pm->file_fd, (off_t)off, SEEK_DATA), h;

		if (d < 0 && errno == ENXIO) {
			pm->data_off = pm->data_end = UINT64_MAX; /* no data after OFF */
		} else if (d < 0 || (h = lseek(pm->file_fd, d, SEEK_HOLE)) < 0) {
			pm->file_fd = -1;
			return false;
		} else {
			pm->data_off = (uint64_t)d;
			pm->data_end = (uint64_t)h;
		}
	}
	return off + len <= pm->data_off;
}

/* Were all pages of [P, P + LEN) never touched?  False when unsure. */
static bool untouched(struct pagemap *pm, const uint8_t *p, size_t len)
{
	uint64_t page = (uintptr_t)p / PAGE, last = ((uintptr_t)p + len - 1) / PAGE;

	if (pm->fd < 0)
		return false;
	for (; page <= last; page++) {
		if (page < pm->first || page >= pm->first + pm->n) {
			ssize_t r = pread(pm->fd, pm->entry, sizeof(pm->entry), (off_t)(page * sizeof(uint64_t)));

			if (r < (ssize_t)sizeof(uint64_t)) {
				log_debug("snapshot: /proc/self/pagemap unreadable: reading all of guest memory");
				close(pm->fd);
				pm->fd = -1;
				return false;
			}
			pm->first = page;
			pm->n = (size_t)r / sizeof(uint64_t);
		}
		if (pm->entry[page - pm->first] & (PM_PRESENT | PM_SWAPPED))
			return false;
	}
	return true;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	const uint64_t *w = (const uint64_t *)p;

	for (size_t i = 0; i < n / sizeof(*w); i++)
		if (w[i])
			return false;
	return true;
}

/* The non-zero runs of the mapping, each with one pwrite. */
static int write_runs(int fd, const struct guest_mem *m, struct mem_file_counts *c)
{
	struct pagemap pm;
	uint64_t run = 0, off;
	bool in_run = false;
	int ret = 0;

	pagemap_open(&pm, m);
	for (off = 0; off < m->size && ret == 0; off += CHUNK) {
		size_t n = m->size - off < CHUNK ? (size_t)(m->size - off) : CHUNK;
		bool zero;

		if (untouched(&pm, m->map + off, n) && (!m->from_file || file_hole(&pm, off, n))) {
			zero = true;
			c->skipped += n;
		} else {
			zero = all_zero(m->map + off, n);
			c->read += n;
		}
		if (!zero && !in_run) {
			run = off;
			in_run = true;
		} else if (zero && in_run) {
			ret = file_pwrite_all(fd, m->map + run, off - run, run);
			c->written += off - run;
			in_run = false;
		}
	}
	if (ret == 0 && in_run) {
		ret = file_pwrite_all(fd, m->map + run, m->size - run, run);
		c->written += m->size - run;
	}
	if (pm.fd >= 0)
		close(pm.fd);
	return ret;
}

int mem_file_write(const struct guest_mem *m, const char *path, struct mem_file_counts *counts)
{
	struct mem_file_counts c = { 0 };
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
	if (ftruncate(fd, (off_t)m->size) < 0 || write_runs(fd, m, &c) < 0 || fsync(fd) < 0)
		ret = fail_errno(ERR_HOST, "cannot write snapshot memory file %s", tmp);
	log_debug("snapshot: guest memory: %llu MiB written, %llu MiB read, %llu MiB never touched",
		  (unsigned long long)(c.written >> 20), (unsigned long long)(c.read >> 20),
		  (unsigned long long)(c.skipped >> 20));
	if (counts)
		*counts = c;
	close(fd);
	if (ret == 0 && rename(tmp, path) < 0)
		ret = fail_errno(ERR_HOST, "cannot rename %s to %s", tmp, path);
	if (ret < 0)
		unlink(tmp);
	return ret;
}
