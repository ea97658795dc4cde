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
/* A copy of BASE adjusted for vCPU ID of NCPUS; caller frees. */
struct kvm_cpuid2 *cpuid_for_vcpu(const struct kvm_cpuid2 *base, unsigned id);

#define CPUID_KVM_SIGNATURE 0x40000000u
#define CPUID_KVM_FEATURES 0x40000001u
#define CPUID_HYPERVISOR_BIT (1u << 31)
#define CPUID_TSC_DEADLINE_BIT (1u << 24)
#define CPUID_EXT_FEATURES 0x80000001u
#define CPUID_VMX_BIT (1u << 5)  /* leaf 1 ECX */
#define CPUID_SVM_BIT (1u << 2)  /* leaf 0x80000001 ECX */
#define CPUID_KVM_HINTS_REALTIME (1u << 0) /* leaf 0x40000001 EDX */

#endif
