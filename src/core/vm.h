/* A virtual machine: KVM VM fd, guest memory, vCPUs, the devices and the
 * two address spaces they own ranges in, and how the VM ends.  The VM
 * knows nothing of boot protocols, device types or the observatory: the
 * loader hands it boot registers, devices add themselves, and observers
 * are handed hooks. */
#ifndef WARDEN_CORE_VM_H
#define WARDEN_CORE_VM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/bus.h"
#include "core/guest_mem.h"
#include "core/hyperv.h"
#include "core/layout.h"
#include "core/prefault.h"
#include "core/vcpu.h"
#include "core/vm_end.h"
#include "core/vm_pause.h"
#include "core/vm_sleep.h"
#include "util/text_tail.h"

struct device;
struct exit_record;
struct exit_note;
struct vcpu_crash;
struct kvm_coalesced_mmio_ring;
struct kvm_cpuid2;

#define VM_MAX_DEVICES 32
/* Memory slots besides RAM (core/memslot.h). */
#define VM_MAX_EXTRA_SLOTS 4

struct ioapic;

struct vm_memslot {
	unsigned slot;
	uint64_t gpa, size;
};

struct vm_config {
	uint64_t mem_bytes;
	/* A snapshot's memory file, mapped privately as guest RAM
	 * (gmem_map_file), or NULL for fresh, zeroed RAM. */
	const char *mem_file;
	unsigned ncpus;
	bool irqchip; /* in-kernel LAPIC/IOAPIC/PIC and PIT */
	/* With irqchip: only the LAPICs in KVM, the IOAPIC warden's own
	 * (core/ioapic.h), no PIC and no PIT (KVM_CAP_SPLIT_IRQCHIP). */
	bool irqchip_split;
	unsigned ioapic_min_pins; /* with split: at least these pins (lines a device
				   * drives without claiming one: --test-device's 24) */
	bool ioapic_window;       /* with split: register reads from a read-only
				   * page, no exit (ioapic_map_window) */
	const char *kvm_device;
	enum prefault_mode prefault; /* guest RAM populated while it runs */
	/* Devices may have KVM queue writes to their write-only ports
	 * (vm_coalesce_port_writes); off: every such write exits. */
	bool coalesced_pio;
	/* How the vCPUs idle (core/vm_idle.c); all zero: KVM's defaults. */
	bool halt_poll_set;     /* KVM_CAP_HALT_POLL: poll up to HALT_POLL_NS */
	uint32_t halt_poll_ns;  /* before a halted vCPU's thread sleeps (0: never) */
	bool hlt_passthrough;   /* KVM_CAP_X86_DISABLE_EXITS HLT: the guest's HLT
				 * halts the host CPU, no exit */
	bool hyperv;            /* Hyper-V enlightenments (core/hyperv.h) */
	bool kvm_hint_realtime; /* CPUID 0x40000001 EDX bit 0 (KVM_HINTS_REALTIME):
				 * the guest may poll when idle (Linux's haltpoll) */
	bool nested;            /* SVM/VMX left in CPUID (default: hidden) */
	bool s3;                /* --acpi-s3: the guest may suspend to S3
				 * (core/vm_sleep.h; the ACPI PM device's PM1 blocks) */
	bool exit_rip;          /* each exit record carries the guest RIP
				 * (KVM_SYNC_X86_REGS, core/crash_state.h) */
	bool fc_thread_names;   /* vCPU threads named "fc_vcpu N", as Firecracker's
				 * (Kata's driver finds them so; docs/api.md) */
	/* Called once guest RAM is mapped in this process, before
	 * KVM_CREATE_VM: a restore starts bringing in its working set there,
	 * alongside KVM's creation of the VM, irqchip and vCPUs
	 * (docs/snapshot.md).  NULL: nothing. */
	void (*mem_ready)(void *ctx, struct guest_mem *mem);
	void *mem_ready_ctx;
};

/* Who watches the exits (the accounting): called on the vCPU threads,
 * every hook optional. */
struct msi_routes;
struct vm_observer {
	void *ctx;
	/* On vCPU VCPU's thread before its first KVM_RUN, and after its
	 * last exit (the thread ends).  vcpu_start returns the context that
	 * this vCPU's exit calls get (without vcpu_start they get CTX): the
	 * thread keeps it on its stack, so an exit need not look its vCPU's
	 * state up in a page of its own (util/hot.h). */
	void *(*vcpu_start)(void *ctx, unsigned vcpu);
	void (*vcpu_end)(void *ctx, unsigned vcpu);
	/* Every return from KVM_RUN, decoded, emulated and timed; R also
	 * carries the way back into KVM_RUN of the exit before it.  VCTX:
	 * what vcpu_start returned for this vCPU (without it, CTX). */
	void (*exit)(void *vctx, unsigned vcpu, const struct exit_record *r);
	/* The same exits in batches, in order (the accounting's hook): the
	 * run loop keeps each exit's note in a ring on its stack's page and
	 * hands over EXIT_NOTES at a time (core/exit_notes.h), so that an
	 * exit makes no call, and touches no page, of the observer's
	 * (util/hot.h).  Also handed
	 * over before anything that reads what the observer made of them:
	 * the vCPU's end, a pause, a suspend, a crash, a failed KVM_RUN, and
	 * vm_sync_observer (from any thread).  Never two calls at once for
	 * one vCPU (they hold its notes lock); VCTX as for exit. */
	void (*exits)(void *vctx, unsigned vcpu, const struct exit_note *n, unsigned count);
	/* The way back into KVM_RUN of the last exit, TICKS cycles, when no
	 * exit follows to carry it (KVM_RUN failed). */
	void (*exit_return)(void *ctx, unsigned vcpu, uint64_t ticks);
	/* The exit R that ends the VM badly (a triple fault, an entry
	 * failure, an internal error), with what KVM still knew then. */
	void (*crash)(void *ctx, unsigned vcpu, const struct exit_record *r,
		      const struct vcpu_crash *c);
};

struct vm {
	int kvm_fd;
	int vm_fd;
	int run_size;
	struct vm_config cfg;
	struct guest_mem mem;
	struct kvm_cpuid2 *cpuid; /* host-supported leaves, adjusted per vCPU */
	struct vcpu *vcpus;
	/* What every exit reads, from here to the first bus ranges, kept
	 * together near the start: in a page-aligned VM (warden run's is)
	 * port and MMIO exits then touch one page of it (util/hot.h). */
	struct vm_end_signal end;
	struct vm_sleep sleep; /* S3: suspended, and how it wakes (core/vm_sleep.h) */
	struct vm_pause pause; /* vm_pause/vm_resume (core/vm_pause.h) */
	/* KVM's coalesced MMIO ring (vm_coalesced_mmio), drained before
	 * every exit that reaches a device or is no access
	 * (core/exit_emulate.c); NULL while no zone is registered. */
	struct kvm_coalesced_mmio_ring *coalesced;
	uint32_t coalesced_max; /* entries in the ring */
	pthread_mutex_t coalesced_lock; /* one vCPU drains at a time */
	unsigned coalesced_ports; /* ports whose writes KVM queues */
	struct bus bus[BUS_NSPACES]; /* indexed by enum bus_space */
	struct device *devices[VM_MAX_DEVICES];
	unsigned ndevices;
	struct vm_observer obs;
	struct vcpu_boot_regs boot; /* set by the loader */
	/* The vCPUs' registers came from a snapshot: vm_start leaves them. */
	bool restored;
	struct prefault prefault;
	struct vm_memslot extra_slot[VM_MAX_EXTRA_SLOTS]; /* core/memslot.h */
	unsigned nextra_slots;
	/* vm_stop: a vCPU thread did not end in time (its id in stuck_vcpu);
	 * the VM must then not be destroyed: that thread may still use it. */
	bool stuck;
	unsigned stuck_vcpu;
	/* --hyperv (core/hyperv.h): who handles KVM_EXIT_HYPERV, and the SINT
	 * routes (GSI_HV_SINT_START + i: vcpu, or -1 for none). */
	struct vm_hyperv_handler hv;
	struct { int vcpu; unsigned sint; } hv_route[GSI_HV_SINT_COUNT];
	struct msi_routes *msi; /* MSI routes (core/msi_routes.c), NULL until used */
	struct ioapic *ioapic;  /* warden's own IOAPIC (cfg.irqchip_split), or NULL */
	bool triple_fault_event; /* KVM_CAP_X86_TRIPLE_FAULT_EVENT is on */
	/* The last bytes the guest wrote to its consoles (the devices feed
	 * it), for the crash report. */
	struct text_tail console_tail;
};

int vm_create(struct vm *vm, const struct vm_config *cfg);
/* Destroys the devices too (each reset, then destroyed, newest first);
 * does nothing after vm_stop found a stuck vCPU (vm->stuck). */
void vm_destroy(struct vm *vm);
/* Add DEV with the resources it asks for in DEV->res (granted in place):
 * all of them or, on failure, nothing (DEV is not added, -1). */
int vm_add_device(struct vm *vm, struct device *dev);
/* Raise/lower an interrupt line (GSI): on the in-kernel irqchip, or on
 * warden's own IOAPIC (cfg.irqchip_split). */
void vm_set_irq(struct vm *vm, unsigned gsi, int level);
/* Can an irqfd drive an interrupt line (GSI 0-23)?  Not with warden's own
 * IOAPIC: KVM routes no GSI to it, so its lines go through vm_set_irq. */
static inline bool vm_irqfd_lines(const struct vm *vm)
{
	return vm->ioapic == NULL;
}
/* Send one MSI (KVM_SIGNAL_MSI, core/msi_routes.c): ADDR/DATA in the compatibility format
 * KVM's LAPICs understand.  -1 if KVM refused it (logged, not recorded:
 * the guest's message, not a host failure). */
int vm_signal_msi(struct vm *vm, uint64_t addr, uint32_t data);
/* The IOAPIC's redirection entry for PIN as the guest wrote it
 * (KVM_GET_IRQCHIP, or warden's own IOAPIC's), in *RTE.  -1 without the irqchip, for a pin it does
 * not have, or if KVM refused (logged). */
int vm_ioapic_rte(struct vm *vm, unsigned pin, uint64_t *rte);
/* Ask the VM to stop with REASON; the first request wins.  Thread-safe
 * and async-signal-safe. */
static inline void vm_request_end(struct vm *vm, enum vm_end reason)
{
	vm_end_request(&vm->end, reason);
}
/* Suspend to S3 (core/vm_sleep.h), from a device handler on a vCPU
 * thread: every vCPU leaves KVM_RUN and parks until vm_sleep_resume() or
 * the VM's end.  False if it already was suspended. */
bool vm_suspend(struct vm *vm);
/* Exit-shaping KVM features a VM has only when asked (`warden run` asks
 * for neither; `warden bench exits` does), core/vm_exits.c:
 * Send the guest's RDMSR/WRMSR of the N MSRs in MSRS (at most 16) to
 * warden: KVM_X86_SET_MSR_FILTER denies them, KVM_CAP_X86_USER_SPACE_MSR
 * turns the denial into an exit; each arrives as EXIT_MSR and goes to the
 * device claiming its index in BUS_MSR (none: #GP, as KVM would answer). */
int vm_msr_filter(struct vm *vm, const uint32_t *msrs, unsigned n);
/* Let KVM queue guest writes to [GPA, GPA+LEN) in its coalesced MMIO ring
 * instead of exiting (KVM_REGISTER_COALESCED_MMIO); they reach their
 * device, in order, at the next exit of any vCPU that reaches a device or
 * is no access (a full ring is an ordinary MMIO exit).  After vm_create, before vm_start. */
int vm_coalesced_mmio(struct vm *vm, uint64_t gpa, uint64_t len);
/* The same for guest writes to ports [PORT, PORT+LEN) (KVM_CAP_COALESCED_PIO),
 * for a device's registers whose writes only matter once the guest looks
 * (a read, or another register's write: every exit to a device drains
 * the ring first), e.g. the RTC's index port.  Only where cfg.coalesced_pio asks
 * for it and KVM offers it: 1 queued, 0 not (every write exits, as
 * without), -1 host error.  After vm_create. */
int vm_coalesce_port_writes(struct vm *vm, uint16_t port, unsigned len);
/* Deliver the writes waiting in the coalesced ring to their devices now
 * (core/exit_emulate.c): at the VM's end, and from a thread that wants a
 * guest's last writes seen while its vCPUs sleep in KVM.  Thread-safe.
 * Returns how many it delivered. */
uint32_t vm_drain_coalesced(struct vm *vm);
/* The idle settings of VM->cfg (core/vm_idle.c), by vm_create before the
 * vCPUs exist (KVM takes KVM_CAP_X86_DISABLE_EXITS only then); a setting
 * this host's KVM does not offer is a host failure naming it. */
int vm_idle_setup(struct vm *vm);
/* This VM's halt-polling limit (KVM_CAP_HALT_POLL), at any time. */
int vm_halt_poll(struct vm *vm, uint32_t ns);

/* Hand the observer every exit the vCPUs have noted and not yet handed
 * over (vm_observer.exits), on this thread: before a live view is read
 * (GET /stats), so that a vCPU idle in KVM after its last exits is not
 * behind.  Any thread, a vCPU's own in a device handler included (the
 * exit being handled comes later). */
void vm_sync_observer(struct vm *vm);

/* Start the vCPUs at the loader's boot registers, then the prefault helper.
 * The caller waits for vm->end.efd (serving host input), then vm_stop(). */
int vm_start(struct vm *vm);
/* How long vm_stop waits for the vCPU threads after the kick. */
#define VM_STOP_TIMEOUT_S 5
/* Stop and join the vCPUs and the prefault helper, reset every device (its
 * threads stop); returns how the VM ended.  A vCPU thread that has not
 * ended VM_STOP_TIMEOUT_S seconds after the kick (stuck in KVM_RUN) is
 * left running: vm->stuck is set, a host error names it ("vCPU N did not
 * stop within S s"), nothing else is stopped, and the caller must end the
 * process without vm_destroy (which would free what that thread uses). */
enum vm_end vm_stop(struct vm *vm);

#endif
