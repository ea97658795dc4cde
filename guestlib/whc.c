/* The guest library: see whc.h. */
#include "whc.h"

#define barrier() __asm__ volatile("" ::: "memory")

void whc_outl(uint16_t port, uint32_t value)
{
	__asm__ volatile("outl %0, %1" : : "a"(value), "Nd"(port) : "memory");
}

uint32_t whc_port_status(void)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"((uint16_t)WHC_PORT_DOORBELL) : "memory");
	return v;
}

int whc_init(struct whc_queue *q, void *mem, uint64_t gpa, uint32_t cap)
{
	if (((uint64_t)mem | gpa) % WHC_BATCH_ALIGN || cap == 0 || cap > WHC_BATCH_MAX)
		return -1;
	q->hdr = mem;
	q->req = (volatile struct whc_req *)(q->hdr + 1);
	q->gpa = gpa;
	q->cap = cap;
	q->n = 0;
	q->features = 0;
	return 0;
}

void whc_clear(struct whc_queue *q)
{
	q->n = 0;
}

volatile struct whc_req *whc_req_at(const struct whc_queue *q, uint32_t i)
{
	return i < q->cap ? &q->req[i] : 0;
}

volatile struct whc_req *whc_add(struct whc_queue *q, uint32_t call)
{
	volatile struct whc_req *r;
	volatile uint64_t *w;

	if (q->n == q->cap)
		return 0;
	r = &q->req[q->n++];
	w = (volatile uint64_t *)r;
	for (unsigned i = 0; i < sizeof(*r) / 8; i++)
		w[i] = 0;
	r->call = call;
	r->status = WHC_STATUS_PENDING;
	return r;
}

volatile struct whc_req *whc_hello(struct whc_queue *q)
{
	volatile struct whc_req *r = whc_add(q, WHC_CALL_HELLO);

	if (r)
		r->args.hello.guest_version = WHC_VERSION;
	return r;
}

volatile struct whc_req *whc_nop(struct whc_queue *q)
{
	return whc_add(q, WHC_CALL_NOP);
}

volatile struct whc_req *whc_console(struct whc_queue *q, uint64_t buf_gpa, uint64_t len)
{
	volatile struct whc_req *r = whc_add(q, WHC_CALL_CONSOLE_WRITE);

	if (r) {
		r->args.console.buf.gpa = buf_gpa;
		r->args.console.len = len;
	}
	return r;
}

volatile struct whc_req *whc_block_info(struct whc_queue *q)
{
	return whc_add(q, WHC_CALL_BLOCK_INFO);
}

static volatile struct whc_req *block(struct whc_queue *q, uint32_t call, uint64_t offset, uint64_t buf_gpa,
				      uint64_t len)
{
	volatile struct whc_req *r = whc_add(q, call);

	if (r) {
		r->args.block.offset = offset;
		r->args.block.buf.gpa = buf_gpa;
		r->args.block.len = len;
	}
	return r;
}

volatile struct whc_req *whc_block_read(struct whc_queue *q, uint64_t offset, uint64_t buf_gpa, uint64_t len)
{
	return block(q, WHC_CALL_BLOCK_READ, offset, buf_gpa, len);
}

volatile struct whc_req *whc_block_write(struct whc_queue *q, uint64_t offset, uint64_t buf_gpa, uint64_t len)
{
	return block(q, WHC_CALL_BLOCK_WRITE, offset, buf_gpa, len);
}

volatile struct whc_req *whc_idle(struct whc_queue *q)
{
	return whc_add(q, WHC_CALL_IDLE);
}

volatile struct whc_req *whc_time(struct whc_queue *q)
{
	return whc_add(q, WHC_CALL_TIME);
}

volatile struct whc_req *whc_fast_setup(struct whc_queue *q, uint64_t batch_gpa)
{
	volatile struct whc_req *r = whc_add(q, WHC_CALL_FAST_SETUP);

	if (r)
		r->args.fast_setup.batch.gpa = batch_gpa;
	return r;
}

void whc_seal(struct whc_queue *q)
{
	volatile struct whc_batch *h = q->hdr;

	h->version = WHC_VERSION;
	h->count = q->n;
	h->features = q->features;
	for (unsigned i = 0; i < sizeof(h->reserved) / sizeof(h->reserved[0]); i++)
		h->reserved[i] = 0;
	h->done = 0;
	h->status = WHC_STATUS_PENDING;
	barrier(); /* x86 keeps stores in order; the compiler must too */
}

uint32_t whc_ring_port(struct whc_queue *q)
{
	if (q->gpa >> 32)
		return WHC_E_FAULT;
	whc_seal(q);
	whc_outl(WHC_PORT_DOORBELL, (uint32_t)q->gpa);
	if (q->hdr->status == WHC_STATUS_PENDING)
		return whc_port_status();
	return q->hdr->status;
}

void whc_ring_fast_nowait(struct whc_queue *q)
{
	whc_seal(q);
	whc_outl(WHC_PORT_FAST, 0);
}

uint32_t whc_wait(const struct whc_queue *q, unsigned long spins)
{
	uint32_t st;

	while ((st = q->hdr->status) == WHC_STATUS_PENDING && spins--)
		__asm__ volatile("pause" ::: "memory");
	return st;
}

uint32_t whc_ring_fast(struct whc_queue *q, unsigned long spins)
{
	whc_ring_fast_nowait(q);
	return whc_wait(q, spins);
}
