/* `warden caps`: presentation of core/kvm_caps's report -- aligned text
 * tables for people, JSON (--json) for programs. */
#include "cli/caps.h"

#include <getopt.h>
#include <json-c/json.h>
#include <string.h>

#include "core/kvm.h"
#include "core/kvm_caps.h"
#include "util/error.h"

#define VALUE_LEN 96
/* Wider values overflow their column rather than widen every row. */
#define VALUE_COLUMN_MAX 28

/* One table row, whatever the section. */
struct row {
	const char *name;
	char value[VALUE_LEN];
	const char *used; /* "yes", "no", "auto" */
	const char *removes;
};

static void usage(FILE *f)
{
	fputs("usage: warden caps [--json] [--kvm-device PATH]\n"
	      "\n"
	      "Shows what this host offers against VM exits, checked live: the KVM\n"
	      "capabilities (KVM_CHECK_EXTENSION on the KVM device and on a new VM), the\n"
	      "paravirtual features KVM offers to guests (CPUID 0x40000001), and the\n"
	      "hardware features in the kvm_intel/kvm_amd/kvm module parameters; one line\n"
	      "each saying which exits it removes and whether warden uses it. The first\n"
	      "lines say what kind of host this is: hardware-assisted, paravirtual (PVM),\n"
	      "and whether the CPU itself is virtualised or emulated.\n"
	      "\n"
	      "  --json             the same as one JSON object on stdout\n"
	      "  --kvm-device PATH  KVM device (default /dev/kvm)\n"
	      "\n"
	      "Exit status: 0 everything checked; 2 bad option, or the KVM device is\n"
	      "missing, not readable or not KVM; 1 a KVM query failed. With 1 or 2 the\n"
	      "report still shows what could be checked (host kind, module parameters)\n"
	      "and stderr has one line saying what is missing.\n",
	      f);
}

static void print_rows(FILE *f, const char *col2, const struct row *rows, unsigned n)
{
	int wn = 4, wv = (int)strlen(col2);

	for (unsigned i = 0; i < n; i++) {
		if ((int)strlen(rows[i].name) > wn)
			wn = (int)strlen(rows[i].name);
		if ((int)strlen(rows[i].value) > wv && strlen(rows[i].value) <= VALUE_COLUMN_MAX)
			wv = (int)strlen(rows[i].value);
	}
	fprintf(f, "  %-*s  %-*s  %-4s  %s\n", wn, "name", wv, col2, "used", "removes");
	for (unsigned i = 0; i < n; i++)
		fprintf(f, "  %-*s  %-*s  %-4s  %s\n", wn, rows[i].name, wv, rows[i].value,
			rows[i].used, rows[i].removes);
}

static const char *cpu_flags_text(const struct caps_host *h)
{
	if (!h->cpuinfo_read)
		return "unknown (no flags in /proc/cpuinfo)";
	if (h->cpu_vmx)
		return "vmx (Intel VT-x)";
	if (h->cpu_svm)
		return "svm (AMD-V)";
	return "neither vmx nor svm: no hardware virtualization reaches this kernel";
}

static void print_host(FILE *f, const struct caps_report *r)
{
	char cpu[160];

	caps_cpu_summary(&r->host, cpu, sizeof(cpu));
	fprintf(f, "host\n");
	fprintf(f, "  KVM module  %s: %s\n", caps_module_name(r->host.module),
		caps_module_summary(r->host.module));
	fprintf(f, "  host CPU    %s\n", cpu);
	fprintf(f, "  CPU flags   %s\n", cpu_flags_text(&r->host));
	fprintf(f, "  kernel      %s\n", r->host.kernel);
}

static void print_caps(FILE *f, const struct caps_report *r)
{
	struct row rows[CAPS_NCAP_MAX];

	fprintf(f, "\nKVM capabilities ");
	if (!r->kvm_open) {
		fprintf(f, "not checked: %s\n", r->error);
		return;
	}
	if (r->vm_created && r->check_on_vm)
		fprintf(f, "(KVM_CHECK_EXTENSION on a new VM)\n");
	else if (r->vm_created)
		fprintf(f, "(KVM_CHECK_EXTENSION on %s: VMs do not answer it)\n", r->device);
	else
		fprintf(f, "(KVM_CHECK_EXTENSION on %s only: no VM: %s)\n", r->device, r->error);
	for (unsigned i = 0; i < caps_ncap; i++) {
		rows[i].name = caps_cap_defs[i].name;
		caps_format_value(&caps_cap_defs[i], caps_cap_value(r, i), rows[i].value, VALUE_LEN);
		rows[i].used = caps_cap_used(r, i) ? "yes" : "no";
		rows[i].removes = caps_cap_defs[i].removes;
	}
	print_rows(f, "available", rows, caps_ncap);
}

static void print_pv(FILE *f, const struct caps_report *r)
{
	struct row rows[64];

	fprintf(f, "\nparavirtual features offered to guests ");
	if (!r->cpuid_read) {
		fprintf(f, "not checked: %s\n", r->kvm_open ? r->error : "no KVM device");
		return;
	}
	fprintf(f, "(KVM_GET_SUPPORTED_CPUID leaf 0x40000001%s)\n",
		r->pv_leaf ? "" : ": the leaf is missing, KVM offers none");
	for (unsigned i = 0; i < caps_npv; i++) {
		rows[i].name = caps_pv_defs[i].name;
		snprintf(rows[i].value, VALUE_LEN, "%s", caps_pv_available(r, i) ? "yes" : "no");
		rows[i].used = caps_pv_used(r, i) ? "yes" : "no";
		rows[i].removes = caps_pv_defs[i].removes;
	}
	print_rows(f, "available", rows, caps_npv);
}

/* The rows of module MODULE ("kvm" or the vendor module) that apply here. */
static unsigned hw_rows(const struct caps_report *r, bool generic, struct row *rows)
{
	unsigned n = 0;

	for (unsigned i = 0; i < caps_nhw; i++) {
		if ((strcmp(caps_hw_defs[i].module, "kvm") == 0) != generic || !caps_hw_relevant(r, i))
			continue;
		rows[n].name = caps_hw_defs[i].name;
		snprintf(rows[n].value, VALUE_LEN, "%s", r->hw[i].present ? r->hw[i].value : "absent");
		rows[n].used = caps_hw_enabled(r, i) ? "auto" : "no";
		rows[n].removes = caps_hw_defs[i].removes;
		n++;
	}
	return n;
}

static void print_hw(FILE *f, const struct caps_report *r)
{
	struct row rows[CAPS_NHW_MAX];
	const char *m = caps_module_name(r->host.module);
	unsigned n = hw_rows(r, false, rows);

	if (r->host.module == CAPS_MOD_PVM)
		fprintf(f, "\nhardware features: none: kvm_pvm uses no VT-x/AMD-V (no EPT/NPT, VPID/ASID, "
			"APICv/AVIC, posted interrupts, unrestricted guest, PML)\n");
	else if (n == 0)
		fprintf(f, "\nhardware features: none: no kvm_intel or kvm_amd module is loaded\n");
	else {
		fprintf(f, "\nhardware features (/sys/module/%s/parameters)\n", m);
		print_rows(f, "value", rows, n);
	}
	n = hw_rows(r, true, rows);
	if (n) {
		fprintf(f, "\nKVM parameters (/sys/module/kvm/parameters)\n");
		print_rows(f, "value", rows, n);
	}
}

void caps_print_text(FILE *f, const struct caps_report *r)
{
	fprintf(f, "warden caps: what this host offers against VM exits, checked live on %s\n\n", r->device);
	print_host(f, r);
	print_caps(f, r);
	print_pv(f, r);
	print_hw(f, r);
	fprintf(f, "\nused: yes = warden uses it (--json says where), auto = KVM applies it to every VM\n");
}

static json_object *str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static json_object *answer_json(long v)
{
	return v == CAPS_UNCHECKED ? NULL : json_object_new_int64(v);
}

static json_object *host_json(const struct caps_host *h)
{
	json_object *o = json_object_new_object();
	char cpu[160];

	caps_cpu_summary(h, cpu, sizeof(cpu));
	json_object_object_add(o, "kvm_module", str_or_null(h->module == CAPS_MOD_NONE ? NULL
							     : caps_module_name(h->module)));
	json_object_object_add(o, "kvm_summary", json_object_new_string(caps_module_summary(h->module)));
	json_object_object_add(o, "pvm", json_object_new_boolean(h->module == CAPS_MOD_PVM));
	json_object_object_add(o, "hardware_assisted",
			       json_object_new_boolean(h->module == CAPS_MOD_AMD || h->module == CAPS_MOD_INTEL));
	json_object_object_add(o, "cpu_hypervisor", json_object_new_boolean(h->cpu_hypervisor));
	json_object_object_add(o, "cpu_signature", str_or_null(h->cpu_hypervisor ? h->cpu_signature : NULL));
	json_object_object_add(o, "cpu_emulated",
			       json_object_new_boolean(caps_host_emulated(h)));
	json_object_object_add(o, "cpu_summary", json_object_new_string(cpu));
	json_object_object_add(o, "cpu_vmx", json_object_new_boolean(h->cpu_vmx));
	json_object_object_add(o, "cpu_svm", json_object_new_boolean(h->cpu_svm));
	json_object_object_add(o, "kernel", json_object_new_string(h->kernel));
	return o;
}

static json_object *kvm_json(const struct caps_report *r)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "checked", json_object_new_boolean(r->kvm_open));
	json_object_object_add(o, "vm_created", json_object_new_boolean(r->vm_created));
	json_object_object_add(o, "check_on_vm", json_object_new_boolean(r->check_on_vm));
	json_object_object_add(o, "cpuid_read", json_object_new_boolean(r->cpuid_read));
	json_object_object_add(o, "error", str_or_null(r->error[0] ? r->error : NULL));
	return o;
}

static json_object *cap_json(const struct caps_report *r, unsigned i)
{
	const struct caps_cap_def *d = &caps_cap_defs[i];
	json_object *o = json_object_new_object();
	char value[VALUE_LEN];

	caps_format_value(d, caps_cap_value(r, i), value, sizeof(value));
	json_object_object_add(o, "name", json_object_new_string(d->name));
	json_object_object_add(o, "constant", json_object_new_string(d->constant));
	json_object_object_add(o, "number", json_object_new_int64(d->number));
	json_object_object_add(o, "system", answer_json(r->cap[i].system));
	json_object_object_add(o, "vm", answer_json(r->vm_created && r->check_on_vm ? r->cap[i].vm
									: CAPS_UNCHECKED));
	json_object_object_add(o, "value", json_object_new_string(value));
	json_object_object_add(o, "available", json_object_new_boolean(caps_cap_available(r, i)));
	json_object_object_add(o, "used", json_object_new_boolean(caps_cap_used(r, i)));
	json_object_object_add(o, "used_by", str_or_null(caps_used_by(d->name)));
	json_object_object_add(o, "removes", json_object_new_string(d->removes));
	return o;
}

static json_object *pv_json(const struct caps_report *r, unsigned i)
{
	const struct caps_pv_def *d = &caps_pv_defs[i];
	json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(d->name));
	json_object_object_add(o, "constant", json_object_new_string(d->constant));
	json_object_object_add(o, "bit", json_object_new_int(d->bit));
	json_object_object_add(o, "available", json_object_new_boolean(caps_pv_available(r, i)));
	json_object_object_add(o, "used", json_object_new_boolean(caps_pv_used(r, i)));
	json_object_object_add(o, "used_by", str_or_null(caps_pv_used(r, i) ? caps_used_by("cpuid-0x40000001")
									: NULL));
	json_object_object_add(o, "removes", json_object_new_string(d->removes));
	return o;
}

static json_object *hw_json(const struct caps_report *r, unsigned i)
{
	const struct caps_hw_def *d = &caps_hw_defs[i];
	json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(d->name));
	json_object_object_add(o, "module", json_object_new_string(d->module));
	json_object_object_add(o, "param", str_or_null(d->param));
	json_object_object_add(o, "present", json_object_new_boolean(r->hw[i].present));
	json_object_object_add(o, "value", str_or_null(r->hw[i].present ? r->hw[i].value : NULL));
	json_object_object_add(o, "enabled", json_object_new_boolean(caps_hw_enabled(r, i)));
	json_object_object_add(o, "used", json_object_new_boolean(caps_hw_enabled(r, i)));
	json_object_object_add(o, "removes", json_object_new_string(d->removes));
	return o;
}

json_object *caps_to_json(const struct caps_report *r)
{
	json_object *o = json_object_new_object(), *caps = json_object_new_array();
	json_object *pv = json_object_new_array(), *hw = json_object_new_array();

	json_object_object_add(o, "device", json_object_new_string(r->device));
	json_object_object_add(o, "host", host_json(&r->host));
	json_object_object_add(o, "kvm", kvm_json(r));
	for (unsigned i = 0; r->kvm_open && i < caps_ncap; i++)
		json_object_array_add(caps, cap_json(r, i));
	for (unsigned i = 0; r->cpuid_read && i < caps_npv; i++)
		json_object_array_add(pv, pv_json(r, i));
	for (unsigned i = 0; i < caps_nhw; i++)
		if (caps_hw_relevant(r, i))
			json_object_array_add(hw, hw_json(r, i));
	json_object_object_add(o, "capabilities", caps);
	json_object_object_add(o, "pv_features", pv);
	json_object_object_add(o, "hardware", hw);
	return o;
}

enum { OPT_JSON = 256, OPT_KVM_DEVICE, OPT_HELP };

static const struct option caps_options[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ "kvm-device", required_argument, NULL, OPT_KVM_DEVICE },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

/* Returns 1 to go on, 0 after --help, -1 on a bad option. */
static int parse(int argc, char **argv, bool *json, const char **device)
{
	int c;

	optind = 0; /* 0, not 1: glibc then fully re-initialises getopt */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", caps_options, NULL)) != -1) {
		switch (c) {
		case OPT_JSON: *json = true; break;
		case OPT_KVM_DEVICE: *device = optarg; break;
		case OPT_HELP: usage(stdout); return 0;
		case ':': return fail(ERR_USAGE, "%s needs a value", argv[optind - 1]);
		default: return fail(ERR_USAGE, "unknown option '%s' (see warden caps --help)", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return fail(ERR_USAGE, "warden caps takes no arguments, not '%s'", argv[optind]);
	return 1;
}

int caps_main(int argc, char **argv)
{
	static struct caps_report report;
	const char *device = KVM_DEFAULT_DEVICE;
	bool json = false;
	int r = parse(argc, argv, &json, &device), st;

	if (r <= 0)
		goto out;
	r = caps_probe(&report, device);
	if (json) {
		json_object *o = caps_to_json(&report);

		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else {
		caps_print_text(stdout, &report);
	}
out:
	fflush(stdout);
	if (r >= 0)
		return 0;
	st = err_class() == ERR_USAGE ? 2 : 1;
	fprintf(stderr, "warden: %s\n", err_msg());
	return st;
}
