/* The built-in guest of `warden lab batching` (src/lab/batching_lab.c),
 * embedded in warden's binary.  Long mode, loaded as an ELF64 at 1 MiB.
 *
 * For each batch size n it asks for, and each way (enum bt_way), it marks
 * a block's start, times REPS groups of n operations with its TSC (one
 * read before and one after each group), marks the end, and keeps the
 * median and the minimum of the groups:
 *   trap  n `outb` to the lab device's port: n exits to warden
 *   port  one batch of n NOP hypercalls on the port doorbell: one exit
 *   fast  one batch of n NOPs on the ioeventfd doorbell, then polls the
 *         batch's status until warden's I/O thread has answered
 * The hypercalls go through the guest library (guestlib/whc.c).  It runs
 * in ring 3 (guest/lab/ring3.h): on kvm_pvm only ring 3 runs natively. */
#include <stdint.h>

#include "core/layout.h"
#include "lab/batching_abi.h"
#include "whc.h"
#include "ring3.h"
#include "x86.h"

static volatile struct bt_params *const P = (volatile struct bt_params *)LAYOUT_LAB_PARAMS;

#define MAX_REPS 1024
static uint64_t samples[MAX_REPS];
static struct whc_queue pq, fq, one;
static uint32_t failures;

static void sort(uint64_t *a, unsigned n)
{
	for (unsigned i = 1; i < n; i++) {
		uint64_t v = a[i];
		unsigned j = i;

		for (; j > 0 && a[j - 1] > v; j--)
			a[j] = a[j - 1];
		a[j] = v;
	}
}

static void fill(struct whc_queue *q, uint32_t n)
{
	whc_clear(q);
	for (uint32_t i = 0; i < n; i++)
		whc_nop(q);
}

static void done(uint32_t status)
{
	P->failures = failures;
	P->status = status;
	outl(PORT_LAB_CTL, BT_MARK_DONE);
	for (;;)
		__asm__ volatile("pause"); /* warden ends the VM at the mark */
}

static void block(enum bt_way way, unsigned si, uint32_t n, uint32_t reps)
{
	uint64_t spins = P->spin_limit;

	if (way == BT_PORT)
		fill(&pq, n);
	else if (way == BT_FAST)
		fill(&fq, n);
	outl(PORT_LAB_CTL, BT_MARK_BEGIN(way, si));
	for (uint32_t k = 0; k < reps; k++) {
		uint64_t t0 = rdtsc();

		switch (way) {
		case BT_TRAP:
			for (uint32_t i = 0; i < n; i++)
				outb(PORT_LAB_CTL + BT_TRAP_OFFSET, (uint8_t)i);
			break;
		case BT_PORT:
			if (whc_ring_port(&pq) != WHC_OK)
				failures++;
			break;
		default:
			if (whc_ring_fast(&fq, spins) != WHC_OK)
				failures++;
			break;
		}
		samples[k] = rdtsc() - t0;
	}
	outl(PORT_LAB_CTL, BT_MARK_END);
	sort(samples, reps);
	P->median[way][si] = samples[reps / 2];
	P->min[way][si] = samples[0];
}

void user_main(void);
void user_main(void)
{
	uint32_t reps = P->reps, ns = P->nsizes;
	volatile struct whc_req *r;

	if (P->magic != BT_MAGIC || reps == 0 || reps > MAX_REPS || ns == 0 || ns > BT_MAX_SIZES)
		done(BT_ST_BAD_PARAMS);
	for (uint32_t i = 0; i < ns; i++)
		if (P->sizes[i] == 0 || P->sizes[i] > WHC_BATCH_MAX || (i && P->sizes[i] <= P->sizes[i - 1]))
			done(BT_ST_BAD_PARAMS);
	if (whc_init(&pq, (void *)P->port_batch_gpa, P->port_batch_gpa, WHC_BATCH_MAX) < 0 ||
	    whc_init(&fq, (void *)P->fast_batch_gpa, P->fast_batch_gpa, WHC_BATCH_MAX) < 0 ||
	    whc_init(&one, (void *)P->setup_batch_gpa, P->setup_batch_gpa, 1) < 0)
		done(BT_ST_BAD_PARAMS);
	whc_clear(&one);
	r = whc_fast_setup(&one, P->fast_batch_gpa);
	if (whc_ring_port(&one) != WHC_OK || r->status != WHC_OK)
		done(BT_ST_NO_FAST);
	/* Warm-up: one of each, unmarked. */
	fill(&pq, 1);
	fill(&fq, 1);
	outb(PORT_LAB_CTL + BT_TRAP_OFFSET, 0);
	whc_ring_port(&pq);
	whc_ring_fast(&fq, P->spin_limit);
	for (uint32_t si = 0; si < ns; si++)
		for (unsigned w = 0; w < BT_NWAYS; w++)
			block((enum bt_way)w, si, P->sizes[si], reps);
	done(BT_ST_DONE);
}

void main(void);
void main(void)
{
	ring3_enter(user_main);
}

RING3_START_ASM;
