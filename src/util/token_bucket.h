/* A token bucket with Firecracker's three numbers (its API's TokenBucket):
 * SIZE tokens at most, refilled at SIZE per REFILL_MS, plus a one-time
 * burst of BURST tokens spent first and never refilled.  It starts full.
 *
 * A request of more tokens than SIZE can never fit, so it goes when the
 * bucket is full and leaves it in debt: the next request waits until the
 * debt is repaid, so the long-run rate stays SIZE per REFILL_MS whatever
 * the request sizes.
 *
 * Pure arithmetic on the caller's clock (nanoseconds): no locking, no
 * system calls; the caller keeps it on one thread or under its lock. */
#ifndef WARDEN_UTIL_TOKEN_BUCKET_H
#define WARDEN_UTIL_TOKEN_BUCKET_H

#include <stdbool.h>
#include <stdint.h>

/* The numbers as configured; size or refill_ms 0: no limit. */
struct bucket_spec {
	uint64_t size;
	uint64_t refill_ms;
	uint64_t burst; /* one_time_burst */
};

/* Largest SIZE and BURST taken (2^53: still exact as JSON numbers), and
 * REFILL_MS (about a year), so that no product below overflows 128 bits. */
#define BUCKET_MAX_TOKENS (1ULL << 53)
#define BUCKET_MAX_REFILL_MS (1ULL << 35)

struct token_bucket {
	struct bucket_spec spec;
	int64_t budget;    /* tokens now; negative while in debt */
	uint64_t burst;    /* one-time tokens left */
	uint64_t last_ns;  /* when budget was last brought up to date */
	uint64_t frac;     /* refill carried over: token-nanoseconds short of a token */
};

static inline bool bucket_spec_limits(const struct bucket_spec *s)
{
	return s->size && s->refill_ms;
}

/* What a bucket holds at a moment, apart from its spec (snapshots):
 * budget, burst left, the refill carried over, and the time since it was
 * last brought up to date, so that a restored bucket refills from where
 * it stood and not from a pause's length. */
struct bucket_level {
	int64_t budget;
	uint64_t burst;
	uint64_t frac;
	uint64_t elapsed_ns;
};

/* Set up B from SPEC at NOW_NS: full, with the whole burst. */
void token_bucket_init(struct token_bucket *b, const struct bucket_spec *spec, uint64_t now_ns);

/* Can TOKENS go at NOW_NS?  Does not take them. */
bool token_bucket_ready(struct token_bucket *b, uint64_t tokens, uint64_t now_ns);
/* Take TOKENS (after token_bucket_ready said yes). */
void token_bucket_take(struct token_bucket *b, uint64_t tokens);
/* Nanoseconds from NOW_NS until TOKENS can go (0: now). */
uint64_t token_bucket_wait_ns(struct token_bucket *b, uint64_t tokens, uint64_t now_ns);

/* B's level at NOW_NS (all 0 for a bucket that limits nothing). */
void token_bucket_level(const struct token_bucket *b, uint64_t now_ns, struct bucket_level *l);
/* Put B (already set up from its spec) at level L, as of NOW_NS.  -1,
 * B unchanged, when L cannot be a level of B's spec: a budget above its
 * size or below the largest debt, more burst than the spec's, a carry of
 * a whole refill period or more. */
int token_bucket_set_level(struct token_bucket *b, const struct bucket_level *l, uint64_t now_ns);

#endif
