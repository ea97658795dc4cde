#include "core/exit.h"

#include <linux/kvm.h>
#include <string.h>

#include "core/bus.h"
#include "core/device.h"
#include "core/vm.h"
#include "util/invariant.h"
#include "util/log.h"

/* One access of LEN bytes at ADDR, routed to its owner. */
static void route(struct vm *vm, struct exit_record *r, uint8_t *data)
{
	const struct bus_range *br = bus_find(&vm->bus[r->space], r->addr, r->size);
	struct device *d;

	if (!br) {
		/* Unclaimed: reads float high, writes vanish, as on a PC bus. */
		if (!r->write)
			memset(data, 0xff, r->size);
		r->unclaimed = true;
		return;
	}
	d = br->dev;
	if (!invariant(br->index < d->res.nranges))
		return;
	r->dev = d->id;
	pthread_mutex_lock(&d->lock);
	if (r->write)
		d->ops->write(d, br->index, r->addr - br->base, data, r->size);
	else
		d->ops->read(d, br->index, r->addr - br->base, data, r->size);
	pthread_mutex_unlock(&d->lock);
}

static void access(struct vm *vm, struct exit_record *r)
{
	/* String I/O (rep ins/outs) arrives as COUNT accesses in one exit. */
	for (uint32_t i = 0; i < r->count; i++)
		route(vm, r, r->data + (size_t)i * r->size);
}

void exit_emulate(struct vm *vm, unsigned vcpu, struct exit_record *r)
{
	switch (r->kind) {
	case EXIT_NONE:
		break;
	case EXIT_ACCESS:
		access(vm, r);
		break;
	case EXIT_HLT:
		/* Only without an in-kernel irqchip: nothing can wake this vCPU. */
		r->end = VM_END_HALT;
		break;
	case EXIT_SHUTDOWN:
		log_warn("vCPU %u: triple fault", vcpu);
		r->dump_regs = log_verbose;
		r->end = VM_END_TRIPLE_FAULT;
		break;
	case EXIT_POWEROFF:
		r->end = VM_END_POWEROFF;
		break;
	case EXIT_RESET:
		r->end = VM_END_REBOOT;
		break;
	case EXIT_BAD_EVENT:
		log_warn("vCPU %u: system event %llu", vcpu, (unsigned long long)r->detail);
		r->end = VM_END_INTERNAL_ERROR;
		break;
	case EXIT_MALFORMED:
		log_warn("vCPU %u: malformed %s exit", vcpu,
			 r->reason == KVM_EXIT_IO ? "port I/O" : "MMIO");
		r->end = VM_END_INTERNAL_ERROR;
		break;
	case EXIT_FAIL_ENTRY:
		log_warn("vCPU %u: VM entry failed, hardware reason 0x%llx", vcpu,
			 (unsigned long long)r->detail);
		r->dump_regs = true;
		r->end = VM_END_INTERNAL_ERROR;
		break;
	case EXIT_KVM_ERROR:
		log_warn("vCPU %u: KVM internal error, suberror %llu%s", vcpu,
			 (unsigned long long)r->detail,
			 r->detail == KVM_INTERNAL_ERROR_EMULATION ? " (instruction emulation failed)" : "");
		r->dump_regs = true;
		r->end = VM_END_INTERNAL_ERROR;
		break;
	case EXIT_UNHANDLED:
		log_warn("vCPU %u: unhandled exit reason %u", vcpu, r->reason);
		r->dump_regs = true;
		r->end = VM_END_INTERNAL_ERROR;
		break;
	}
}
