/* What the lab's freestanding guests share (guest/lab/exits.c, idle.c):
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
