/* Error reporting: a failing function records one line saying what went
 * wrong and returns -1; the caller at the top (main) prints it once.
 * The recorded class decides warden's exit code. */
#ifndef WARDEN_UTIL_ERROR_H
#define WARDEN_UTIL_ERROR_H

enum err_class {
	ERR_HOST = 1,  /* the host failed us (ioctl, mmap, thread) */
	ERR_USAGE = 2, /* the user gave something we cannot use */
};

/* Record an error message (printf-style) of class CLS; returns -1.
 * cold: the paths that fail are moved out of line (util/log.h). */
int fail(enum err_class cls, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), cold));
/* Same, appending ": strerror(errno)". */
int fail_errno(enum err_class cls, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), cold));

const char *err_msg(void);
enum err_class err_class(void);
void err_clear(void);

#endif
