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

struct console {
	int in_rd, in_wr; /* the input pipe; -1 when input goes to COM1 */
	bool rx_armed;    /* the I/O thread waits for input-pipe data */
	struct virtq_chain chain; /* too big for the stack of a loop */
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

/* Write the chain's readable bytes to stdout (partial writes, a
 * non-blocking stdout).  False if some were dropped: stdout is closed or
 * broken, or warden is stopping. */
static bool write_out(const struct virtio_dev *vd, struct virtq_chain *c)
{
	unsigned n = c->nout;
	struct iovec *iov = advance(c->iov, &n, 0);

	/* Kept for the crash report (the tail keeps its last 4 KiB). */
	for (unsigned i = 0; vd->vm && i < c->nout; i++)
		text_tail_write(&vd->vm->console_tail, c->iov[i].iov_base, c->iov[i].iov_len);
	while (n) {
		ssize_t w = writev(STDOUT_FILENO, iov, (int)n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (!wait_stdout(vd))
				return false;
			continue;
		}
		if (w <= 0)
			return false;
		iov = advance(iov, &n, (size_t)w);
	}
	return true;
}

static void tx_notify(struct virtio_dev *vd)
{
	struct console *con = vd->priv;
	struct virtq *q = &vd->vq[TX_QUEUE];
	struct virtq_chain *c = &con->chain;
	int r;

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

/* Fill one receive chain from the pipe: 1 if it was used, 0 if there is no
 * input now (the chain is given back). */
static int rx_one(struct virtio_dev *vd, struct virtq_chain *c)
{
	struct console *con = vd->priv;
	ssize_t n = 0;

	/* A zero-length buffer is used at once: given back, it would be
	 * popped again for as long as input is waiting. */
	if (c->in_bytes)
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
