/* virtio-blk (src/virtio/blk.c) over its io_uring backend, driven without
 * KVM: the device's ops run on this thread against a real image file and a
 * split virtqueue laid out in mapped "guest" memory, the way the I/O
 * thread runs them.  Covers request framing and validation, the data path,
 * GET_ID, read-only disks, discard / write zeroes, short of slots, and
 * stop / restart with requests in flight. */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <linux/falloc.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/vm.h"
#include "util/clock.h"
#include "virtio/virtio_devices.h"
#include "unit.h"
#include "virtio_fixture.h"

#define MEM_SIZE (8 * GMEM_MIB)
#define DESC_GPA 0x1000ULL
#define AVAIL_GPA 0x2000ULL
#define USED_GPA 0x3000ULL
#define DATA_GPA 0x10000ULL
#define IMG_SECTORS 2048 /* 1 MiB */

#define T_IN 0
#define T_OUT 1
#define T_FLUSH 4
#define T_GET_ID 8
#define T_DISCARD 11
#define T_WRITE_ZEROES 13
#define S_OK 0
#define S_IOERR 1
#define S_UNSUPP 2
#define F_RO 5
#define F_DISCARD 13
#define F_WRITE_ZEROES 14

/* This binary is linked with -Wl,--wrap=io_uring_submit (unit.mk): the
 * backend's submits come here, and fail with -ENOMEM while
 * submit_refusals is above 0. */
int __real_io_uring_submit(struct io_uring *ring);
int __wrap_io_uring_submit(struct io_uring *ring);
static unsigned submit_refusals;

int __wrap_io_uring_submit(struct io_uring *ring)
{
	if (submit_refusals) {
		submit_refusals--;
		return -ENOMEM;
	}
	return __real_io_uring_submit(ring);
}

struct fx {
	struct vm vm; /* fake: no irqchip, interrupts go to an eventfd */
	struct virtio_dev *vd;
	int irq_fd; /* the stand-in transport's interrupts */
	char dir[64], path[96];
	uint16_t next_desc, avail_idx; /* of queue qi */
	unsigned qi;                   /* the queue post() and run_until() use */
	struct { uint16_t next_desc, avail_idx; } other[4]; /* the other queues' */
	uint64_t next_gpa; /* bump allocator for request buffers */
};

struct seg {
	uint64_t gpa;
	uint32_t len;
	bool write; /* device-writable */
};

static void *g(struct fx *f, uint64_t gpa)
{
	return gmem_ptr(&f->vm.mem, gpa, 1);
}

static uint64_t galloc(struct fx *f, uint32_t len)
{
	uint64_t gpa = f->next_gpa;

	f->next_gpa += (len + 4095) & ~4095u;
	assert_true(f->next_gpa <= MEM_SIZE);
	return gpa;
}

static void make_image(const char *path, uint64_t size, uint8_t fill)
{
	int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0644);
	uint8_t buf[4096];

	assert_true(fd >= 0);
	memset(buf, fill, sizeof(buf));
	for (uint64_t off = 0; off < size; off += sizeof(buf))
		assert_int_equal(pwrite(fd, buf, size - off < sizeof(buf) ? size - off : sizeof(buf), (off_t)off),
				 size - off < sizeof(buf) ? size - off : sizeof(buf));
	close(fd);
}

static void read_image(const char *path, uint64_t off, void *buf, size_t len)
{
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, len, (off_t)off), (ssize_t)len);
	close(fd);
}

/* Queue QI's rings: three pages each, from DESC_GPA up. */
#define QUEUE_GPA(qi, ring) (DESC_GPA + 0x3000ULL * (qi) + (ring) * 0x1000ULL)

/* Make queue QI the one post() and run_until() use. */
static void use_queue(struct fx *f, unsigned qi)
{
	f->other[f->qi].next_desc = f->next_desc;
	f->other[f->qi].avail_idx = f->avail_idx;
	f->qi = qi;
	f->next_desc = f->other[qi].next_desc;
	f->avail_idx = f->other[qi].avail_idx;
}

/* The driver sets up queue QI (and makes it current). */
static void activate_queue(struct fx *f, unsigned qi, uint16_t qsize)
{
	struct virtq *q = &f->vd->vq[qi];

	virtq_reset(q);
	q->size = qsize;
	q->desc_gpa = QUEUE_GPA(qi, 0);
	q->avail_gpa = QUEUE_GPA(qi, 1);
	q->used_gpa = QUEUE_GPA(qi, 2);
	q->event_idx = false;
	q->indirect = false;
	memset(g(f, q->desc_gpa), 0, 0x3000);
	assert_int_equal(virtq_activate(q, &f->vm.mem), 0);
	f->vd->queue_ready[qi] = true;
	f->other[qi].next_desc = f->other[qi].avail_idx = 0;
	f->qi = qi;
	f->next_desc = f->avail_idx = 0;
}

/* Bring the device up as the transport would at DRIVER_OK. */
static void activate(struct fx *f, uint16_t qsize, uint64_t drop_features)
{
	struct virtio_dev *vd = f->vd;

	vd->driver_features = (vd->type.features | VIRTIO_BIT(VIRTIO_F_VERSION_1)) & ~drop_features;
	activate_queue(f, 0, qsize);
	assert_int_equal(vd->ops->start(vd), 0);
	/* The io_uring completions and the rate limiter's timer. */
	assert_int_equal(vd->worker.nwatch, 2);
}

/* The I/O thread's end (it never ran: the test is the thread), then stop(). */
static void deactivate(struct fx *f)
{
	struct virtio_dev *vd = f->vd;

	io_worker_stop(&vd->worker);
	vd->ops->stop(vd);
}

static void open_dev(struct fx *f, const char *spec_arg)
{
	struct disk_spec d;
	struct virtio_dev *vd;

	assert_int_equal(virtio_parse_disk(spec_arg, &d), 0);
	err_clear();
	vd = virtio_blk_create(&d, 0);
	if (!vd)
		fail_msg("virtio_blk_create(%s): %s", spec_arg, err_msg());
	vt_attach(vd, &f->vm, &f->irq_fd);
	f->vd = vd;
}

static void close_dev(struct fx *f)
{
	struct virtio_dev *vd = f->vd;

	if (!vd)
		return;
	deactivate(f);
	vt_detach(vd, f->irq_fd);
	f->vd = NULL;
}

/* Where the test image goes: the first of these directories whose file
 * system lets fallocate both punch holes and zero ranges (else the one
 * that allows the most), found by trying both on a scratch file with the
 * raw system call, independently of warden's own probe (which
 * test_discard_and_write_zeroes checks against this). */
#define FA_PUNCH 1u
#define FA_ZERO 2u
static const char *const image_dirs[] = { "/tmp", "/dev/shm", "/var/tmp" };
static const char *image_dir;
static unsigned image_fa; /* FA_* that work in image_dir */

static unsigned fallocate_modes(const char *dir)
{
	char path[64];
	unsigned modes = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/warden-fa-XXXXXX", dir);
	fd = mkstemp(path);
	if (fd < 0)
		return 0;
	unlink(path);
	if (ftruncate(fd, 16384) == 0) {
		if (syscall(SYS_fallocate, fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0L, 4096L) == 0)
			modes |= FA_PUNCH;
		if (syscall(SYS_fallocate, fd, FALLOC_FL_ZERO_RANGE, 8192L, 4096L) == 0)
			modes |= FA_ZERO;
	}
	close(fd);
	return modes;
}

static void pick_image_dir(void)
{
	unsigned best = 0;

	for (unsigned i = 0; i < sizeof(image_dirs) / sizeof(image_dirs[0]) && best != (FA_PUNCH | FA_ZERO); i++) {
		unsigned m = fallocate_modes(image_dirs[i]);

		if (!image_dir || __builtin_popcount(m) > __builtin_popcount(best)) {
			image_dir = image_dirs[i];
			best = image_fa = m;
		}
	}
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f || gmem_map(&f->vm.mem, MEM_SIZE) < 0)
		return -1;
	if (!image_dir)
		pick_image_dir();
	snprintf(f->dir, sizeof(f->dir), "%s/warden-blk-XXXXXX", image_dir);
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/disk.img", f->dir);
	make_image(f->path, IMG_SECTORS * 512ULL, 0xaa);
	f->next_gpa = DATA_GPA;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	close_dev(f);
	gmem_unmap(&f->vm.mem);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* Put a chain of N buffers in the ring (not yet notified); returns its head. */
static uint16_t post(struct fx *f, const struct seg *s, unsigned n)
{
	struct virtq *q = &f->vd->vq[f->qi];
	uint16_t head = f->next_desc % q->size;

	for (unsigned i = 0; i < n; i++) {
		uint16_t idx = (uint16_t)((head + i) % q->size);

		q->desc[idx] = (struct virtq_desc){
			.addr = s[i].gpa, .len = s[i].len,
			.flags = (uint16_t)((s[i].write ? VIRTQ_DESC_F_WRITE : 0) | (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0)),
			.next = (uint16_t)((idx + 1) % q->size),
		};
	}
	f->next_desc = (uint16_t)(f->next_desc + n);
	q->avail->ring[f->avail_idx % q->size] = head;
	__atomic_store_n(&q->avail->idx, ++f->avail_idx, __ATOMIC_RELEASE);
	return head;
}

/* Notify, then serve completions until the used index reaches WANT. */
static void run_until(struct fx *f, uint16_t want)
{
	struct virtio_dev *vd = f->vd;
	struct virtq *q = &vd->vq[f->qi];
	int spins = 0;

	vd->ops->queue_notify(vd, f->qi);
	while (__atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE) != want) {
		struct pollfd p[2] = { { .fd = vd->worker.watch[0].fd, .events = POLLIN },
				       { .fd = vd->worker.watch[1].fd, .events = POLLIN } };

		assert_true(++spins < 10000);
		if (poll(p, 2, 5000) < 1)
			fail_msg("no completion (used %u, want %u)", q->used->idx, want);
		for (unsigned i = 0; i < 2; i++)
			if (p[i].revents & POLLIN)
				vd->ops->fd_ready(vd, p[i].fd, EPOLLIN);
	}
}

struct hdr {
	uint32_t type, ioprio;
	uint64_t sector;
};

/* Header in its own buffer; returns its gpa. */
static uint64_t header(struct fx *f, uint32_t type, uint64_t sector)
{
	uint64_t gpa = galloc(f, sizeof(struct hdr));
	struct hdr h = { .type = type, .sector = sector };

	memcpy(g(f, gpa), &h, sizeof(h));
	return gpa;
}

/* A one-buffer request: header, DATA (device-readable for writes), status.
 * Returns the status byte; *LEN gets the used length. */
static uint8_t simple(struct fx *f, uint32_t type, uint64_t sector, uint64_t data_gpa, uint32_t len,
		      uint32_t *used_len)
{
	struct virtq *q = &f->vd->vq[f->qi];
	uint64_t st = galloc(f, 1);
	struct seg s[3];
	unsigned n = 0;
	uint16_t head;

	s[n++] = (struct seg){ header(f, type, sector), 16, false };
	if (len)
		s[n++] = (struct seg){ data_gpa, len, type != T_OUT && type != T_DISCARD && type != T_WRITE_ZEROES };
	s[n++] = (struct seg){ st, 1, true };
	*(uint8_t *)g(f, st) = 0xee;
	head = post(f, s, n);
	run_until(f, f->avail_idx);
	assert_int_equal(q->used->ring[(uint16_t)(f->avail_idx - 1) % q->size].id, head);
	if (used_len)
		*used_len = q->used->ring[(uint16_t)(f->avail_idx - 1) % q->size].len;
	return *(uint8_t *)g(f, st);
}

static uint8_t *fill(struct fx *f, uint64_t gpa, uint32_t len, uint8_t seed)
{
	uint8_t *p = g(f, gpa);

	for (uint32_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 7 + (i >> 9));
	return p;
}

/* --- tests ---------------------------------------------------------------- */

static void test_config_and_features(void **state)
{
	struct fx *f = *state;
	uint8_t *c;

	open_dev(f, f->path);
	c = f->vd->config;
	assert_string_equal(f->vd->name, "virtio-blk0");
	assert_int_equal(f->vd->type.device_id, VIRTIO_ID_BLOCK);
	assert_int_equal(f->vd->type.nqueues, 1);
	assert_true(f->vd->config_len >= 60);
	assert_int_equal(u_rd64(c + 0), IMG_SECTORS);
	assert_int_equal(u_rd32(c + 12), 254); /* seg_max */
	assert_int_equal(u_rd32(c + 20), 512); /* blk_size */
	/* SEG_MAX, BLK_SIZE, FLUSH; not RO. */
	assert_true(f->vd->type.features & (1ULL << 2));
	assert_true(f->vd->type.features & (1ULL << 6));
	assert_true(f->vd->type.features & (1ULL << 9));
	assert_false(f->vd->type.features & (1ULL << F_RO));
	/* Discard / write zeroes: config filled exactly when offered. */
	assert_int_equal(u_rd32(c + 40) == 1, !!(f->vd->type.features & (1ULL << F_DISCARD)));
	assert_int_equal(u_rd32(c + 52) == 1, !!(f->vd->type.features & (1ULL << F_WRITE_ZEROES)));
	assert_int_equal(u_rd32(c + 36) != 0, !!(f->vd->type.features & (1ULL << F_DISCARD)));
}

/* queues=3: VIRTIO_BLK_F_MQ and num_queues; a request is answered on the
 * queue it came from, and each queue's interrupt follows its own
 * suppression (queue 2's driver asks for none: NO_INTERRUPT). */
static void test_multiqueue(void **state)
{
	struct fx *f = *state;
	uint64_t buf = galloc(f, 4096), back = galloc(f, 4096), irqs = 0;
	struct virtq *q0, *q2;
	char spec[128];

	snprintf(spec, sizeof(spec), "%s,queues=3", f->path);
	open_dev(f, spec);
	assert_int_equal(f->vd->type.nqueues, 3);
	assert_true(f->vd->type.features & (1ULL << 12)); /* VIRTIO_BLK_F_MQ */
	assert_int_equal(u_rd16(f->vd->config + 34), 3);  /* num_queues */
	activate(f, 16, 0);
	activate_queue(f, 2, 16);
	q0 = &f->vd->vq[0];
	q2 = &f->vd->vq[2];
	q2->avail->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	fill(f, buf, 4096, 3);
	assert_int_equal(simple(f, T_OUT, 8, buf, 4096, NULL), S_OK); /* on queue 2 */
	assert_int_equal(q2->used->idx, 1);
	assert_int_equal(q0->used->idx, 0);
	assert_int_equal(f->vd->counters.interrupts, 0);
	assert_int_equal(f->vd->counters.interrupts_suppressed, 1);
	use_queue(f, 0);
	assert_int_equal(simple(f, T_IN, 8, back, 4096, NULL), S_OK);
	assert_int_equal(q0->used->idx, 1);
	assert_int_equal(q2->used->idx, 1);
	assert_memory_equal(g(f, back), g(f, buf), 4096);
	assert_int_equal(f->vd->counters.interrupts, 1);
	assert_int_equal(read(f->irq_fd, &irqs, sizeof(irqs)), sizeof(irqs));
	assert_int_equal(irqs, 1);
	/* A one-queue disk does not offer MQ. */
	close_dev(f);
	open_dev(f, f->path);
	assert_false(f->vd->type.features & (1ULL << 12));
}

static void test_write_then_read(void **state)
{
	struct fx *f = *state;
	struct virtq *q;
	uint64_t d1 = galloc(f, 4096), d2 = galloc(f, 4096), st, hbuf, rbuf;
	uint8_t want[8192], got[8192], *hp;
	struct hdr h = { .type = T_IN, .sector = 3 };
	uint16_t head;

	open_dev(f, f->path);
	activate(f, 16, 0);
	q = &f->vd->vq[0];
	memcpy(want, fill(f, d1, 4096, 1), 4096);
	memcpy(want + 4096, fill(f, d2, 4096, 2), 4096);
	/* Write 8 KiB from two buffers at sector 3. */
	st = galloc(f, 1);
	head = post(f, (struct seg[]){ { header(f, T_OUT, 3), 16, false }, { d1, 4096, false },
				      { d2, 4096, false }, { st, 1, true } }, 4);
	run_until(f, 1);
	assert_int_equal(*(uint8_t *)g(f, st), S_OK);
	assert_int_equal(q->used->ring[0].id, head);
	assert_int_equal(q->used->ring[0].len, 1);
	read_image(f->path, 3 * 512, got, sizeof(got));
	assert_memory_equal(got, want, sizeof(got));
	read_image(f->path, 0, got, 3 * 512);
	for (int i = 0; i < 3 * 512; i++)
		assert_int_equal(got[i], 0xaa);

	/* Read it back with odd framing: the header split 8 + 8, the data and
	 * the status byte in one writable buffer. */
	hbuf = galloc(f, 16);
	rbuf = galloc(f, 8193);
	hp = g(f, hbuf);
	memcpy(hp, &h, 16);
	memset(g(f, rbuf), 0, 8193);
	head = post(f, (struct seg[]){ { hbuf, 8, false }, { hbuf + 8, 8, false }, { rbuf, 8193, true } }, 3);
	run_until(f, 2);
	assert_int_equal(q->used->ring[1].id, head);
	assert_int_equal(q->used->ring[1].len, 8193);
	assert_memory_equal(g(f, rbuf), want, 8192);
	assert_int_equal(*((uint8_t *)g(f, rbuf) + 8192), S_OK);

	assert_int_equal(f->vd->counters.requests, 2);
	assert_int_equal(f->vd->counters.bytes, 16384);
	assert_int_equal(f->vd->counters.errors, 0);
	/* One interrupt per completed batch here (no EVENT_IDX, no suppression). */
	uint64_t irqs = 0;
	assert_int_equal(read(f->irq_fd, &irqs, sizeof(irqs)), sizeof(irqs));
	assert_int_equal(irqs, 2);
}

/* The kernel refuses a submit (no memory for now) with nothing else in
 * flight: no completion will come to offer it again, and the guest waits
 * for it, so the device's timer must: it completes a moment later. */
static void test_submit_refused(void **state)
{
	struct fx *f = *state;
	uint64_t d = galloc(f, 4096), st = galloc(f, 1), t0;

	open_dev(f, f->path);
	activate(f, 16, 0);
	fill(f, d, 4096, 9);
	post(f, (struct seg[]){ { header(f, T_OUT, 0), 16, false }, { d, 4096, false }, { st, 1, true } }, 3);
	submit_refusals = 2;
	t0 = now_ns();
	run_until(f, 1); /* fails after 5 s without a completion */
	assert_int_equal(submit_refusals, 0);
	assert_true(now_ns() - t0 >= 2 * 1000000ULL); /* two retries, 1 ms apart */
	assert_int_equal(*(uint8_t *)g(f, st), S_OK);
	assert_false(virtio_failed(f->vd));
	close_dev(f);
}

static void test_bad_requests(void **state)
{
	struct fx *f = *state;
	uint64_t d = galloc(f, 4096), st = galloc(f, 1);
	uint8_t img[IMG_SECTORS * 512 / 4], after[sizeof(img)];
	uint32_t len;

	open_dev(f, f->path);
	activate(f, 64, 0);
	fill(f, d, 4096, 9);
	read_image(f->path, 0, img, sizeof(img));
	/* Ranges: the last sector is fine, one past it is not, no overflow. */
	assert_int_equal(simple(f, T_OUT, IMG_SECTORS - 1, d, 512, NULL), S_OK);
	assert_int_equal(simple(f, T_IN, IMG_SECTORS - 1, d, 512, &len), S_OK);
	assert_int_equal(len, 513);
	assert_int_equal(simple(f, T_OUT, IMG_SECTORS, d, 512, NULL), S_IOERR);
	assert_int_equal(simple(f, T_IN, IMG_SECTORS - 1, d, 1024, &len), S_IOERR);
	assert_int_equal(len, 1);
	assert_int_equal(simple(f, T_IN, UINT64_MAX, d, 512, NULL), S_IOERR);
	assert_int_equal(simple(f, T_OUT, UINT64_MAX - 1, d, 1024, NULL), S_IOERR);
	assert_int_equal(simple(f, T_IN, 1ULL << 55, d, 512, NULL), S_IOERR);
	/* Lengths must be whole sectors. */
	assert_int_equal(simple(f, T_IN, 0, d, 500, NULL), S_IOERR);
	assert_int_equal(simple(f, T_OUT, 0, d, 513, NULL), S_IOERR);
	/* Unknown types. */
	assert_int_equal(simple(f, 99, 0, 0, 0, NULL), S_UNSUPP);
	assert_int_equal(simple(f, 10 /* GET_LIFETIME */, 0, d, 16, NULL), S_UNSUPP);
	/* A header shorter than 16 bytes. */
	*(uint8_t *)g(f, st) = 0xee;
	post(f, (struct seg[]){ { header(f, T_IN, 0), 8, false }, { d, 512, true }, { st, 1, true } }, 3);
	run_until(f, f->avail_idx);
	assert_int_equal(*(uint8_t *)g(f, st), S_IOERR);
	/* A read with device-readable data after the header. */
	post(f, (struct seg[]){ { header(f, T_IN, 0), 16, false }, { d, 512, false }, { st, 1, true } }, 3);
	run_until(f, f->avail_idx);
	assert_int_equal(*(uint8_t *)g(f, st), S_IOERR);
	/* A write with device-writable data before the status. */
	post(f, (struct seg[]){ { header(f, T_OUT, 0), 16, false }, { d, 512, true }, { st, 1, true } }, 3);
	run_until(f, f->avail_idx);
	assert_int_equal(*(uint8_t *)g(f, st), S_IOERR);
	/* Flush with data. */
	assert_int_equal(simple(f, T_FLUSH, 0, d, 512, NULL), S_IOERR);
	assert_int_equal(simple(f, T_FLUSH, 0, 0, 0, NULL), S_OK);
	/* Discard with the unmap flag, or when not negotiated: UNSUPP. */
	if (f->vd->type.features & (1ULL << F_DISCARD)) {
		uint32_t seg[4] = { 0, 0, 8, 1 /* unmap */ };
		memcpy(g(f, d), seg, 16);
		assert_int_equal(simple(f, T_DISCARD, 0, d, 16, NULL), S_UNSUPP);
		seg[3] = 0;
		seg[0] = IMG_SECTORS - 4; /* past the end */
		memcpy(g(f, d), seg, 16);
		assert_int_equal(simple(f, T_DISCARD, 0, d, 16, NULL), S_IOERR);
		assert_int_equal(simple(f, T_DISCARD, 0, d, 32, NULL), S_IOERR); /* two ranges */
	}
	if (f->vd->type.features & (1ULL << F_WRITE_ZEROES)) {
		uint32_t seg[4] = { 0, 0, 8, 2 /* unknown flag */ };
		memcpy(g(f, d), seg, 16);
		assert_int_equal(simple(f, T_WRITE_ZEROES, 0, d, 16, NULL), S_UNSUPP);
	}
	/* Nothing but the one valid write touched the image. */
	read_image(f->path, 0, after, sizeof(after));
	assert_memory_equal(after, img, sizeof(img));
	assert_false(virtio_failed(f->vd));
	assert_int_equal(f->vd->counters.requests, f->avail_idx);
	assert_int_equal(f->vd->counters.errors, f->avail_idx - 3);
	assert_int_equal(f->vd->counters.bytes, 1024);
}

static void test_not_negotiated(void **state)
{
	struct fx *f = *state;
	uint64_t d = galloc(f, 16);
	uint32_t seg[4] = { 0, 0, 8, 0 };

	open_dev(f, f->path);
	activate(f, 16, (1ULL << F_DISCARD) | (1ULL << F_WRITE_ZEROES));
	memcpy(g(f, d), seg, 16);
	assert_int_equal(simple(f, T_DISCARD, 0, d, 16, NULL), S_UNSUPP);
	assert_int_equal(simple(f, T_WRITE_ZEROES, 0, d, 16, NULL), S_UNSUPP);
}

/* No writable byte: nowhere to put a status, so the device gives up. */
static void test_no_status_byte(void **state)
{
	struct fx *f = *state;
	uint64_t d = galloc(f, 512);

	open_dev(f, f->path);
	activate(f, 16, 0);
	post(f, (struct seg[]){ { header(f, T_OUT, 0), 16, false }, { d, 512, false } }, 2);
	f->vd->ops->queue_notify(f->vd, 0);
	assert_true(virtio_failed(f->vd));
	assert_int_equal(f->vd->vq[0].used->idx, 0);
}

static void test_get_id(void **state)
{
	struct fx *f = *state;
	char arg[160];
	uint64_t d = galloc(f, 64);
	uint32_t len;
	char *p = g(f, d);

	snprintf(arg, sizeof(arg), "%s,id=serial-42", f->path);
	open_dev(f, arg);
	activate(f, 16, 0);
	memset(p, 'x', 64);
	assert_int_equal(simple(f, T_GET_ID, 0, d, 20, &len), S_OK);
	assert_int_equal(len, 21);
	assert_memory_equal(p, "serial-42\0\0\0\0\0\0\0\0\0\0\0", 20);
	assert_int_equal(simple(f, T_GET_ID, 0, d, 10, NULL), S_IOERR); /* too small */
	close_dev(f);

	/* Without id=: the file name, cut to 20 bytes, no terminator then. */
	snprintf(arg, sizeof(arg), "%s/a-rather-long-image-name.img", f->dir);
	make_image(arg, 4096, 0);
	open_dev(f, arg);
	activate(f, 16, 0);
	memset(p, 'x', 64);
	assert_int_equal(simple(f, T_GET_ID, 0, d, 64, &len), S_OK);
	assert_int_equal(len, 21);
	assert_memory_equal(p, "a-rather-long-image-", 20);
	assert_int_equal(p[20], 'x');
}

static void test_readonly(void **state)
{
	struct fx *f = *state;
	char arg[160];
	uint64_t d = galloc(f, 4096);
	uint8_t before[4096], after[4096];

	snprintf(arg, sizeof(arg), "%s,ro", f->path);
	open_dev(f, arg);
	assert_true(f->vd->type.features & (1ULL << F_RO));
	assert_false(f->vd->type.features & ((1ULL << F_DISCARD) | (1ULL << F_WRITE_ZEROES)));
	activate(f, 16, 0);
	read_image(f->path, 0, before, sizeof(before));
	fill(f, d, 4096, 3);
	assert_int_equal(simple(f, T_OUT, 0, d, 4096, NULL), S_IOERR);
	read_image(f->path, 0, after, sizeof(after));
	assert_memory_equal(after, before, sizeof(after));
	assert_int_equal(simple(f, T_IN, 0, d, 4096, NULL), S_OK);
	assert_memory_equal(g(f, d), before, 4096);
	assert_int_equal(simple(f, T_FLUSH, 0, 0, 0, NULL), S_OK);
	assert_int_equal(f->vd->counters.errors, 1);
}

static void test_discard_and_write_zeroes(void **state)
{
	struct fx *f = *state;
	uint64_t d = galloc(f, 16), w = galloc(f, 65536);
	uint8_t buf[65536];
	struct stat st;

	open_dev(f, f->path);
	/* The probe leaves the image as it was. */
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_size, IMG_SECTORS * 512);
	read_image(f->path, 0, buf, 4096);
	for (int i = 0; i < 4096; i++)
		assert_int_equal(buf[i], 0xaa);
	if (!image_fa)
		u_skip("fallocate can neither punch holes nor zero ranges in %s, %s or %s", image_dirs[0],
		       image_dirs[1], image_dirs[2]);
	/* Offered exactly where the file system allows it (a broken probe
	 * in warden fails here). */
	if (!(f->vd->type.features & (1ULL << F_DISCARD)) != !(image_fa & FA_PUNCH) ||
	    !(f->vd->type.features & (1ULL << F_WRITE_ZEROES)) != !(image_fa & FA_ZERO))
		fail_msg("%s: fallocate punch-hole %s and zero-range %s there, but the device offers "
			 "discard %s and write zeroes %s", f->dir, image_fa & FA_PUNCH ? "works" : "fails",
			 image_fa & FA_ZERO ? "works" : "fails",
			 f->vd->type.features & (1ULL << F_DISCARD) ? "yes" : "no",
			 f->vd->type.features & (1ULL << F_WRITE_ZEROES) ? "yes" : "no");
	activate(f, 16, 0);
	fill(f, w, 65536, 5);
	assert_int_equal(simple(f, T_OUT, 128, w, 65536, NULL), S_OK);
	if (f->vd->type.features & (1ULL << F_DISCARD)) {
		uint32_t seg[4] = { 136, 0, 16, 0 }; /* sectors 136..151 */
		memcpy(g(f, d), seg, 16);
		assert_int_equal(simple(f, T_DISCARD, 0, d, 16, NULL), S_OK);
		read_image(f->path, 136 * 512, buf, 16 * 512);
		for (int i = 0; i < 16 * 512; i++)
			assert_int_equal(buf[i], 0);
	}
	if (f->vd->type.features & (1ULL << F_WRITE_ZEROES)) {
		uint32_t seg[4] = { 160, 0, 9, 0 }; /* sectors 160..168 */
		memcpy(g(f, d), seg, 16);
		assert_int_equal(simple(f, T_WRITE_ZEROES, 0, d, 16, NULL), S_OK);
		read_image(f->path, 160 * 512, buf, 9 * 512);
		for (int i = 0; i < 9 * 512; i++)
			assert_int_equal(buf[i], 0);
		seg[0] = 176;
		seg[3] = 1; /* may unmap */
		memcpy(g(f, d), seg, 16);
		assert_int_equal(simple(f, T_WRITE_ZEROES, 0, d, 16, NULL), S_OK);
		read_image(f->path, 176 * 512, buf, 9 * 512);
		for (int i = 0; i < 9 * 512; i++)
			assert_int_equal(buf[i], 0);
	}
	/* Around the ranges, the data is still there. */
	read_image(f->path, 128 * 512, buf, 8 * 512);
	assert_memory_equal(buf, g(f, w), 8 * 512);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_size, IMG_SECTORS * 512);
}

/* Many requests in one notification, then a guest that keeps adding
 * chains while all 256 slots are busy: they wait in the ring and are
 * served as slots come free. */
static void test_many_and_out_of_slots(void **state)
{
	struct fx *f = *state;
	uint64_t d = galloc(f, 64 * 1024), st = galloc(f, 512), h;
	struct virtq *q;
	uint8_t img[64 * 512];

	open_dev(f, f->path);
	activate(f, 256, 0);
	q = &f->vd->vq[0];
	fill(f, d, 64 * 512, 11);
	for (unsigned i = 0; i < 64; i++)
		post(f, (struct seg[]){ { header(f, T_OUT, 1000 + i), 16, false }, { d + i * 512, 512, false },
				       { st + i, 1, true } }, 3);
	run_until(f, 64);
	read_image(f->path, 1000 * 512, img, sizeof(img));
	assert_memory_equal(img, g(f, d), sizeof(img));
	for (unsigned i = 0; i < 64; i++)
		assert_int_equal(*(uint8_t *)g(f, st + i), S_OK);

	/* Reads of sector 1000: a header descriptor (heads 128..191) chained
	 * to one writable buffer of 512 data bytes + the status (0..63).  A
	 * head is reused while its chain is in flight, as a buggy or hostile
	 * driver may do: 256 chains fill every slot, 8 more must wait. */
	h = header(f, T_IN, 1000);
	for (unsigned i = 0; i < 64; i++) {
		q->desc[i] = (struct virtq_desc){ .addr = d + i * 1024, .len = 513, .flags = VIRTQ_DESC_F_WRITE };
		q->desc[128 + i] = (struct virtq_desc){ .addr = h, .len = 16, .flags = VIRTQ_DESC_F_NEXT,
						       .next = (uint16_t)i };
	}
	for (unsigned i = 0; i < 264; i++) {
		q->avail->ring[f->avail_idx % 256] = (uint16_t)(128 + i % 64);
		__atomic_store_n(&q->avail->idx, ++f->avail_idx, __ATOMIC_RELEASE);
		if (i == 255)
			f->vd->ops->queue_notify(f->vd, 0); /* takes 256: no slot left */
	}
	assert_int_equal(virtq_pending(q), 8);
	run_until(f, 64 + 264);
	assert_false(virtio_failed(f->vd));
	assert_int_equal(f->vd->counters.requests, 64 + 264);
	assert_int_equal(f->vd->counters.errors, 0);
	assert_int_equal(f->vd->counters.bytes, (64 + 264) * 512);
	assert_int_equal(q->used->ring[(64 + 263) % 256].len, 513);
	assert_memory_equal(g(f, d + 5 * 1024), img, 512);
	/* Nothing waits in the ring, and the driver may notify again. */
	assert_int_equal(virtq_pending(q), 0);
	assert_int_equal(q->used->flags & VIRTQ_USED_F_NO_NOTIFY, 0);
}

/* stop() with requests in flight returns once they are done; the device
 * then starts again on a fresh queue (driver reset). */
/* ops=4/200 (a bucket of 4, 20 a second): 10 writes posted at once, 4
 * go; the other 6 stay in the ring (not taken, not failed) until the
 * limiter's timer, one every 50 ms; each wait is counted.  bw= limits
 * the same way in bytes. */
static void test_rate_limits(void **state)
{
	struct fx *f = *state;
	uint64_t d = galloc(f, 10 * 4096), st = galloc(f, 512), t0;
	char arg[160];
	struct virtq *q;

	for (unsigned round = 0; round < 2; round++) {
		snprintf(arg, sizeof(arg), "%s%s", f->path, round ? ",bw=16384/200" : ",ops=4/200");
		open_dev(f, arg);
		activate(f, 32, 0); /* room for 10 chains of 3 */
		q = &f->vd->vq[0];
		fill(f, d, 10 * 4096, 7 + round);
		for (unsigned i = 0; i < 10; i++)
			post(f, (struct seg[]){ { header(f, T_OUT, 8 * i), 16, false }, { d + i * 4096, 4096, false },
					       { st + i, 1, true } }, 3);
		t0 = now_ns();
		f->vd->ops->queue_notify(f->vd, 0);
		assert_int_equal(virtq_pending(q), 6);
		assert_int_equal(f->vd->counters.throttled, 1);
		run_until(f, 10);
		/* 6 more tokens (or 24 KiB) at 20 (80 KiB) a second. */
		assert_true(now_ns() - t0 >= 300 * 1000000ULL);
		assert_true(f->vd->counters.throttled >= 2);
		assert_false(virtio_failed(f->vd));
		for (unsigned i = 0; i < 10; i++)
			assert_int_equal(*(uint8_t *)g(f, st + i), S_OK);
		assert_int_equal(virtq_pending(q), 0);
		close_dev(f);
		f->next_desc = f->avail_idx = 0;
	}
}

static void test_stop_and_restart(void **state)
{
	struct fx *f = *state;
	uint64_t d = galloc(f, 64 * 4096), st = galloc(f, 64);
	uint8_t img[4096];

	open_dev(f, f->path);
	activate(f, 256, 0);
	fill(f, d, 64 * 4096, 21);
	for (unsigned i = 0; i < 64; i++)
		post(f, (struct seg[]){ { header(f, T_OUT, 8 * i), 16, false }, { d + i * 4096, 4096, false },
				       { st + i, 1, true } }, 3);
	f->vd->ops->queue_notify(f->vd, 0);
	deactivate(f); /* waits for all 64 writes */
	read_image(f->path, 63 * 4096, img, sizeof(img));
	assert_memory_equal(img, g(f, d + 63 * 4096), 4096);

	/* Reset and DRIVER_OK again. */
	activate(f, 16, 0);
	memset(g(f, d), 0, 4096);
	assert_int_equal(simple(f, T_IN, 8 * 63, d, 4096, NULL), S_OK);
	assert_memory_equal(g(f, d), img, 4096);
	assert_int_equal(f->vd->vq[0].used->idx, 1);
}

static void test_open_errors(void **state)
{
	struct fx *f = *state;
	struct disk_spec d;
	char p[160], arg[200];

	snprintf(p, sizeof(p), "%s/missing.img", f->dir);
	assert_int_equal(virtio_parse_disk(p, &d), 0);
	err_clear();
	assert_null(virtio_blk_create(&d, 0));
	assert_int_equal(err_class(), ERR_USAGE);
	assert_contains(err_msg(), "missing.img");

	assert_int_equal(virtio_parse_disk(f->dir, &d), 0);
	err_clear();
	assert_null(virtio_blk_create(&d, 0));
	assert_int_equal(err_class(), ERR_USAGE);

	snprintf(p, sizeof(p), "%s/odd.img", f->dir);
	make_image(p, 1000, 0);
	assert_int_equal(virtio_parse_disk(p, &d), 0);
	err_clear();
	assert_null(virtio_blk_create(&d, 0));
	assert_contains(err_msg(), "multiple of 512");

	snprintf(p, sizeof(p), "%s/empty.img", f->dir);
	make_image(p, 0, 0);
	snprintf(arg, sizeof(arg), "%s,ro", p);
	assert_int_equal(virtio_parse_disk(arg, &d), 0);
	err_clear();
	assert_null(virtio_blk_create(&d, 0));
	assert_contains(err_msg(), "empty");

	assert_int_equal(virtio_parse_disk("/dev/null", &d), 0);
	err_clear();
	assert_null(virtio_blk_create(&d, 0));
	assert_contains(err_msg(), "not a regular file or block device");

	/* The same image twice read-write: the second finds it locked. */
	open_dev(f, f->path);
	assert_int_equal(virtio_parse_disk(f->path, &d), 0);
	err_clear();
	assert_null(virtio_blk_create(&d, 1));
	assert_int_equal(err_class(), ERR_USAGE);
	assert_contains(err_msg(), "in use");

	/* A file we may only read needs ,ro (root may write anything). */
	if (geteuid() != 0) {
		snprintf(p, sizeof(p), "%s/readonly.img", f->dir);
		make_image(p, 4096, 0);
		assert_int_equal(chmod(p, 0444), 0);
		assert_int_equal(virtio_parse_disk(p, &d), 0);
		err_clear();
		assert_null(virtio_blk_create(&d, 0));
		assert_contains(err_msg(), ",ro");
	}
}

/* PATCH /drives on a running VM (virtio_disk_replace): with the I/O
 * thread stopped, the disk takes a new file; the capacity follows it, the
 * driver gets one configuration interrupt, requests go to the new file,
 * and the old one is unlocked.  A file that cannot be opened leaves the
 * disk as it was; an empty one (a placeholder) is a disk of no sectors. */
static void replace(struct fx *f, const char *path, int want)
{
	io_worker_stop(&f->vd->worker);
	err_clear();
	assert_int_equal(virtio_blk_replace(f->vd, path), want);
	assert_int_equal(f->vd->ops->start(f->vd), 0);
}

static void test_replace_backing(void **state)
{
	struct fx *f = *state;
	uint64_t d = galloc(f, 4096);
	uint32_t gen;
	uint64_t irqs;
	struct disk_spec ds;
	struct virtio_dev *other;
	char p2[160], empty[160], missing[160];

	snprintf(p2, sizeof(p2), "%s/new.img", f->dir);
	snprintf(empty, sizeof(empty), "%s/placeholder.img", f->dir);
	snprintf(missing, sizeof(missing), "%s/missing.img", f->dir);
	make_image(p2, 2 * IMG_SECTORS * 512ULL, 0x55);
	make_image(empty, 0, 0);
	open_dev(f, f->path);
	activate(f, 16, 0);
	assert_int_equal(simple(f, T_IN, 0, d, 4096, NULL), S_OK);
	assert_int_equal(*(uint8_t *)g(f, d), 0xaa);

	gen = atomic_load(&f->vd->config_generation);
	irqs = f->vd->counters.interrupts;
	replace(f, p2, 0);
	assert_int_equal(u_rd64(f->vd->config), 2 * IMG_SECTORS);
	assert_int_equal(atomic_load(&f->vd->config_generation), gen + 1);
	assert_int_equal(f->vd->counters.interrupts, irqs + 1);
	assert_int_equal(simple(f, T_IN, 0, d, 4096, NULL), S_OK);
	assert_int_equal(*(uint8_t *)g(f, d), 0x55);
	/* Past the old file's end: inside the new one. */
	assert_int_equal(simple(f, T_IN, IMG_SECTORS + 8, d, 4096, NULL), S_OK);

	/* The old image's lock went with it: another disk may take it. */
	assert_int_equal(virtio_parse_disk(f->path, &ds), 0);
	err_clear();
	other = virtio_blk_create(&ds, 1);
	assert_non_null(other);
	other->ops->destroy(other);
	free(other);

	replace(f, missing, -1);
	assert_int_equal(err_class(), ERR_USAGE);
	assert_contains(err_msg(), "missing.img");
	assert_int_equal(u_rd64(f->vd->config), 2 * IMG_SECTORS);
	assert_int_equal(simple(f, T_IN, IMG_SECTORS + 8, d, 4096, NULL), S_OK);

	replace(f, empty, 0);
	assert_int_equal(u_rd64(f->vd->config), 0);
	assert_int_equal(simple(f, T_IN, 0, d, 4096, NULL), S_IOERR);
}

/* An empty file is refused on the command line (test_open_errors) but is
 * a disk of no sectors where the API asks for it (empty_ok). */
static void test_empty_placeholder(void **state)
{
	struct fx *f = *state;
	struct disk_spec ds;
	char p[160];

	snprintf(p, sizeof(p), "%s/placeholder.img", f->dir);
	make_image(p, 0, 0);
	assert_int_equal(virtio_parse_disk(p, &ds), 0);
	ds.empty_ok = true;
	err_clear();
	f->vd = virtio_blk_create(&ds, 0);
	assert_non_null(f->vd);
	vt_attach(f->vd, &f->vm, &f->irq_fd);
	assert_int_equal(u_rd64(f->vd->config), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_config_and_features, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_then_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_multiqueue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_submit_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_negotiated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_status_byte, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readonly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_discard_and_write_zeroes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_and_out_of_slots, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_and_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rate_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace_backing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_placeholder, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
