/* The exits a vCPU noted for its observer's batches (vm_observer.exits,
 * core/vm.h): a ring with one producer, the vCPU's thread, which adds a
 * note at every exit without a lock (exit_notes_put), and a consumer that
 * may be any thread holding the vCPU's notes lock (exit_notes_hand_over):
 * the vCPU's own when the ring is full, another one for a live view.  The
 * run loop keeps the ring in its frame, so an exit writes its note into
 * the stack's page, which it touches anyway (util/hot.h). */
#ifndef WARDEN_CORE_EXIT_NOTES_H
#define WARDEN_CORE_EXIT_NOTES_H

#include <stdatomic.h>
#include <stdbool.h>

#include "core/exit.h"

/* Exits per batch handed to the observer. */
#define EXIT_NOTES 16

typedef void exit_notes_fn(void *vctx, unsigned vcpu, const struct exit_note *n, unsigned count);

struct exit_notes {
	_Atomic unsigned head; /* notes ever added (the producer) */
	_Atomic unsigned tail; /* notes ever handed over (the lock's holder) */
	void *vctx;            /* the observer's context for this vCPU */
	struct exit_note n[EXIT_NOTES];
};

/* The producer: R's note into G.  True when G is full, and the caller
 * must hand it over before the next put.  The slot written is free: a
 * full ring is handed over after every put, so at most EXIT_NOTES - 1
 * wait before one. */
static inline __attribute__((always_inline)) bool exit_notes_put(struct exit_notes *g,
								 const struct exit_record *r)
{
	unsigned h = atomic_load_explicit(&g->head, memory_order_relaxed);

	exit_note_of(r, &g->n[h % EXIT_NOTES]);
	atomic_store_explicit(&g->head, h + 1, memory_order_release);
	return h + 1 - atomic_load_explicit(&g->tail, memory_order_acquire) >= EXIT_NOTES;
}

/* The consumer, under the vCPU's notes lock: G's notes not handed over
 * yet, to FN in order (two calls where the ring wraps). */
void exit_notes_hand_over(struct exit_notes *g, exit_notes_fn *fn, unsigned vcpu);

#endif
