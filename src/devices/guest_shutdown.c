#include "devices/guest_shutdown.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "core/vm.h"
#include "devices/platform.h"
#include "sandbox/seccomp.h"
#include "util/error.h"
#include "util/log.h"

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Wait until FD or EXTRA_FD is readable or TIMEOUT_S pass (< 0: no
 * limit); 1 readable, 0 timed out.  Signals do not stretch the wait. */
static int wait_fd(int fd, int extra_fd, double timeout_s)
{
	struct pollfd p[2] = { { .fd = fd, .events = POLLIN }, { .fd = extra_fd, .events = POLLIN } };
	double end = now_s() + timeout_s;
	int r;

	for (;;) {
		double left = end - now_s();
		int ms = timeout_s < 0 ? -1 : left <= 0 ? 0 : left > 2e6 ? 2000000000 : (int)(left * 1000) + 1;

		r = poll(p, 2, ms);
		if (r >= 0 || errno != EINTR)
			return r != 0;
	}
}

static void drain(int efd)
{
	uint64_t n;

	if (read(efd, &n, sizeof(n)) < 0)
		(void)0; /* nothing was there */
}

static void *shutdown_thread(void *arg)
{
	struct guest_shutdown *g = arg;

	seccomp_enter(THREAD_SHUTDOWN);
	/* The VM's end (readable for good once set) or a request. */
	wait_fd(g->vm->end.efd, g->efd, -1);
	if (atomic_load(&g->quit) || vm_end_get(&g->vm->end) != VM_RUNNING)
		return NULL;
	drain(g->efd);
	log_info("asking the guest to shut down (power button); a second signal stops it at once");
	power_button_press(g->button);
	if (!wait_fd(g->vm->end.efd, g->efd, g->timeout_s) && !atomic_load(&g->quit) &&
	    vm_end_get(&g->vm->end) == VM_RUNNING) {
		log_info("the guest did not shut down within %g s (--shutdown-timeout); stopping it",
			 g->timeout_s);
		vm_request_end(g->vm, VM_END_SIGNAL);
	}
	return NULL;
}

int guest_shutdown_init(struct guest_shutdown *g)
{
	memset(g, 0, sizeof(*g));
	g->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return g->efd < 0 ? fail_errno(ERR_HOST, "eventfd") : 0;
}

int guest_shutdown_start(struct guest_shutdown *g, struct vm *vm, struct device *button,
			 double timeout_s)
{
	int err;

	g->vm = vm;
	g->button = button;
	g->timeout_s = timeout_s;
	atomic_store(&g->asked, 0);
	atomic_store(&g->quit, 0);
	drain(g->efd); /* a request that came between two boots */
	err = pthread_create(&g->thread, NULL, shutdown_thread, g);
	if (err) {
		errno = err;
		return fail_errno(ERR_HOST, "cannot start the shutdown thread");
	}
	atomic_store(&g->started, 1);
	return 0;
}

static void wake(struct guest_shutdown *g)
{
	uint64_t one = 1;
	int saved = errno;

	if (write(g->efd, &one, sizeof(one)) < 0)
		(void)0; /* the counter is full: it is readable anyway */
	errno = saved;
}

bool guest_shutdown_request(struct guest_shutdown *g)
{
	int no = 0;

	if (!atomic_load(&g->started) || atomic_load(&g->quit) || !atomic_compare_exchange_strong(&g->asked, &no, 1))
		return false;
	wake(g);
	return true;
}

void guest_shutdown_stop(struct guest_shutdown *g)
{
	if (!atomic_load(&g->started))
		return;
	atomic_store(&g->quit, 1);
	wake(g);
	pthread_join(g->thread, NULL);
	atomic_store(&g->started, 0);
}
