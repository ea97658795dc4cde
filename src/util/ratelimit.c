#include "util/ratelimit.h"

bool ratelimit_allow(struct ratelimit *rl, uint64_t now_ns, uint64_t *dropped)
{
	uint64_t start = atomic_load(&rl->start);

	*dropped = 0;
	/* (A clock read before the window opened, on another thread, is
	 * still in it.) */
	if (start == 0 || (now_ns >= start && now_ns - start >= RATELIMIT_WINDOW_NS)) {
		/* One thread opens the new window and reports the old one. */
		if (atomic_compare_exchange_strong(&rl->start, &start, now_ns ? now_ns : 1)) {
			*dropped = atomic_exchange(&rl->suppressed, 0);
			atomic_store(&rl->count, 0);
		}
	}
	if (atomic_fetch_add(&rl->count, 1) < RATELIMIT_BURST)
		return true;
	atomic_fetch_add(&rl->suppressed, 1);
	return false;
}
