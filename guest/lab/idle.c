/* The built-in guest of `warden lab idle` (src/lab/idle_lab.c): idle N
 * times, each woken by the x2APIC TSC-deadline timer DELAY cycles after it
 * was armed, by HLT or by warden's paravirtual idle call; the sample is the
 * TSC in the timer's handler minus the deadline (the wake-up latency).
 * What to do and what happened: src/lab/idle_abi.h.  vCPU 0 idles; vCPU 1
 * (only with IDLE_WAKE_IPI) sends the wake-up as an IPI instead of the
 * timer.  Entered in long mode with the first 4 GiB identity-mapped,
 * interrupts off, RDI the vCPU's number; any exception ends the run with
 * IDLE_ST_FAULT. */
#include <stdint.h>

#include "core/layout.h"
#include "lab/idle_abi.h"
#include "whc.h"
#include "x86.h"

#define P ((volatile struct idle_params *)LAYOUT_LAB_PARAMS)

volatile uint64_t lab_woke_tsc; /* set by lab_timer_isr (x86.h) */
volatile uint32_t lab_woke;
static volatile uint64_t ipi_deadline; /* vCPU 0 -> vCPU 1: send at this TSC */
static volatile uint32_t ap_ready;

static struct idt_gate idt[256] __attribute__((aligned(16)));
/* The idle call's batch: a header and one request (identity-mapped, so
 * its address is its guest-physical address). */
static struct {
	struct whc_batch h;
	struct whc_req r[1];
} batch __attribute__((aligned(WHC_BATCH_ALIGN)));
static struct whc_queue q;

extern char lab_stubs[], lab_timer_isr[], lab_spurious_isr[];

__asm__(
	"	.section .text.start, \"ax\"\n"
	"	.globl _start\n"
	"_start:\n"
	"	and $-16, %rsp\n"
	"	call guest_main\n"
	"1:	cli\n"
	"	hlt\n"
	"	jmp 1b\n"
	"	.text\n"
	X86_LAB_STUBS_ASM);

static void poweroff(void)
{
	outb(P->port_poweroff, P->poweroff_value);
	for (;;)
		__asm__ volatile("cli; hlt");
}

static void finish(uint32_t status, uint64_t check)
{
	P->check = check;
	P->status = status;
	poweroff();
}

void guest_fault(uint64_t vector, uint64_t error, uint64_t rip);
void guest_fault(uint64_t vector, uint64_t error, uint64_t rip)
{
	(void)error;
	P->fault_vector = (uint32_t)vector;
	P->fault_rip = rip;
	finish(IDLE_ST_FAULT, 0);
}

/* The call's doorbell write must be the instruction right after STI: an
 * interrupt taken any earlier would run the handler before the vCPU
 * halts, and the vCPU would then wait for a timer nobody armed (the
 * guest library's whc_ring_port rings with interrupts as they are). */
static void idle_call(void)
{
	whc_clear(&q);
	whc_idle(&q);
	whc_seal(&q);
	__asm__ volatile("sti; outl %0, %1; cli" ::"a"((uint32_t)q.gpa), "Nd"((uint16_t)WHC_PORT_DOORBELL)
			 : "memory");
	if (q.hdr->status != WHC_OK || q.req[0].status != WHC_OK)
		finish(IDLE_ST_CALL_FAILED, (uint64_t)q.hdr->status << 32 | q.req[0].status);
}

static uint64_t idle_n(uint32_t how, uint32_t n, uint64_t delay, uint64_t *s)
{
	uint64_t idles = 0;

	for (uint32_t i = 0; i < n; i++) {
		uint64_t deadline;

		lab_woke = 0;
		deadline = rdtsc() + delay;
		if (P->wake == IDLE_WAKE_IPI)
			ipi_deadline = deadline;
		else
			wrmsr(MSR_TSC_DEADLINE, deadline);
		while (!lab_woke) {
			if (how == IDLE_HOW_CALL)
				idle_call();
			else
				__asm__ volatile("sti; hlt; cli" ::: "memory");
			idles++;
		}
		s[i] = lab_woke_tsc - deadline;
	}
	return idles;
}

/* Both vCPUs (the same gates: writing them twice is harmless). */
static void setup_idt(void)
{
	uint16_t cs = read_cs();

	for (unsigned v = 0; v < 256; v++)
		idt_set_gate(idt, v, lab_stubs + 16 * v, cs);
	idt_set_gate(idt, IDLE_VEC_TIMER, lab_timer_isr, cs);
	idt_set_gate(idt, IDLE_VEC_SPURIOUS, lab_spurious_isr, cs);
	idt_load(idt, 256);
}

/* vCPU 1: at each deadline vCPU 0 posts, the IPI on the timer's vector
 * (its handler takes the TSC the same way).  Spinning, not halting: the
 * wake-up is sent on time, and vCPU 0's latency is its own. */
static void ap_main(void)
{
	setup_idt();
	x2apic_on(IDLE_VEC_SPURIOUS);
	ap_ready = 1;
	for (;;) {
		uint64_t d;

		while (!(d = ipi_deadline))
			cpu_relax();
		while (rdtsc() < d)
			cpu_relax();
		ipi_deadline = 0;
		wrmsr(X2APIC_ICR, (uint64_t)0 << 32 | ICR_ASSERT | IDLE_VEC_TIMER); /* to x2APIC id 0 */
	}
}

static void setup(void)
{
	uint64_t lvt;

	setup_idt();
	if (!cpu_has(CPUID1_ECX_X2APIC))
		finish(IDLE_ST_NO_FEATURE, CPUID1_ECX_X2APIC);
	if (!cpu_has(CPUID1_ECX_TSC_DEADLINE))
		finish(IDLE_ST_NO_FEATURE, CPUID1_ECX_TSC_DEADLINE);
	x2apic_on(IDLE_VEC_SPURIOUS);
	if (!tsc_deadline_on(IDLE_VEC_TIMER, &lvt))
		finish(IDLE_ST_TIMER_MODE, lvt);
	if (whc_init(&q, &batch, (uint64_t)&batch, 1) < 0)
		finish(IDLE_ST_BAD_PARAMS, 0);
	q.features = WHC_F_IDLE;
	if (P->wake == IDLE_WAKE_IPI)
		while (!ap_ready)
			cpu_relax();
}

void guest_main(uint64_t cpu);
void guest_main(uint64_t cpu)
{
	uint32_t how = P->how, n = P->iterations, warm = P->warmup;
	uint64_t *s = (uint64_t *)P->samples, delay = P->delay;

	if (cpu == 1)
		ap_main();
	if (P->magic != IDLE_MAGIC || how > IDLE_HOW_CALL || P->wake > IDLE_WAKE_IPI || n == 0 || n > IDLE_ITER_MAX || warm > n)
		finish(IDLE_ST_BAD_PARAMS, 0);
	setup();
	for (uint32_t i = 0; i < n; i += 512)
		s[i] = 0; /* the first touch of each sample page, now */
	idle_n(how, warm, delay, s);
	outb(P->port_mark, IDLE_MARK_BEGIN);
	P->idles = idle_n(how, n, delay, s);
	outb(P->port_mark, IDLE_MARK_END);
	P->done = n;
	finish(IDLE_ST_DONE, 0);
}
