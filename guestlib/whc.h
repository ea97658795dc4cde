/* A freestanding guest library for warden's hypercalls
 * (include/warden/hypercall.h, docs/hypercall.md): build a batch in guest
 * RAM, ring a doorbell, read the answers.  No libc, no floating point or
 * SSE (build with -ffreestanding -mgeneral-regs-only); x86-64, guest
 * ring 0 (port I/O).
 *
 *	static struct { struct whc_batch h; struct whc_req r[8]; } b
 *		__attribute__((aligned(WHC_BATCH_ALIGN)));
 *	struct whc_queue q;
 *
 *	whc_init(&q, &b, virt_to_phys(&b), 8);
 *	whc_console(&q, virt_to_phys(msg), len);
 *	whc_time(&q);
 *	if (whc_ring_port(&q) == WHC_OK && whc_req_at(&q, 0)->status == WHC_OK) ...
 *
 * Addresses in requests are guest-physical: the guest translates its own
 * pointers (identity-mapped guests pass them as they are). */
#ifndef WARDEN_GUESTLIB_WHC_H
#define WARDEN_GUESTLIB_WHC_H

#include <stdint.h>

#include "warden/hypercall.h"

struct whc_queue {
	volatile struct whc_batch *hdr; /* the batch, as the guest addresses it */
	volatile struct whc_req *req;   /* its requests, right after the header */
	uint64_t gpa;                   /* the header's guest-physical address */
	uint32_t cap;                   /* requests there is room for */
	uint32_t n;                     /* requests added since whc_clear */
	uint64_t features;              /* WHC_F_* the batches rely on (default 0) */
};

static inline whc_gptr whc_gp(uint64_t gpa)
{
	whc_gptr p = { gpa };
	return p;
}

/* MEM: WHC_BATCH_ALIGN-aligned room for a header and CAP requests, at
 * guest-physical GPA.  -1 if misaligned or CAP is 0 or above WHC_BATCH_MAX. */
int whc_init(struct whc_queue *q, void *mem, uint64_t gpa, uint32_t cap);
/* Forget the requests added (the next batch starts empty). */
void whc_clear(struct whc_queue *q);
/* The next request, zeroed, with CALL and status WHC_STATUS_PENDING; NULL
 * when the queue is full. */
volatile struct whc_req *whc_add(struct whc_queue *q, uint32_t call);
volatile struct whc_req *whc_req_at(const struct whc_queue *q, uint32_t i);

/* One request of each call (NULL when full). */
volatile struct whc_req *whc_hello(struct whc_queue *q);
volatile struct whc_req *whc_nop(struct whc_queue *q);
volatile struct whc_req *whc_console(struct whc_queue *q, uint64_t buf_gpa, uint64_t len);
volatile struct whc_req *whc_block_info(struct whc_queue *q);
volatile struct whc_req *whc_block_read(struct whc_queue *q, uint64_t offset, uint64_t buf_gpa, uint64_t len);
volatile struct whc_req *whc_block_write(struct whc_queue *q, uint64_t offset, uint64_t buf_gpa, uint64_t len);
volatile struct whc_req *whc_idle(struct whc_queue *q);
volatile struct whc_req *whc_time(struct whc_queue *q);
volatile struct whc_req *whc_fast_setup(struct whc_queue *q, uint64_t batch_gpa);

/* Fill the header (version, count, features, reserved words, done) and set
 * its status to WHC_STATUS_PENDING: the batch is ready to ring. */
void whc_seal(struct whc_queue *q);

/* Seal and ring the port doorbell: one exit, the answers are there when it
 * returns.  Returns the batch's status, or, when the host could not use the
 * header at all, the doorbell's (one more exit to read it).  A header at or
 * above 4 GiB cannot be rung this way: WHC_E_FAULT without ringing. */
uint32_t whc_ring_port(struct whc_queue *q);
/* Seal and ring the fast doorbell (the batch must be the one given to
 * FAST_SETUP); then whc_wait. */
void whc_ring_fast_nowait(struct whc_queue *q);
/* Poll the header's status for at most SPINS rounds (a `pause` each):
 * the batch's status, or WHC_STATUS_PENDING if it did not change. */
uint32_t whc_wait(const struct whc_queue *q, unsigned long spins);
uint32_t whc_ring_fast(struct whc_queue *q, unsigned long spins);

/* The raw doorbells: a 32-bit write of VALUE, and the doorbell's status
 * register (the latest port batch's: WHC_OK when it was answered in place). */
void whc_outl(uint16_t port, uint32_t value);
uint32_t whc_port_status(void);

#endif
