#include "snapshot/hot_pages.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/guest_mem.h"
#include "sandbox/seccomp.h"
#include "util/clock.h"
#include "util/crc32.h"
#include "util/error.h"
#include "util/file.h"
#include "util/log.h"
#include "util/pagemap.h"
#include "util/thread.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22 /* Linux 5.14 */
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define PAGE 4096ULL
/* More runs than this is no hint warden wrote (a 64 GiB guest with
 * every other page touched would need 8 Mi). */
#define HOT_MAX_RUNS (1u << 22)

#define HOT_MAGIC "WRDNHOT"
#define HOT_VERSION 1

/* The hint file: this header, NRUNS runs, CRC-32 of all before it. */
struct hot_header {
	char magic[8];
	uint32_t version;
	uint32_t nruns;
	uint64_t mem_bytes; /* the memory file it was taken from: */
	uint64_t mem_ino;
	uint64_t mem_dev;
	int64_t mem_mtime_ns;
};

/* NPAGES pages from PAGE that the guest read (WRITTEN 0) or wrote (1). */
struct hot_run {
	uint64_t page;
	uint32_t npages;
	uint32_t written;
};

int hot_path(const char *mem_path, char *out, unsigned long len)
{
	return (unsigned long)snprintf(out, len, "%s.hot", mem_path) < len ? 0 : -1;
}

static int identity(const char *mem_path, struct hot_header *h)
{
	struct stat st;

	if (stat(mem_path, &st) < 0)
		return -1;
	h->mem_bytes = (uint64_t)st.st_size;
	h->mem_ino = (uint64_t)st.st_ino;
	h->mem_dev = (uint64_t)st.st_dev;
	h->mem_mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	return 0;
}

/* The hint of MEM_PATH for a memory of SIZE bytes, checked whole: its
 * runs (malloc'd) and their count, or -1 (no usable hint). */
static long hint_read(const char *mem_path, uint64_t size, struct hot_run **out)
{
	char path[4096];
	struct hot_header h, want;
	struct stat st;
	uint8_t *buf = NULL;
	uint32_t crc;
	size_t len;
	int fd;
	long n = -1;

	if (hot_path(mem_path, path, sizeof(path)) < 0 || identity(mem_path, &want) < 0)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || st.st_size < (off_t)(sizeof(h) + 4) ||
	    st.st_size > (off_t)(sizeof(h) + (uint64_t)HOT_MAX_RUNS * sizeof(struct hot_run) + 4))
		goto out;
	len = (size_t)st.st_size;
	buf = malloc(len);
	if (!buf || pread(fd, buf, len, 0) != (ssize_t)len)
		goto out;
	memcpy(&h, buf, sizeof(h));
	memcpy(&crc, buf + len - 4, 4);
	if (crc32_update(0, buf, len - 4) != crc || memcmp(h.magic, HOT_MAGIC, 8) != 0 || h.version != HOT_VERSION ||
	    len != sizeof(h) + (size_t)h.nruns * sizeof(struct hot_run) + 4 || h.mem_bytes != size ||
	    h.mem_bytes != want.mem_bytes || h.mem_ino != want.mem_ino || h.mem_dev != want.mem_dev ||
	    h.mem_mtime_ns != want.mem_mtime_ns) {
		log_debug("restore: %s does not match %s: not used", path, mem_path);
		goto out;
	}
	/* The runs, in place: each must lie inside the memory. */
	memmove(buf, buf + sizeof(h), (size_t)h.nruns * sizeof(struct hot_run));
	*out = (struct hot_run *)buf;
	for (uint32_t i = 0; i < h.nruns; i++)
		if ((*out)[i].npages == 0 || (*out)[i].page > size / PAGE ||
		    (*out)[i].npages > size / PAGE - (*out)[i].page)
			goto out;
	n = (long)h.nruns;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return n;
}

int hot_prefetch(struct guest_mem *m, const char *mem_path)
{
	struct hot_run *runs = NULL;
	long n = hint_read(mem_path, m->size, &runs);
	uint64_t budget = HOT_MAX_BYTES / PAGE, pages = 0, t0 = now_ns();

	if (n < 0)
		return 0;
	/* Each run mapped into this process now, from the page cache: what
	 * the guest read as the file's pages, what it wrote as private
	 * copies.  A run that cannot be populated stays lazy. */
	for (long i = 0; i < n && budget; i++) {
		uint64_t k = runs[i].npages < budget ? runs[i].npages : budget;

		madvise(m->map + runs[i].page * PAGE, k * PAGE, runs[i].written ? MADV_POPULATE_WRITE : MADV_POPULATE_READ);
		budget -= k;
		pages += k;
	}
	log_debug("restore: working set from %s.hot: %llu pages populated in %.1f ms", mem_path,
		  (unsigned long long)pages, (double)(now_ns() - t0) / 1e6);
	free(runs);
	return 1;
}

/* A helper (docs/security.md): no filter of its own, so that it does not
 * wait for the filters' builder; it reads warden's own hint file (checked
 * whole) and maps pages of the memory file, and is joined before any
 * vCPU runs guest code. */
static void *prefetch_thread(void *arg)
{
	struct hot_prefetcher *p = arg;

	p->result = hot_prefetch(p->m, p->path);
	return NULL;
}

void hot_prefetch_start(struct hot_prefetcher *p, struct guest_mem *m, const char *mem_path)
{
	*p = (struct hot_prefetcher){ .m = m, .armed = true };
	if (snprintf(p->path, sizeof(p->path), "%s", mem_path) >= (int)sizeof(p->path)) {
		p->armed = false; /* no hint for a path this long (hot_path) */
		return;
	}
	p->started = thread_start_unsignalled(&p->thread, prefetch_thread, p) == 0;
	if (!p->started)
		p->result = hot_prefetch(m, p->path);
}

int hot_prefetch_wait(struct hot_prefetcher *p)
{
	if (p->started)
		pthread_join(p->thread, NULL);
	p->started = p->armed = false;
	return p->result;
}

/* --- recording --- */

struct run_list {
	struct hot_run *v;
	uint32_t n, cap;
};

static int run_add(struct run_list *l, uint64_t page, bool written)
{
	struct hot_run *last = l->n ? &l->v[l->n - 1] : NULL;

	if (last && last->page + last->npages == page && last->written == written && last->npages < UINT32_MAX) {
		last->npages++;
		return 0;
	}
	if (l->n == HOT_MAX_RUNS)
		return -1;
	if (l->n == l->cap) {
		uint32_t cap = l->cap ? l->cap * 2 : 1024;
		struct hot_run *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -1;
		l->v = v, l->cap = cap;
	}
	l->v[l->n++] = (struct hot_run){ .page = page, .npages = 1, .written = written };
	return 0;
}

/* The pages of R's mapping that are present in this process
 * (util/pagemap.h), written where they are no longer the file's (not
 * PAGEMAP_FILE: the guest's write made them anonymous). */
static int scan(const struct hot_recorder *r, struct run_list *l)
{
	struct pagemap pm;
	uint64_t e;
	int ret = 0;

	if (pagemap_open(&pm) < 0)
		return -1;
	for (uint64_t pg = 0; ret == 0 && pg < r->size / PAGE; pg++) {
		if (!pagemap_entry(&pm, r->map + pg * PAGE, &e))
			ret = -1;
		else if (e & PAGEMAP_PRESENT)
			ret = run_add(l, pg, !(e & PAGEMAP_FILE));
	}
	pagemap_close(&pm);
	return ret;
}

static int hint_write(const struct hot_recorder *r, const struct hot_header *id, const struct run_list *l)
{
	char path[4096], tmp[4200];
	struct hot_header h = *id;
	size_t len = sizeof(h) + (size_t)l->n * sizeof(*l->v);
	uint8_t *buf = malloc(len + 4);
	uint32_t crc;
	int fd, ret = -1;

	memcpy(h.magic, HOT_MAGIC, 8);
	h.version = HOT_VERSION;
	h.nruns = l->n;
	if (!buf || hot_path(r->path, path, sizeof(path)) < 0 ||
	    (unsigned long)snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid()) >= sizeof(tmp)) {
		free(buf);
		return -1;
	}
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), l->v, (size_t)l->n * sizeof(*l->v));
	crc = crc32_update(0, buf, len);
	memcpy(buf + len, &crc, 4);
	/* Another restore's hint may be renamed in meanwhile: either is whole. */
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0) {
		ret = file_pwrite_all(fd, buf, len + 4, 0);
		close(fd);
		if (ret == 0)
			ret = rename(tmp, path);
		if (ret < 0)
			unlink(tmp);
	}
	free(buf);
	return ret;
}

static void *record_thread(void *arg)
{
	struct hot_recorder *r = arg;
	struct pollfd p = { .fd = r->stop_efd, .events = POLLIN };
	struct run_list l = { 0 };
	struct hot_header id = { 0 };
	uint64_t pages = 0, written = 0;

	seccomp_enter(THREAD_SNAPSHOT);
	if (poll(&p, 1, HOT_WINDOW_MS) != 0)
		return NULL; /* stopped: the VM ended first */
	/* Nothing touched (a VM loaded paused that stayed so): no hint. */
	if (identity(r->path, &id) < 0 || id.mem_bytes != r->size || scan(r, &l) < 0 || l.n == 0 ||
	    hint_write(r, &id, &l) < 0) {
		log_debug("restore: no working set recorded for %s: %s", r->path, strerror(errno));
	} else {
		for (uint32_t i = 0; i < l.n; i++) {
			pages += l.v[i].npages;
			written += l.v[i].written ? l.v[i].npages : 0;
		}
		log_debug("restore: working set recorded in %s.hot: %llu pages (%llu written) in %u runs", r->path,
			  (unsigned long long)pages, (unsigned long long)written, l.n);
	}
	free(l.v);
	return NULL;
}

void hot_record_start(struct hot_recorder *r, const struct guest_mem *m, const char *mem_path)
{
	*r = (struct hot_recorder){ .stop_efd = -1, .map = m->map, .size = m->size };
	if (snprintf(r->path, sizeof(r->path), "%s", mem_path) >= (int)sizeof(r->path))
		return;
	r->stop_efd = eventfd(0, EFD_CLOEXEC);
	if (r->stop_efd < 0)
		return;
	if (pthread_create(&r->thread, NULL, record_thread, r) == 0)
		r->started = true;
}

void hot_record_stop(struct hot_recorder *r)
{
	uint64_t one = 1;

	if (r->started) {
		if (write(r->stop_efd, &one, sizeof(one)) < 0)
			log_warn("restore: cannot stop the working set recorder: %s", strerror(errno));
		pthread_join(r->thread, NULL);
		r->started = false;
	}
	if (r->stop_efd >= 0)
		close(r->stop_efd);
	r->stop_efd = -1;
}

void hot_forget(const char *mem_path)
{
	char path[4096];

	if (hot_path(mem_path, path, sizeof(path)) == 0 && unlink(path) < 0 && errno != ENOENT)
		log_warn("cannot remove the old working set hint %s: %s", path, strerror(errno));
}
