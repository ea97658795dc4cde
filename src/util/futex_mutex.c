#include "util/futex_mutex.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Take the lock, marking it contended (2): whoever unlocks next wakes
 * one sleeper.  The loop re-marks after every wake-up, so a thread that
 * took the lock after a wake-up leaves it marked and the next unlock still
 * wakes the others (at worst one system call too many, never a sleeper
 * left behind).  FUTEX_WAIT returns at once when the word is no longer 2
 * (EAGAIN) or on a signal (EINTR): both just go round again. */
void futex_mutex_wait(struct futex_mutex *m)
{
	while (__atomic_exchange_n(&m->state, 2, __ATOMIC_ACQUIRE) != 0)
		syscall(SYS_futex, &m->state, FUTEX_WAIT_PRIVATE, 2, NULL, NULL, 0);
}

void futex_mutex_wake(struct futex_mutex *m)
{
	syscall(SYS_futex, &m->state, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}
