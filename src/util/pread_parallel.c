#include "util/pread_parallel.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "util/error.h"

/* Chunks small enough to balance two to four threads over a 45 MB kernel,
 * large enough that handing them out costs nothing. 2 MiB: one huge page
 * of guest RAM each. */
#define CHUNK (2ull << 20)

int pread_full(int fd, uint8_t *dst, uint64_t len, uint64_t off)
{
	while (len) {
		ssize_t n = pread(fd, dst, len > (1u << 30) ? (1u << 30) : (size_t)len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -1 : -2;
		dst += n;
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

struct shared {
	int fd;
	const struct pread_part *parts;
	unsigned n;
	atomic_uint_fast64_t next; /* next chunk to hand out, counted over all parts */
	atomic_int result;         /* first failure (0 while none) */
	atomic_int err;            /* its errno */
};

/* Chunk I of all parts laid end to end: part and range; 0 past the end. */
static int chunk_at(const struct shared *s, uint64_t i, struct pread_part *c)
{
	for (unsigned p = 0; p < s->n; p++) {
		uint64_t chunks = (s->parts[p].len + CHUNK - 1) / CHUNK;

		if (i >= chunks) {
			i -= chunks;
			continue;
		}
		c->dst = s->parts[p].dst + i * CHUNK;
		c->off = s->parts[p].off + i * CHUNK;
		c->len = s->parts[p].len - i * CHUNK < CHUNK ? s->parts[p].len - i * CHUNK : CHUNK;
		return 1;
	}
	return 0;
}

static void *reader(void *arg)
{
	struct shared *s = arg;
	struct pread_part c;

	while (atomic_load(&s->result) == 0 && chunk_at(s, atomic_fetch_add(&s->next, 1), &c)) {
		int r = pread_full(s->fd, c.dst, c.len, c.off);
		int none = 0;

		if (r < 0 && atomic_compare_exchange_strong(&s->result, &none, r))
			atomic_store(&s->err, errno);
	}
	return NULL;
}

int pread_parallel(int fd, const struct pread_part *parts, unsigned n, unsigned threads)
{
	struct shared s = { .fd = fd, .parts = parts, .n = n };
	pthread_t tid[PREAD_PARALLEL_MAX_THREADS];
	uint64_t total = 0;
	unsigned started = 0;

	for (unsigned p = 0; p < n; p++)
		total += (parts[p].len + CHUNK - 1) / CHUNK;
	if (threads > PREAD_PARALLEL_MAX_THREADS)
		threads = PREAD_PARALLEL_MAX_THREADS;
	/* A thread for fewer than 4 chunks is not worth starting. */
	while (threads > 1 && total / threads < 4)
		threads--;
	for (; started + 1 < threads; started++)
		if (pthread_create(&tid[started], NULL, reader, &s) != 0)
			break; /* fewer helpers: the work is still all done */
	reader(&s);
	for (unsigned i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	if (s.result == -1)
		errno = s.err;
	return s.result;
}

unsigned pread_parallel_threads(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (cpus < 1)
		return 1;
	return cpus > PREAD_PARALLEL_MAX_THREADS ? PREAD_PARALLEL_MAX_THREADS : (unsigned)cpus;
}

int pread_parallel_load(int fd, const struct pread_part *parts, unsigned n, const char *what,
			const char *path)
{
	int r = pread_parallel(fd, parts, n, pread_parallel_threads());

	if (r == -1)
		return fail_errno(ERR_USAGE, "cannot read %s %s", what, path);
	if (r < 0)
		return fail(ERR_USAGE, "%s %s shrank while reading", what, path);
	return 0;
}
