/* The hypercall ABI's host side (src/hypercall/batch.c): every validation
 * rule, on batches the guest library (guestlib/whc.c, compiled here for
 * the host) builds in fake guest memory with guard bytes around it.  Each
 * test also checks that the host wrote only OUT fields, and the teardown
 * that it wrote nothing outside guest RAM.  A console is a pipe, a disk a
 * temporary file; the idle call's hook plays a guest changing its batch
 * while the host answers it (no double fetch). */
#include <fcntl.h>
#include <time.h>

#include "core/device.h"
#include "core/guest_mem.h"
#include "hypercall/batch.h"
#include "unit.h"

#include "../../guestlib/whc.c"

#define RAM (4ULL << 20)
#define GUARD 4096
#define GUARD_BYTE 0x5a
#define BATCH 0x10000ULL      /* the batch the tests build */
#define DATA 0x100000ULL      /* buffers */
#define DISK_SECTORS 128
#define DISK_SIZE (DISK_SECTORS * WHC_SECTOR)
#define OUTSIDE (RAM + 0x100000) /* no RAM there */

struct fx {
	uint8_t *raw, *ram;
	struct guest_mem mem;
	struct hc_host h;
	struct hc_scratch *s;
	struct device_counters c;
	int con[2];
	char disk_path[64];
	struct whc_queue q;
	unsigned idle_calls;
	bool idle_result;
	void (*on_idle)(struct fx *f);
};

static bool idle_hook(void *ctx)
{
	struct fx *f = ctx;

	f->idle_calls++;
	if (f->on_idle)
		f->on_idle(f);
	return f->idle_result;
}

static int make_disk(struct fx *f)
{
	uint8_t sector[WHC_SECTOR];
	int fd;

	snprintf(f->disk_path, sizeof(f->disk_path), "/tmp/warden-hc-disk.XXXXXX");
	fd = mkstemp(f->disk_path);
	if (fd < 0)
		return -1;
	for (unsigned k = 0; k < DISK_SECTORS; k++) {
		memset(sector, (int)k, sizeof(sector));
		if (write(fd, sector, sizeof(sector)) != (ssize_t)sizeof(sector))
			return -1;
	}
	return fd;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->raw = aligned_alloc(4096, RAM + 2 * GUARD);
	f->s = calloc(1, sizeof(*f->s));
	if (!f->raw || !f->s || pipe2(f->con, O_CLOEXEC) < 0)
		return -1;
	/* Non-blocking both ways: a write the test did not expect fails
	 * (E_IO) instead of hanging on a full pipe. */
	fcntl(f->con[0], F_SETFL, O_NONBLOCK);
	fcntl(f->con[1], F_SETFL, O_NONBLOCK);
	memset(f->raw, GUARD_BYTE, RAM + 2 * GUARD);
	f->ram = f->raw + GUARD;
	memset(f->ram, 0, RAM);
	f->mem.map = f->ram;
	f->mem.map_len = RAM;
	gmem_layout(&f->mem, RAM);
	f->h = (struct hc_host){
		.mem = &f->mem, .console_fd = f->con[1], .disk_fd = make_disk(f), .disk_size = DISK_SIZE,
		.features = WHC_F_BLOCK | WHC_F_IDLE, .idle = idle_hook, .idle_ctx = f,
		.fast_batch = HC_NO_BATCH, .counters = &f->c,
	};
	f->idle_result = true;
	if (f->h.disk_fd < 0 || whc_init(&f->q, f->ram + BATCH, BATCH, WHC_BATCH_MAX) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	for (size_t i = 0; i < GUARD; i++) {
		if (f->raw[i] != GUARD_BYTE || f->ram[RAM + i] != GUARD_BYTE) {
			fprintf(stderr, "guard byte %zu around guest RAM overwritten\n", i);
			return -1;
		}
	}
	close(f->con[0]);
	close(f->con[1]);
	if (f->h.disk_fd >= 0)
		close(f->h.disk_fd);
	unlink(f->disk_path);
	free(f->s);
	free(f->raw);
	free(f);
	return 0;
}

static uint8_t *gp(struct fx *f, uint64_t gpa)
{
	return f->ram + gpa;
}

static volatile struct whc_req *req(struct fx *f, uint32_t i)
{
	return whc_req_at(&f->q, i);
}

/* The IN part of a request: everything before status. */
#define REQ_IN __builtin_offsetof(struct whc_req, status)

/* Ring the sealed batch at GPA (QUEUE's requests), and check that the host
 * wrote only OUT fields: the header's IN words and each request's IN part
 * are as they were. */
static uint32_t ring_at(struct fx *f, struct whc_queue *q, uint64_t gpa, enum hc_doorbell db)
{
	static uint8_t hdr_in[16], reqs_in[WHC_BATCH_MAX][REQ_IN], hdr_res[40];
	uint32_t n = q->hdr->count <= WHC_BATCH_MAX ? q->hdr->count : 0, st;
	bool check_in = gpa == q->gpa && !f->on_idle;

	if (check_in) {
		memcpy(hdr_in, (const void *)q->hdr, 16);
		memcpy(hdr_res, (const void *)q->hdr->reserved, 40);
		for (uint32_t i = 0; i < n; i++)
			memcpy(reqs_in[i], (const void *)&q->req[i], REQ_IN);
	}
	st = hc_answer(&f->h, f->s, gpa, db);
	if (check_in) {
		assert_memory_equal(hdr_in, (const void *)q->hdr, 16);
		assert_memory_equal(hdr_res, (const void *)q->hdr->reserved, 40);
		for (uint32_t i = 0; i < n; i++)
			assert_memory_equal(reqs_in[i], (const void *)&q->req[i], REQ_IN);
	}
	return st;
}

/* Seal the queue's batch and ring it; the doorbell's status. */
static uint32_t ring(struct fx *f, enum hc_doorbell db)
{
	whc_seal(&f->q);
	return ring_at(f, &f->q, f->q.gpa, db);
}

/* A batch of one request CALL with raw args; the request's status. */
static uint32_t one(struct fx *f, uint32_t call, uint64_t a0, uint64_t a1, uint64_t a2)
{
	volatile struct whc_req *r;

	whc_clear(&f->q);
	r = whc_add(&f->q, call);
	r->args.raw[0] = a0;
	r->args.raw[1] = a1;
	r->args.raw[2] = a2;
	assert_int_equal(ring(f, HC_PORT), WHC_OK);
	assert_int_equal(f->q.hdr->status, WHC_OK);
	assert_int_equal(f->q.hdr->done, 1);
	return r->status;
}

static size_t console_read(struct fx *f, char *buf, size_t cap)
{
	ssize_t n = read(f->con[0], buf, cap);

	return n > 0 ? (size_t)n : 0;
}

/* --- whole batches -------------------------------------------------------------- */

static void test_full_and_empty_batches(void **state)
{
	struct fx *f = *state;

	whc_clear(&f->q);
	for (int i = 0; i < WHC_BATCH_MAX; i++)
		assert_non_null(whc_nop(&f->q));
	assert_null(whc_nop(&f->q)); /* the library stops at its room */
	assert_int_equal(ring(f, HC_PORT), WHC_OK);
	assert_int_equal(f->q.hdr->status, WHC_OK);
	assert_int_equal(f->q.hdr->done, WHC_BATCH_MAX);
	for (uint32_t i = 0; i < WHC_BATCH_MAX; i++) {
		assert_int_equal(req(f, i)->status, WHC_OK);
		assert_int_equal(req(f, i)->reserved, 0);
	}
	assert_int_equal(f->c.requests, WHC_BATCH_MAX);
	whc_clear(&f->q);
	assert_int_equal(ring(f, HC_FAST), WHC_OK);
	assert_int_equal(f->q.hdr->status, WHC_OK);
	assert_int_equal(f->q.hdr->done, 0);
	assert_int_equal(f->c.errors, 0);
}

static void test_doorbell_misaligned(void **state)
{
	struct fx *f = *state;
	static const uint64_t offs[] = { 1, 8, 32, 63 };

	for (unsigned i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		whc_clear(&f->q);
		whc_nop(&f->q);
		whc_seal(&f->q);
		assert_int_equal(hc_answer(&f->h, f->s, BATCH + offs[i], HC_PORT), WHC_E_ALIGN);
		/* Nothing written: neither the header nor the bytes around it. */
		assert_int_equal(f->q.hdr->status, WHC_STATUS_PENDING);
		assert_int_equal(req(f, 0)->status, WHC_STATUS_PENDING);
	}
	assert_int_equal(f->c.errors, 4);
	assert_int_equal(f->c.requests, 0);
}

static void test_doorbell_outside_ram(void **state)
{
	struct fx *f = *state;
	static const uint64_t gpas[] = { RAM, RAM + 64, 1ULL << 32, UINT64_MAX & ~63ULL, RAM - 32 };
	static const uint32_t want[] = { WHC_E_FAULT, WHC_E_FAULT, WHC_E_FAULT, WHC_E_FAULT, WHC_E_ALIGN };

	for (unsigned i = 0; i < sizeof(gpas) / sizeof(gpas[0]); i++)
		assert_int_equal(hc_answer(&f->h, f->s, gpas[i], HC_PORT), want[i]);
	assert_int_equal(f->c.errors, 5);
	/* The last 64 bytes of RAM hold a header: an empty batch is fine. */
	memset(gp(f, RAM - 64), 0, 64);
	gp(f, RAM - 64)[0] = WHC_VERSION;
	u_wr32(gp(f, RAM - 64) + 16, WHC_STATUS_PENDING);
	assert_int_equal(hc_answer(&f->h, f->s, RAM - 64, HC_PORT), WHC_OK);
	assert_int_equal(u_rd32(gp(f, RAM - 64) + 16), WHC_OK);
}

static void batch_refused(struct fx *f, uint32_t want)
{
	assert_int_equal(ring_at(f, &f->q, f->q.gpa, HC_PORT), WHC_OK); /* the header was answered */
	assert_int_equal(f->q.hdr->status, want);
	assert_int_equal(f->q.hdr->done, 0);
	assert_int_equal(req(f, 0)->status, WHC_STATUS_PENDING); /* no request looked at */
}

static void test_batch_version(void **state)
{
	struct fx *f = *state;
	static const uint32_t versions[] = { 0, 2, 0xffffffffu };

	for (unsigned i = 0; i < 3; i++) {
		whc_clear(&f->q);
		whc_nop(&f->q);
		whc_seal(&f->q);
		f->q.hdr->version = versions[i];
		batch_refused(f, WHC_E_VERSION);
	}
	assert_int_equal(f->c.errors, 3);
	assert_int_equal(f->c.requests, 0);
}

static void test_batch_reserved(void **state)
{
	struct fx *f = *state;

	for (unsigned i = 0; i < 5; i++) {
		whc_clear(&f->q);
		whc_nop(&f->q);
		whc_seal(&f->q);
		f->q.hdr->reserved[i] = 1ULL << (i * 13);
		batch_refused(f, WHC_E_INVAL);
	}
	assert_int_equal(f->c.errors, 5);
}

static void test_batch_features(void **state)
{
	struct fx *f = *state;

	whc_clear(&f->q);
	whc_nop(&f->q);
	f->q.features = 1ULL << 63;
	whc_seal(&f->q);
	batch_refused(f, WHC_E_FEATURES);
	f->q.features = WHC_F_FAST_NOEXIT; /* known, but not offered here */
	whc_seal(&f->q);
	batch_refused(f, WHC_E_FEATURES);
	f->h.features = WHC_F_IDLE; /* no disk */
	f->q.features = WHC_F_BLOCK;
	whc_seal(&f->q);
	batch_refused(f, WHC_E_FEATURES);
	f->q.features = WHC_F_IDLE; /* offered: fine */
	assert_int_equal(ring(f, HC_PORT), WHC_OK);
	assert_int_equal(f->q.hdr->status, WHC_OK);
	assert_int_equal(f->c.errors, 3);
}

static void test_batch_count(void **state)
{
	struct fx *f = *state;
	static const uint32_t counts[] = { WHC_BATCH_MAX + 1, 0x10000000, 0xffffffffu };

	for (unsigned i = 0; i < 3; i++) {
		whc_clear(&f->q);
		whc_nop(&f->q);
		whc_seal(&f->q);
		f->q.hdr->count = counts[i];
		batch_refused(f, WHC_E_TOOBIG);
	}
	assert_int_equal(f->c.errors, 3);
}

static void test_batch_requests_outside_ram(void **state)
{
	struct fx *f = *state;
	struct whc_queue edge;

	/* A header in the last 64 bytes: one request would lie past RAM. */
	assert_int_equal(whc_init(&edge, gp(f, RAM - 64), RAM - 64, 1), 0);
	edge.n = 1;
	whc_seal(&edge);
	assert_int_equal(ring_at(f, &edge, RAM - 64, HC_PORT), WHC_OK);
	assert_int_equal(edge.hdr->status, WHC_E_FAULT);
	assert_int_equal(f->c.errors, 1);
	/* 128 bytes before the end: header and one request fit exactly. */
	assert_int_equal(whc_init(&edge, gp(f, RAM - 128), RAM - 128, 1), 0);
	whc_nop(&edge);
	whc_seal(&edge);
	assert_int_equal(ring_at(f, &edge, RAM - 128, HC_PORT), WHC_OK);
	assert_int_equal(edge.hdr->status, WHC_OK);
	assert_int_equal(edge.req[0].status, WHC_OK);
	/* ...and two do not. */
	edge.n = 2;
	whc_seal(&edge);
	assert_int_equal(ring_at(f, &edge, RAM - 128, HC_PORT), WHC_OK);
	assert_int_equal(edge.hdr->status, WHC_E_FAULT);
	assert_int_equal(f->c.errors, 2);
}

/* --- requests -------------------------------------------------------------------- */

static void test_call_numbers(void **state)
{
	struct fx *f = *state;

	assert_int_equal(one(f, WHC_CALL_RESERVED, 0, 0, 0), WHC_E_NOSYS);
	assert_int_equal(one(f, WHC_CALL_MAX, 0, 0, 0), WHC_E_NOSYS);
	assert_int_equal(one(f, WHC_CALL_MAX + 1, 0, 0, 0), WHC_E_NOSYS);
	assert_int_equal(one(f, 0xffffffffu, 0, 0, 0), WHC_E_NOSYS);
	assert_int_equal(one(f, WHC_CALL_NOP, 0, 0, 0), WHC_OK);
	assert_int_equal(f->c.errors, 4);
	assert_int_equal(f->c.requests, 5);
}

static void test_flags(void **state)
{
	struct fx *f = *state;

	for (uint32_t call = 1; call < WHC_CALL_MAX; call++) {
		whc_clear(&f->q);
		whc_add(&f->q, call)->flags = 1u << (call % 32);
		assert_int_equal(ring(f, HC_PORT), WHC_OK);
		assert_int_equal(req(f, 0)->status, WHC_E_INVAL);
	}
	assert_int_equal(f->c.errors, WHC_CALL_MAX - 1);
	assert_int_equal(f->idle_calls, 0); /* the idle call was not made */
}

/* Every argument word a call does not use must be 0. */
static void test_unused_args(void **state)
{
	struct fx *f = *state;
	static const struct {
		uint32_t call;
		unsigned first_unused; /* words from here on are unused */
	} calls[] = {
		{ WHC_CALL_NOP, 0 }, { WHC_CALL_BLOCK_INFO, 0 }, { WHC_CALL_IDLE, 0 }, { WHC_CALL_TIME, 0 },
		{ WHC_CALL_HELLO, 1 }, { WHC_CALL_FAST_SETUP, 1 }, { WHC_CALL_CONSOLE_WRITE, 2 },
	};
	unsigned n = 0;

	for (unsigned i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		for (unsigned w = calls[i].first_unused; w < 3; w++) {
			uint64_t a[3] = { 0, 0, 0 };

			if (calls[i].call == WHC_CALL_HELLO)
				a[0] = WHC_VERSION;
			if (calls[i].call == WHC_CALL_FAST_SETUP)
				a[0] = BATCH;
			if (calls[i].call == WHC_CALL_CONSOLE_WRITE)
				a[0] = DATA;
			a[w] = 1ULL << (w * 20 + i);
			assert_int_equal(one(f, calls[i].call, a[0], a[1], a[2]), WHC_E_INVAL);
			n++;
		}
	/* HELLO's second 32-bit word is ZERO too. */
	assert_int_equal(one(f, WHC_CALL_HELLO, WHC_VERSION | 1ULL << 32, 0, 0), WHC_E_INVAL);
	assert_int_equal(f->c.errors, n + 1);
	assert_int_equal(f->idle_calls, 0);
	assert_int_equal(__atomic_load_n(&f->h.fast_batch, __ATOMIC_RELAXED), HC_NO_BATCH);
}

static void test_hello(void **state)
{
	struct fx *f = *state;
	volatile struct whc_req *r;

	whc_clear(&f->q);
	r = whc_hello(&f->q);
	assert_int_equal(ring(f, HC_FAST), WHC_OK);
	assert_int_equal(r->status, WHC_OK);
	assert_int_equal(r->ret.hello.host_version, WHC_VERSION);
	assert_int_equal(r->ret.hello.batch_max, WHC_BATCH_MAX);
	assert_int_equal(r->ret.hello.features, WHC_F_BLOCK | WHC_F_IDLE);
	r->ret.hello.features = 0;
	r->args.hello.guest_version = 2;
	assert_int_equal(ring(f, HC_PORT), WHC_OK);
	assert_int_equal(r->status, WHC_E_VERSION);
	assert_int_equal(r->ret.hello.host_version, WHC_VERSION);
	assert_int_equal(r->ret.hello.features, WHC_F_BLOCK | WHC_F_IDLE);
	assert_int_equal(f->c.errors, 1);
}

static void test_console(void **state)
{
	struct fx *f = *state;
	static const char msg[] = "hello from the guest\n";
	char buf[8192];
	volatile struct whc_req *r, *r2;

	memcpy(gp(f, DATA), msg, sizeof(msg) - 1);
	whc_clear(&f->q);
	r = whc_console(&f->q, DATA, sizeof(msg) - 1);
	r2 = whc_console(&f->q, DATA, 0);
	assert_int_equal(ring(f, HC_PORT), WHC_OK);
	assert_int_equal(r->status, WHC_OK);
	assert_int_equal(r->ret.console.written, sizeof(msg) - 1);
	assert_int_equal(r2->status, WHC_OK);
	assert_int_equal(r2->ret.console.written, 0);
	assert_int_equal(console_read(f, buf, sizeof(buf)), sizeof(msg) - 1);
	assert_memory_equal(buf, msg, sizeof(msg) - 1);
	assert_int_equal(f->c.bytes, sizeof(msg) - 1);
	/* The limit, and one byte more. */
	assert_int_equal(one(f, WHC_CALL_CONSOLE_WRITE, DATA, WHC_CONSOLE_MAX, 0), WHC_OK);
	assert_int_equal(console_read(f, buf, sizeof(buf)), WHC_CONSOLE_MAX);
	assert_int_equal(one(f, WHC_CALL_CONSOLE_WRITE, DATA, WHC_CONSOLE_MAX + 1, 0), WHC_E_TOOBIG);
	assert_int_equal(one(f, WHC_CALL_CONSOLE_WRITE, DATA, UINT64_MAX, 0), WHC_E_TOOBIG);
	/* Outside RAM, across its end, and the last byte of it. */
	assert_int_equal(one(f, WHC_CALL_CONSOLE_WRITE, OUTSIDE, 1, 0), WHC_E_FAULT);
	assert_int_equal(one(f, WHC_CALL_CONSOLE_WRITE, RAM - 8, 16, 0), WHC_E_FAULT);
	assert_int_equal(one(f, WHC_CALL_CONSOLE_WRITE, UINT64_MAX - 4, 16, 0), WHC_E_FAULT);
	assert_int_equal(one(f, WHC_CALL_CONSOLE_WRITE, RAM - 1, 1, 0), WHC_OK);
	/* The batch itself: the header, a request, the last byte of the batch;
	 * the byte after it is fine. */
	assert_int_equal(one(f, WHC_CALL_CONSOLE_WRITE, BATCH, 4, 0), WHC_E_OVERLAP);
	assert_int_equal(one(f, WHC_CALL_CONSOLE_WRITE, BATCH + 64 + 40, 4, 0), WHC_E_OVERLAP);
	assert_int_equal(one(f, WHC_CALL_CONSOLE_WRITE, BATCH - 4, 5, 0), WHC_E_OVERLAP);
	assert_int_equal(one(f, WHC_CALL_CONSOLE_WRITE, BATCH + 127, 1, 0), WHC_E_OVERLAP);
	assert_int_equal(one(f, WHC_CALL_CONSOLE_WRITE, BATCH + 128, 1, 0), WHC_OK);
	assert_int_equal(one(f, WHC_CALL_CONSOLE_WRITE, BATCH - 4, 4, 0), WHC_OK);
	assert_int_equal(f->c.errors, 9);
}

static void test_console_host_failure(void **state)
{
	struct fx *f = *state;

	f->h.console_fd = f->con[0]; /* the read end: every write fails */
	assert_int_equal(one(f, WHC_CALL_CONSOLE_WRITE, DATA, 4, 0), WHC_E_IO);
	assert_int_equal(f->c.errors, 0); /* the host's failure, not the guest's */
	assert_int_equal(f->c.requests, 1);
}

static void test_block_info(void **state)
{
	struct fx *f = *state;
	volatile struct whc_req *r;

	whc_clear(&f->q);
	r = whc_block_info(&f->q);
	assert_int_equal(ring(f, HC_PORT), WHC_OK);
	assert_int_equal(r->status, WHC_OK);
	assert_int_equal(r->ret.block_info.size, DISK_SIZE);
	assert_int_equal(r->ret.block_info.flags, 0);
	f->h.disk_ro = true;
	assert_int_equal(ring(f, HC_FAST), WHC_OK);
	assert_int_equal(r->ret.block_info.flags, WHC_BLOCK_RO);
	close(f->h.disk_fd);
	f->h.disk_fd = -1;
	assert_int_equal(one(f, WHC_CALL_BLOCK_INFO, 0, 0, 0), WHC_E_NODEV);
	assert_int_equal(f->c.errors, 1);
}

static void test_block_read_write(void **state)
{
	struct fx *f = *state;
	volatile struct whc_req *r, *r2;
	uint8_t sector[WHC_SECTOR];

	whc_clear(&f->q);
	r = whc_block_read(&f->q, 5 * WHC_SECTOR, DATA, 2 * WHC_SECTOR);
	r2 = whc_block_read(&f->q, 0, DATA + 0x10000, WHC_BLOCK_MAX);
	assert_int_equal(ring(f, HC_PORT), WHC_OK);
	assert_int_equal(r->status, WHC_OK);
	assert_int_equal(r->ret.block.bytes, 2 * WHC_SECTOR);
	for (unsigned i = 0; i < 2 * WHC_SECTOR; i++)
		assert_int_equal(gp(f, DATA)[i], 5 + i / WHC_SECTOR);
	assert_int_equal(r2->status, WHC_OK);
	for (unsigned i = 0; i < WHC_BLOCK_MAX; i++)
		assert_int_equal(gp(f, DATA + 0x10000)[i], (uint8_t)(i / WHC_SECTOR));
	assert_int_equal(f->c.bytes, 2 * WHC_SECTOR + WHC_BLOCK_MAX);
	/* The last sector, and a write. */
	assert_int_equal(one(f, WHC_CALL_BLOCK_READ, DISK_SIZE - WHC_SECTOR, DATA, WHC_SECTOR), WHC_OK);
	assert_int_equal(gp(f, DATA)[0], DISK_SECTORS - 1);
	memset(gp(f, DATA), 0xee, WHC_SECTOR);
	assert_int_equal(one(f, WHC_CALL_BLOCK_WRITE, 7 * WHC_SECTOR, DATA, WHC_SECTOR), WHC_OK);
	assert_int_equal(pread(f->h.disk_fd, sector, sizeof(sector), 7 * WHC_SECTOR), WHC_SECTOR);
	for (unsigned i = 0; i < WHC_SECTOR; i++)
		assert_int_equal(sector[i], 0xee);
	assert_int_equal(pread(f->h.disk_fd, sector, sizeof(sector), 8 * WHC_SECTOR), WHC_SECTOR);
	assert_int_equal(sector[0], 8);
	assert_int_equal(f->c.errors, 0);
}

static void test_block_checks(void **state)
{
	struct fx *f = *state;
	uint32_t rd = WHC_CALL_BLOCK_READ, wr = WHC_CALL_BLOCK_WRITE;
	uint8_t sector[WHC_SECTOR];

	assert_int_equal(one(f, rd, 0, DATA, 0), WHC_E_INVAL);
	assert_int_equal(one(f, rd, 0, DATA, WHC_BLOCK_MAX + WHC_SECTOR), WHC_E_TOOBIG);
	assert_int_equal(one(f, rd, 0, DATA, UINT64_MAX), WHC_E_TOOBIG);
	assert_int_equal(one(f, rd, 1, DATA, WHC_SECTOR), WHC_E_ALIGN);
	assert_int_equal(one(f, rd, WHC_SECTOR / 2, DATA, WHC_SECTOR), WHC_E_ALIGN);
	assert_int_equal(one(f, rd, 0, DATA, 100), WHC_E_ALIGN);
	assert_int_equal(one(f, rd, DISK_SIZE, DATA, WHC_SECTOR), WHC_E_RANGE);
	assert_int_equal(one(f, rd, DISK_SIZE - WHC_SECTOR, DATA, 2 * WHC_SECTOR), WHC_E_RANGE);
	assert_int_equal(one(f, rd, UINT64_MAX - (WHC_SECTOR - 1), DATA, 2 * WHC_SECTOR), WHC_E_RANGE);
	assert_int_equal(one(f, rd, 0ULL - 2 * WHC_SECTOR, DATA, 4 * WHC_SECTOR), WHC_E_RANGE);
	assert_int_equal(one(f, rd, 0, OUTSIDE, WHC_SECTOR), WHC_E_FAULT);
	assert_int_equal(one(f, rd, 0, RAM - 256, WHC_SECTOR), WHC_E_FAULT);
	assert_int_equal(one(f, wr, 0, RAM - 256, WHC_SECTOR), WHC_E_FAULT);
	assert_int_equal(one(f, rd, 0, BATCH, WHC_SECTOR), WHC_E_OVERLAP);
	assert_int_equal(one(f, wr, 0, BATCH - 256, WHC_SECTOR), WHC_E_OVERLAP);
	assert_int_equal(f->c.errors, 15);
	/* Read-only comes before every other check of a write; reads go on. */
	f->h.disk_ro = true;
	assert_int_equal(one(f, wr, 1, OUTSIDE, 0), WHC_E_RDONLY);
	assert_int_equal(one(f, wr, 0, DATA, WHC_SECTOR), WHC_E_RDONLY);
	assert_int_equal(one(f, rd, 0, DATA, WHC_SECTOR), WHC_OK);
	/* No disk comes before everything. */
	close(f->h.disk_fd);
	f->h.disk_fd = -1;
	assert_int_equal(one(f, rd, 1, OUTSIDE, 0), WHC_E_NODEV);
	assert_int_equal(one(f, wr, 1, OUTSIDE, 0), WHC_E_NODEV);
	assert_int_equal(f->c.errors, 19);
	/* Nothing was written to the disk by the refused writes. */
	f->h.disk_fd = open(f->disk_path, O_RDONLY | O_CLOEXEC);
	assert_int_equal(pread(f->h.disk_fd, sector, sizeof(sector), 0), WHC_SECTOR);
	assert_int_equal(sector[0], 0);
}

static void test_block_host_failure(void **state)
{
	struct fx *f = *state;
	int real = f->h.disk_fd;
	volatile struct whc_req *r, *r2;

	/* A disk the host cannot read (a pipe: pread fails). */
	f->h.disk_fd = f->con[0];
	whc_clear(&f->q);
	r = whc_block_read(&f->q, 0, DATA, WHC_SECTOR);
	r2 = whc_nop(&f->q);
	assert_int_equal(ring(f, HC_PORT), WHC_OK);
	assert_int_equal(r->status, WHC_E_IO);
	assert_int_equal(r->ret.block.bytes, 0);
	assert_int_equal(r2->status, WHC_OK);
	/* A file shorter than the disk it was taken for: the read stops at
	 * its end, with what it got. */
	f->h.disk_fd = real;
	assert_int_equal(ftruncate(real, DISK_SIZE - WHC_SECTOR / 2), 0);
	whc_clear(&f->q);
	r = whc_block_read(&f->q, DISK_SIZE - WHC_SECTOR, DATA, WHC_SECTOR);
	assert_int_equal(ring(f, HC_PORT), WHC_OK);
	assert_int_equal(r->status, WHC_E_IO);
	assert_int_equal(r->ret.block.bytes, WHC_SECTOR / 2);
	assert_int_equal(f->c.bytes, WHC_SECTOR / 2);
	assert_int_equal(f->c.errors, 0);
}

/* A buffer the host writes shares no byte with another of the batch. */
static void test_overlap_rules(void **state)
{
	struct fx *f = *state;
	volatile struct whc_req *r[6];

	whc_clear(&f->q);
	r[0] = whc_block_read(&f->q, 0, DATA, 2 * WHC_SECTOR);
	r[1] = whc_block_read(&f->q, 0, DATA + WHC_SECTOR, WHC_SECTOR);    /* inside r0's */
	r[2] = whc_console(&f->q, DATA + 2 * WHC_SECTOR - 1, 1);           /* r0's last byte */
	r[3] = whc_block_write(&f->q, 0, DATA - 1, 2);                     /* r0's first byte */
	r[4] = whc_block_read(&f->q, 0, DATA + 2 * WHC_SECTOR, WHC_SECTOR); /* right after: fine */
	r[5] = whc_console(&f->q, DATA - 16, 16);                          /* right before: fine */
	assert_int_equal(ring(f, HC_PORT), WHC_OK);
	assert_int_equal(r[0]->status, WHC_OK);
	assert_int_equal(r[1]->status, WHC_E_OVERLAP);
	assert_int_equal(r[2]->status, WHC_E_OVERLAP);
	assert_int_equal(r[3]->status, WHC_E_ALIGN); /* its length first */
	assert_int_equal(r[4]->status, WHC_OK);
	assert_int_equal(r[5]->status, WHC_OK);
	/* A buffer the host reads, then a read into it. */
	whc_clear(&f->q);
	r[0] = whc_console(&f->q, DATA, 8);
	r[1] = whc_block_write(&f->q, WHC_SECTOR, DATA + 0x1000, WHC_SECTOR);
	r[2] = whc_block_read(&f->q, 0, DATA + 0x1000 + WHC_SECTOR - 1, WHC_SECTOR); /* r1's last byte */
	r[3] = whc_block_read(&f->q, 0, DATA + 4, WHC_SECTOR);                       /* r0's bytes */
	r[4] = whc_console(&f->q, DATA + 0x1000, 8);   /* two buffers only read: fine */
	r[5] = whc_block_write(&f->q, 2 * WHC_SECTOR, DATA, WHC_SECTOR); /* likewise */
	assert_int_equal(ring(f, HC_FAST), WHC_OK);
	assert_int_equal(r[0]->status, WHC_OK);
	assert_int_equal(r[1]->status, WHC_OK);
	assert_int_equal(r[2]->status, WHC_E_OVERLAP);
	assert_int_equal(r[3]->status, WHC_E_OVERLAP);
	assert_int_equal(r[4]->status, WHC_OK);
	assert_int_equal(r[5]->status, WHC_OK);
	assert_int_equal(f->c.errors, 5);
	/* Each batch starts afresh: the same buffers again are fine. */
	whc_clear(&f->q);
	r[0] = whc_block_read(&f->q, 0, DATA + WHC_SECTOR, WHC_SECTOR);
	assert_int_equal(ring(f, HC_PORT), WHC_OK);
	assert_int_equal(r[0]->status, WHC_OK);
}

/* A refused request reserves no buffer for the overlap rule. */
static void test_refused_buffers_not_kept(void **state)
{
	struct fx *f = *state;
	volatile struct whc_req *r[4];

	f->h.disk_ro = true;
	whc_clear(&f->q);
	r[0] = whc_block_read(&f->q, DISK_SIZE, DATA, WHC_SECTOR);     /* E_RANGE */
	r[1] = whc_block_write(&f->q, 0, DATA, WHC_SECTOR);            /* E_RDONLY */
	r[2] = whc_console(&f->q, DATA, WHC_CONSOLE_MAX + 1);          /* E_TOOBIG */
	r[3] = whc_block_read(&f->q, 0, DATA, WHC_SECTOR);             /* fine */
	assert_int_equal(ring(f, HC_PORT), WHC_OK);
	assert_int_equal(r[0]->status, WHC_E_RANGE);
	assert_int_equal(r[1]->status, WHC_E_RDONLY);
	assert_int_equal(r[2]->status, WHC_E_TOOBIG);
	assert_int_equal(r[3]->status, WHC_OK);
	assert_int_equal(f->c.errors, 3);
}

static void test_idle(void **state)
{
	struct fx *f = *state;
	volatile struct whc_req *r;

	whc_clear(&f->q);
	r = whc_idle(&f->q);
	assert_int_equal(ring(f, HC_PORT), WHC_OK);
	assert_int_equal(r->status, WHC_OK);
	assert_int_equal(f->idle_calls, 1);
	/* No vCPU waits on the fast doorbell. */
	assert_int_equal(ring(f, HC_FAST), WHC_OK);
	assert_int_equal(r->status, WHC_E_DOORBELL);
	assert_int_equal(f->idle_calls, 1);
	/* Not offered (no in-kernel irqchip). */
	f->h.features &= ~WHC_F_IDLE;
	assert_int_equal(ring(f, HC_PORT), WHC_OK);
	assert_int_equal(r->status, WHC_E_NOTSUPP);
	assert_int_equal(f->idle_calls, 1);
	assert_int_equal(f->c.errors, 2);
	/* Offered, but KVM refused: the host's failure. */
	f->h.features |= WHC_F_IDLE;
	f->idle_result = false;
	assert_int_equal(ring(f, HC_PORT), WHC_OK);
	assert_int_equal(r->status, WHC_E_IO);
	assert_int_equal(f->idle_calls, 2);
	assert_int_equal(f->c.errors, 2);
}

static void test_time(void **state)
{
	struct fx *f = *state;
	volatile struct whc_req *r, *r2;
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	whc_clear(&f->q);
	r = whc_time(&f->q);
	r2 = whc_time(&f->q);
	assert_int_equal(ring(f, HC_FAST), WHC_OK);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_int_equal(r->status, WHC_OK);
	assert_true(r->ret.time.monotonic_ns >= (uint64_t)a.tv_sec * 1000000000ULL + (uint64_t)a.tv_nsec);
	assert_true(r2->ret.time.monotonic_ns >= r->ret.time.monotonic_ns);
	assert_true(r2->ret.time.monotonic_ns <= (uint64_t)b.tv_sec * 1000000000ULL + (uint64_t)b.tv_nsec);
	assert_true(r2->ret.time.host_tsc >= r->ret.time.host_tsc);
	assert_true(r->ret.time.realtime_ns > 1600000000ULL * 1000000000ULL); /* after 2020 */
}

static void test_fast_setup(void **state)
{
	struct fx *f = *state;

	assert_int_equal(one(f, WHC_CALL_FAST_SETUP, BATCH + 32, 0, 0), WHC_E_ALIGN);
	assert_int_equal(one(f, WHC_CALL_FAST_SETUP, OUTSIDE, 0, 0), WHC_E_FAULT);
	assert_int_equal(one(f, WHC_CALL_FAST_SETUP, RAM, 0, 0), WHC_E_FAULT);
	assert_int_equal(__atomic_load_n(&f->h.fast_batch, __ATOMIC_RELAXED), HC_NO_BATCH);
	assert_int_equal(one(f, WHC_CALL_FAST_SETUP, RAM - 64, 0, 0), WHC_OK);
	assert_int_equal(__atomic_load_n(&f->h.fast_batch, __ATOMIC_RELAXED), RAM - 64);
	assert_int_equal(one(f, WHC_CALL_FAST_SETUP, 0x2000, 0, 0), WHC_OK);
	assert_int_equal(__atomic_load_n(&f->h.fast_batch, __ATOMIC_RELAXED), 0x2000);
	assert_int_equal(f->c.errors, 3);
}

/* The guest rewrites its batch while the host answers it (here from the
 * idle hook, on the host's own thread): the host answers what it copied. */
static void rewrite_batch(struct fx *f)
{
	req(f, 2)->call = WHC_CALL_RESERVED;
	req(f, 2)->flags = 7;
	req(f, 3)->args.console.buf.gpa = OUTSIDE;
	req(f, 3)->args.console.len = 1ULL << 40;
	f->q.hdr->count = 0xffffffffu;
	f->q.hdr->version = 9;
}

static void test_no_double_fetch(void **state)
{
	struct fx *f = *state;
	volatile struct whc_req *r[4];

	memcpy(gp(f, DATA), "abcd", 4);
	whc_clear(&f->q);
	r[0] = whc_nop(&f->q);
	r[1] = whc_idle(&f->q);
	r[2] = whc_nop(&f->q);
	r[3] = whc_console(&f->q, DATA, 4);
	f->on_idle = rewrite_batch;
	assert_int_equal(ring(f, HC_PORT), WHC_OK);
	assert_int_equal(f->idle_calls, 1);
	assert_int_equal(r[0]->status, WHC_OK);
	assert_int_equal(r[1]->status, WHC_OK);
	assert_int_equal(r[2]->status, WHC_OK);
	assert_int_equal(r[3]->status, WHC_OK);
	assert_int_equal(r[3]->ret.console.written, 4);
	assert_int_equal(f->q.hdr->done, 4);
	assert_int_equal(f->q.hdr->status, WHC_OK);
	assert_int_equal(f->c.requests, 4);
	assert_int_equal(f->c.errors, 0);
	/* What the guest rewrote stays rewritten: the host writes OUT fields only. */
	assert_int_equal(req(f, 2)->call, WHC_CALL_RESERVED);
	assert_int_equal(req(f, 2)->flags, 7);
	assert_int_equal(req(f, 3)->args.console.buf.gpa, OUTSIDE);
	assert_int_equal(f->q.hdr->count, 0xffffffffu);
	assert_int_equal(f->q.hdr->version, 9);
}

static void test_status_names(void **state)
{
	(void)state;
	assert_string_equal(hc_status_name(WHC_OK), "OK");
	assert_string_equal(hc_status_name(WHC_E_OVERLAP), "E_OVERLAP");
	assert_string_equal(hc_status_name(WHC_E_NOTSUPP), "E_NOTSUPP");
	assert_string_equal(hc_status_name(WHC_E_MAX), "unknown status");
	assert_string_equal(hc_status_name(WHC_STATUS_PENDING), "unknown status");
}

/* A hostile guest: random headers and requests, addresses near every edge.
 * Nothing may crash, trip a sanitizer, write outside RAM (the teardown's
 * guard bytes) or write IN fields; the counters add up. */
static void test_random_batches(void **state)
{
	struct fx *f = *state;
	static const uint64_t edges[] = { 0, DATA, BATCH, BATCH + 64, RAM - 64, RAM - 1, RAM, OUTSIDE,
					  1ULL << 32, UINT64_MAX - 63, UINT64_MAX };
	/* Headers the doorbell cannot use (outside RAM, or misaligned). */
	static const uint64_t bad_headers[] = { RAM, OUTSIDE, 1ULL << 32, UINT64_MAX - 63, UINT64_MAX,
						BATCH + 1, DATA + 8, RAM - 32 };
	uint64_t seed = 0x6879706572ULL, answered = 0, refused = 0;
	char sink[65536];

	f->h.features |= WHC_F_FAST_NOEXIT;
	for (int round = 0; round < 4000; round++) {
		uint32_t n = (uint32_t)u_below(&seed, 12);

		whc_clear(&f->q);
		for (uint32_t i = 0; i < n; i++) {
			volatile struct whc_req *r = whc_add(&f->q, (uint32_t)u_below(&seed, WHC_CALL_MAX + 2));

			if (r->call == WHC_CALL_IDLE)
				r->call = WHC_CALL_NOP; /* the hook would count every one */
			r->flags = u_below(&seed, 16) == 0;
			for (int w = 0; w < 3; w++) {
				switch (u_below(&seed, 4)) {
				case 0: r->args.raw[w] = 0; break;
				case 1: r->args.raw[w] = edges[u_below(&seed, sizeof(edges) / sizeof(edges[0]))]; break;
				case 2: r->args.raw[w] = u_below(&seed, 2 * WHC_BLOCK_MAX) & ~(uint64_t)(u_below(&seed, 2) ? 511 : 0); break;
				default: r->args.raw[w] = u_rand(&seed); break;
				}
			}
			if (r->call == WHC_CALL_HELLO && u_below(&seed, 2))
				r->args.raw[0] = WHC_VERSION;
		}
		whc_seal(&f->q);
		if (u_below(&seed, 8) == 0)
			f->q.hdr->version = (uint32_t)u_rand(&seed);
		if (u_below(&seed, 8) == 0)
			f->q.hdr->features = 1ULL << u_below(&seed, 64);
		if (u_below(&seed, 8) == 0)
			f->q.hdr->count = (uint32_t)u_rand(&seed);
		if (ring_at(f, &f->q, f->q.gpa, u_below(&seed, 2) ? HC_PORT : HC_FAST) != WHC_OK)
			fail_msg("an aligned header in RAM was not answered in place");
		if (f->q.hdr->status == WHC_OK)
			answered += f->q.hdr->done;
		else
			refused++;
		while (console_read(f, sink, sizeof(sink)))
			;
		if (u_below(&seed, 4) == 0) {
			assert_int_not_equal(hc_answer(&f->h, f->s, bad_headers[u_below(&seed, 8)], HC_PORT), WHC_OK);
			refused++;
		}
	}
	assert_int_equal(f->c.requests, answered);
	assert_true(f->c.errors >= refused);
	assert_true(answered > 1000 && refused > 100);
	/* A whole batch answered after all that. */
	whc_clear(&f->q);
	whc_nop(&f->q);
	assert_int_equal(ring(f, HC_PORT), WHC_OK);
	assert_int_equal(f->q.hdr->status, WHC_OK);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_full_and_empty_batches),
		T(test_doorbell_misaligned),
		T(test_doorbell_outside_ram),
		T(test_batch_version),
		T(test_batch_reserved),
		T(test_batch_features),
		T(test_batch_count),
		T(test_batch_requests_outside_ram),
		T(test_call_numbers),
		T(test_flags),
		T(test_unused_args),
		T(test_hello),
		T(test_console),
		T(test_console_host_failure),
		T(test_block_info),
		T(test_block_read_write),
		T(test_block_checks),
		T(test_block_host_failure),
		T(test_overlap_rules),
		T(test_refused_buffers_not_kept),
		T(test_idle),
		T(test_time),
		T(test_fast_setup),
		T(test_no_double_fetch),
		T(test_status_names),
		T(test_random_batches),
	};

	return cmocka_run_group_tests_name("hypercall", tests, NULL, NULL);
}
