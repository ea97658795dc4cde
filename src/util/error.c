#include "util/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char msg[512];
static _Thread_local enum err_class cls_recorded = ERR_HOST;

/* An error is printed as one line, but messages quote what the user gave
 * (an argument, a path), which may hold a newline or an escape sequence:
 * those become '?'.  Found by fuzzing the command line (tests/fuzz). */
static void one_line(void)
{
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

int fail(enum err_class cls, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	one_line();
	cls_recorded = cls;
	return -1;
}

int fail_errno(enum err_class cls, const char *fmt, ...)
{
	int saved = errno;
	size_t n;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = strlen(msg);
	snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(saved));
	one_line();
	cls_recorded = cls;
	return -1;
}

const char *err_msg(void)
{
	return msg[0] ? msg : "unknown error";
}

enum err_class err_class(void)
{
	return cls_recorded;
}

void err_clear(void)
{
	msg[0] = 0;
	cls_recorded = ERR_HOST;
}
