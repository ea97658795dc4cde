/* virtio-pci transport (virtio 1.2, 4.1): the registers a PCI driver sees,
 * mapped onto the transport-independent device (virtio_dev.c), and MSI-X
 * delivery through irqfds on KVM MSI routes.  Every guest access is
 * checked here, by offset and width, before it reaches the core. */
#include "virtio/pci.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core/bus.h"
#include "core/msi_routes.h"
#include "core/vm.h"
#include "devices/msix.h"
#include "devices/pci_host.h"
#include "util/error.h"
#include "util/log.h"
#include "virtio/virtio_spec.h"

struct virtio_pci;

/* BAR 2: the ISR status alone, so its reads are counted apart. */
struct isr_dev {
	struct device dev;
	struct virtio_pci *p;
	char name[40];
	struct device_counters counters; /* none: listed for its exit count */
};

struct virtio_pci {
	struct device dev; /* BAR 0 */
	struct isr_dev isr_dev;
	struct pci_function fn;
	struct virtio_dev *vd;
	struct vm *vm;
	struct msix msix;
	unsigned msix_cap; /* offset of the MSI-X capability in config space */
	unsigned pcicfg_cap; /* offset of the PCI_CFG access window (4.1.4.9) */
	/* Registers (under dev.lock). */
	uint32_t dfsel, gfsel;
	uint16_t queue_sel;
	_Atomic uint16_t config_vec, queue_vec[VIRTIO_MAX_QUEUES];
	_Atomic uint32_t isr;
	/* Notification path. */
	bool kick_registered[VIRTIO_MAX_QUEUES];
	int gsi[MSIX_MAX_VECTORS], irq_fd[MSIX_MAX_VECTORS];
};

static uint64_t bar0(const struct virtio_pci *p)
{
	return p->dev.res.range[0].base;
}

static void bad(struct virtio_pci *p, const char *what, uint64_t off, unsigned len)
{
	log_guest("%s: %s of %u bytes at BAR offset 0x%llx ignored", p->vd->name, what, len,
		  (unsigned long long)off);
	virtio_count(&p->vd->counters.errors, 1);
}

/* --- interrupts ------------------------------------------------------------ */

static void route(void *ctx, unsigned v, uint64_t addr, uint32_t data)
{
	struct virtio_pci *p = ctx;

	if (p->irq_fd[v] >= 0 && msi_route_set(p->vm, (unsigned)p->gsi[v], addr, data) < 0)
		log_warn("%s: vector %u: %s", p->vd->name, v, err_msg());
}

static void fire(void *ctx, unsigned v, uint64_t addr, uint32_t data)
{
	struct virtio_pci *p = ctx;
	uint64_t one = 1;

	if (p->irq_fd[v] >= 0) {
		/* KVM sends the MSI from its route: no ioctl, no exit. */
		if (write(p->irq_fd[v], &one, sizeof(one)) < 0)
			log_warn("%s: irqfd write: %s", p->vd->name, strerror(errno));
		return;
	}
	struct kvm_msi msi = { .address_lo = (uint32_t)addr, .address_hi = (uint32_t)(addr >> 32),
			       .data = data };
	if (ioctl(p->vm->vm_fd, KVM_SIGNAL_MSI, &msi) < 0)
		log_warn("%s: KVM_SIGNAL_MSI: %s", p->vd->name, strerror(errno));
}

static const struct msix_ops msix_ops = { .route = route, .fire = fire };

/* Without MSI-X there is no interrupt: no INTx pin is wired (4.1.5.3
 * still has the ISR bit set for a driver that polls it). */
static void send(struct virtio_pci *p, uint16_t vec)
{
	if (msix_enabled(&p->msix) && vec != VIRTIO_PCI_NO_VECTOR)
		msix_notify(&p->msix, vec);
}

static void queue_interrupt(struct virtio_dev *vd, unsigned q)
{
	struct virtio_pci *p = vd->transport_priv;

	if (!msix_enabled(&p->msix))
		atomic_fetch_or(&p->isr, VIRTIO_PCI_ISR_QUEUE);
	send(p, atomic_load(&p->queue_vec[q]));
}

static void config_interrupt(struct virtio_dev *vd)
{
	struct virtio_pci *p = vd->transport_priv;

	atomic_fetch_or(&p->isr, VIRTIO_PCI_ISR_CONFIG);
	send(p, atomic_load(&p->config_vec));
}

int virtio_pci_direct_fd(struct msix *m, uint16_t vec, const int *irq_fd)
{
	if (vec >= m->n || atomic_load(&m->blocked[vec])) /* off, function-masked or masked */
		return -1;
	return irq_fd[vec];
}

/* A queue's interrupt can bypass warden only as an MSI-X message KVM
 * sends from an irqfd: the ISR (MSI-X off) and the PBA (masked) are
 * warden's to set. */
static int queue_irqfd(struct virtio_dev *vd, unsigned q)
{
	struct virtio_pci *p = vd->transport_priv;

	return virtio_pci_direct_fd(&p->msix, atomic_load(&p->queue_vec[q]), p->irq_fd);
}

static const struct virtio_transport pci_transport = {
	.queue_interrupt = queue_interrupt,
	.config_interrupt = config_interrupt,
	.queue_irqfd = queue_irqfd,
};

/* --- the notification path ------------------------------------------------ */

static int set_ioeventfd(struct virtio_pci *p, unsigned q, bool on)
{
	/* Linux writes the queue index as 16 bits; other widths exit to us
	 * and take the same eventfd (pci_write). */
	struct kvm_ioeventfd io = {
		.addr = bar0(p) + VIRTIO_PCI_NOTIFY_OFF + q * VIRTIO_PCI_NOTIFY_MULT,
		.len = 2,
		.fd = p->vd->kick_fd[q],
		.flags = on ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN,
	};

	return ioctl(p->vm->vm_fd, KVM_IOEVENTFD, &io);
}

static int setup_vector(struct virtio_pci *p, unsigned v)
{
	struct kvm_irqfd irq = { 0 };

	p->gsi[v] = msi_route_alloc(p->vm);
	if (p->gsi[v] < 0)
		return -1;
	p->irq_fd[v] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (p->irq_fd[v] < 0)
		return fail_errno(ERR_HOST, "%s: eventfd", p->vd->name);
	irq.fd = (uint32_t)p->irq_fd[v];
	irq.gsi = (uint32_t)p->gsi[v];
	if (ioctl(p->vm->vm_fd, KVM_IRQFD, &irq) < 0) {
		close(p->irq_fd[v]);
		p->irq_fd[v] = -1;
		return fail_errno(ERR_HOST, "%s: KVM_IRQFD (try --no-irqfd)", p->vd->name);
	}
	return 0;
}

static int setup_notification(struct virtio_pci *p)
{
	struct virtio_dev *vd = p->vd;

	for (unsigned q = 0; vd->opt.ioeventfd && q < vd->type.nqueues; q++) {
		if (set_ioeventfd(p, q, true) < 0)
			return fail_errno(ERR_HOST, "%s: KVM_IOEVENTFD (try --no-ioeventfd)", vd->name);
		p->kick_registered[q] = true;
	}
	for (unsigned v = 0; vd->opt.irqfd && v < p->msix.n; v++)
		if (setup_vector(p, v) < 0)
			return -1;
	return 0;
}

static void teardown_notification(struct virtio_pci *p)
{
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++) {
		if (p->kick_registered[q])
			set_ioeventfd(p, q, false);
		p->kick_registered[q] = false;
	}
	for (unsigned v = 0; v < MSIX_MAX_VECTORS; v++) {
		if (p->irq_fd[v] < 0)
			continue;
		struct kvm_irqfd irq = { .fd = (uint32_t)p->irq_fd[v], .gsi = (uint32_t)p->gsi[v],
					 .flags = KVM_IRQFD_FLAG_DEASSIGN };
		ioctl(p->vm->vm_fd, KVM_IRQFD, &irq);
		close(p->irq_fd[v]);
		p->irq_fd[v] = -1;
	}
}

/* --- the common configuration (4.1.4.3) ------------------------------------ */

/* The width of the field at OFF, 0 for none. */
static unsigned common_width(uint64_t off)
{
	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT: case VIRTIO_PCI_COMMON_DF:
	case VIRTIO_PCI_COMMON_GFSELECT: case VIRTIO_PCI_COMMON_GF:
	case VIRTIO_PCI_COMMON_Q_DESCLO: case VIRTIO_PCI_COMMON_Q_DESCHI:
	case VIRTIO_PCI_COMMON_Q_AVAILLO: case VIRTIO_PCI_COMMON_Q_AVAILHI:
	case VIRTIO_PCI_COMMON_Q_USEDLO: case VIRTIO_PCI_COMMON_Q_USEDHI:
		return 4;
	case VIRTIO_PCI_COMMON_STATUS: case VIRTIO_PCI_COMMON_CFGGENERATION:
		return 1;
	case VIRTIO_PCI_COMMON_MSIX: case VIRTIO_PCI_COMMON_NUMQ: case VIRTIO_PCI_COMMON_Q_SELECT:
	case VIRTIO_PCI_COMMON_Q_SIZE: case VIRTIO_PCI_COMMON_Q_MSIX: case VIRTIO_PCI_COMMON_Q_ENABLE:
	case VIRTIO_PCI_COMMON_Q_NOFF: case VIRTIO_PCI_COMMON_Q_NDATA: case VIRTIO_PCI_COMMON_Q_RESET:
		return 2;
	default:
		return 0;
	}
}

static uint64_t *queue_addr(struct virtq *q, uint64_t off)
{
	if (off < VIRTIO_PCI_COMMON_Q_AVAILLO)
		return &q->desc_gpa;
	return off < VIRTIO_PCI_COMMON_Q_USEDLO ? &q->avail_gpa : &q->used_gpa;
}

static uint32_t read_common(struct virtio_pci *p, uint64_t off)
{
	struct virtio_dev *vd = p->vd;
	struct virtq *q = virtio_dev_queue(vd, p->queue_sel);

	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT: return p->dfsel;
	case VIRTIO_PCI_COMMON_DF: return virtio_dev_device_features(vd, p->dfsel);
	case VIRTIO_PCI_COMMON_GFSELECT: return p->gfsel;
	case VIRTIO_PCI_COMMON_GF:
		return p->gfsel < 2 ? (uint32_t)(vd->driver_features >> (32 * p->gfsel)) : 0;
	case VIRTIO_PCI_COMMON_MSIX: return atomic_load(&p->config_vec);
	case VIRTIO_PCI_COMMON_NUMQ: return vd->type.nqueues;
	case VIRTIO_PCI_COMMON_STATUS: return virtio_dev_status(vd) & 0xff;
	case VIRTIO_PCI_COMMON_CFGGENERATION: return atomic_load(&vd->config_generation) & 0xff;
	case VIRTIO_PCI_COMMON_Q_SELECT: return p->queue_sel;
	}
	if (!q)
		return off == VIRTIO_PCI_COMMON_Q_MSIX ? VIRTIO_PCI_NO_VECTOR : 0; /* size 0: no queue */
	switch (off) {
	case VIRTIO_PCI_COMMON_Q_SIZE: return q->size;
	case VIRTIO_PCI_COMMON_Q_MSIX: return atomic_load(&p->queue_vec[p->queue_sel]);
	case VIRTIO_PCI_COMMON_Q_ENABLE: return vd->queue_ready[p->queue_sel];
	case VIRTIO_PCI_COMMON_Q_NOFF: return p->queue_sel; /* times the multiplier */
	case VIRTIO_PCI_COMMON_Q_DESCLO: case VIRTIO_PCI_COMMON_Q_AVAILLO:
	case VIRTIO_PCI_COMMON_Q_USEDLO: return (uint32_t)*queue_addr(q, off);
	case VIRTIO_PCI_COMMON_Q_DESCHI: case VIRTIO_PCI_COMMON_Q_AVAILHI:
	case VIRTIO_PCI_COMMON_Q_USEDHI: return (uint32_t)(*queue_addr(q, off) >> 32);
	default: return 0; /* notify data, queue reset: features not offered */
	}
}

/* A vector the function has, or NO_VECTOR (which the driver reads back
 * and so learns the mapping failed, 4.1.5.1.2). */
static uint16_t checked_vector(struct virtio_pci *p, uint32_t v, uint64_t off)
{
	if (v == VIRTIO_PCI_NO_VECTOR || v < p->msix.n)
		return (uint16_t)v;
	log_guest("%s: MSI-X vector %u out of range (%u vectors)", p->vd->name, v, p->msix.n);
	virtio_count(&p->vd->counters.errors, 1);
	(void)off;
	return VIRTIO_PCI_NO_VECTOR;
}

static void reset_queue_sizes(struct virtio_pci *p)
{
	/* The device offers its maximum; the driver may write a smaller one. */
	for (unsigned q = 0; q < p->vd->type.nqueues; q++)
		p->vd->vq[q].size = VIRTQ_MAX_SIZE;
}

static void write_status(struct virtio_pci *p, uint32_t v)
{
	virtio_dev_write_status(p->vd, v);
	if (v != 0)
		return;
	p->dfsel = p->gfsel = p->queue_sel = 0;
	atomic_store(&p->config_vec, VIRTIO_PCI_NO_VECTOR);
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++)
		atomic_store(&p->queue_vec[q], VIRTIO_PCI_NO_VECTOR);
	atomic_store(&p->isr, 0);
	reset_queue_sizes(p);
}

static void write_queue_reg(struct virtio_pci *p, uint64_t off, uint32_t v)
{
	struct virtq *q = virtio_dev_queue(p->vd, p->queue_sel);
	uint64_t *a;

	if (!q)
		return;
	if (off == VIRTIO_PCI_COMMON_Q_MSIX) {
		atomic_store(&p->queue_vec[p->queue_sel], checked_vector(p, v, off));
		virtio_dev_irq_changed(p->vd);
		return;
	}
	if (off == VIRTIO_PCI_COMMON_Q_ENABLE) {
		if (v == 1)
			virtio_dev_queue_ready(p->vd, p->queue_sel, 1);
		else
			bad(p, "queue_enable write of 0 (not allowed, 4.1.4.3.2)", off, 2);
		return;
	}
	if (!virtio_dev_queue_writable(p->vd, p->queue_sel))
		return;
	if (off == VIRTIO_PCI_COMMON_Q_SIZE) {
		q->size = (uint16_t)v; /* checked when the queue is enabled */
		return;
	}
	if (off < VIRTIO_PCI_COMMON_Q_DESCLO || off > VIRTIO_PCI_COMMON_Q_USEDHI)
		return;
	a = queue_addr(q, off);
	if (off & 4)
		*a = (*a & 0xffffffffULL) | ((uint64_t)v << 32);
	else
		*a = (*a & ~0xffffffffULL) | v;
}

static void write_common(struct virtio_pci *p, uint64_t off, uint32_t v)
{
	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT: p->dfsel = v; break;
	case VIRTIO_PCI_COMMON_GFSELECT: p->gfsel = v; break;
	case VIRTIO_PCI_COMMON_GF: virtio_dev_write_driver_features(p->vd, p->gfsel, v); break;
	case VIRTIO_PCI_COMMON_MSIX: atomic_store(&p->config_vec, checked_vector(p, v, off)); break;
	case VIRTIO_PCI_COMMON_STATUS: write_status(p, v); break;
	case VIRTIO_PCI_COMMON_Q_SELECT: p->queue_sel = (uint16_t)v; break;
	case VIRTIO_PCI_COMMON_DF: case VIRTIO_PCI_COMMON_NUMQ:
	case VIRTIO_PCI_COMMON_CFGGENERATION: case VIRTIO_PCI_COMMON_Q_NOFF:
		break; /* read-only */
	default: write_queue_reg(p, off, v); break;
	}
}

/* A 64-bit access to a queue address is two 32-bit ones. */
static bool split64(uint64_t off, unsigned len)
{
	return len == 8 && (off == VIRTIO_PCI_COMMON_Q_DESCLO || off == VIRTIO_PCI_COMMON_Q_AVAILLO ||
			    off == VIRTIO_PCI_COMMON_Q_USEDLO);
}

static void common_read(struct virtio_pci *p, uint64_t off, uint8_t *data, unsigned len)
{
	uint32_t v[2];

	if (split64(off, len)) {
		v[0] = read_common(p, off);
		v[1] = read_common(p, off + 4);
		memcpy(data, v, 8);
	} else if (common_width(off) == len) {
		v[0] = read_common(p, off);
		memcpy(data, v, len);
	} else {
		bad(p, "common config read", off, len);
	}
}

static void common_write(struct virtio_pci *p, uint64_t off, const uint8_t *data, unsigned len)
{
	uint32_t v[2] = { 0, 0 };

	if (split64(off, len)) {
		memcpy(v, data, 8);
		write_common(p, off, v[0]);
		write_common(p, off + 4, v[1]);
	} else if (common_width(off) == len) {
		memcpy(v, data, len);
		write_common(p, off, v[0]);
	} else {
		bad(p, "common config write", off, len);
	}
}

/* --- BAR 0 ------------------------------------------------------------------ */

static bool in(uint64_t off, unsigned len, uint64_t start, uint64_t size)
{
	return off >= start && off - start < size && len <= size - (off - start);
}

static bool decoding(const struct virtio_pci *p)
{
	return pci_cfg_get16(&p->fn.cfg, PCI_CFG_COMMAND) & PCI_COMMAND_MEMORY;
}

static void pci_read(struct device *d, unsigned range, uint64_t off, uint8_t *data, unsigned len)
{
	struct virtio_pci *p = d->priv;
	struct msix *m = &p->msix;

	(void)range;
	memset(data, 0, len);
	if (!decoding(p)) {
		memset(data, 0xff, len); /* memory decode off: nobody answers */
		return;
	}
	if (in(off, len, VIRTIO_PCI_COMMON_OFF, VIRTIO_PCI_COMMON_LEN))
		common_read(p, off - VIRTIO_PCI_COMMON_OFF, data, len);
	else if (in(off, len, VIRTIO_PCI_DEVCFG_OFF, VIRTIO_CONFIG_MAX))
		virtio_dev_config_read(p->vd, off - VIRTIO_PCI_DEVCFG_OFF, data, len);
	else if (in(off, 1, VIRTIO_PCI_MSIX_TABLE_OFF, msix_table_size(m->n))) {
		if (msix_table_read(m, off - VIRTIO_PCI_MSIX_TABLE_OFF, data, len) < 0)
			bad(p, "MSI-X table read", off, len);
	} else if (in(off, 1, VIRTIO_PCI_MSIX_PBA_OFF, msix_pba_size(m->n))) {
		if (msix_pba_read(m, off - VIRTIO_PCI_MSIX_PBA_OFF, data, len) < 0)
			bad(p, "MSI-X PBA read", off, len);
	}
	/* Anything else (notify slots, holes) reads 0. */
}

static void notify_write(struct virtio_pci *p, uint64_t off, unsigned len)
{
	uint64_t rel = off - VIRTIO_PCI_NOTIFY_OFF;

	if (rel % VIRTIO_PCI_NOTIFY_MULT || rel / VIRTIO_PCI_NOTIFY_MULT >= p->vd->type.nqueues) {
		bad(p, "notification write", off, len);
		return;
	}
	/* What was written does not matter: the address names the queue. */
	virtio_dev_notify(p->vd, (uint32_t)(rel / VIRTIO_PCI_NOTIFY_MULT));
}

static void pci_write(struct device *d, unsigned range, uint64_t off, const uint8_t *data,
		      unsigned len)
{
	struct virtio_pci *p = d->priv;
	struct msix *m = &p->msix;

	(void)range;
	if (!decoding(p))
		return;
	if (in(off, len, VIRTIO_PCI_COMMON_OFF, VIRTIO_PCI_COMMON_LEN))
		common_write(p, off - VIRTIO_PCI_COMMON_OFF, data, len);
	else if (in(off, len, VIRTIO_PCI_DEVCFG_OFF, VIRTIO_CONFIG_MAX))
		virtio_dev_config_write(p->vd, off - VIRTIO_PCI_DEVCFG_OFF, data, len);
	else if (in(off, 1, VIRTIO_PCI_NOTIFY_OFF, (uint64_t)VIRTIO_MAX_QUEUES * VIRTIO_PCI_NOTIFY_MULT))
		notify_write(p, off, len);
	else if (in(off, 1, VIRTIO_PCI_MSIX_TABLE_OFF, msix_table_size(m->n))) {
		if (msix_table_write(m, off - VIRTIO_PCI_MSIX_TABLE_OFF, data, len) < 0)
			bad(p, "MSI-X table write", off, len);
		else
			virtio_dev_irq_changed(p->vd); /* (un)masked, perhaps */
	} else {
		bad(p, "write", off, len); /* the PBA is read-only; holes take nothing */
	}
}

/* --- BAR 2: ISR status (4.1.4.5) --------------------------------------------- */

static void isr_read(struct device *d, unsigned range, uint64_t off, uint8_t *data, unsigned len)
{
	struct isr_dev *i = d->priv;

	(void)range;
	memset(data, 0, len);
	if (off == 0 && decoding(i->p))
		data[0] = (uint8_t)atomic_exchange(&i->p->isr, 0); /* reading clears it */
}

static void isr_write(struct device *d, unsigned range, uint64_t off, const uint8_t *data,
		      unsigned len)
{
	(void)d, (void)range, (void)off, (void)data, (void)len; /* read-only */
}

static void isr_destroy(struct device *d)
{
	(void)d; /* part of the function: freed with BAR 0's device */
}

/* Its state (the ISR bits) is the function's, saved with BAR 0. */
static const struct device_ops isr_ops = { .read = isr_read, .write = isr_write,
					   .destroy = isr_destroy, .save = device_save_none,
					   .restore = device_restore_none };

/* --- config space and lifecycle --------------------------------------------- */

/* --- the PCI_CFG capability: BAR registers through config space (4.1.4.9) -- */

/* struct virtio_pci_cfg_cap: the driver writes bar, offset and length in
 * the capability, then reads or writes pci_cfg_data, which is that many
 * bytes of the BAR at that offset.  Linux does not use it (it maps the
 * BARs); the spec requires it, for drivers that cannot map them. */
#define PCICFG_BAR 4
#define PCICFG_OFFSET 8
#define PCICFG_LENGTH 12
#define PCICFG_DATA 16
#define PCICFG_CAP_LEN 20

static bool overlaps(unsigned off, unsigned len, unsigned at, unsigned n)
{
	return off < at + n && off + len > at;
}

/* The window the driver set, if it is one a BAR access can take: BAR 0 or
 * the ISR BAR, 1, 2 or 4 bytes, aligned, inside the BAR.  Else the access
 * reads 0 and writes nothing, and counts as the driver's error. */
static bool pcicfg_window(struct virtio_pci *p, unsigned *bar, uint32_t *off, uint32_t *len)
{
	const uint8_t *c = p->fn.cfg.b + p->pcicfg_cap;
	uint32_t size;

	*bar = c[PCICFG_BAR];
	memcpy(off, c + PCICFG_OFFSET, 4);
	memcpy(len, c + PCICFG_LENGTH, 4);
	size = *bar == 0 ? VIRTIO_PCI_BAR0_SIZE : *bar == VIRTIO_PCI_ISR_BAR ? VIRTIO_PCI_ISR_SIZE : 0;
	if ((*len == 1 || *len == 2 || *len == 4) && *off % *len == 0 && size && *off < size &&
	    *len <= size - *off)
		return true;
	bad(p, "PCI_CFG window access", *off, *len);
	return false;
}

static void pcicfg_before_read(struct pci_function *fn, unsigned off, unsigned len)
{
	struct virtio_pci *p = fn->priv;
	uint8_t *data = fn->cfg.b + p->pcicfg_cap + PCICFG_DATA;
	uint32_t woff, wlen;
	unsigned bar;

	if (!overlaps(off, len, p->pcicfg_cap + PCICFG_DATA, 4))
		return;
	memset(data, 0, 4);
	if (!pcicfg_window(p, &bar, &woff, &wlen))
		return;
	/* Under the function's lock, which is BAR 0's device lock: the same
	 * state a BAR access sees. */
	if (bar == 0)
		pci_read(&p->dev, 0, woff, data, wlen);
	else
		isr_read(&p->isr_dev.dev, 0, woff, data, wlen);
}

static void pcicfg_written(struct virtio_pci *p, unsigned off, unsigned len)
{
	uint8_t data[4];
	uint32_t woff, wlen;
	unsigned bar;

	if (!overlaps(off, len, p->pcicfg_cap + PCICFG_DATA, 4) || !pcicfg_window(p, &bar, &woff, &wlen))
		return;
	memcpy(data, p->fn.cfg.b + p->pcicfg_cap + PCICFG_DATA, 4);
	if (bar == 0)
		pci_write(&p->dev, 0, woff, data, wlen);
	/* The ISR is read-only. */
}

static void cfg_written(struct pci_function *fn, unsigned off, unsigned len)
{
	struct virtio_pci *p = fn->priv;
	unsigned ctl = p->msix_cap + 2;

	if (off < ctl + 2 && off + len > ctl) {
		msix_control(&p->msix, pci_cfg_get16(&fn->cfg, ctl));
		virtio_dev_irq_changed(p->vd);
	}
	pcicfg_written(p, off, len);
}

static void pci_reset(struct device *d)
{
	struct virtio_pci *p = d->priv;
	uint16_t off = 0;

	futex_mutex_lock(&d->lock);
	write_status(p, 0);
	msix_reset(&p->msix);
	pci_cfg_write(&p->fn.cfg, PCI_CFG_COMMAND, (const uint8_t *)&off, 2);
	pci_cfg_write(&p->fn.cfg, p->msix_cap + 2, (const uint8_t *)&off, 2);
	futex_mutex_unlock(&d->lock);
}

/* --verbose, as the VM ends: the queues, then each vector that holds a
 * message back (masked, its PBA bit set: an interrupt the guest may
 * still wait for). */
static void pci_describe(struct device *d)
{
	struct virtio_pci *p = d->priv;

	virtio_dev_stop_describing(p->vd);
	for (unsigned v = 0; msix_enabled(&p->msix) && v < p->msix.n; v++)
		if (atomic_load(&p->msix.blocked[v]) || atomic_load(&p->msix.pending[v]))
			log_info("%s: MSI-X vector %u at the end:%s%s", p->vd->name, v,
				 atomic_load(&p->msix.blocked[v]) ? " masked" : "",
				 atomic_load(&p->msix.pending[v]) ? " pending" : "");
}

static void pci_destroy(struct device *d)
{
	struct virtio_pci *p = d->priv;

	teardown_notification(p);
	virtio_dev_destroy(p->vd);
	msix_destroy(&p->msix);
	free(p->vd);
	free(p);
}

static const struct device_ops virtio_pci_ops = {
	.read = pci_read,
	.write = pci_write,
	.reset = pci_reset,
	.destroy = pci_destroy,
	.describe = pci_describe,
};

/* --- snapshots (docs/snapshot.md) ------------------------------------------ */

static void vpci_pause(struct device *d)
{
	virtio_dev_pause(((struct virtio_pci *)d->priv)->vd);
}

static void vpci_resume(struct device *d)
{
	struct virtio_pci *p = d->priv;

	futex_mutex_lock(&d->lock);
	virtio_dev_resume(p->vd);
	futex_mutex_unlock(&d->lock);
}

/* The function's registers, its config space (command register, BAR
 * sizing, the MSI-X control word, the PCI_CFG window), the MSI-X table
 * and PBA; then the device's state. */
struct vpci_saved {
	uint32_t dfsel, gfsel;
	uint16_t queue_sel, config_vec;
	uint16_t queue_vec[VIRTIO_MAX_QUEUES];
	uint32_t isr;
	struct pci_cfg_saved cfg;
	struct msix_saved msix;
};

static long vpci_save(struct device *d, void *buf, size_t cap)
{
	struct virtio_pci *p = d->priv;
	struct vpci_saved s = {
		.dfsel = p->dfsel, .gfsel = p->gfsel, .queue_sel = p->queue_sel,
		.config_vec = atomic_load(&p->config_vec), .isr = atomic_load(&p->isr),
	};
	long n;

	if (cap < sizeof(s))
		return -1;
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++)
		s.queue_vec[q] = atomic_load(&p->queue_vec[q]);
	pci_cfg_save(&p->fn.cfg, &s.cfg);
	msix_save(&p->msix, &s.msix);
	memcpy(buf, &s, sizeof(s));
	n = virtio_dev_save(p->vd, (uint8_t *)buf + sizeof(s), cap - sizeof(s));
	return n < 0 ? -1 : n + (long)sizeof(s);
}

/* A vector the driver could have set: one the function has, or none. */
static bool vector_ok(const struct virtio_pci *p, uint16_t v)
{
	return v == VIRTIO_PCI_NO_VECTOR || v < p->msix.n;
}

static int vpci_restore(struct device *d, const void *buf, size_t len)
{
	struct virtio_pci *p = d->priv;
	struct vpci_saved s;

	if (len < sizeof(s))
		return -1;
	memcpy(&s, buf, sizeof(s));
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++)
		if (!vector_ok(p, s.queue_vec[q]))
			return fail(ERR_USAGE, "queue %u's MSI-X vector %u: the function has %u", q,
				    s.queue_vec[q], p->msix.n);
	if (!vector_ok(p, s.config_vec) || (s.isr & ~(VIRTIO_PCI_ISR_QUEUE | VIRTIO_PCI_ISR_CONFIG)))
		return fail(ERR_USAGE, "the configuration vector or the ISR is out of range");
	if (pci_cfg_restore(&p->fn.cfg, &s.cfg) < 0)
		return fail(ERR_USAGE, "its config space differs from the function built here in a read-only bit");
	if (virtio_dev_restore(p->vd, (const uint8_t *)buf + sizeof(s), len - sizeof(s)) < 0)
		return -1;
	p->dfsel = s.dfsel, p->gfsel = s.gfsel, p->queue_sel = s.queue_sel;
	atomic_store(&p->config_vec, s.config_vec);
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++)
		atomic_store(&p->queue_vec[q], s.queue_vec[q]);
	atomic_store(&p->isr, s.isr);
	/* Last: its routes go to KVM (msi_route_set through route()), and a
	 * message the PBA held for an unmasked vector is sent. */
	if (msix_restore(&p->msix, &s.msix) < 0)
		return fail(ERR_USAGE, "its MSI-X table or control word is malformed");
	return 0;
}

/* The same for a device type that can be snapshotted (virtio_dev_snapshottable). */
static const struct device_ops virtio_pci_snap_ops = {
	.read = pci_read,
	.write = pci_write,
	.reset = pci_reset,
	.destroy = pci_destroy,
	.describe = pci_describe,
	.pause = vpci_pause,
	.resume = vpci_resume,
	.save = vpci_save,
	.restore = vpci_restore,
};

static uint32_t class_of(uint32_t device_id)
{
	switch (device_id) {
	case VIRTIO_ID_BLOCK: return 0x018000; /* mass storage, other */
	case VIRTIO_ID_NET: return 0x020000;   /* ethernet */
	case VIRTIO_ID_CONSOLE: return 0x078000; /* communication, other */
	default: return 0xff0000;              /* unassigned class */
	}
}

/* struct virtio_pci_cap (4.1.4): 16 bytes; the notify one has the
 * multiplier after it. */
static int add_virtio_cap(struct pci_cfg *c, uint8_t type, uint8_t bar, uint32_t off,
			  uint32_t len, bool notify)
{
	uint8_t cap[20] = { PCI_CAP_ID_VNDR, 0, notify ? 20 : 16, type, bar };
	uint32_t mult = VIRTIO_PCI_NOTIFY_MULT;

	memcpy(cap + 8, &off, 4);
	memcpy(cap + 12, &len, 4);
	memcpy(cap + 16, &mult, 4);
	return pci_cfg_add_cap(c, cap, notify ? 20 : 16, NULL);
}

/* The PCI_CFG window: bar, offset, length and the data are the driver's. */
static int add_pcicfg_cap(struct pci_cfg *c)
{
	uint8_t cap[PCICFG_CAP_LEN] = { PCI_CAP_ID_VNDR, 0, PCICFG_CAP_LEN, VIRTIO_PCI_CAP_PCI_CFG };
	uint8_t wmask[PCICFG_CAP_LEN] = { 0 };

	memset(wmask + PCICFG_BAR, 0xff, 1);
	memset(wmask + PCICFG_OFFSET, 0xff, 12); /* offset, length, pci_cfg_data */
	return pci_cfg_add_cap(c, cap, PCICFG_CAP_LEN, wmask);
}

static int build_config_space(struct virtio_pci *p)
{
	struct pci_cfg *c = &p->fn.cfg;
	struct virtio_dev *vd = p->vd;
	uint32_t table = VIRTIO_PCI_MSIX_TABLE_OFF, pba = VIRTIO_PCI_MSIX_PBA_OFF; /* BIR 0 */
	uint16_t ctl = (uint16_t)(p->msix.n - 1);
	uint8_t msix[12] = { PCI_CAP_ID_MSIX }, wmask[12] = { 0, 0, 0, 0xc0 }; /* enable, mask */
	int at;

	pci_cfg_init(c, VIRTIO_PCI_VENDOR, (uint16_t)(VIRTIO_PCI_DEVICE_MODERN + vd->type.device_id),
		     class_of(vd->type.device_id), VIRTIO_PCI_VENDOR,
		     (uint16_t)(VIRTIO_PCI_DEVICE_MODERN + vd->type.device_id));
	if (pci_cfg_set_bar(c, 0, (uint32_t)bar0(p), VIRTIO_PCI_BAR0_SIZE) < 0 ||
	    pci_cfg_set_bar(c, VIRTIO_PCI_ISR_BAR, (uint32_t)p->isr_dev.dev.res.range[0].base,
			    VIRTIO_PCI_ISR_SIZE) < 0)
		return fail(ERR_HOST, "%s: BARs outside 32 bits", vd->name);
	memcpy(msix + 2, &ctl, 2);
	memcpy(msix + 4, &table, 4);
	memcpy(msix + 8, &pba, 4);
	if (add_virtio_cap(c, VIRTIO_PCI_CAP_COMMON_CFG, 0, VIRTIO_PCI_COMMON_OFF,
			   VIRTIO_PCI_COMMON_LEN, false) < 0 ||
	    add_virtio_cap(c, VIRTIO_PCI_CAP_NOTIFY_CFG, 0, VIRTIO_PCI_NOTIFY_OFF,
			   vd->type.nqueues * VIRTIO_PCI_NOTIFY_MULT, true) < 0 ||
	    add_virtio_cap(c, VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_ISR_BAR, 0, 4, false) < 0 ||
	    add_virtio_cap(c, VIRTIO_PCI_CAP_DEVICE_CFG, 0, VIRTIO_PCI_DEVCFG_OFF,
			   vd->config_len ? vd->config_len : 4, false) < 0 ||
	    (at = pci_cfg_add_cap(c, msix, sizeof(msix), wmask)) < 0)
		return fail(ERR_HOST, "%s: config space full", vd->name);
	p->msix_cap = (unsigned)at;
	if ((at = add_pcicfg_cap(c)) < 0)
		return fail(ERR_HOST, "%s: config space full", vd->name);
	p->pcicfg_cap = (unsigned)at;
	return 0;
}

static int add_isr_device(struct virtio_pci *p)
{
	struct isr_dev *i = &p->isr_dev;

	snprintf(i->name, sizeof(i->name), "%s-isr", p->vd->name);
	i->p = p;
	i->dev = (struct device){
		.name = i->name, .ops = &isr_ops, .priv = i, .counters = &i->counters,
		.res = { .nranges = 1,
			 .range = { DEVICE_RANGE_POOL(BUS_MMIO, DEVICE_ANY_BASE, VIRTIO_PCI_ISR_SIZE, DEVICE_POOL_PCI) },
			 .gsi = DEVICE_NO_GSI },
	};
	return vm_add_device(p->vm, &i->dev);
}

static struct virtio_pci *alloc_function(struct vm *vm, struct virtio_dev *vd)
{
	struct virtio_pci *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->vd = vd;
	p->vm = vm;
	for (unsigned v = 0; v < MSIX_MAX_VECTORS; v++)
		p->irq_fd[v] = p->gsi[v] = -1;
	/* One vector per queue, one for configuration changes. */
	msix_init(&p->msix, vd->type.nqueues + 1, &msix_ops, p);
	p->fn = (struct pci_function){ .dev = &p->dev, .written = cfg_written,
				       .before_read = pcicfg_before_read, .priv = p,
				       .errors = &vd->counters.errors, .name = vd->name };
	p->dev = (struct device){
		.name = vd->name, .ops = virtio_dev_snapshottable(vd) ? &virtio_pci_snap_ops : &virtio_pci_ops,
		.priv = p,
		.counters = &vd->counters,
		.res = { .nranges = 1,
			 .range = { DEVICE_RANGE_POOL(BUS_MMIO, DEVICE_ANY_BASE, VIRTIO_PCI_BAR0_SIZE, DEVICE_POOL_PCI) },
			 .gsi = DEVICE_NO_GSI },
	};
	return p;
}

struct virtio_dev *virtio_pci_of(const struct device *d)
{
	if (d->ops != &virtio_pci_ops)
		return NULL;
	return ((const struct virtio_pci *)d->priv)->vd;
}

int virtio_pci_create(struct vm *vm, struct virtio_dev *vd, const struct virtio_options *opt)
{
	struct pci_host *host = pci_host_get(vm);
	struct virtio_pci *p = host ? alloc_function(vm, vd) : NULL;

	if (!p) {
		if (vd->ops->destroy)
			vd->ops->destroy(vd); /* never attached: only the type's part */
		free(vd);
		return host ? fail(ERR_HOST, "out of memory") : -1;
	}
	if (virtio_dev_attach(vd, vm, opt, &pci_transport, p) < 0 || vm_add_device(vm, &p->dev) < 0) {
		virtio_dev_destroy(vd);
		msix_destroy(&p->msix);
		free(vd);
		free(p);
		return -1;
	}
	/* Added: from here on the VM destroys it, whatever fails. */
	write_status(p, 0);
	if (add_isr_device(p) < 0 || build_config_space(p) < 0 || setup_notification(p) < 0)
		return -1;
	return pci_host_add(host, &p->fn) < 0 ? -1 : 0;
}
