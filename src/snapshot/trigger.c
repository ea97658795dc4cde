#include "snapshot/trigger.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/vm.h"
#include "sandbox/seccomp.h"
#include "snapshot/snapshot.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/log.h"

int snapshot_trigger_prepare(const char *dir)
{
	struct stat st;
	sigset_t set;
	int err;

	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || access(dir, W_OK) < 0)
		return fail(ERR_USAGE, "--snapshot-dir %s: not a writable directory", dir);
	sigemptyset(&set);
	sigaddset(&set, SNAPSHOT_SIGNAL);
	err = pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (err) {
		errno = err;
		return fail_errno(ERR_HOST, "cannot block SIGUSR2");
	}
	return 0;
}

int snapshot_paths(const char *dir, char *state, char *mem, unsigned long len)
{
	if ((unsigned long)snprintf(state, len, "%s/%s", dir, SNAPSHOT_STATE_FILE) >= len ||
	    (unsigned long)snprintf(mem, len, "%s/%s", dir, SNAPSHOT_MEM_FILE) >= len)
		return fail(ERR_USAGE, "snapshot directory %s: path too long", dir);
	return 0;
}

/* One snapshot: pause, write, then resume or end.  A failure is one line
 * and the VM goes on. */
static void take(struct snapshot_trigger *t)
{
	char state[PATH_MAX], mem[PATH_MAX];
	uint64_t t0 = now_ns();

	if (snapshot_paths(t->dir, state, mem, sizeof(state)) < 0 || vm_pause(t->vm) < 0) {
		log_warn("snapshot not taken: %s", err_msg());
		return;
	}
	if (snapshot_create(t->vm, state, mem) < 0) {
		log_warn("snapshot not taken: %s", err_msg());
	} else {
		log_info("snapshot written to %s in %.1f ms", t->dir, (double)(now_ns() - t0) / 1e6);
		if (t->exit_after) {
			/* The vCPUs stay parked; vm_stop releases them into the end. */
			vm_request_end(t->vm, VM_END_SIGNAL);
			return;
		}
	}
	if (vm_resume(t->vm) < 0)
		log_warn("snapshot: %s", err_msg());
}

static void *trigger_thread(void *arg)
{
	struct snapshot_trigger *t = arg;

	/* Unnamed: it keeps "warden", a name tests/lib.sh's WARDEN_THREADS knows. */
	seccomp_enter(THREAD_SNAPSHOT);
	for (;;) {
		struct pollfd p[2] = { { .fd = t->sfd, .events = POLLIN }, { .fd = t->stop_efd, .events = POLLIN } };
		struct signalfd_siginfo si;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (p[0].revents && read(t->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
			take(t);
	}
	return NULL;
}

int snapshot_trigger_start(struct snapshot_trigger *t, struct vm *vm, const char *dir, bool exit_after)
{
	sigset_t set;
	int err;

	*t = (struct snapshot_trigger){ .vm = vm, .dir = dir, .exit_after = exit_after, .sfd = -1, .stop_efd = -1 };
	sigemptyset(&set);
	sigaddset(&set, SNAPSHOT_SIGNAL);
	t->sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	t->stop_efd = eventfd(0, EFD_CLOEXEC);
	if (t->sfd < 0 || t->stop_efd < 0) {
		snapshot_trigger_stop(t);
		return fail_errno(ERR_HOST, "snapshot trigger: signalfd/eventfd");
	}
	err = pthread_create(&t->thread, NULL, trigger_thread, t);
	if (err) {
		snapshot_trigger_stop(t);
		errno = err;
		return fail_errno(ERR_HOST, "cannot start the snapshot thread");
	}
	t->started = true;
	return 0;
}

void snapshot_trigger_stop(struct snapshot_trigger *t)
{
	uint64_t one = 1;

	if (!t->vm)
		return; /* never started */
	if (t->started) {
		if (write(t->stop_efd, &one, sizeof(one)) < 0)
			log_warn("snapshot thread: cannot stop it: %s", strerror(errno));
		pthread_join(t->thread, NULL);
		t->started = false;
	}
	if (t->sfd >= 0)
		close(t->sfd);
	if (t->stop_efd >= 0)
		close(t->stop_efd);
	t->sfd = t->stop_efd = -1;
	t->vm = NULL;
}
