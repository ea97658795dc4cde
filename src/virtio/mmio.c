/* virtio-mmio transport, version 2 ("modern") register layout (virtio 1.2,
 * 4.2.2): one 4 KiB window from the layout's MMIO pool and one interrupt
 * line per device.  It owns only the registers; everything else is the
 * transport-independent device (virtio_dev.c). */
#include "virtio/mmio.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core/bus.h"
#include "core/vm.h"
#include "util/error.h"
#include "util/log.h"
#include "virtio/virtio_spec.h"

#define WARDEN_VENDOR_ID 0x4e445257u /* "WRDN" */

struct virtio_mmio {
	struct device dev; /* the window and line the guest sees */
	struct virtio_dev *vd;
	struct vm *vm;
	/* Registers (under dev.lock). */
	uint32_t dev_features_sel, drv_features_sel, queue_sel;
	_Atomic uint32_t isr; /* InterruptStatus */
	/* Notification path. */
	bool kick_registered[VIRTIO_MAX_QUEUES]; /* KVM_IOEVENTFD in place */
	int irq_fd;                              /* irqfd, or -1 with --no-irqfd */
};

static uint64_t window_base(const struct virtio_mmio *m)
{
	return m->dev.res.range[0].base;
}

static unsigned gsi(const struct virtio_mmio *m)
{
	return (unsigned)m->dev.res.gsi;
}

/* --- interrupts ------------------------------------------------------------ */

static void raise_irq(struct virtio_mmio *m, uint32_t why)
{
	uint64_t one = 1;

	atomic_fetch_or(&m->isr, why);
	if (m->irq_fd >= 0) {
		/* KVM injects it: no ioctl, no lock. */
		if (write(m->irq_fd, &one, sizeof(one)) < 0)
			log_warn("%s: irqfd write: %s", m->vd->name, strerror(errno));
		return;
	}
	/* An edge on the line, as the irqfd would make it. */
	vm_set_irq(m->vm, gsi(m), 1);
	vm_set_irq(m->vm, gsi(m), 0);
}

static void queue_interrupt(struct virtio_dev *vd, unsigned q)
{
	(void)q; /* one line for all queues: the ISR says why */
	raise_irq(vd->transport_priv, VIRTIO_MMIO_INT_VRING);
}

static void config_interrupt(struct virtio_dev *vd)
{
	raise_irq(vd->transport_priv, VIRTIO_MMIO_INT_CONFIG);
}

static const struct virtio_transport mmio_transport = {
	.queue_interrupt = queue_interrupt,
	.config_interrupt = config_interrupt,
};

/* --- the notification path ------------------------------------------------ */

static int set_ioeventfd(struct virtio_mmio *m, unsigned q, bool on)
{
	struct kvm_ioeventfd io = {
		.datamatch = q,
		.addr = window_base(m) + VIRTIO_MMIO_QUEUE_NOTIFY,
		.len = 4,
		.fd = m->vd->kick_fd[q],
		.flags = KVM_IOEVENTFD_FLAG_DATAMATCH | (on ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN),
	};

	return ioctl(m->vm->vm_fd, KVM_IOEVENTFD, &io);
}

static int setup_notification(struct virtio_mmio *m)
{
	struct virtio_dev *vd = m->vd;

	for (unsigned q = 0; vd->opt.ioeventfd && q < vd->type.nqueues; q++) {
		if (set_ioeventfd(m, q, true) < 0)
			return fail_errno(ERR_HOST, "%s: KVM_IOEVENTFD (try --no-ioeventfd)", vd->name);
		m->kick_registered[q] = true;
	}
	if (vd->opt.irqfd && vm_irqfd_lines(m->vm)) {
		struct kvm_irqfd irq = { .gsi = gsi(m) };

		m->irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (m->irq_fd < 0)
			return fail_errno(ERR_HOST, "%s: eventfd", vd->name);
		irq.fd = (uint32_t)m->irq_fd;
		if (ioctl(m->vm->vm_fd, KVM_IRQFD, &irq) < 0)
			return fail_errno(ERR_HOST, "%s: KVM_IRQFD (try --no-irqfd)", vd->name);
	}
	return 0;
}

static void teardown_notification(struct virtio_mmio *m)
{
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++) {
		if (m->kick_registered[q])
			set_ioeventfd(m, q, false);
		m->kick_registered[q] = false;
	}
	if (m->irq_fd >= 0) {
		struct kvm_irqfd irq = { .fd = (uint32_t)m->irq_fd, .gsi = gsi(m),
					 .flags = KVM_IRQFD_FLAG_DEASSIGN };
		ioctl(m->vm->vm_fd, KVM_IRQFD, &irq);
		close(m->irq_fd);
	}
	m->irq_fd = -1;
}

/* --- registers ------------------------------------------------------------- */

static void set_half(uint64_t *a, bool high, uint32_t v)
{
	*a = high ? (*a & 0xffffffffULL) | ((uint64_t)v << 32) : (*a & ~0xffffffffULL) | v;
}

static void write_queue_reg(struct virtio_mmio *m, uint64_t off, uint32_t v)
{
	struct virtq *q = virtio_dev_queue(m->vd, m->queue_sel);

	if (off == VIRTIO_MMIO_QUEUE_READY) {
		virtio_dev_queue_ready(m->vd, m->queue_sel, v);
		return;
	}
	if (!q || !virtio_dev_queue_writable(m->vd, m->queue_sel))
		return;
	switch (off) {
	case VIRTIO_MMIO_QUEUE_NUM: q->size = (uint16_t)(v > 0xffff ? 0 : v); break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW: set_half(&q->desc_gpa, false, v); break;
	case VIRTIO_MMIO_QUEUE_DESC_HIGH: set_half(&q->desc_gpa, true, v); break;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW: set_half(&q->avail_gpa, false, v); break;
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH: set_half(&q->avail_gpa, true, v); break;
	case VIRTIO_MMIO_QUEUE_USED_LOW: set_half(&q->used_gpa, false, v); break;
	case VIRTIO_MMIO_QUEUE_USED_HIGH: set_half(&q->used_gpa, true, v); break;
	}
}

static uint32_t read_reg(struct virtio_mmio *m, uint64_t off)
{
	struct virtio_dev *vd = m->vd;
	bool has_q = virtio_dev_queue(vd, m->queue_sel) != NULL;

	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE: return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION: return VIRTIO_MMIO_VERSION_2;
	case VIRTIO_MMIO_DEVICE_ID: return vd->type.device_id;
	case VIRTIO_MMIO_VENDOR_ID: return WARDEN_VENDOR_ID;
	case VIRTIO_MMIO_DEVICE_FEATURES: return virtio_dev_device_features(vd, m->dev_features_sel);
	case VIRTIO_MMIO_QUEUE_NUM_MAX: return has_q ? VIRTQ_MAX_SIZE : 0;
	case VIRTIO_MMIO_QUEUE_READY: return has_q ? vd->queue_ready[m->queue_sel] : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS: return atomic_load(&m->isr);
	case VIRTIO_MMIO_STATUS: return virtio_dev_status(vd);
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH: return 0xffffffffu; /* no shared memory regions */
	case VIRTIO_MMIO_CONFIG_GENERATION: return atomic_load(&vd->config_generation);
	default: return 0;
	}
}

static void write_status(struct virtio_mmio *m, uint32_t v)
{
	virtio_dev_write_status(m->vd, v);
	if (v == 0) {
		m->dev_features_sel = m->drv_features_sel = m->queue_sel = 0;
		atomic_store(&m->isr, 0);
	}
}

static void write_reg(struct virtio_mmio *m, uint64_t off, uint32_t v)
{
	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL: m->dev_features_sel = v; break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL: m->drv_features_sel = v; break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		virtio_dev_write_driver_features(m->vd, m->drv_features_sel, v);
		break;
	case VIRTIO_MMIO_QUEUE_SEL: m->queue_sel = v; break;
	case VIRTIO_MMIO_QUEUE_NOTIFY: virtio_dev_notify(m->vd, v); break;
	case VIRTIO_MMIO_INTERRUPT_ACK: atomic_fetch_and(&m->isr, ~v); break;
	case VIRTIO_MMIO_STATUS: write_status(m, v); break;
	default: write_queue_reg(m, off, v); break;
	}
}

static void mmio_read(struct device *d, unsigned range, uint64_t off, uint8_t *data, unsigned len)
{
	struct virtio_mmio *m = d->priv;
	uint32_t v;

	(void)range;
	memset(data, 0, len);
	if (off >= VIRTIO_MMIO_CONFIG) {
		virtio_dev_config_read(m->vd, off - VIRTIO_MMIO_CONFIG, data, len);
		return;
	}
	if (len != 4 || (off & 3))
		return; /* registers are 32-bit, naturally aligned (4.2.2.2) */
	v = read_reg(m, off);
	memcpy(data, &v, 4);
}

static void mmio_write(struct device *d, unsigned range, uint64_t off, const uint8_t *data,
		       unsigned len)
{
	struct virtio_mmio *m = d->priv;
	uint32_t v;

	(void)range;
	if (off >= VIRTIO_MMIO_CONFIG) {
		virtio_dev_config_write(m->vd, off - VIRTIO_MMIO_CONFIG, data, len);
		return;
	}
	if (len != 4 || (off & 3))
		return;
	memcpy(&v, data, 4);
	write_reg(m, off, v);
}

/* Device lifecycle: reset is the driver's reset (status 0), also used when
 * the VM ends; the I/O thread is stopped when it returns. */
static void mmio_reset(struct device *d)
{
	struct virtio_mmio *m = d->priv;

	futex_mutex_lock(&d->lock);
	write_status(m, 0);
	futex_mutex_unlock(&d->lock);
}

static void mmio_destroy(struct device *d)
{
	struct virtio_mmio *m = d->priv;

	teardown_notification(m);
	virtio_dev_destroy(m->vd);
	free(m->vd);
	free(m);
}

/* --verbose, as the VM ends: the queues as the guest left them. */
static void mmio_describe(struct device *d)
{
	virtio_dev_stop_describing(((struct virtio_mmio *)d->priv)->vd);
}

static const struct device_ops virtio_mmio_ops = {
	.read = mmio_read,
	.write = mmio_write,
	.reset = mmio_reset,
	.destroy = mmio_destroy,
	.describe = mmio_describe,
};

/* --- snapshots (docs/snapshot.md) ------------------------------------------ */

static void mmio_pause(struct device *d)
{
	virtio_dev_pause(((struct virtio_mmio *)d->priv)->vd);
}

static void mmio_resume(struct device *d)
{
	struct virtio_mmio *m = d->priv;

	futex_mutex_lock(&d->lock);
	virtio_dev_resume(m->vd);
	futex_mutex_unlock(&d->lock);
}

/* The transport's registers, then the device's state. */
struct mmio_saved {
	uint32_t dev_features_sel, drv_features_sel, queue_sel, isr;
};

static long mmio_save(struct device *d, void *buf, size_t cap)
{
	struct virtio_mmio *m = d->priv;
	struct mmio_saved s = { m->dev_features_sel, m->drv_features_sel, m->queue_sel, atomic_load(&m->isr) };
	long n;

	if (cap < sizeof(s))
		return -1;
	memcpy(buf, &s, sizeof(s));
	n = virtio_dev_save(m->vd, (uint8_t *)buf + sizeof(s), cap - sizeof(s));
	return n < 0 ? -1 : n + (long)sizeof(s);
}

static int mmio_restore(struct device *d, const void *buf, size_t len)
{
	struct virtio_mmio *m = d->priv;
	struct mmio_saved s;

	if (len < sizeof(s))
		return -1;
	memcpy(&s, buf, sizeof(s));
	if (virtio_dev_restore(m->vd, (const uint8_t *)buf + sizeof(s), len - sizeof(s)) < 0)
		return -1;
	/* Selectors are any values the driver could write; the ISR's bits
	 * were delivered already (the irqchip state has them). */
	m->dev_features_sel = s.dev_features_sel, m->drv_features_sel = s.drv_features_sel;
	m->queue_sel = s.queue_sel;
	atomic_store(&m->isr, s.isr & (VIRTIO_MMIO_INT_VRING | VIRTIO_MMIO_INT_CONFIG));
	return 0;
}

/* The same for a device type that can be snapshotted (virtio_dev_snapshottable). */
static const struct device_ops virtio_mmio_snap_ops = {
	.read = mmio_read,
	.write = mmio_write,
	.reset = mmio_reset,
	.destroy = mmio_destroy,
	.describe = mmio_describe,
	.pause = mmio_pause,
	.resume = mmio_resume,
	.save = mmio_save,
	.restore = mmio_restore,
};

struct virtio_dev *virtio_mmio_of(const struct device *d)
{
	if (d->ops != &virtio_mmio_ops && d->ops != &virtio_mmio_snap_ops)
		return NULL;
	return ((const struct virtio_mmio *)d->priv)->vd;
}

int virtio_mmio_create(struct vm *vm, struct virtio_dev *vd, const struct virtio_options *opt)
{
	struct virtio_mmio *m = calloc(1, sizeof(*m));

	if (!m) {
		if (vd->ops->destroy)
			vd->ops->destroy(vd); /* never attached: only the type's part */
		free(vd);
		return fail(ERR_HOST, "out of memory");
	}
	m->vd = vd;
	m->vm = vm;
	m->irq_fd = -1;
	m->dev = (struct device){
		.name = vd->name, .priv = m,
		.ops = virtio_dev_snapshottable(vd) ? &virtio_mmio_snap_ops : &virtio_mmio_ops,
		.acpi_hid = "LNRO0005", /* the id Linux's virtio_mmio driver matches */
		.counters = &vd->counters,
		.res = { .nranges = 1,
			 .range = { DEVICE_RANGE(BUS_MMIO, DEVICE_ANY_BASE, VIRTIO_MMIO_WINDOW) },
			 .gsi = DEVICE_ANY_GSI },
	};
	if (virtio_dev_attach(vd, vm, opt, &mmio_transport, m) < 0 ||
	    vm_add_device(vm, &m->dev) < 0)
		goto bad;
	if (setup_notification(m) < 0)
		return -1; /* added: the VM destroys it */
	return 0;
bad:
	virtio_dev_destroy(vd);
	free(vd);
	free(m);
	return -1;
}
