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
	VM_END_TEST_EXIT, /* the guest wrote its status to the test-exit port */
	VM_END_GUEST_FAILED, /* the guest's init could not boot (the guest-status port) */
};

struct vm_end_signal {
	_Atomic int end; /* enum vm_end */
	int status;      /* VM_END_TEST_EXIT: the status the guest asked for;
			  * VM_END_GUEST_FAILED: the code the guest wrote */
	int efd;
};

int vm_end_init(struct vm_end_signal *s);
void vm_end_close(struct vm_end_signal *s);
/* Thread-safe and async-signal-safe. */
void vm_end_request(struct vm_end_signal *s, enum vm_end reason);
/* The guest asks to end with process status STATUS (the test-exit port). */
void vm_end_request_status(struct vm_end_signal *s, int status);

static inline enum vm_end vm_end_get(const struct vm_end_signal *s)
{
	return (enum vm_end)atomic_load(&s->end);
}

const char *vm_end_name(enum vm_end e);
int vm_end_exit_code(enum vm_end e);
/* The guest's init could not boot; CODE says why (devices/guest_status.h). */
void vm_end_request_failure(struct vm_end_signal *s, int code);
/* warden's exit status for how S ended (the guest's, for a test exit).
 * Read it after the threads that could end the VM are joined. */
int vm_end_status(const struct vm_end_signal *s);

#endif
