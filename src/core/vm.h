/* A virtual machine: KVM VM fd, guest memory, vCPUs, the two address
 * spaces devices register in, and how the VM ended. */
#ifndef WARDEN_CORE_VM_H
#define WARDEN_CORE_VM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "accounting/exit_stats.h"
#include "boot/boot_entry.h"
#include "core/bus.h"
#include "core/guest_mem.h"
#include "core/prefault.h"

struct device;
struct vcpu;
struct kvm_cpuid2;
struct virtio_devices;
struct observatory;

/* How a VM ended; also warden's exit code (see vm_end_exit_code). */
enum vm_end {
	VM_RUNNING = 0,
	VM_END_POWEROFF,
	VM_END_REBOOT,
	VM_END_TRIPLE_FAULT,
	VM_END_INTERNAL_ERROR,
	VM_END_HALT,
	VM_END_HOST_ERROR,
	VM_END_SIGNAL, /* warden was asked to stop (SIGINT/SIGTERM, console escape) */
};

struct vm_config {
	uint64_t mem_bytes;
	unsigned ncpus;
	bool irqchip; /* in-kernel LAPIC/IOAPIC/PIC and PIT */
	const char *kvm_device;
	enum prefault_mode prefault; /* guest RAM populated while it runs */
};

/* A memory-mapped device the guest learns about from the ACPI DSDT. */
struct acpi_dev_desc {
	uint64_t base;
	uint32_t len;
	unsigned gsi;
};
#define VM_MAX_ACPI_DEVS 8

struct vm {
	int kvm_fd;
	int vm_fd;
	int run_size;
	struct vm_config cfg;
	struct guest_mem mem;
	struct kvm_cpuid2 *cpuid; /* host-supported leaves, adjusted per vCPU */
	struct vcpu *vcpus;
	struct bus bus[2]; /* indexed by enum bus_space */
	struct device *devices[STATS_MAX_DEVICES];
	unsigned ndevices;
	struct exit_stats *stats; /* ncpus entries, owned by the caller */
	struct observatory *obs;  /* set while attached (obs_attach) */
	struct boot_entry entry;
	_Atomic int end; /* enum vm_end, first writer wins */
	int end_efd;     /* eventfd: signalled when end is set */
	struct platform *platform;
	struct virtio_devices *virtio;
	struct acpi_dev_desc acpi_devs[VM_MAX_ACPI_DEVS]; /* virtio-mmio windows */
	unsigned nacpi_devs;
};

int vm_create(struct vm *vm, const struct vm_config *cfg, struct exit_stats *stats);
void vm_destroy(struct vm *vm);
/* Give DEV an accounting slot and claim [base, base+len) in SPACE for it. */
int vm_add_device(struct vm *vm, struct device *dev);
int vm_map_range(struct vm *vm, enum bus_space sp, uint64_t base, uint64_t len,
		 struct device *dev);
/* Raise/lower an interrupt line (GSI) on the in-kernel irqchip. */
void vm_set_irq(struct vm *vm, unsigned gsi, int level);
/* Ask the VM to stop with REASON; the first request wins. Thread-safe. */
void vm_request_end(struct vm *vm, enum vm_end reason);
/* Start the vCPUs (then the prefault helper, cfg.prefault), serve host
 * I/O (console input) until the VM ends, stop and join them all. Returns
 * how it ended. */
enum vm_end vm_run(struct vm *vm);

const char *vm_end_name(enum vm_end e);
int vm_end_exit_code(enum vm_end e);

#endif
