/* The last bytes a guest wrote to its console, for a crash report: a fixed
 * ring (TEXT_TAIL_BYTES), so however much the guest writes, what is kept
 * and what is printed stay bounded.  Any thread (one lock: a console byte
 * already costs a write(2), the lock is noise next to it). */
#ifndef WARDEN_UTIL_TEXT_TAIL_H
#define WARDEN_UTIL_TEXT_TAIL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define TEXT_TAIL_BYTES 4096
#define TEXT_TAIL_LINES 20

struct text_tail {
	pthread_mutex_t lock;
	char buf[TEXT_TAIL_BYTES];
	uint64_t written; /* bytes ever written; buf holds the last ones */
};

void text_tail_init(struct text_tail *t);
void text_tail_destroy(struct text_tail *t);
void text_tail_write(struct text_tail *t, const void *data, size_t n);
/* The last MAX_LINES lines of T (a line ends at '\n'; a last line without
 * one counts) as printable text into OUT (LEN bytes, NUL-terminated):
 * carriage returns dropped, other control bytes and bytes >= 0x7f as '.',
 * lines joined by '\n', no trailing newline.  Returns the length. */
size_t text_tail_lines(struct text_tail *t, unsigned max_lines, char *out, size_t len);

#endif
