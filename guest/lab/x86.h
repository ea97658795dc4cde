/* What the lab's freestanding guests (guest/lab/) share:
 * TSC, port, MSR and CPUID access, an IDT of interrupt gates, the x2APIC
 * and its TSC-deadline timer.  Header-only: each guest is one object. */
#ifndef WARDEN_GUEST_LAB_X86_H
#define WARDEN_GUEST_LAB_X86_H

#include <stdint.h>

#define MSR_APIC_BASE 0x1b
#define APIC_BASE_EXTD (1u << 10)
#define APIC_BASE_EN (1u << 11)
#define MSR_TSC_DEADLINE 0x6e0
#define X2APIC_EOI 0x80b
#define X2APIC_SVR 0x80f
#define X2APIC_ICR 0x830
#define X2APIC_LVT_TIMER 0x832
#define SVR_ENABLE (1u << 8)
#define LVT_TSC_DEADLINE (2u << 17)
#define ICR_ASSERT (1u << 14)
#define CPUID1_ECX_X2APIC 21
#define CPUID1_ECX_TSC_DEADLINE 24

struct idt_gate {
	uint16_t off0, sel;
	uint8_t ist, attr;
	uint16_t off1;
	uint32_t off2, zero;
};

/* The IDT's code, for a guest's top-level __asm__ (in .text): 256 stubs
 * of 16 bytes (lab_stubs + 16 * vector; an error-code placeholder where the
 * CPU pushes none) into guest_fault(vector, error, rip), which the guest
 * defines and which must not return; lab_timer_isr, which stores the TSC
 * in lab_woke_tsc and sets lab_woke (the guest's variables), then EOI;
 * lab_eoi (pops RAX, RCX, RDX, EOI, IRETQ) for the guest's own handlers;
 * lab_spurious_isr. */
#define X86_LAB_STUBS_ASM \
	"	.macro lab_stub v\n" \
	"	.balign 16\n" \
	"	.if (\\v == 8) || (\\v >= 10 && \\v <= 14) || (\\v == 17) || (\\v == 21) || (\\v == 29) || (\\v == 30)\n" \
	"	.else\n" \
	"	pushq $0\n" \
	"	.endif\n" \
	"	pushq $\\v\n" \
	"	jmp lab_fault_common\n" \
	"	.endm\n" \
	"	.balign 16\n" \
	"	.globl lab_stubs\n" \
	"lab_stubs:\n" \
	"	lab_vec = 0\n" \
	"	.rept 256\n" \
	"	lab_stub lab_vec\n" \
	"	lab_vec = lab_vec + 1\n" \
	"	.endr\n" \
	"lab_fault_common:\n" \
	"	mov (%rsp), %rdi\n"   /* vector */                                   \
	"	mov 8(%rsp), %rsi\n"  /* error code */                               \
	"	mov 16(%rsp), %rdx\n" /* RIP */                                      \
	"	and $-16, %rsp\n" \
	"	call guest_fault\n" \
	"	.globl lab_timer_isr\n" \
	"lab_timer_isr:\n" \
	"	push %rax\n" \
	"	push %rcx\n" \
	"	push %rdx\n" \
	"	lfence\n" \
	"	rdtsc\n" \
	"	shl $32, %rdx\n" \
	"	or %rdx, %rax\n" \
	"	mov %rax, lab_woke_tsc(%rip)\n" \
	"	movl $1, lab_woke(%rip)\n" \
	"lab_eoi:\n" \
	"	mov $0x80b, %ecx\n" \
	"	xor %eax, %eax\n" \
	"	xor %edx, %edx\n" \
	"	wrmsr\n" \
	"	pop %rdx\n" \
	"	pop %rcx\n" \
	"	pop %rax\n" \
	"	iretq\n" \
	"	.globl lab_spurious_isr\n" \
	"lab_spurious_isr:\n" \
	"	iretq\n"

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi)::"memory");
	return (uint64_t)hi << 32 | lo;
}

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port) : "memory");
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port) : "memory");
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr) : "memory");
	return (uint64_t)hi << 32 | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

static inline void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

static inline void cpu_relax(void)
{
	__asm__ volatile("pause" ::: "memory");
}

static inline void idt_set_gate(struct idt_gate *idt, unsigned v, void *handler, uint16_t cs)
{
	uint64_t a = (uint64_t)handler;

	idt[v] = (struct idt_gate){ .off0 = (uint16_t)a, .sel = cs, .attr = 0x8e /* present, interrupt gate */,
				    .off1 = (uint16_t)(a >> 16), .off2 = (uint32_t)(a >> 32) };
}

static inline void idt_load(struct idt_gate *idt, unsigned n)
{
	struct __attribute__((packed)) {
		uint16_t limit;
		uint64_t base;
	} d = { (uint16_t)(n * sizeof(*idt) - 1), (uint64_t)idt };

	__asm__ volatile("lidt %0" ::"m"(d));
}

static inline uint16_t read_cs(void)
{
	uint16_t cs;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	return cs;
}

static inline void x2apic_on(uint32_t spurious_vector)
{
	wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | APIC_BASE_EN | APIC_BASE_EXTD);
	wrmsr(X2APIC_SVR, SVR_ENABLE | spurious_vector);
}

static inline int cpu_has(unsigned ecx_bit)
{
	uint32_t a, b, c, d;

	cpuid(1, &a, &b, &c, &d);
	return c >> ecx_bit & 1;
}

/* The LAPIC timer in TSC-deadline mode on VECTOR; 0 when the LAPIC did not
 * take the mode (one without it keeps one-shot, ignores the deadline MSR,
 * and a HLT waiting for it would wait for ever). */
static inline int tsc_deadline_on(uint32_t vector, uint64_t *lvt_read_back)
{
	wrmsr(X2APIC_LVT_TIMER, LVT_TSC_DEADLINE | vector);
	*lvt_read_back = rdmsr(X2APIC_LVT_TIMER);
	return (*lvt_read_back & (3u << 17)) == LVT_TSC_DEADLINE;
}

#endif
