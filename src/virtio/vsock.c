/* virtio-vsock (virtio 1.2, 5.10) with Firecracker's host side: the
 * device type.  Queue 0 receives (host to guest), queue 1 transmits,
 * queue 2 carries events (TRANSPORT_RESET only).  The config space is the
 * guest's CID (le64).  Stream sockets only: VIRTIO_VSOCK_F_SEQPACKET is
 * not offered.
 *
 * All host sockets (the listener at uds_path, one socket per connection)
 * and two eventfds sit in one epoll set of the device's own; the I/O
 * thread watches that set as a single fd, so the number of connections
 * does not depend on the worker's watch table, and no thread is started
 * per connection.  See docs/vsock.md. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "util/error.h"
#include "util/log.h"
#include "virtio/virtio_devices.h"
#include "virtio/virtio_spec.h"
#include "virtio/vsock.h"

#define VSOCK_CONFIG_LEN 8 /* le64 guest_cid */
#define ACCEPTS_PER_WAKE 8 /* host connections taken per wake-up */

static void drain(int fd)
{
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0)
		n = 0; /* already drained: fine */
}

/* Give the guest the TRANSPORT_RESET event it is owed, if it has posted
 * an event buffer (else when it does). */
static void deliver_event(struct virtio_dev *vd)
{
	struct vsock *v = vd->priv;
	struct virtq *q = &vd->vq[VSOCK_EVQ];
	uint32_t id = VSOCK_EVENT_TRANSPORT_RESET;
	int r;

	if (!v->event_owed || !vd->queue_ready[VSOCK_EVQ])
		return;
	r = virtq_pop(q, &v->chain);
	if (r < 0) {
		virtio_fail(vd, "event queue: %s", q->error);
		return;
	}
	if (r == 0) {
		/* No buffer: have the driver tell us when it posts one (with
		 * EVENT_IDX it would not otherwise), unless one came meanwhile. */
		if (virtq_notify_on(q))
			deliver_event(vd);
		return;
	}
	if (v->chain.nout || v->chain.in_bytes < sizeof(id)) {
		virtio_fail(vd, "event buffer %u: %u readable parts, %llu writable bytes (needs none, and 4)",
			    v->chain.head, v->chain.nout, (unsigned long long)v->chain.in_bytes);
		return;
	}
	virtq_chain_write(&v->chain, 0, &id, sizeof(id));
	virtq_push(q, v->chain.head, sizeof(id));
	v->event_owed = false;
	virtio_queue_done(vd, VSOCK_EVQ);
}

/* On the I/O thread: what virtio_vsock_reset_connections() asked for. */
static void reset_all(struct virtio_dev *vd)
{
	struct vsock *v = vd->priv;

	drain(v->reset_fd);
	vsock_conn_close_all(v); /* each host socket sees its end */
	v->event_owed = true;
	deliver_event(vd);
	log_debug("%s: every connection reset", vd->name);
}

static void accept_hosts(struct virtio_dev *vd)
{
	struct vsock *v = vd->priv;

	for (unsigned i = 0; i < ACCEPTS_PER_WAKE; i++) {
		int fd = vsock_host_accept(v->listen_fd);

		if (fd < 0)
			return;
		if (!vsock_conn_new(v, fd, CONN_HELLO)) {
			/* Full: the host sees its connection end at once. */
			log_debug("%s: %d connections open: a host connection refused", vd->name,
				  VSOCK_MAX_CONNS);
			close(fd);
		}
	}
}

static void vsock_fd_ready(struct virtio_dev *vd, int fd, uint32_t events)
{
	struct vsock *v = vd->priv;
	struct epoll_event ev[32];
	bool accept = false;
	int n;

	(void)events;
	if (fd != v->poll_fd)
		return;
	n = epoll_wait(v->poll_fd, ev, 32, 0);
	for (int i = 0; i < n; i++) {
		uint64_t tag = ev[i].data.u64;

		if (tag == VSOCK_TAG_LISTEN)
			accept = true; /* after the others: a slot closed here may be reused */
		else if (tag == VSOCK_TAG_RESET)
			reset_all(vd);
		else if (tag == VSOCK_TAG_RESUME)
			drain(v->resume_fd);
		else if (tag < VSOCK_MAX_CONNS && v->conn[tag].state != CONN_FREE)
			vsock_conn_event(vd, &v->conn[tag], ev[i].events);
	}
	if (accept)
		accept_hosts(vd);
	vsock_rx_pump(vd);
}

static void vsock_notify(struct virtio_dev *vd, unsigned q)
{
	struct vsock *v = vd->priv;

	if (q == VSOCK_TXQ) {
		vsock_tx_pump(vd);
	} else if (q == VSOCK_RXQ) {
		v->rx_room = true;
	} else {
		deliver_event(vd);
		return;
	}
	/* Replies, credit that came back, buffers to fill. */
	vsock_rx_pump(vd);
}

static int vsock_start(struct virtio_dev *vd)
{
	struct vsock *v = vd->priv;

	if (virtio_failed(vd))
		return 0; /* a queue the driver set up was refused: no work */
	v->rx_room = true;
	v->next_conn = 0;
	if (virtio_watch_fd(vd, v->poll_fd, EPOLLIN) < 0) {
		log_warn("%s: %s", vd->name, err_msg());
		return -1;
	}
	return 0;
}

/* The driver reset the device (or the VM ends): every connection ends,
 * as the guest forgot them. */
static void vsock_stop(struct virtio_dev *vd)
{
	struct vsock *v = vd->priv;

	vsock_conn_close_all(v);
	v->event_owed = false;
	v->rx_room = false;
}

/* A pause (snapshots), as Firecracker does at a snapshot's creation:
 * a host connection cannot be carried into another process, so every
 * connection ends now (host sockets closed) and the guest is owed a
 * TRANSPORT_RESET event, given now if it has posted an event buffer, else
 * when it posts one (the resume's kick looks at the event queue).  The
 * listening socket and the guest's listening ports stay. */
static void vsock_quiesce(struct virtio_dev *vd)
{
	struct vsock *v = vd->priv;

	vsock_conn_close_all(v);
	v->event_owed = true;
	deliver_event(vd);
}

/* The event still owed (no buffer yet) travels with the snapshot. */
static long vsock_save(const struct virtio_dev *vd, void *buf, size_t cap)
{
	const struct vsock *v = vd->priv;
	uint32_t owed = v->event_owed;

	return device_save_plain(buf, cap, &owed, sizeof(owed));
}

static int vsock_restore(struct virtio_dev *vd, const void *buf, size_t len)
{
	struct vsock *v = vd->priv;
	uint32_t owed;

	if (device_restore_plain(&owed, sizeof(owed), buf, len) < 0 || owed > 1)
		return fail(ERR_USAGE, "its reset event state is malformed");
	v->event_owed = owed;
	return 0;
}

static void vsock_destroy(struct virtio_dev *vd)
{
	struct vsock *v = vd->priv;

	if (!v)
		return;
	vsock_conn_close_all(v);
	if (v->listen_fd >= 0) {
		close(v->listen_fd);
		unlink(v->uds); /* ours: we made it */
	}
	if (v->poll_fd >= 0)
		close(v->poll_fd);
	if (v->reset_fd >= 0)
		close(v->reset_fd);
	if (v->resume_fd >= 0)
		close(v->resume_fd);
	free(v);
	vd->priv = NULL;
}

static const struct virtio_dev_ops vsock_ops = {
	.start = vsock_start,
	.queue_notify = vsock_notify,
	.fd_ready = vsock_fd_ready,
	.stop = vsock_stop,
	.destroy = vsock_destroy,
	.quiesce = vsock_quiesce,
	.save = vsock_save,
	.restore = vsock_restore,
};

static int poll_add(struct vsock *v, int fd, uint64_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };

	return epoll_ctl(v->poll_fd, EPOLL_CTL_ADD, fd, &ev);
}

/* The sockets and eventfds of V, in its poll set. */
static int open_host(struct vsock *v)
{
	v->poll_fd = epoll_create1(EPOLL_CLOEXEC);
	v->reset_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	v->resume_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (v->poll_fd < 0 || v->reset_fd < 0 || v->resume_fd < 0)
		return fail_errno(ERR_HOST, "virtio-vsock: epoll/eventfd");
	v->listen_fd = vsock_host_listen(v->uds);
	if (v->listen_fd < 0)
		return -1;
	if (poll_add(v, v->listen_fd, VSOCK_TAG_LISTEN) < 0 || poll_add(v, v->reset_fd, VSOCK_TAG_RESET) < 0 ||
	    poll_add(v, v->resume_fd, VSOCK_TAG_RESUME) < 0)
		return fail_errno(ERR_HOST, "virtio-vsock: epoll");
	return 0;
}

struct virtio_dev *virtio_vsock_create(const struct vsock_spec *s)
{
	struct virtio_dev *vd = calloc(1, sizeof(*vd));
	struct vsock *v = calloc(1, sizeof(*v)); /* tens of KiB: not on a stack */

	if (!vd || !v) {
		free(vd);
		free(v);
		fail(ERR_HOST, "out of memory");
		return NULL;
	}
	v->listen_fd = v->poll_fd = v->reset_fd = v->resume_fd = -1;
	for (unsigned i = 0; i < VSOCK_MAX_CONNS; i++)
		v->conn[i].fd = -1;
	v->cid = s->cid;
	v->next_host_port = VSOCK_FIRST_HOST_PORT;
	snprintf(v->uds, sizeof(v->uds), "%s", s->uds);
	vd->priv = v;
	vd->type = (struct virtio_type){ .device_id = VIRTIO_ID_VSOCK, .nqueues = 3, .worker_kind = THREAD_VSOCK };
	vd->ops = &vsock_ops;
	snprintf(vd->name, sizeof(vd->name), "virtio-vsock");
	if (open_host(v) < 0) {
		vsock_destroy(vd);
		free(vd);
		return NULL;
	}
	memcpy(vd->config, &v->cid, sizeof(v->cid)); /* little-endian, as the host */
	vd->config_len = VSOCK_CONFIG_LEN;
	return vd;
}

void virtio_vsock_reset_connections(struct virtio_dev *vd)
{
	struct vsock *v = vd->priv;
	uint64_t one = 1;

	/* Only the I/O thread touches connections: hand it the work.  If it
	 * is not running, it does this when it starts. */
	if (write(v->reset_fd, &one, sizeof(one)) < 0)
		log_warn("%s: reset eventfd: %s", vd->name, strerror(errno));
}

int virtio_vsock_spec(struct vsock_spec *s, uint64_t cid, const char *uds)
{
	memset(s, 0, sizeof(*s));
	/* 0-2 are the hypervisor, local and host CIDs; 2^32-1 is "any". */
	if (cid < 3 || cid >= UINT32_MAX)
		return fail(ERR_USAGE, "vsock cid=%llu: a guest CID is 3 to %u", (unsigned long long)cid,
			    UINT32_MAX - 1);
	if (!uds || !uds[0])
		return fail(ERR_USAGE, "vsock needs uds=PATH (the host's Unix socket)");
	if (strlen(uds) > VSOCK_UDS_MAX)
		return fail(ERR_USAGE, "vsock uds=%s: longer than %d characters", uds, VSOCK_UDS_MAX);
	if (strchr(uds, ',')) /* --vsock's values end at a comma: a snapshot's arguments could not carry it */
		return fail(ERR_USAGE, "vsock uds=%s: warden takes no comma in the socket's path", uds);
	s->cid = cid;
	memcpy(s->uds, uds, strlen(uds) + 1);
	return 0;
}

/* The value of a "key=value" item at P, up to the next comma, into OUT
 * (CAP bytes); -1 if it does not fit. */
static int item_value(const char *p, char *out, size_t cap)
{
	size_t n = strcspn(p, ",");

	if (n >= cap)
		return -1;
	memcpy(out, p, n);
	out[n] = 0;
	return 0;
}

int virtio_parse_vsock(const char *arg, struct vsock_spec *s)
{
	const char *cid = NULL, *uds = NULL, *p = arg;
	char num[24], path[VSOCK_UDS_MAX + 2], *end;
	unsigned long long v;

	/* cid=N,uds=PATH in either order; a path cannot hold a comma. */
	while (*p) {
		size_t len = strcspn(p, ",");

		if (strncmp(p, "cid=", 4) == 0 && !cid)
			cid = p + 4;
		else if (strncmp(p, "uds=", 4) == 0 && !uds)
			uds = p + 4;
		else
			return fail(ERR_USAGE, "--vsock: unexpected '%.*s' (cid=N,uds=PATH)", (int)len, p);
		p += len + (p[len] == ',');
	}
	if (!cid || !uds)
		return fail(ERR_USAGE, "--vsock needs cid=N,uds=PATH");
	errno = 0;
	if (item_value(cid, num, sizeof(num)) < 0 || num[0] < '0' || num[0] > '9' ||
	    (v = strtoull(num, &end, 10), errno || *end))
		return fail(ERR_USAGE, "--vsock cid=%.*s is not a number from 3 to %u", (int)strcspn(cid, ","), cid,
			    UINT32_MAX - 1);
	if (item_value(uds, path, sizeof(path)) < 0)
		return fail(ERR_USAGE, "--vsock uds=: longer than %d characters", VSOCK_UDS_MAX);
	return virtio_vsock_spec(s, v, path);
}
