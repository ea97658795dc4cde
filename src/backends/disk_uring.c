#include "backends/disk_uring.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/error.h"

static int open_error(const char *path, bool readonly)
{
	int e = errno;

	if (!readonly && (e == EACCES || e == EROFS || e == EPERM) && access(path, R_OK) == 0)
		return fail(ERR_USAGE, "--disk %s: cannot open read-write (%s); add ,ro for a read-only disk",
			    path, strerror(e));
	return fail(ERR_USAGE, "--disk %s: cannot open: %s", path, strerror(e));
}

/* The size in bytes, which must be a whole number of sectors. */
static int find_size(struct disk_uring *d, const char *path, const struct stat *st, bool empty_ok)
{
	if (S_ISREG(st->st_mode)) {
		d->size = (uint64_t)st->st_size;
	} else if (S_ISBLK(st->st_mode)) {
		if (ioctl(d->fd, BLKGETSIZE64, &d->size) < 0)
			return fail(ERR_USAGE, "--disk %s: cannot get the block device's size: %s", path,
				    strerror(errno));
	} else {
		return fail(ERR_USAGE, "--disk %s: not a regular file or block device", path);
	}
	if (d->size == 0 && !empty_ok)
		return fail(ERR_USAGE, "--disk %s: the image is empty", path);
	if (d->size % DISK_SECTOR)
		return fail(ERR_USAGE, "--disk %s: size %llu bytes is not a multiple of %d", path,
			    (unsigned long long)d->size, DISK_SECTOR);
	return 0;
}

/* Two VMs writing one image would corrupt it: take the image like a
 * reader-writer lock (shared for ro, exclusive otherwise). */
static int lock_image(struct disk_uring *d, const char *path)
{
	if (flock(d->fd, (d->readonly ? LOCK_SH : LOCK_EX) | LOCK_NB) == 0)
		return 0;
	if (errno == EWOULDBLOCK)
		return fail(ERR_USAGE, "--disk %s: the image is in use (locked by another disk or process)", path);
	return 0; /* a file system without flock: go on unlocked */
}

/* Does fallocate MODE work on this file?  Tried past the end with
 * KEEP_SIZE, so that no byte of the image changes; a ZERO_RANGE there may
 * preallocate a block past the end, which truncating to the same size
 * gives back. */
static bool probe_fallocate(struct disk_uring *d, int mode)
{
	if (fallocate(d->fd, mode | FALLOC_FL_KEEP_SIZE, (off_t)d->size, DISK_SECTOR) < 0)
		return false;
	if ((mode & FALLOC_FL_ZERO_RANGE) && ftruncate(d->fd, (off_t)d->size) < 0)
		return false;
	return true;
}

static int setup_ring(struct disk_uring *d, const char *path, unsigned depth)
{
	int e = io_uring_queue_init(depth, &d->ring, 0);

	if (e < 0) {
		errno = -e;
		return fail_errno(ERR_HOST, "--disk %s: io_uring_queue_init", path);
	}
	d->ring_ready = true;
	d->depth = depth;
	d->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->efd < 0)
		return fail_errno(ERR_HOST, "--disk %s: eventfd", path);
	e = io_uring_register_eventfd(&d->ring, d->efd);
	if (e < 0) {
		errno = -e;
		return fail_errno(ERR_HOST, "--disk %s: io_uring_register_eventfd", path);
	}
	return 0;
}

int disk_open(struct disk_uring *d, const char *path, bool readonly, bool empty_ok, unsigned depth)
{
	struct stat st;

	memset(d, 0, sizeof(*d));
	d->efd = -1;
	d->readonly = readonly;
	d->fd = open(path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (d->fd < 0)
		return open_error(path, readonly);
	if (fstat(d->fd, &st) < 0) {
		fail(ERR_USAGE, "--disk %s: %s", path, strerror(errno));
		goto bad;
	}
	if (find_size(d, path, &st, empty_ok) < 0 || lock_image(d, path) < 0)
		goto bad;
	/* Block devices fail the probe (past their end): no discard there. */
	if (!readonly && S_ISREG(st.st_mode)) {
		d->can_punch = probe_fallocate(d, FALLOC_FL_PUNCH_HOLE);
		d->can_zero = probe_fallocate(d, FALLOC_FL_ZERO_RANGE);
	}
	if (setup_ring(d, path, depth) < 0)
		goto bad;
	return 0;
bad:
	disk_close(d);
	return -1;
}

void disk_close(struct disk_uring *d)
{
	if (d->ring_ready) {
		disk_wait_idle(d, NULL, NULL);
		io_uring_queue_exit(&d->ring); /* also unregisters the eventfd */
		d->ring_ready = false;
	}
	if (d->efd >= 0)
		close(d->efd);
	if (d->fd >= 0)
		close(d->fd);
	d->efd = d->fd = -1;
}

/* A free submission entry, or NULL at the depth limit. */
static struct io_uring_sqe *next_sqe(struct disk_uring *d)
{
	if (!d->ring_ready || d->queued + d->inflight >= d->depth)
		return NULL;
	return io_uring_get_sqe(&d->ring);
}

static int queued(struct disk_uring *d, struct io_uring_sqe *sqe, uint64_t tag)
{
	io_uring_sqe_set_data64(sqe, tag);
	d->queued++;
	return 0;
}

int disk_readv(struct disk_uring *d, const struct iovec *iov, unsigned n, uint64_t off, uint64_t tag)
{
	struct io_uring_sqe *sqe = next_sqe(d);

	if (!sqe)
		return -1;
	io_uring_prep_readv(sqe, d->fd, iov, n, off);
	return queued(d, sqe, tag);
}

int disk_writev(struct disk_uring *d, const struct iovec *iov, unsigned n, uint64_t off, uint64_t tag)
{
	struct io_uring_sqe *sqe = next_sqe(d);

	if (!sqe || d->readonly)
		return -1;
	io_uring_prep_writev(sqe, d->fd, iov, n, off);
	return queued(d, sqe, tag);
}

int disk_flush(struct disk_uring *d, uint64_t tag)
{
	struct io_uring_sqe *sqe = next_sqe(d);

	if (!sqe)
		return -1;
	io_uring_prep_fsync(sqe, d->fd, IORING_FSYNC_DATASYNC);
	/* Drain: the writes submitted before have completed (and so reached
	 * the page cache) when the fdatasync starts. */
	io_uring_sqe_set_flags(sqe, IOSQE_IO_DRAIN);
	return queued(d, sqe, tag);
}

static int fallocate_req(struct disk_uring *d, int mode, uint64_t off, uint64_t len, uint64_t tag)
{
	struct io_uring_sqe *sqe = next_sqe(d);

	if (!sqe || d->readonly)
		return -1;
	io_uring_prep_fallocate(sqe, d->fd, mode | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len);
	return queued(d, sqe, tag);
}

int disk_discard(struct disk_uring *d, uint64_t off, uint64_t len, uint64_t tag)
{
	return d->can_punch ? fallocate_req(d, FALLOC_FL_PUNCH_HOLE, off, len, tag) : -1;
}

int disk_zero(struct disk_uring *d, uint64_t off, uint64_t len, uint64_t tag)
{
	return d->can_zero ? fallocate_req(d, FALLOC_FL_ZERO_RANGE, off, len, tag) : -1;
}

int disk_submit(struct disk_uring *d)
{
	int r;

	if (!d->queued)
		return 0;
	do
		r = io_uring_submit(&d->ring);
	while (r == -EINTR);
	if (r < 0)
		return r;
	if ((unsigned)r > d->queued)
		r = (int)d->queued;
	d->queued -= (unsigned)r;
	d->inflight += (unsigned)r;
	/* The rest stays in the ring; the next submit offers it again. */
	return d->queued ? -EAGAIN : 0;
}

unsigned disk_reap(struct disk_uring *d, disk_done_fn *fn, void *arg)
{
	struct io_uring_cqe *cqe;
	unsigned seen = 0;
	uint64_t n;

	/* Clear the eventfd first: a completion that arrives after this read
	 * signals it again, so none is left without a wake-up. */
	if (read(d->efd, &n, sizeof(n)) < 0)
		n = 0; /* EAGAIN: not signalled, look anyway */
	while (d->inflight && io_uring_peek_cqe(&d->ring, &cqe) == 0) {
		uint64_t tag = io_uring_cqe_get_data64(cqe);
		int res = cqe->res;

		/* Release the entry before FN runs: FN may queue a follow-up. */
		io_uring_cqe_seen(&d->ring, cqe);
		d->inflight--;
		seen++;
		if (fn)
			fn(arg, tag, res);
	}
	return seen;
}

void disk_wait_idle(struct disk_uring *d, disk_done_fn *fn, void *arg)
{
	while (d->ring_ready && (d->queued || d->inflight)) {
		struct io_uring_cqe *cqe;
		int e = 0;

		if (d->queued && disk_submit(d) < 0 && !d->inflight) {
			/* The kernel refuses for now (no memory): try again soon. */
			nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
			continue;
		}
		if (d->inflight)
			e = io_uring_wait_cqe(&d->ring, &cqe);
		if (e == 0 && d->inflight)
			disk_reap(d, fn, arg);
	}
}
