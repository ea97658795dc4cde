#include "core/vm.h"

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
#include <unistd.h>

#include "core/cpuid.h"
#include "core/device.h"
#include "core/kvm.h"
#include "core/vcpu.h"
#include "devices/platform.h"
#include "util/error.h"
#include "util/log.h"

/* Addresses KVM needs for Intel's real-mode emulation; unused by AMD. */
#define KVM_TSS_ADDR 0xfffbd000
#define KVM_IDENTITY_MAP_ADDR 0xfffbc000

static int map_memory(struct vm *vm)
{
	if (gmem_map(&vm->mem, vm->cfg.mem_bytes) < 0)
		return -1;
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

	ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, KVM_TSS_ADDR);
	{
		uint64_t idmap = KVM_IDENTITY_MAP_ADDR;
		ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap);
	}
	if (!vm->cfg.irqchip)
		return 0;
	/* LAPIC, IOAPIC and PIC in the kernel: their traffic never leaves KVM. */
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return fail_errno(ERR_HOST, "KVM_CREATE_IRQCHIP");
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
		return fail_errno(ERR_HOST, "KVM_CREATE_PIT2");
	return 0;
}

int vm_create(struct vm *vm, const struct vm_config *cfg, struct exit_stats *stats)
{
	unsigned max;

	memset(vm, 0, sizeof(*vm));
	vm->vm_fd = vm->end_efd = -1;
	vm->cfg = *cfg;
	vm->stats = stats;
	vm->kvm_fd = kvm_open(cfg->kvm_device ? cfg->kvm_device : KVM_DEFAULT_DEVICE);
	if (vm->kvm_fd < 0)
		return -1;
	max = kvm_max_vcpus(vm->kvm_fd);
	if (cfg->ncpus > max)
		return fail(ERR_USAGE, "--cpus %u is above this host's KVM limit of %u", cfg->ncpus, max);
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		return fail_errno(ERR_HOST, "KVM_CREATE_VM");
	vm->run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->run_size <= 0)
		return fail_errno(ERR_HOST, "KVM_GET_VCPU_MMAP_SIZE");
	vm->end_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->end_efd < 0)
		return fail_errno(ERR_HOST, "eventfd");
	if (map_memory(vm) < 0 || create_irqchip(vm) < 0)
		return -1;
	vm->cpuid = cpuid_supported(vm->kvm_fd);
	if (!vm->cpuid)
		return -1;
	vm->vcpus = calloc(cfg->ncpus, sizeof(*vm->vcpus));
	if (!vm->vcpus)
		return fail(ERR_HOST, "out of memory");
	for (unsigned i = 0; i < cfg->ncpus; i++)
		if (vcpu_create(&vm->vcpus[i], vm, i) < 0)
			return -1;
	return 0;
}

void vm_destroy(struct vm *vm)
{
	if (vm->vcpus)
		for (unsigned i = 0; i < vm->cfg.ncpus; i++)
			vcpu_destroy(&vm->vcpus[i]);
	free(vm->vcpus);
	free(vm->cpuid);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	if (vm->end_efd >= 0)
		close(vm->end_efd);
	gmem_unmap(&vm->mem);
	memset(vm, 0, sizeof(*vm));
	vm->vm_fd = vm->kvm_fd = vm->end_efd = -1;
}

int vm_add_device(struct vm *vm, struct device *dev)
{
	if (vm->ndevices == STATS_MAX_DEVICES)
		return fail(ERR_HOST, "too many devices");
	pthread_mutex_init(&dev->lock, NULL);
	dev->id = (int)vm->ndevices;
	vm->devices[vm->ndevices++] = dev;
	return 0;
}

int vm_map_range(struct vm *vm, enum bus_space sp, uint64_t base, uint64_t len,
		 struct device *dev)
{
	return bus_register(&vm->bus[sp], base, len, dev);
}

void vm_set_irq(struct vm *vm, unsigned gsi, int level)
{
	struct kvm_irq_level irq = { .irq = gsi, .level = (uint32_t)level };

	if (vm->cfg.irqchip && ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq) < 0)
		log_warn("KVM_IRQ_LINE gsi %u: %s", gsi, strerror(errno));
}

void vm_request_end(struct vm *vm, enum vm_end reason)
{
	int expected = VM_RUNNING;
	uint64_t one = 1;

	if (atomic_compare_exchange_strong(&vm->end, &expected, (int)reason))
		if (write(vm->end_efd, &one, sizeof(one)) < 0)
			log_warn("cannot signal VM end: %s", strerror(errno));
}

static void kick_all(struct vm *vm)
{
	for (unsigned i = 0; i < vm->cfg.ncpus; i++)
		vcpu_kick(&vm->vcpus[i]);
}

enum vm_end vm_run(struct vm *vm)
{
	struct prefault pf;
	unsigned started = 0;

	if (vcpu_set_boot_state(&vm->vcpus[0], &vm->entry) < 0)
		return VM_END_HOST_ERROR;
	for (; started < vm->cfg.ncpus; started++)
		if (vcpu_start(&vm->vcpus[started]) < 0) {
			log_warn("%s", err_msg());
			vm_request_end(vm, VM_END_HOST_ERROR);
			break;
		}
	/* After the vCPUs: creating their threads takes the mmap lock for
	 * writing, which would wait behind a populate in progress. */
	prefault_start(&pf, &vm->mem, vm->cfg.prefault);
	/* The main thread serves host-side input until the VM ends. */
	platform_serve_input(vm->platform, vm->end_efd);
	kick_all(vm);
	for (unsigned i = 0; i < started; i++)
		vcpu_join(&vm->vcpus[i]);
	prefault_stop(&pf);
	return (enum vm_end)atomic_load(&vm->end);
}

const char *vm_end_name(enum vm_end e)
{
	switch (e) {
	case VM_END_POWEROFF: return "poweroff";
	case VM_END_REBOOT: return "reboot";
	case VM_END_TRIPLE_FAULT: return "triple-fault";
	case VM_END_INTERNAL_ERROR: return "kvm-internal-error";
	case VM_END_HALT: return "halt";
	case VM_END_HOST_ERROR: return "host-error";
	case VM_END_SIGNAL: return "stopped";
	default: return "running";
	}
}

int vm_end_exit_code(enum vm_end e)
{
	switch (e) {
	case VM_END_POWEROFF: return 0;
	case VM_END_REBOOT: return 3;
	case VM_END_TRIPLE_FAULT: return 4;
	case VM_END_INTERNAL_ERROR: return 5;
	case VM_END_HALT: return 6;
	case VM_END_SIGNAL: return 7;
	default: return 1;
	}
}
