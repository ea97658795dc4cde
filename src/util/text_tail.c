#include "util/text_tail.h"

#include <string.h>

void text_tail_init(struct text_tail *t)
{
	memset(t->buf, 0, sizeof(t->buf));
	t->written = 0;
	pthread_mutex_init(&t->lock, NULL);
}

void text_tail_destroy(struct text_tail *t)
{
	pthread_mutex_destroy(&t->lock);
}

void text_tail_write(struct text_tail *t, const void *data, size_t n)
{
	const char *p = data;

	/* Only the last TEXT_TAIL_BYTES of a long write can survive it. */
	if (n > TEXT_TAIL_BYTES) {
		p += n - TEXT_TAIL_BYTES;
		n = TEXT_TAIL_BYTES;
	}
	pthread_mutex_lock(&t->lock);
	for (size_t i = 0; i < n; i++)
		t->buf[(t->written + i) % TEXT_TAIL_BYTES] = p[i];
	t->written += n;
	pthread_mutex_unlock(&t->lock);
}

/* The kept bytes, oldest first, into RAW (TEXT_TAIL_BYTES); their count. */
static size_t snapshot(struct text_tail *t, char *raw)
{
	size_t n;
	uint64_t start;

	pthread_mutex_lock(&t->lock);
	n = t->written < TEXT_TAIL_BYTES ? (size_t)t->written : TEXT_TAIL_BYTES;
	start = t->written - n;
	for (size_t i = 0; i < n; i++)
		raw[i] = t->buf[(start + i) % TEXT_TAIL_BYTES];
	pthread_mutex_unlock(&t->lock);
	return n;
}

size_t text_tail_lines(struct text_tail *t, unsigned max_lines, char *out, size_t len)
{
	char raw[TEXT_TAIL_BYTES];
	size_t n = snapshot(t, raw), from = 0, o = 0;
	unsigned lines = 0;

	if (!len)
		return 0;
	/* Ignore one trailing newline: it ends the last line, not a new one. */
	if (n && raw[n - 1] == '\n')
		n--;
	for (size_t i = n; i-- > 0;)
		if (raw[i] == '\n' && ++lines == max_lines) {
			from = i + 1;
			break;
		}
	if (!max_lines)
		from = n;
	for (size_t i = from; i < n && o + 1 < len; i++) {
		unsigned char c = (unsigned char)raw[i];

		if (c == '\r')
			continue;
		out[o++] = c == '\n' || (c >= 0x20 && c < 0x7f) ? (char)c : '.';
	}
	out[o] = '\0';
	return o;
}
