#include "core/kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "util/error.h"

int kvm_open(const char *device)
{
	int fd = open(device, O_RDWR | O_CLOEXEC);
	int api;

	if (fd < 0) {
		if (errno == ENOENT)
			return fail(ERR_USAGE, "no %s: this host has no KVM (load kvm_intel or kvm_amd)", device);
		if (errno == EACCES || errno == EPERM)
			return fail(ERR_USAGE, "no permission to open %s (add your user to the kvm group)", device);
		return fail_errno(ERR_USAGE, "cannot open %s", device);
	}
	api = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (api != KVM_API_VERSION) {
		close(fd);
		if (api < 0)
			return fail(ERR_USAGE, "%s is not a KVM device", device);
		return fail(ERR_USAGE, "KVM API version mismatch: %s offers %d, warden needs %d",
			    device, api, KVM_API_VERSION);
	}
	return fd;
}

enum host_virt kvm_host_virt(void)
{
	if (access("/sys/module/kvm_intel", F_OK) == 0 || access("/sys/module/kvm_amd", F_OK) == 0)
		return HOST_VIRT_HARDWARE;
	if (access("/sys/module/kvm_pvm", F_OK) == 0)
		return HOST_VIRT_PVM;
	return HOST_VIRT_UNKNOWN;
}

const char *kvm_host_virt_name(enum host_virt v)
{
	switch (v) {
	case HOST_VIRT_HARDWARE: return "hardware-assisted (VT-x/AMD-V)";
	case HOST_VIRT_PVM: return "kvm_pvm (paravirtual, no VT-x/AMD-V)";
	default: return "unknown";
	}
}

unsigned kvm_max_vcpus(int kvm_fd)
{
	int n = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);

	if (n <= 0)
		n = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	return n > 0 ? (unsigned)n : 4; /* KVM's documented floor */
}

bool kvm_has_cap(int fd, long cap)
{
	return ioctl(fd, KVM_CHECK_EXTENSION, cap) > 0;
}
