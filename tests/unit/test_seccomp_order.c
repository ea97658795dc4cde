/* The seccomp filters' order (src/sandbox/seccomp.c): ioctl, which every
 * VM exit's KVM_RUN makes, is the first system call each filter checks,
 * so that an exit does not walk the whole list. */
#include <linux/audit.h>
#include <linux/filter.h>
#include <stddef.h>
#include <sys/syscall.h>

#include "sandbox/seccomp.h"
#include "unit.h"

/* The first syscall number the program compares against (after the
 * architecture check), or -1. */
static long first_syscall(const struct sock_fprog *p)
{
	for (unsigned i = 0; i < p->len; i++) {
		const struct sock_filter *f = &p->filter[i];

		/* Not the architecture, and not libseccomp's check for
		 * syscall number -1. */
		if (f->code == (BPF_JMP | BPF_JEQ | BPF_K) && f->k != AUDIT_ARCH_X86_64 &&
		    f->k != 0xffffffffu)
			return (long)f->k;
	}
	return -1;
}

static void test_ioctl_first(void **state)
{
	(void)state;
	assert_int_equal(seccomp_setup(SECCOMP_ON, NULL), 0);
	for (unsigned k = 0; k < THREAD_KINDS; k++) {
		const struct sock_fprog *p = seccomp_program((enum thread_kind)k);

		assert_non_null(p);
		assert_int_equal(first_syscall(p), __NR_ioctl);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ioctl_first),
	};

	return cmocka_run_group_tests_name("seccomp_order", tests, NULL, NULL);
}
