/* Where a start-up's time goes: named time stamps, printed as one line
 * under --verbose (docs/snapshot.md, "Restore time: the set-up").  Any
 * thread may stamp; the first STAMP_MAX are kept, the rest counted. */
#ifndef WARDEN_UTIL_STAMP_H
#define WARDEN_UTIL_STAMP_H

#include <stddef.h>
#include <stdint.h>

#define STAMP_MAX 64

/* The start: every stamp is reported from here (main's first line).
 * Also keeps the wall-clock time of the start, so a script can tell the
 * time before main (exec, the binary's start) from its own clock. */
void stamp_start(void);

/* WHAT (a string literal: only the pointer is kept) happened now. */
void stamp(const char *what);

/* The stamps so far as "what +ms ..." (each from the one before) into
 * OUT; the stamps are then forgotten (the next boot starts a new list). */
void stamp_format(char *out, size_t len);

/* The wall-clock time (CLOCK_REALTIME, ns) and the monotonic time of
 * stamp_start(). */
uint64_t stamp_start_realtime_ns(void);
uint64_t stamp_start_ns(void);

#endif
