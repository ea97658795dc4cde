#include "util/stamp.h"

#include <stdio.h>
#include <time.h>

#include "util/clock.h"

static struct {
	const char *what;
	uint64_t ns;
} stamps[STAMP_MAX];
static unsigned nstamps, dropped; /* atomically: a thread may stamp */
static uint64_t start_ns, start_real_ns;

void stamp_start(void)
{
	struct timespec ts;

	start_ns = now_ns();
	clock_gettime(CLOCK_REALTIME, &ts);
	start_real_ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void stamp(const char *what)
{
	unsigned i = __atomic_fetch_add(&nstamps, 1, __ATOMIC_RELAXED);

	if (i >= STAMP_MAX) {
		__atomic_fetch_add(&dropped, 1, __ATOMIC_RELAXED);
		return;
	}
	stamps[i].ns = now_ns();
	__atomic_store_n(&stamps[i].what, what, __ATOMIC_RELEASE);
}

void stamp_format(char *out, size_t len)
{
	unsigned n = __atomic_load_n(&nstamps, __ATOMIC_RELAXED);
	uint64_t prev = start_ns;
	size_t at = 0;
	int w;

	if (len)
		out[0] = 0;
	if (n > STAMP_MAX)
		n = STAMP_MAX;
	for (unsigned i = 0; i < n && at < len; i++) {
		const char *what = __atomic_load_n(&stamps[i].what, __ATOMIC_ACQUIRE);

		if (!what) /* a thread is writing it */
			continue;
		w = snprintf(out + at, len - at, "%s%s +%.2f", at ? ", " : "", what,
			     (double)(stamps[i].ns - prev) / 1e6);
		if (w < 0)
			break;
		at += (size_t)w;
		prev = stamps[i].ns;
	}
	if (dropped && at < len)
		snprintf(out + at, len - at, " (%u more not kept)", dropped);
	for (unsigned i = 0; i < n; i++)
		stamps[i].what = NULL;
	nstamps = dropped = 0;
}

uint64_t stamp_start_realtime_ns(void)
{
	return start_real_ns;
}

uint64_t stamp_start_ns(void)
{
	return start_ns;
}
