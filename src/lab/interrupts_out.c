/* `warden lab interrupts`: the model, the host's interrupt virtualisation
 * (as `warden caps` reads it), the table, the JSON and the SVG plot
 * (lab/interrupts_lab.h). */
#include "lab/interrupts_lab.h"

#include <math.h>
#include <string.h>
#include <time.h>

#include "core/kvm_caps.h"
#include "lab/lab_json.h"
#include "lab/lab_svg.h"
#include "report/fmt.h"
#include "util/error.h"

const char *const ir_mode_name[IR_NMODES] = { "irqfd", "irq-line", "msi" };
const char *const ir_kvm_names[IR_NKVM] = {
	"exits", "halt_exits", "halt_wakeup", "irq_window_exits", "irq_injections", "irq_exits",
};

static const char *const mode_what[IR_NMODES] = {
	"eventfd write; KVM_IRQFD raises the IOAPIC pin",
	"KVM_IRQ_LINE assert + deassert on the IOAPIC pin",
	"KVM_SIGNAL_MSI straight to the LAPIC",
};

double ir_model_kvm_exits(const struct ir_accel *a)
{
	/* The HLT the interrupt ends (interrupt windows: none, the guest
	 * waits with IF set); the EOI write, unless the APIC is virtualised. */
	return a->active ? 1 : 2;
}

static double per_irq(const struct ir_run *r, uint64_t v)
{
	return r->ok && r->injected ? (double)v / (double)r->injected : NAN;
}

double ir_other_exits(const struct ir_run *r)
{
	if (!r->ok || !r->have_kvm)
		return NAN;
	return per_irq(r, r->kvm[IR_K_EXITS] - r->kvm[IR_K_HALT] - r->kvm[IR_K_WINDOW] - r->kvm[IR_K_IRQ]);
}

/* The module parameters `warden caps` reads (core/kvm_caps.c), without
 * opening the KVM device: only their rows are needed. */
void ir_accel_probe(struct ir_accel *a, const char *device)
{
	static struct caps_report r;

	memset(a, 0, sizeof(*a));
	caps_probe(&r, device ? device : "/dev/kvm"); /* the hardware rows are filled even when it fails */
	for (unsigned i = 0; i < caps_nhw; i++) {
		const struct caps_hw_def *d = &caps_hw_defs[i];
		char *dst = !strcmp(d->name, "avic")           ? a->avic
			    : !strcmp(d->name, "enable_apicv") ? a->apicv
			    : !strcmp(d->name, "enable_ipiv")  ? a->ipiv
							       : NULL;

		if (!dst || !r.hw[i].present)
			continue;
		snprintf(dst, sizeof(a->avic), "%s", r.hw[i].value);
		if (dst != a->ipiv && caps_hw_enabled(&r, i))
			a->active = true;
	}
}

static const char *accel_line(const struct ir_accel *a, char *buf, size_t len)
{
	if (a->avic[0])
		snprintf(buf, len, "kvm_amd avic=%s%s", a->avic, a->active ? "" : " (off)");
	else if (a->apicv[0])
		snprintf(buf, len, "kvm_intel enable_apicv=%s, enable_ipiv=%s%s", a->apicv, a->ipiv[0] ? a->ipiv : "-",
			 a->active ? "" : " (off)");
	else
		snprintf(buf, len, "neither kvm_amd's avic nor kvm_intel's enable_apicv exists here (no APIC "
				   "virtualisation, no posted interrupts)");
	return buf;
}

/* --- table ------------------------------------------------------------------------ */

static void num(FILE *f, int w, double v, int prec)
{
	if (isnan(v))
		fprintf(f, " %*s", w, "-");
	else
		fprintf(f, " %*.*f", w, prec, v);
}

void ir_print_table(FILE *f, const struct ir_result *res)
{
	char buf[200];

	fprintf(f, "warden lab interrupts: tier %s (%s, host kernel %s); %u interrupts a way on GSI %d\n", res->tier,
		res->kvm, res->kernel, res->opt.count, res->gsi);
	fprintf(f, "%-9s %9s %9s %9s %9s %9s %9s %8s %8s %8s %8s %8s\n", "way", "delivered", "rtt med", "rtt p99",
		"lat med", "lat p99", "cpu ns", "warden/i", "model", "KVM/i", "HLT/i", "other/i");
	for (unsigned m = 0; m < IR_NMODES; m++) {
		const struct ir_run *r = &res->run[m];

		fprintf(f, "%-9s ", ir_mode_name[m]);
		if (!r->ok) {
			fprintf(f, "%s: %s\n", r->ran ? "failed" : "skipped", r->why);
			continue;
		}
		fprintf(f, "%9llu", (unsigned long long)r->delivered);
		num(f, 9, r->rtt_ns.median, 0);
		num(f, 9, r->rtt_ns.p99, 0);
		num(f, 9, r->have_lat ? r->lat_ns.median : NAN, 0);
		num(f, 9, r->have_lat ? r->lat_ns.p99 : NAN, 0);
		num(f, 9, r->inject_cpu_ns, 0);
		num(f, 8, per_irq(r, r->exits_warden), 3);
		num(f, 8, ir_model_kvm_exits(&res->accel), 0);
		num(f, 8, r->have_kvm ? per_irq(r, r->kvm[IR_K_EXITS]) : NAN, 3);
		num(f, 8, r->have_kvm ? per_irq(r, r->kvm[IR_K_HALT]) : NAN, 3);
		num(f, 8, ir_other_exits(r), 3);
		fputc('\n', f);
	}
	fprintf(f, "(rtt: injection to warden seeing the guest's count move; lat: injection to the guest's handler, "
		   "by its TSC%s%s; ns)\n", res->tsc_offset_known ? "" : ": not measured, ", res->lat_why);
	for (unsigned m = 0; m < IR_NMODES; m++)
		if (res->run[m].ok && !res->run[m].have_lat && res->tsc_offset_known)
			fprintf(f, "  %s: no handler latency: %s\n", ir_mode_name[m], res->run[m].lat_why);
	fprintf(f, "model: 0 exits to warden per interrupt; KVM exits per interrupt: the HLT and, without "
		   "AVIC/APICv, the EOI write\n");
	fprintf(f, "this host: %s\n", accel_line(&res->accel, buf, sizeof(buf)));
	for (unsigned m = 0; m < IR_NMODES; m++) {
		double o = ir_other_exits(&res->run[m]);

		if (!isnan(o))
			fprintf(f, "  %s: AVIC/APICv would remove %.3f exits per interrupt here (the EOI write and any "
				   "other APIC access: %llu in %llu interrupts)%s\n", ir_mode_name[m], o,
				(unsigned long long)(o * (double)res->run[m].injected + 0.5),
				(unsigned long long)res->run[m].injected, res->accel.active ? "; it is on: they are what is left" : "");
	}
}

/* --- JSON ------------------------------------------------------------------------- */

static void summary_json(FILE *f, const char *key, const struct lab_summary *s)
{
	fprintf(f, ", \"%s\": {\"min\": ", key);
	lab_json_num(f, s->min, 6);
	fprintf(f, ", \"median\": ");
	lab_json_num(f, s->median, 6);
	fprintf(f, ", \"p99\": ");
	lab_json_num(f, s->p99, 6);
	fprintf(f, ", \"mean\": ");
	lab_json_num(f, s->mean, 6);
	fputc('}', f);
}

static void run_json(FILE *f, const struct ir_result *res, unsigned m)
{
	const struct ir_run *r = &res->run[m];

	fprintf(f, "\"%s\": {\"what\": \"%s\", \"status\": \"%s\"", ir_mode_name[m], mode_what[m],
		r->ok ? "measured" : r->ran ? "failed" : "skipped");
	if (!r->ok) {
		fprintf(f, ", \"reason\": ");
		lab_json_str(f, r->why);
		fputc('}', f);
		return;
	}
	fprintf(f, ", \"injected\": %llu, \"delivered\": %llu, \"exits_to_warden\": %llu",
		(unsigned long long)r->injected, (unsigned long long)r->delivered,
		(unsigned long long)r->exits_warden);
	summary_json(f, "round_trip_ns", &r->rtt_ns);
	if (r->have_lat) {
		summary_json(f, "to_handler_ns", &r->lat_ns);
	} else {
		fprintf(f, ", \"to_handler_ns\": null, \"to_handler_why\": ");
		lab_json_str(f, r->lat_why);
	}
	fprintf(f, ", \"warden_cpu_ns_per_interrupt\": ");
	lab_json_num(f, r->inject_cpu_ns, 6);
	fprintf(f, ", \"kvm_exits\": ");
	if (r->have_kvm) {
		for (unsigned k = 0; k < IR_NKVM; k++)
			fprintf(f, "%s\"%s\": %llu", k ? ", " : "{", ir_kvm_names[k], (unsigned long long)r->kvm[k]);
		fprintf(f, "}, \"kvm_exits_per_interrupt\": ");
		lab_json_num(f, per_irq(r, r->kvm[IR_K_EXITS]), 6);
	} else {
		fprintf(f, "null, \"kvm_exits_per_interrupt\": null");
	}
	fprintf(f, ", \"apic_exits_per_interrupt\": ");
	lab_json_num(f, ir_other_exits(r), 6);
	fputc('}', f);
}

int ir_write_json(const char *path, const struct ir_result *res)
{
	const struct ir_accel *a = &res->accel;
	FILE *f = lab_json_open(path, "interrupts", res->tier, res->kvm, res->kernel);

	if (!f)
		return -1;
	fprintf(f, ", \"guest_tsc_khz\": %llu, \"capabilities\": {\"KVM_CAP_IRQFD\": %ld, \"KVM_CAP_SIGNAL_MSI\": %ld, "
		   "\"tsc_offset_readable\": %s},\n    \"interrupt_virtualisation\": {\"kvm_amd.avic\": ",
		(unsigned long long)res->tsc_khz, res->cap_irqfd, res->cap_msi, res->tsc_offset_known ? "true" : "false");
	a->avic[0] ? lab_json_str(f, a->avic) : (void)fputs("null", f);
	fprintf(f, ", \"kvm_intel.enable_apicv\": ");
	a->apicv[0] ? lab_json_str(f, a->apicv) : (void)fputs("null", f);
	fprintf(f, ", \"kvm_intel.enable_ipiv\": ");
	a->ipiv[0] ? lab_json_str(f, a->ipiv) : (void)fputs("null", f);
	fprintf(f, ", \"active\": %s}},\n", a->active ? "true" : "false");
	fprintf(f, "  \"ok\": %s", res->ok ? "true" : "false");
	if (!res->ok) {
		fprintf(f, ", \"reason\": ");
		lab_json_str(f, res->why);
	}
	fprintf(f, ",\n  \"count\": %u, \"gsi\": %d, \"spurious\": %llu,\n", res->opt.count, res->gsi,
		(unsigned long long)res->spurious);
	fprintf(f, "  \"model\": {\"exits_to_warden_per_interrupt\": 0, \"kvm_exits_per_interrupt\": ");
	lab_json_num(f, ir_model_kvm_exits(a), 3);
	fprintf(f, ", \"inputs\": {\"guest\": \"idle in HLT with IF set\", \"apic_virtualised\": %s}, "
		   "\"formula\": \"1 (the HLT the interrupt ends) + 1 (the EOI write) unless AVIC/APICv is on\"},\n",
		a->active ? "true" : "false");
	fprintf(f, "  \"measured\": {");
	for (unsigned m = 0; m < IR_NMODES; m++) {
		fputs(m ? ",\n    " : "\n    ", f);
		run_json(f, res, m);
	}
	fprintf(f, "},\n  \"avic_apicv_would_remove_per_interrupt\": {");
	for (unsigned m = 0; m < IR_NMODES; m++) {
		fprintf(f, "%s\"%s\": ", m ? ", " : "", ir_mode_name[m]);
		lab_json_num(f, ir_other_exits(&res->run[m]), 6);
	}
	fprintf(f, "}\n}\n");
	if (fclose(f) != 0)
		return fail_errno(ERR_USAGE, "cannot write --json %s", path);
	return 0;
}

/* --- SVG -------------------------------------------------------------------------- */

/* Left: the latency quantiles per way (min, median, p99; to the handler
 * and the round trip); right: KVM's exits per interrupt next to the
 * model's. */
int ir_write_svg(const char *path, const struct ir_result *res)
{
	FILE *f = lab_svg_open(path, 920, 470, "warden lab interrupts");
	struct lab_axes a = { .xk = SCALE_LINEAR, .yk = SCALE_LOG10, .xlo = 0, .xhi = 2, .ylo = 1e3, .yhi = 1e4,
			      .title = "latency per interrupt (solid: round trip; dashed: to the handler)",
			      .xlabel = "quantile (0 min, 1 median, 2 p99)", .ylabel = "ns", .fx = fmt_plain,
			      .fy = fmt_ns_tick };
	struct legend_item items[IR_NMODES];
	struct plot pl;
	char foot[300], name[48], label[32];

	if (!f)
		return -1;
	for (unsigned m = 0; m < IR_NMODES; m++)
		if (res->run[m].ok) {
			a.yhi = fmax(a.yhi, res->run[m].rtt_ns.p99);
			a.ylo = fmin(a.ylo, res->run[m].have_lat ? res->run[m].lat_ns.min : res->run[m].rtt_ns.min);
		}
	lab_svg_plot(&pl, f, 80, 60, 340, 300, &a);
	for (unsigned m = 0; m < IR_NMODES; m++) {
		const struct ir_run *r = &res->run[m];
		double x[3] = { 0, 1, 2 }, rtt[3] = { NAN, NAN, NAN }, lat[3] = { NAN, NAN, NAN };

		if (r->ok) {
			rtt[0] = r->rtt_ns.min, rtt[1] = r->rtt_ns.median, rtt[2] = r->rtt_ns.p99;
			if (r->have_lat)
				lat[0] = r->lat_ns.min, lat[1] = r->lat_ns.median, lat[2] = r->lat_ns.p99;
		}
		snprintf(name, sizeof(name), "%s round trip", ir_mode_name[m]);
		lab_svg_series(&pl, x, rtt, 3, svg_colour(m), name, LAB_SVG_LINE | LAB_SVG_DOTS);
		snprintf(name, sizeof(name), "%s to handler", ir_mode_name[m]);
		lab_svg_series(&pl, x, lat, 3, svg_colour(m), name, LAB_SVG_DASHED | LAB_SVG_DOTS);
		items[m] = (struct legend_item){ .name = ir_mode_name[m], .colour = svg_colour(m),
						 .note = r->ok ? NULL : r->ran ? "failed" : "skipped" };
	}
	a = (struct lab_axes){ .xk = SCALE_LINEAR, .yk = SCALE_LINEAR, .xlo = 0, .xhi = 2 * IR_NMODES, .ylo = 0,
			       .yhi = ir_model_kvm_exits(&res->accel), .title = "KVM exits per interrupt (dashed: model)",
			       .xlabel = "", .ylabel = "exits per interrupt", .fx = lab_svg_no_label, .fy = fmt_plain };
	for (unsigned m = 0; m < IR_NMODES; m++)
		if (res->run[m].ok && res->run[m].have_kvm)
			a.yhi = fmax(a.yhi, per_irq(&res->run[m], res->run[m].kvm[IR_K_EXITS]));
	lab_svg_plot(&pl, f, 540, 60, 340, 300, &a);
	for (unsigned m = 0; m < IR_NMODES; m++) {
		const struct ir_run *r = &res->run[m];
		double v = r->have_kvm ? per_irq(r, r->kvm[IR_K_EXITS]) : NAN, x = 2 * m + 1;

		snprintf(name, sizeof(name), "exits %s", ir_mode_name[m]);
		snprintf(label, sizeof(label), "%.2f", v);
		lab_svg_bar(&pl, x, 50, v, svg_colour(m), name, isnan(v) ? NULL : label);
		snprintf(name, sizeof(name), "model %s", ir_mode_name[m]);
		lab_svg_series(&pl, (const double[2]){ x - 0.6, x + 0.6 },
			       (const double[2]){ ir_model_kvm_exits(&res->accel), ir_model_kvm_exits(&res->accel) }, 2,
			       "#2a3138", name, LAB_SVG_DASHED);
		svg_text(f, scale_px(&pl.xs, x), pl.y + pl.h + 16, "middle", "tick-label", ir_mode_name[m], 0);
	}
	svg_legend(f, 90, 410, items, IR_NMODES);
	snprintf(foot, sizeof(foot), "tier %s (%s), host kernel %s; %u interrupts a way", res->tier, res->kvm,
		 res->kernel, res->opt.count);
	svg_text(f, 540, 420, "start", "note", foot, 0);
	return lab_svg_close(f, path);
}
