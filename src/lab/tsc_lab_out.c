/* `warden lab tsc`: what the readings say (ts_judge), the table, the JSON
 * and the plot. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lab/lab_json.h"
#include "lab/tsc_lab.h"
#include "util/error.h"

static const char *const phase_name[TS_NPHASES] = { "ring 0", "ring 3" };

/* Each reading g, taken while the host's TSC ran from h_enter to h_exit,
 * allows the offsets [g - ratio h_exit, g - ratio h_enter]; one offset
 * must fit them all. */
static void judge_offset(const struct ts_result *R, const struct ts_sample *s, struct ts_phase *p)
{
	p->lo = -INFINITY;
	p->hi = INFINITY;
	p->ok = true;
	for (uint32_t i = 0; i < R->samples; i++) {
		long double lo, hi;

		if (!s[i].seen) {
			p->ok = false;
			continue;
		}
		lo = (long double)s[i].g - R->ratio * (long double)s[i].h_exit;
		hi = (long double)s[i].g - R->ratio * (long double)s[i].h_enter;
		p->lo = lo > p->lo ? lo : p->lo;
		p->hi = hi < p->hi ? hi : p->hi;
		if ((double)(s[i].h_exit - s[i].h_enter) > p->window_max)
			p->window_max = (double)(s[i].h_exit - s[i].h_enter);
	}
	p->consistent = p->ok && p->lo <= p->hi;
	/* Through IA32_TSC, KVM took its own host TSC some time into the
	 * write: the offset it made is up to that much below the request. */
	p->lo_req = p->lo;
	p->hi_req = p->hi + R->ratio * (long double)R->set_window;
	p->matches = p->consistent && (long double)R->offset_req >= p->lo_req &&
		     (long double)R->offset_req <= p->hi_req;
}

/* The guest TSC's rate over CLOCK_MONOTONIC, first to last reading; each
 * end is uncertain by the time from before its KVM_RUN to the clock read. */
static void judge_rate(const struct ts_result *R, const struct ts_sample *s, struct ts_phase *p)
{
	const struct ts_sample *a = &s[0], *b = &s[R->samples - 1];
	double dns, u;

	if (!p->ok || b->ns <= a->ns || !R->host_khz)
		return;
	dns = (double)(b->ns - a->ns);
	p->khz = (double)(b->g - a->g) / dns * 1e6;
	u = (double)(a->h_hook - a->h_enter + b->h_hook - b->h_enter) / (double)R->host_khz * 1e6;
	p->khz_bound = p->khz * u / dns;
}

void ts_judge(struct ts_result *R)
{
	for (unsigned ph = 0; ph < TS_NPHASES; ph++) {
		R->ph[ph] = (struct ts_phase){ 0 };
		judge_offset(R, R->s[ph], &R->ph[ph]);
		judge_rate(R, R->s[ph], &R->ph[ph]);
	}
}

/* The offset KVM says it keeps (the attribute read back after the run,
 * else IA32_TSC read back minus the host's TSC: an interval) meets the
 * phase's interval: "yes", "NO", or "-" where KVM did not say. */
static const char *fits_kvm(const struct ts_result *R, const struct ts_phase *p)
{
	long double lo = R->kvm_msr_lo, hi = R->kvm_msr_hi;

	if (R->kvm_attr_known)
		lo = hi = (long double)R->kvm_attr_offset;
	else if (!R->kvm_msr_known)
		return "-";
	if (!p->consistent)
		return "-";
	return hi >= p->lo_req && lo <= p->hi_req ? "yes" : "NO";
}

static uint64_t khz_expected(const struct ts_result *R)
{
	return strcmp(R->khz_status, "set") == 0 ? R->khz_req : R->host_khz;
}

void ts_print_table(const struct ts_result *R)
{
	printf("offset set with %s; frequency: %s\n", R->method ? R->method : "-", R->khz_status);
	printf("%-7s %22s %22s %10s %10s %5s %8s %10s %10s %8s\n", "RDTSC", "offset requested", "offset measured",
	       "+- cycles", "window max", "fits", "fits KVM", "model kHz", "kHz", "+- kHz");
	for (unsigned ph = 0; ph < TS_NPHASES; ph++) {
		const struct ts_phase *p = &R->ph[ph];

		if (!p->ok) {
			printf("%-7s no readings: %s\n", phase_name[ph], R->why[0] ? R->why : "the guest did not report them");
			continue;
		}
		printf("%-7s %22" PRId64 " %22.0Lf %10.0Lf %10.0f %5s %8s %10" PRIu64 " %10.0f %8.0f\n", phase_name[ph],
		       R->offset_req, (p->lo + p->hi) / 2, (p->hi_req - p->lo_req) / 2, p->window_max,
		       p->matches ? "yes" : (p->consistent ? "NO" : "none"), fits_kvm(R, p), khz_expected(R), p->khz,
		       p->khz_bound);
	}
	if (R->kvm_attr_known)
		printf("KVM's view: KVM_GET_DEVICE_ATTR offset %" PRId64 "\n", R->kvm_attr_offset);
	if (R->kvm_msr_known)
		printf("KVM's view: IA32_TSC (KVM_GET_MSRS) - host TSC in [%.0Lf, %.0Lf]\n", R->kvm_msr_lo, R->kvm_msr_hi);
	if (R->debugfs)
		printf("KVM's view: debugfs tsc-offset %" PRId64 "\n", R->debugfs_offset);
	printf("model: T_guest = T_host * ratio + offset (ratio 1 unless the frequency is set): every reading\n"
	       "lies between the host TSC before and after its exit, so the offset lies in [g - h_exit, g - h_enter].\n");
}

static void json_phase(FILE *f, const struct ts_result *R, unsigned ph)
{
	const struct ts_phase *p = &R->ph[ph];

	fprintf(f, "    \"%s\": {\"status\": \"%s\"", ph ? "ring3" : "ring0", p->ok ? "measured" : "failed");
	if (!p->ok) {
		fprintf(f, ", \"reason\": ");
		lab_json_str(f, R->why[0] ? R->why : "the guest did not report every reading");
		fputc('}', f);
		return;
	}
	fprintf(f, ", \"consistent\": %s, \"offset_low\": %.0Lf, \"offset_high\": %.0Lf, \"offset_measured\": %.0Lf, "
		   "\"bound_cycles\": %.0Lf, \"offset_error\": %.0Lf, \"matches_model\": %s, \"matches_kvm_offset\": %s, "
		   "\"window_max_cycles\": %.0f, \"khz_measured\": ",
		p->consistent ? "true" : "false", p->lo_req, p->hi_req, (p->lo + p->hi) / 2, (p->hi_req - p->lo_req) / 2,
		(p->lo + p->hi) / 2 - (long double)R->offset_req, p->matches ? "true" : "false",
		!strcmp(fits_kvm(R, p), "yes") ? "true" : !strcmp(fits_kvm(R, p), "NO") ? "false" : "null", p->window_max);
	lab_json_num(f, p->khz, 9);
	fprintf(f, ", \"khz_bound\": ");
	lab_json_num(f, p->khz_bound, 4);
	fprintf(f, ", \"samples\": [");
	for (uint32_t i = 0; i < R->samples; i++)
		fprintf(f, "%s[%" PRIu64 ", %" PRIu64 ", %" PRIu64 ", %" PRIu64 "]", i ? ", " : "", R->s[ph][i].g,
			R->s[ph][i].h_enter, R->s[ph][i].h_exit, R->s[ph][i].ns);
	fprintf(f, "]}");
}

int ts_write_json(const char *path, const struct ts_result *R)
{
	FILE *f = lab_json_open(path, "tsc", R->tier, R->kvm, R->kernel);

	if (!f)
		return -1;
	fprintf(f, ", \"host_tsc_khz\": %" PRIu64 ", \"capabilities\": {\"KVM_CAP_VCPU_ATTRIBUTES_tsc_offset\": %s, "
		   "\"KVM_CAP_TSC_CONTROL\": %ld}},\n",
		R->host_khz, R->cap_attr ? "true" : "false", R->cap_tsc_control);
	fprintf(f, "  \"ok\": %s", R->ok ? "true" : "false");
	if (!R->ok) {
		fprintf(f, ", \"reason\": ");
		lab_json_str(f, R->why);
	}
	fprintf(f, ",\n  \"samples\": %u, \"gap_cycles\": %" PRIu64 ",\n", R->samples, R->gap_cycles);
	fprintf(f, "  \"model\": {\"formula\": \"T_guest = T_host * ratio + offset\", \"offset\": %" PRId64
		   ", \"ratio\": %.12Lf, \"khz\": %" PRIu64 ", \"method\": ",
		R->offset_req, R->ratio, khz_expected(R));
	lab_json_str(f, R->method ? R->method : "");
	fprintf(f, ", \"set_window_cycles\": %" PRIu64 ", \"khz_requested\": %" PRIu64 ", \"khz_status\": ",
		R->set_window, R->khz_req);
	lab_json_str(f, R->khz_status);
	fprintf(f, ", \"guest_khz_kvm\": %" PRIu64 "},\n  \"kvm_debugfs_tsc_offset\": ", R->guest_khz);
	if (R->debugfs)
		fprintf(f, "%" PRId64, R->debugfs_offset);
	else
		fputs("null", f);
	fprintf(f, ",\n  \"kvm_attr_offset\": ");
	if (R->kvm_attr_known)
		fprintf(f, "%" PRId64, R->kvm_attr_offset);
	else
		fputs("null", f);
	fprintf(f, ", \"kvm_msr_offset\": ");
	if (R->kvm_msr_known)
		fprintf(f, "[%.0Lf, %.0Lf]", R->kvm_msr_lo, R->kvm_msr_hi);
	else
		fputs("null", f);
	fprintf(f, ",\n  \"measured\": {\n");
	for (unsigned ph = 0; ph < TS_NPHASES; ph++) {
		json_phase(f, R, ph);
		fputs(ph + 1 < TS_NPHASES ? ",\n" : "\n", f);
	}
	fprintf(f, "  }\n}\n");
	if (fclose(f) != 0)
		return fail_errno(ERR_USAGE, "cannot write --json %s", path);
	return 0;
}

/* One panel per phase: each reading's allowed offsets minus the requested
 * one, as a bar (the exit window), against the reading's number; the
 * model is the line at 0. */
static void svg_panel(FILE *f, const struct ts_result *R, unsigned ph, double x0)
{
	const double w = 400, h = 260, t = 40, l = x0 + 70;
	double span = 1;

	for (uint32_t i = 0; i < R->samples; i++) {
		const struct ts_sample *s = &R->s[ph][i];
		double lo = (double)((long double)s->g - R->ratio * s->h_exit - R->offset_req);
		double hi = (double)((long double)s->g - R->ratio * s->h_enter - R->offset_req);

		if (s->seen)
			span = fmax(span, fmax(fabs(lo), fabs(hi)));
	}
	fprintf(f, "<text x=\"%.0f\" y=\"25\" font-size=\"13\" text-anchor=\"middle\">RDTSC in guest %s</text>\n",
		l + w / 2, phase_name[ph]);
	fprintf(f, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" stroke=\"#888\"/>\n", l, t, w, h);
	fprintf(f, "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#c00\" stroke-dasharray=\"4 3\"/>\n", l,
		l + w, t + h / 2, t + h / 2);
	fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"10\" text-anchor=\"end\">+%.3g</text>"
		   "<text x=\"%.0f\" y=\"%.0f\" font-size=\"10\" text-anchor=\"end\">0</text>"
		   "<text x=\"%.0f\" y=\"%.0f\" font-size=\"10\" text-anchor=\"end\">-%.3g</text>\n",
		l - 4, t + 10, span, l - 4, t + h / 2 + 4, l - 4, t + h, span);
	fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"11\" text-anchor=\"middle\">reading</text>\n", l + w / 2, t + h + 30);
	fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"11\" text-anchor=\"middle\" transform=\"rotate(-90 %.0f %.0f)\">"
		   "allowed offset - requested (cycles)</text>\n", x0 + 18, t + h / 2, x0 + 18, t + h / 2);
	for (uint32_t i = 0; i < R->samples; i++) {
		const struct ts_sample *s = &R->s[ph][i];
		double x = l + (i + 0.5) * w / R->samples;
		double lo = (double)((long double)s->g - R->ratio * s->h_exit - R->offset_req);
		double hi = (double)((long double)s->g - R->ratio * s->h_enter - R->offset_req);
		double y0 = t + h / 2 - lo / span * h / 2, y1 = t + h / 2 - hi / span * h / 2;

		if (s->seen)
			fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#2060c0\" stroke-width=\"3\"/>\n",
				x, x, y0, y1 - 1);
	}
}

int ts_write_svg(const char *path, const struct ts_result *R)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return fail_errno(ERR_USAGE, "cannot write --svg %s", path);
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1000\" height=\"370\" font-family=\"sans-serif\">\n"
		   "<rect width=\"1000\" height=\"370\" fill=\"white\"/>\n");
	for (unsigned ph = 0; ph < TS_NPHASES; ph++)
		svg_panel(f, R, ph, ph * 500.0);
	fprintf(f, "<text x=\"20\" y=\"360\" font-size=\"11\">tier %s (%s), %s; offset %" PRId64
		   " set with %s; a bar per reading: the offsets its exit window allows; dashed: the model</text>\n</svg>\n",
		R->tier, R->kvm, R->kernel, R->offset_req, R->method ? R->method : "-");
	if (fclose(f) != 0)
		return fail_errno(ERR_USAGE, "cannot write --svg %s", path);
	return 0;
}
