/* Native-tier test guest: a virtio-pci driver for warden's virtio-rng
 * (`warden run --mem 16 --rng --transport pci`), freestanding ELF64 in
 * long mode with the first 4 GiB identity-mapped.  It enumerates the bus
 * through ports 0xcf8/0xcfc, sizes the BARs, walks the virtio
 * capabilities, programs MSI-X (one vector for config, one for the
 * queue), drives the device and checks that its interrupts arrive as
 * MSIs: with IF=0 and the local APIC enabled, an MSI for vector V sets
 * V's bit in the APIC's IRR, which the guest reads (inside KVM, no exit).
 * It never reads the ISR.  On the way it does what a hostile driver
 * would: moves a BAR, writes config space at odd sizes and offsets,
 * writes outside the MSI-X table and into the PBA, asks for a vector the
 * function lacks, masks a vector while an interrupt is due (the PBA bit
 * must show it, the unmask deliver it), enables a queue whose rings lie
 * outside RAM.  One line per step on COM1; "virtio-pci: counts errors N"
 * gives the guest errors warden must have counted. */
#include <stdint.h>

#include "virtio/virtio_spec.h"

#define COM1 0x3f8
#define ACPI_SLEEP_CTL 0x600
#define LAPIC 0xfee00000UL
#define RAM_END (16UL << 20)
#define QSIZE 8
#define DESC_GPA 0x400000UL
#define AVAIL_GPA 0x401000UL
#define USED_GPA 0x402000UL
#define BUF_GPA 0x404000UL
#define POLL (1UL << 24)
#define V_CONFIG 0x50 /* APIC vectors the MSI-X entries carry */
#define V_QUEUE 0x51
#define V_QUEUE_MASKED 0x52
#define V_AFTER_RESET 0x53

static unsigned long bad_checks, errors;
static uint64_t bar0, common, notify_base, devcfg, table, pba, isr;
static uint32_t notify_mult;
static unsigned slot, pcicfg; /* pcicfg: the PCI_CFG capability's offset */
static uint16_t avail_idx, used_seen;

void *memset(void *d, int c, unsigned long len);
void *memset(void *d, int c, unsigned long len)
{
	volatile uint8_t *p = d;

	while (len--)
		*p++ = (uint8_t)c;
	return d;
}

static void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static uint32_t inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static void print(const char *s)
{
	while (*s)
		outb(COM1, (uint8_t)*s++);
}

static void putu(unsigned long v)
{
	char b[24];
	int i = 0;

	do
		b[i++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (i)
		outb(COM1, (uint8_t)b[--i]);
}

static void check(int ok, const char *what)
{
	print(ok ? "virtio-pci: ok " : "virtio-pci: FAIL ");
	print(what);
	print("\n");
	bad_checks += !ok;
}

/* --- config space through mechanism #1 ------------------------------------ */

static uint32_t cfg_rd(unsigned s, unsigned off)
{
	outl(0xcf8, 0x80000000u | s << 11 | (off & 0xfc));
	return inl(0xcfc);
}

static void cfg_wr(unsigned s, unsigned off, uint32_t v)
{
	outl(0xcf8, 0x80000000u | s << 11 | (off & 0xfc));
	outl(0xcfc, v);
}

/* --- MMIO ------------------------------------------------------------------- */

static uint8_t r8(uint64_t a) { return *(volatile uint8_t *)a; }
static uint16_t r16(uint64_t a) { return *(volatile uint16_t *)a; }
static uint32_t r32(uint64_t a) { return *(volatile uint32_t *)a; }
static void w8(uint64_t a, uint8_t v) { *(volatile uint8_t *)a = v; }
static void w16(uint64_t a, uint16_t v) { *(volatile uint16_t *)a = v; }
static void w32(uint64_t a, uint32_t v) { *(volatile uint32_t *)a = v; }

static int irr(unsigned v)
{
	return (r32(LAPIC + 0x200 + 0x10 * (v / 32)) >> (v % 32)) & 1;
}

static int wait_irr(unsigned v)
{
	for (unsigned long i = 0; i < POLL; i++)
		if (irr(v))
			return 1;
	return 0;
}

/* --- the virtio device -------------------------------------------------------- */

static void find_caps(void)
{
	for (unsigned at = cfg_rd(slot, 0x34) & 0xff; at; at = (cfg_rd(slot, at) >> 8) & 0xff) {
		uint32_t h = cfg_rd(slot, at), off = cfg_rd(slot, at + 8);
		unsigned bar = cfg_rd(slot, at + 4) & 0xff;
		uint64_t base = cfg_rd(slot, 0x10 + 4 * bar) & ~0xfu;

		if ((h & 0xff) == 0x11) {
			table = bar0 + (cfg_rd(slot, at + 4) & ~7u);
			pba = bar0 + (cfg_rd(slot, at + 8) & ~7u);
			/* Enable MSI-X (entries still masked). */
			cfg_wr(slot, at, h | 0x80000000u);
			continue;
		}
		switch ((h >> 24) & 0xff) {
		case VIRTIO_PCI_CAP_COMMON_CFG: common = base + off; break;
		case VIRTIO_PCI_CAP_NOTIFY_CFG:
			notify_base = base + off;
			notify_mult = cfg_rd(slot, at + 16);
			break;
		case VIRTIO_PCI_CAP_ISR_CFG: isr = base + off; break;
		case VIRTIO_PCI_CAP_DEVICE_CFG: devcfg = base + off; break;
		case VIRTIO_PCI_CAP_PCI_CFG: pcicfg = at; break;
		}
	}
}

static void msix_entry(unsigned e, uint32_t data, uint32_t ctrl)
{
	w32(table + 16 * e, 0xfee00000u); /* APIC id 0 */
	w32(table + 16 * e + 4, 0);
	w32(table + 16 * e + 8, data);
	w32(table + 16 * e + 12, ctrl);
}

static void queue_setup(uint64_t d, uint64_t a, uint64_t u)
{
	w16(common + VIRTIO_PCI_COMMON_Q_SELECT, 0);
	w16(common + VIRTIO_PCI_COMMON_Q_SIZE, QSIZE);
	w32(common + VIRTIO_PCI_COMMON_Q_DESCLO, (uint32_t)d);
	w32(common + VIRTIO_PCI_COMMON_Q_DESCHI, (uint32_t)(d >> 32));
	w32(common + VIRTIO_PCI_COMMON_Q_AVAILLO, (uint32_t)a);
	w32(common + VIRTIO_PCI_COMMON_Q_AVAILHI, (uint32_t)(a >> 32));
	w32(common + VIRTIO_PCI_COMMON_Q_USEDLO, (uint32_t)u);
	w32(common + VIRTIO_PCI_COMMON_Q_USEDHI, (uint32_t)(u >> 32));
}

static uint8_t device_init(uint64_t d, uint64_t a, uint64_t u)
{
	w8(common + VIRTIO_PCI_COMMON_STATUS, 0);
	w8(common + VIRTIO_PCI_COMMON_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	w32(common + VIRTIO_PCI_COMMON_GFSELECT, 1);
	w32(common + VIRTIO_PCI_COMMON_GF, 1); /* VERSION_1 */
	w8(common + VIRTIO_PCI_COMMON_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
						     VIRTIO_STATUS_FEATURES_OK);
	w16(common + VIRTIO_PCI_COMMON_MSIX, 0);
	queue_setup(d, a, u);
	w16(common + VIRTIO_PCI_COMMON_Q_MSIX, 1);
	w16(common + VIRTIO_PCI_COMMON_Q_ENABLE, 1);
	w8(common + VIRTIO_PCI_COMMON_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
						     VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	avail_idx = used_seen = 0;
	memset((void *)AVAIL_GPA, 0, 0x2000);
	return r8(common + VIRTIO_PCI_COMMON_STATUS);
}

/* One 64-byte buffer; 1 when the device returned it. */
static int request(void)
{
	volatile struct virtq_desc *dt = (volatile struct virtq_desc *)DESC_GPA;
	volatile struct virtq_avail *av = (volatile struct virtq_avail *)AVAIL_GPA;
	volatile struct virtq_used *us = (volatile struct virtq_used *)USED_GPA;

	dt[0].addr = BUF_GPA;
	dt[0].len = 64;
	dt[0].flags = VIRTQ_DESC_F_WRITE;
	dt[0].next = 0;
	av->ring[avail_idx % QSIZE] = 0;
	__asm__ volatile("mfence" ::: "memory");
	av->idx = ++avail_idx;
	__asm__ volatile("mfence" ::: "memory");
	w16(notify_base + 0 * notify_mult, 0); /* the ioeventfd */
	for (unsigned long i = 0; i < POLL; i++)
		if (us->idx != used_seen) {
			used_seen = us->idx;
			return 1;
		}
	return 0;
}

static void enumerate(void)
{
	uint32_t size;

	check((cfg_rd(0, 8) >> 16) == 0x0600, "slot 0 is a host bridge");
	for (slot = 1; slot < 32 && cfg_rd(slot, 0) != (((0x1040u + VIRTIO_ID_RNG) << 16) | 0x1af4); slot++)
		;
	check(slot < 32, "virtio-rng found (1af4:1044)");
	check(cfg_rd(31, 0) == 0xffffffffu, "an empty slot reads all ones");
	bar0 = cfg_rd(slot, 0x10) & ~0xfu;
	cfg_wr(slot, 0x10, 0xffffffffu);
	size = ~(cfg_rd(slot, 0x10) & ~0xfu) + 1;
	cfg_wr(slot, 0x10, (uint32_t)bar0);
	check(size == 0x4000 && cfg_rd(slot, 0x10) == bar0, "BAR 0 sized (16 KiB) and restored");
	cfg_wr(slot, 0x10, 0xd0000000u);
	check(cfg_rd(slot, 0x10) == bar0, "moving BAR 0 is refused (1 error)");
	errors++;
	/* Odd sizes and offsets: a word across the dword, bytes at the end. */
	outl(0xcf8, 0x80000000u | slot << 11 | 0xfc);
	outw(0xcff, 0xffff);
	outb(0xcff, 0xff);
	(void)inb(0xcfd);
	/* Past the data port (unclaimed) and a byte at 0xff: no harm, no error. */
	check((cfg_rd(slot, 0) & 0xffff) == 0x1af4, "odd-sized config accesses survived");
	cfg_wr(slot, 4, 0x6); /* memory decode, bus master */
	find_caps();
	check(common && notify_base && isr && devcfg && table && pba && notify_mult == 4,
	      "capabilities: common, notify (x4), ISR, device, MSI-X");
}

static void interrupts(void)
{
	w32(LAPIC + 0xf0, 0x1ff); /* APIC software-enabled: it accepts fixed MSIs */
	msix_entry(0, V_CONFIG, 0);
	msix_entry(1, V_QUEUE, 0);
	check(device_init(DESC_GPA, AVAIL_GPA, USED_GPA) & VIRTIO_STATUS_DRIVER_OK, "device running");
	check(r16(common + VIRTIO_PCI_COMMON_Q_MSIX) == 1, "queue 0 on vector 1");
	check(request() && wait_irr(V_QUEUE), "64 random bytes; the queue's MSI arrived (IRR)");
	/* Masked while an interrupt is due: PBA bit, then delivery on unmask. */
	msix_entry(1, V_QUEUE_MASKED, 1);
	check(request(), "request with the vector masked");
	check((r32(pba) & 2) && !irr(V_QUEUE_MASKED), "masked: the PBA bit is set, nothing sent");
	w32(table + 16 + 12, 0);
	check(wait_irr(V_QUEUE_MASKED) && !(r32(pba) & 2), "unmasked: delivered, PBA bit clear");
	/* A vector the function lacks reads back as NO_VECTOR. */
	w16(common + VIRTIO_PCI_COMMON_Q_MSIX, 99);
	check(r16(common + VIRTIO_PCI_COMMON_Q_MSIX) == 0xffff, "vector 99 refused: NO_VECTOR (1 error)");
	errors++;
	w32(table + 0x100, 1); /* past the table */
	w32(pba, 0xffffffffu); /* the PBA is read-only */
	w16(table, 1);         /* half an entry */
	errors += 3;
	check(r32(table + 8) == V_CONFIG, "table survives writes outside it (3 errors)");
}

static void bad_rings(void)
{
	uint8_t st = device_init(RAM_END + 0x100000, AVAIL_GPA, USED_GPA);

	check(st & VIRTIO_STATUS_NEEDS_RESET, "rings outside RAM: device needs reset (1 error)");
	errors++;
	msix_entry(1, V_AFTER_RESET, 0);
	check(device_init(DESC_GPA, AVAIL_GPA, USED_GPA) & VIRTIO_STATUS_DRIVER_OK, "reset: running again");
	check(request() && wait_irr(V_AFTER_RESET), "recovered: 64 bytes and an MSI after the reset");
}

/* The PCI_CFG window (4.1.4.9): BAR 0's registers through config space,
 * as a driver that cannot map BARs would reach them. */
static uint32_t window(unsigned bar, uint32_t off, uint32_t len)
{
	cfg_wr(slot, pcicfg + 4, bar); /* bar; padding bytes are read-only */
	cfg_wr(slot, pcicfg + 8, off);
	cfg_wr(slot, pcicfg + 12, len);
	return cfg_rd(slot, pcicfg + 16);
}

static void pci_cfg_window(void)
{
	uint16_t numq = r16(common + VIRTIO_PCI_COMMON_NUMQ);

	check(pcicfg != 0, "the PCI_CFG capability is there");
	check((window(0, (uint32_t)(common - bar0) + VIRTIO_PCI_COMMON_NUMQ, 2) & 0xffff) == numq && numq == 1,
	      "PCI_CFG window reads num_queues as BAR 0 does (1)");
	/* A write through the window: queue_select, read back from BAR 0. */
	window(0, (uint32_t)(common - bar0) + VIRTIO_PCI_COMMON_Q_SELECT, 2);
	cfg_wr(slot, pcicfg + 16, 0x7);
	check(r16(common + VIRTIO_PCI_COMMON_Q_SELECT) == 0x7, "PCI_CFG window writes queue_select");
	w16(common + VIRTIO_PCI_COMMON_Q_SELECT, 0);
	/* A length the window cannot take reads 0 and counts one error. */
	check(window(0, (uint32_t)(common - bar0) + VIRTIO_PCI_COMMON_NUMQ, 3) == 0, "PCI_CFG window refuses length 3 (1 error)");
	errors++;
}

void guest_main(void);
void guest_main(void)
{
	enumerate();
	if (!bad_checks)
		pci_cfg_window();
	if (!bad_checks) {
		interrupts();
		bad_rings();
	}
	print("virtio-pci: counts errors ");
	putu(errors);
	print("\n");
	print(bad_checks ? "virtio-pci: checks FAILED\n" : "virtio-pci: all checks passed\n");
	for (;;) {
		outb(ACPI_SLEEP_CTL, 0x34);
		__asm__ volatile("hlt");
	}
}

__asm__(".pushsection .text\n"
	".globl _start\n"
	"_start:\n"
	"	lea stack_top(%rip), %rsp\n"
	"	call guest_main\n"
	"1:	hlt\n"
	"	jmp 1b\n"
	".popsection\n"
	".pushsection .bss\n"
	".balign 16\n"
	"	.skip 16384\n"
	"stack_top:\n"
	".popsection\n");
