/* A refused system call traps (SECCOMP_RET_TRAP) into this handler, in
 * the thread that made it.  --seccomp on: one line naming the thread and
 * the call, then warden ends with SECCOMP_EXIT_STATUS.  --seccomp log:
 * the call is remembered and made anyway, from the one instruction the
 * log mode's filters let through, and the thread runs on.  The handler
 * uses only write (and what BEFORE_EXIT does): every list allows them. */
#include <errno.h>
#include <seccomp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "sandbox/sigsys.h"
#include "util/error.h"

/* System call numbers the names table and the log cover (x86-64 has
 * fewer than 470). */
#define NR_MAX 512
/* The row of threads without a kind of their own (set-up helpers that
 * run under their creator's filter). */
#define NO_KIND THREAD_KINDS
/* si_code of a SIGSYS from seccomp (linux/signal.h's SYS_SECCOMP). */
#define SIGSYS_FROM_SECCOMP 1

static bool log_only;
static void (*before_exit)(void);
static char *names[NR_MAX];
static _Atomic uint64_t refused[THREAD_KINDS + 1][NR_MAX / 64];
static __thread int my_kind = NO_KIND;

/* long sigsys_escape(nr, a0..a5): the raw system call; the log mode's
 * filters allow any call made from it (its address is after `syscall`). */
long sigsys_escape(long nr, long a0, long a1, long a2, long a3, long a4, long a5);
extern const char sigsys_escape_ret[];
__asm__(".text\n"
	".globl sigsys_escape\n"
	".type sigsys_escape, @function\n"
	"sigsys_escape:\n"
	"	mov %rdi, %rax\n"
	"	mov %rsi, %rdi\n"
	"	mov %rdx, %rsi\n"
	"	mov %rcx, %rdx\n"
	"	mov %r8, %r10\n"
	"	mov %r9, %r8\n"
	"	mov 8(%rsp), %r9\n"
	"	syscall\n"
	".globl sigsys_escape_ret\n"
	"sigsys_escape_ret:\n"
	"	ret\n"
	".size sigsys_escape, . - sigsys_escape\n");

uint64_t sigsys_escape_ip(void)
{
	return (uint64_t)(uintptr_t)sigsys_escape_ret;
}

static const char *kind_name(int kind)
{
	return kind == NO_KIND ? "helper" : thread_kind_name((enum thread_kind)kind);
}

/* Async-signal-safe appends to a line. */
static size_t put(char *buf, size_t at, size_t cap, const char *s)
{
	while (*s && at + 1 < cap)
		buf[at++] = *s++;
	buf[at] = 0;
	return at;
}

static size_t put_num(char *buf, size_t at, size_t cap, long v)
{
	char digits[24];
	int n = 0;
	unsigned long u = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;

	do
		digits[n++] = (char)('0' + u % 10);
	while ((u /= 10) && n < 23);
	if (v < 0)
		digits[n++] = '-';
	while (n && at + 1 < cap)
		buf[at++] = digits[--n];
	buf[at] = 0;
	return at;
}

static _Noreturn void end_warden(int nr)
{
	char line[256];
	size_t at = 0;

	at = put(line, at, sizeof(line), "warden: seccomp: the ");
	at = put(line, at, sizeof(line), kind_name(my_kind));
	at = put(line, at, sizeof(line), " thread made a system call its list does not allow: ");
	at = put(line, at, sizeof(line), nr >= 0 && nr < NR_MAX && names[nr] ? names[nr] : "?");
	at = put(line, at, sizeof(line), " (");
	at = put_num(line, at, sizeof(line), nr);
	at = put(line, at, sizeof(line), "); the VM ends (status ");
	at = put_num(line, at, sizeof(line), SECCOMP_EXIT_STATUS);
	at = put(line, at, sizeof(line), ")\n");
	if (before_exit)
		before_exit();
	if (write(STDERR_FILENO, line, at) < 0) {
		/* nothing more to say */
	}
	_exit(SECCOMP_EXIT_STATUS);
}

static void on_sigsys(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	greg_t *r = uc->uc_mcontext.gregs;
	int nr = si->si_syscall;

	(void)sig;
	if (si->si_code != SIGSYS_FROM_SECCOMP)
		return; /* someone sent SIGSYS: not a refused call */
	if (!log_only)
		end_warden(nr);
	if (nr >= 0 && nr < NR_MAX)
		atomic_fetch_or(&refused[my_kind][nr / 64], 1ULL << (nr % 64));
	/* A new thread or process made from here would start in this
	 * handler's frame, on a stack it does not own: refuse those. */
	if (nr == __NR_clone || nr == __NR_clone3 || nr == __NR_fork || nr == __NR_vfork) {
		r[REG_RAX] = -ENOSYS;
		return;
	}
	r[REG_RAX] = sigsys_escape(nr, r[REG_RDI], r[REG_RSI], r[REG_RDX], r[REG_R10], r[REG_R8], r[REG_R9]);
}

int sigsys_install(bool log, void (*exit_hook)(void))
{
	struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };

	log_only = log;
	before_exit = exit_hook;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0)
		return fail_errno(ERR_HOST, "seccomp: cannot install the SIGSYS handler");
	return 0;
}

void sigsys_names(void)
{
	/* Before any filter: the handler must not allocate (the refused
	 * call may be malloc's own mmap, under malloc's lock). */
	for (int nr = 0; nr < NR_MAX; nr++)
		if (!names[nr])
			names[nr] = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, nr);
}

void sigsys_thread(enum thread_kind kind)
{
	sigset_t sys;

	my_kind = (int)kind;
	/* A blocked SIGSYS at a refused call would kill warden silently. */
	sigemptyset(&sys);
	sigaddset(&sys, SIGSYS);
	pthread_sigmask(SIG_UNBLOCK, &sys, NULL);
}

void seccomp_report(FILE *out)
{
	bool any = false;

	if (!log_only)
		return;
	for (int k = 0; k <= THREAD_KINDS; k++) {
		bool first = true;

		for (int nr = 0; nr < NR_MAX; nr++) {
			if (!(atomic_load(&refused[k][nr / 64]) & (1ULL << (nr % 64))))
				continue;
			if (first)
				fprintf(out, "warden: seccomp log: the %s thread made calls its list does not allow: ",
					kind_name(k));
			else
				fputs(", ", out);
			fputs(names[nr] ? names[nr] : "?", out);
			first = false;
		}
		if (!first)
			fprintf(out, "\n");
		any |= !first;
	}
	if (!any)
		fprintf(out, "warden: seccomp log: no thread made a call its list does not allow\n");
}

void sigsys_test_trigger(enum thread_kind kind)
{
#ifdef WARDEN_TEST_HOOKS
	const char *want = getenv("WARDEN_TEST_SECCOMP");

	if (!want || strcmp(want, thread_kind_name(kind)) != 0)
		return;
	fprintf(stderr, "warden: test: the %s thread (tid %ld) makes a refused system call in 1 s\n",
		thread_kind_name(kind), (long)gettid());
	sleep(1);
	syscall(SYS_personality, 0xffffffffUL); /* only asks: harmless when let through */
#else
	(void)kind;
#endif
}
