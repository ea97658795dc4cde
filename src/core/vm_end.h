/* How a VM ends: the reason (first writer wins, from any thread) and an
 * eventfd that becomes readable when it is set, for threads that wait. */
#ifndef WARDEN_CORE_VM_END_H
#define WARDEN_CORE_VM_END_H

#include <stdatomic.h>

/* Also warden's exit code (see vm_end_exit_code). */
enum vm_end {
	VM_RUNNING = 0,
	VM_END_POWEROFF,
	VM_END_REBOOT,
	VM_END_TRIPLE_FAULT,
	VM_END_INTERNAL_ERROR,
	VM_END_HALT,
	VM_END_HOST_ERROR,
	VM_END_SIGNAL, /* warden was asked to stop (SIGINT/SIGTERM, console escape) */
	VM_END_BUG,    /* one of warden's own invariants broke (util/invariant.h) */
};

struct vm_end_signal {
	_Atomic int end; /* enum vm_end */
	int efd;
};

int vm_end_init(struct vm_end_signal *s);
void vm_end_close(struct vm_end_signal *s);
/* Thread-safe and async-signal-safe. */
void vm_end_request(struct vm_end_signal *s, enum vm_end reason);

static inline enum vm_end vm_end_get(const struct vm_end_signal *s)
{
	return (enum vm_end)atomic_load(&s->end);
}

const char *vm_end_name(enum vm_end e);
int vm_end_exit_code(enum vm_end e);

#endif
