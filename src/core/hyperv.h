/* Hyper-V enlightenments KVM implements (`warden run --hyperv`, as QEMU's
 * -cpu host,hv_passthrough): the Hyper-V CPUID leaves KVM offers, the
 * SynIC (synthetic interrupt controller: SINTs, message and event pages,
 * synthetic timers) on every vCPU, and the two ways KVM hands the VMM a
 * part of it: KVM_EXIT_HYPERV (the guest moved its SynIC pages, or made a
 * hypercall KVM leaves to user space) and SINT routes (a GSI that KVM
 * turns into one vCPU's SINT). */
#ifndef WARDEN_CORE_HYPERV_H
#define WARDEN_CORE_HYPERV_H

#include <stdint.h>

struct vm;
struct vcpu;

/* Hypercall status codes (TLFS "Hypercall Status Codes"). */
#define HV_STATUS_SUCCESS 0
#define HV_STATUS_INVALID_HYPERCALL_CODE 2
#define HV_STATUS_INVALID_HYPERCALL_INPUT 3
#define HV_STATUS_INVALID_ALIGNMENT 4
#define HV_STATUS_INSUFFICIENT_BUFFERS 0x13
#define HV_STATUS_INVALID_CONNECTION_ID 0x12

/* What the VMM does with KVM_EXIT_HYPERV (a device hands it over with
 * vm_hyperv_handler); with none, SynIC changes are ignored and every
 * hypercall is answered HV_STATUS_INVALID_HYPERCALL_CODE. */
struct vm_hyperv_handler {
	void *ctx;
	/* vCPU VCPU wrote MSR (SCONTROL, SIEFP or SIMP): its SynIC is now
	 * CONTROL, its event flags page EVT_PAGE, its message page MSG_PAGE
	 * (the MSRs' values: bit 0 enable, the page's address above). */
	void (*synic)(void *ctx, unsigned vcpu, uint32_t msr, uint64_t control,
		      uint64_t evt_page, uint64_t msg_page);
	/* A hypercall with control word INPUT (code in bits 0-15, bit 16
	 * fast) and PARAMS (fast: the arguments; slow: input and output
	 * block addresses); returns the status for the guest's RAX. */
	uint64_t (*hcall)(void *ctx, unsigned vcpu, uint64_t input, const uint64_t params[2]);
};

/* By vm_create before the vCPUs (cfg.hyperv): the capabilities KVM must
 * offer (a host failure naming the first missing one), and VM->cpuid
 * with Hyper-V's leaves (cpuid_with_hyperv). */
int vm_hyperv_setup(struct vm *vm);
/* By vcpu_create (cfg.hyperv): this vCPU's SynIC (KVM_CAP_HYPERV_SYNIC2:
 * KVM keeps the message and event pages as the guest wrote them). */
int vcpu_hyperv_enable(struct vcpu *v);
/* Route GSI (GSI_HV_SINT_START.. in core/layout.h) to SINT of vCPU VCPU,
 * or (vcpu < 0) remove its route; KVM's routing table is rewritten with
 * the irqchip's pins and every route.  Callers serialise. */
int vm_hv_sint_route(struct vm *vm, unsigned gsi, int vcpu, unsigned sint);
/* Hand KVM_EXIT_HYPERV to H (before vm_start). */
void vm_hyperv_handler(struct vm *vm, const struct vm_hyperv_handler *h);

#endif
