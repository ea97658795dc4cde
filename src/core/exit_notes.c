#include "core/exit_notes.h"

void exit_notes_hand_over(struct exit_notes *g, exit_notes_fn *fn, unsigned vcpu)
{
	unsigned t = atomic_load_explicit(&g->tail, memory_order_relaxed);
	unsigned h = atomic_load_explicit(&g->head, memory_order_acquire);

	while (t != h) {
		unsigned i = t % EXIT_NOTES, k = h - t;

		if (k > EXIT_NOTES - i)
			k = EXIT_NOTES - i;
		fn(g->vctx, vcpu, &g->n[i], k);
		t += k;
	}
	/* Release: the producer reuses a slot only once it was read. */
	atomic_store_explicit(&g->tail, t, memory_order_release);
}
