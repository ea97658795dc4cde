/* The fourth error class: one of warden's own invariants broke.  Not for
 * anything a guest or a user controls (those are errors to report), only
 * for "cannot happen" states.  The check names file and line, and instead
 * of aborting asks the VM to end cleanly (status 1), so the guest's disks
 * are flushed and the statistics still come out:
 *
 *	if (!invariant(q < vd->nqueues))
 *		return;
 */
#ifndef WARDEN_UTIL_INVARIANT_H
#define WARDEN_UTIL_INVARIANT_H

#include <stdbool.h>

#define invariant(cond) (__builtin_expect(!!(cond), 1) || invariant_broken(__FILE__, __LINE__, #cond))

/* Log "internal error at FILE:LINE: EXPR" and call the handler; false. */
bool invariant_broken(const char *file, int line, const char *expr);
/* Who ends the VM when an invariant breaks (the VM sets itself). */
void invariant_set_handler(void (*fn)(void *ctx), void *ctx);
/* How many invariants broke in this process (for tests). */
unsigned invariant_broken_count(void);

#endif
