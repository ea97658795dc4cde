#include "core/hyperv.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "core/cpuid.h"
#include "core/layout.h"
#include "core/msi_routes.h"
#include "core/vm.h"
#include "util/error.h"


static const struct {
	long cap;
	const char *name;
} needed[] = {
	{ KVM_CAP_HYPERV, "KVM_CAP_HYPERV" },
	/* The system ioctl: the leaves are needed before any vCPU exists. */
	{ KVM_CAP_SYS_HYPERV_CPUID, "KVM_CAP_SYS_HYPERV_CPUID" },
	{ KVM_CAP_HYPERV_SYNIC2, "KVM_CAP_HYPERV_SYNIC2" },
	{ KVM_CAP_IRQ_ROUTING, "KVM_CAP_IRQ_ROUTING" },
};

/* KVM_GET_SUPPORTED_HV_CPUID, grown until it fits. */
static struct kvm_cpuid2 *hv_cpuid(int kvm_fd)
{
	for (unsigned n = 16; n <= 256; n *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));

		if (!c) {
			fail(ERR_HOST, "out of memory");
			return NULL;
		}
		c->nent = n;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_HV_CPUID, c) == 0)
			return c;
		free(c);
		if (errno != E2BIG) {
			fail_errno(ERR_HOST, "KVM_GET_SUPPORTED_HV_CPUID");
			return NULL;
		}
	}
	fail(ERR_HOST, "KVM_GET_SUPPORTED_HV_CPUID: too many entries");
	return NULL;
}

int vm_hyperv_setup(struct vm *vm)
{
	struct kvm_cpuid2 *hv, *c;

	if (!vm->cfg.irqchip)
		return fail(ERR_USAGE, "--hyperv needs the in-kernel irqchip (the SynIC lives in KVM's LAPIC)");
	for (unsigned i = 0; i < sizeof(needed) / sizeof(needed[0]); i++)
		if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, needed[i].cap) <= 0)
			return fail(ERR_HOST, "--hyperv: this host's KVM does not offer %s", needed[i].name);
	hv = hv_cpuid(vm->kvm_fd);
	if (!hv)
		return -1;
	c = cpuid_with_hyperv(vm->cpuid, hv);
	free(hv);
	if (!c)
		return -1;
	free(vm->cpuid);
	vm->cpuid = c;
	return 0;
}

int vcpu_hyperv_enable(struct vcpu *v)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_HYPERV_SYNIC2 };

	if (ioctl(v->fd, KVM_ENABLE_CAP, &cap) < 0)
		return fail_errno(ERR_HOST, "vCPU %u: KVM_ENABLE_CAP KVM_CAP_HYPERV_SYNIC2", v->id);
	return 0;
}

int vm_hv_sint_route(struct vm *vm, unsigned gsi, int vcpu, unsigned sint)
{
	unsigned i = gsi - GSI_HV_SINT_START;

	if (gsi < GSI_HV_SINT_START || i >= GSI_HV_SINT_COUNT)
		return fail(ERR_HOST, "GSI %u is not a SINT route's", gsi);
	vm->hv_route[i].vcpu = vcpu;
	vm->hv_route[i].sint = sint;
	return gsi_routes_push(vm); /* the table's one owner (core/msi_routes.h) */
}

void vm_hyperv_handler(struct vm *vm, const struct vm_hyperv_handler *h)
{
	vm->hv = *h;
}
