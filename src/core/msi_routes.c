#include "core/msi_routes.h"

#include <errno.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "core/layout.h"
#include "core/vm.h"
#include "util/error.h"
#include "util/log.h"

#define NMSI (GSI_MSI_POOL_END - GSI_MSI_POOL_START)
#define NDEFAULT_IOAPIC GSI_POOL_END /* every IOAPIC pin */
#define NDEFAULT_PIC 16
#define MAX_ENTRIES (NDEFAULT_IOAPIC + NDEFAULT_PIC + NMSI + GSI_HV_SINT_COUNT)

struct msi_route {
	bool used, routed;
	uint64_t addr;
	uint32_t data;
};

struct msi_routes {
	pthread_mutex_t lock; /* vCPUs of different functions program at once */
	struct msi_route r[NMSI];
	/* With warden's own IOAPIC (core/ioapic.h): GSI = pin, its level
	 * entry as an MSI, in place of KVM's default routes. */
	struct msi_route pin[NDEFAULT_IOAPIC];
};

/* Serialises the lazy creation of the table (set-up is single-threaded,
 * but a later user would not need to know that). */
static pthread_mutex_t create_lock = PTHREAD_MUTEX_INITIALIZER;

static struct msi_routes *table(struct vm *vm)
{
	pthread_mutex_lock(&create_lock);
	if (!vm->msi) {
		vm->msi = calloc(1, sizeof(*vm->msi));
		if (vm->msi)
			pthread_mutex_init(&vm->msi->lock, NULL);
	}
	pthread_mutex_unlock(&create_lock);
	if (!vm->msi)
		fail(ERR_HOST, "out of memory");
	return vm->msi;
}

static void irqchip_entry(struct kvm_irq_routing_entry *e, unsigned gsi, unsigned chip, unsigned pin)
{
	memset(e, 0, sizeof(*e));
	e->gsi = gsi;
	e->type = KVM_IRQ_ROUTING_IRQCHIP;
	e->u.irqchip.irqchip = chip;
	e->u.irqchip.pin = pin;
}

static void msi_entry(struct kvm_irq_routing_entry *e, unsigned gsi, const struct msi_route *r)
{
	memset(e, 0, sizeof(*e));
	e->gsi = gsi;
	e->type = KVM_IRQ_ROUTING_MSI;
	e->u.msi.address_lo = (uint32_t)r->addr;
	e->u.msi.address_hi = (uint32_t)(r->addr >> 32);
	e->u.msi.data = r->data;
}

/* The whole table, as KVM's default plus our MSI routes and the Hyper-V
 * SINT routes (vm->hv_route, core/hyperv.c); under t->lock. */
static int push(struct vm *vm, struct msi_routes *t)
{
	struct kvm_irq_routing *rt = calloc(1, sizeof(*rt) + MAX_ENTRIES * sizeof(rt->entries[0]));
	unsigned n = 0;
	int r;

	if (!rt)
		return fail(ERR_HOST, "out of memory");
	for (unsigned g = 0; g < NDEFAULT_IOAPIC && !vm->cfg.irqchip_split; g++) {
		irqchip_entry(&rt->entries[n++], g, KVM_IRQCHIP_IOAPIC, g);
		if (g < NDEFAULT_PIC)
			irqchip_entry(&rt->entries[n++], g, g < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE,
				      g % 8);
	}
	for (unsigned g = 0; g < NDEFAULT_IOAPIC; g++)
		if (t->pin[g].routed)
			msi_entry(&rt->entries[n++], g, &t->pin[g]);
	for (unsigned i = 0; i < NMSI; i++)
		if (t->r[i].routed)
			msi_entry(&rt->entries[n++], GSI_MSI_POOL_START + i, &t->r[i]);
	for (unsigned i = 0; i < GSI_HV_SINT_COUNT; i++)
		if (vm->hv_route[i].vcpu >= 0)
			rt->entries[n++] = (struct kvm_irq_routing_entry){
				.gsi = GSI_HV_SINT_START + i, .type = KVM_IRQ_ROUTING_HV_SINT,
				.u.hv_sint = { .vcpu = (uint32_t)vm->hv_route[i].vcpu, .sint = vm->hv_route[i].sint } };
	rt->nr = n;
	r = ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, rt);
	free(rt);
	return r < 0 ? fail_errno(ERR_HOST, "KVM_SET_GSI_ROUTING") : 0;
}

int gsi_routes_push(struct vm *vm)
{
	struct msi_routes *t = table(vm);
	int r;

	if (!t)
		return -1;
	pthread_mutex_lock(&t->lock);
	r = push(vm, t);
	pthread_mutex_unlock(&t->lock);
	return r;
}

int msi_route_alloc(struct vm *vm)
{
	struct msi_routes *t = table(vm);
	int gsi = -1;

	if (!t)
		return -1;
	pthread_mutex_lock(&t->lock);
	for (unsigned i = 0; i < NMSI && gsi < 0; i++)
		if (!t->r[i].used) {
			t->r[i].used = true;
			gsi = GSI_MSI_POOL_START + (int)i;
		}
	pthread_mutex_unlock(&t->lock);
	if (gsi < 0)
		fail(ERR_HOST, "no MSI route left (%d in the pool)", NMSI);
	return gsi;
}

/* Point route R (of table T) at ADDR/DATA, or drop it; under t->lock. */
static int update(struct vm *vm, struct msi_routes *t, struct msi_route *r, bool routed,
		  uint64_t addr, uint32_t data)
{
	/* Unchanged: spare KVM a table swap (it waits for an SRCU grace period). */
	if (r->routed == routed && (!routed || (r->addr == addr && r->data == data)))
		return 0;
	r->routed = routed;
	r->addr = addr;
	r->data = data;
	return push(vm, t);
}

static int change(struct vm *vm, unsigned gsi, bool routed, uint64_t addr, uint32_t data)
{
	struct msi_routes *t = vm->msi;
	int ret;

	if (!t || gsi < GSI_MSI_POOL_START || gsi >= GSI_MSI_POOL_END)
		return fail(ERR_HOST, "GSI %u is not an MSI route", gsi);
	pthread_mutex_lock(&t->lock);
	ret = update(vm, t, &t->r[gsi - GSI_MSI_POOL_START], routed, addr, data);
	pthread_mutex_unlock(&t->lock);
	return ret;
}

int ioapic_route_set(struct vm *vm, unsigned pin, bool routed, uint64_t addr, uint32_t data)
{
	struct msi_routes *t = table(vm);
	int ret;

	if (!t)
		return -1;
	if (!vm->ioapic || pin >= NDEFAULT_IOAPIC)
		return fail(ERR_HOST, "no IOAPIC pin %u of warden's", pin);
	pthread_mutex_lock(&t->lock);
	ret = update(vm, t, &t->pin[pin], routed, addr, data);
	pthread_mutex_unlock(&t->lock);
	return ret;
}

int msi_route_set(struct vm *vm, unsigned gsi, uint64_t addr, uint32_t data)
{
	return change(vm, gsi, true, addr, data);
}

int msi_route_clear(struct vm *vm, unsigned gsi)
{
	return change(vm, gsi, false, 0, 0);
}

/* One MSI into KVM's LAPICs (declared in core/vm.h): here, next to the
 * routes, so that warden's IOAPIC, which sends its interrupts so, calls
 * nothing of vm.c's (which calls it). */
int vm_signal_msi(struct vm *vm, uint64_t addr, uint32_t data)
{
	struct kvm_msi msi = { .address_lo = (uint32_t)addr, .address_hi = (uint32_t)(addr >> 32),
			       .data = data };

	if (ioctl(vm->vm_fd, KVM_SIGNAL_MSI, &msi) < 0) {
		log_warn("KVM_SIGNAL_MSI 0x%llx/0x%x: %s", (unsigned long long)addr, data,
			 strerror(errno));
		return -1;
	}
	return 0;
}

void msi_routes_free(struct vm *vm)
{
	if (!vm->msi)
		return;
	pthread_mutex_destroy(&vm->msi->lock);
	free(vm->msi);
	vm->msi = NULL;
}
