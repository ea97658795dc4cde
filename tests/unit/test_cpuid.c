/* CPUID for the guest (src/core/cpuid.c): the TSC-deadline bit, and each
 * vCPU's copy (APIC ids, hypervisor bit, KVM signature leaf). */
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>

#include "core/cpuid.h"
#include "unit.h"

static struct kvm_cpuid2 *table(unsigned n)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + (n + 1) * sizeof(c->entries[0]));

	assert_non_null(c);
	c->nent = n;
	return c;
}

static const struct kvm_cpuid_entry2 *leaf(const struct kvm_cpuid2 *c, uint32_t fn)
{
	for (unsigned i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn)
			return &c->entries[i];
	return NULL;
}

static void test_tsc_deadline(void **state)
{
	struct kvm_cpuid2 *c = table(2);

	(void)state;
	c->entries[0].function = 0;
	c->entries[1].function = 1;
	c->entries[1].ecx = 0x1;
	assert_int_equal(cpuid_set_tsc_deadline(c), 1);
	assert_int_equal(leaf(c, 1)->ecx, 0x1 | CPUID_TSC_DEADLINE_BIT);
	assert_int_equal(leaf(c, 0)->ecx, 0); /* only leaf 1 */
	/* No leaf 1: nothing to set, nothing added. */
	c->entries[1].function = 7;
	c->entries[1].ecx = 0;
	assert_int_equal(cpuid_set_tsc_deadline(c), 0);
	assert_int_equal(c->nent, 2);
	assert_int_equal(c->entries[1].ecx, 0);
	free(c);
}

/* KVM_HINTS_REALTIME (warden run --kvm-hint-realtime): EDX bit 0 of
 * the PV features leaf, nothing else; no such leaf, nothing added. */
static void test_kvm_hint_realtime(void **state)
{
	struct kvm_cpuid2 *c = table(2);

	(void)state;
	c->entries[0].function = 1;
	c->entries[1].function = CPUID_KVM_FEATURES;
	c->entries[1].eax = 0x1007efb;
	c->entries[1].edx = 0x100;
	assert_int_equal(cpuid_set_kvm_hint_realtime(c), 1);
	assert_int_equal(leaf(c, CPUID_KVM_FEATURES)->edx, 0x101);
	assert_int_equal(leaf(c, CPUID_KVM_FEATURES)->eax, 0x1007efb);
	assert_int_equal(leaf(c, 1)->edx, 0);
	c->entries[1].function = 7;
	c->entries[1].edx = 0;
	assert_int_equal(cpuid_set_kvm_hint_realtime(c), 0);
	assert_int_equal(c->nent, 2);
	assert_int_equal(c->entries[1].edx, 0);
	free(c);
}

/* Without --nested: leaf 1's VMX and leaf 0x80000001's SVM bits go,
 * every other bit stays; nothing to hide, nothing changes. */
static void test_hide_nested(void **state)
{
	struct kvm_cpuid2 *c = table(3);

	(void)state;
	c->entries[0].function = 1;
	c->entries[0].ecx = 0xfffffffe;
	c->entries[0].edx = 0xffffffff;
	c->entries[1].function = CPUID_EXT_FEATURES;
	c->entries[1].ecx = 0xffffffff;
	c->entries[1].edx = 0xffffffff;
	c->entries[2].function = 7;
	c->entries[2].ecx = 0xffffffff;
	assert_int_equal(cpuid_hide_nested(c), 2);
	assert_int_equal(leaf(c, 1)->ecx, 0xfffffffe & ~(1u << 5));
	assert_int_equal(leaf(c, 1)->edx, 0xffffffff);
	assert_int_equal(leaf(c, CPUID_EXT_FEATURES)->ecx, 0xffffffff & ~(1u << 2));
	assert_int_equal(leaf(c, CPUID_EXT_FEATURES)->edx, 0xffffffff);
	assert_int_equal(leaf(c, 7)->ecx, 0xffffffff);
	assert_int_equal(c->nent, 3);
	/* Already hidden (or a host without them): nothing left to clear. */
	assert_int_equal(cpuid_hide_nested(c), 0);
	assert_int_equal(leaf(c, 1)->ecx, 0xfffffffe & ~(1u << 5));
	free(c);
}

static void test_for_vcpu(void **state)
{
	struct kvm_cpuid2 *c = table(2), *v;

	(void)state;
	c->entries[0].function = 1;
	c->entries[0].ebx = 0xff00abcd;
	c->entries[1].function = 0xb;
	cpuid_set_tsc_deadline(c);
	v = cpuid_for_vcpu(c, 3);
	assert_non_null(v);
	assert_int_equal(v->nent, 3); /* the KVM signature leaf added */
	assert_int_equal(leaf(v, 1)->ebx, 0x0300abcd);
	assert_int_equal(leaf(v, 1)->ecx, CPUID_HYPERVISOR_BIT | CPUID_TSC_DEADLINE_BIT);
	assert_int_equal(leaf(v, 0xb)->edx, 3);
	assert_non_null(leaf(v, CPUID_KVM_SIGNATURE));
	assert_memory_equal(&leaf(v, CPUID_KVM_SIGNATURE)->ebx, "KVMK", 4);
	free(v);
	free(c);
}

static void hv_leaf(struct kvm_cpuid_entry2 *e, uint32_t fn, uint32_t eax)
{
	e->function = fn;
	e->eax = eax;
	if (fn == CPUID_KVM_SIGNATURE) { /* as KVM_GET_SUPPORTED_HV_CPUID gives it */
		memcpy(&e->ebx, "Linu", 4);
		memcpy(&e->ecx, "x KV", 4);
		memcpy(&e->edx, "M Hv", 4);
	}
}

/* --hyperv: Hyper-V's leaves at 0x40000000.., KVM's moved to 0x40000100
 * (signature pointing at 0x40000101, the features leaf kept as KVM gave
 * it), nothing else touched; each vCPU's copy keeps Hyper-V's signature. */
static void test_with_hyperv(void **state)
{
	struct kvm_cpuid2 *c = table(3), *hv = table(4), *m, *v;

	(void)state;
	c->entries[0].function = 1;
	c->entries[1].function = CPUID_KVM_SIGNATURE;
	c->entries[1].eax = CPUID_KVM_FEATURES;
	c->entries[2].function = CPUID_KVM_FEATURES;
	c->entries[2].eax = 0x1007efb;
	hv_leaf(&hv->entries[0], CPUID_KVM_SIGNATURE, 0x4000000a);
	hv_leaf(&hv->entries[1], CPUID_HV_INTERFACE, CPUID_HV_INTERFACE_SIG);
	hv_leaf(&hv->entries[2], 0x40000003, 0x7ff);
	hv_leaf(&hv->entries[3], 0x4000000a, 0x1);
	m = cpuid_with_hyperv(c, hv);
	assert_non_null(m);
	assert_int_equal(m->nent, 7);
	assert_non_null(leaf(m, 1));
	assert_int_equal(leaf(m, CPUID_KVM_SIGNATURE)->eax, 0x4000000a);
	assert_memory_equal(&leaf(m, CPUID_KVM_SIGNATURE)->ebx, "Linu", 4);
	assert_int_equal(leaf(m, CPUID_HV_INTERFACE)->eax, CPUID_HV_INTERFACE_SIG); /* Hyper-V's, not KVM's */
	assert_int_equal(leaf(m, 0x40000003)->eax, 0x7ff);
	assert_int_equal(leaf(m, CPUID_KVM_SIGNATURE_HV)->eax, CPUID_KVM_SIGNATURE_HV + 1);
	assert_memory_equal(&leaf(m, CPUID_KVM_SIGNATURE_HV)->ebx, "KVMK", 4);
	assert_int_equal(leaf(m, CPUID_KVM_SIGNATURE_HV + 1)->eax, 0x1007efb);
	v = cpuid_for_vcpu(m, 1);
	assert_non_null(v);
	assert_int_equal(v->nent, 7); /* no second KVM signature added */
	assert_memory_equal(&leaf(v, CPUID_KVM_SIGNATURE)->ebx, "Linu", 4);
	assert_int_equal(leaf(v, 0x40000003)->eax, 0x7ff);
	assert_int_equal(leaf(v, CPUID_KVM_SIGNATURE)->eax, 0x4000000a);
	free(v);
	free(m);
	/* KVM without PV leaves: the signature is still added at 0x40000100. */
	c->nent = 1;
	m = cpuid_with_hyperv(c, hv);
	assert_non_null(m);
	assert_int_equal(m->nent, 6);
	assert_memory_equal(&leaf(m, CPUID_KVM_SIGNATURE_HV)->ebx, "KVMK", 4);
	free(m);
	free(hv);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tsc_deadline),
		cmocka_unit_test(test_kvm_hint_realtime),
		cmocka_unit_test(test_for_vcpu),
		cmocka_unit_test(test_hide_nested),
		cmocka_unit_test(test_with_hyperv),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
