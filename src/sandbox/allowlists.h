/* The allowlists, one per kind of thread (allowlists.c; docs/security.md
 * says why each call is there). */
#ifndef WARDEN_SANDBOX_ALLOWLISTS_H
#define WARDEN_SANDBOX_ALLOWLISTS_H

#include "sandbox/seccomp.h"

#define ALLOWLIST_END (-1)
#define ALLOWLIST_GROUPS 8

struct thread_allowlist {
	const char *name;
	/* Lists of system call numbers, each ending with ALLOWLIST_END. */
	const int *groups[ALLOWLIST_GROUPS];
	/* The kinds this thread creates (bits of enum thread_kind): a new
	 * thread starts under its creator's filter, so the creator's filter
	 * allows their calls too (the child then narrows to its own). */
	unsigned spawns;
};

extern const struct thread_allowlist thread_allowlists[THREAD_KINDS];

#endif
