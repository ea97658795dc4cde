#include "snapshot/mem_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "core/guest_mem.h"
#include "util/error.h"
#include "util/file.h"
#include "util/log.h"
#include "util/pagemap.h"

/* Zero runs this size and aligned are left as holes. */
#define CHUNK (64u << 10)
#define PAGE 4096u

static bool all_zero(const uint8_t *p, size_t n)
{
	const uint64_t *w = (const uint64_t *)p;

	for (size_t i = 0; i < n / sizeof(*w); i++)
		if (w[i])
			return false;
	return true;
}

/* Which chunks need not be read: an anonymous page that is neither
 * present nor swapped (util/pagemap.h) was never touched, or was
 * discarded, and reads as zeros.  Guest RAM is mostly such pages (a 2 GiB
 * guest that used 100 MiB), and reading them all cost the snapshot 0.2 s
 * natively and ~1 s in the emulated tier.  In RAM mapped from a memory
 * file, such a page holds the file's data: zeros only in the file's
 * holes, so there the file is asked too. */
struct untouched {
	struct pagemap pm; /* pm.fd -1: every chunk is read */
	int file_fd;       /* the mapped file (-1: anonymous, or it cannot tell) */
	uint64_t data_off, data_end; /* its data extent at or after the last offset asked */
};

static void untouched_open(struct untouched *u, const struct guest_mem *m)
{
	u->file_fd = m->from_file ? m->file_fd : -1;
	u->data_off = u->data_end = 0;
	if (pagemap_open(&u->pm) < 0)
		log_debug("snapshot: no /proc/self/pagemap (%s): reading all of guest memory", strerror(errno));
}

/* Were all pages of [P, P + LEN) never touched?  False when unsure. */
static bool pages_untouched(struct untouched *u, const uint8_t *p, size_t len)
{
	uint64_t e;

	for (size_t off = 0; off < len; off += PAGE) {
		if (!pagemap_entry(&u->pm, p + off, &e)) {
			if (u->pm.fd >= 0)
				log_debug("snapshot: /proc/self/pagemap unreadable: reading all of guest memory");
			pagemap_close(&u->pm);
			return false;
		}
		if (e & (PAGEMAP_PRESENT | PAGEMAP_SWAPPED))
			return false;
	}
	return true;
}

/* Is [OFF, OFF + LEN) of the mapped memory file a hole?  False when
 * unsure (no file, or it cannot say: then nothing more is asked). */
static bool file_hole(struct untouched *u, uint64_t off, size_t len)
{
	if (u->file_fd < 0)
		return false;
	if (off >= u->data_end) {
		off_t d = lseek(u->file_fd, (off_t)off, SEEK_DATA), h;

		if (d < 0 && errno == ENXIO) {
			u->data_off = u->data_end = UINT64_MAX; /* no data after OFF */
		} else if (d < 0 || (h = lseek(u->file_fd, d, SEEK_HOLE)) < 0) {
			u->file_fd = -1;
			return false;
		} else {
			u->data_off = (uint64_t)d;
			u->data_end = (uint64_t)h;
		}
	}
	return off + len <= u->data_off;
}

/* Does the chunk [OFF, OFF + LEN) of M read as zeros without being read? */
static bool chunk_unread_zero(struct untouched *u, const struct guest_mem *m, uint64_t off, size_t len)
{
	return pages_untouched(u, m->map + off, len) && (!m->from_file || file_hole(u, off, len));
}

/* The non-zero runs of the mapping, each with one pwrite. */
static int write_runs(int fd, const struct guest_mem *m, struct mem_file_counts *c)
{
	struct untouched u;
	uint64_t run = 0, off;
	bool in_run = false;
	int ret = 0;

	untouched_open(&u, m);
	for (off = 0; off < m->size && ret == 0; off += CHUNK) {
		size_t n = m->size - off < CHUNK ? (size_t)(m->size - off) : CHUNK;
		bool zero;

		if (chunk_unread_zero(&u, m, off, n)) {
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
	pagemap_close(&u.pm);
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
