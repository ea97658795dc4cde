/* virtio-console (virtio 1.2, 5.3): one port, no multiport.  Queue 0 is
 * port 0's receiveq (host to guest), queue 1 its transmitq (guest to host).
 * The guest sees /dev/hvc0.
 *
 * Output goes to warden's stdout.  Input, when the guest's console is hvc0,
 * comes from stdin through a pipe: the host console (console/) writes the
 * filtered keystrokes into it and this device's I/O thread reads them into
 * the guest's receive buffers.  While the guest has no receive buffer the
 * pipe is left unwatched (it keeps the bytes) until the driver adds one. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/vm.h"
#include "util/error.h"
#include "util/log.h"
#include "virtio/virtio_devices.h"
#include "virtio/virtio_spec.h"

#define RX_QUEUE 0
#define TX_QUEUE 1
#define CONSOLE_F_SIZE 0 /* cols/rows in config space are valid */
#define CONSOLE_COLS 80
#define CONSOLE_ROWS 25
#define CONSOLE_CONFIG_LEN 4 /* le16 cols, le16 rows; the rest needs multiport */

/* Bytes a pause holds between the host and the guest, each way: typed
 * input taken out of the pipe, output stdout did not take yet.  A
 * snapshot carries them; more than this is left in the pipe (input, for
 * a resume in this process) or dropped and counted (output). */
#define CONSOLE_PENDING_MAX 4096

struct console {
	int in_rd, in_wr; /* the input pipe; -1 when input goes to COM1 */
	bool rx_armed;    /* the I/O thread waits for input-pipe data */
	struct virtq_chain chain; /* too big for the stack of a loop */
	/* Pending bytes (docs/snapshot.md): input before the pipe's, output
	 * before the transmitq's next. */
	uint32_t in_len, out_len;
	uint8_t in_pend[CONSOLE_PENDING_MAX], out_pend[CONSOLE_PENDING_MAX];
};

/* The pending bytes in a snapshot: the lengths, then those bytes. */
struct console_saved {
	uint32_t in_len, out_len;
};

/* Watch the pipe for data (ON) or not: without a receive buffer, a readable
 * pipe would wake the I/O thread over and over. */
static void rx_arm(struct virtio_dev *vd, bool on)
{
	struct console *con = vd->priv;

	if (con->rx_armed == on)
		return;
	if (virtio_watch_mod(vd, con->in_rd, on ? EPOLLIN : 0) < 0) {
		log_warn("%s", err_msg());
		return;
	}
	con->rx_armed = on;
}

/* The guest broke a rule: the device does nothing more until a reset, so
 * stop watching the pipe too (readable, it would keep waking the I/O
 * thread, which no longer serves this device). */
static void guest_error(struct virtio_dev *vd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void guest_error(struct virtio_dev *vd, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	virtio_fail(vd, "%s", msg);
	rx_arm(vd, false);
}

/* --- output: transmitq to stdout ------------------------------------------- */

/* Wait until stdout takes more, or the I/O thread is being stopped (the
 * transport's stop eventfd): false means give up on this output. */
static bool wait_stdout(const struct virtio_dev *vd)
{
	struct pollfd fds[2] = {
		{ .fd = STDOUT_FILENO, .events = POLLOUT },
		{ .fd = virtio_stop_fd(vd), .events = POLLIN },
	};

	while (poll(fds, 2, -1) < 0)
		if (errno != EINTR)
			return false;
	return !fds[1].revents;
}

/* Drop the first DONE bytes of IOV[0..*N); empty entries go too. */
static struct iovec *advance(struct iovec *iov, unsigned *n, size_t done)
{
	while (*n && done >= iov->iov_len) {
		done -= iov->iov_len;
		iov++;
		(*n)--;
	}
	if (*n) {
		iov->iov_base = (uint8_t *)iov->iov_base + done;
		iov->iov_len -= done;
	}
	return iov;
}

/* Keep IOV[0..N) as pending output (the I/O thread is being stopped:
 * a pause), as much as fits.  False if some did not. */
static bool keep_out(struct console *con, const struct iovec *iov, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		size_t room = sizeof(con->out_pend) - con->out_len, k = iov[i].iov_len < room ? iov[i].iov_len : room;

		memcpy(con->out_pend + con->out_len, iov[i].iov_base, k);
		con->out_len += (uint32_t)k;
		if (k < iov[i].iov_len)
			return false;
	}
	return true;
}

/* Write IOV[0..N) to stdout (partial writes, a non-blocking stdout).  0:
 * written; 1: warden is stopping the I/O thread (*IOV, *N: what is left);
 * -1: stdout is closed or broken. */
static int write_iov(const struct virtio_dev *vd, struct iovec **iov, unsigned *n)
{
	while (*n) {
		ssize_t w = writev(STDOUT_FILENO, *iov, (int)*n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (!wait_stdout(vd))
				return 1;
			continue;
		}
		if (w <= 0)
			return -1;
		*iov = advance(*iov, n, (size_t)w);
	}
	return 0;
}

/* The chain's readable bytes to stdout.  False if some were dropped:
 * stdout is closed or broken, or a stop (not a pause) came first. */
static bool write_out(struct virtio_dev *vd, struct virtq_chain *c)
{
	struct console *con = vd->priv;
	unsigned n = c->nout;
	struct iovec *iov = advance(c->iov, &n, 0);
	int r;

	/* Kept for the crash report (the tail keeps its last 4 KiB). */
	for (unsigned i = 0; vd->vm && i < c->nout; i++)
		text_tail_write(&vd->vm->console_tail, c->iov[i].iov_base, c->iov[i].iov_len);
	/* Output a pause left pending goes first: the order is the guest's. */
	if (con->out_len)
		return keep_out(con, iov, n);
	r = write_iov(vd, &iov, &n);
	/* Stopped with bytes left (a pause, or the VM's end): kept, so that
	 * a resume or a snapshot's restore writes them. */
	return r == 0 || (r == 1 && keep_out(con, iov, n));
}

/* Pending output first (after a pause or a restore).  False: stdout does
 * not take it now and the I/O thread is being stopped. */
static bool flush_out(struct virtio_dev *vd)
{
	struct console *con = vd->priv;
	struct iovec one = { .iov_base = con->out_pend, .iov_len = con->out_len }, *iov = &one;
	unsigned n = con->out_len ? 1 : 0;
	int r = write_iov(vd, &iov, &n);
	size_t left = n ? iov->iov_len : 0;

	if (r < 0) { /* stdout is gone: nothing will take them */
		virtio_count(&vd->counters.errors, 1);
		left = 0;
	}
	memmove(con->out_pend, con->out_pend + con->out_len - left, left);
	con->out_len = (uint32_t)left;
	return left == 0;
}

static void tx_notify(struct virtio_dev *vd)
{
	struct console *con = vd->priv;
	struct virtq *q = &vd->vq[TX_QUEUE];
	struct virtq_chain *c = &con->chain;
	int r;

	flush_out(vd); /* what stays pending keeps its place before the queue's */
	do {
		virtq_notify_off(q);
		while ((r = virtq_pop(q, c)) > 0) {
			if (c->nin) {
				guest_error(vd, "transmitq: chain %u has device-writable buffers", c->head);
				return;
			}
			if (!write_out(vd, c))
				virtio_count(&vd->counters.errors, 1);
			virtq_push(q, c->head, 0);
			virtio_count(&vd->counters.requests, 1);
			virtio_count(&vd->counters.bytes, c->out_bytes);
		}
		if (r < 0) {
			guest_error(vd, "transmitq: %s", q->error);
			return;
		}
	} while (virtio_queue_rearm(vd, TX_QUEUE));
	virtio_queue_done(vd, TX_QUEUE);
}

/* --- input: the pipe to receiveq ------------------------------------------- */

/* Copy pending input into IOV[0..N): the bytes copied. */
static size_t take_pending(struct console *con, const struct iovec *iov, unsigned n)
{
	size_t done = 0;

	for (unsigned i = 0; i < n && done < con->in_len; i++) {
		size_t k = iov[i].iov_len < con->in_len - done ? iov[i].iov_len : con->in_len - done;

		memcpy(iov[i].iov_base, con->in_pend + done, k);
		done += k;
	}
	memmove(con->in_pend, con->in_pend + done, con->in_len - done);
	con->in_len -= (uint32_t)done;
	return done;
}

/* Fill one receive chain from the pipe: 1 if it was used, 0 if there is no
 * input now (the chain is given back). */
static int rx_one(struct virtio_dev *vd, struct virtq_chain *c)
{
	struct console *con = vd->priv;
	ssize_t n = 0;

	/* A zero-length buffer is used at once: given back, it would be
	 * popped again for as long as input is waiting.  Input a pause took
	 * out of the pipe goes before the pipe's. */
	if (c->in_bytes && con->in_len)
		n = (ssize_t)take_pending(con, c->iov + c->nout, c->nin);
	else if (c->in_bytes)
		n = readv(con->in_rd, c->iov + c->nout, (int)c->nin);
	if (n < 0 || (n == 0 && c->in_bytes)) {
		/* EAGAIN: the pipe is empty.  EOF cannot happen: we hold
		 * the write end. */
		virtq_unpop(&vd->vq[RX_QUEUE], 1);
		return 0;
	}
	virtq_push(&vd->vq[RX_QUEUE], c->head, (uint32_t)n);
	virtio_count(&vd->counters.requests, 1);
	virtio_count(&vd->counters.bytes, (uint64_t)n);
	return 1;
}

/* Move what the pipe holds into the guest's receive buffers.  Ends waiting
 * either for pipe data (a buffer is free) or for a buffer (the pipe is not
 * watched; the driver's next receiveq notification resumes). */
static void rx_fill(struct virtio_dev *vd)
{
	struct console *con = vd->priv;
	struct virtq *q = &vd->vq[RX_QUEUE];
	struct virtq_chain *c = &con->chain;
	bool used = false;

	for (;;) {
		int r = virtq_pop(q, c);

		if (r < 0) {
			guest_error(vd, "receiveq: %s", q->error);
			return;
		}
		if (r == 0) {
			if (virtio_queue_rearm(vd, RX_QUEUE))
				continue; /* buffers came meanwhile: no notification for them */
			rx_arm(vd, false);
			break;
		}
		if (c->nout) {
			guest_error(vd, "receiveq: chain %u has device-readable buffers", c->head);
			return;
		}
		if (!rx_one(vd, c)) {
			rx_arm(vd, true);
			break;
		}
		used = true;
	}
	if (used)
		virtio_queue_done(vd, RX_QUEUE);
}

/* --- device ops ------------------------------------------------------------- */

static void console_notify(struct virtio_dev *vd, unsigned q)
{
	struct console *con = vd->priv;

	if (q == TX_QUEUE)
		tx_notify(vd);
	else if (q == RX_QUEUE && con->in_rd >= 0)
		rx_fill(vd); /* new buffers: there may be input waiting for them */
}

static void console_fd_ready(struct virtio_dev *vd, int fd, uint32_t events)
{
	struct console *con = vd->priv;

	(void)events;
	if (fd == con->in_rd)
		rx_fill(vd);
}

/* Each DRIVER_OK (first one or after a reset) gets a fresh epoll set: watch
 * the input pipe in it.  Bytes typed meanwhile wait in the pipe. */
static int console_start(struct virtio_dev *vd)
{
	struct console *con = vd->priv;

	if (con->in_rd < 0 || virtio_failed(vd))
		return 0; /* a queue the driver set up was refused: no work */
	con->rx_armed = true;
	if (virtio_watch_fd(vd, con->in_rd, EPOLLIN) < 0) {
		log_warn("%s", err_msg());
		return -1;
	}
	return 0;
}

/* A pause (snapshots): the I/O thread has stopped between two
 * notifications, so every chain it took is used and published.  Typed
 * input still in the pipe is taken into the device (as much as fits), so
 * a snapshot carries it; output stdout had not taken is pending already
 * (write_out). */
static void console_quiesce(struct virtio_dev *vd)
{
	struct console *con = vd->priv;
	ssize_t n;

	if (con->in_rd < 0 || con->in_len == sizeof(con->in_pend))
		return;
	n = read(con->in_rd, con->in_pend + con->in_len, sizeof(con->in_pend) - con->in_len);
	if (n > 0)
		con->in_len += (uint32_t)n;
}

static long console_save(const struct virtio_dev *vd, void *buf, size_t cap)
{
	const struct console *con = vd->priv;
	struct console_saved s = { .in_len = con->in_len, .out_len = con->out_len };
	uint8_t *p = buf;

	if (sizeof(s) + s.in_len + s.out_len > cap)
		return -1;
	memcpy(p, &s, sizeof(s));
	memcpy(p + sizeof(s), con->in_pend, s.in_len);
	memcpy(p + sizeof(s) + s.in_len, con->out_pend, s.out_len);
	return (long)(sizeof(s) + s.in_len + s.out_len);
}

static int console_restore(struct virtio_dev *vd, const void *buf, size_t len)
{
	struct console *con = vd->priv;
	struct console_saved s;
	const uint8_t *p = buf;

	if (len < sizeof(s))
		return fail(ERR_USAGE, "no pending bytes");
	memcpy(&s, p, sizeof(s));
	if (s.in_len > sizeof(con->in_pend) || s.out_len > sizeof(con->out_pend) ||
	    len != sizeof(s) + s.in_len + s.out_len)
		return fail(ERR_USAGE, "pending bytes of %u and %u, or the wrong length", s.in_len, s.out_len);
	if (s.in_len && con->in_rd < 0)
		return fail(ERR_USAGE, "pending input for a console that takes none here");
	memcpy(con->in_pend, p + sizeof(s), s.in_len);
	memcpy(con->out_pend, p + sizeof(s) + s.in_len, s.out_len);
	con->in_len = s.in_len, con->out_len = s.out_len;
	return 0;
}

static void console_destroy(struct virtio_dev *vd)
{
	struct console *con = vd->priv;

	if (!con)
		return;
	if (con->in_rd >= 0) {
		close(con->in_rd);
		close(con->in_wr);
	}
	free(con);
	vd->priv = NULL;
}

static const struct virtio_dev_ops console_ops = {
	.start = console_start,
	.queue_notify = console_notify,
	.fd_ready = console_fd_ready,
	.destroy = console_destroy,
	.quiesce = console_quiesce,
	.save = console_save,
	.restore = console_restore,
};

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

/* The input pipe, non-blocking at both ends: neither the main thread nor
 * the I/O thread ever waits on it inside a read or write. */
static int open_input(struct console *con)
{
	int fds[2];

	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0)
		return fail_errno(ERR_HOST, "virtio-console: pipe");
	con->in_rd = fds[0];
	con->in_wr = fds[1];
	return 0;
}

int virtio_console_input_fd(const struct virtio_dev *vd)
{
	const struct console *con = vd->priv;

	return con->in_wr;
}

struct virtio_dev *virtio_console_create(bool input)
{
	struct virtio_dev *vd = calloc(1, sizeof(*vd));
	struct console *con = calloc(1, sizeof(*con));

	if (!vd || !con) {
		free(vd);
		free(con);
		fail(ERR_HOST, "out of memory");
		return NULL;
	}
	con->in_rd = con->in_wr = -1;
	if (input && open_input(con) < 0) {
		free(vd);
		free(con);
		return NULL;
	}
	vd->priv = con;
	vd->type = (struct virtio_type){
		.device_id = VIRTIO_ID_CONSOLE, .nqueues = 2, .features = VIRTIO_BIT(CONSOLE_F_SIZE),
	};
	vd->ops = &console_ops;
	snprintf(vd->name, sizeof(vd->name), "virtio-console");
	put_le16(vd->config, CONSOLE_COLS);
	put_le16(vd->config + 2, CONSOLE_ROWS);
	vd->config_len = CONSOLE_CONFIG_LEN;
	return vd;
}
