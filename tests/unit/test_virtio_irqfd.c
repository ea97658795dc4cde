/* Where a queue's interrupt may bypass warden (issue 14: vhost-net's
 * "used buffers" signal straight to KVM): virtio-pci's answer from the
 * MSI-X state (src/virtio/pci.c, virtio_pci_direct_fd), and the core's
 * hook that carries the transport's news to the device type
 * (src/virtio/virtio_dev.c).  The device side with a real vhost-net is the
 * emulated tier's net_pci_vhost case (this host has no /dev/vhost-net). */
#include "core/vm.h"
#include "devices/msix.h"
#include "virtio/pci.h"
#include "virtio/virtio_dev.h"
#include "unit.h"
#include "virtio_fixture.h"

static void no_route(void *ctx, unsigned v, uint64_t addr, uint32_t data)
{
	(void)ctx, (void)v, (void)addr, (void)data;
}

static void count_fire(void *ctx, unsigned v, uint64_t addr, uint32_t data)
{
	(void)v, (void)addr, (void)data;
	(*(unsigned *)ctx)++;
}

static const struct msix_ops ops = { .route = no_route, .fire = count_fire };

/* Vector V's control word: masked or not. */
static void mask(struct msix *m, unsigned v, bool masked)
{
	uint32_t ctl = masked ? MSIX_CTRL_MASKBIT : 0;

	assert_int_equal(msix_table_write(m, v * MSIX_ENTRY_SIZE + 12, (const uint8_t *)&ctl, 4), 0);
}

static void test_pci_direct_only_while_deliverable(void **state)
{
	int irq_fd[MSIX_MAX_VECTORS];
	unsigned fired = 0;
	struct msix m;

	(void)state;
	for (unsigned v = 0; v < MSIX_MAX_VECTORS; v++)
		irq_fd[v] = 100 + (int)v;
	msix_init(&m, 3, &ops, &fired);
	/* Power-on: MSI-X off, every vector masked. */
	assert_int_equal(virtio_pci_direct_fd(&m, 1, irq_fd), -1);
	mask(&m, 1, false);
	assert_int_equal(virtio_pci_direct_fd(&m, 1, irq_fd), -1); /* still off: the ISR's */
	msix_control(&m, MSIX_CONTROL_ENABLE);
	assert_int_equal(virtio_pci_direct_fd(&m, 1, irq_fd), 101);
	assert_int_equal(virtio_pci_direct_fd(&m, 0, irq_fd), -1); /* vector 0 still masked */
	/* Masked: the PBA must see the interrupt, so not KVM directly. */
	mask(&m, 1, true);
	assert_int_equal(virtio_pci_direct_fd(&m, 1, irq_fd), -1);
	mask(&m, 1, false);
	assert_int_equal(virtio_pci_direct_fd(&m, 1, irq_fd), 101);
	/* The function mask holds every vector. */
	msix_control(&m, MSIX_CONTROL_ENABLE | MSIX_CONTROL_FMASK);
	assert_int_equal(virtio_pci_direct_fd(&m, 1, irq_fd), -1);
	msix_control(&m, MSIX_CONTROL_ENABLE);
	assert_int_equal(virtio_pci_direct_fd(&m, 1, irq_fd), 101);
	/* No vector, or one the function lacks. */
	assert_int_equal(virtio_pci_direct_fd(&m, VIRTIO_PCI_NO_VECTOR, irq_fd), -1);
	assert_int_equal(virtio_pci_direct_fd(&m, 3, irq_fd), -1);
	/* No irqfd for the vector (--no-irqfd): the transport sends it. */
	irq_fd[1] = -1;
	assert_int_equal(virtio_pci_direct_fd(&m, 1, irq_fd), -1);
	/* MSI-X switched off again. */
	irq_fd[1] = 101;
	msix_control(&m, 0);
	assert_int_equal(virtio_pci_direct_fd(&m, 1, irq_fd), -1);
	msix_destroy(&m);
}

/* A stand-in transport with an irqfd answer the test sets. */
static int answer = -1;
static unsigned changes;

static int fake_queue_irqfd(struct virtio_dev *vd, unsigned q)
{
	(void)vd;
	return q == 1 ? answer : -1;
}

static const struct virtio_transport direct_transport = {
	.queue_interrupt = vt_queue_interrupt,
	.config_interrupt = vt_interrupt,
	.queue_irqfd = fake_queue_irqfd,
};

static void changed(struct virtio_dev *vd)
{
	(void)vd;
	changes++;
}

static void nothing(struct virtio_dev *vd)
{
	(void)vd;
}

static const struct virtio_dev_ops hooked = { .destroy = nothing, .irq_changed = changed };
static const struct virtio_dev_ops unhooked = { .destroy = nothing };

static struct virtio_dev *new_dev(const struct virtio_dev_ops *o)
{
	struct virtio_dev *vd = calloc(1, sizeof(*vd));

	assert_non_null(vd);
	vd->type = (struct virtio_type){ .device_id = 1, .nqueues = 2 };
	vd->ops = o;
	snprintf(vd->name, sizeof(vd->name), "test");
	return vd;
}

static void test_core_hook_and_answer(void **state)
{
	static const struct virtio_options opt = { .ioeventfd = true, .irqfd = true };
	static struct vm vm;
	struct virtio_dev *vd = new_dev(&hooked), *plain = new_dev(&unhooked), *mmio = new_dev(&hooked);
	int irq, irq2;

	(void)state;
	irq = eventfd(0, EFD_CLOEXEC);
	assert_true(irq >= 0);
	assert_int_equal(virtio_dev_attach(vd, &vm, &opt, &direct_transport, &irq), 0);
	/* The transport's answer, queue by queue; none outside the type. */
	answer = 42;
	assert_int_equal(virtio_queue_irqfd(vd, 1), 42);
	assert_int_equal(virtio_queue_irqfd(vd, 0), -1);
	assert_int_equal(virtio_queue_irqfd(vd, 2), -1);
	answer = -1;
	assert_int_equal(virtio_queue_irqfd(vd, 1), -1);
	/* The transport's news reaches the type. */
	changes = 0;
	virtio_dev_irq_changed(vd);
	virtio_dev_irq_changed(vd);
	assert_int_equal(changes, 2);
	/* A type without the hook is left alone. */
	assert_int_equal(virtio_dev_attach(plain, &vm, &opt, &direct_transport, &irq), 0);
	virtio_dev_irq_changed(plain);
	assert_int_equal(changes, 2);
	/* A transport without irqfds for queues (virtio-mmio): always -1. */
	vt_attach(mmio, &vm, &irq2);
	answer = 42;
	assert_int_equal(virtio_queue_irqfd(mmio, 1), -1);
	virtio_dev_destroy(vd);
	free(vd);
	virtio_dev_destroy(plain);
	free(plain);
	close(irq);
	vt_detach(mmio, irq2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pci_direct_only_while_deliverable),
		cmocka_unit_test(test_core_hook_and_answer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
