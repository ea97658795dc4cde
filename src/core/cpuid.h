/* CPUID for the guest: what KVM supports, plus the hypervisor bit and the
 * KVM signature leaves so Linux finds kvmclock and the PV features, plus
 * each vCPU's APIC id. */
#ifndef WARDEN_CORE_CPUID_H
#define WARDEN_CORE_CPUID_H

#include <stdint.h>

struct kvm_cpuid2;

/* KVM_GET_SUPPORTED_CPUID, grown until it fits; NULL on failure. */
struct kvm_cpuid2 *cpuid_supported(int kvm_fd);
/* A copy of BASE adjusted for vCPU ID of NCPUS; caller frees. */
struct kvm_cpuid2 *cpuid_for_vcpu(const struct kvm_cpuid2 *base, unsigned id);

#define CPUID_KVM_SIGNATURE 0x40000000u
#define CPUID_KVM_FEATURES 0x40000001u
#define CPUID_HYPERVISOR_BIT (1u << 31)

#endif
