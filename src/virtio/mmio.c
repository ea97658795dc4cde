/* virtio-mmio transport, version 2 ("modern") register layout (virtio 1.2,
 * 4.2.2): one 4 KiB window and one GSI per device. */
#include "virtio/virtio_dev.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core/bus.h"
#include "core/vm.h"
#include "util/error.h"
#include "util/log.h"

#define WARDEN_VENDOR_ID 0x4e445257u /* "WRDN" */

static struct virtio_dev *to_vd(struct device *d)
{
	return d->priv;
}

bool virtio_has_feature(const struct virtio_dev *vd, unsigned bit)
{
	return (vd->driver_features >> bit) & 1;
}

static void raise_irq(struct virtio_dev *vd, uint32_t why)
{
	uint64_t one = 1;

	atomic_fetch_or(&vd->isr, why);
	virtio_count(&vd->counters.interrupts, 1);
	if (vd->irq_fd >= 0) {
		/* KVM injects it: no ioctl, no lock. */
		if (write(vd->irq_fd, &one, sizeof(one)) < 0)
			log_warn("%s: irqfd write: %s", vd->name, strerror(errno));
		return;
	}
	/* An edge on the line, as the irqfd would make it. */
	vm_set_irq(vd->vm, vd->gsi, 1);
	vm_set_irq(vd->vm, vd->gsi, 0);
}

void virtio_queue_done(struct virtio_dev *vd, unsigned q)
{
	if (virtq_needs_interrupt(&vd->vq[q]))
		raise_irq(vd, VIRTIO_MMIO_INT_VRING);
}

void virtio_config_changed(struct virtio_dev *vd)
{
	atomic_fetch_add(&vd->config_generation, 1);
	raise_irq(vd, VIRTIO_MMIO_INT_CONFIG);
}

bool virtio_failed(const struct virtio_dev *vd)
{
	return __atomic_load_n(&vd->status, __ATOMIC_RELAXED) & VIRTIO_STATUS_NEEDS_RESET;
}

void virtio_fail(struct virtio_dev *vd, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	if (virtio_failed(vd))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warn("%s: guest error, device needs reset: %s", vd->name, msg);
	virtio_count(&vd->counters.errors, 1);
	__atomic_fetch_or(&vd->status, VIRTIO_STATUS_NEEDS_RESET, __ATOMIC_RELAXED);
	virtio_config_changed(vd);
}

/* --- the notification path ------------------------------------------------ */

static int set_ioeventfd(struct virtio_dev *vd, unsigned q, bool on)
{
	struct kvm_ioeventfd io = {
		.datamatch = q,
		.addr = vd->mmio_base + VIRTIO_MMIO_QUEUE_NOTIFY,
		.len = 4,
		.fd = vd->kick_fd[q],
		.flags = KVM_IOEVENTFD_FLAG_DATAMATCH | (on ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN),
	};

	return ioctl(vd->vm->vm_fd, KVM_IOEVENTFD, &io);
}

static int setup_notification(struct virtio_dev *vd)
{
	for (unsigned q = 0; q < vd->ops->nqueues; q++) {
		vd->kick_fd[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (vd->kick_fd[q] < 0)
			return fail_errno(ERR_HOST, "%s: eventfd", vd->name);
		if (!vd->opt.ioeventfd)
			continue;
		if (set_ioeventfd(vd, q, true) < 0)
			return fail_errno(ERR_HOST, "%s: KVM_IOEVENTFD (try --no-ioeventfd)", vd->name);
		vd->kick_registered[q] = true;
	}
	if (vd->opt.irqfd) {
		struct kvm_irqfd irq = { .gsi = vd->gsi };

		vd->irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (vd->irq_fd < 0)
			return fail_errno(ERR_HOST, "%s: eventfd", vd->name);
		irq.fd = (uint32_t)vd->irq_fd;
		if (ioctl(vd->vm->vm_fd, KVM_IRQFD, &irq) < 0)
			return fail_errno(ERR_HOST, "%s: KVM_IRQFD (try --no-irqfd)", vd->name);
	}
	return 0;
}

static void teardown_notification(struct virtio_dev *vd)
{
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++) {
		if (vd->kick_registered[q])
			set_ioeventfd(vd, q, false);
		vd->kick_registered[q] = false;
		if (vd->kick_fd[q] >= 0)
			close(vd->kick_fd[q]);
		vd->kick_fd[q] = -1;
	}
	if (vd->irq_fd >= 0) {
		struct kvm_irqfd irq = { .fd = (uint32_t)vd->irq_fd, .gsi = vd->gsi,
					 .flags = KVM_IRQFD_FLAG_DEASSIGN };
		ioctl(vd->vm->vm_fd, KVM_IRQFD, &irq);
		close(vd->irq_fd);
	}
	vd->irq_fd = -1;
}

/* --- status state machine ------------------------------------------------- */

void virtio_mmio_stop(struct virtio_dev *vd)
{
	if (vd->running) {
		virtio_worker_stop(vd);
		if (vd->ops->stop)
			vd->ops->stop(vd);
	}
}

/* Status 0: back to the state after power-on (2.4). */
static void reset(struct virtio_dev *vd)
{
	uint64_t drain;

	virtio_mmio_stop(vd);
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++) {
		virtq_reset(&vd->vq[q]);
		vd->queue_ready[q] = false;
		if (vd->kick_fd[q] >= 0 && read(vd->kick_fd[q], &drain, sizeof(drain)) < 0)
			drain = 0; /* nothing pending: fine */
	}
	__atomic_store_n(&vd->status, 0, __ATOMIC_RELAXED);
	vd->driver_features = 0;
	vd->dev_features_sel = vd->drv_features_sel = vd->queue_sel = 0;
	atomic_store(&vd->isr, 0);
}

/* FEATURES_OK is only kept if the driver accepted a subset of what we offer,
 * including VERSION_1 (no legacy interface here). */
static bool features_ok(struct virtio_dev *vd)
{
	if (vd->driver_features & ~vd->offered) {
		log_warn("%s: driver accepted features 0x%llx we did not offer", vd->name,
			 (unsigned long long)(vd->driver_features & ~vd->offered));
		return false;
	}
	if (!virtio_has_feature(vd, VIRTIO_F_VERSION_1)) {
		log_warn("%s: driver did not accept VIRTIO_F_VERSION_1", vd->name);
		return false;
	}
	return true;
}

static void driver_ok(struct virtio_dev *vd)
{
	for (unsigned q = 0; q < vd->ops->nqueues; q++) {
		vd->vq[q].event_idx = virtio_has_feature(vd, VIRTIO_F_EVENT_IDX);
		vd->vq[q].indirect = virtio_has_feature(vd, VIRTIO_F_INDIRECT_DESC);
	}
	if (vd->ops->start && vd->ops->start(vd) < 0) {
		virtio_fail(vd, "device could not start");
		return;
	}
	if (virtio_worker_start(vd) < 0) {
		log_warn("%s: %s", vd->name, err_msg());
		virtio_fail(vd, "no I/O thread");
	}
}

static void write_status(struct virtio_dev *vd, uint32_t v)
{
	uint32_t old = __atomic_load_n(&vd->status, __ATOMIC_RELAXED), nv;

	if (v == 0) {
		reset(vd);
		return;
	}
	/* A driver only ever adds bits (2.1.2); only a reset clears them.  Keep
	 * those set, or dropping DRIVER_OK and setting it again would start a
	 * second I/O thread on the same queues. */
	v = (v | old) & 0xff;
	if ((v & VIRTIO_STATUS_FEATURES_OK) && !(old & VIRTIO_STATUS_FEATURES_OK) && !features_ok(vd))
		v &= ~(uint32_t)VIRTIO_STATUS_FEATURES_OK; /* the driver reads it back and gives up */
	/* Only the device sets NEEDS_RESET, and its I/O thread may do so
	 * (virtio_fail) while we are here: merge atomically so that a failure
	 * set in between is kept, not overwritten. */
	v &= ~(uint32_t)VIRTIO_STATUS_NEEDS_RESET;
	do
		nv = v | (old & VIRTIO_STATUS_NEEDS_RESET);
	while (!__atomic_compare_exchange_n(&vd->status, &old, nv, false, __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED));
	v = nv;
	if ((v & VIRTIO_STATUS_FAILED) && !(old & VIRTIO_STATUS_FAILED))
		virtio_mmio_stop(vd);
	else if ((v & VIRTIO_STATUS_DRIVER_OK) && !(old & VIRTIO_STATUS_DRIVER_OK) &&
		 (v & VIRTIO_STATUS_FEATURES_OK))
		driver_ok(vd);
}

/* --- queue registers ------------------------------------------------------ */

static struct virtq *selected(struct virtio_dev *vd)
{
	return vd->queue_sel < vd->ops->nqueues ? &vd->vq[vd->queue_sel] : NULL;
}

static void set_addr(uint64_t *a, bool high, uint32_t v)
{
	*a = high ? (*a & 0xffffffffULL) | ((uint64_t)v << 32) : (*a & ~0xffffffffULL) | v;
}

static void write_queue_reg(struct virtio_dev *vd, uint64_t off, uint32_t v)
{
	struct virtq *q = selected(vd);

	if (!q)
		return;
	/* Queue set-up is frozen once the I/O thread owns the queues. */
	if (vd->running || vd->queue_ready[vd->queue_sel]) {
		if (off == VIRTIO_MMIO_QUEUE_READY && v == 0 && !vd->running)
			vd->queue_ready[vd->queue_sel] = false;
		return;
	}
	switch (off) {
	case VIRTIO_MMIO_QUEUE_NUM: q->size = (uint16_t)(v > 0xffff ? 0 : v); break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW: set_addr(&q->desc_gpa, false, v); break;
	case VIRTIO_MMIO_QUEUE_DESC_HIGH: set_addr(&q->desc_gpa, true, v); break;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW: set_addr(&q->avail_gpa, false, v); break;
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH: set_addr(&q->avail_gpa, true, v); break;
	case VIRTIO_MMIO_QUEUE_USED_LOW: set_addr(&q->used_gpa, false, v); break;
	case VIRTIO_MMIO_QUEUE_USED_HIGH: set_addr(&q->used_gpa, true, v); break;
	case VIRTIO_MMIO_QUEUE_READY:
		if (v != 1)
			break;
		if (virtq_activate(q, &vd->vm->mem) < 0) {
			virtio_fail(vd, "queue %u: %s", vd->queue_sel, q->error);
			break;
		}
		vd->queue_ready[vd->queue_sel] = true;
		break;
	}
}

/* Without ioeventfd the notify exits to us; hand it to the same eventfd
 * the I/O thread waits on, so both paths run the same device code. */
static void notify(struct virtio_dev *vd, uint32_t q)
{
	uint64_t one = 1;

	if (q >= vd->ops->nqueues)
		return;
	if (write(vd->kick_fd[q], &one, sizeof(one)) < 0)
		log_warn("%s: kick: %s", vd->name, strerror(errno));
}

/* --- register window ------------------------------------------------------ */

static uint32_t read_reg(struct virtio_dev *vd, uint64_t off)
{
	struct virtq *q = selected(vd);

	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE: return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION: return VIRTIO_MMIO_VERSION_2;
	case VIRTIO_MMIO_DEVICE_ID: return vd->ops->device_id;
	case VIRTIO_MMIO_VENDOR_ID: return WARDEN_VENDOR_ID;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		return vd->dev_features_sel < 2 ? (uint32_t)(vd->offered >> (32 * vd->dev_features_sel)) : 0;
	case VIRTIO_MMIO_QUEUE_NUM_MAX: return q ? VIRTQ_MAX_SIZE : 0;
	case VIRTIO_MMIO_QUEUE_READY: return q ? vd->queue_ready[vd->queue_sel] : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS: return atomic_load(&vd->isr);
	case VIRTIO_MMIO_STATUS: return __atomic_load_n(&vd->status, __ATOMIC_RELAXED);
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH: return 0xffffffffu; /* no shared memory regions */
	case VIRTIO_MMIO_CONFIG_GENERATION: return atomic_load(&vd->config_generation);
	default: return 0;
	}
}

static void write_reg(struct virtio_dev *vd, uint64_t off, uint32_t v)
{
	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL: vd->dev_features_sel = v; break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL: vd->drv_features_sel = v; break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		if (vd->drv_features_sel < 2 &&
		    !(__atomic_load_n(&vd->status, __ATOMIC_RELAXED) & VIRTIO_STATUS_FEATURES_OK))
			set_addr(&vd->driver_features, vd->drv_features_sel == 1, v);
		break;
	case VIRTIO_MMIO_QUEUE_SEL: vd->queue_sel = v; break;
	case VIRTIO_MMIO_QUEUE_NOTIFY: notify(vd, v); break;
	case VIRTIO_MMIO_INTERRUPT_ACK: atomic_fetch_and(&vd->isr, ~v); break;
	case VIRTIO_MMIO_STATUS: write_status(vd, v); break;
	default: write_queue_reg(vd, off, v); break;
	}
}

static void mmio_read(struct device *d, uint64_t off, uint8_t *data, unsigned len)
{
	struct virtio_dev *vd = to_vd(d);
	uint32_t v;

	memset(data, 0, len);
	if (off >= VIRTIO_MMIO_CONFIG) {
		off -= VIRTIO_MMIO_CONFIG;
		if (off < vd->config_len && len <= vd->config_len - off)
			memcpy(data, vd->config + off, len);
		return;
	}
	if (len != 4 || (off & 3))
		return; /* registers are 32-bit, naturally aligned (4.2.2.2) */
	v = read_reg(vd, off);
	memcpy(data, &v, 4);
}

static void mmio_write(struct device *d, uint64_t off, const uint8_t *data, unsigned len)
{
	struct virtio_dev *vd = to_vd(d);
	uint32_t v;

	if (off >= VIRTIO_MMIO_CONFIG) {
		off -= VIRTIO_MMIO_CONFIG;
		if (vd->ops->config_write && off < vd->config_len && len <= vd->config_len - off)
			vd->ops->config_write(vd, (uint32_t)off, data, len);
		return;
	}
	if (len != 4 || (off & 3))
		return;
	memcpy(&v, data, 4);
	write_reg(vd, off, v);
}

static const struct device_ops virtio_mmio_ops = {
	.read = mmio_read,
	.write = mmio_write,
};

int virtio_mmio_init(struct virtio_dev *vd, struct vm *vm, const struct virtio_options *opt,
		     uint64_t base, unsigned gsi)
{
	vd->vm = vm;
	vd->opt = *opt;
	vd->mmio_base = base;
	vd->gsi = gsi;
	vd->irq_fd = vd->epoll_fd = vd->stop_fd = -1;
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++)
		vd->kick_fd[q] = -1;
	if (vd->ops->nqueues == 0 || vd->ops->nqueues > VIRTIO_MAX_QUEUES || vd->config_len > VIRTIO_CONFIG_MAX)
		return fail(ERR_HOST, "%s: bad device description", vd->name);
	vd->offered = vd->ops->features | VIRTIO_BIT(VIRTIO_F_VERSION_1) |
		      VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) |
		      (opt->event_idx ? VIRTIO_BIT(VIRTIO_F_EVENT_IDX) : 0);
	vd->dev.name = vd->name;
	vd->dev.ops = &virtio_mmio_ops;
	vd->dev.priv = vd;
	vd->dev.counters = &vd->counters;
	if (vm_add_device(vm, &vd->dev) < 0 ||
	    vm_map_range(vm, BUS_MMIO, base, VIRTIO_MMIO_WINDOW, &vd->dev) < 0)
		return -1;
	return setup_notification(vd);
}

void virtio_mmio_destroy(struct virtio_dev *vd)
{
	virtio_mmio_stop(vd);
	teardown_notification(vd);
	if (vd->ops && vd->ops->destroy)
		vd->ops->destroy(vd);
}
