#include "core/vm.h"
#include "core/ioapic.h"
#include "core/msi_routes.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "core/cpuid.h"
#include "core/crash_state.h"
#include "core/device.h"
#include "core/kvm.h"
#include "core/layout.h"
#include "core/resources.h"
#include "util/error.h"
#include "util/invariant.h"
#include "util/log.h"
#include "util/stamp.h"

/* Guest RAM in this process: before KVM_CREATE_VM, so that a restore's
 * working set (vm_config.mem_ready) comes in while KVM creates the VM. */
static int map_memory(struct vm *vm)
{
	return vm->cfg.mem_file ? gmem_map_file(&vm->mem, vm->cfg.mem_bytes, vm->cfg.mem_file)
				: gmem_map(&vm->mem, vm->cfg.mem_bytes);
}

/* Guest RAM given to KVM, one slot per region. */
static int register_memory(struct vm *vm)
{
	for (unsigned i = 0; i < vm->mem.nregions; i++) {
		struct kvm_userspace_memory_region r = {
			.slot = i,
			.guest_phys_addr = vm->mem.regions[i].gpa,
			.memory_size = vm->mem.regions[i].size,
			.userspace_addr = (uintptr_t)vm->mem.regions[i].hva,
		};
		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
			return fail_errno(ERR_USAGE, "KVM refused %llu MiB of guest memory",
					  (unsigned long long)(vm->cfg.mem_bytes >> 20));
	}
	return 0;
}

static int create_irqchip(struct vm *vm)
{
	struct kvm_pit_config pit = { .flags = 0 };

	ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, LAYOUT_KVM_TSS);
	{
		uint64_t idmap = LAYOUT_KVM_IDENTITY_MAP;
		ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap);
	}
	if (!vm->cfg.irqchip)
		return 0;
	if (vm->cfg.irqchip_split) {
		/* The LAPICs in the kernel, the IOAPIC ours (made once the bus
		 * can take it); GSIs 0-23 are its pins in KVM's routing table. */
		struct kvm_enable_cap cap = { .cap = KVM_CAP_SPLIT_IRQCHIP, .args = { IOAPIC_MAX_PINS } };

		if (ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap) < 0)
			return fail_errno(ERR_HOST, "KVM_CAP_SPLIT_IRQCHIP (try --irqchip kernel)");
		return 0;
	}
	/* LAPIC, IOAPIC and PIC in the kernel: their traffic never leaves KVM. */
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return fail_errno(ERR_HOST, "KVM_CREATE_IRQCHIP");
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
		return fail_errno(ERR_HOST, "KVM_CREATE_PIT2");
	return 0;
}

/* warden's own IOAPIC, a device of the core's at its fixed address; its
 * pins are counted once every device is added (vm_start). */
static int add_ioapic(struct vm *vm)
{
	struct ioapic *io = ioapic_create(vm, IOAPIC_MAX_PINS);

	if (!io)
		return -1;
	if (vm_add_device(vm, &io->dev) < 0) {
		io->dev.ops->destroy(&io->dev);
		return -1;
	}
	vm->ioapic = io;
	/* Its register reads from a page, not an exit (core/ioapic.h). */
	if (vm->cfg.ioapic_window && ioapic_map_window(io) < 0)
		return -1;
	return 0;
}

static void end_on_bug(void *ctx)
{
	vm_request_end(ctx, VM_END_BUG);
}

int vm_create(struct vm *vm, const struct vm_config *cfg)
{
	unsigned max;

	memset(vm, 0, sizeof(*vm));
	text_tail_init(&vm->console_tail);
	vm->vm_fd = vm->end.efd = -1;
	vm->cfg = *cfg;
	vm->cfg.irqchip_split = cfg->irqchip && cfg->irqchip_split; /* split needs LAPICs in KVM */
	vm_sleep_init(&vm->sleep);
	vm_pause_init(&vm->pause);
	for (unsigned i = 0; i < GSI_HV_SINT_COUNT; i++)
		vm->hv_route[i].vcpu = -1; /* no SINT routes */
	vm->kvm_fd = kvm_open(cfg->kvm_device ? cfg->kvm_device : KVM_DEFAULT_DEVICE);
	if (vm->kvm_fd < 0)
		return -1;
	stamp("kvm opened");
	max = kvm_max_vcpus(vm->kvm_fd);
	if (cfg->ncpus > max)
		return fail(ERR_USAGE, "--cpus %u is above this host's KVM limit of %u", cfg->ncpus, max);
	if (map_memory(vm) < 0)
		return -1;
	if (cfg->mem_ready)
		cfg->mem_ready(cfg->mem_ready_ctx, &vm->mem);
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		return fail_errno(ERR_HOST, "KVM_CREATE_VM");
	stamp("KVM_CREATE_VM");
	vm->run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->run_size <= 0)
		return fail_errno(ERR_HOST, "KVM_GET_VCPU_MMAP_SIZE");
	if (vm_end_init(&vm->end) < 0)
		return -1;
	invariant_set_handler(end_on_bug, vm);
	if (register_memory(vm) < 0)
		return -1;
	stamp("memory slots");
	if (create_irqchip(vm) < 0)
		return -1;
	stamp("irqchip");
	vm->cpuid = cpuid_supported(vm->kvm_fd);
	if (!vm->cpuid)
		return -1;
	stamp("cpuid");
	if (!cfg->nested)
		cpuid_hide_nested(vm->cpuid);
	/* The LAPIC's TSC-deadline mode, which KVM emulates but leaves for the
	 * VMM to announce (Linux then arms its timer with one WRMSR). */
	if (cfg->irqchip && ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0)
		cpuid_set_tsc_deadline(vm->cpuid);
	if (vm_idle_setup(vm) < 0)
		return -1;
	/* After the PV hint (set in KVM's leaf before it moves to 0x40000101). */
	if (cfg->hyperv && vm_hyperv_setup(vm) < 0)
		return -1;
	vm_crash_setup(vm);
	vm->vcpus = calloc(cfg->ncpus, sizeof(*vm->vcpus));
	if (!vm->vcpus)
		return fail(ERR_HOST, "out of memory");
	stamp("idle and crash settings");
	for (unsigned i = 0; i < cfg->ncpus; i++) {
		if (vcpu_create(&vm->vcpus[i], vm, i) < 0)
			return -1;
		stamp("vCPU CPUID and MSRs");
	}
	if (vm->cfg.irqchip_split)
		return add_ioapic(vm);
	return 0;
}

/* --verbose: the state each device was left in, before the reset loses
 * it (device_ops.describe). */
static void describe_devices(struct vm *vm)
{
	for (unsigned i = 0; log_verbose && i < vm->ndevices; i++)
		if (vm->devices[i]->ops->describe)
			vm->devices[i]->ops->describe(vm->devices[i]);
}

static void reset_devices(struct vm *vm)
{
	for (unsigned i = vm->ndevices; i-- > 0;)
		if (vm->devices[i]->ops->reset)
			vm->devices[i]->ops->reset(vm->devices[i]);
}

void vm_destroy(struct vm *vm)
{
	/* A vCPU thread that did not stop may still use all of it: it is left
	 * for the process's end (whose caller reports it and exits). */
	if (vm->stuck)
		return;
	reset_devices(vm);
	for (unsigned i = vm->ndevices; i-- > 0;) {
		struct device *d = vm->devices[i];

		d->ops->destroy(d);
	}
	if (vm->vcpus)
		for (unsigned i = 0; i < vm->cfg.ncpus; i++)
			vcpu_destroy(&vm->vcpus[i]);
	invariant_set_handler(NULL, NULL);
	if (vm->coalesced)
		pthread_mutex_destroy(&vm->coalesced_lock);
	free(vm->vcpus);
	free(vm->cpuid);
	msi_routes_free(vm);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	vm_end_close(&vm->end);
	vm_sleep_destroy(&vm->sleep);
	vm_pause_destroy(&vm->pause);
	gmem_unmap(&vm->mem);
	text_tail_destroy(&vm->console_tail);
	memset(vm, 0, sizeof(*vm));
	vm->vm_fd = vm->kvm_fd = vm->end.efd = -1;
}

int vm_add_device(struct vm *vm, struct device *dev)
{
	if (vm->ndevices == VM_MAX_DEVICES)
		return fail(ERR_USAGE, "too many devices (at most %d)", VM_MAX_DEVICES);
	if (!dev->ops || !dev->ops->read || !dev->ops->write || !dev->ops->destroy)
		return fail(ERR_HOST, "%s: incomplete device", dev->name);
	if (resources_grant(vm->bus, vm->devices, vm->ndevices, dev,
			    vm->cfg.irqchip_split ? GSI_SPLIT_POOL_START : GSI_POOL_START) < 0)
		return -1;
	futex_mutex_init(&dev->lock);
	dev->exit_read = dev->ops->read;
	dev->exit_write = dev->ops->write;
	dev->id = (int)vm->ndevices;
	vm->devices[vm->ndevices++] = dev;
	return 0;
}

void vm_set_irq(struct vm *vm, unsigned gsi, int level)
{
	struct kvm_irq_level irq = { .irq = gsi, .level = (uint32_t)level };

	if (vm->ioapic) {
		ioapic_set_line(vm->ioapic, gsi, level);
		return;
	}
	if (vm->cfg.irqchip && ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq) < 0)
		log_warn("KVM_IRQ_LINE gsi %u: %s", gsi, strerror(errno));
}

int vm_ioapic_rte(struct vm *vm, unsigned pin, uint64_t *rte)
{
	struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_IOAPIC };

	if (vm->ioapic)
		return ioapic_rte(vm->ioapic, pin, rte);
	if (!vm->cfg.irqchip || pin >= KVM_IOAPIC_NUM_PINS)
		return -1;
	if (ioctl(vm->vm_fd, KVM_GET_IRQCHIP, &chip) < 0) {
		log_warn("KVM_GET_IRQCHIP (IOAPIC): %s", strerror(errno));
		return -1;
	}
	*rte = chip.chip.ioapic.redirtbl[pin].bits;
	return 0;
}

/* The pins warden's own IOAPIC needs: each device's line, the minimum
 * the machine asks for, and with a full FADT (--acpi-s3) its SCI's 9.  A hardware-reduced platform (the
 * default) has no SCI: Linux installs no handler for it. */
static unsigned ioapic_pins(const struct vm *vm)
{
	unsigned n = vm->cfg.s3 ? ACPI_SCI_GSI + 1 : 1;

	if (vm->cfg.ioapic_min_pins > n)
		n = vm->cfg.ioapic_min_pins;

	for (unsigned i = 0; i < vm->ndevices; i++) {
		int g = vm->devices[i]->res.gsi;

		if (g >= 0 && (unsigned)g + 1 > n)
			n = (unsigned)g + 1;
	}
	return n < IOAPIC_MAX_PINS ? n : IOAPIC_MAX_PINS;
}

int vm_start(struct vm *vm)
{
	if (vm->ioapic)
		ioapic_set_pins(vm->ioapic, ioapic_pins(vm));
	if (!vm->restored && vcpu_set_boot_regs(&vm->vcpus[0], &vm->boot) < 0) {
		vm_request_end(vm, VM_END_HOST_ERROR);
		return -1;
	}
	for (unsigned i = 0; i < vm->cfg.ncpus; i++)
		if (vcpu_start(&vm->vcpus[i]) < 0) {
			log_warn("%s", err_msg());
			vm_request_end(vm, VM_END_HOST_ERROR);
			break;
		}
	/* After the vCPUs: creating their threads takes the mmap lock for
	 * writing, which would wait behind a populate in progress. */
	prefault_start(&vm->prefault, &vm->mem, vm->cfg.prefault);
	return 0;
}

/* Join every vCPU thread by one deadline; false (vm->stuck set) when one
 * is still running then. */
static bool join_vcpus(struct vm *vm)
{
	struct timespec deadline;

	clock_gettime(CLOCK_REALTIME, &deadline); /* pthread_timedjoin_np's clock */
	deadline.tv_sec += VM_STOP_TIMEOUT_S;
	for (unsigned i = 0; i < vm->cfg.ncpus; i++)
		if (vcpu_join_until(&vm->vcpus[i], &deadline) < 0) {
			vm->stuck = true;
			vm->stuck_vcpu = i;
			fail(ERR_HOST, "vCPU %u did not stop within %d s", i, VM_STOP_TIMEOUT_S);
			return false;
		}
	return true;
}

bool vm_suspend(struct vm *vm)
{
	if (!vm_sleep_enter(&vm->sleep))
		return false;
	/* Each vCPU sees the new epoch before its next KVM_RUN and parks. */
	for (unsigned i = 0; i < vm->cfg.ncpus; i++)
		vcpu_kick(&vm->vcpus[i]);
	return true;
}

enum vm_end vm_stop(struct vm *vm)
{
	vm_sleep_release(&vm->sleep); /* parked vCPUs see the end */
	vm_pause_release(vm);
	for (unsigned i = 0; i < vm->cfg.ncpus; i++)
		vcpu_kick(&vm->vcpus[i]);
	if (!join_vcpus(vm))
		return vm_end_get(&vm->end);
	prefault_stop(&vm->prefault);
	vm_drain_coalesced(vm); /* the guest's last queued writes */
	describe_devices(vm);
	reset_devices(vm);
	return vm_end_get(&vm->end);
}

void vm_sync_observer(struct vm *vm)
{
	for (unsigned i = 0; vm->vcpus && i < vm->cfg.ncpus; i++)
		vcpu_sync_notes(&vm->vcpus[i]);
}
