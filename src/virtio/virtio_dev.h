/* A virtio device as warden builds it: the virtio-mmio transport (mmio.c)
 * owns registers, feature negotiation, the status state machine and the
 * queues; the device type (blk.c, net.c, console.c, rng.c) fills a small
 * ops table and does its work on the device's own I/O thread (worker.c),
 * never on a vCPU thread.
 *
 * Threads: register accesses arrive on vCPU threads under dev.lock.  After
 * DRIVER_OK the queues belong to the I/O thread; the transport only stops
 * that thread (on reset or VM end) and never touches a live queue. */
#ifndef WARDEN_VIRTIO_VIRTIO_DEV_H
#define WARDEN_VIRTIO_VIRTIO_DEV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "accounting/exit_stats.h"
#include "core/device.h"
#include "virtio/virtqueue.h"

struct vm;
struct virtio_dev;

#define VIRTIO_MAX_QUEUES 8
#define VIRTIO_CONFIG_MAX 256
#define VIRTIO_MAX_WATCH 8 /* backend fds one device may watch */

/* The notification-path tools, each of which the user can switch off. */
struct virtio_options {
	bool ioeventfd; /* QueueNotify completes in KVM, no exit to warden */
	bool irqfd;     /* interrupts injected by KVM from an eventfd write */
	bool event_idx; /* offer VIRTIO_F_EVENT_IDX (suppression both ways) */
};

struct virtio_dev_ops {
	uint32_t device_id; /* VIRTIO_ID_* */
	unsigned nqueues;
	uint64_t features; /* device-specific bits offered (transport bits added) */
	/* Driver wrote DRIVER_OK: queues are active.  Runs on the vCPU thread
	 * before the I/O thread starts; may call virtio_watch_fd().  Returns
	 * -1 to refuse (the device then reports DEVICE_NEEDS_RESET). */
	int (*start)(struct virtio_dev *vd);
	/* On the I/O thread: the driver notified queue Q. */
	void (*queue_notify)(struct virtio_dev *vd, unsigned q);
	/* On the I/O thread: a watched fd is ready (EVENTS from epoll). */
	void (*fd_ready)(struct virtio_dev *vd, int fd, uint32_t events);
	/* The I/O thread has stopped (device reset or VM end): finish or drop
	 * in-flight work so that no guest buffer is touched after return. */
	void (*stop)(struct virtio_dev *vd);
	/* Config space writes by the driver (reads come from vd->config). */
	void (*config_write)(struct virtio_dev *vd, uint32_t off, const uint8_t *data, unsigned len);
	/* Free what the device type allocated (priv). */
	void (*destroy)(struct virtio_dev *vd);
};

struct virtio_dev {
	struct device dev; /* name, accounting slot, register lock */
	const struct virtio_dev_ops *ops;
	void *priv;
	struct vm *vm;
	struct virtio_options opt;
	uint64_t mmio_base;
	unsigned gsi;
	char name[32];

	/* Transport registers (under dev.lock). */
	uint32_t status;
	uint32_t dev_features_sel, drv_features_sel, queue_sel;
	uint64_t offered, driver_features;
	_Atomic uint32_t isr;            /* InterruptStatus */
	_Atomic uint32_t config_generation;
	uint8_t config[VIRTIO_CONFIG_MAX]; /* device config space, device-owned */
	uint32_t config_len;
	struct virtq vq[VIRTIO_MAX_QUEUES];
	bool queue_ready[VIRTIO_MAX_QUEUES];

	/* Notification path. */
	int kick_fd[VIRTIO_MAX_QUEUES]; /* eventfd per queue (ioeventfd or written by us) */
	bool kick_registered[VIRTIO_MAX_QUEUES]; /* KVM_IOEVENTFD in place */
	int irq_fd;                     /* irqfd, or -1 with --no-irqfd */

	/* I/O thread. */
	pthread_t thread;
	bool running;
	int epoll_fd, stop_fd;
	int watch_fd[VIRTIO_MAX_WATCH];
	unsigned nwatch;

	struct device_counters counters;
};

/* Create the transport for a device type and register its window and GSI.
 * The caller fills vd->ops, vd->priv, vd->name, vd->config/config_len
 * before calling. */
int virtio_mmio_init(struct virtio_dev *vd, struct vm *vm, const struct virtio_options *opt,
		     uint64_t base, unsigned gsi);
/* Stop the I/O thread and let the device type finish in-flight work (on a
 * reset, FAILED, or when the VM has stopped). */
void virtio_mmio_stop(struct virtio_dev *vd);
/* Stop the I/O thread, tear down the notification path, destroy the type. */
void virtio_mmio_destroy(struct virtio_dev *vd);

/* --- for device types, on the I/O thread --- */
/* After pushing used buffers on queue Q: interrupt the driver if it wants. */
void virtio_queue_done(struct virtio_dev *vd, unsigned q);
/* The guest broke a rule: log it once, set DEVICE_NEEDS_RESET and tell the
 * driver; the device does nothing more until the driver resets it. */
void virtio_fail(struct virtio_dev *vd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool virtio_failed(const struct virtio_dev *vd);
/* Let FD wake the I/O thread (call from ops->start). */
int virtio_watch_fd(struct virtio_dev *vd, int fd, uint32_t events);
/* Change the events of a watched FD (0: pause it); from start() or the I/O
 * thread. */
int virtio_watch_mod(struct virtio_dev *vd, int fd, uint32_t events);
/* Signal a configuration change (e.g. a new config value). */
void virtio_config_changed(struct virtio_dev *vd);
bool virtio_has_feature(const struct virtio_dev *vd, unsigned bit);

/* Single-writer counters, readable at any time. */
static inline void virtio_count(uint64_t *c, uint64_t n)
{
	__atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

/* The I/O thread (worker.c). */
int virtio_worker_start(struct virtio_dev *vd);
void virtio_worker_stop(struct virtio_dev *vd);

#endif
