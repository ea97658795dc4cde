/* virtio-blk (virtio 1.2, 5.2): request queues over a raw image, served
 * asynchronously through io_uring (backends/disk_uring.c).  One queue, or
 * with `queues=N` N of them (VIRTIO_BLK_F_MQ), all served by the device's
 * one I/O thread: a request keeps the queue it came from, each queue has
 * its own interrupt suppression, and the VIRTQ_MAX_SIZE request slots are
 * shared (first come, first served).
 *
 * On a notification the I/O thread pops every available chain, checks it,
 * and turns it into one io_uring request whose iovecs are the guest's own
 * buffers (no bounce copies); the whole batch goes to the kernel in one
 * io_uring_submit.  Completions signal an eventfd the thread watches; each
 * one writes the request's status byte and publishes its chain, and the
 * driver is interrupted once per batch.
 *
 * Every request occupies one of VIRTQ_MAX_SIZE slots from pop to push, so
 * at most that many are in flight whatever the guest does; when all are
 * busy, chains stay in the ring until a completion frees a slot.
 *
 * With bw= or ops= (Firecracker's rate_limiter) each request takes its
 * tokens before it starts; one that cannot is given back to the ring,
 * and the queue waits, notifications off, for the limiter's timer. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "backends/disk_uring.h"
#include "util/error.h"
#include "util/invariant.h"
#include "util/log.h"
#include "virtio/virtio_devices.h"
#include "virtio/virtio_spec.h"

/* Feature bits (5.2.3). */
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_F_MQ 12
#define VIRTIO_BLK_F_DISCARD 13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

/* Request types, status values and flags (5.2.6). */
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_T_DISCARD 11
#define VIRTIO_BLK_T_WRITE_ZEROES 13
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2
#define VIRTIO_BLK_WZ_F_UNMAP 1u
#define BLK_PENDING 0x100 /* not a status: the request went to the disk */

#define BLK_HDR_BYTES 16
#define BLK_ID_BYTES 20
/* A chain is header, data buffers, status: all of it fits in a queue. */
#define BLK_SEG_MAX (VIRTQ_MAX_SIZE - 2)
/* Keeps a request's used length (data + status) well inside 32 bits. */
#define BLK_MAX_DATA (1ULL << 30)
/* Discard / write zeroes: sectors per request, one range each. */
#define BLK_MAX_RANGE_SECTORS (1u << 22)
#define BLK_DISCARD_ALIGN 8 /* sectors: the 4 KiB blocks of common file systems */
/* Requests the kernel refused to take (io_uring_submit: no memory for
 * now) with none in flight are offered again this much later. */
#define SUBMIT_RETRY_NS 1000000ULL

/* Device configuration layout (5.2.4), little-endian like the host. */
struct blk_config {
	uint64_t capacity; /* in 512-byte sectors */
	uint32_t size_max;
	uint32_t seg_max;
	uint16_t cylinders;
	uint8_t heads, sectors;
	uint32_t blk_size;
	uint8_t physical_block_exp, alignment_offset;
	uint16_t min_io_size;
	uint32_t opt_io_size;
	uint8_t writeback, unused0;
	uint16_t num_queues;
	uint32_t max_discard_sectors, max_discard_seg, discard_sector_alignment;
	uint32_t max_write_zeroes_sectors, max_write_zeroes_seg;
	uint8_t write_zeroes_may_unmap, unused1[3];
	uint32_t max_secure_erase_sectors, max_secure_erase_seg, secure_erase_sector_alignment;
};
_Static_assert(offsetof(struct blk_config, blk_size) == 20, "blk_size offset");
_Static_assert(offsetof(struct blk_config, max_discard_sectors) == 36, "discard offset");
_Static_assert(offsetof(struct blk_config, write_zeroes_may_unmap) == 56, "write zeroes offset");
_Static_assert(sizeof(struct blk_config) == 72 && sizeof(struct blk_config) <= VIRTIO_CONFIG_MAX,
	       "virtio_blk_config layout");

struct blk_hdr {
	uint32_t type;
	uint32_t ioprio;
	uint64_t sector;
};

/* The payload of discard and write zeroes. */
struct blk_range {
	uint64_t sector;
	uint32_t num_sectors;
	uint32_t flags;
};

struct blk_req {
	struct virtq_chain c; /* as popped; its iovecs are then trimmed to the data */
	uint8_t *status;      /* the chain's last device-writable byte */
	struct iovec *iov;    /* the data buffers still to transfer: a slice of c.iov */
	unsigned niov;
	uint32_t type;
	uint64_t off;   /* disk offset, bytes */
	uint64_t len;   /* data bytes */
	uint64_t done;  /* data bytes transferred so far */
	uint32_t extra; /* bytes written besides data and status (GET_ID) */
	uint16_t q;     /* the queue it came from */
};

struct blk {
	struct disk_uring disk;
	uint64_t capacity;         /* sectors */
	char id[BLK_ID_BYTES];     /* NUL-padded, not terminated when full */
	struct blk_req *req;       /* VIRTQ_MAX_SIZE slots, indexed by io_uring tag */
	uint16_t free[VIRTQ_MAX_SIZE];
	unsigned nfree;
	uint32_t pushed;  /* queues with used entries published since the last interrupt check */
	uint32_t stalled; /* queues whose chains wait in the ring for a free slot or tokens */
	bool warned;     /* a host I/O error was logged */
	struct rate_limit rl;
};

static void reset_slots(struct blk *b)
{
	b->nfree = VIRTQ_MAX_SIZE;
	for (unsigned i = 0; i < VIRTQ_MAX_SIZE; i++)
		b->free[i] = (uint16_t)(VIRTQ_MAX_SIZE - 1 - i);
	b->stalled = 0;
	b->pushed = 0;
}

static void release(struct blk *b, struct blk_req *r)
{
	b->free[b->nfree++] = (uint16_t)(r - b->req);
}

static bool in_range(const struct blk *b, uint64_t sector, uint64_t nsectors)
{
	return sector <= b->capacity && nsectors <= b->capacity - sector;
}

/* --- taking a chain apart ------------------------------------------------- */

/* Split off the status byte, the chain's last device-writable byte. */
static bool take_status(struct blk_req *r)
{
	struct virtq_chain *c = &r->c;
	struct iovec *last;

	if (c->nin == 0)
		return false; /* add_buffer() keeps no empty buffers: nin > 0 means a byte */
	last = &c->iov[c->nout + c->nin - 1];
	r->status = (uint8_t *)last->iov_base + last->iov_len - 1;
	if (--last->iov_len == 0)
		c->nin--;
	c->in_bytes--;
	return true;
}

/* The data of a write: the device-readable buffers after the header. */
static void out_data(struct blk_req *r)
{
	struct virtq_chain *c = &r->c;
	size_t skip = BLK_HDR_BYTES;
	unsigned i = 0;

	while (i < c->nout && c->iov[i].iov_len <= skip)
		skip -= c->iov[i++].iov_len;
	if (i < c->nout) {
		c->iov[i].iov_base = (uint8_t *)c->iov[i].iov_base + skip;
		c->iov[i].iov_len -= skip;
	}
	r->iov = &c->iov[i];
	r->niov = c->nout - i;
	r->len = c->out_bytes - BLK_HDR_BYTES;
}

/* The data of a read: the device-writable buffers before the status. */
static void in_data(struct blk_req *r)
{
	r->iov = &r->c.iov[r->c.nout];
	r->niov = r->c.nin;
	r->len = r->c.in_bytes;
}

/* Drop N transferred bytes from the front of the data buffers. */
static void advance(struct blk_req *r, uint64_t n)
{
	while (n && r->niov) {
		if (r->iov[0].iov_len <= n) {
			n -= r->iov[0].iov_len;
			r->iov++;
			r->niov--;
		} else {
			r->iov[0].iov_base = (uint8_t *)r->iov[0].iov_base + n;
			r->iov[0].iov_len -= n;
			n = 0;
		}
	}
}

/* --- starting requests ---------------------------------------------------- */

static int start_rw(struct blk *b, struct blk_req *r, const struct blk_hdr *h, unsigned tag)
{
	bool write = h->type == VIRTIO_BLK_T_OUT;
	int e;

	/* A read reads nothing but the header; a write writes only the status. */
	if (write ? r->c.in_bytes != 0 : r->c.out_bytes != BLK_HDR_BYTES)
		return VIRTIO_BLK_S_IOERR;
	if (write)
		out_data(r);
	else
		in_data(r);
	if (write && b->disk.readonly)
		return VIRTIO_BLK_S_IOERR; /* and nothing is written (5.2.6.2) */
	if (r->len % DISK_SECTOR || r->len > BLK_MAX_DATA || !in_range(b, h->sector, r->len / DISK_SECTOR))
		return VIRTIO_BLK_S_IOERR;
	if (r->len == 0)
		return VIRTIO_BLK_S_OK;
	r->off = h->sector * DISK_SECTOR; /* <= the image size: no overflow */
	e = write ? disk_writev(&b->disk, r->iov, r->niov, r->off, tag)
		  : disk_readv(&b->disk, r->iov, r->niov, r->off, tag);
	return e < 0 ? VIRTIO_BLK_S_IOERR : BLK_PENDING;
}

static int start_flush(struct blk *b, struct blk_req *r, unsigned tag)
{
	if (r->c.out_bytes != BLK_HDR_BYTES || r->c.in_bytes != 0)
		return VIRTIO_BLK_S_IOERR;
	return disk_flush(&b->disk, tag) < 0 ? VIRTIO_BLK_S_IOERR : BLK_PENDING;
}

static int get_id(struct blk *b, struct blk_req *r)
{
	if (r->c.out_bytes != BLK_HDR_BYTES || r->c.in_bytes < BLK_ID_BYTES)
		return VIRTIO_BLK_S_IOERR;
	r->extra = (uint32_t)virtq_chain_write(&r->c, 0, b->id, BLK_ID_BYTES);
	return VIRTIO_BLK_S_OK;
}

/* Discard or write zeroes: one range (max_*_seg is 1). */
static int start_range(struct virtio_dev *vd, struct blk_req *r, bool zero, unsigned tag)
{
	struct blk *b = vd->priv;
	struct blk_range rg;
	uint64_t off, len;
	int e;

	if (!virtio_has_feature(vd, zero ? VIRTIO_BLK_F_WRITE_ZEROES : VIRTIO_BLK_F_DISCARD))
		return VIRTIO_BLK_S_UNSUPP;
	if (r->c.in_bytes != 0 || r->c.out_bytes != BLK_HDR_BYTES + sizeof(rg))
		return VIRTIO_BLK_S_IOERR;
	virtq_chain_read(&r->c, BLK_HDR_BYTES, &rg, sizeof(rg));
	/* Unknown flags, or unmap on a discard: UNSUPP (5.2.6.2). */
	if (rg.flags & ~(zero ? VIRTIO_BLK_WZ_F_UNMAP : 0u))
		return VIRTIO_BLK_S_UNSUPP;
	if (b->disk.readonly || rg.num_sectors > BLK_MAX_RANGE_SECTORS || !in_range(b, rg.sector, rg.num_sectors))
		return VIRTIO_BLK_S_IOERR;
	if (rg.num_sectors == 0)
		return VIRTIO_BLK_S_OK;
	off = rg.sector * DISK_SECTOR;
	len = (uint64_t)rg.num_sectors * DISK_SECTOR;
	/* A punched hole reads back as zeroes: what "zero, may unmap" asks. */
	if (!zero || ((rg.flags & VIRTIO_BLK_WZ_F_UNMAP) && b->disk.can_punch))
		e = disk_discard(&b->disk, off, len, tag);
	else
		e = disk_zero(&b->disk, off, len, tag);
	return e < 0 ? VIRTIO_BLK_S_IOERR : BLK_PENDING;
}

/* A status for requests finished at once, or BLK_PENDING. */
static int start_request(struct virtio_dev *vd, struct blk_req *r, unsigned tag)
{
	struct blk *b = vd->priv;
	struct blk_hdr h;

	r->type = UINT32_MAX;
	r->len = r->done = 0;
	r->extra = 0;
	if (r->c.out_bytes < BLK_HDR_BYTES)
		return VIRTIO_BLK_S_IOERR;
	virtq_chain_read(&r->c, 0, &h, sizeof(h)); /* one copy, then checks */
	r->type = h.type;
	switch (h.type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		return start_rw(b, r, &h, tag);
	case VIRTIO_BLK_T_FLUSH:
		return start_flush(b, r, tag);
	case VIRTIO_BLK_T_GET_ID:
		return get_id(b, r);
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		return start_range(vd, r, h.type == VIRTIO_BLK_T_WRITE_ZEROES, tag);
	default:
		return VIRTIO_BLK_S_UNSUPP;
	}
}

/* --- completing requests -------------------------------------------------- */

static void complete(struct virtio_dev *vd, struct blk_req *r, int status)
{
	struct blk *b = vd->priv;
	bool rw = r->type == VIRTIO_BLK_T_IN || r->type == VIRTIO_BLK_T_OUT;
	uint64_t written = 1 + r->extra + (r->type == VIRTIO_BLK_T_IN ? r->done : 0);

	*r->status = (uint8_t)status;
	virtq_push(&vd->vq[r->q], r->c.head, (uint32_t)written);
	b->pushed |= 1u << r->q;
	virtio_count(&vd->counters.requests, 1);
	if (rw)
		virtio_count(&vd->counters.bytes, r->done);
	if (status != VIRTIO_BLK_S_OK)
		virtio_count(&vd->counters.errors, 1);
	release(b, r);
}

static const char *type_name(uint32_t type)
{
	switch (type) {
	case VIRTIO_BLK_T_IN: return "read";
	case VIRTIO_BLK_T_OUT: return "write";
	case VIRTIO_BLK_T_FLUSH: return "flush";
	case VIRTIO_BLK_T_DISCARD: return "discard";
	default: return "write zeroes";
	}
}

/* The host failed a request: tell the user once, the guest every time. */
static int io_error(struct virtio_dev *vd, const struct blk_req *r, int err)
{
	struct blk *b = vd->priv;

	if (!b->warned)
		log_warn("%s: %s at byte %llu failed: %s (further I/O errors not shown)", vd->name,
			 type_name(r->type), (unsigned long long)(r->off + r->done), strerror(err));
	b->warned = true;
	if (err == EOPNOTSUPP && (r->type == VIRTIO_BLK_T_DISCARD || r->type == VIRTIO_BLK_T_WRITE_ZEROES))
		return VIRTIO_BLK_S_UNSUPP;
	return VIRTIO_BLK_S_IOERR;
}

/* A status, or BLK_PENDING if the rest of a short transfer was queued. */
static int finish_io(struct virtio_dev *vd, struct blk_req *r, int res, unsigned tag)
{
	struct blk *b = vd->priv;
	bool write = r->type == VIRTIO_BLK_T_OUT;
	uint64_t n;
	int e;

	if (res < 0)
		return io_error(vd, r, -res);
	if (!write && r->type != VIRTIO_BLK_T_IN)
		return VIRTIO_BLK_S_OK;
	if (res == 0) /* the image shrank under us */
		return io_error(vd, r, EIO);
	n = (uint64_t)res < r->len - r->done ? (uint64_t)res : r->len - r->done;
	r->done += n;
	if (r->done == r->len)
		return VIRTIO_BLK_S_OK;
	advance(r, n);
	e = write ? disk_writev(&b->disk, r->iov, r->niov, r->off + r->done, tag)
		  : disk_readv(&b->disk, r->iov, r->niov, r->off + r->done, tag);
	return e < 0 ? VIRTIO_BLK_S_IOERR : BLK_PENDING;
}

static void io_done(void *arg, uint64_t tag, int res)
{
	struct virtio_dev *vd = arg;
	struct blk *b = vd->priv;
	int st;

	if (tag >= VIRTQ_MAX_SIZE)
		return; /* not ours: cannot happen */
	st = finish_io(vd, &b->req[tag], res, (unsigned)tag);
	if (st != BLK_PENDING)
		complete(vd, &b->req[tag], st);
}

/* --- the queue ------------------------------------------------------------ */

/* What a request costs the bandwidth bucket: the bytes its buffers hold
 * besides the header and the status, as popped (the guest cannot change
 * them after the pop, so it cannot pass as smaller than it is). */
static uint64_t chain_bytes(const struct virtq_chain *c)
{
	return c->in_bytes + (c->out_bytes > BLK_HDR_BYTES ? c->out_bytes - BLK_HDR_BYTES : 0);
}

/* Pop and start chains of queue QI until its ring is empty or no slot is
 * free: 0; 1 when the rate limiter holds the next chain back (it stays in
 * the ring); -1 after a guest error (the device is then failed). */
static int pop_all(struct virtio_dev *vd, unsigned qi)
{
	struct blk *b = vd->priv;
	struct virtq *q = &vd->vq[qi];

	while (b->nfree) {
		unsigned tag = b->free[b->nfree - 1];
		struct blk_req *r = &b->req[tag];
		int n = virtq_pop(q, &r->c), st;

		if (n == 0)
			return 0;
		if (n < 0) {
			virtio_fail(vd, "%s", q->error);
			return -1;
		}
		if (!take_status(r)) {
			virtio_fail(vd, "request (head %u) has no device-writable status byte", r->c.head);
			return -1;
		}
		if (!rate_limit_take(&b->rl, chain_bytes(&r->c))) {
			virtq_unpop(q, 1);
			return 1;
		}
		b->nfree--;
		r->q = (uint16_t)qi;
		st = start_request(vd, r, tag);
		if (st != BLK_PENDING)
			complete(vd, r, st);
	}
	return 0;
}

/* Notifications stay off while the device works: with EVENT_IDX the
 * driver adds requests without notifying until the ring is empty again. */
static void serve_queue(struct virtio_dev *vd, unsigned qi)
{
	struct blk *b = vd->priv;
	struct virtq *q = &vd->vq[qi];

	b->stalled &= ~(1u << qi);
	do {
		int r;

		virtq_notify_off(q);
		r = pop_all(vd, qi);
		if (r < 0)
			return;
		if (r > 0 || !b->nfree) {
			/* All slots busy, or no tokens: the rest waits in the
			 * ring, without notifications; a completion or the rate
			 * limiter's timer brings us back. */
			b->stalled |= 1u << qi;
			return;
		}
	} while (virtio_queue_rearm(vd, qi));
}

/* End of a round: one submit for everything queued, one interrupt check. */
/* Interrupt the driver (if it wants) for each queue with used entries
 * published since the last look. */
static void publish(struct virtio_dev *vd, struct blk *b)
{
	for (unsigned q = 0; b->pushed; q++)
		if (b->pushed & (1u << q)) {
			b->pushed &= ~(1u << q);
			virtio_queue_done(vd, q);
		}
}

static void finish_round(struct virtio_dev *vd)
{
	struct blk *b = vd->priv;
	int e = disk_submit(&b->disk);

	if (e < 0) {
		if (!b->warned) {
			log_warn("%s: io_uring_submit: %s (retried)", vd->name, strerror(-e));
			b->warned = true;
		}
		/* What the kernel did not take is offered again at the next
		 * completion; with none in flight, the guest (waiting for
		 * these) sends nothing more, so the device's timer wakes it. */
		if (!b->disk.inflight)
			rate_limit_wake_in(&b->rl, SUBMIT_RETRY_NS);
	}
	publish(vd, b);
}

static void blk_notify(struct virtio_dev *vd, unsigned qi)
{
	serve_queue(vd, qi);
	finish_round(vd);
}

static void blk_fd_ready(struct virtio_dev *vd, int fd, uint32_t events)
{
	struct blk *b = vd->priv;

	(void)events;
	if (fd == b->rl.timer_fd)
		rate_limit_timer_read(&b->rl);
	else
		disk_reap(&b->disk, io_done, vd);
	/* Freed slots and new tokens go to the waiting queues in turn. */
	for (unsigned q = 0; q < vd->type.nqueues && b->nfree && !virtio_failed(vd); q++)
		if (b->stalled & (1u << q))
			serve_queue(vd, q);
	finish_round(vd);
}

/* --- lifecycle ------------------------------------------------------------ */

static int blk_start(struct virtio_dev *vd)
{
	struct blk *b = vd->priv;

	reset_slots(b);
	/* Each DRIVER_OK gets a fresh epoll set: watch the completions and
	 * the rate limiter's timer again. */
	if (virtio_watch_fd(vd, b->disk.efd, EPOLLIN) < 0)
		return -1;
	return virtio_watch_fd(vd, b->rl.timer_fd, EPOLLIN);
}

static void blk_stop(struct virtio_dev *vd)
{
	struct blk *b = vd->priv;

	/* The driver reset the device or the VM is ending: nobody waits for
	 * these requests, but their buffers are guest memory, so wait. */
	disk_wait_idle(&b->disk, NULL, NULL);
	reset_slots(b);
}

/* A pause: every request in flight completes and is published, so the
 * queue's whole state is in guest memory and its indices. */
static void blk_quiesce(struct virtio_dev *vd)
{
	struct blk *b = vd->priv;

	disk_wait_idle(&b->disk, io_done, vd);
	publish(vd, b);
}

static void blk_free(struct blk *b)
{
	if (!b)
		return;
	disk_close(&b->disk);
	rate_limit_destroy(&b->rl);
	free(b->req);
	free(b);
}

static void blk_destroy(struct virtio_dev *vd)
{
	blk_free(vd->priv);
	vd->priv = NULL;
}

static const struct virtio_dev_ops blk_ops = {
	.start = blk_start,
	.queue_notify = blk_notify,
	.fd_ready = blk_fd_ready,
	.stop = blk_stop,
	.destroy = blk_destroy,
	.quiesce = blk_quiesce,
};

/* --- a new backing file while the guest runs ------------------------------ */

/* What the device offered the driver must still work on the new file:
 * the offer cannot be taken back from a driver that accepted it. */
static int same_abilities(const struct virtio_dev *vd, const struct disk_uring *nd, const char *path)
{
	if ((vd->type.features & VIRTIO_BIT(VIRTIO_BLK_F_DISCARD)) && !nd->can_punch)
		return fail(ERR_USAGE, "%s: cannot punch holes, and the disk was offered discard", path);
	if ((vd->type.features & VIRTIO_BIT(VIRTIO_BLK_F_WRITE_ZEROES)) && !nd->can_zero)
		return fail(ERR_USAGE, "%s: cannot zero ranges, and the disk was offered write zeroes", path);
	return 0;
}

int virtio_blk_replace(struct virtio_dev *vd, const char *path)
{
	struct blk *b = vd->priv;
	struct disk_uring nd;
	uint64_t capacity;

	if (!invariant(vd->ops == &blk_ops && !vd->worker.running))
		return -1;
	if (disk_open(&nd, path, b->disk.readonly, true, VIRTQ_MAX_SIZE) < 0)
		return -1;
	if (same_abilities(vd, &nd, path) < 0) {
		disk_close(&nd);
		return -1;
	}
	/* Paused: nothing is in flight on the old file, and no slot is busy. */
	disk_close(&b->disk);
	b->disk = nd; /* struct io_uring holds no pointer into itself */
	b->capacity = capacity = nd.size / DISK_SECTOR;
	/* The driver re-reads the capacity on the configuration interrupt
	 * (Linux: "new size" and a change event for udev). */
	virtio_config_update(vd, offsetof(struct blk_config, capacity), &capacity, sizeof(capacity));
	return 0;
}

static void fill_config(struct virtio_dev *vd, const struct blk *b)
{
	struct blk_config cfg = {
		.capacity = b->capacity,
		.seg_max = BLK_SEG_MAX,
		.blk_size = DISK_SECTOR,
		.num_queues = (uint16_t)vd->type.nqueues,
	};

	if (b->disk.can_punch) {
		cfg.max_discard_sectors = BLK_MAX_RANGE_SECTORS;
		cfg.max_discard_seg = 1;
		cfg.discard_sector_alignment = BLK_DISCARD_ALIGN;
	}
	if (b->disk.can_zero) {
		cfg.max_write_zeroes_sectors = BLK_MAX_RANGE_SECTORS;
		cfg.max_write_zeroes_seg = 1;
		cfg.write_zeroes_may_unmap = b->disk.can_punch;
	}
	memcpy(vd->config, &cfg, sizeof(cfg));
	vd->config_len = sizeof(cfg);
}

static uint64_t features(const struct disk_uring *d, unsigned nqueues)
{
	uint64_t f = VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX) | VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE) |
		     VIRTIO_BIT(VIRTIO_BLK_F_FLUSH);

	/* Offered only for several queues: a one-queue disk looks as before. */
	if (nqueues > 1)
		f |= VIRTIO_BIT(VIRTIO_BLK_F_MQ);
	if (d->readonly)
		f |= VIRTIO_BIT(VIRTIO_BLK_F_RO);
	if (d->can_punch)
		f |= VIRTIO_BIT(VIRTIO_BLK_F_DISCARD);
	if (d->can_zero)
		f |= VIRTIO_BIT(VIRTIO_BLK_F_WRITE_ZEROES);
	return f;
}

/* GET_ID: id=NAME, or the image's file name, cut to 20 bytes. */
static void make_id(struct blk *b, const struct disk_spec *d, const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *src = d->id[0] ? d->id : slash ? slash + 1 : path;
	size_t n = strlen(src);

	memcpy(b->id, src, n < BLK_ID_BYTES ? n : BLK_ID_BYTES);
}

struct virtio_dev *virtio_blk_create(const struct disk_spec *d, unsigned index)
{
	struct virtio_dev *vd = calloc(1, sizeof(*vd));
	struct blk *b = calloc(1, sizeof(*b));
	/* The --disk argument goes on after the path: ",ro", ",id=". */
	char *path = d->path ? strndup(d->path, strcspn(d->path, ",")) : NULL;

	if (b) {
		b->disk.fd = b->disk.efd = -1;
		b->rl.timer_fd = -1;
		b->req = calloc(VIRTQ_MAX_SIZE, sizeof(*b->req));
	}
	if (!vd || !b || !b->req || !path) {
		fail(ERR_HOST, "out of memory");
		goto bad;
	}
	if (rate_limit_init(&b->rl, &d->rate, &vd->counters.throttled) < 0)
		goto bad;
	if (disk_open(&b->disk, path, d->readonly, d->empty_ok, VIRTQ_MAX_SIZE) < 0)
		goto bad;
	b->capacity = b->disk.size / DISK_SECTOR;
	make_id(b, d, path);
	reset_slots(b);
	vd->type = (struct virtio_type){
		.device_id = VIRTIO_ID_BLOCK, .nqueues = d->queues ? d->queues : 1,
		.features = features(&b->disk, d->queues),
	};
	vd->poll_window_ns = (uint64_t)d->poll_us * 1000;
	vd->poll_max_ns = (uint64_t)d->poll_max_us * 1000;
	vd->ops = &blk_ops;
	vd->priv = b;
	vd->limits[VIRTIO_RATE_RX] = &b->rl;
	fill_config(vd, b);
	snprintf(vd->name, sizeof(vd->name), "virtio-blk%u", index);
	free(path);
	return vd;
bad:
	blk_free(b);
	free(vd);
	free(path);
	return NULL;
}
