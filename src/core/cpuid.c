#include "core/cpuid.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "util/error.h"

struct kvm_cpuid2 *cpuid_supported(int kvm_fd)
{
	for (unsigned n = 64; n <= 4096; n *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));

		if (!c) {
			fail(ERR_HOST, "out of memory");
			return NULL;
		}
		c->nent = n;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
			return c;
		free(c);
		if (errno != E2BIG) {
			fail_errno(ERR_HOST, "KVM_GET_SUPPORTED_CPUID");
			return NULL;
		}
	}
	fail(ERR_HOST, "KVM_GET_SUPPORTED_CPUID: too many entries");
	return NULL;
}

int cpuid_set_tsc_deadline(struct kvm_cpuid2 *c)
{
	for (unsigned i = 0; i < c->nent; i++)
		if (c->entries[i].function == 1) {
			c->entries[i].ecx |= CPUID_TSC_DEADLINE_BIT;
			return 1;
		}
	return 0;
}

int cpuid_set_kvm_hint_realtime(struct kvm_cpuid2 *c)
{
	for (unsigned i = 0; i < c->nent; i++)
		if (c->entries[i].function == CPUID_KVM_FEATURES) {
			c->entries[i].edx |= CPUID_KVM_HINTS_REALTIME;
			return 1;
		}
	return 0;
}

int cpuid_hide_nested(struct kvm_cpuid2 *c)
{
	int n = 0;

	for (unsigned i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function == 1 && (e->ecx & CPUID_VMX_BIT)) {
			e->ecx &= ~CPUID_VMX_BIT;
			n++;
		} else if (e->function == CPUID_EXT_FEATURES && (e->ecx & CPUID_SVM_BIT)) {
			e->ecx &= ~CPUID_SVM_BIT;
			n++;
		}
	}
	return n;
}

static void kvm_signature(struct kvm_cpuid_entry2 *e)
{
	/* "KVMKVMKVM\0\0\0" in ebx, ecx, edx; eax = highest PV leaf. */
	e->eax = e->function + 1;
	memcpy(&e->ebx, "KVMK", 4);
	memcpy(&e->ecx, "VMKV", 4);
	memcpy(&e->edx, "M\0\0\0", 4);
}

static bool is_hv_leaf(uint32_t fn)
{
	return fn >= CPUID_KVM_SIGNATURE && fn <= CPUID_HV_LAST;
}

/* KVM's leaf FN (0x40000000 or 0x40000001) as it sits above Hyper-V's. */
static void kvm_leaf_moved(struct kvm_cpuid_entry2 *e)
{
	e->function += CPUID_KVM_SIGNATURE_HV - CPUID_KVM_SIGNATURE;
	if (e->function == CPUID_KVM_SIGNATURE_HV)
		kvm_signature(e);
}

struct kvm_cpuid2 *cpuid_with_hyperv(const struct kvm_cpuid2 *base, const struct kvm_cpuid2 *hv)
{
	unsigned max = base->nent + hv->nent + 2;
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + max * sizeof(c->entries[0]));
	bool has_sig = false;

	if (!c) {
		fail(ERR_HOST, "out of memory");
		return NULL;
	}
	for (unsigned i = 0; i < base->nent; i++) {
		struct kvm_cpuid_entry2 e = base->entries[i];

		if (e.function == CPUID_KVM_SIGNATURE || e.function == CPUID_KVM_FEATURES) {
			kvm_leaf_moved(&e);
			has_sig |= e.function == CPUID_KVM_SIGNATURE_HV;
		} else if (is_hv_leaf(e.function)) {
			continue; /* Hyper-V's range now */
		}
		c->entries[c->nent++] = e;
	}
	if (!has_sig) {
		struct kvm_cpuid_entry2 *e = &c->entries[c->nent++];

		e->function = CPUID_KVM_SIGNATURE_HV;
		kvm_signature(e);
	}
	for (unsigned i = 0; i < hv->nent; i++)
		if (is_hv_leaf(hv->entries[i].function))
			c->entries[c->nent++] = hv->entries[i];
	return c;
}

/* A table with Hyper-V's leaves (cpuid_with_hyperv): leaf 0x40000001's
 * EAX is the interface signature "Hv#1" (KVM's own vendor leaf says
 * "Linux KVM Hv"); KVM's signature is at 0x40000100 then, leave
 * 0x40000000 alone. */
static bool has_hyperv(const struct kvm_cpuid2 *c)
{
	for (unsigned i = 0; i < c->nent; i++)
		if (c->entries[i].function == CPUID_HV_INTERFACE)
			return c->entries[i].eax == CPUID_HV_INTERFACE_SIG;
	return false;
}

struct kvm_cpuid2 *cpuid_for_vcpu(const struct kvm_cpuid2 *base, unsigned id)
{
	size_t size = sizeof(*base) + (base->nent + 1) * sizeof(base->entries[0]);
	struct kvm_cpuid2 *c = malloc(size);
	int has_sig = 0;
	bool hv = has_hyperv(base);

	if (!c) {
		fail(ERR_HOST, "out of memory");
		return NULL;
	}
	memcpy(c, base, sizeof(*base) + base->nent * sizeof(base->entries[0]));
	for (unsigned i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		switch (e->function) {
		case 1:
			e->ebx = (e->ebx & 0x00ffffffu) | (id << 24); /* initial APIC id */
			e->ecx |= CPUID_HYPERVISOR_BIT;
			break;
		case 0xb:
		case 0x1f:
			e->edx = id; /* x2APIC id */
			break;
		case 0x8000001e:
			e->eax = id; /* AMD extended APIC id */
			break;
		case CPUID_KVM_SIGNATURE:
			if (!hv)
				kvm_signature(e);
			has_sig = 1;
			break;
		}
	}
	if (!has_sig) {
		struct kvm_cpuid_entry2 *e = &c->entries[c->nent++];
		memset(e, 0, sizeof(*e));
		e->function = CPUID_KVM_SIGNATURE;
		kvm_signature(e);
	}
	return c;
}
