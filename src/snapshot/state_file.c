#include "snapshot/state_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/crc32.h"
#include "util/error.h"
#include "util/file.h"
#include "util/version.h"

#define ALIGN8(n) (((n) + 7) & ~(size_t)7)

void snap_writer_init(struct snap_writer *w)
{
	memset(w, 0, sizeof(*w));
	w->len = sizeof(struct snap_header); /* filled in by finish */
}

/* Room for N more bytes, zeroed (the padding stays zero). */
static uint8_t *grow(struct snap_writer *w, size_t n)
{
	uint8_t *p;

	if (w->failed || n > SNAP_MAX_FILE - w->len) {
		w->failed = 1;
		return NULL;
	}
	if (w->len + n > w->cap) {
		size_t cap = w->cap ? w->cap : 64 * 1024;

		while (cap < w->len + n)
			cap *= 2;
		p = realloc(w->buf, cap);
		if (!p) {
			w->failed = 1;
			return NULL;
		}
		memset(p + w->cap, 0, cap - w->cap);
		w->buf = p;
		w->cap = cap;
	}
	p = w->buf + w->len;
	w->len += n;
	return p;
}

void snap_put2(struct snap_writer *w, uint32_t type, uint32_t index, const void *a, size_t alen,
	       const void *b, size_t blen)
{
	struct snap_section s = { .type = type, .index = index, .len = alen + blen };
	uint8_t *p = grow(w, sizeof(s) + ALIGN8(alen + blen));

	if (!p)
		return;
	memcpy(p, &s, sizeof(s));
	if (alen)
		memcpy(p + sizeof(s), a, alen);
	if (blen)
		memcpy(p + sizeof(s) + alen, b, blen);
	w->nsections++;
}

void snap_put(struct snap_writer *w, uint32_t type, uint32_t index, const void *data, size_t len)
{
	snap_put2(w, type, index, data, len, NULL, 0);
}

int snap_writer_finish(struct snap_writer *w, const char *path)
{
	struct snap_header h = { .magic = SNAP_MAGIC, .format = SNAP_FORMAT };
	struct snap_trailer t = { .end = SNAP_END };
	char tmp[4096];
	uint8_t *p;
	int fd, ret = -1;

	p = grow(w, sizeof(t));
	if (!p) {
		free(w->buf);
		return fail(ERR_HOST, "snapshot state is too large or out of memory");
	}
	h.nsections = w->nsections;
	snprintf(h.version, sizeof(h.version), "%s", WARDEN_VERSION);
	h.body_len = w->len - sizeof(h) - sizeof(t);
	memcpy(w->buf, &h, sizeof(h));
	t.crc = crc32_update(0, w->buf, w->len - sizeof(t));
	memcpy(p, &t, sizeof(t));
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		free(w->buf);
		return fail(ERR_USAGE, "snapshot path %s is too long", path);
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		ret = fail_errno(ERR_USAGE, "cannot create %s", tmp);
	else if (file_pwrite_all(fd, w->buf, w->len, 0) < 0 || fsync(fd) < 0)
		ret = fail_errno(ERR_HOST, "cannot write %s", tmp);
	else if (rename(tmp, path) < 0)
		ret = fail_errno(ERR_HOST, "cannot rename %s to %s", tmp, path);
	else
		ret = 0;
	if (fd >= 0)
		close(fd);
	free(w->buf);
	w->buf = NULL;
	return ret;
}

/* The whole file, bounded by SNAP_MAX_FILE. */
static int read_file(struct snap_reader *r, const char *path)
{
	struct stat st;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return fail_errno(ERR_USAGE, "snapshot state file %s", path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > SNAP_MAX_FILE) {
		close(fd);
		return fail(ERR_USAGE, "snapshot state file %s: not a regular file of at most %u MiB",
			    path, SNAP_MAX_FILE >> 20);
	}
	r->buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!r->buf) {
		close(fd);
		return fail(ERR_HOST, "out of memory");
	}
	while (got < (size_t)st.st_size) {
		ssize_t k = read(fd, r->buf + got, (size_t)st.st_size - got);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	close(fd);
	r->len = got;
	return 0;
}

/* Every section inside the body, the count as the header says. */
static int check_sections(const struct snap_reader *r, const struct snap_header *h)
{
	size_t off = sizeof(*h), end = sizeof(*h) + h->body_len;
	uint32_t n = 0;

	while (off < end) {
		struct snap_section s;

		if (end - off < sizeof(s))
			return -1;
		memcpy(&s, r->buf + off, sizeof(s));
		off += sizeof(s);
		if (s.len > end - off || ALIGN8(s.len) > end - off)
			return -1;
		off += ALIGN8(s.len);
		n++;
	}
	return n == h->nsections ? 0 : -1;
}

static int check(struct snap_reader *r)
{
	struct snap_header h;
	struct snap_trailer t;

	if (r->len < sizeof(h) || memcmp(r->buf, SNAP_MAGIC, 8) != 0)
		return fail(ERR_USAGE, "%s is not a warden snapshot state file", r->path);
	memcpy(&h, r->buf, sizeof(h));
	if (h.format != SNAP_FORMAT)
		return fail(ERR_USAGE, "snapshot %s has state format %u; this warden reads format %u",
			    r->path, h.format, SNAP_FORMAT);
	if (h.body_len > r->len || r->len - h.body_len != sizeof(h) + sizeof(t))
		return fail(ERR_USAGE, "snapshot state file %s is truncated or has extra bytes "
			    "(%zu bytes, the header says %llu)", r->path, r->len,
			    (unsigned long long)(h.body_len + sizeof(h) + sizeof(t)));
	h.version[SNAP_VERSION_LEN - 1] = 0;
	if (strcmp(h.version, WARDEN_VERSION) != 0)
		return fail(ERR_USAGE, "snapshot %s was written by warden %s; this is warden %s",
			    r->path, h.version, WARDEN_VERSION);
	memcpy(&t, r->buf + r->len - sizeof(t), sizeof(t));
	if (memcmp(t.end, SNAP_END, 4) != 0 || t.crc != crc32_update(0, r->buf, r->len - sizeof(t)))
		return fail(ERR_USAGE, "snapshot state file %s is corrupt (checksum mismatch)", r->path);
	if (check_sections(r, &h) < 0)
		return fail(ERR_USAGE, "snapshot state file %s is corrupt (bad section table)", r->path);
	return 0;
}

int snap_read(struct snap_reader *r, const char *path)
{
	memset(r, 0, sizeof(*r));
	r->path = strdup(path);
	if (!r->path)
		return fail(ERR_HOST, "out of memory");
	if (read_file(r, path) < 0 || check(r) < 0) {
		snap_reader_free(r);
		return -1;
	}
	return 0;
}

void snap_reader_free(struct snap_reader *r)
{
	free(r->buf);
	free(r->path);
	r->buf = NULL;
	r->path = NULL;
	r->len = 0;
}

const void *snap_find(const struct snap_reader *r, uint32_t type, uint32_t index, size_t *len)
{
	struct snap_header h;
	size_t off = sizeof(h);

	memcpy(&h, r->buf, sizeof(h));
	/* check_sections proved every step below stays inside the body. */
	while (off < sizeof(h) + h.body_len) {
		struct snap_section s;

		memcpy(&s, r->buf + off, sizeof(s));
		off += sizeof(s);
		if (s.type == type && s.index == index) {
			*len = s.len;
			return r->buf + off;
		}
		off += ALIGN8(s.len);
	}
	return NULL;
}

int snap_get(const struct snap_reader *r, uint32_t type, uint32_t index, void *out, size_t len,
	     const char *what)
{
	size_t n;
	const void *p = snap_find(r, type, index, &n);

	if (!p)
		return fail(ERR_USAGE, "snapshot %s has no %s", r->path, what);
	if (n != len)
		return fail(ERR_USAGE, "snapshot %s: %s is %zu bytes, expected %zu", r->path, what, n, len);
	memcpy(out, p, len);
	return 0;
}
