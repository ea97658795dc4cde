#include "util/token_bucket.h"

#define NS_PER_MS 1000000ULL

typedef unsigned __int128 u128;

void token_bucket_init(struct token_bucket *b, const struct bucket_spec *spec, uint64_t now_ns)
{
	*b = (struct token_bucket){ .spec = *spec, .budget = (int64_t)spec->size, .burst = spec->burst,
				    .last_ns = now_ns };
}

/* Bring the budget up to NOW_NS: SIZE tokens per REFILL_MS, never above
 * SIZE; the part of a token not yet earned is carried in frac, so no time
 * is lost to rounding however often this runs. */
static void refill(struct token_bucket *b, uint64_t now_ns)
{
	uint64_t size = b->spec.size, refill_ns = b->spec.refill_ms * NS_PER_MS, elapsed;
	u128 total;

	elapsed = now_ns > b->last_ns ? now_ns - b->last_ns : 0;
	b->last_ns = now_ns > b->last_ns ? now_ns : b->last_ns;
	if (b->budget >= (int64_t)size) {
		b->frac = 0;
		return;
	}
	total = (u128)elapsed * size + b->frac;
	b->frac = (uint64_t)(total % refill_ns);
	total /= refill_ns; /* whole tokens earned */
	if (total >= (u128)((int64_t)size - b->budget)) {
		b->budget = (int64_t)size;
		b->frac = 0;
	} else {
		b->budget += (int64_t)total;
	}
}

/* The budget TOKENS need once the burst is spent: all of them, or a full
 * bucket for more than it holds. */
static int64_t needed(const struct token_bucket *b, uint64_t tokens)
{
	uint64_t t = tokens > b->burst ? tokens - b->burst : 0;

	if (t == 0)
		return INT64_MIN;
	return (int64_t)(t < b->spec.size ? t : b->spec.size);
}

bool token_bucket_ready(struct token_bucket *b, uint64_t tokens, uint64_t now_ns)
{
	if (!bucket_spec_limits(&b->spec))
		return true;
	refill(b, now_ns);
	return b->budget >= needed(b, tokens);
}

void token_bucket_take(struct token_bucket *b, uint64_t tokens)
{
	uint64_t from_burst = tokens < b->burst ? tokens : b->burst;

	if (!bucket_spec_limits(&b->spec))
		return;
	b->burst -= from_burst;
	tokens -= from_burst;
	/* Debt is bounded, at BUCKET_MAX_TOKENS: more than a year's refill at
	 * the smallest rate, and no overflow however often a received
	 * packet's bytes are charged after the fact. */
	if (tokens > BUCKET_MAX_TOKENS)
		tokens = BUCKET_MAX_TOKENS;
	b->budget -= (int64_t)tokens;
	if (b->budget < -(int64_t)BUCKET_MAX_TOKENS)
		b->budget = -(int64_t)BUCKET_MAX_TOKENS;
}

uint64_t token_bucket_wait_ns(struct token_bucket *b, uint64_t tokens, uint64_t now_ns)
{
	uint64_t refill_ns = b->spec.refill_ms * NS_PER_MS, size = b->spec.size;
	int64_t need;
	u128 short_by;

	if (token_bucket_ready(b, tokens, now_ns))
		return 0;
	need = needed(b, tokens);
	/* (need - budget) tokens, less the part of one already earned. */
	short_by = (u128)(uint64_t)(need - b->budget) * refill_ns - b->frac;
	return (uint64_t)((short_by + size - 1) / size);
}

void token_bucket_level(const struct token_bucket *b, uint64_t now_ns, struct bucket_level *l)
{
	/* A bucket that limits nothing has no level to keep (and its clock
	 * is never brought up to date). */
	if (!bucket_spec_limits(&b->spec)) {
		*l = (struct bucket_level){ 0 };
		return;
	}
	*l = (struct bucket_level){ .budget = b->budget, .burst = b->burst, .frac = b->frac,
				    .elapsed_ns = now_ns > b->last_ns ? now_ns - b->last_ns : 0 };
}

int token_bucket_set_level(struct token_bucket *b, const struct bucket_level *l, uint64_t now_ns)
{
	uint64_t refill_ns = b->spec.refill_ms * NS_PER_MS;

	/* take() bounds a debt at BUCKET_MAX_TOKENS. */
	if (l->budget > (int64_t)b->spec.size || l->budget < -(int64_t)BUCKET_MAX_TOKENS ||
	    l->burst > b->spec.burst || (refill_ns ? l->frac >= refill_ns : l->frac != 0))
		return -1;
	b->budget = l->budget;
	b->burst = l->burst;
	b->frac = l->frac;
	b->last_ns = l->elapsed_ns < now_ns ? now_ns - l->elapsed_ns : 0;
	return 0;
}
