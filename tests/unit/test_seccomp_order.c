/* The seccomp filters (src/sandbox/seccomp.c): ioctl, which every VM
 * exit's KVM_RUN makes, is the first system call each filter checks, so
 * that an exit does not walk the whole list; and each kind's program
 * allows exactly the calls of its list and of the kinds it creates (each
 * call is given to libseccomp once, however many lists name it), run
 * through a small BPF interpreter for every system call number. */
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/ioctl.h>
#include <termios.h>

#include "sandbox/allowlists.h"
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
	for (unsigned k = 0; k < THREAD_KINDS; k++) {
		const struct sock_fprog *p = seccomp_program((enum thread_kind)k);

		assert_non_null(p);
		assert_int_equal(first_syscall(p), __NR_ioctl);
	}
}

/* Classic BPF as libseccomp writes it (loads of seccomp_data words,
 * jumps on constants, returns): the program's action for D; -1 for an
 * instruction this interpreter does not know (the test then fails). */
static long bpf_run(const struct sock_fprog *p, const struct seccomp_data *d)
{
	uint32_t a = 0;

	for (unsigned pc = 0; pc < p->len; pc++) {
		const struct sock_filter *f = &p->filter[pc];
		uint32_t k = f->k;
		int jump = -1;

		switch (f->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (k > sizeof(*d) - 4 || k % 4)
				return -1;
			memcpy(&a, (const uint8_t *)d + k, 4);
			continue;
		case BPF_RET | BPF_K:
			return k;
		case BPF_JMP | BPF_JA:
			pc += k;
			continue;
		case BPF_JMP | BPF_JEQ | BPF_K: jump = a == k; break;
		case BPF_JMP | BPF_JGT | BPF_K: jump = a > k; break;
		case BPF_JMP | BPF_JGE | BPF_K: jump = a >= k; break;
		case BPF_JMP | BPF_JSET | BPF_K: jump = (a & k) != 0; break;
		case BPF_ALU | BPF_AND | BPF_K: a &= k; continue;
		default:
			return -1;
		}
		pc += jump ? f->jt : f->jf;
	}
	return -1;
}

/* Whether KIND's list, or the list of a kind it creates (transitively),
 * names NR. */
static bool listed(unsigned kind, int nr, unsigned depth)
{
	const struct thread_allowlist *l = &thread_allowlists[kind];

	for (unsigned g = 0; g < ALLOWLIST_GROUPS; g++)
		for (const int *c = l->groups[g]; c && *c != ALLOWLIST_END; c++)
			if (*c == nr)
				return true;
	for (unsigned k = 0; depth < THREAD_KINDS && k < THREAD_KINDS; k++)
		if (k != kind && (l->spawns & (1u << k)) && listed(k, nr, depth + 1))
			return true;
	return false;
}

static void test_allows_exactly_the_lists(void **state)
{
	(void)state;
	for (unsigned k = 0; k < THREAD_KINDS; k++) {
		const struct sock_fprog *p = seccomp_program((enum thread_kind)k);
		unsigned allowed = 0;

		assert_non_null(p);
		for (int nr = 0; nr < 512; nr++) {
			struct seccomp_data d = { .nr = nr, .arch = AUDIT_ARCH_X86_64 };
			long want = listed(k, nr, 0) ? SECCOMP_RET_ALLOW : SECCOMP_RET_TRAP;
			long got = bpf_run(p, &d);

			if (got != want)
				fail_msg("%s thread's filter: system call %d: action 0x%lx, its lists say 0x%lx",
					 thread_kind_name((enum thread_kind)k), nr, (unsigned long)got,
					 (unsigned long)want);
			allowed += got == SECCOMP_RET_ALLOW;
		}
		assert_true(allowed > 10);
		/* The terminal's TCSETS, for every kind (the SIGSYS handler's). */
		struct seccomp_data tcsets = { .nr = __NR_ioctl, .arch = AUDIT_ARCH_X86_64, .args = { 0, TCSETS } };
		assert_int_equal(bpf_run(p, &tcsets), SECCOMP_RET_ALLOW);
		/* Another architecture's calls are refused whatever the number. */
		struct seccomp_data i386 = { .nr = __NR_read, .arch = AUDIT_ARCH_I386 };
		assert_true(bpf_run(p, &i386) != SECCOMP_RET_ALLOW && bpf_run(p, &i386) != -1);
	}
}

/* Once for the group: the SIGSYS handler's names are the process's. */
static int build_filters(void **state)
{
	(void)state;
	return seccomp_setup(SECCOMP_ON, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ioctl_first),
		cmocka_unit_test(test_allows_exactly_the_lists),
	};

	return cmocka_run_group_tests_name("seccomp_order", tests, build_filters, NULL);
}
