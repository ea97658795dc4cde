/* The API's life beside main's: created with the run's options, started
 * by InstanceStart (or at once by a config file), told when the VM runs
 * and when it stops, destroyed last. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "api/api_state.h"
#include "api/server.h"
#include "util/clock.h"
#include "util/error.h"

struct api *api_create(struct cli_options *o, const struct api_hooks *hooks)
{
	struct api *a = calloc(1, sizeof(*a));

	if (!a)
		return fail(ERR_HOST, "out of memory"), NULL;
	a->wake_fd = eventfd(0, EFD_CLOEXEC);
	if (a->wake_fd < 0) {
		free(a);
		return fail_errno(ERR_HOST, "API: eventfd"), NULL;
	}
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->cond, NULL);
	a->o = o;
	a->hooks = *hooks;
	api_name_devices(a);
	a->created_ns = now_ns();
	clock_cal_start(&a->cal);
	api_metrics_init(&a->metrics);
	return a;
}

int api_wait_start(struct api *a)
{
	struct pollfd p = { .events = POLLIN };
	uint64_t v;
	int ret;

	if (!a)
		return 0;
	p.fd = a->wake_fd;
	pthread_mutex_lock(&a->lock);
	while (a->phase == API_CONFIGURING && !a->interrupted) {
		pthread_mutex_unlock(&a->lock);
		/* InstanceStart and a signal (api_interrupt) write wake_fd; a
		 * signal also interrupts the poll (no SA_RESTART).  The phase
		 * decides, so the eventfd's count only has to be cleared. */
		if (poll(&p, 1, -1) > 0 && read(a->wake_fd, &v, sizeof(v)) < 0)
			v = 0;
		pthread_mutex_lock(&a->lock);
	}
	ret = a->phase == API_CONFIGURING ? -1 : 0;
	pthread_mutex_unlock(&a->lock);
	return ret;
}

void api_interrupt(struct api *a)
{
	uint64_t one = 1;
	ssize_t w;

	if (!a)
		return;
	a->interrupted = 1;
	w = write(a->wake_fd, &one, sizeof(one)); /* async-signal-safe */
	(void)w;
}

void api_vm_started(struct api *a, struct vm *vm, const struct exit_stats *stats, unsigned ncpus)
{
	if (!a)
		return;
	pthread_mutex_lock(&a->lock);
	a->vm = vm;
	a->stats = stats;
	a->ncpus = ncpus;
	a->paused = false;
	a->ran = true;
	a->started_ns = now_ns();
	a->phase = API_RUNNING;
	pthread_cond_broadcast(&a->cond);
	pthread_mutex_unlock(&a->lock);
}

void api_vm_stopped(struct api *a)
{
	if (!a)
		return;
	pthread_mutex_lock(&a->lock);
	if (!a->ran) /* it never ran: main's error says why */
		snprintf(a->start_error, sizeof(a->start_error), "%s", err_msg());
	if (a->phase != API_CONFIGURING)
		a->phase = API_ENDED;
	/* The last line, while the devices' counters are still there. */
	if (a->vm && a->metrics.fd >= 0)
		api_metrics_flush(a);
	a->vm = NULL;
	pthread_cond_broadcast(&a->cond);
	pthread_mutex_unlock(&a->lock);
}

void api_destroy(struct api *a)
{
	if (!a)
		return;
	api_vm_stopped(a);
	api_metrics_stop(a);
	api_server_stop(a);
	close(a->wake_fd);
	free(a->kernel);
	free(a->initrd);
	free(a->boot_args);
	for (unsigned i = 0; i < VIRTIO_MAX_DISKS; i++)
		free(a->disk_path[i]);
	free(a->vsock_uds);
	free(a->log_path);
	free(a->log_level);
	free(a->metrics_path);
	pthread_cond_destroy(&a->cond);
	pthread_mutex_destroy(&a->lock);
	free(a);
}
