#include "core/vm_end.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "util/error.h"

int vm_end_init(struct vm_end_signal *s)
{
	atomic_store(&s->end, VM_RUNNING);
	s->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return s->efd < 0 ? fail_errno(ERR_HOST, "eventfd") : 0;
}

void vm_end_close(struct vm_end_signal *s)
{
	if (s->efd >= 0)
		close(s->efd);
	s->efd = -1;
}

void vm_end_request(struct vm_end_signal *s, enum vm_end reason)
{
	int expected = VM_RUNNING;
	uint64_t one = 1;
	int saved = errno;

	/* No logging here: a signal handler calls this.  A failed write
	 * leaves the reason set; the waiters also look at it on their own. */
	if (atomic_compare_exchange_strong(&s->end, &expected, (int)reason) && s->efd >= 0 &&
	    write(s->efd, &one, sizeof(one)) < 0)
		(void)0;
	errno = saved;
}

/* REASON with a number the guest gave, read only after the vCPU threads
 * are joined. */
static void request_with(struct vm_end_signal *s, enum vm_end reason, int status)
{
	int expected = VM_RUNNING;
	uint64_t one = 1;
	int saved = errno;

	if (atomic_compare_exchange_strong(&s->end, &expected, (int)reason)) {
		s->status = status;
		if (s->efd >= 0 && write(s->efd, &one, sizeof(one)) < 0)
			(void)0;
	}
	errno = saved;
}

void vm_end_request_status(struct vm_end_signal *s, int status)
{
	request_with(s, VM_END_TEST_EXIT, status);
}

void vm_end_request_failure(struct vm_end_signal *s, int code)
{
	request_with(s, VM_END_GUEST_FAILED, code);
}

int vm_end_status(const struct vm_end_signal *s)
{
	enum vm_end e = vm_end_get(s);

	return e == VM_END_TEST_EXIT ? s->status : vm_end_exit_code(e);
}

const char *vm_end_name(enum vm_end e)
{
	switch (e) {
	case VM_END_POWEROFF: return "poweroff";
	case VM_END_REBOOT: return "reboot";
	case VM_END_TRIPLE_FAULT: return "triple-fault";
	case VM_END_INTERNAL_ERROR: return "kvm-internal-error";
	case VM_END_HALT: return "halt";
	case VM_END_HOST_ERROR: return "host-error";
	case VM_END_SIGNAL: return "stopped";
	case VM_END_BUG: return "warden-bug";
	case VM_END_TEST_EXIT: return "test-exit";
	case VM_END_GUEST_FAILED: return "guest-boot-failure";
	default: return "running";
	}
}

int vm_end_exit_code(enum vm_end e)
{
	switch (e) {
	case VM_END_POWEROFF: return 0;
	case VM_END_REBOOT: return 3;
	case VM_END_TRIPLE_FAULT: return 4;
	case VM_END_INTERNAL_ERROR: return 5;
	case VM_END_HALT: return 6;
	case VM_END_SIGNAL: return 7;
	case VM_END_GUEST_FAILED: return 8;
	default: return 1;
	}
}
