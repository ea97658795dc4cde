/* --edu (src/devices/edu*.c) and --intel-iommu (src/devices/intel_iommu.c)
 * on a fake VM with real guest memory, driven through the VM's buses as
 * a guest's port and MMIO accesses: the register file, the function's
 * configuration as the kvm-unit-tests library reads it through
 * 0xcf8/0xcfc, DMA straight to RAM and through the IOMMU, INTx and MSI,
 * and the remapped paths: an MSI through its IRTE, and an IOAPIC entry
 * in the remappable format turned into the IRTE's message instead of a
 * pin KVM would deliver with the entry's own (wrong) fields. */
#include "core/bus.h"
#include "core/device.h"
#include "core/guest_mem.h"
#include "core/layout.h"
#include "core/vm.h"
#include "devices/edu.h"
#include "devices/edu_regs.h"
#include "devices/intel_iommu.h"
#include "devices/pci_cfg.h"
#include "devices/vtd.h"
#include "unit.h"

#define MEM (16 * GMEM_MIB)
#define PAGE 0x200000ULL
#define ROOT 0x100000ULL
#define CTX 0x101000ULL
#define PT3 0x102000ULL
#define PT2 0x103000ULL
#define PT1 0x104000ULL
#define IRT 0x110000ULL
#define MSI_CAP 0x40

static struct vm vm;
static struct device *edu;
static struct intel_iommu *iommu;
static int nirq, irq_gsi[16], irq_level[16];
static int nmsi;
static uint64_t msi_addr[16];
static uint32_t msi_data[16];
static uint64_t rte_value; /* what the fake IOAPIC holds for every pin */

static void rec_irq(struct vm *v, unsigned gsi, int level)
{
	assert_ptr_equal(v, &vm);
	assert_true(nirq < 16);
	irq_gsi[nirq] = (int)gsi;
	irq_level[nirq++] = level;
}

static int rec_msi(struct vm *v, uint64_t addr, uint32_t data)
{
	assert_ptr_equal(v, &vm);
	assert_true(nmsi < 16);
	msi_addr[nmsi] = addr;
	msi_data[nmsi++] = data;
	return 0;
}

static int fake_rte(struct vm *v, unsigned pin, uint64_t *rte)
{
	(void)v, (void)pin;
	*rte = rte_value;
	return 0;
}

static const struct edu_env env = {
	.set_irq = rec_irq, .send_msi = rec_msi, .ioapic_rte = fake_rte,
	.dma = intel_iommu_dma, .remap_msi = intel_iommu_msi, .remap_ioapic = intel_iommu_ioapic,
};

static int setup_vm(bool with_iommu)
{
	memset(&vm, 0, sizeof(vm));
	vm.kvm_fd = vm.vm_fd = -1;
	nirq = nmsi = 0;
	rte_value = 0;
	iommu = NULL;
	if (vm_end_init(&vm.end) < 0 || gmem_map(&vm.mem, MEM) < 0)
		return -1;
	if (with_iommu && !(iommu = intel_iommu_create_msi(&vm, rec_msi)))
		return -1;
	edu = edu_create_env(&vm, iommu, &env);
	return edu ? 0 : -1;
}

static int setup(void **state)
{
	(void)state;
	return setup_vm(false);
}

static int setup_iommu(void **state)
{
	(void)state;
	return setup_vm(true);
}

static int teardown(void **state)
{
	(void)state;
	vm_destroy(&vm);
	return 0;
}

/* A guest access through the bus, as the exit path makes it. */
static uint64_t bus_access(enum bus_space sp, uint64_t addr, unsigned len, uint64_t val, bool write)
{
	const struct bus_range *r = bus_find(&vm.bus[sp], addr, len);
	uint8_t buf[8] = { 0 };
	uint64_t out = 0;

	assert_non_null(r);
	futex_mutex_lock(&r->dev->lock);
	if (write) {
		memcpy(buf, &val, len);
		r->dev->ops->write(r->dev, r->index, addr - r->base, buf, len);
	} else {
		r->dev->ops->read(r->dev, r->index, addr - r->base, buf, len);
		memcpy(&out, buf, len);
	}
	futex_mutex_unlock(&r->dev->lock);
	return out;
}

/* The suite's pci_config_read*: address at 0xcf8 with the register's low
 * bits, data at 0xcfc whatever the width. */
static uint32_t cfg_rd(unsigned devfn, unsigned reg, unsigned len)
{
	bus_access(BUS_PIO, 0xcf8, 4, 0x80000000u | (devfn << 8) | reg, true);
	return (uint32_t)bus_access(BUS_PIO, 0xcfc, len, 0, false);
}

static void cfg_wr(unsigned devfn, unsigned reg, unsigned len, uint32_t v)
{
	bus_access(BUS_PIO, 0xcf8, 4, 0x80000000u | (devfn << 8) | reg, true);
	bus_access(BUS_PIO, 0xcfc, len, v, true);
}

static uint64_t bar0(void)
{
	return edu->res.range[0].base;
}

static uint64_t reg(uint64_t off, unsigned len)
{
	return bus_access(BUS_MMIO, bar0() + off, len, 0, false);
}

static void set(uint64_t off, unsigned len, uint64_t v)
{
	bus_access(BUS_MMIO, bar0() + off, len, v, true);
}

static void put64(uint64_t gpa, uint64_t v)
{
	uint8_t *p = gmem_ptr(&vm.mem, gpa, 8);

	assert_non_null(p);
	u_wr64(p, v);
}

static uint32_t get32(uint64_t gpa)
{
	uint8_t *p = gmem_ptr(&vm.mem, gpa, 4);

	assert_non_null(p);
	return u_rd32(p);
}

static void vtd_wr(uint64_t off, unsigned len, uint64_t v)
{
	bus_access(BUS_MMIO, LAYOUT_VTD + off, len, v, true);
}

static uint64_t vtd_rd(uint64_t off, unsigned len)
{
	return bus_access(BUS_MMIO, LAYOUT_VTD + off, len, 0, false);
}

static void gcmd_or(uint32_t cmd)
{
	vtd_wr(VTD_GCMD, 4, vtd_rd(VTD_GSTS, 4) | cmd);
}

/* edu_dma of the suite's library: source, destination, count, command. */
static void dma(uint64_t from, uint64_t to, uint64_t n, uint32_t cmd)
{
	set(0x80, 8, from);
	set(0x88, 8, to);
	set(0x90, 8, n);
	set(0x98, 4, cmd);
	assert_int_equal(reg(0x98, 4) & 1, 0); /* done when the write returns */
}

/* --- the register file ----------------------------------------------- */

static void test_registers(void **state)
{
	(void)state;
	assert_int_equal(reg(0x00, 4), EDU_ID);
	set(0x04, 4, 0x12345678);
	assert_int_equal(reg(0x04, 4), (uint32_t)~0x12345678u);
	set(0x08, 4, 10);
	assert_int_equal(reg(0x08, 4), 3628800);
	set(0x08, 4, 0xffffffffu); /* bounded: zero at once */
	assert_int_equal(reg(0x08, 4), 0);
	set(0x08, 4, 33);
	assert_int_not_equal(reg(0x08, 4), 0);
	/* Widths QEMU's would not take read all ones and count. */
	assert_int_equal(reg(0x00, 2), 0xffff);
	assert_int_equal(reg(0x00, 8), ~0ULL);
	assert_int_equal(reg(0x200, 4), 0xffffffffu); /* unassigned */
	set(0x04, 8, 1);
	assert_int_equal(reg(0x04, 4), (uint32_t)~0x12345678u);
	assert_int_equal(edu->counters->errors, 3);
	/* Above 0x80: 8-byte registers. */
	set(0x80, 8, 0x1122334455667788ULL);
	assert_int_equal(reg(0x80, 8), 0x1122334455667788ULL);
	set(0x80, 4, 0x99);
	assert_int_equal(reg(0x80, 8), 0x99);
}

static void test_dma_plan_bounds(void **state)
{
	struct edu_regs r;
	struct edu_dma d;

	(void)state;
	edu_regs_reset(&r);
	r.dma_cmd = 1;
	r.dma_src = 0x1000;
	r.dma_dst = EDU_DMA_BASE + 4092;
	r.dma_count = 4;
	assert_int_equal(edu_dma_plan(&r, &d), 0);
	assert_int_equal(d.buf_off, 4092);
	assert_false(d.to_memory);
	r.dma_count = 5; /* past the buffer's end */
	assert_int_equal(edu_dma_plan(&r, &d), -1);
	r.dma_dst = EDU_DMA_BASE;
	r.dma_count = EDU_DMA_SIZE + 1;
	assert_int_equal(edu_dma_plan(&r, &d), -1);
	r.dma_count = 0xffffffffffffffffULL;
	assert_int_equal(edu_dma_plan(&r, &d), -1);
	r.dma_dst = EDU_DMA_BASE + 1; /* offset + count wraps to 0 */
	assert_int_equal(edu_dma_plan(&r, &d), -1);
	r.dma_dst = EDU_DMA_BASE;
	r.dma_dst = EDU_DMA_BASE - 1;
	r.dma_count = 1;
	assert_int_equal(edu_dma_plan(&r, &d), -1);
	r.dma_cmd = 3; /* device to RAM: the source is the buffer */
	r.dma_src = EDU_DMA_BASE + 0x10;
	r.dma_dst = 0x5000;
	assert_int_equal(edu_dma_plan(&r, &d), 0);
	assert_true(d.to_memory);
	assert_int_equal(d.addr, 0x5000);
}

/* --- the PCI function --------------------------------------------------- */

static void test_config_space(void **state)
{
	unsigned devfn = 8; /* slot 1: the first after the host bridge */

	(void)state;
	assert_int_equal(cfg_rd(devfn, 0, 2), EDU_VENDOR);
	/* The device id at register 2, read as the suite reads it. */
	assert_int_equal(cfg_rd(devfn, 2, 2), EDU_DEVICE);
	assert_int_equal(cfg_rd(devfn, 0, 4), (EDU_DEVICE << 16) | EDU_VENDOR);
	assert_int_equal(cfg_rd(devfn, 0x10, 4), bar0());
	cfg_wr(devfn, 0x10, 4, 0xffffffff);
	assert_int_equal(cfg_rd(devfn, 0x10, 4), ~(EDU_BAR_SIZE - 1));
	cfg_wr(devfn, 0x10, 4, (uint32_t)bar0());
	assert_int_equal(cfg_rd(devfn, PCI_CFG_INT_LINE, 1), edu->res.gsi);
	assert_int_equal(cfg_rd(devfn, PCI_CFG_INT_PIN, 1), 1);
	assert_true(cfg_rd(devfn, PCI_CFG_COMMAND, 2) & PCI_COMMAND_MEMORY); /* as firmware left it */
	assert_int_equal(cfg_rd(devfn, PCI_CFG_CAP_PTR, 1), MSI_CAP);
	assert_int_equal(cfg_rd(devfn, MSI_CAP, 1), 0x05);
	assert_int_equal(cfg_rd(devfn, MSI_CAP + 2, 2), 0x0080); /* 64-bit, off */
	/* 0xcf8 reads back without the low bits. */
	bus_access(BUS_PIO, 0xcf8, 4, 0x80000802u, true);
	assert_int_equal(bus_access(BUS_PIO, 0xcf8, 4, 0, false), 0x80000800u);
	/* Memory decoding off: the BAR reads all ones and takes nothing. */
	cfg_wr(devfn, PCI_CFG_COMMAND, 2, 0);
	assert_int_equal(reg(0x00, 4), 0xffffffffu);
	cfg_wr(devfn, PCI_CFG_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_int_equal(reg(0x00, 4), EDU_ID);
}

static void test_dma_direct(void **state)
{
	uint8_t *p = gmem_ptr(&vm.mem, PAGE, 4096);

	(void)state;
	cfg_wr(8, PCI_CFG_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	u_wr32(p, 0x12345678);
	dma(PAGE, EDU_DMA_BASE, 4, 1);
	dma(EDU_DMA_BASE, PAGE + 4, 4, 1 | 2);
	assert_int_equal(get32(PAGE + 4), 0x12345678);
	assert_int_equal(edu->counters->requests, 2);
	/* Outside guest RAM, outside the buffer, without bus mastering:
	 * dropped, counted, and the command still completes. */
	dma(EDU_DMA_BASE, MEM - 2, 4, 1 | 2);
	dma(PAGE, EDU_DMA_BASE + 4094, 4, 1);
	cfg_wr(8, PCI_CFG_COMMAND, 2, PCI_COMMAND_MEMORY);
	dma(PAGE, EDU_DMA_BASE, 4, 1);
	assert_int_equal(edu->counters->errors, 3);
	assert_int_equal(edu->counters->requests, 2);
	/* A DMA asking for its interrupt raises 0x100 on INTx. */
	cfg_wr(8, PCI_CFG_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	dma(PAGE, EDU_DMA_BASE, 4, 1 | 4);
	assert_int_equal(reg(0x24, 4), EDU_IRQ_DMA);
	assert_int_equal(nirq, 1);
	assert_int_equal(irq_level[0], 1);
}

static void test_intx_and_msi(void **state)
{
	(void)state;
	cfg_wr(8, PCI_CFG_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	set(0x60, 4, 1);
	set(0x60, 4, 2); /* the line is already up */
	assert_int_equal(nirq, 1);
	assert_int_equal(irq_gsi[0], edu->res.gsi);
	assert_int_equal(irq_level[0], 1);
	set(0x64, 4, 1);
	assert_int_equal(nirq, 1); /* 2 still pending */
	set(0x64, 4, 2);
	assert_int_equal(nirq, 2);
	assert_int_equal(irq_level[1], 0);
	/* INTx disable keeps the line down. */
	cfg_wr(8, PCI_CFG_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);
	set(0x60, 4, 1);
	assert_int_equal(nirq, 2);
	set(0x64, 4, 1);
	cfg_wr(8, PCI_CFG_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	/* MSI: every raise sends the programmed message; no INTx. */
	cfg_wr(8, MSI_CAP + 4, 4, 0xfee01000);
	cfg_wr(8, MSI_CAP + 8, 4, 0);
	cfg_wr(8, MSI_CAP + 12, 4, 0x4041);
	cfg_wr(8, MSI_CAP + 2, 2, 1);
	set(0x60, 4, 1);
	set(0x60, 4, 1);
	assert_int_equal(nmsi, 2);
	assert_int_equal(msi_addr[0], 0xfee01000);
	assert_int_equal(msi_data[0], 0x4041);
	assert_int_equal(nirq, 2);
	/* Factorial with its interrupt bit: raises 0x1. */
	set(0x64, 4, 0xffffffff);
	set(0x20, 4, 0x80);
	set(0x08, 4, 5);
	assert_int_equal(reg(0x24, 4), EDU_IRQ_FACTORIAL);
	assert_int_equal(nmsi, 3);
}

/* --- behind the IOMMU --------------------------------------------------- */

/* The suite's vtd_init and vtd_map_range: IOVA 0 -> PAGE for 00:01.0. */
static void iommu_on(void)
{
	put64(ROOT, CTX | 1);
	put64(CTX + 8 * 16, PT3 | 2 | 1);
	put64(CTX + 8 * 16 + 8, 1 | (8 << 8));
	put64(PT3, PT2 | 3);
	put64(PT2, PT1 | 3);
	put64(PT1, PAGE | 3);
	gcmd_or(VTD_GCMD_QIE);
	vtd_wr(VTD_RTADDR, 8, ROOT);
	gcmd_or(VTD_GCMD_SRTP);
	vtd_wr(VTD_IRTA, 8, IRT | 0xf);
	gcmd_or(VTD_GCMD_SIRTP);
	gcmd_or(VTD_GCMD_TE);
	gcmd_or(VTD_GCMD_IRE);
	cfg_wr(8, PCI_CFG_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
}

/* vtd_setup_irte: FPD, physical, fixed, full source-id check. */
static void irte(unsigned index, uint8_t vector, uint8_t apic)
{
	put64(IRT + index * 16, 1 | 2 | ((uint64_t)vector << 16) | ((uint64_t)apic << 40));
	put64(IRT + index * 16 + 8, 0x0008 | (1ULL << 18));
}

static void test_dma_through_iommu(void **state)
{
	(void)state;
	iommu_on();
	assert_int_equal(vtd_rd(VTD_FSTS, 4), 0);
	put64(PAGE, 0x12345678);
	dma(0, EDU_DMA_BASE, 4, 1);
	dma(EDU_DMA_BASE, 4, 4, 1 | 2);
	assert_int_equal(get32(PAGE + 4), 0x12345678);
	/* Across the page's end into an unmapped one: the first part done,
	 * the rest a fault (not recorded: the context has FPD), counted. */
	put64(PAGE + 0xff8, 0);
	dma(EDU_DMA_BASE, 0xffc, 8, 1 | 2);
	assert_int_equal(get32(PAGE + 0xffc), 0x12345678);
	assert_int_equal(edu->counters->errors, 1);
	assert_int_equal(vtd_rd(VTD_FSTS, 4), 0);
	/* Without FPD it is recorded: a write to 0x1000, no permission. */
	put64(CTX + 8 * 16, PT3 | 1);
	dma(EDU_DMA_BASE, 0x1000, 4, 1 | 2);
	assert_int_equal(vtd_rd(VTD_FSTS, 4), VTD_FSTS_PPF);
	assert_int_equal((vtd_rd(VTD_FRCD + 8, 8) >> 32) & 0xff, VTD_FR_WRITE);
	assert_int_equal(vtd_rd(VTD_FRCD + 8, 8) & 0xffff, 0x0008);
	assert_int_equal(edu->counters->errors, 2);
	/* Tables outside RAM: a fault, nothing touched. */
	put64(CTX + 8 * 16, (1ULL << 40) | 1);
	dma(EDU_DMA_BASE, 0, 4, 1 | 2);
	assert_int_equal(edu->counters->errors, 3);
}

static void test_remapped_msi(void **state)
{
	(void)state;
	iommu_on();
	irte(2, 0xee, 1);
	/* The suite's vtd_setup_msi: remappable address with handle 2. */
	cfg_wr(8, MSI_CAP + 4, 4, 0xfee00000 | (2 << 5) | (1 << 4));
	cfg_wr(8, MSI_CAP + 8, 4, 0);
	cfg_wr(8, MSI_CAP + 12, 4, 0);
	cfg_wr(8, MSI_CAP + 2, 2, 1);
	set(0x60, 4, 1);
	assert_int_equal(nmsi, 1);
	assert_int_equal(msi_addr[0], 0xfee01000);
	assert_int_equal(msi_data[0], 0xee);
	/* An IRTE that is not there: blocked, counted, recorded unless FPD. */
	cfg_wr(8, MSI_CAP + 4, 4, 0xfee00000 | (7 << 5) | (1 << 4));
	set(0x60, 4, 1);
	assert_int_equal(nmsi, 1);
	assert_int_equal((vtd_rd(VTD_FRCD + 8, 8) >> 32) & 0xff, VTD_FR_IR_NOT_PRESENT);
	assert_int_equal(vtd_rd(VTD_FRCD, 8) >> 48, 7); /* the index */
	/* Another function's source id in the IRTE: blocked. */
	put64(IRT + 2 * 16 + 8, 0x0010 | (1ULL << 18));
	cfg_wr(8, MSI_CAP + 4, 4, 0xfee00000 | (2 << 5) | (1 << 4));
	set(0x60, 4, 1);
	assert_int_equal(nmsi, 1);
}

/* The IOAPIC entry vtd_setup_ioapic_irq writes: remappable, index 1, and
 * a vector field (0x40) other than the IRTE's (0xed, CPU 2), so that a
 * pin KVM delivered would show: it must not be touched. */
static void test_remapped_intx(void **state)
{
	(void)state;
	iommu_on();
	irte(1, 0xed, 2);
	rte_value = 0x40 | (1ULL << 48) | (1ULL << 49);
	set(0x60, 4, 1);
	assert_int_equal(nirq, 0);
	assert_int_equal(nmsi, 1);
	assert_int_equal(msi_addr[0], 0xfee02000);
	assert_int_equal(msi_data[0], 0xed);
	set(0x64, 4, 1); /* lowered: the pin is told (nothing was raised on it) */
	assert_int_equal(nirq, 1);
	assert_int_equal(irq_level[0], 0);
	/* Masked remappable entry: nothing sent. */
	rte_value |= 1ULL << 16;
	set(0x60, 4, 1);
	assert_int_equal(nmsi, 1);
	set(0x64, 4, 1);
	/* A compatibility-format entry is KVM's to deliver: the pin. */
	rte_value = 0x41;
	set(0x60, 4, 1);
	assert_int_equal(nmsi, 1);
	assert_int_equal(irq_level[nirq - 1], 1);
	set(0x64, 4, 1);
	/* Remapping off: the pin, whatever the entry. */
	vtd_wr(VTD_GCMD, 4, vtd_rd(VTD_GSTS, 4) & ~VTD_GCMD_IRE);
	rte_value = 0x40 | (1ULL << 48) | (1ULL << 49);
	set(0x60, 4, 1);
	assert_int_equal(nmsi, 1);
	assert_int_equal(irq_level[nirq - 1], 1);
}

/* The unit's own fault event: FEADDR/FEDATA when unmasked. */
static void test_fault_event(void **state)
{
	(void)state;
	iommu_on();
	vtd_wr(VTD_FEADDR, 4, 0xfee00000);
	vtd_wr(VTD_FEDATA, 4, 0x77);
	vtd_wr(VTD_FECTL, 4, 0);
	put64(CTX + 8 * 16, PT3 | 1); /* no FPD */
	dma(0x5000, EDU_DMA_BASE, 4, 1);
	assert_int_equal(nmsi, 1);
	assert_int_equal(msi_addr[0], 0xfee00000);
	assert_int_equal(msi_data[0], 0x77);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_registers, setup, teardown),
		cmocka_unit_test(test_dma_plan_bounds),
		cmocka_unit_test_setup_teardown(test_config_space, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dma_direct, setup, teardown),
		cmocka_unit_test_setup_teardown(test_intx_and_msi, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dma_through_iommu, setup_iommu, teardown),
		cmocka_unit_test_setup_teardown(test_remapped_msi, setup_iommu, teardown),
		cmocka_unit_test_setup_teardown(test_remapped_intx, setup_iommu, teardown),
		cmocka_unit_test_setup_teardown(test_fault_event, setup_iommu, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
