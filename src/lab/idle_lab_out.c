/* `warden lab idle`'s outputs (lab/idle_lab.h): the table, the JSON and
 * the plot. */
#include "lab/idle_lab.h"

#include <math.h>
#include <time.h>

#include "lab/lab_json.h"
#include "util/error.h"

const char *const idle_kvm_stat[IK_N] = {
	"exits", "halt_exits", "halt_wakeup", "halt_successful_poll", "halt_attempted_poll",
	"halt_poll_invalid", "halt_poll_success_ns", "halt_poll_fail_ns", "halt_wait_ns",
};

const char *const idle_mode_name[IM_N] = { "hlt", "hlt-poll-off", "hlt-poll-on", "idle-call", "hlt-passthrough" };

/* (a) HLT is a halt exit KVM handles (in-kernel LAPIC): none reaches
 * warden; (b) the idle call is one port exit to warden, which then halts
 * the vCPU in KVM (no halt exit: KVM_SET_MP_STATE); (c) polling changes
 * how KVM waits, not the exits; (d) no exit at all. */
double idle_model_warden(enum idle_mode m)
{
	return m == IM_CALL ? 1 : 0;
}

double idle_model_halt(enum idle_mode m)
{
	return m == IM_CALL || m == IM_PASSTHROUGH ? 0 : 1;
}

static double per_idle(const struct idle_run *r, uint64_t v)
{
	return r->idles ? (double)v / (double)r->idles : NAN;
}

static double cpu_ms_per_s(const struct idle_run *r)
{
	return r->wall_ns ? (double)r->cpu_ns / (double)r->wall_ns * 1000.0 : NAN;
}

static void mode_label(char *buf, size_t len, const struct idle_result *R, enum idle_mode m)
{
	if (m == IM_POLL_ON)
		snprintf(buf, len, "hlt-poll-%u", R->poll_ns);
	else if (m == IM_POLL_OFF)
		snprintf(buf, len, "hlt-poll-0");
	else
		snprintf(buf, len, "%s", idle_mode_name[m]);
}

static void print_kvm(FILE *f, const struct idle_run *r, unsigned k)
{
	if (r->kvm_known[k])
		fprintf(f, " %9.3f", per_idle(r, r->kvm[k]));
	else
		fprintf(f, " %9s", "-");
}

void idle_print_table(FILE *f, const struct idle_result *R)
{
	char name[32];

	fprintf(f, "%-18s %8s %9s %8s %9s %9s %10s %10s %10s %8s\n", "mode", "model w", "warden/id", "model h",
		"KVM halt", "polls ok", "lat min", "median ns", "p99 ns", "CPU ms/s");
	for (unsigned m = 0; m < IM_N; m++) {
		const struct idle_run *r = &R->run[m];

		mode_label(name, sizeof(name), R, m);
		if (!r->ok) {
			fprintf(f, "%-18s %s: %s\n", name, r->ran ? "failed" : "skipped", r->why);
			continue;
		}
		fprintf(f, "%-18s %8.0f %9.3f %8.0f", name, idle_model_warden(m), per_idle(r, r->exits),
			idle_model_halt(m));
		print_kvm(f, r, IK_HALT_EXITS);
		print_kvm(f, r, IK_POLL_OK);
		fprintf(f, " %10.0f %10.0f %10.0f %8.1f\n", r->lat_ns.min, r->lat_ns.median, r->lat_ns.p99,
			cpu_ms_per_s(r));
	}
	fprintf(f, "model: HLT is one halt exit per idle, handled in KVM (none reaches warden); the idle call is\n"
		   "one exit to warden per call and no halt exit; halt polling keeps the exits and trades host CPU\n"
		   "for wake-up latency; HLT passthrough has no exit.  %u idles per mode, timer %u us; KVM's default\n"
		   "halt_poll_ns here: %ld.  w: exits to warden per idle entry; h: KVM halt exits per idle entry.\n"
		   "Woken by %s; CPU: the idling vCPU's thread.\n",
		R->iterations, R->delay_us, R->host_halt_poll_ns,
		R->wake_ipi ? "an IPI from vCPU 1 (spinning until the deadline)" : "the vCPU's own TSC-deadline timer");
}

static void json_run(FILE *f, const struct idle_result *R, enum idle_mode m)
{
	const struct idle_run *r = &R->run[m];
	char name[32];

	mode_label(name, sizeof(name), R, m);
	fprintf(f, "    {\"mode\": \"%s\", \"status\": \"%s\"", name, r->ok ? "measured" : r->ran ? "failed" : "skipped");
	if (!r->ok) {
		fprintf(f, ", \"reason\": ");
		lab_json_str(f, r->why);
		fputc('}', f);
		return;
	}
	fprintf(f, ", \"idles\": %llu, \"exits_to_warden\": %llu, \"exits_to_warden_per_idle\": ",
		(unsigned long long)r->idles, (unsigned long long)r->exits);
	lab_json_num(f, per_idle(r, r->exits), 6);
	fprintf(f, ", \"kvm\": {");
	for (unsigned k = 0, first = 1; k < IK_N; k++)
		if (r->kvm_known[k]) {
			fprintf(f, "%s\"%s\": %llu", first ? "" : ", ", idle_kvm_stat[k], (unsigned long long)r->kvm[k]);
			first = 0;
		}
	fprintf(f, "}, \"halt_exits_per_idle\": ");
	if (r->kvm_known[IK_HALT_EXITS])
		lab_json_num(f, per_idle(r, r->kvm[IK_HALT_EXITS]), 6);
	else
		fputs("null", f);
	fprintf(f, ", \"latency_ns\": {\"min\": %.0f, \"median\": %.0f, \"p99\": %.0f, \"max\": %.0f}", r->lat_ns.min,
		r->lat_ns.median, r->lat_ns.p99, r->lat_ns.max);
	fprintf(f, ", \"wall_s\": ");
	lab_json_num(f, (double)r->wall_ns / 1e9, 6);
	fprintf(f, ", \"host_cpu_ms_per_s\": ");
	lab_json_num(f, cpu_ms_per_s(r), 6);
	fputc('}', f);
}

int idle_write_json(const char *path, const struct idle_result *R)
{
	FILE *f = lab_json_open(path, "idle", R->tier, R->kvm, R->kernel);

	if (!f)
		return -1;
	fprintf(f, ", \"host_halt_poll_ns\": %ld, \"capabilities\": {\"KVM_CAP_HALT_POLL\": %d, "
		   "\"KVM_CAP_X86_DISABLE_EXITS\": %d, \"KVM_CAP_TSC_DEADLINE_TIMER\": %d}, \"tsc_khz\": %llu},\n",
		R->host_halt_poll_ns, R->cap_halt_poll, R->cap_disable_exits, R->cap_tsc_deadline,
		(unsigned long long)R->tsc_khz);
	fprintf(f, "  \"params\": {\"iterations\": %u, \"warmup\": %u, \"delay_us\": %u, \"poll_ns\": %u, "
		   "\"wake\": \"%s\"},\n", R->iterations, R->warmup, R->delay_us, R->poll_ns, R->wake_ipi ? "ipi" : "timer");
	fprintf(f, "  \"model\": {\"claim\": \"a paravirtual idle call replaces a halt exit per idle entry; halt "
		   "polling trades host CPU for wake-up latency\", \"modes\": [");
	for (unsigned m = 0; m < IM_N; m++) {
		char name[32];

		mode_label(name, sizeof(name), R, m);
		fprintf(f, "%s\n    {\"mode\": \"%s\", \"exits_to_warden_per_idle\": %.0f, \"halt_exits_per_idle\": %.0f}",
			m ? "," : "", name, idle_model_warden(m), idle_model_halt(m));
	}
	fprintf(f, "],\n    \"latency\": \"polling (hlt-poll-on) lowers it where the timer fires within the poll "
		   "window, at the cost of host CPU while polling\"},\n  \"measured\": [\n");
	for (unsigned m = 0; m < IM_N; m++) {
		json_run(f, R, m);
		fputs(m + 1 < IM_N ? ",\n" : "\n", f);
	}
	fputs("  ]\n}\n", f);
	if (fclose(f) != 0)
		return fail_errno(ERR_USAGE, "cannot write --json %s", path);
	return 0;
}

/* The plot: a row per mode; left, the wake-up latency on a log axis from
 * 1 us to 10 ms (a line from min to p99, a dot at the median); right, the
 * host CPU per second of idle (a bar, 0 to 1000 ms/s). */
#define SV_ROW 34
#define SV_TOP 40
#define SV_LX 140
#define SV_LW 420
#define SV_CX 620
#define SV_CW 240

static double lat_x(double ns)
{
	double l = log10(ns < 1000 ? 1000 : ns > 1e7 ? 1e7 : ns);

	return SV_LX + (l - 3) / 4 * SV_LW;
}

static void svg_axes(FILE *f, int h)
{
	static const char *const dec[] = { "1 us", "10 us", "100 us", "1 ms", "10 ms" };

	for (int d = 0; d <= 4; d++) {
		double x = SV_LX + d * SV_LW / 4.0;

		fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>"
			   "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">%s</text>\n",
			x, SV_TOP - 6, x, h - 30, x, h - 18, dec[d]);
	}
	for (int c = 0; c <= 1000; c += 250) {
		double x = SV_CX + c * SV_CW / 1000.0;

		fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>"
			   "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">%d</text>\n",
			x, SV_TOP - 6, x, h - 30, x, h - 18, c);
	}
	fprintf(f, "<text x=\"%d\" y=\"20\" font-size=\"12\">wake-up latency (line min-p99, dot median)</text>"
		   "<text x=\"%d\" y=\"20\" font-size=\"12\">host CPU, ms per s of idle</text>\n", SV_LX, SV_CX);
}

static void svg_row(FILE *f, const struct idle_result *R, enum idle_mode m, int y)
{
	const struct idle_run *r = &R->run[m];
	char name[32];

	mode_label(name, sizeof(name), R, m);
	fprintf(f, "<text x=\"8\" y=\"%d\" font-size=\"11\">%s</text>\n", y + 4, name);
	if (!r->ok) {
		fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"#888\">%s</text>\n", SV_LX, y + 4,
			r->ran ? "failed" : "skipped");
		return;
	}
	fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#1f77b4\" stroke-width=\"3\"/>"
		   "<circle cx=\"%.1f\" cy=\"%d\" r=\"5\" fill=\"#d62728\"/>\n",
		lat_x(r->lat_ns.min), y, lat_x(r->lat_ns.p99), y, lat_x(r->lat_ns.median), y);
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"14\" fill=\"#2ca02c\"/>"
		   "<text x=\"%.1f\" y=\"%d\" font-size=\"10\">%.0f</text>\n",
		SV_CX, y - 7, fmin(cpu_ms_per_s(r), 1000) * SV_CW / 1000.0,
		SV_CX + fmin(cpu_ms_per_s(r), 1000) * SV_CW / 1000.0 + 4, y + 4, cpu_ms_per_s(r));
}

int idle_write_svg(const char *path, const struct idle_result *R)
{
	FILE *f = fopen(path, "w");
	int h = SV_TOP + IM_N * SV_ROW + 50;

	if (!f)
		return fail_errno(ERR_USAGE, "cannot write --svg %s", path);
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"900\" height=\"%d\" font-family=\"sans-serif\">\n"
		   "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n", h);
	svg_axes(f, h);
	for (unsigned m = 0; m < IM_N; m++)
		svg_row(f, R, m, SV_TOP + 10 + (int)m * SV_ROW);
	fprintf(f, "<text x=\"8\" y=\"%d\" font-size=\"11\">warden lab idle: tier %s (%s, %s), %u idles per mode, "
		   "woken %u us later by %s</text>\n</svg>\n", h - 4, R->tier, R->kvm, R->kernel, R->iterations, R->delay_us,
		R->wake_ipi ? "an IPI" : "the timer");
	if (fclose(f) != 0)
		return fail_errno(ERR_USAGE, "cannot write --svg %s", path);
	return 0;
}
