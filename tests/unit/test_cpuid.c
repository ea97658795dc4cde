/* CPUID for the guest (src/core/cpuid.c): the TSC-deadline bit, and each
 * vCPU's copy (APIC ids, hypervisor bit, KVM signature leaf). */
#include <linux/kvm.h>
#include <stdlib.h>

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tsc_deadline),
		cmocka_unit_test(test_kvm_hint_realtime),
		cmocka_unit_test(test_for_vcpu),
		cmocka_unit_test(test_hide_nested),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
