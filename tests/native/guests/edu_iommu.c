/* Native-tier test guest for --intel-iommu and --edu (`warden run --mem 16
 * --intel-iommu --edu`): freestanding ELF64 in long mode, the first 4 GiB
 * identity-mapped.  It finds edu on bus 0 through 0xcf8/0xcfc (the device
 * id also as the kvm-unit-tests library reads it: register 2's address,
 * a word at 0xcfc), checks its registers, runs a DMA straight to RAM, sets
 * up the VT-d unit (root, context and a 3-level table mapping IOVA 0x1000
 * to a page; queued invalidation with a wait descriptor's status write),
 * runs a DMA through it, makes one fault (an unmapped IOVA: the fault
 * recording register must name it), turns on interrupt remapping and
 * checks that a remappable MSI arrives as its IRTE says (the vector's bit
 * in the LAPIC's IRR, IF=0: no handler, no exit), that a missing IRTE
 * blocks it, and that INTx through a remappable IOAPIC entry arrives with
 * the IRTE's vector, not the entry's own vector field (KVM's IOAPIC would
 * use that one).  One line per check on COM1; the errors it made on
 * purpose are printed as "edu-iommu: counts ..." for warden's counters. */
#include "guest_rt.h"

#define LAPIC 0xfee00000UL
#define IOAPIC 0xfec00000UL
#define VTD 0xfed90000UL
#define ROOT 0x400000UL
#define CTX 0x401000UL
#define PT3 0x402000UL
#define PT2 0x403000UL
#define PT1 0x404000UL
#define IRT 0x405000UL
#define QUEUE 0x406000UL
#define STATUS 0x407000UL
#define PAGE_A 0x408000UL
#define PAGE_B 0x409000UL
#define POLL (1UL << 12) /* the MSI is sent before the write that raised it returns */
#define EDU_DMA 0x40000u
#define V_MSI 0x61
#define V_INTX 0x63     /* the IRTE's vector for INTx */
#define V_RTE_FIELD 0x64 /* the IOAPIC entry's own vector field */

static unsigned long bad_checks, edu_errors, iommu_errors;
static unsigned slot, msi;
static uint64_t bar;
static uint16_t sid;

static void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static uint16_t inw(uint16_t port)
{
	uint16_t v;

	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static uint32_t r32(uint64_t a) { return *(volatile uint32_t *)a; }
static uint64_t r64(uint64_t a) { return *(volatile uint64_t *)a; }
static void w32(uint64_t a, uint32_t v) { *(volatile uint32_t *)a = v; }
static void w64(uint64_t a, uint64_t v) { *(volatile uint64_t *)a = v; }

static void check(int ok, const char *what)
{
	print(ok ? "edu-iommu: ok " : "edu-iommu: FAIL ");
	print(what);
	print("\n");
	if (!ok)
		bad_checks++;
}

static uint32_t cfg_rd(unsigned off)
{
	outl(0xcf8, 0x80000000u | slot << 11 | (off & 0xfc));
	return inl(0xcfc);
}

static void cfg_wr(unsigned off, uint32_t v)
{
	outl(0xcf8, 0x80000000u | slot << 11 | (off & 0xfc));
	outl(0xcfc, v);
}

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

static void zero(uint64_t a, unsigned long n)
{
	memset((void *)a, 0, n);
}

/* --- edu ---------------------------------------------------------------- */

static int find_edu(void)
{
	for (slot = 0; slot < 32; slot++)
		if (cfg_rd(0) == 0x11e81234u)
			break;
	if (slot == 32)
		return 0;
	/* The suite's pci_config_readw(dev, PCI_DEVICE_ID). */
	outl(0xcf8, 0x80000000u | slot << 11 | 2);
	check(inw(0xcfc) == 0x11e8, "device id read with register 2's address, a word at 0xcfc");
	bar = cfg_rd(0x10) & ~0xfULL;
	for (unsigned at = cfg_rd(0x34) & 0xff; at; at = (cfg_rd(at) >> 8) & 0xff)
		if ((cfg_rd(at) & 0xff) == 0x05)
			msi = at;
	sid = (uint16_t)(slot << 3);
	cfg_wr(0x04, cfg_rd(0x04) | 0x6); /* memory, bus master */
	return 1;
}

/* One transfer; the command is done when its write returns. */
static void dma(uint64_t from, uint64_t to, uint64_t n, uint32_t cmd)
{
	w64(bar + 0x80, from);
	w64(bar + 0x88, to);
	w64(bar + 0x90, n);
	w32(bar + 0x98, cmd);
	check(!(r32(bar + 0x98) & 1), "DMA command done at once");
}

static void edu_registers(void)
{
	check(r32(bar) == 0x010000ed, "identification 0x010000ed");
	w32(bar + 4, 0x13572468);
	check(r32(bar + 4) == ~0x13572468u, "liveness: the inverse");
	w32(bar + 8, 10);
	check(r32(bar + 8) == 3628800, "factorial of 10");
}

static void dma_direct(void)
{
	zero(PAGE_A, 4096);
	w32(PAGE_A, 0xcafef00d);
	dma(PAGE_A, EDU_DMA, 4, 1);
	dma(EDU_DMA, PAGE_A + 4, 4, 3);
	check(r32(PAGE_A + 4) == 0xcafef00d, "DMA to RAM and back, no IOMMU translation");
	dma(PAGE_A, EDU_DMA + 4, 4093, 1); /* past the buffer: dropped */
	edu_errors++;
}

/* --- the VT-d unit ---------------------------------------------------------- */

static void gcmd_or(uint32_t cmd)
{
	w32(VTD + 0x18, r32(VTD + 0x1c) | cmd);
}

static void vtd_tables(void)
{
	zero(ROOT, 0x8000);
	w64(ROOT, CTX | 1);
	w64(CTX + sid * 16UL, PT3 | 1); /* no FPD: faults are recorded */
	w64(CTX + sid * 16UL + 8, 1 | (uint64_t)sid << 8); /* 39 bits, DID */
	w64(PT3, PT2 | 3);
	w64(PT2, PT1 | 3);
	w64(PT1 + 8, PAGE_B | 3); /* IOVA 0x1000 -> PAGE_B */
	check(r64(VTD + 0x08) & (1ULL << 9), "CAP: 39-bit tables");
	w64(VTD + 0x20, ROOT);
	gcmd_or(1u << 30);
	check(r32(VTD + 0x1c) & (1u << 30), "root table pointer set");
	gcmd_or(1u << 31);
	check(r32(VTD + 0x1c) & (1u << 31), "translation enabled");
}

static void vtd_queue(void)
{
	w64(VTD + 0x90, QUEUE);
	gcmd_or(1u << 26);
	check(r32(VTD + 0x1c) & (1u << 26), "queued invalidation enabled");
	w64(QUEUE, 0x2 | 1 << 4); /* IOTLB, global */
	w64(QUEUE + 8, 0);
	w64(QUEUE + 16, 0x5 | 1 << 5 | 0x600dULL << 32); /* wait, status write */
	w64(QUEUE + 24, STATUS);
	w32(STATUS, 0);
	w64(VTD + 0x88, 2 << 4);
	check(r32(STATUS) == 0x600d && r64(VTD + 0x80) == 2 << 4, "wait descriptor: status written, IQH at the tail");
	check(r32(VTD + 0x34) == 0, "no fault");
}

static void dma_translated(void)
{
	zero(PAGE_B, 4096);
	w32(PAGE_B, 0x5eed1234);
	dma(0x1000, EDU_DMA, 4, 1);
	dma(EDU_DMA, 0x1008, 4, 3);
	check(r32(PAGE_B + 8) == 0x5eed1234, "DMA through the IOMMU: IOVA 0x1000 is the mapped page");
	/* An unmapped IOVA: a read fault in the recording register. */
	dma(0x2000, EDU_DMA, 4, 1);
	edu_errors++;
	iommu_errors++;
	check((r32(VTD + 0x34) & 2) && ((r64(VTD + 0x228) >> 32) & 0xff) == 6 &&
		      (r64(VTD + 0x228) & 0xffff) == sid && r64(VTD + 0x220) == 0x2000,
	      "unmapped IOVA: fault 6 (read) for edu at 0x2000 recorded");
	w32(VTD + 0x22c, 1u << 31);
	check(!(r32(VTD + 0x34) & 2), "fault cleared");
}

/* --- interrupt remapping ------------------------------------------------- */

static void irte(unsigned index, unsigned vector)
{
	w64(IRT + index * 16, 1 | (uint64_t)vector << 16); /* physical, fixed, edge, APIC 0 */
	w64(IRT + index * 16 + 8, sid | 1ULL << 18);       /* full source-id check */
}

static void remapped_msi(void)
{
	zero(IRT, 0x1000);
	w64(VTD + 0xb8, IRT | 7);
	gcmd_or(1u << 24);
	gcmd_or(1u << 25);
	check(r32(VTD + 0x1c) & (1u << 25), "interrupt remapping enabled");
	w32(LAPIC + 0xf0, 0x1ff); /* APIC software-enabled */
	irte(3, V_MSI);
	cfg_wr(msi + 4, 0xfee00000 | 3 << 5 | 1 << 4); /* remappable, handle 3 */
	cfg_wr(msi + 8, 0);
	cfg_wr(msi + 12, 0);
	cfg_wr(msi, cfg_rd(msi) | 1 << 16); /* MSI enable */
	w32(bar + 0x60, 1);
	check(wait_irr(V_MSI), "remapped MSI arrived with the IRTE's vector");
	w32(bar + 0x64, 1);
	/* Handle 4: no IRTE there: blocked, recorded. */
	cfg_wr(msi + 4, 0xfee00000 | 4 << 5 | 1 << 4);
	w32(bar + 0x60, 1);
	iommu_errors++;
	check(((r64(VTD + 0x228) >> 32) & 0xff) == 0x22 && (r64(VTD + 0x220) >> 48) == 4,
	      "MSI to a missing IRTE: fault 0x22 for index 4");
	w32(VTD + 0x22c, 1u << 31);
	w32(bar + 0x64, 1);
	cfg_wr(msi, cfg_rd(msi) & ~(1u << 16)); /* back to INTx */
}

static void remapped_intx(void)
{
	unsigned line = cfg_rd(0x3c) & 0xff;

	irte(5, V_INTX);
	/* The suite's vtd_setup_ioapic_irq: remappable (bit 48), index 5 in
	 * bits 63:49, edge; its vector field says something else. */
	w32(IOAPIC, 0x10 + 2 * line);
	w32(IOAPIC + 0x10, V_RTE_FIELD);
	w32(IOAPIC, 0x11 + 2 * line);
	w32(IOAPIC + 0x10, 1u << 16 | 5u << 17);
	w32(bar + 0x60, 1);
	check(wait_irr(V_INTX) && !irr(V_RTE_FIELD), "INTx through a remappable IOAPIC entry: the IRTE's vector");
	w32(bar + 0x64, 1);
}

void guest_main(void)
{
	if (!find_edu()) {
		print("edu-iommu: FAIL no edu on bus 0\n");
		poweroff();
	}
	check(msi != 0, "MSI capability found");
	edu_registers();
	dma_direct();
	vtd_tables();
	vtd_queue();
	dma_translated();
	remapped_msi();
	remapped_intx();
	print("edu-iommu: counts edu-errors ");
	putu(edu_errors);
	print(" iommu-errors ");
	putu(iommu_errors);
	print("\n");
	if (!bad_checks)
		print("edu-iommu: all checks passed\n");
	poweroff();
}
