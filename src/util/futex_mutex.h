/* A mutex of one word for the locks a VM exit takes (a device's).  The
 * uncontended lock and unlock are one atomic instruction each, inlined
 * into the exit path: pthread_mutex_lock and unlock are calls into libc
 * whose code and data are four more pages touched at every exit that
 * reaches a device (util/hot.h says why pages count).  Contended, the
 * waiter sleeps in the kernel (FUTEX_WAIT), it never spins.
 *
 * The state: 0 free, 1 held, 2 held and someone may be asleep on it.  A
 * waiter always sets 2 before it sleeps, so an unlock that finds 1 knows
 * nobody sleeps and makes no system call.  Not recursive, no owner check
 * (as PTHREAD_MUTEX_DEFAULT). */
#ifndef WARDEN_UTIL_FUTEX_MUTEX_H
#define WARDEN_UTIL_FUTEX_MUTEX_H

#include <stdbool.h>
#include <stdint.h>

struct futex_mutex {
	uint32_t state;
};

#define FUTEX_MUTEX_INIT { 0 }

/* The contended halves (util/futex_mutex.c): out of line, off the exit
 * path's pages. */
void futex_mutex_wait(struct futex_mutex *m);
void futex_mutex_wake(struct futex_mutex *m);

static inline void futex_mutex_init(struct futex_mutex *m)
{
	__atomic_store_n(&m->state, 0, __ATOMIC_RELAXED);
}

static inline bool futex_mutex_trylock(struct futex_mutex *m)
{
	uint32_t free = 0;

	return __atomic_compare_exchange_n(&m->state, &free, 1, false, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED);
}

static inline void futex_mutex_lock(struct futex_mutex *m)
{
	if (!futex_mutex_trylock(m))
		futex_mutex_wait(m);
}

static inline void futex_mutex_unlock(struct futex_mutex *m)
{
	if (__atomic_exchange_n(&m->state, 0, __ATOMIC_RELEASE) == 2)
		futex_mutex_wake(m);
}

#endif
