/* --edu: QEMU's educational PCI device (1234:11e8) on warden's PCI bus,
 * for the kvm-unit-tests intel_iommu test.  Its registers are
 * devices/edu_regs.h; here are the PCI function around them and what
 * they ask for: DMA and interrupts.
 *
 * PCI: BAR 0 (1 MiB, memory) from the PCI window, and an interrupt line
 * from the pool with INTx pin A; the configuration is what a firmware
 * leaves (the BAR is placed, memory decoding on, the interrupt line
 * register holds the GSI), since a multiboot test kernel finds the
 * device by scanning bus 0 through ports 0xcf8/0xcfc and uses it as it
 * is.  An MSI capability (64-bit address, one vector, no masking).
 *
 * DMA goes through the VT-d unit when there is one (--intel-iommu),
 * with the function's source id (bus 0, its slot, function 0), else
 * straight to guest memory; either way only to guest RAM, at most the
 * 4 KiB buffer, and only with bus mastering on.  A transfer that faults
 * is dropped, counted and logged; the command still completes, as a
 * device's DMA engine reports an aborted transfer.
 *
 * Interrupts: with MSI on, each raise sends the message (remapped by the
 * unit when remapping is on).  Otherwise the INTx line is asserted while
 * the status is not zero.  KVM's in-kernel IOAPIC knows nothing of VT-d's
 * remappable redirection entries: it would read such an entry's
 * interrupt index as a destination and send the vector to the wrong CPU,
 * or to none.  So when remapping is on, the line's entry is read back
 * from KVM (KVM_GET_IRQCHIP) when the line rises: an entry in the
 * remappable format (bit 48) is turned into the message an IOAPIC behind
 * VT-d sends (its index as the handle), remapped through the IRTE and
 * sent with KVM_SIGNAL_MSI, and KVM's IOAPIC is not told; an entry in the
 * compatibility format is KVM's to deliver, as for every other line.
 * Limits of this: a remapped line is delivered once per rising edge, so a
 * level-triggered remapped line is not delivered again after the EOI
 * while it stays up; a masked remappable entry loses the edge. */
#include <stdlib.h>
#include <string.h>

#include "core/device.h"
#include "core/guest_mem.h"
#include "core/vm.h"
#include "devices/edu.h"
#include "devices/edu_regs.h"
#include "devices/intel_iommu.h"
#include "devices/pci_host.h"
#include "devices/vtd.h"
#include "util/error.h"
#include "util/log.h"

#define CLASS_OTHERS 0x00ff00 /* QEMU's PCI_CLASS_OTHERS */
#define REVISION 0x10
#define MSI_CAP_ID 0x05
#define MSI_ENABLE 0x0001
#define MSI_64BIT 0x0080
#define RTE_MASKED (1ULL << 16)

struct edu {
	struct device dev; /* BAR 0 and the interrupt line */
	struct pci_function fn;
	struct vm *vm;
	struct intel_iommu *iommu; /* or NULL */
	struct edu_env env;
	struct edu_regs regs;
	uint16_t sid;
	unsigned msi;  /* the MSI capability's offset */
	bool intx;     /* the line is asserted */
	struct device_counters counters;
};

static void bad(struct edu *e, const char *what, unsigned long long v)
{
	log_guest("edu: %s 0x%llx", what, v);
	device_count(&e->counters.errors, 1);
}

static uint16_t command(const struct edu *e)
{
	return pci_cfg_get16(&e->fn.cfg, PCI_CFG_COMMAND);
}

static bool msi_enabled(const struct edu *e)
{
	return pci_cfg_get16(&e->fn.cfg, e->msi + 2) & MSI_ENABLE;
}

/* --- interrupts ------------------------------------------------------------ */

static void send_msi(struct edu *e)
{
	const uint8_t *c = e->fn.cfg.b + e->msi;
	uint32_t lo, hi;
	uint16_t data;

	if (!(command(e) & PCI_COMMAND_MASTER)) { /* an MSI is a memory write */
		bad(e, "MSI with bus mastering off, status", e->regs.irq_status);
		return;
	}
	memcpy(&lo, c + 4, 4);
	memcpy(&hi, c + 8, 4);
	memcpy(&data, c + 12, 2);
	device_count(&e->counters.interrupts, 1);
	if (e->iommu)
		e->env.remap_msi(e->iommu, e->sid, lo | (uint64_t)hi << 32, data);
	else
		e->env.send_msi(e->vm, lo | (uint64_t)hi << 32, data);
}

/* The line rises: KVM's IOAPIC delivers it, unless its entry is one only
 * VT-d understands (the file's comment says why). */
static void assert_intx(struct edu *e)
{
	unsigned gsi = (unsigned)e->dev.res.gsi;
	uint64_t rte;

	device_count(&e->counters.interrupts, 1);
	if (e->iommu && intel_iommu_remapping(e->iommu) && e->env.ioapic_rte(e->vm, gsi, &rte) == 0 &&
	    vtd_ioapic_rte_remappable(rte)) {
		if (!(rte & RTE_MASKED))
			e->env.remap_ioapic(e->iommu, rte);
		return;
	}
	e->env.set_irq(e->vm, gsi, 1);
}

/* INTx follows the status while MSI is off and INTx is not disabled. */
static void update_intx(struct edu *e)
{
	bool level = e->regs.irq_status && !msi_enabled(e) && !(command(e) & PCI_COMMAND_INTX_DISABLE);

	if (level == e->intx)
		return;
	e->intx = level;
	if (level)
		assert_intx(e);
	else
		e->env.set_irq(e->vm, (unsigned)e->dev.res.gsi, 0);
}

static void raise(struct edu *e)
{
	if (msi_enabled(e))
		send_msi(e);
	else
		update_intx(e);
}

/* --- DMA --------------------------------------------------------------------- */

static int transfer(struct edu *e, const struct edu_dma *d)
{
	uint8_t *buf = e->regs.buf + d->buf_off;
	uint8_t *p;

	if (e->iommu)
		return e->env.dma(e->iommu, e->sid, d->addr, buf, d->len, d->to_memory);
	p = gmem_ptr(&e->vm->mem, d->addr, d->len);
	if (!p)
		return -1;
	if (d->to_memory)
		memcpy(p, buf, d->len);
	else
		memcpy(buf, p, d->len);
	return 0;
}

static void dma(struct edu *e)
{
	struct edu_dma d;

	if (edu_dma_plan(&e->regs, &d) < 0)
		bad(e, "DMA outside the device's buffer, count", e->regs.dma_count);
	else if (!(command(e) & PCI_COMMAND_MASTER))
		bad(e, "DMA with bus mastering off, at", d.addr);
	else if (transfer(e, &d) < 0)
		bad(e, e->iommu ? "DMA faulted in the IOMMU, at" : "DMA outside guest RAM, at", d.addr);
	else {
		device_count(&e->counters.requests, 1);
		device_count(&e->counters.bytes, d.len);
	}
	if (edu_dma_done(&e->regs) & EDU_DO_RAISE)
		raise(e);
}

/* --- BAR 0 ---------------------------------------------------------------- */

static void edu_read(struct device *d, unsigned range, uint64_t off, uint8_t *data, unsigned len)
{
	struct edu *e = d->priv;
	uint64_t v = ~0ULL;

	(void)range;
	if ((command(e) & PCI_COMMAND_MEMORY) && edu_regs_read(&e->regs, off, len, &v) < 0)
		bad(e, "register read of a bad width at", off);
	memcpy(data, &v, len < sizeof(v) ? len : sizeof(v));
}

static void edu_write(struct device *d, unsigned range, uint64_t off, const uint8_t *data,
		      unsigned len)
{
	struct edu *e = d->priv;
	uint64_t v = 0;
	unsigned todo;

	(void)range;
	if (!(command(e) & PCI_COMMAND_MEMORY))
		return; /* memory decoding off: the write reaches nothing */
	memcpy(&v, data, len < sizeof(v) ? len : sizeof(v));
	if (edu_regs_write(&e->regs, off, len, v, &todo) < 0) {
		bad(e, "register write of a bad width at", off);
		return;
	}
	if (todo & EDU_DO_DMA)
		dma(e);
	if (todo & EDU_DO_RAISE)
		raise(e);
	if (todo & EDU_DO_LOWER)
		update_intx(e);
}

/* A config write (under the device lock): MSI or INTx disable may have
 * changed which way the status goes out. */
static void cfg_written(struct pci_function *fn, unsigned off, unsigned len)
{
	(void)off, (void)len;
	update_intx(fn->priv);
}

/* The configuration a firmware leaves (see the top of the file). */
static void setup_cfg(struct edu *e)
{
	struct pci_cfg *c = &e->fn.cfg;
	uint8_t msi[14] = { MSI_CAP_ID, 0, (uint8_t)MSI_64BIT, 0 };
	uint8_t msi_wmask[14] = { 0, 0, MSI_ENABLE | 0x70, 0, 0xfc, 0xff, 0xff, 0xff,
				  0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint16_t cmd = PCI_COMMAND_MEMORY;

	pci_cfg_init(c, EDU_VENDOR, EDU_DEVICE, CLASS_OTHERS, 0x1af4, 0x1100);
	c->b[PCI_CFG_REVISION] = REVISION;
	pci_cfg_set_bar(c, 0, (uint32_t)e->dev.res.range[0].base, EDU_BAR_SIZE);
	c->b[PCI_CFG_INT_PIN] = 1;
	c->b[PCI_CFG_INT_LINE] = (uint8_t)e->dev.res.gsi;
	memcpy(c->b + PCI_CFG_COMMAND, &cmd, 2);
	e->msi = (unsigned)pci_cfg_add_cap(c, msi, sizeof(msi), msi_wmask);
}

static void edu_reset(struct device *d)
{
	struct edu *e = d->priv;

	futex_mutex_lock(&d->lock);
	edu_regs_reset(&e->regs);
	if (e->intx)
		e->env.set_irq(e->vm, (unsigned)d->res.gsi, 0);
	e->intx = false;
	setup_cfg(e);
	futex_mutex_unlock(&d->lock);
}

static void edu_destroy(struct device *d)
{
	free(d->priv);
}

static const struct device_ops edu_ops = {
	.read = edu_read, .write = edu_write, .reset = edu_reset, .destroy = edu_destroy,
};

struct device *edu_create_env(struct vm *vm, struct intel_iommu *iommu, const struct edu_env *env)
{
	struct edu *e = calloc(1, sizeof(*e));
	struct pci_host *host;
	int slot;

	if (!e)
		return fail(ERR_HOST, "out of memory"), NULL;
	e->vm = vm;
	e->iommu = iommu;
	e->env = *env;
	edu_regs_reset(&e->regs);
	e->dev = (struct device){
		.name = "edu", .ops = &edu_ops, .priv = e,
		.counters = &e->counters, .counters_if_nonzero = true,
		.res = { .nranges = 1,
			 .range = { DEVICE_RANGE_POOL(BUS_MMIO, DEVICE_ANY_BASE, EDU_BAR_SIZE, DEVICE_POOL_PCI) },
			 .gsi = DEVICE_ANY_GSI },
	};
	host = pci_host_get(vm);
	if (!host || vm_add_device(vm, &e->dev) < 0) {
		free(e);
		return NULL;
	}
	/* (From here the VM owns the device and frees it.) */
	e->fn = (struct pci_function){ .dev = &e->dev, .written = cfg_written, .priv = e,
				       .errors = &e->counters.errors, .name = "edu" };
	setup_cfg(e);
	slot = pci_host_add(host, &e->fn);
	if (slot < 0)
		return NULL;
	e->sid = (uint16_t)(slot << 3); /* bus 0, function 0 */
	return &e->dev;
}

struct device *edu_create(struct vm *vm, struct intel_iommu *iommu)
{
	const struct edu_env env = {
		.set_irq = vm_set_irq,
		.send_msi = vm_signal_msi,
		.ioapic_rte = vm_ioapic_rte,
		.dma = intel_iommu_dma,
		.remap_msi = intel_iommu_msi,
		.remap_ioapic = intel_iommu_ioapic,
	};

	return edu_create_env(vm, iommu, &env);
}
