#include "util/log.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include "util/clock.h"
#include "util/ratelimit.h"

bool log_verbose;

static void vlog(const char *tag, const char *fmt, va_list ap)
{
	char line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	/* One fprintf so lines from different threads do not interleave. */
	fprintf(stderr, "warden: %s%s\n", tag, line);
}

void log_info(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog("", fmt, ap);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog("warning: ", fmt, ap);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	va_list ap;
	if (!log_verbose)
		return;
	va_start(ap, fmt);
	vlog("debug: ", fmt, ap);
	va_end(ap);
}

void log_guest_limited(struct ratelimit *rl, const char *fmt, ...)
{
	uint64_t dropped;
	bool ok = ratelimit_allow(rl, now_ns(), &dropped);
	va_list ap;

	if (dropped)
		fprintf(stderr, "warden: guest error: %llu more like the next were not shown\n",
			(unsigned long long)dropped);
	if (!ok)
		return;
	va_start(ap, fmt);
	vlog("guest error: ", fmt, ap);
	va_end(ap);
}
