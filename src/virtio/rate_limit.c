#include "virtio/rate_limit.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/error.h"

int rate_limit_init(struct rate_limit *rl, const struct rate_spec *spec, uint64_t *throttled)
{
	uint64_t now = now_ns();

	memset(rl, 0, sizeof(*rl));
	pthread_mutex_init(&rl->lock, NULL);
	rl->throttled = throttled;
	token_bucket_init(&rl->bw, &spec->bw, now);
	token_bucket_init(&rl->ops, &spec->ops, now);
	rl->on = rate_spec_limits(spec);
	/* Always there, so that a PATCH can add a limit to a running device
	 * whose thread already watches it. */
	rl->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (rl->timer_fd < 0)
		return fail_errno(ERR_HOST, "rate limiter: timerfd_create");
	return 0;
}

void rate_limit_destroy(struct rate_limit *rl)
{
	if (rl->timer_fd >= 0)
		close(rl->timer_fd);
	rl->timer_fd = -1;
	pthread_mutex_destroy(&rl->lock);
}

/* Under the lock. */
static void arm(struct rate_limit *rl, uint64_t ns)
{
	struct itimerspec its = { 0 };

	if (ns == 0)
		ns = 1; /* a zero it_value would disarm it */
	its.it_value.tv_sec = (time_t)(ns / 1000000000ULL);
	its.it_value.tv_nsec = (long)(ns % 1000000000ULL);
	if (timerfd_settime(rl->timer_fd, 0, &its, NULL) == 0)
		rl->armed = true;
}

bool rate_limit_take(struct rate_limit *rl, uint64_t bytes)
{
	uint64_t now, wait_bw, wait_ops;
	bool ok;

	if (!__atomic_load_n(&rl->on, __ATOMIC_ACQUIRE))
		return true;
	now = now_ns();
	pthread_mutex_lock(&rl->lock);
	ok = token_bucket_ready(&rl->bw, bytes, now) && token_bucket_ready(&rl->ops, 1, now);
	if (ok) {
		token_bucket_take(&rl->bw, bytes);
		token_bucket_take(&rl->ops, 1);
	} else {
		wait_bw = token_bucket_wait_ns(&rl->bw, bytes, now);
		wait_ops = token_bucket_wait_ns(&rl->ops, 1, now);
		arm(rl, wait_bw > wait_ops ? wait_bw : wait_ops);
	}
	pthread_mutex_unlock(&rl->lock);
	if (!ok && rl->throttled)
		__atomic_fetch_add(rl->throttled, 1, __ATOMIC_RELAXED);
	return ok;
}

void rate_limit_charge(struct rate_limit *rl, uint64_t bytes)
{
	if (!__atomic_load_n(&rl->on, __ATOMIC_ACQUIRE) || bytes == 0)
		return;
	pthread_mutex_lock(&rl->lock);
	token_bucket_take(&rl->bw, bytes);
	pthread_mutex_unlock(&rl->lock);
}

void rate_limit_wake_in(struct rate_limit *rl, uint64_t ns)
{
	pthread_mutex_lock(&rl->lock);
	arm(rl, ns);
	pthread_mutex_unlock(&rl->lock);
}

void rate_limit_timer_read(struct rate_limit *rl)
{
	uint64_t n;

	pthread_mutex_lock(&rl->lock);
	rl->armed = false;
	pthread_mutex_unlock(&rl->lock);
	/* Non-blocking: EAGAIN when there is nothing to read (an update's
	 * early wake-up read already): fine either way. */
	if (read(rl->timer_fd, &n, sizeof(n)) < 0)
		n = 0;
}

void rate_limit_update(struct rate_limit *rl, const struct rate_update *u)
{
	uint64_t now = now_ns();

	pthread_mutex_lock(&rl->lock);
	if (u->set_bw)
		token_bucket_init(&rl->bw, &u->v.bw, now);
	if (u->set_ops)
		token_bucket_init(&rl->ops, &u->v.ops, now);
	__atomic_store_n(&rl->on, bucket_spec_limits(&rl->bw.spec) || bucket_spec_limits(&rl->ops.spec),
			 __ATOMIC_RELEASE);
	/* A device waiting under the old limits retries under the new. */
	if (rl->armed)
		arm(rl, 1);
	pthread_mutex_unlock(&rl->lock);
}

/* --- snapshots -------------------------------------------------------------- */

void rate_limit_save(struct rate_limit *rl, struct rate_level *out)
{
	uint64_t now = now_ns();

	pthread_mutex_lock(&rl->lock);
	*out = (struct rate_level){ .bw_spec = rl->bw.spec, .ops_spec = rl->ops.spec };
	token_bucket_level(&rl->bw, now, &out->bw);
	token_bucket_level(&rl->ops, now, &out->ops);
	pthread_mutex_unlock(&rl->lock);
}

static bool same_spec(const struct bucket_spec *a, const struct bucket_spec *b)
{
	return a->size == b->size && a->refill_ms == b->refill_ms && a->burst == b->burst;
}

int rate_limit_restore(struct rate_limit *rl, const struct rate_level *l)
{
	uint64_t now = now_ns();
	struct token_bucket bw, ops;
	int rc = 0;

	pthread_mutex_lock(&rl->lock);
	bw = rl->bw, ops = rl->ops;
	if (same_spec(&l->bw_spec, &bw.spec) && bucket_spec_limits(&bw.spec))
		rc |= token_bucket_set_level(&bw, &l->bw, now);
	if (same_spec(&l->ops_spec, &ops.spec) && bucket_spec_limits(&ops.spec))
		rc |= token_bucket_set_level(&ops, &l->ops, now);
	if (rc == 0)
		rl->bw = bw, rl->ops = ops;
	pthread_mutex_unlock(&rl->lock);
	return rc < 0 ? fail(ERR_USAGE, "a rate limiter's bucket level that its limit cannot have") : 0;
}

/* --- the command line's words --------------------------------------------- */

static int parse_u64(const char *s, const char **end, uint64_t max, uint64_t *out)
{
	char *e;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &e, 10);
	if (errno || v > max)
		return -1;
	*out = v;
	*end = e;
	return 0;
}

/* "SIZE/MS[/BURST]" */
static int parse_bucket(const char *s, struct bucket_spec *b)
{
	const char *p;

	*b = (struct bucket_spec){ 0 };
	if (parse_u64(s, &p, BUCKET_MAX_TOKENS, &b->size) < 0 || *p != '/' ||
	    parse_u64(p + 1, &p, BUCKET_MAX_REFILL_MS, &b->refill_ms) < 0)
		return -1;
	if (*p == '/' && parse_u64(p + 1, &p, BUCKET_MAX_TOKENS, &b->burst) < 0)
		return -1;
	return *p ? -1 : 0;
}

int rate_parse_word(const char *tok, const char *opt, const char *prefix, struct rate_spec *s)
{
	size_t n = strlen(prefix);
	struct bucket_spec *b;
	const char *v;

	if (strncmp(tok, prefix, n) != 0)
		return 1;
	v = tok + n;
	if (strncmp(v, "bw=", 3) == 0)
		b = &s->bw;
	else if (strncmp(v, "ops=", 4) == 0)
		b = &s->ops;
	else
		return 1;
	v = strchr(v, '=') + 1;
	if (parse_bucket(v, b) < 0)
		return fail(ERR_USAGE, "%s %.*s takes SIZE/MS[/BURST] (tokens, the milliseconds to refill them, a one-time burst), not '%s'",
			    opt, (int)(v - tok), tok, v);
	return 0;
}

static int bucket_words(char *buf, size_t len, const char *prefix, const char *key, const struct bucket_spec *b)
{
	if (!bucket_spec_limits(b))
		return 0;
	if (b->burst)
		return snprintf(buf, len, ",%s%s=%" PRIu64 "/%" PRIu64 "/%" PRIu64, prefix, key, b->size,
				b->refill_ms, b->burst);
	return snprintf(buf, len, ",%s%s=%" PRIu64 "/%" PRIu64, prefix, key, b->size, b->refill_ms);
}

void rate_spec_words(char *buf, size_t len, const char *prefix, const struct rate_spec *s)
{
	int n;

	if (!len)
		return;
	buf[0] = 0;
	n = bucket_words(buf, len, prefix, "bw", &s->bw);
	if (n >= 0 && (size_t)n < len)
		bucket_words(buf + n, len - (size_t)n, prefix, "ops", &s->ops);
}
