/* `warden caps`: the tables (src/core/kvm_caps.c) and their presentation
 * (src/cli/caps.c) on made-up reports, without any KVM. */
#include <json-c/json.h>
#include <stdio.h>

#include "cli/caps.h"
#include "core/kvm_caps.h"
#include "unit.h"

static int cap_index(const char *name)
{
	for (unsigned i = 0; i < caps_ncap; i++)
		if (strcmp(caps_cap_defs[i].name, name) == 0)
			return (int)i;
	fail_msg("no capability row %s", name);
	return -1;
}

static int hw_index(const char *module, const char *name)
{
	for (unsigned i = 0; i < caps_nhw; i++)
		if (strcmp(caps_hw_defs[i].module, module) == 0 && strcmp(caps_hw_defs[i].name, name) == 0)
			return (int)i;
	fail_msg("no hardware row %s.%s", module, name);
	return -1;
}

static void fmt(const char *name, long v, const char *want)
{
	char buf[96];

	caps_format_value(&caps_cap_defs[cap_index(name)], v, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void test_format_value(void **state)
{
	(void)state;
	fmt("ioeventfd", 1, "yes");
	fmt("ioeventfd", 0, "no");
	fmt("ioeventfd", 3, "yes (3)");
	fmt("ioeventfd", -1, "error");
	fmt("ioeventfd", CAPS_UNCHECKED, "unchecked");
	fmt("max-vcpus", 1024, "1024");
	fmt("dirty-log-ring", 1 << 20, "1 MiB");
	fmt("dirty-log-ring", 65536, "64 KiB");
	fmt("dirty-log-ring", 1000, "1000 bytes");
	fmt("coalesced-mmio", 2, "yes (ring at page 2)");
	fmt("disable-exits", 0xe, "hlt,pause,cstate");
	fmt("disable-exits", 0xf, "mwait,hlt,pause,cstate");
	fmt("disable-exits", 0x21, "mwait,bit5"); /* bits KVM adds later still show */
	fmt("x2apic-api", 0xb, "32bit-ids,no-bcast-quirk,eoi-supp-off");
	fmt("disable-exits", 0, "no");
}

/* A value longer than the buffer is cut, never overrun. */
static void test_format_value_short_buffer(void **state)
{
	char buf[8];

	(void)state;
	memset(buf, 'x', sizeof(buf));
	caps_format_value(&caps_cap_defs[cap_index("disable-exits")], 0xf, buf, sizeof(buf));
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
	assert_memory_equal(buf, "mwait,h", 7);
}

static void test_param_enabled(void **state)
{
	(void)state;
	assert_int_equal(caps_param_enabled("Y"), 1);
	assert_int_equal(caps_param_enabled("N"), 0);
	assert_int_equal(caps_param_enabled("1"), 1);
	assert_int_equal(caps_param_enabled("0"), 0);
	assert_int_equal(caps_param_enabled("200000"), 1);
	assert_int_equal(caps_param_enabled("-1"), 0);
	assert_int_equal(caps_param_enabled("always"), 1);
	assert_int_equal(caps_param_enabled("never"), 0);
	assert_int_equal(caps_param_enabled(""), -1);
	assert_int_equal(caps_param_enabled("maybe"), -1);
	assert_int_equal(caps_param_enabled("12abc"), -1);
}

static void test_signatures(void **state)
{
	struct caps_host h = { 0 };
	char buf[160];

	(void)state;
	assert_non_null(strstr(caps_signature_meaning("TCGTCGTCGTCG"), "emulated by QEMU TCG"));
	assert_non_null(strstr(caps_signature_meaning("KVMKVMKVM"), "virtualised by KVM"));
	assert_non_null(strstr(caps_signature_meaning("Microsoft Hv"), "Hyper-V"));
	assert_non_null(strstr(caps_signature_meaning("VMwareVMware"), "VMware"));
	assert_non_null(strstr(caps_signature_meaning("????????????"), "unknown hypervisor"));
	caps_cpu_summary(&h, buf, sizeof(buf));
	assert_string_equal(buf, "bare metal (CPUID hypervisor bit clear)");
	h.cpu_hypervisor = true;
	strcpy(h.cpu_signature, "TCGTCGTCGTCG");
	caps_cpu_summary(&h, buf, sizeof(buf));
	assert_non_null(strstr(buf, "emulated by QEMU TCG"));
	assert_non_null(strstr(buf, "\"TCGTCGTCGTCG\""));
	assert_non_null(strstr(caps_module_summary(CAPS_MOD_PVM), "paravirtual nested KVM (PVM)"));
	assert_non_null(strstr(caps_module_summary(CAPS_MOD_AMD), "hardware-assisted"));
	assert_string_equal(caps_module_name(CAPS_MOD_INTEL), "kvm_intel");
}

/* Every row is complete and names are unique; bits fit their words. */
static void test_tables(void **state)
{
	(void)state;
	assert_true(caps_ncap <= CAPS_NCAP_MAX);
	assert_true(caps_nhw <= CAPS_NHW_MAX);
	for (unsigned i = 0; i < caps_ncap; i++) {
		assert_non_null(caps_cap_defs[i].removes);
		assert_true(strncmp(caps_cap_defs[i].constant, "KVM_CAP_", 8) == 0);
		for (unsigned j = 0; j < i; j++) {
			assert_string_not_equal(caps_cap_defs[i].name, caps_cap_defs[j].name);
			assert_true(caps_cap_defs[i].number != caps_cap_defs[j].number);
		}
	}
	for (unsigned i = 0; i < caps_npv; i++) {
		assert_true(caps_pv_defs[i].bit < 32);
		for (unsigned j = 0; j < i; j++)
			assert_true(caps_pv_defs[i].bit != caps_pv_defs[j].bit);
	}
	for (unsigned i = 0; i < caps_nhw; i++) {
		const char *m = caps_hw_defs[i].module;

		assert_true(!strcmp(m, "kvm") || !strcmp(m, "kvm_amd") || !strcmp(m, "kvm_intel"));
		assert_non_null(caps_hw_defs[i].removes);
	}
}

/* The "used" column comes from one table; what warden does today. */
static void test_used_by(void **state)
{
	(void)state;
	assert_non_null(strstr(caps_used_by("ioeventfd"), "src/virtio/mmio.c"));
	assert_non_null(strstr(caps_used_by("irqfd"), "src/virtio/mmio.c"));
	assert_non_null(caps_used_by("irqchip"));
	assert_non_null(caps_used_by("pit2"));
	assert_null(caps_used_by("x2apic-api"));
	assert_non_null(strstr(caps_used_by("coalesced-pio"), "src/devices/serial.c"));
	assert_non_null(caps_used_by("coalesced-mmio"));
	assert_non_null(strstr(caps_used_by("disable-exits"), "--hlt-passthrough"));
	assert_null(caps_used_by("dirty-log-ring"));
	assert_null(caps_used_by("no-such-row"));
}

/* A PVM host with everything checked on a VM. */
static void pvm_report(struct caps_report *r)
{
	memset(r, 0, sizeof(*r));
	r->device = "/dev/kvm";
	r->host.module = CAPS_MOD_PVM;
	r->host.cpu_hypervisor = true;
	strcpy(r->host.cpu_signature, "KVMKVMKVM");
	r->host.cpuinfo_read = true;
	strcpy(r->host.kernel, "6.18");
	r->kvm_open = r->vm_created = r->check_on_vm = r->cpuid_read = r->pv_leaf = true;
	r->pv_eax = 1u << 6 | 1u << 0; /* pv-eoi, kvmclock */
	for (unsigned i = 0; i < caps_ncap; i++)
		r->cap[i].system = r->cap[i].vm = 1;
	r->cap[cap_index("x2apic-api")].system = 15;
	r->cap[cap_index("x2apic-api")].vm = 11;
	r->cap[cap_index("coalesced-mmio")].vm = 0;
	for (unsigned i = 0; i < caps_nhw; i++)
		if (!strcmp(caps_hw_defs[i].module, "kvm")) {
			r->hw[i].present = true;
			strcpy(r->hw[i].value, "N");
		}
	strcpy(r->hw[hw_index("kvm", "halt_poll_ns")].value, "200000");
}

static json_object *row(json_object *arr, const char *name)
{
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *o = json_object_array_get_idx(arr, i), *n;

		if (json_object_object_get_ex(o, "name", &n) && !strcmp(json_object_get_string(n), name))
			return o;
	}
	fail_msg("no JSON row %s", name);
	return NULL;
}

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;

	assert_true(json_object_object_get_ex(o, key, &v));
	return v;
}

static void test_json(void **state)
{
	static struct caps_report r;
	json_object *j, *caps, *x2, *cm;

	(void)state;
	pvm_report(&r);
	j = caps_to_json(&r);
	assert_true(json_object_get_boolean(get(get(j, "host"), "pvm")));
	assert_false(json_object_get_boolean(get(get(j, "host"), "cpu_emulated")));
	caps = get(j, "capabilities");
	assert_int_equal(json_object_array_length(caps), caps_ncap);
	/* The VM's answer decides; both are kept. */
	x2 = row(caps, "x2apic-api");
	assert_int_equal(json_object_get_int64(get(x2, "system")), 15);
	assert_int_equal(json_object_get_int64(get(x2, "vm")), 11);
	assert_string_equal(json_object_get_string(get(x2, "value")), "32bit-ids,no-bcast-quirk,eoi-supp-off");
	assert_false(json_object_get_boolean(get(x2, "used")));
	assert_null(get(x2, "used_by"));
	cm = row(caps, "coalesced-mmio");
	assert_false(json_object_get_boolean(get(cm, "available")));
	assert_true(json_object_get_boolean(get(row(caps, "ioeventfd"), "used")));
	assert_true(json_object_get_boolean(get(row(get(j, "pv_features"), "pv-eoi"), "used")));
	assert_false(json_object_get_boolean(get(row(get(j, "pv_features"), "pv-tlb-flush"), "available")));
	/* PVM: only the kvm module's rows, as read. */
	for (size_t i = 0; i < json_object_array_length(get(j, "hardware")); i++)
		assert_string_equal(json_object_get_string(get(json_object_array_get_idx(get(j, "hardware"), i),
								"module")), "kvm");
	assert_true(json_object_get_boolean(get(row(get(j, "hardware"), "halt_poll_ns"), "enabled")));
	assert_false(json_object_get_boolean(get(row(get(j, "hardware"), "nx_huge_pages"), "enabled")));
	json_object_put(j);

	/* Without a VM the device's answers count, and "vm" is null. */
	r.vm_created = false;
	j = caps_to_json(&r);
	x2 = row(get(j, "capabilities"), "x2apic-api");
	assert_null(get(x2, "vm"));
	assert_true(json_object_get_boolean(get(row(get(j, "capabilities"), "coalesced-mmio"), "available")));
	json_object_put(j);

	/* Without a KVM device: no rows, the reason given. */
	r.kvm_open = r.cpuid_read = false;
	strcpy(r.error, "no /dev/kvm");
	j = caps_to_json(&r);
	assert_int_equal(json_object_array_length(get(j, "capabilities")), 0);
	assert_int_equal(json_object_array_length(get(j, "pv_features")), 0);
	assert_string_equal(json_object_get_string(get(get(j, "kvm"), "error")), "no /dev/kvm");
	json_object_put(j);
}

static char *text_of(const struct caps_report *r)
{
	static char buf[65536];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	assert_non_null(f);
	caps_print_text(f, r);
	fclose(f);
	return buf;
}

/* The offset of "used" in the header line that starts the table after TITLE. */
static long used_column(const char *text, const char *title)
{
	const char *t = strstr(text, title), *h, *u;

	assert_non_null(t);
	h = strstr(t, "\n  name ");
	assert_non_null(h);
	u = strstr(h + 1, "  used  ");
	assert_non_null(u);
	return u + 2 - (h + 1);
}

/* Every row of a table has its used column (yes/no/auto) where the header
 * has it, except WIDE, whose value is wider than the column. */
static void check_aligned(const char *text, const char *title, unsigned nrows, const char *wide)
{
	long col = used_column(text, title);
	const char *line = strstr(strstr(text, title), "\n  name ") + 1;

	for (unsigned i = 0; i < nrows; i++) {
		line = strchr(line, '\n') + 1;
		if (wide && strncmp(line + 2, wide, strlen(wide)) == 0 && line[2 + strlen(wide)] == ' ')
			continue;
		if (strlen(line) < (size_t)col + 4 ||
		    (strncmp(line + col, "yes ", 4) && strncmp(line + col, "no  ", 4) &&
		     strncmp(line + col, "auto", 4)))
			fail_msg("row not aligned in %s: %.*s", title, (int)(strchr(line, '\n') - line), line);
	}
}

static void test_text(void **state)
{
	static struct caps_report r;
	const char *t;

	(void)state;
	pvm_report(&r);
	t = text_of(&r);
	assert_non_null(strstr(t, "  KVM module  kvm_pvm: paravirtual nested KVM (PVM): not hardware-assisted; "
				  "guest kernel code is emulated\n"));
	assert_non_null(strstr(t, "  host CPU    virtualised by KVM"));
	assert_non_null(strstr(t, "hardware features: none: kvm_pvm uses no VT-x/AMD-V"));
	assert_non_null(strstr(t, "KVM capabilities (KVM_CHECK_EXTENSION on a new VM)\n"));
	check_aligned(t, "KVM capabilities (", caps_ncap, "x2apic-api");
	check_aligned(t, "paravirtual features offered", caps_npv, NULL);
	assert_non_null(strstr(t, "\n  pv-eoi  "));
	assert_non_null(strstr(t, "\n  halt_poll_ns  "));

	/* An AMD host: its module's rows, the absent ones said so. */
	r.host.module = CAPS_MOD_AMD;
	r.hw[hw_index("kvm_amd", "npt")].present = true;
	strcpy(r.hw[hw_index("kvm_amd", "npt")].value, "Y");
	t = text_of(&r);
	assert_non_null(strstr(t, "hardware features (/sys/module/kvm_amd/parameters)\n"));
	assert_non_null(strstr(t, "  KVM module  kvm_amd: hardware-assisted KVM (AMD-V, SVM)\n"));
	assert_non_null(strstr(t, "\n  npt "));
	assert_non_null(strstr(t, " absent "));
	assert_null(strstr(t, "\n  ept "));
	{
		const char *npt = strstr(t, "\n  npt ");
		long col = used_column(t, "hardware features (");

		assert_memory_equal(npt + 1 + col, "auto", 4);
	}

	/* No KVM device: the sections say why. */
	r.kvm_open = r.vm_created = r.cpuid_read = false;
	strcpy(r.error, "no /dev/kvm: this host has no KVM");
	t = text_of(&r);
	assert_non_null(strstr(t, "KVM capabilities not checked: no /dev/kvm: this host has no KVM\n"));
	assert_non_null(strstr(t, "paravirtual features offered to guests not checked"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_value),
		cmocka_unit_test(test_format_value_short_buffer),
		cmocka_unit_test(test_param_enabled),
		cmocka_unit_test(test_signatures),
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_used_by),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
