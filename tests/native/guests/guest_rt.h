/* A tiny runtime for the freestanding C test guests of the hypercall
 * interface (hypercall_test.c, bench/guests/hypercall_bench.c): COM1
 * output, the TSC, an x2APIC periodic timer with its interrupt handler,
 * poweroff, and the memset/memcpy gcc may call.  Long mode, ring 0, the
 * first 4 GiB identity-mapped (warden's ELF64 entry).  Include it once,
 * in the guest's only C file; it defines _start, which calls guest_main(). */
#ifndef GUEST_RT_H
#define GUEST_RT_H

#include <stdint.h>

#define RT_COM1 0x3f8
#define RT_ACPI_SLEEP_CTL 0x600
#define RT_TIMER_VEC 0x40

void guest_main(void);

void *memset(void *d, int c, unsigned long len);
void *memcpy(void *d, const void *s, unsigned long len);
void *memset(void *d, int c, unsigned long len)
{
	volatile uint8_t *p = d;

	while (len--)
		*p++ = (uint8_t)c;
	return d;
}

void *memcpy(void *d, const void *s, unsigned long len)
{
	volatile uint8_t *p = d;
	const uint8_t *q = s;

	while (len--)
		*p++ = *q++;
	return d;
}

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi) : : "memory");
	return (uint64_t)hi << 32 | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

static __attribute__((unused)) void print(const char *s)
{
	while (*s)
		outb(RT_COM1, (uint8_t)*s++);
}

static __attribute__((unused)) void putu(uint64_t v)
{
	char b[24];
	int i = 0;

	do
		b[i++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (i)
		outb(RT_COM1, (uint8_t)b[--i]);
}

static __attribute__((unused)) void putx(uint64_t v)
{
	print("0x");
	for (int i = 60; i >= 0; i -= 4) {
		unsigned d = (unsigned)(v >> i) & 0xf;

		if (d || i == 0 || (v >> i))
			outb(RT_COM1, (uint8_t)(d < 10 ? '0' + d : 'a' + d - 10));
	}
}

static __attribute__((unused)) void poweroff(void)
{
	outb(RT_ACPI_SLEEP_CTL, 0x34); /* SLP_TYP=5 << 2 | SLP_EN */
	for (;;)
		__asm__ volatile("hlt");
}

/* --- the x2APIC timer: ticks counted by the interrupt handler ------------ */

volatile uint64_t rt_ticks;
static struct {
	uint16_t off0, sel, attr, off1;
	uint32_t off2, zero;
} rt_idt[256] __attribute__((aligned(16)));

void rt_timer_isr(void);
__asm__(".pushsection .text\n"
	".globl rt_timer_isr\n"
	"rt_timer_isr:\n"
	"	push %rax\n"
	"	push %rcx\n"
	"	push %rdx\n"
	"	lock incq rt_ticks(%rip)\n"
	"	mov $0x80b, %ecx\n" /* EOI */
	"	xor %eax, %eax\n"
	"	xor %edx, %edx\n"
	"	wrmsr\n"
	"	pop %rdx\n"
	"	pop %rcx\n"
	"	pop %rax\n"
	"	iretq\n"
	".popsection\n");

/* Periodic timer interrupts every PERIOD APIC ticks (KVM's APIC runs at
 * 1 GHz: PERIOD ns); interrupts stay masked (IF=0) until the caller's sti. */
static __attribute__((unused)) void rt_timer_start(uint32_t period)
{
	uint64_t isr = (uint64_t)rt_timer_isr;
	uint16_t cs;
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr = { sizeof(rt_idt) - 1, (uint64_t)rt_idt };

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	rt_idt[RT_TIMER_VEC].off0 = (uint16_t)isr;
	rt_idt[RT_TIMER_VEC].sel = cs;
	rt_idt[RT_TIMER_VEC].attr = 0x8e00; /* present, DPL 0, 64-bit interrupt gate */
	rt_idt[RT_TIMER_VEC].off1 = (uint16_t)(isr >> 16);
	rt_idt[RT_TIMER_VEC].off2 = (uint32_t)(isr >> 32);
	__asm__ volatile("lidt %0" : : "m"(idtr));
	wrmsr(0x1b, rdmsr(0x1b) | 0xc00); /* x2APIC on */
	wrmsr(0x80f, 0x1ff);              /* SVR: enabled, spurious 0xff */
	wrmsr(0x83e, 0xb);                /* divide by 1 */
	wrmsr(0x832, RT_TIMER_VEC | 1 << 17); /* LVT timer: periodic */
	wrmsr(0x838, period);
}

static __attribute__((unused)) void rt_timer_stop(void)
{
	wrmsr(0x838, 0);
}

/* Entry: our own stack, then C. */
__asm__(".pushsection .text\n"
	".globl _start\n"
	"_start:\n"
	"	lea rt_stack_top(%rip), %rsp\n"
	"	call guest_main\n"
	"1:	hlt\n"
	"	jmp 1b\n"
	".popsection\n"
	".pushsection .bss\n"
	".balign 16\n"
	"	.skip 16384\n"
	"rt_stack_top:\n"
	".popsection\n");

#endif
