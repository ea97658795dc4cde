/* Helper threads that take no signal: warden's signals (SIGTERM, SIGINT,
 * the vCPU kick, SIGUSR2) are for the main and vCPU threads, and a signal
 * the kernel handed a helper instead would be lost. */
#ifndef WARDEN_UTIL_THREAD_H
#define WARDEN_UTIL_THREAD_H

#include <pthread.h>

/* pthread_create with every signal blocked in the new thread (the caller's
 * mask is left as it was): 0, or pthread_create's error number. */
int thread_start_unsignalled(pthread_t *t, void *(*fn)(void *), void *arg);

#endif
