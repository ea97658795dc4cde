/* Native-tier test guest for the IOAPIC (tests/native/ioapic.sh), under
 * `--irqchip kernel` (KVM's) and `--irqchip split` (warden's own,
 * src/core/ioapic.c): the same program must see the same behaviour.
 *
 *   - the version register: its pin count, printed;
 *   - an edge pin: COM1's line (pin 4), raised by the UART's transmitter-
 *     empty interrupt when the guest enables it: one interrupt;
 *   - a level pin: the RTC's line (pin 8), high from the update-ended
 *     flag until the handler reads register C.  Each host second brings
 *     one interrupt; after the handler's EOI the entry's Remote IRR must
 *     be clear again (with warden's IOAPIC that EOI comes back from KVM
 *     as KVM_EXIT_IOAPIC_EOI, so this fails without it: the second
 *     interrupt never comes); in the handler, before the EOI, Remote IRR
 *     must be set, read from IOWIN without selecting the entry again (the
 *     main loop selected it): with warden's window page (core/ioapic.h)
 *     that read is no exit, and the page must have followed the delivery;
 *   - an entry written back reads back, but not its read-only bits.
 *
 * Prints "ioapic: edge done" between the two, then one line, and powers off:
 *   ioapic: pins N edge E level L irr-in-service S irr-after-eoi R readback B */
#include "guest_rt.h"

#define IOAPIC ((volatile uint32_t *)0xfec00000ULL)
#define VEC_COM1 0x41
#define VEC_RTC 0x42
#define PIN_COM1 4
#define PIN_RTC 8
#define LEVEL_ROUNDS 2

static uint32_t io_read(uint32_t reg)
{
	IOAPIC[0] = reg;
	return IOAPIC[4];
}

static void io_write(uint32_t reg, uint32_t v)
{
	IOAPIC[0] = reg;
	IOAPIC[4] = v;
}

static uint8_t cmos(uint8_t reg)
{
	outb(0x70, reg);
	return inb(0x71);
}

volatile uint64_t com1_irqs, rtc_irqs, irr_in_service;

/* Called by the stubs below, interrupts off. */
void com1_handler(void);
void com1_handler(void)
{
	com1_irqs++;
	outb(RT_COM1 + 1, 0); /* IER off: the line drops */
	inb(RT_COM1 + 2);     /* IIR: the THRE interrupt acknowledged */
	wrmsr(0x80b, 0);
}

void rtc_handler(void);
void rtc_handler(void)
{
	rtc_irqs++;
	/* IOREGSEL still selects the RTC's entry (low word). */
	if (IOAPIC[4] & (1u << 14))
		irr_in_service++;
	cmos(0x0c);           /* reading C lowers the line */
	wrmsr(0x80b, 0);      /* EOI: the IOAPIC clears Remote IRR */
}

#define STUB(name, fn)                                                                      \
	__asm__(".pushsection .text\n" ".globl " #name "\n" #name ":\n"                      \
		"push %rax\npush %rcx\npush %rdx\npush %rsi\npush %rdi\n"                   \
		"push %r8\npush %r9\npush %r10\npush %r11\n"                                 \
		"call " #fn "\n"                                                             \
		"pop %r11\npop %r10\npop %r9\npop %r8\n"                                     \
		"pop %rdi\npop %rsi\npop %rdx\npop %rcx\npop %rax\niretq\n.popsection\n")
void com1_isr(void);
void rtc_isr(void);
STUB(com1_isr, com1_handler);
STUB(rtc_isr, rtc_handler);

static void gate(unsigned vec, void (*isr)(void))
{
	uint64_t a = (uint64_t)isr;
	uint16_t cs;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	rt_idt[vec].off0 = (uint16_t)a;
	rt_idt[vec].sel = cs;
	rt_idt[vec].attr = 0x8e00;
	rt_idt[vec].off1 = (uint16_t)(a >> 16);
	rt_idt[vec].off2 = (uint32_t)(a >> 32);
}

static void lapic_on(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr = { sizeof(rt_idt) - 1, (uint64_t)rt_idt };

	__asm__ volatile("lidt %0" : : "m"(idtr));
	wrmsr(0x1b, rdmsr(0x1b) | 0xc00); /* x2APIC on */
	wrmsr(0x80f, 0x1ff);              /* SVR: enabled */
	/* LINT0 masked: KVM's BSP starts with it in ExtINT mode, and KVM's
	 * 8259 (never programmed here) would deliver COM1's line as vector 4. */
	wrmsr(0x835, 1u << 16);
}

/* Wait with interrupts on until *COUNT reaches N or about SECONDS pass
 * (the TSC runs at 1-4 GHz; a generous bound). */
static void wait_for(volatile uint64_t *count, uint64_t n, uint64_t seconds)
{
	uint64_t end = rdtsc() + seconds * 4000000000ULL;

	while (*count < n && rdtsc() < end)
		__asm__ volatile("sti; hlt; cli");
}

void guest_main(void)
{
	uint32_t pins = ((io_read(1) >> 16) & 0xff) + 1, irr = 0, back;

	gate(VEC_COM1, com1_isr);
	gate(VEC_RTC, rtc_isr);
	lapic_on();

	/* Edge: COM1's transmitter-empty interrupt, destination APIC 0. */
	io_write(0x11 + 2 * PIN_COM1, 0);
	io_write(0x10 + 2 * PIN_COM1, VEC_COM1);
	outb(RT_COM1 + 4, 0x08); /* MCR: OUT2, the PC's gate to the interrupt line */
	outb(RT_COM1 + 1, 0x02); /* IER: THRE; the transmitter is empty */
	wait_for(&com1_irqs, 1, 2);
	print("ioapic: edge done\n"); /* a snapshot may be taken from here */

	/* Level: the RTC's update-ended flag, once per host second. */
	io_write(0x11 + 2 * PIN_RTC, 0);
	io_write(0x10 + 2 * PIN_RTC, VEC_RTC | 1u << 15);
	outb(0x70, 0x0b);
	outb(0x71, 0x12); /* 24-hour, UIE */
	cmos(0x0c);
	for (unsigned r = 1; r <= LEVEL_ROUNDS; r++) {
		wait_for(&rtc_irqs, r, 3);
		irr |= io_read(0x10 + 2 * PIN_RTC) & (1u << 14);
	}
	outb(0x70, 0x0b);
	outb(0x71, 0x02); /* UIE off */
	io_write(0x10 + 2 * PIN_RTC, 1u << 16);

	/* Read-back: vector and mask as written, Remote IRR and delivery
	 * status (bits 14, 12) not writable. */
	io_write(0x10 + 2 * 3, 0x55 | 1u << 16 | 1u << 14 | 1u << 12);
	back = io_read(0x10 + 2 * 3);

	print("ioapic: pins ");
	putu(pins);
	print(" edge ");
	putu(com1_irqs);
	print(" level ");
	putu(rtc_irqs);
	print(" irr-in-service ");
	putu(irr_in_service);
	print(" irr-after-eoi ");
	putu(irr ? 1 : 0);
	print(" readback ");
	putx(back);
	print("\n");
	poweroff();
}
