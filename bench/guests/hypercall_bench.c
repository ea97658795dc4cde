/* Benchmark guest for bench/hypercall.sh: what one operation costs, seen
 * from the guest's TSC, against the batch size n, four ways:
 *   trap     n `outl` to port 0x530, which no device claims: n trapped
 *            port writes, each one exit to warden and back
 *   single   n port-doorbell batches of one NOP each: n hypercalls
 *            without batching (n exits)
 *   port     one port-doorbell batch of n NOPs (one exit)
 *   fast     one fast-doorbell batch of n NOPs (with ioeventfd no exit to
 *            warden: KVM signals warden's I/O thread, the guest polls the
 *            answer)
 *   guest    what the guest's side of one batch costs without ringing: the
 *            library's seal of the header and a read of its status (on
 *            kvm_pvm KVM emulates these guests' memory accesses: this is
 *            the part of a batch's fixed cost that is not the exit)
 * For each way and n: REPS repetitions, each timed with the TSC around the
 * whole group of n operations; the guest prints the median and the minimum
 * cycles of a group:
 *   HCBENCH <way> <n> <median cycles> <min cycles>
 * and the TSC against the host's CLOCK_MONOTONIC (two TIME hypercalls
 * around the whole run): HCBENCH-CAL <guest cycles> <host ns>.
 * Built like the native test guests (freestanding C, the guest library),
 * run with `warden run --mem 16 --hypercall`. */
#include <stdint.h>

#include "guest_rt.h"
#include "whc.h"

#ifndef REPS
#define REPS 101
#endif
#define TRAP_PORT 0x530
#define PB_GPA 0x400000ULL
#define FB_GPA 0x410000ULL
#define SPIN_LIMIT (1UL << 30)

static const uint32_t sizes[] = { 1, 2, 4, 8, 16, 32, 64, 128, 256 };
static uint64_t samples[REPS];
static struct whc_queue pq, fq, one;
static unsigned long failures;

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

static void report(const char *way, uint32_t n)
{
	sort(samples, REPS);
	print("HCBENCH ");
	print(way);
	print(" ");
	putu(n);
	print(" ");
	putu(samples[REPS / 2]);
	print(" ");
	putu(samples[0]);
	print("\n");
}

static void fill(struct whc_queue *q, uint32_t n)
{
	whc_clear(q);
	for (uint32_t i = 0; i < n; i++)
		whc_nop(q);
}

static uint64_t host_ns(void)
{
	volatile struct whc_req *r;

	whc_clear(&one);
	r = whc_time(&one);
	if (whc_ring_port(&one) != WHC_OK || r->status != WHC_OK)
		failures++;
	return r->ret.time.monotonic_ns;
}

void guest_main(void)
{
	volatile struct whc_req *r;
	uint64_t c0, n0;

	whc_init(&pq, (void *)PB_GPA, PB_GPA, WHC_BATCH_MAX);
	whc_init(&fq, (void *)FB_GPA, FB_GPA, WHC_BATCH_MAX);
	whc_init(&one, (void *)(PB_GPA + 0x8000), PB_GPA + 0x8000, 1);
	whc_clear(&one);
	r = whc_fast_setup(&one, FB_GPA);
	if (whc_ring_port(&one) != WHC_OK || r->status != WHC_OK)
		failures++;
	c0 = rdtsc();
	n0 = host_ns();

	for (unsigned s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		uint32_t n = sizes[s];

		for (unsigned k = 0; k < REPS; k++) {
			uint64_t t0 = rdtsc();

			for (uint32_t i = 0; i < n; i++)
				__asm__ volatile("outl %0, %1" : : "a"(i), "Nd"((uint16_t)TRAP_PORT));
			samples[k] = rdtsc() - t0;
		}
		report("trap", n);

		whc_clear(&one);
		whc_nop(&one);
		for (unsigned k = 0; k < REPS; k++) {
			uint64_t t0 = rdtsc();

			for (uint32_t i = 0; i < n; i++)
				if (whc_ring_port(&one) != WHC_OK)
					failures++;
			samples[k] = rdtsc() - t0;
		}
		report("single", n);

		fill(&pq, n);
		for (unsigned k = 0; k < REPS; k++) {
			uint64_t t0 = rdtsc();

			if (whc_ring_port(&pq) != WHC_OK)
				failures++;
			samples[k] = rdtsc() - t0;
		}
		report("port", n);

		fill(&fq, n);
		for (unsigned k = 0; k < REPS; k++) {
			uint64_t t0 = rdtsc();

			if (whc_ring_fast(&fq, SPIN_LIMIT) != WHC_OK)
				failures++;
			samples[k] = rdtsc() - t0;
		}
		report("fast", n);

		for (unsigned k = 0; k < REPS; k++) {
			uint64_t t0 = rdtsc();

			whc_seal(&pq);
			if (pq.hdr->status != WHC_STATUS_PENDING)
				failures++;
			samples[k] = rdtsc() - t0;
		}
		report("guest", n);
	}

	{
		uint64_t n1 = host_ns(), c1 = rdtsc();

		print("HCBENCH-CAL ");
		putu(c1 - c0);
		print(" ");
		putu(n1 - n0);
		print("\n");
	}
	print(failures ? "HCBENCH-FAILURES " : "HCBENCH-DONE ");
	putu(failures);
	print("\n");
	poweroff();
}
