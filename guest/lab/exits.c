/* The built-in guest of `warden bench exits` (src/lab): a freestanding
 * 64-bit program that warden embeds in its binary and loads through its
 * own ELF loader.  It reads what to do from the shared page
 * (src/lab/exits_abi.h), times each iteration of one operation with the
 * TSC, and powers off.  Entered in long mode with the first 4 GiB
 * identity-mapped, interrupts off; vCPU 0 with RDI = 0, vCPU 1 (IPI ops
 * only) with RDI = 1 and its own stack.  Any exception ends the run with
 * LAB_ST_FAULT: the guest never hangs on its own mistakes. */
#include <stdint.h>

#include "core/layout.h"
#include "lab/exits_abi.h"
#include "x86.h"
#include "warden/hypercall.h"

#define P ((volatile struct lab_params *)LAYOUT_LAB_PARAMS)

/* Shared with the interrupt handlers (below, in assembly) and vCPU 1. */
volatile uint64_t lab_woke_tsc;
volatile uint32_t lab_woke;
volatile uint64_t lab_ipi_acks;
static volatile uint32_t ap_ready;

static struct idt_gate idt[256] __attribute__((aligned(16)));

extern char lab_stubs[], lab_timer_isr[], lab_ipi_isr[], lab_spurious_isr[];

/* Entry, the 256 exception/interrupt stubs (16 bytes each: error-code
 * placeholder, vector, jump to the common fault path) and the handlers of
 * the two interrupts the ops use. */
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
	X86_LAB_STUBS_ASM
	"	.globl lab_ipi_isr\n"
	"lab_ipi_isr:\n"
	"	push %rax\n"
	"	push %rcx\n"
	"	push %rdx\n"
	"	lock incq lab_ipi_acks(%rip)\n"
	"	jmp lab_eoi\n");

/* --- the hypercall rows (include/warden/hypercall.h) -------------------------
 * A one-request batch at GPA (identity-mapped: the address is the pointer),
 * written once; each call then marks it pending, rings, and reads the
 * answer: the header's status << 32 | the request's, 0 when both are
 * WHC_OK. */
static void hc_fill(uint64_t gpa, uint32_t call, uint64_t arg0)
{
	volatile uint64_t *w = (volatile uint64_t *)gpa;
	volatile struct whc_batch *h = (volatile struct whc_batch *)gpa;
	volatile struct whc_req *r = (volatile struct whc_req *)(h + 1);

	for (unsigned i = 0; i < (sizeof(*h) + sizeof(*r)) / 8; i++)
		w[i] = 0;
	h->version = WHC_VERSION;
	h->count = 1;
	r->call = call;
	r->args.raw[0] = arg0;
}

static inline uint64_t hc_answer(volatile struct whc_batch *h)
{
	volatile struct whc_req *r = (volatile struct whc_req *)(h + 1);

	return (uint64_t)h->status << 32 | r->status;
}

static inline void hc_pending(volatile struct whc_batch *h)
{
	volatile struct whc_req *r = (volatile struct whc_req *)(h + 1);

	r->status = WHC_STATUS_PENDING;
	h->status = WHC_STATUS_PENDING;
}

/* The port doorbell: the answer is there when the OUT retires. */
static inline uint64_t hc_port(volatile struct whc_batch *h)
{
	hc_pending(h);
	outl(WHC_PORT_DOORBELL, (uint32_t)(uint64_t)h);
	return hc_answer(h);
}

/* The fast doorbell: KVM resumes the guest at once; the host writes the
 * header's status last, so poll it (bounded: a host that never answers
 * costs LAB_HC_SPINS pauses a call and counts as unanswered, not a hang). */
static inline uint64_t hc_fast(volatile struct whc_batch *h)
{
	unsigned long spins = LAB_HC_SPINS;

	hc_pending(h);
	outl(WHC_PORT_FAST, 0);
	while (h->status == WHC_STATUS_PENDING && spins--)
		__asm__ volatile("pause" ::: "memory");
	return hc_answer(h);
}

static void poweroff(void)
{
	outb(P->port_poweroff, P->poweroff_value);
	for (;;)
		__asm__ volatile("cli; hlt");
}

void guest_fault(uint64_t vector, uint64_t error, uint64_t rip);
void guest_fault(uint64_t vector, uint64_t error, uint64_t rip)
{
	P->fault_vector = (uint32_t)vector;
	P->fault_error = error;
	P->fault_rip = rip;
	P->status = LAB_ST_FAULT;
	poweroff();
}

static void load_idt(void)
{
	idt_load(idt, 256);
}

static void setup_idt(void)
{
	uint16_t cs = read_cs();

	for (unsigned v = 0; v < 256; v++)
		idt_set_gate(idt, v, lab_stubs + 16 * v, cs);
	idt_set_gate(idt, LAB_VEC_TIMER, lab_timer_isr, cs);
	idt_set_gate(idt, LAB_VEC_IPI, lab_ipi_isr, cs);
	idt_set_gate(idt, LAB_VEC_SPURIOUS, lab_spurious_isr, cs);
}

/* The measured batch: a NOP; for the fast doorbell, named first with
 * FAST_SETUP through the port doorbell (untimed). */
static void hc_setup(uint32_t op)
{
	uint64_t batch = P->addr, setup = batch + LAB_HC_SETUP_OFF, st;

	hc_fill(batch, WHC_CALL_NOP, 0);
	if (op != LAB_OP_WHC_FAST)
		return;
	hc_fill(setup, WHC_CALL_FAST_SETUP, batch);
	st = hc_port((volatile struct whc_batch *)setup);
	if (st) {
		P->check = st;
		P->status = LAB_ST_HC_SETUP;
		poweroff();
	}
}

/* vCPU 1: the target of the IPI ops. */
static void ap_main(void)
{
	uint32_t op = P->op;

	load_idt();
	x2apic_on(LAB_VEC_SPURIOUS);
	ap_ready = 1;
	if (op == LAB_OP_HLT_IPI)
		for (;;)
			__asm__ volatile("sti; hlt; cli" ::: "memory");
	__asm__ volatile("sti");
	for (;;)
		__asm__ volatile("" ::: "memory"); /* running, not PAUSE-ing */
}

/* N iterations of OP into S (the sample array); the loop shape is the same
 * for every op: one TSC read per iteration, the difference stored. */
#define TIMED(n, s, OP)                                                        \
	do {                                                                   \
		uint64_t prev_ = rdtsc(), start_ = prev_;                      \
		for (uint32_t i_ = 0; i_ < (n); i_++) {                        \
			uint64_t now_;                                         \
			OP;                                                    \
			now_ = rdtsc();                                        \
			(s)[i_] = now_ - prev_;                                \
			prev_ = now_;                                          \
		}                                                              \
		loop = prev_ - start_;                                         \
	} while (0)

/* What WRMSR writes: the MSR's own value, read once before any timing. */
static uint64_t msr_value;

static uint64_t run_op(uint32_t op, uint32_t n, uint64_t *s, int amd)
{
	uint64_t addr = P->addr, loop = 0, v = 0, nr = P->hypercall_nr, delay = P->timer_delay;
	uint32_t msr = P->msr, a, b, c, d;
	volatile uint32_t *mmio = (volatile uint32_t *)addr;
	uint16_t port = (uint16_t)addr;

	switch (op) {
	case LAB_OP_LOOP:
		TIMED(n, s, (void)0);
		break;
	case LAB_OP_CPUID:
		TIMED(n, s, cpuid(0, &a, &b, &c, &d));
		break;
	case LAB_OP_HYPERCALL:
		if (amd)
			TIMED(n, s, __asm__ volatile("vmmcall" : "=a"(v) : "a"(nr), "b"(0), "c"(0), "d"(0), "S"(0) : "memory"));
		else
			TIMED(n, s, __asm__ volatile("vmcall" : "=a"(v) : "a"(nr), "b"(0), "c"(0), "d"(0), "S"(0) : "memory"));
		break;
	case LAB_OP_PIO_WRITE:
		TIMED(n, s, outb(port, (uint8_t)i_));
		break;
	case LAB_OP_MMIO_WRITE:
		TIMED(n, s, *mmio = i_);
		break;
	case LAB_OP_MMIO_READ:
		TIMED(n, s, v = *mmio);
		break;
	case LAB_OP_RDMSR:
		TIMED(n, s, v = rdmsr(msr));
		break;
	case LAB_OP_WRMSR:
		v = msr_value;
		TIMED(n, s, wrmsr(msr, v));
		break;
	case LAB_OP_WHC_PORT:
		TIMED(n, s, v += hc_port((volatile struct whc_batch *)addr) != 0);
		break;
	case LAB_OP_WHC_FAST:
		TIMED(n, s, v += hc_fast((volatile struct whc_batch *)addr) != 0);
		break;
	case LAB_OP_HLT_TIMER: {
		uint64_t wakeups = 0;

		loop = rdtsc();
		for (uint32_t i = 0; i < n; i++) {
			uint64_t deadline;

			lab_woke = 0;
			deadline = rdtsc() + delay;
			wrmsr(MSR_TSC_DEADLINE, deadline);
			while (!lab_woke) {
				__asm__ volatile("sti; hlt; cli" ::: "memory");
				wakeups++;
			}
			s[i] = lab_woke_tsc - deadline;
		}
		loop = rdtsc() - loop;
		P->wakeups += wakeups;
		break;
	}
	case LAB_OP_HLT_IPI:
	case LAB_OP_IPI:
		loop = rdtsc();
		for (uint32_t i = 0; i < n; i++) {
			uint64_t want = lab_ipi_acks + 1, t0 = rdtsc();

			wrmsr(X2APIC_ICR, (uint64_t)1 << 32 | ICR_ASSERT | LAB_VEC_IPI);
			while (lab_ipi_acks < want)
				cpu_relax();
			s[i] = rdtsc() - t0;
		}
		loop = rdtsc() - loop;
		break;
	}
	P->check = v;
	return loop;
}

void guest_main(uint64_t cpu);
void guest_main(uint64_t cpu)
{
	uint32_t op = P->op, n = P->iterations, warm = P->warmup, a, b, c, d;
	uint64_t *s = (uint64_t *)P->samples;
	int amd;

	setup_idt();
	if (cpu == 1) {
		ap_main();
		return;
	}
	load_idt();
	if (P->magic != LAB_MAGIC || P->version != LAB_VERSION || op >= LAB_NOPS || n == 0 || warm > n) {
		P->status = LAB_ST_BAD_PARAMS;
		poweroff();
	}
	cpuid(0, &a, &b, &c, &d);
	amd = (b == 0x68747541 /* "Auth" enticAMD */ || b == 0x6f677948 /* "Hygo" nGenuine */);
	P->amd = (uint32_t)amd;
	if (op == LAB_OP_HLT_TIMER || op == LAB_OP_HLT_IPI || op == LAB_OP_IPI) {
		unsigned need = !cpu_has(CPUID1_ECX_X2APIC)                                  ? CPUID1_ECX_X2APIC
				: op == LAB_OP_HLT_TIMER && !cpu_has(CPUID1_ECX_TSC_DEADLINE) ? CPUID1_ECX_TSC_DEADLINE
											       : 0;
		if (need) {
			P->check = need;
			P->status = LAB_ST_NO_FEATURE;
			poweroff();
		}
		x2apic_on(LAB_VEC_SPURIOUS);
		if (op == LAB_OP_HLT_TIMER) {
			uint64_t lvt;

			if (!tsc_deadline_on(LAB_VEC_TIMER, &lvt)) {
				P->check = lvt;
				P->status = LAB_ST_TIMER_MODE;
				poweroff();
			}
		}
		else
			while (!ap_ready)
				cpu_relax();
	}
	if (op == LAB_OP_WRMSR)
		msr_value = rdmsr(P->msr);
	if (op == LAB_OP_WHC_PORT || op == LAB_OP_WHC_FAST)
		hc_setup(op);
	/* The first touch of each sample page is a fault: take them now. */
	for (uint32_t i = 0; i < n; i += 512)
		s[i] = 0;
	run_op(op, warm, s, amd);
	P->wakeups = 0;
	outb(P->port_mark, LAB_MARK_BEGIN);
	P->loop_cycles = run_op(op, n, s, amd);
	outb(P->port_mark, LAB_MARK_END);
	P->done = n;
	P->status = LAB_ST_DONE;
	poweroff();
}
