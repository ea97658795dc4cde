#include "hypercall/batch.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/device.h"
#include "core/guest_mem.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/ratelimit.h"

/* Where the OUT part of a request starts: status, reserved, ret. */
#define REQ_OUT_OFF __builtin_offsetof(struct whc_req, status)
struct req_out {
	uint32_t status;
	uint32_t reserved;
	union whc_ret ret;
};
_Static_assert(sizeof(struct req_out) == sizeof(struct whc_req) - REQ_OUT_OFF,
	       "the OUT part is the tail of a request");
_Static_assert(__builtin_offsetof(struct whc_batch, done) == __builtin_offsetof(struct whc_batch, status) + 4,
	       "done follows status");

/* A host failure a guest can make happen again and again (a failing disk):
 * logged, but limited like a guest error. */
#define host_warn(...)                                                         \
	do {                                                                   \
		static struct ratelimit rl_;                                   \
		uint64_t dropped_;                                             \
		if (ratelimit_allow(&rl_, now_ns(), &dropped_))                \
			log_warn(__VA_ARGS__);                                 \
	} while (0)

/* The one way from a guest pointer to a host pointer. */
static void *gptr(const struct hc_host *h, whc_gptr p, uint64_t len)
{
	return gmem_ptr(h->mem, p.gpa, len);
}

static const char *const status_names[WHC_E_MAX] = {
	[WHC_OK] = "OK",
	[WHC_E_NOSYS] = "E_NOSYS",
	[WHC_E_FAULT] = "E_FAULT",
	[WHC_E_INVAL] = "E_INVAL",
	[WHC_E_TOOBIG] = "E_TOOBIG",
	[WHC_E_OVERLAP] = "E_OVERLAP",
	[WHC_E_VERSION] = "E_VERSION",
	[WHC_E_FEATURES] = "E_FEATURES",
	[WHC_E_ALIGN] = "E_ALIGN",
	[WHC_E_RANGE] = "E_RANGE",
	[WHC_E_NODEV] = "E_NODEV",
	[WHC_E_RDONLY] = "E_RDONLY",
	[WHC_E_IO] = "E_IO",
	[WHC_E_DOORBELL] = "E_DOORBELL",
	[WHC_E_NOTSUPP] = "E_NOTSUPP",
};

const char *hc_status_name(uint32_t status)
{
	return status < WHC_E_MAX && status_names[status] ? status_names[status] : "unknown status";
}

/* One batch being answered: the host's copy of it and where it lives. */
struct batch {
	struct hc_host *h;
	struct hc_scratch *s;
	enum hc_doorbell db;
	uint64_t gpa, len; /* header and requests */
};

/* --- buffers ---------------------------------------------------------------- */

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	/* Both ranges lie inside guest RAM: no sum overflows. */
	return alen && blen && a < b + blen && b < a + alen;
}

/* The host pointer for a request's buffer, or an error: outside RAM,
 * overlapping the batch, or overlapping another buffer of the batch when
 * either of the two is written by the host.  An accepted buffer is
 * remembered for the requests after it. */
static uint32_t take_buffer(struct batch *b, whc_gptr p, uint64_t len, bool host_writes, uint8_t **out)
{
	struct hc_scratch *s = b->s;

	*out = gptr(b->h, p, len);
	if (!*out)
		return WHC_E_FAULT;
	if (overlaps(p.gpa, len, b->gpa, b->len))
		return WHC_E_OVERLAP;
	for (unsigned i = 0; i < s->nspans; i++)
		if ((host_writes || s->span[i].host_writes) && overlaps(p.gpa, len, s->span[i].gpa, s->span[i].len))
			return WHC_E_OVERLAP;
	if (s->nspans < WHC_BATCH_MAX)
		s->span[s->nspans++] = (struct hc_span){ .gpa = p.gpa, .len = len, .host_writes = host_writes };
	return WHC_OK;
}

/* --- the calls ---------------------------------------------------------------- */

static bool zero_from(const union whc_args *a, unsigned first_word)
{
	for (unsigned i = first_word; i < sizeof(a->raw) / sizeof(a->raw[0]); i++)
		if (a->raw[i])
			return false;
	return true;
}

static uint32_t call_nop(struct batch *b, const struct whc_req *r, union whc_ret *ret)
{
	(void)b;
	(void)ret;
	return zero_from(&r->args, 0) ? WHC_OK : WHC_E_INVAL;
}

static uint32_t call_hello(struct batch *b, const struct whc_req *r, union whc_ret *ret)
{
	if (r->args.hello.zero || !zero_from(&r->args, 1))
		return WHC_E_INVAL;
	ret->hello.host_version = WHC_VERSION;
	ret->hello.batch_max = WHC_BATCH_MAX;
	ret->hello.features = b->h->features;
	return r->args.hello.guest_version == WHC_VERSION ? WHC_OK : WHC_E_VERSION;
}

static uint32_t write_all(int fd, const uint8_t *p, uint64_t len, uint64_t *done)
{
	*done = 0;
	while (*done < len) {
		ssize_t n = write(fd, p + *done, len - *done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return WHC_E_IO;
		*done += (uint64_t)n;
	}
	return WHC_OK;
}

static uint32_t call_console(struct batch *b, const struct whc_req *r, union whc_ret *ret)
{
	const struct whc_console_args *a = &r->args.console;
	uint8_t *p;
	uint32_t st;

	if (!zero_from(&r->args, 2))
		return WHC_E_INVAL;
	if (a->len > WHC_CONSOLE_MAX)
		return WHC_E_TOOBIG;
	st = take_buffer(b, a->buf, a->len, false, &p);
	if (st != WHC_OK)
		return st;
	st = write_all(b->h->console_fd, p, a->len, &ret->console.written);
	device_count(&b->h->counters->bytes, ret->console.written);
	return st;
}

static uint32_t call_block_info(struct batch *b, const struct whc_req *r, union whc_ret *ret)
{
	if (!zero_from(&r->args, 0))
		return WHC_E_INVAL;
	if (b->h->disk_fd < 0)
		return WHC_E_NODEV;
	ret->block_info.size = b->h->disk_size;
	ret->block_info.flags = b->h->disk_ro ? WHC_BLOCK_RO : 0;
	return WHC_OK;
}

static uint32_t block_rw(struct batch *b, const struct whc_req *r, union whc_ret *ret, bool write)
{
	const struct whc_block_args *a = &r->args.block;
	const struct hc_host *h = b->h;
	uint8_t *p;
	uint32_t st;

	if (h->disk_fd < 0)
		return WHC_E_NODEV;
	if (write && h->disk_ro)
		return WHC_E_RDONLY;
	if (a->len == 0)
		return WHC_E_INVAL;
	if (a->len > WHC_BLOCK_MAX)
		return WHC_E_TOOBIG;
	if (a->offset % WHC_SECTOR || a->len % WHC_SECTOR)
		return WHC_E_ALIGN;
	if (a->offset > h->disk_size || a->len > h->disk_size - a->offset)
		return WHC_E_RANGE;
	/* A read writes guest memory. */
	st = take_buffer(b, a->buf, a->len, !write, &p);
	if (st != WHC_OK)
		return st;
	while (ret->block.bytes < a->len) {
		uint64_t done = ret->block.bytes;
		off_t at = (off_t)(a->offset + done);
		ssize_t n = write ? pwrite(h->disk_fd, p + done, a->len - done, at)
				  : pread(h->disk_fd, p + done, a->len - done, at);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			host_warn("hypercall disk: %s at byte %llu: %s", write ? "write" : "read",
				 (unsigned long long)at, n < 0 ? strerror(errno) : "end of file");
			break;
		}
		ret->block.bytes += (uint64_t)n;
	}
	device_count(&b->h->counters->bytes, ret->block.bytes);
	return ret->block.bytes == a->len ? WHC_OK : WHC_E_IO;
}

static uint32_t call_block_read(struct batch *b, const struct whc_req *r, union whc_ret *ret)
{
	return block_rw(b, r, ret, false);
}

static uint32_t call_block_write(struct batch *b, const struct whc_req *r, union whc_ret *ret)
{
	return block_rw(b, r, ret, true);
}

static uint32_t call_idle(struct batch *b, const struct whc_req *r, union whc_ret *ret)
{
	(void)ret;
	if (!zero_from(&r->args, 0))
		return WHC_E_INVAL;
	if (b->db != HC_PORT)
		return WHC_E_DOORBELL; /* no vCPU waits on the fast doorbell */
	if (!(b->h->features & WHC_F_IDLE) || !b->h->idle)
		return WHC_E_NOTSUPP;
	if (!b->h->idle(b->h->idle_ctx)) {
		/* Offered, yet KVM refused: the host's failure, not the guest's. */
		host_warn("hypercall: KVM would not halt the vCPU for an idle call");
		return WHC_E_IO;
	}
	return WHC_OK;
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint32_t call_time(struct batch *b, const struct whc_req *r, union whc_ret *ret)
{
	(void)b;
	if (!zero_from(&r->args, 0))
		return WHC_E_INVAL;
	ret->time.monotonic_ns = clock_ns(CLOCK_MONOTONIC);
	ret->time.host_tsc = cycles();
	ret->time.realtime_ns = clock_ns(CLOCK_REALTIME);
	return WHC_OK;
}

static uint32_t call_fast_setup(struct batch *b, const struct whc_req *r, union whc_ret *ret)
{
	whc_gptr p = r->args.fast_setup.batch;

	(void)ret;
	if (!zero_from(&r->args, 1))
		return WHC_E_INVAL;
	if (p.gpa % WHC_BATCH_ALIGN)
		return WHC_E_ALIGN;
	if (!gptr(b->h, p, sizeof(struct whc_batch)))
		return WHC_E_FAULT;
	atomic_store_explicit(&b->h->fast_batch, p.gpa, memory_order_release);
	return WHC_OK;
}

/* The call table, bounded by WHC_CALL_MAX; call 0 has no entry. */
typedef uint32_t call_fn(struct batch *b, const struct whc_req *r, union whc_ret *ret);
static const struct {
	const char *name;
	call_fn *fn;
} calls[WHC_CALL_MAX] = {
	[WHC_CALL_RESERVED] = { "reserved", NULL },
	[WHC_CALL_HELLO] = { "hello", call_hello },
	[WHC_CALL_NOP] = { "nop", call_nop },
	[WHC_CALL_CONSOLE_WRITE] = { "console-write", call_console },
	[WHC_CALL_BLOCK_INFO] = { "block-info", call_block_info },
	[WHC_CALL_BLOCK_READ] = { "block-read", call_block_read },
	[WHC_CALL_BLOCK_WRITE] = { "block-write", call_block_write },
	[WHC_CALL_IDLE] = { "idle", call_idle },
	[WHC_CALL_TIME] = { "time", call_time },
	[WHC_CALL_FAST_SETUP] = { "fast-setup", call_fast_setup },
};
_Static_assert(sizeof(calls) / sizeof(calls[0]) == WHC_CALL_MAX, "WHC_CALL_MAX bounds the call table");

/* Every error a guest can cause in a request ends here: counted and
 * logged, limited. */
static void guest_error_req(struct batch *b, unsigned i, const struct whc_req *r, uint32_t st)
{
	device_count(&b->h->counters->errors, 1);
	log_guest("hypercall: %s doorbell, batch at 0x%llx, request %u (%s, call %u): %s",
		  b->db == HC_PORT ? "port" : "fast", (unsigned long long)b->gpa, i,
		  r->call < WHC_CALL_MAX ? calls[r->call].name : "unknown", r->call, hc_status_name(st));
}

static uint32_t answer_one(struct batch *b, const struct whc_req *r, union whc_ret *ret)
{
	if (r->call >= WHC_CALL_MAX || !calls[r->call].fn)
		return WHC_E_NOSYS;
	if (r->flags)
		return WHC_E_INVAL;
	return calls[r->call].fn(b, r, ret);
}

/* --- the batch ---------------------------------------------------------------- */

static uint32_t check_header(const struct hc_host *h, const struct whc_batch *hdr)
{
	if (hdr->version != WHC_VERSION)
		return WHC_E_VERSION;
	for (unsigned i = 0; i < sizeof(hdr->reserved) / sizeof(hdr->reserved[0]); i++)
		if (hdr->reserved[i])
			return WHC_E_INVAL;
	if (hdr->features & ~h->features)
		return WHC_E_FEATURES;
	if (hdr->count > WHC_BATCH_MAX)
		return WHC_E_TOOBIG;
	return WHC_OK;
}

/* The header's OUT fields: done, then status last (a guest polling the
 * status sees every answer once it changes). */
static void finish(uint8_t *hp, uint32_t status, uint32_t done)
{
	memcpy(hp + __builtin_offsetof(struct whc_batch, done), &done, sizeof(done));
	__atomic_store_n((uint32_t *)(void *)(hp + __builtin_offsetof(struct whc_batch, status)), status,
			 __ATOMIC_RELEASE);
}

uint32_t hc_answer(struct hc_host *h, struct hc_scratch *s, uint64_t gpa, enum hc_doorbell db)
{
	struct batch b = { .h = h, .s = s, .db = db, .gpa = gpa };
	struct whc_batch hdr;
	uint8_t *hp, *rp;
	uint32_t st;

	if (gpa % WHC_BATCH_ALIGN) {
		st = WHC_E_ALIGN;
		goto refused;
	}
	hp = gmem_ptr(h->mem, gpa, sizeof(hdr));
	if (!hp) {
		st = WHC_E_FAULT;
		goto refused;
	}
	memcpy(&hdr, hp, sizeof(hdr)); /* the one read of the header */
	st = check_header(h, &hdr);
	b.len = sizeof(hdr) + (uint64_t)hdr.count * sizeof(struct whc_req);
	rp = NULL;
	if (st == WHC_OK) {
		rp = gmem_ptr(h->mem, gpa + sizeof(hdr), (uint64_t)hdr.count * sizeof(struct whc_req));
		if (!rp)
			st = WHC_E_FAULT;
	}
	if (st != WHC_OK) {
		device_count(&h->counters->errors, 1);
		log_guest("hypercall: %s doorbell, batch at 0x%llx (version %u, %u requests): %s",
			  db == HC_PORT ? "port" : "fast", (unsigned long long)gpa, hdr.version, hdr.count,
			  hc_status_name(st));
		finish(hp, st, 0);
		return WHC_OK;
	}
	/* The one read of the requests: everything below looks at the copy. */
	memcpy(s->req, rp, (size_t)hdr.count * sizeof(struct whc_req));
	s->nspans = 0;
	for (unsigned i = 0; i < hdr.count; i++) {
		struct req_out out = { 0 };

		out.status = answer_one(&b, &s->req[i], &out.ret);
		if (out.status != WHC_OK && out.status != WHC_E_IO)
			guest_error_req(&b, i, &s->req[i], out.status);
		memcpy(rp + (size_t)i * sizeof(struct whc_req) + REQ_OUT_OFF, &out, sizeof(out));
	}
	device_count(&h->counters->requests, hdr.count);
	finish(hp, WHC_OK, hdr.count);
	return WHC_OK;
refused:
	device_count(&h->counters->errors, 1);
	log_guest("hypercall: %s doorbell: batch at 0x%llx: %s", db == HC_PORT ? "port" : "fast",
		  (unsigned long long)gpa, hc_status_name(st));
	return st;
}
