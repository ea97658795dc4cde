/* The storage behind a virtio-blk device: a raw image file (or a block
 * device) served through one io_uring.  Requests are prepared one by one
 * (nothing enters the kernel), sent in one io_uring_submit per batch, and
 * their completions signal an eventfd the device's I/O thread watches.
 *
 * One thread at a time uses a disk: the device's I/O thread while it runs,
 * the thread that stopped it afterwards. */
#ifndef WARDEN_BACKENDS_DISK_URING_H
#define WARDEN_BACKENDS_DISK_URING_H

#include <liburing.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#define DISK_SECTOR 512

struct disk_uring {
	int fd;            /* the image */
	int efd;           /* eventfd: signalled for every completion */
	uint64_t size;     /* bytes, a multiple of DISK_SECTOR (0 only if EMPTY_OK) */
	bool readonly;
	bool can_punch;    /* FALLOC_FL_PUNCH_HOLE works here: discard */
	bool can_zero;     /* FALLOC_FL_ZERO_RANGE works here: write zeroes */
	unsigned depth;    /* requests queued + in flight at most */
	unsigned queued;   /* prepared, not yet submitted */
	unsigned inflight; /* submitted, completion not yet reaped */
	bool ring_ready;
	struct io_uring ring;
};

/* Open PATH (read-only if READONLY) for requests of up to DEPTH at once.
 * An empty file is a mistake on the command line but a placeholder for
 * an orchestrator (Firecracker's API takes it as a disk of no sectors, to
 * be replaced while the VM runs): EMPTY_OK accepts it.  User errors
 * (missing, unreadable, read-only, wrong type or size, in use) are
 * ERR_USAGE, io_uring set-up failures ERR_HOST; -1 with fail(). */
int disk_open(struct disk_uring *d, const char *path, bool readonly, bool empty_ok, unsigned depth);
/* Wait for what is in flight, then release everything (safe on a failed
 * or never opened disk whose fds are -1). */
void disk_close(struct disk_uring *d);

/* Prepare one request; TAG comes back with its completion.  IOV must stay
 * valid until then.  -1 if DEPTH requests are already queued or in flight. */
int disk_readv(struct disk_uring *d, const struct iovec *iov, unsigned n, uint64_t off, uint64_t tag);
int disk_writev(struct disk_uring *d, const struct iovec *iov, unsigned n, uint64_t off, uint64_t tag);
/* fdatasync, started only once every request submitted before it has
 * completed, so it covers all writes the guest has seen complete. */
int disk_flush(struct disk_uring *d, uint64_t tag);
/* Deallocate (PUNCH_HOLE) or zero (ZERO_RANGE) [off, off+len); the size
 * stays.  Only when can_punch / can_zero. */
int disk_discard(struct disk_uring *d, uint64_t off, uint64_t len, uint64_t tag);
int disk_zero(struct disk_uring *d, uint64_t off, uint64_t len, uint64_t tag);

/* Send every prepared request to the kernel (one system call).  0, or a
 * negative errno; what was not taken stays queued for the next call. */
int disk_submit(struct disk_uring *d);

/* RES: bytes transferred, 0, or a negative errno, as the syscall would. */
typedef void disk_done_fn(void *arg, uint64_t tag, int res);
/* Without blocking: clear the eventfd, then hand every completion that has
 * arrived to FN.  Returns how many. */
unsigned disk_reap(struct disk_uring *d, disk_done_fn *fn, void *arg);
/* Submit what is queued and block until nothing is in flight, handing each
 * completion to FN.  Afterwards the kernel touches none of the buffers. */
void disk_wait_idle(struct disk_uring *d, disk_done_fn *fn, void *arg);

#endif
