/* A virtio device, independent of its transport: what the device type is
 * (id, queue count, features: data), what it does (a small ops table:
 * code only), and the state every transport shares: the status state
 * machine, feature negotiation, the queues, the config space, the queues'
 * notification eventfds and the device's I/O thread (worker.c).  A
 * transport (mmio.c; later PCI) owns the registers the driver sees, maps
 * them onto these calls, and delivers interrupts through the small
 * virtio_transport table.
 *
 * Threads: transport register accesses arrive on vCPU threads under the
 * transport device's lock.  After DRIVER_OK the queues belong to the I/O
 * thread; the core only stops that thread (on reset or VM end) and never
 * touches a live queue.  The config space has its own lock, so the I/O
 * thread can change it (virtio_config_update) without the device lock. */
#ifndef WARDEN_VIRTIO_VIRTIO_DEV_H
#define WARDEN_VIRTIO_VIRTIO_DEV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/device.h"
#include "virtio/virtqueue.h"
#include "virtio/worker.h"

struct vm;
struct virtio_dev;

#define VIRTIO_MAX_QUEUES 8
#define VIRTIO_CONFIG_MAX 256

/* The notification-path tools, each of which the user can switch off. */
struct virtio_options {
	bool ioeventfd; /* queue notifications complete in KVM, no exit to warden */
	bool irqfd;     /* interrupts injected by KVM from an eventfd write */
	bool event_idx; /* offer VIRTIO_F_EVENT_IDX (suppression both ways) */
};

/* What a device type is: data. */
struct virtio_type {
	uint32_t device_id; /* VIRTIO_ID_* */
	unsigned nqueues;
	uint64_t features;  /* device-specific bits offered (transport bits added) */
	/* The seccomp kind of its I/O thread (sandbox/seccomp.h); 0
	 * (THREAD_MAIN, which no I/O thread is) means THREAD_IO_WORKER. */
	enum thread_kind worker_kind;
};

/* What a device type does: code only. */
struct rate_limit;
enum { VIRTIO_RATE_RX, VIRTIO_RATE_TX, VIRTIO_RATE_LIMITS };

struct virtio_dev_ops {
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
	/* Config space writes by the driver (reads come from the config). */
	void (*config_write)(struct virtio_dev *vd, uint32_t off, const uint8_t *data, unsigned len);
	/* Free what the device type allocated (priv). */
	void (*destroy)(struct virtio_dev *vd);
	/* A pause (snapshots): the I/O thread has stopped; finish every request
	 * in flight and publish it (used ring, interrupt), so that the queues'
	 * state is all in guest memory and the indices.  A type that has it
	 * can be snapshotted (virtio_snapshot.c); start() is called again at
	 * the resume.  A type with host connections a snapshot cannot carry
	 * (vsock) resets them here. */
	void (*quiesce)(struct virtio_dev *vd);
	/* A snapshot of the type's own state beyond queues and config (bytes
	 * held between the host and the guest: the console's pending input
	 * and output), after quiesce: bytes written to BUF (at most CAP), or
	 * -1.  restore takes exactly what save wrote and checks it (-1, with
	 * fail() saying why).  NULL: the type has none. */
	long (*save)(const struct virtio_dev *vd, void *buf, size_t cap);
	int (*restore)(struct virtio_dev *vd, const void *buf, size_t len);
	/* On a vCPU thread, under the transport device's lock: what
	 * virtio_queue_irqfd() answers for some queue may have changed (the
	 * driver masked or unmasked a vector, switched MSI-X, or moved a
	 * queue to another vector).  A type that lets another signaller
	 * raise its interrupts (vhost) asks again.  NULL: the type does not
	 * care (its interrupts all go through virtio_queue_done/interrupt). */
	void (*irq_changed)(struct virtio_dev *vd);
};

/* How the core reaches the driver: the transport's interrupts. */
struct virtio_transport {
	/* Used buffers on queue Q (the core already checked suppression). */
	void (*queue_interrupt)(struct virtio_dev *vd, unsigned q);
	/* The config space or the status (DEVICE_NEEDS_RESET) changed. */
	void (*config_interrupt)(struct virtio_dev *vd);
	/* An eventfd which, written, has KVM raise queue Q's interrupt with no
	 * VMM thread involved and nothing else to do for it (virtio-pci: the
	 * irqfd of Q's MSI-X vector while MSI-X is on and the vector is
	 * deliverable); -1 while the interrupt needs queue_interrupt (a masked
	 * vector whose pending bit must be kept, MSI-X off, no vector, no
	 * irqfd; virtio-mmio's InterruptStatus).  NULL: always -1.  The
	 * transport calls virtio_dev_irq_changed() when the answer may have
	 * changed. */
	int (*queue_irqfd)(struct virtio_dev *vd, unsigned q);
};

/* An eventfd handler's context: which queue of which device. */
struct virtio_kick {
	struct virtio_dev *vd;
	unsigned q;
};

struct virtio_dev {
	struct virtio_type type;
	const struct virtio_dev_ops *ops;
	void *priv;
	char name[32];

	/* Set by the transport (virtio_dev_attach). */
	const struct virtio_transport *transport;
	void *transport_priv;
	struct vm *vm;
	struct virtio_options opt;

	/* Negotiation and status (under the transport device's lock; the
	 * I/O thread only ever adds NEEDS_RESET to the status, atomically). */
	uint32_t status;
	uint64_t offered, driver_features;

	/* Config space: device-owned, read by the driver. */
	pthread_mutex_t config_lock;
	uint8_t config[VIRTIO_CONFIG_MAX];
	uint32_t config_len;
	_Atomic uint32_t config_generation;
	/* The first bytes of the config a snapshot's restore takes as saved
	 * instead of comparing them with the device built here: virtio-net's
	 * MAC, the guest's identity, whichever tap it is on now. */
	uint32_t config_from_snapshot;

	/* Queues: set up by the driver through the transport until ready. */
	struct virtq vq[VIRTIO_MAX_QUEUES];
	bool queue_ready[VIRTIO_MAX_QUEUES];
	int kick_fd[VIRTIO_MAX_QUEUES]; /* notification eventfd per queue */
	struct virtio_kick kick[VIRTIO_MAX_QUEUES];

	struct io_worker worker;
	struct device_counters counters;
	/* Polling mode (`poll[=US]`, set by the type's constructor): the I/O
	 * thread polls the avail rings with notifications off and re-arms
	 * them after this long without work; 0: notifications only.  Above
	 * it, poll_max_ns (`poll-max=`): the window adapts up to that. */
	uint64_t poll_window_ns, poll_max_ns;
	/* Set by a type's start(), bit q for queue q: that queue's
	 * notification eventfd belongs to the host kernel (vhost), so the I/O
	 * thread does not wait on it.  Cleared when the device stops. */
	uint32_t queues_offloaded;
	/* The type's rate limiters, set by its constructor (NULL: none):
	 * [VIRTIO_RATE_RX] the device's own, or a network's receive side;
	 * [VIRTIO_RATE_TX] a network's transmit side.  The API changes them
	 * on a running VM (virtio_rate_update). */
	struct rate_limit *limits[VIRTIO_RATE_LIMITS];
};

/* --- for transports ------------------------------------------------------ */
/* Bind VD (its type, ops, name and config filled by the device type's
 * constructor) to a transport on VM: checks the description, computes the
 * offered features, creates the notification eventfds. */
int virtio_dev_attach(struct virtio_dev *vd, struct vm *vm, const struct virtio_options *opt,
		      const struct virtio_transport *t, void *transport_priv);
/* The driver wrote the device status (0: reset). */
void virtio_dev_write_status(struct virtio_dev *vd, uint32_t v);
uint32_t virtio_dev_status(const struct virtio_dev *vd);
/* Feature words: WORD 0 is bits 0-31, 1 is 32-63; others read 0. */
uint32_t virtio_dev_device_features(const struct virtio_dev *vd, uint32_t word);
void virtio_dev_write_driver_features(struct virtio_dev *vd, uint32_t word, uint32_t v);
/* Queue Q, if the type has it (NULL otherwise). */
struct virtq *virtio_dev_queue(struct virtio_dev *vd, uint32_t q);
/* May the driver still change queue Q's size and addresses? */
bool virtio_dev_queue_writable(const struct virtio_dev *vd, uint32_t q);
/* The driver wrote QueueReady (1: activate, 0: before DRIVER_OK, undo). */
void virtio_dev_queue_ready(struct virtio_dev *vd, uint32_t q, uint32_t v);
/* The driver notified queue Q through an exit (no ioeventfd). */
void virtio_dev_notify(struct virtio_dev *vd, uint32_t q);
/* What queue_irqfd answers may have changed (under the transport's lock):
 * tells the type (ops->irq_changed). */
void virtio_dev_irq_changed(struct virtio_dev *vd);
/* Config space access by the driver, bounds-checked here; reads outside
 * the config read 0. */
void virtio_dev_config_read(struct virtio_dev *vd, uint64_t off, uint8_t *data, unsigned len);
void virtio_dev_config_write(struct virtio_dev *vd, uint64_t off, const uint8_t *data,
			     unsigned len);
/* Start the I/O thread on the queues' notifications (and the fds the
 * type's start() watches), as DRIVER_OK does after start(). */
int virtio_dev_start_worker(struct virtio_dev *vd);
/* Stop the I/O thread and let the type finish in-flight work. */
void virtio_dev_stop(struct virtio_dev *vd);
/* The same, logging each running queue's ring state between the I/O
 * thread's end and the device's stop (device_ops.describe). */
void virtio_dev_stop_describing(struct virtio_dev *vd);
/* Back to the state after power-on (2.4); the counters stay. */
void virtio_dev_reset(struct virtio_dev *vd);
/* Stop, close the eventfds, destroy the type; VD itself stays. */
void virtio_dev_destroy(struct virtio_dev *vd);

/* Snapshots (virtio_snapshot.c), under the transport device's lock or with
 * the VM paused: stop the I/O thread and quiesce the type; start it again
 * (and look at every queue once: a notification the guest made before the
 * snapshot is not in a new process's eventfds); the device's state
 * (status, features, config, queues) as bytes, and back, checked.
 * virtio_dev_snapshottable: the type has quiesce. */
bool virtio_dev_snapshottable(const struct virtio_dev *vd);
/* The I/O thread runs (again, after a pause or a restore): the driver set
 * DRIVER_OK with FEATURES_OK and nothing failed since. */
bool virtio_dev_runnable(const struct virtio_dev *vd);
void virtio_dev_pause(struct virtio_dev *vd);
void virtio_dev_resume(struct virtio_dev *vd);
long virtio_dev_save(const struct virtio_dev *vd, void *buf, size_t cap);
int virtio_dev_restore(struct virtio_dev *vd, const void *buf, size_t len);

/* --- for device types, on the I/O thread ---------------------------------- */
/* After pushing used buffers on queue Q: interrupt the driver if it wants. */
void virtio_queue_done(struct virtio_dev *vd, unsigned q);
/* Done with queue Q for now: ask for notifications again (unless the
 * device polls).  True if chains came meanwhile, which the device found
 * without a notification (counted): the caller goes on with them. */
bool virtio_queue_rearm(struct virtio_dev *vd, unsigned q);
/* Interrupt the driver for queue Q now: whoever used the buffers (the
 * kernel's vhost) has already checked the driver's suppression. */
void virtio_queue_interrupt(struct virtio_dev *vd, unsigned q);
/* The eventfd that raises queue Q's interrupt in KVM directly, or -1: see
 * virtio_transport.queue_irqfd.  (Whoever writes it must have checked the
 * driver's suppression itself, as vhost does.) */
int virtio_queue_irqfd(struct virtio_dev *vd, unsigned q);
/* The guest broke a rule: log it (rate-limited), count it, set
 * DEVICE_NEEDS_RESET and tell the driver; the device does nothing more
 * until the driver resets it. */
void virtio_fail(struct virtio_dev *vd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool virtio_failed(const struct virtio_dev *vd);
/* Let FD wake the I/O thread (call from ops->start). */
int virtio_watch_fd(struct virtio_dev *vd, int fd, uint32_t events);
/* Change the events of a watched FD (0: pause it); from start() or the I/O
 * thread. */
int virtio_watch_mod(struct virtio_dev *vd, int fd, uint32_t events);
/* Change LEN bytes of the config space at OFF and tell the driver. */
void virtio_config_update(struct virtio_dev *vd, uint32_t off, const void *data, uint32_t len);
bool virtio_has_feature(const struct virtio_dev *vd, unsigned bit);
/* Readable once the I/O thread is asked to stop. */
int virtio_stop_fd(const struct virtio_dev *vd);

/* Single-writer counters, readable at any time. */
static inline void virtio_count(uint64_t *c, uint64_t n)
{
	device_count(c, n);
}

#endif
