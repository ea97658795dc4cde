/* A device's rate limiter, Firecracker's RateLimiter: a bandwidth bucket
 * (bytes) and an operations bucket (requests, packets), either or both
 * (util/token_bucket.h).  A request goes when both buckets have its
 * tokens; otherwise nothing is taken, a timer is armed for when they will
 * have, and the device leaves the request in its ring until the timer's
 * fd (watched by its I/O thread) fires: a limited device costs no CPU
 * while it waits.
 *
 * The I/O thread takes tokens; the API's thread may change the limits of
 * a running VM (PATCH): a mutex keeps the two apart, taken only when a
 * limit is set. */
#ifndef WARDEN_VIRTIO_RATE_LIMIT_H
#define WARDEN_VIRTIO_RATE_LIMIT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/token_bucket.h"

struct rate_spec {
	struct bucket_spec bw;  /* bytes */
	struct bucket_spec ops; /* requests */
};

static inline bool rate_spec_limits(const struct rate_spec *s)
{
	return bucket_spec_limits(&s->bw) || bucket_spec_limits(&s->ops);
}

/* A change of limits: each bucket named replaces the old one (a fresh,
 * full bucket; size or refill_ms 0 takes its limit away); the other
 * stays as it is. */
struct rate_update {
	bool set_bw, set_ops;
	struct rate_spec v;
};

/* U applied to S: the buckets it names replace S's. */
static inline void rate_spec_apply(struct rate_spec *s, const struct rate_update *u)
{
	if (u->set_bw)
		s->bw = u->v.bw;
	if (u->set_ops)
		s->ops = u->v.ops;
}

struct rate_limit {
	pthread_mutex_t lock;
	bool on;            /* a bucket limits (atomic: read unlocked) */
	struct token_bucket bw, ops;
	int timer_fd;       /* readable when waiting tokens may be there */
	bool armed;         /* a device waits on it (under the lock) */
	uint64_t *throttled; /* the device's counter of requests made to wait */
};

/* Set up RL with SPEC; THROTTLED (may be NULL) counts waits.  -1 with the
 * error recorded (ERR_HOST: no timerfd). */
int rate_limit_init(struct rate_limit *rl, const struct rate_spec *spec, uint64_t *throttled);
void rate_limit_destroy(struct rate_limit *rl);

/* Take one operation and BYTES: true if they go now; false if not (nothing
 * taken, the timer armed for when they can). */
bool rate_limit_take(struct rate_limit *rl, uint64_t bytes);
/* BYTES more, taken after the fact (a received packet, whose size is
 * known once read): the bucket may go into debt, which later requests
 * wait out. */
void rate_limit_charge(struct rate_limit *rl, uint64_t bytes);
/* Make the timer's fd readable in NS, whatever it waited for: the device
 * then retries what it holds back (e.g. requests the host refused for
 * now).  Any thread. */
void rate_limit_wake_in(struct rate_limit *rl, uint64_t ns);
/* The timer's fd became readable: clear it (the device then retries). */
void rate_limit_timer_read(struct rate_limit *rl);
/* New limits from any thread.  A device waiting is woken at once to
 * retry under them. */
void rate_limit_update(struct rate_limit *rl, const struct rate_update *u);

/* A limiter's buckets for a snapshot: each one's spec and level. */
struct rate_level {
	struct bucket_spec bw_spec, ops_spec;
	struct bucket_level bw, ops;
};

/* RL's buckets now (any thread). */
void rate_limit_save(struct rate_limit *rl, struct rate_level *out);
/* Put RL's buckets where L left them, each only if L's spec is the one
 * RL has now (the machine's limits; a limit changed since starts full).
 * -1 (ERR_USAGE), RL unchanged, when a level cannot be one of its spec. */
int rate_limit_restore(struct rate_limit *rl, const struct rate_level *l);

/* "bw=SIZE/MS[/BURST]" or "ops=SIZE/MS[/BURST]" of a --disk, --net or
 * --rng value (OPT names it, PREFIX is "" or "rx-"/"tx-" before the key):
 * 1 TOK is neither, 0 parsed into S, -1 bad (ERR_USAGE). */
int rate_parse_word(const char *tok, const char *opt, const char *prefix, struct rate_spec *s);
/* S's words as rate_parse_word reads them back, each after a comma
 * (empty when S limits nothing); RATE_WORDS_MAX holds the longest. */
#define RATE_WORDS_MAX 128
void rate_spec_words(char *buf, size_t len, const char *prefix, const struct rate_spec *s);

#endif
