/* The host's KVM: opening /dev/kvm, checking its API, and telling what
 * kind of virtualization it really offers. */
#ifndef WARDEN_CORE_KVM_H
#define WARDEN_CORE_KVM_H

#include <stdbool.h>

enum host_virt {
	HOST_VIRT_HARDWARE, /* kvm_intel / kvm_amd: VT-x or AMD-V */
	HOST_VIRT_PVM,      /* kvm_pvm: paravirtual, ring 0 emulated */
	HOST_VIRT_UNKNOWN,
};

#define KVM_DEFAULT_DEVICE "/dev/kvm"

/* Open DEVICE and check the API version; returns the fd or -1 (user error). */
int kvm_open(const char *device);
enum host_virt kvm_host_virt(void);
const char *kvm_host_virt_name(enum host_virt v);
/* Largest vCPU count the VM may have (KVM_CAP_MAX_VCPUS). */
unsigned kvm_max_vcpus(int kvm_fd);
bool kvm_has_cap(int fd, long cap);

#endif
