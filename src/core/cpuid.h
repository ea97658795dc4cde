/* CPUID for the guest: what KVM supports, plus the hypervisor bit and the
 * KVM signature leaves so Linux finds kvmclock and the PV features, plus
 * each vCPU's APIC id. */
#ifndef WARDEN_CORE_CPUID_H
#define WARDEN_CORE_CPUID_H

#include <stdint.h>

struct kvm_cpuid2;

/* KVM_GET_SUPPORTED_CPUID, grown until it fits; NULL on failure. */
struct kvm_cpuid2 *cpuid_supported(int kvm_fd);
/* Leaf 1's TSC-deadline bit (ECX 24): KVM does not list it in
 * KVM_GET_SUPPORTED_CPUID, it offers it as KVM_CAP_TSC_DEADLINE_TIMER for
 * an in-kernel LAPIC; the VMM sets it when both hold. 1 set, 0 no leaf 1. */
int cpuid_set_tsc_deadline(struct kvm_cpuid2 *c);
/* Leaf 0x40000001's EDX bit 0, KVM_HINTS_REALTIME ("vCPUs are never
 * preempted": Linux then loads its haltpoll cpuidle driver).  1 set, 0
 * no such leaf. */
int cpuid_set_kvm_hint_realtime(struct kvm_cpuid2 *c);
/* Hide hardware virtualization from the guest (no --nested): leaf 1's
 * VMX bit (ECX 5) and leaf 0x80000001's SVM bit (ECX 2), so its kvm_intel
 * or kvm_amd does not load; KVM then also refuses EFER.SVME / VMXON for
 * it.  Returns how many bits were set and are now clear. */
int cpuid_hide_nested(struct kvm_cpuid2 *c);
/* BASE with the Hyper-V leaves HV (KVM_GET_SUPPORTED_HV_CPUID, as QEMU's
 * hv_passthrough) at 0x40000000-0x400000ff and KVM's own leaves moved up
 * to 0x40000100 (signature, eax = 0x40000101) and 0x40000101 (features):
 * a guest that knows Hyper-V reads 0x40000000 (the kvm-unit-tests read
 * 0x40000003 directly), and Linux and KVM itself find KVM's signature by
 * scanning 0x40000000-0x4000ff00 in steps of 0x100.  NULL on failure;
 * caller frees. */
struct kvm_cpuid2 *cpuid_with_hyperv(const struct kvm_cpuid2 *base, const struct kvm_cpuid2 *hv);
/* A copy of BASE adjusted for vCPU ID of NCPUS; caller frees. */
struct kvm_cpuid2 *cpuid_for_vcpu(const struct kvm_cpuid2 *base, unsigned id);

#define CPUID_KVM_SIGNATURE 0x40000000u
#define CPUID_KVM_FEATURES 0x40000001u
/* Where KVM's leaves go when Hyper-V's take 0x40000000 (cpuid_with_hyperv). */
#define CPUID_KVM_SIGNATURE_HV 0x40000100u
#define CPUID_HV_LAST 0x400000ffu
#define CPUID_HV_INTERFACE 0x40000001u     /* Hyper-V's: EAX "Hv#1" */
#define CPUID_HV_INTERFACE_SIG 0x31237648u
#define CPUID_HYPERVISOR_BIT (1u << 31)
#define CPUID_TSC_DEADLINE_BIT (1u << 24)
#define CPUID_EXT_FEATURES 0x80000001u
#define CPUID_VMX_BIT (1u << 5)  /* leaf 1 ECX */
#define CPUID_SVM_BIT (1u << 2)  /* leaf 0x80000001 ECX */
#define CPUID_KVM_HINTS_REALTIME (1u << 0) /* leaf 0x40000001 EDX */

#endif
