/* seccomp filters per thread kind: built once with libseccomp, loaded by
 * each thread itself (docs/security.md). */
#include <errno.h>
#include <pthread.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "sandbox/allowlists.h"
#include "sandbox/seccomp.h"
#include "sandbox/sigsys.h"
#include "util/error.h"
#include "util/log.h"
#include "util/stamp.h"
#include "util/thread.h"

/* Filters are at most this long (BPF instructions); the kernel's limit
 * is 4096 per filter. */
#define PROG_MAX 4096
/* x86-64's system call numbers are below this (the highest today is
 * in the 450s). */
#define SYSCALL_NR_MAX 1024

static enum seccomp_mode mode = SECCOMP_OFF;
static struct sock_fprog progs[THREAD_KINDS];
static __thread bool filtered;

/* The filters are built on a thread of their own while main goes on with
 * the VM's set-up (in the emulated tier, libseccomp's work was a large
 * part of a restore's set-up: docs/snapshot.md); whoever needs them
 * first waits (seccomp_wait). */
static pthread_mutex_t build_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_t builder;
static bool building;          /* a builder thread to join */
static int build_failed = -1;  /* the kind whose filter failed, or -1 */

int seccomp_parse_mode(const char *s, enum seccomp_mode *m)
{
	if (strcmp(s, "on") == 0)
		*m = SECCOMP_ON;
	else if (strcmp(s, "log") == 0)
		*m = SECCOMP_LOG;
	else if (strcmp(s, "off") == 0)
		*m = SECCOMP_OFF;
	else
		return -1;
	return 0;
}

/* KIND's calls and those of every kind it creates, transitively: a child
 * runs under its creator's filter too. */
static unsigned closure(enum thread_kind kind)
{
	unsigned set = 1u << kind, before;

	do {
		before = set;
		for (unsigned k = 0; k < THREAD_KINDS; k++)
			if (set & (1u << k))
				set |= thread_allowlists[k].spawns & ((1u << THREAD_KINDS) - 1);
	} while (set != before);
	return set;
}

/* The calls of every kind in SET, each once: the lists overlap (every
 * kind has `every`, main's closure holds all of them), and libseccomp
 * merges a rule it has already at a cost: building the filters took
 * half the time this way (docs/snapshot.md); the program is the same. */
static int add_kinds(scmp_filter_ctx ctx, unsigned set)
{
	uint64_t seen[SYSCALL_NR_MAX / 64] = { 0 };

	for (unsigned k = 0; k < THREAD_KINDS; k++) {
		if (!(set & (1u << k)))
			continue;
		for (unsigned g = 0; g < ALLOWLIST_GROUPS; g++) {
			const int *nr = thread_allowlists[k].groups[g];

			for (; nr && *nr != ALLOWLIST_END; nr++) {
				if (*nr < 0 || *nr >= SYSCALL_NR_MAX)
					return -1;
				if (seen[*nr / 64] & (1ull << (*nr % 64)))
					continue;
				seen[*nr / 64] |= 1ull << (*nr % 64);
				if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, *nr, 0) < 0)
					return -1;
			}
		}
	}
	return 0;
}

/* libseccomp's program as bytes (it writes it to a file descriptor). */
static int export_prog(scmp_filter_ctx ctx, struct sock_filter *out, unsigned max, unsigned *n)
{
	int fd = memfd_create("warden-seccomp", MFD_CLOEXEC), r = -1;
	ssize_t len;

	if (fd < 0)
		return -1;
	if (seccomp_export_bpf(ctx, fd) == 0) {
		len = pread(fd, out, max * sizeof(*out), 0);
		if (len > 0 && len % (ssize_t)sizeof(*out) == 0 && (size_t)len < max * sizeof(*out)) {
			*n = (unsigned)(len / (ssize_t)sizeof(*out));
			r = 0;
		}
	}
	close(fd);
	return r;
}

/* --seccomp log: the SIGSYS handler makes a refused call itself, from one
 * instruction (sigsys.c): the filter lets that address through. */
static unsigned escape_hatch(struct sock_filter *p)
{
	uint64_t ip = sigsys_escape_ip();
	unsigned n = 0;

	p[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, instruction_pointer));
	p[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)ip, 0, 3);
	p[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, instruction_pointer) + 4);
	p[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(ip >> 32), 0, 1);
	p[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	return n;
}

static int build(enum thread_kind kind, struct sock_fprog *prog)
{
	struct sock_filter *p = calloc(PROG_MAX, sizeof(*p));
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
	/* ioctl(fd, TCSETS, ...) only (every field named: clang's -Wextra
	 * refuses SCMP_A1()'s two-field initializer). */
	const struct scmp_arg_cmp tcsets = { .arg = 1, .op = SCMP_CMP_EQ, .datum_a = TCSETS, .datum_b = 0 };
	unsigned set = closure(kind), head = 0, n = 0;
	int r = -1;

	if (!p || !ctx)
		goto out;
	/* ioctl checked first: a vCPU thread's KVM_RUN passes its filters
	 * (its own and the main thread's, stacked) at every VM exit, and
	 * libseccomp otherwise orders calls by number, highest first, which
	 * put ioctl 43rd of the vCPU list's 54. The same calls are allowed. */
	if (seccomp_syscall_priority(ctx, SCMP_SYS(ioctl), 255) < 0)
		goto out;
	if (add_kinds(ctx, set) < 0)
		goto out;
	/* The terminal, restored by the SIGSYS handler of any thread. */
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1, tcsets) < 0)
		goto out;
	if (mode == SECCOMP_LOG)
		head = escape_hatch(p);
	if (export_prog(ctx, p + head, PROG_MAX - head, &n) < 0)
		goto out;
	prog->len = (unsigned short)(head + n);
	/* Kept for the process's life: as long as the program, no longer. */
	prog->filter = realloc(p, prog->len * sizeof(*p));
	if (prog->filter)
		p = NULL;
	r = prog->filter ? 0 : -1;
out:
	free(p);
	if (ctx)
		seccomp_release(ctx);
	return r;
}

static void *build_all(void *arg)
{
	(void)arg;
	build_failed = -1;
	for (unsigned k = 0; k < THREAD_KINDS; k++) {
		/* An earlier set-up's (the unit tests make several): loaded
		 * filters are the kernel's copies. */
		free(progs[k].filter);
		progs[k] = (struct sock_fprog){ 0 };
		if (build(k, &progs[k]) < 0) {
			build_failed = (int)k;
			break;
		}
	}
	sigsys_names(); /* also before any filter goes in */
	stamp("(seccomp's thread: filters built)");
	return NULL;
}

int seccomp_wait(void)
{
	int failed;

	pthread_mutex_lock(&build_lock);
	if (building) {
		pthread_join(builder, NULL);
		building = false;
		stamp("seccomp filters joined");
	}
	failed = build_failed;
	pthread_mutex_unlock(&build_lock);
	if (failed >= 0)
		return fail(ERR_HOST, "seccomp: cannot build the %s thread's filter (libseccomp)",
			    thread_kind_name((enum thread_kind)failed));
	return 0;
}

int seccomp_setup(enum seccomp_mode m, void (*before_exit)(void))
{
	seccomp_wait(); /* an earlier set-up's (the unit tests make several) */
	mode = m;
	if (m == SECCOMP_OFF)
		return 0;
	/* glibc reads the time zone (/etc/localtime) at a thread's first
	 * time conversion, even gmtime_r's: now, while open is allowed. */
	tzset();
	pthread_mutex_lock(&build_lock);
	building = thread_start_unsignalled(&builder, build_all, NULL) == 0;
	pthread_mutex_unlock(&build_lock);
	if (!building) { /* no thread: built here, as before */
		build_all(NULL);
		if (seccomp_wait() < 0)
			return -1;
	}
	return sigsys_install(m == SECCOMP_LOG, before_exit);
}

const struct sock_fprog *seccomp_program(enum thread_kind kind)
{
	if (seccomp_wait() < 0)
		return NULL;
	return (unsigned)kind < THREAD_KINDS && progs[kind].filter ? &progs[kind] : NULL;
}

void seccomp_enter(enum thread_kind kind)
{
	if (mode == SECCOMP_OFF || filtered || (unsigned)kind >= THREAD_KINDS)
		return;
	/* A thread never runs unfiltered when filters are on: without its
	 * program warden ends, as when the host refuses it (below). */
	if (seccomp_wait() < 0) {
		fprintf(stderr, "warden: %s\n", err_msg());
		_exit(1);
	}
	sigsys_thread(kind);
	/* no_new_privs is what lets an unprivileged process load a filter. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &progs[kind]) < 0) {
		fprintf(stderr, "warden: seccomp: cannot install the %s thread's filter: %s\n",
			thread_kind_name(kind), strerror(errno));
		_exit(1);
	}
	filtered = true;
	sigsys_test_trigger(kind);
}
