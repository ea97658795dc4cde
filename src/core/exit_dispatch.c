#include "core/exit_dispatch.h"

#include <linux/kvm.h>
#include <string.h>

#include "core/bus.h"
#include "core/device.h"
#include "core/vcpu.h"
#include "core/vm.h"
#include "util/clock.h"
#include "util/log.h"

/* One access of LEN bytes at ADDR in SPACE, routed to its owner. */
static void bus_access(struct vm *vm, enum bus_space sp, uint64_t addr, uint8_t *data,
		       unsigned len, bool write, struct exit_result *res)
{
	const struct bus_range *r = bus_find(&vm->bus[sp], addr, len);
	struct device *d;

	/* String I/O comes here once per element: account the first. */
	if (!res->has_addr) {
		res->has_addr = true;
		res->space = (uint8_t)sp;
		res->addr = addr;
		res->t_decoded = cycles();
	}
	if (!r) {
		/* Unclaimed: reads float high, writes vanish, as on a PC bus. */
		if (!write)
			memset(data, 0xff, len);
		res->unclaimed = true;
		return;
	}
	d = r->dev;
	res->dev = d->id;
	pthread_mutex_lock(&d->lock);
	if (write)
		d->ops->write(d, addr - r->base, data, len);
	else
		d->ops->read(d, addr - r->base, data, len);
	pthread_mutex_unlock(&d->lock);
}

static void handle_pio(struct vcpu *v, struct exit_result *res)
{
	struct kvm_run *run = v->run;
	unsigned size = run->io.size;
	uint64_t off = run->io.data_offset;
	uint64_t bytes = (uint64_t)run->io.count * size;

	/* KVM fills these, but a bad offset would make us scribble: check. */
	if ((size != 1 && size != 2 && size != 4) || off > (uint64_t)v->vm->run_size ||
	    bytes > (uint64_t)v->vm->run_size - off) {
		log_warn("vCPU %u: malformed port I/O exit", v->id);
		res->end = VM_END_INTERNAL_ERROR;
		return;
	}
	/* String I/O (rep ins/outs) arrives as COUNT accesses in one exit. */
	for (uint32_t i = 0; i < run->io.count; i++)
		bus_access(v->vm, BUS_PIO, run->io.port, (uint8_t *)run + off + i * size, size,
			   run->io.direction == KVM_EXIT_IO_OUT, res);
}

static void handle_mmio(struct vcpu *v, struct exit_result *res)
{
	struct kvm_run *run = v->run;
	unsigned len = run->mmio.len;

	if (len == 0 || len > sizeof(run->mmio.data)) {
		log_warn("vCPU %u: malformed MMIO exit", v->id);
		res->end = VM_END_INTERNAL_ERROR;
		return;
	}
	bus_access(v->vm, BUS_MMIO, run->mmio.phys_addr, run->mmio.data, len,
		   run->mmio.is_write, res);
}

static void handle_system_event(struct vcpu *v, struct exit_result *res)
{
	switch (v->run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		res->end = VM_END_POWEROFF;
		break;
	case KVM_SYSTEM_EVENT_RESET:
		res->end = VM_END_REBOOT;
		break;
	default:
		log_warn("vCPU %u: system event %u", v->id, v->run->system_event.type);
		res->end = VM_END_INTERNAL_ERROR;
	}
}

static void internal_error(struct vcpu *v, struct exit_result *res)
{
	struct kvm_run *run = v->run;

	if (run->exit_reason == KVM_EXIT_FAIL_ENTRY)
		log_warn("vCPU %u: VM entry failed, hardware reason 0x%llx", v->id,
			 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
	else if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR)
		log_warn("vCPU %u: KVM internal error, suberror %u%s", v->id, run->internal.suberror,
			 run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION
				 ? " (instruction emulation failed)" : "");
	else
		log_warn("vCPU %u: unhandled exit reason %u", v->id, run->exit_reason);
	vcpu_dump(v);
	res->end = VM_END_INTERNAL_ERROR;
}

void exit_dispatch(struct vcpu *v, struct exit_result *res)
{
	switch (v->run->exit_reason) {
	case KVM_EXIT_IO:
		handle_pio(v, res);
		break;
	case KVM_EXIT_MMIO:
		handle_mmio(v, res);
		break;
	case KVM_EXIT_HLT:
		/* Only without an in-kernel irqchip: nothing can wake this vCPU. */
		res->end = VM_END_HALT;
		break;
	case KVM_EXIT_SHUTDOWN:
		log_warn("vCPU %u: triple fault", v->id);
		if (log_verbose)
			vcpu_dump(v);
		res->end = VM_END_TRIPLE_FAULT;
		break;
	case KVM_EXIT_SYSTEM_EVENT:
		handle_system_event(v, res);
		break;
	case KVM_EXIT_INTR:
	case KVM_EXIT_IRQ_WINDOW_OPEN:
		break;
	default:
		internal_error(v, res);
	}
}
