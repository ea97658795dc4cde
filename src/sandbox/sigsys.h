/* What happens at a refused system call: the SIGSYS handler (sigsys.c). */
#ifndef WARDEN_SANDBOX_SIGSYS_H
#define WARDEN_SANDBOX_SIGSYS_H

#include <stdbool.h>
#include <stdint.h>

#include "sandbox/seccomp.h"

/* The handler for every thread; LOG_ONLY: let refused calls through and
 * remember them. -1 with fail() when the host refuses. */
int sigsys_install(bool log_only, void (*before_exit)(void));
/* The system calls' names for the handler's lines, looked up now (it must
 * not allocate); once, before any filter goes in (seccomp.c's builder
 * thread does it: the filters wait for it). */
void sigsys_names(void);
/* The calling thread's kind, for the handler's line; SIGSYS unblocked. */
void sigsys_thread(enum thread_kind kind);
/* The address the log mode's filters let through (after its syscall). */
uint64_t sigsys_escape_ip(void);
/* Test builds (WARDEN_TEST_HOOKS) only: WARDEN_TEST_SECCOMP=KIND makes
 * that thread announce itself, wait a second and make a refused call. */
void sigsys_test_trigger(enum thread_kind kind);

#endif
