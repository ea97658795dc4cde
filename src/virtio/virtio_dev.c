/* The transport-independent half of a virtio device (virtio 1.2, 2 and
 * 3): status state machine, feature negotiation, queue set-up, config
 * space, notifications and the I/O thread. */
#include "virtio/virtio_dev.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/vm.h"
#include "util/error.h"
#include "util/invariant.h"
#include "util/log.h"
#include "virtio/virtio_spec.h"

bool virtio_has_feature(const struct virtio_dev *vd, unsigned bit)
{
	return (vd->driver_features >> bit) & 1;
}

uint32_t virtio_dev_status(const struct virtio_dev *vd)
{
	return __atomic_load_n(&vd->status, __ATOMIC_RELAXED);
}

bool virtio_failed(const struct virtio_dev *vd)
{
	return virtio_dev_status(vd) & VIRTIO_STATUS_NEEDS_RESET;
}

int virtio_stop_fd(const struct virtio_dev *vd)
{
	return io_worker_stop_fd(&vd->worker);
}

void virtio_queue_done(struct virtio_dev *vd, unsigned q)
{
	bool fresh;

	if (!invariant(q < vd->type.nqueues))
		return;
	fresh = virtq_used_unsignalled(&vd->vq[q]);
	if (virtq_needs_interrupt(&vd->vq[q])) {
		virtio_count(&vd->counters.interrupts, 1);
		vd->transport->queue_interrupt(vd, q);
	} else if (fresh) {
		/* Used buffers the driver asked not to hear about (used_event
		 * not reached, or NO_INTERRUPT): an interrupt saved. */
		virtio_count(&vd->counters.interrupts_suppressed, 1);
	}
}

bool virtio_queue_rearm(struct virtio_dev *vd, unsigned q)
{
	if (!virtq_notify_on(&vd->vq[q]))
		return false;
	virtio_count(&vd->counters.notifies_suppressed, 1);
	return true;
}

void virtio_queue_interrupt(struct virtio_dev *vd, unsigned q)
{
	if (!invariant(q < vd->type.nqueues))
		return;
	virtio_count(&vd->counters.interrupts, 1);
	vd->transport->queue_interrupt(vd, q);
}

int virtio_queue_irqfd(struct virtio_dev *vd, unsigned q)
{
	if (q >= vd->type.nqueues || !vd->transport->queue_irqfd)
		return -1;
	return vd->transport->queue_irqfd(vd, q);
}

void virtio_dev_irq_changed(struct virtio_dev *vd)
{
	if (vd->ops && vd->ops->irq_changed)
		vd->ops->irq_changed(vd);
}

static void config_changed(struct virtio_dev *vd)
{
	atomic_fetch_add(&vd->config_generation, 1);
	virtio_count(&vd->counters.interrupts, 1);
	vd->transport->config_interrupt(vd);
}

void virtio_config_update(struct virtio_dev *vd, uint32_t off, const void *data, uint32_t len)
{
	if (off > vd->config_len || len > vd->config_len - off)
		return;
	pthread_mutex_lock(&vd->config_lock);
	memcpy(vd->config + off, data, len);
	pthread_mutex_unlock(&vd->config_lock);
	config_changed(vd);
}

void virtio_fail(struct virtio_dev *vd, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	if (virtio_failed(vd))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* A driver that resets and breaks the rule again would otherwise
	 * print this line each time. */
	log_guest("%s: device needs reset: %s", vd->name, msg);
	virtio_count(&vd->counters.errors, 1);
	__atomic_fetch_or(&vd->status, VIRTIO_STATUS_NEEDS_RESET, __ATOMIC_RELAXED);
	config_changed(vd);
}

/* --- the I/O thread's handlers ------------------------------------------- */

static void kicked(void *ctx, int fd, uint32_t events)
{
	struct virtio_kick *k = ctx;
	struct virtio_dev *vd = k->vd;
	uint64_t n;

	(void)events;
	/* An eventfd adds up writes: N notifications since we last looked. */
	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return;
	virtio_count(&vd->counters.notifies, n);
	if (!virtio_failed(vd) && vd->queue_ready[k->q])
		vd->ops->queue_notify(vd, k->q);
}

static void watched_ready(void *ctx, int fd, uint32_t events)
{
	struct virtio_dev *vd = ctx;

	/* A failed device does no work until the driver resets it; a still
	 * readable backend fd would otherwise wake us in a tight loop. */
	if (virtio_failed(vd) || !vd->ops->fd_ready) {
		io_worker_unwatch(&vd->worker, fd);
		return;
	}
	vd->ops->fd_ready(vd, fd, events);
}

/* --- polling mode (the worker's io_poll hooks) ----------------------------- */

/* Notifications off on every queue: a stale avail_event (EVENT_IDX) or
 * VIRTQ_USED_F_NO_NOTIFY, kept until poll_rearm(). */
static void poll_quiet(void *ctx)
{
	struct virtio_dev *vd = ctx;

	for (unsigned q = 0; q < vd->type.nqueues; q++)
		if (vd->queue_ready[q])
			virtq_poll_begin(&vd->vq[q]);
}

/* Serve every queue with chains no notification announced. */
static bool poll_queues(void *ctx)
{
	struct virtio_dev *vd = ctx;
	bool found = false;

	for (unsigned q = 0; q < vd->type.nqueues && !virtio_failed(vd); q++)
		if (vd->queue_ready[q] && virtq_poll_new(&vd->vq[q])) {
			virtio_count(&vd->counters.notifies_suppressed, 1);
			vd->ops->queue_notify(vd, q);
			found = true;
		}
	return found;
}

/* The window passed without work: notifications on again where the
 * device wants them (a net receive queue with buffers in hand does not),
 * then one last look, since chains made available before the driver saw
 * the re-armed ring get no notification.  A failed device is not polled. */
static bool poll_rearm(void *ctx)
{
	struct virtio_dev *vd = ctx;

	for (unsigned q = 0; q < vd->type.nqueues; q++)
		if (vd->queue_ready[q])
			virtq_poll_end(&vd->vq[q]);
	if (virtio_failed(vd) || !poll_queues(vd))
		return false;
	poll_quiet(vd);
	return true;
}

int virtio_watch_fd(struct virtio_dev *vd, int fd, uint32_t events)
{
	return io_worker_watch(&vd->worker, fd, events, watched_ready, vd);
}

int virtio_watch_mod(struct virtio_dev *vd, int fd, uint32_t events)
{
	return io_worker_mod(&vd->worker, fd, events);
}

/* --- for transports ------------------------------------------------------- */

int virtio_dev_attach(struct virtio_dev *vd, struct vm *vm, const struct virtio_options *opt,
		      const struct virtio_transport *t, void *transport_priv)
{
	vd->vm = vm;
	vd->opt = *opt;
	vd->transport = t;
	vd->transport_priv = transport_priv;
	pthread_mutex_init(&vd->config_lock, NULL);
	io_worker_init(&vd->worker, vd->name);
	if (vd->type.worker_kind != THREAD_MAIN)
		vd->worker.kind = vd->type.worker_kind;
	vd->worker.cpu_ns = &vd->counters.cpu_ns;
	vd->worker.poll_ns = &vd->counters.poll_ns;
	vd->worker.window_ns = &vd->counters.poll_window_ns;
	if (vd->poll_window_ns)
		vd->worker.poll = (struct io_poll){ .window_ns = vd->poll_window_ns, .max_ns = vd->poll_max_ns,
						    .quiet = poll_quiet, .poll = poll_queues, .rearm = poll_rearm,
						    .ctx = vd };
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++)
		vd->kick_fd[q] = -1;
	if (vd->type.nqueues == 0 || vd->type.nqueues > VIRTIO_MAX_QUEUES ||
	    vd->config_len > VIRTIO_CONFIG_MAX)
		return fail(ERR_HOST, "%s: bad device description", vd->name);
	vd->offered = vd->type.features | VIRTIO_BIT(VIRTIO_F_VERSION_1) |
		      VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) |
		      (opt->event_idx ? VIRTIO_BIT(VIRTIO_F_EVENT_IDX) : 0);
	for (unsigned q = 0; q < vd->type.nqueues; q++) {
		vd->kick_fd[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (vd->kick_fd[q] < 0)
			return fail_errno(ERR_HOST, "%s: eventfd", vd->name);
		vd->kick[q] = (struct virtio_kick){ .vd = vd, .q = q };
	}
	return 0;
}

uint32_t virtio_dev_device_features(const struct virtio_dev *vd, uint32_t word)
{
	return word < 2 ? (uint32_t)(vd->offered >> (32 * word)) : 0;
}

void virtio_dev_write_driver_features(struct virtio_dev *vd, uint32_t word, uint32_t v)
{
	/* Frozen once FEATURES_OK is set (3.1.1). */
	if (word >= 2 || (virtio_dev_status(vd) & VIRTIO_STATUS_FEATURES_OK))
		return;
	if (word)
		vd->driver_features = (vd->driver_features & 0xffffffffULL) | ((uint64_t)v << 32);
	else
		vd->driver_features = (vd->driver_features & ~0xffffffffULL) | v;
}

/* Each queue as its thread left it, before the device's stop completes
 * what is in flight (a hung guest's last request, or the interrupt it
 * still waits for, shows here). */
static void describe_queues(const struct virtio_dev *vd)
{
	char line[256];

	for (unsigned q = 0; q < vd->type.nqueues; q++) {
		if (!vd->queue_ready[q] || !vd->vq[q].active || (vd->queues_offloaded & (1u << q)))
			continue;
		virtq_describe(&vd->vq[q], line, sizeof(line));
		log_info("%s: queue %u at the end: %s", vd->name, q, line);
	}
}

static void stop(struct virtio_dev *vd, bool describe)
{
	if (vd->worker.running) {
		io_worker_stop(&vd->worker);
		if (describe)
			describe_queues(vd);
		if (vd->ops->stop)
			vd->ops->stop(vd);
	}
	io_worker_stop(&vd->worker); /* also frees an epoll set a failed start left */
	vd->queues_offloaded = 0;
}

void virtio_dev_stop(struct virtio_dev *vd)
{
	stop(vd, false);
}

void virtio_dev_reset(struct virtio_dev *vd)
{
	uint64_t drain;

	virtio_dev_stop(vd);
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++) {
		virtq_reset(&vd->vq[q]);
		vd->queue_ready[q] = false;
		if (vd->kick_fd[q] >= 0 && read(vd->kick_fd[q], &drain, sizeof(drain)) < 0)
			drain = 0; /* nothing pending: fine */
	}
	__atomic_store_n(&vd->status, 0, __ATOMIC_RELAXED);
	vd->driver_features = 0;
}

/* FEATURES_OK is only kept if the driver accepted a subset of what we offer,
 * including VERSION_1 (no legacy interface here). */
static bool features_ok(struct virtio_dev *vd)
{
	if (vd->driver_features & ~vd->offered) {
		log_guest("%s: driver accepted features 0x%llx we did not offer", vd->name,
			  (unsigned long long)(vd->driver_features & ~vd->offered));
		return false;
	}
	if (!virtio_has_feature(vd, VIRTIO_F_VERSION_1)) {
		log_guest("%s: driver did not accept VIRTIO_F_VERSION_1", vd->name);
		return false;
	}
	return true;
}

int virtio_dev_start_worker(struct virtio_dev *vd)
{
	for (unsigned q = 0; q < vd->type.nqueues; q++) {
		if (vd->queues_offloaded & (1u << q))
			continue;
		if (io_worker_watch(&vd->worker, vd->kick_fd[q], EPOLLIN, kicked, &vd->kick[q]) < 0)
			return -1;
	}
	/* Notifications that came before the thread ran are still counted in
	 * the eventfds, so the thread sees them on its first epoll_wait. */
	return io_worker_start(&vd->worker);
}

static void driver_ok(struct virtio_dev *vd)
{
	for (unsigned q = 0; q < vd->type.nqueues; q++) {
		vd->vq[q].event_idx = virtio_has_feature(vd, VIRTIO_F_EVENT_IDX);
		vd->vq[q].indirect = virtio_has_feature(vd, VIRTIO_F_INDIRECT_DESC);
	}
	if (vd->ops->start && vd->ops->start(vd) < 0) {
		virtio_fail(vd, "device could not start");
		return;
	}
	if (virtio_dev_start_worker(vd) < 0) {
		log_warn("%s: %s", vd->name, err_msg());
		virtio_fail(vd, "no I/O thread");
	}
}

void virtio_dev_write_status(struct virtio_dev *vd, uint32_t v)
{
	uint32_t old = virtio_dev_status(vd), nv;

	if (v == 0) {
		virtio_dev_reset(vd);
		return;
	}
	/* A driver only ever adds bits (2.1.2); only a reset clears them.  Keep
	 * those set, or dropping DRIVER_OK and setting it again would start a
	 * second I/O thread on the same queues. */
	v = (v | old) & 0xff;
	if ((v & VIRTIO_STATUS_FEATURES_OK) && !(old & VIRTIO_STATUS_FEATURES_OK) && !features_ok(vd))
		v &= ~(uint32_t)VIRTIO_STATUS_FEATURES_OK; /* the driver reads it back and gives up */
	/* Only the device sets NEEDS_RESET, and its I/O thread may do so
	 * (virtio_fail) while we are here: merge atomically so that a failure
	 * set in between is kept, not overwritten. */
	v &= ~(uint32_t)VIRTIO_STATUS_NEEDS_RESET;
	do
		nv = v | (old & VIRTIO_STATUS_NEEDS_RESET);
	while (!__atomic_compare_exchange_n(&vd->status, &old, nv, false, __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED));
	v = nv;
	if ((v & VIRTIO_STATUS_FAILED) && !(old & VIRTIO_STATUS_FAILED))
		virtio_dev_stop(vd);
	else if ((v & VIRTIO_STATUS_DRIVER_OK) && !(old & VIRTIO_STATUS_DRIVER_OK) &&
		 (v & VIRTIO_STATUS_FEATURES_OK))
		driver_ok(vd);
}

struct virtq *virtio_dev_queue(struct virtio_dev *vd, uint32_t q)
{
	return q < vd->type.nqueues ? &vd->vq[q] : NULL;
}

bool virtio_dev_queue_writable(const struct virtio_dev *vd, uint32_t q)
{
	/* Queue set-up is frozen once ready or the I/O thread owns the queues. */
	return q < vd->type.nqueues && !vd->worker.running && !vd->queue_ready[q];
}

void virtio_dev_queue_ready(struct virtio_dev *vd, uint32_t q, uint32_t v)
{
	if (q >= vd->type.nqueues || vd->worker.running)
		return;
	if (v == 0) {
		vd->queue_ready[q] = false;
		return;
	}
	if (v != 1 || vd->queue_ready[q])
		return;
	if (virtq_activate(&vd->vq[q], &vd->vm->mem) < 0) {
		virtio_fail(vd, "queue %u: %s", q, vd->vq[q].error);
		return;
	}
	vd->queue_ready[q] = true;
}

/* Without ioeventfd the notification exits to us; hand it to the same
 * eventfd the I/O thread waits on, so both paths run the same device code. */
void virtio_dev_notify(struct virtio_dev *vd, uint32_t q)
{
	uint64_t one = 1;

	if (q >= vd->type.nqueues)
		return;
	if (write(vd->kick_fd[q], &one, sizeof(one)) < 0)
		log_warn("%s: kick: %s", vd->name, strerror(errno));
}

void virtio_dev_config_read(struct virtio_dev *vd, uint64_t off, uint8_t *data, unsigned len)
{
	memset(data, 0, len);
	if (off >= vd->config_len || len > vd->config_len - off)
		return;
	pthread_mutex_lock(&vd->config_lock);
	memcpy(data, vd->config + off, len);
	pthread_mutex_unlock(&vd->config_lock);
}

void virtio_dev_config_write(struct virtio_dev *vd, uint64_t off, const uint8_t *data,
			     unsigned len)
{
	if (vd->ops->config_write && off < vd->config_len && len <= vd->config_len - off)
		vd->ops->config_write(vd, (uint32_t)off, data, len);
}

void virtio_dev_stop_describing(struct virtio_dev *vd)
{
	stop(vd, true);
}

void virtio_dev_destroy(struct virtio_dev *vd)
{
	virtio_dev_stop(vd);
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++) {
		if (vd->kick_fd[q] >= 0)
			close(vd->kick_fd[q]);
		vd->kick_fd[q] = -1;
	}
	if (vd->ops && vd->ops->destroy)
		vd->ops->destroy(vd);
	pthread_mutex_destroy(&vd->config_lock);
}
