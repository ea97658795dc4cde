/* Attribution: which ports, MMIO addresses, MSRs and devices the exits
 * came from, by count and by time, and the accesses no device claimed. */
#include <stdlib.h>
#include <string.h>

#include "report/fmt.h"
#include "report/jget.h"
#include "report/markup.h"
#include "report/sections.h"
#include "report/svg.h"

#define TOP_BARS 10
#define MAX_TABLE_ROWS 100

struct attr_row {
	const char *label; /* the port, address, MSR or device */
	const char *sub;   /* its device or source, or NULL */
	const char *name;  /* what the bars show next to the label, or NULL */
	double count, ns;
};

struct attr {
	struct attr_row *row;
	size_t n;
	double count, ns; /* totals */
};

/* Names of the MSRs a Linux guest touches most (Intel SDM vol. 4, the
 * x2APIC register map, and KVM's paravirtual MSRs). */
static const char *msr_name(const char *msr)
{
	static const struct { unsigned long long msr; const char *name; } names[] = {
		{ 0x10, "TSC" }, { 0x1b, "APIC_BASE" }, { 0x3a, "FEATURE_CONTROL" },
		{ 0x48, "SPEC_CTRL" }, { 0x49, "PRED_CMD" }, { 0x8b, "UCODE_REV" },
		{ 0xe7, "MPERF" }, { 0xe8, "APERF" }, { 0x10a, "ARCH_CAPABILITIES" },
		{ 0x1a0, "MISC_ENABLE" }, { 0x277, "PAT" }, { 0x6e0, "TSC_DEADLINE" },
		{ 0x802, "x2APIC ID" }, { 0x808, "x2APIC TPR" }, { 0x80b, "x2APIC EOI" },
		{ 0x80f, "x2APIC SVR" }, { 0x830, "x2APIC ICR" }, { 0x832, "x2APIC LVT timer" },
		{ 0x838, "x2APIC TMICT" }, { 0x839, "x2APIC TMCCT" }, { 0x83e, "x2APIC TDCR" },
		{ 0xc0000080, "EFER" }, { 0xc0000081, "STAR" }, { 0xc0000082, "LSTAR" },
		{ 0xc0000084, "SFMASK" }, { 0xc0000100, "FS_BASE" }, { 0xc0000101, "GS_BASE" },
		{ 0xc0000102, "KERNEL_GS_BASE" }, { 0xc0000103, "TSC_AUX" },
		{ 0x4b564d00, "KVM_WALL_CLOCK" }, { 0x4b564d01, "KVM_SYSTEM_TIME" },
		{ 0x4b564d02, "KVM_ASYNC_PF_EN" }, { 0x4b564d03, "KVM_STEAL_TIME" },
		{ 0x4b564d04, "KVM_PV_EOI_EN" },
	};
	char *end;
	unsigned long long v = strtoull(msr, &end, 0);

	if (end == msr || *end)
		return NULL;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].msr == v)
			return names[i].name;
	return NULL;
}

static int by_count(const void *a, const void *b)
{
	const struct attr_row *x = a, *y = b;

	return x->count != y->count ? (x->count < y->count ? 1 : -1) : strcmp(x->label, y->label);
}

static int by_time(const void *a, const void *b)
{
	const struct attr_row *x = a, *y = b;

	return x->ns != y->ns ? (x->ns < y->ns ? 1 : -1) : strcmp(x->label, y->label);
}

/* Rows from an array of objects: LABEL_KEY and SUB_KEY are strings. */
static int attr_from_array(struct attr *a, json_object *arr, const char *label_key, const char *sub_key)
{
	size_t len = arr ? json_object_array_length(arr) : 0;

	memset(a, 0, sizeof(*a));
	if (len && !(a->row = calloc(len, sizeof(*a->row))))
		return -1;
	for (size_t i = 0; i < len; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		const char *label = jstr(e, label_key);

		if (!label)
			continue;
		a->row[a->n++] = (struct attr_row){ label, jstr(e, sub_key), NULL, jcount(e, "count"),
						    jcount(e, "total_ns") };
		/* Bars name a port or address by its device, an MSR by what it is. */
		a->row[a->n - 1].name = strcmp(sub_key, "device") == 0 ? jstr(e, sub_key) : msr_name(label);
		a->count += jcount(e, "count");
		a->ns += jcount(e, "total_ns");
	}
	return 0;
}

/* Rows from the "devices" object: name -> {count, total_ns}. */
static int attr_from_devices(struct attr *a, json_object *devices)
{
	size_t len = devices ? (size_t)json_object_object_length(devices) : 0;

	memset(a, 0, sizeof(*a));
	if (len == 0)
		return 0;
	if (!(a->row = calloc(len, sizeof(*a->row))))
		return -1;
	json_object_object_foreach(devices, name, v) {
		if (a->n >= len || !json_object_is_type(v, json_type_object))
			continue;
		a->row[a->n++] = (struct attr_row){ name, NULL, NULL, jcount(v, "count"), jcount(v, "total_ns") };
		a->count += jcount(v, "count");
		a->ns += jcount(v, "total_ns");
	}
	return 0;
}

/* Horizontal bars of the TOP_BARS largest rows by count or by time. */
static void attr_bars(FILE *f, struct attr *a, const char *id, int time)
{
	size_t n = a->n < TOP_BARS ? a->n : TOP_BARS;
	double row_h = 22, top = 10, max = 0;
	char label[160], val[48], title[96];
	struct plot p;

	qsort(a->row, a->n, sizeof(*a->row), time ? by_time : by_count);
	for (size_t i = 0; i < n; i++)
		max = time ? (a->row[i].ns > max ? a->row[i].ns : max) : (a->row[i].count > max ? a->row[i].count : max);
	snprintf(title, sizeof(title), "%s", time ? "time spent handling" : "exits");
	svg_open(f, id, "plot attribution", 575, (int)(top + row_h * n + 44), title);
	plot_init(&p, f, 170, top, 330, row_h * n);
	scale_fit(&p.xs, SCALE_LINEAR, 0, max);
	p.xs.p0 = p.x, p.xs.p1 = p.x + p.w;
	svg_axis_x(&p, time ? "time spent handling" : "exits", time ? fmt_ns_tick : fmt_si, 6);
	for (size_t i = 0; i < n; i++) {
		const struct attr_row *r = &a->row[i];
		double v = time ? r->ns : r->count, y = top + row_h * i;

		snprintf(label, sizeof(label), "%s%s%s", r->label, r->name ? " " : "", r->name ? r->name : "");
		svg_text(f, p.x - 8, y + row_h / 2 + 4, "end", "bar-label", label, 24);
		if (time)
			fmt_ns(v, val, sizeof(val));
		else
			fmt_count(v, val, sizeof(val));
		svg_rect(f, p.x, y + 3, scale_px(&p.xs, v) - p.x, row_h - 6, time ? "#e69f00" : "#0072b2", "bar", label);
		svg_text(f, scale_px(&p.xs, v) + 5, y + row_h / 2 + 4, "start", "bar-label", val, 0);
	}
	svg_close(f);
}

static void attr_table(FILE *f, struct attr *a, const char *label_head, const char *sub_head)
{
	char head[160], buf[64];
	size_t n = a->n < MAX_TABLE_ROWS ? a->n : MAX_TABLE_ROWS;

	qsort(a->row, a->n, sizeof(*a->row), by_count);
	snprintf(head, sizeof(head), "%s%s%s|>exits|>share|>time|>share of time|>mean per exit",
		 label_head, sub_head ? "|" : "", sub_head ? sub_head : "");
	html_table_open(f, "attribution-table", head);
	for (size_t i = 0; i < n; i++) {
		const struct attr_row *r = &a->row[i];

		fputs("<tr>", f);
		html_td(f, r->label);
		if (sub_head)
			html_td(f, r->sub ? r->sub : "");
		html_td_num(f, fmt_count(r->count, buf, sizeof(buf)));
		html_td_num(f, fmt_pct(r->count, a->count, buf, sizeof(buf)));
		html_td_num(f, fmt_ns(r->ns, buf, sizeof(buf)));
		html_td_num(f, fmt_pct(r->ns, a->ns, buf, sizeof(buf)));
		html_td_num(f, r->count > 0 ? fmt_ns(r->ns / r->count, buf, sizeof(buf)) : "-");
		fputs("</tr>\n", f);
	}
	html_table_close(f);
	if (a->n > n)
		fprintf(f, "<p class=\"note\">%zu more not listed.</p>\n", a->n - n);
}

/* One kind of source: heading, bars by count and by time, the table. */
static void attr_block(FILE *f, struct attr *a, const char *title, const char *id,
		       const char *label_head, const char *sub_head, const char *why_missing)
{
	char idbuf[64];

	fputs("<h3>", f);
	fmt_escape(f, title);
	fputs("</h3>\n", f);
	if (a->n == 0) {
		html_missing(f, title, why_missing);
		return;
	}
	fputs("<div class=\"pair\">\n", f);
	snprintf(idbuf, sizeof(idbuf), "attr-%s-count", id);
	attr_bars(f, a, idbuf, 0);
	snprintf(idbuf, sizeof(idbuf), "attr-%s-time", id);
	if (a->ns > 0)
		attr_bars(f, a, idbuf, 1);
	fputs("</div>\n", f);
	if (!(a->ns > 0))
		fputs("<p class=\"note\">No handling time recorded for these.</p>\n", f);
	attr_table(f, a, label_head, sub_head);
}

/* Unclaimed accesses sort by space, then by address as a number. */
static int by_address(const void *a, const void *b)
{
	json_object *x = *(json_object *const *)a, *y = *(json_object *const *)b;
	const char *sx = jstr(x, "space"), *sy = jstr(y, "space");
	const char *ax = jstr(x, "addr"), *ay = jstr(y, "addr");
	int c = strcmp(sx ? sx : "", sy ? sy : "");
	unsigned long long nx, ny;

	if (c)
		return c;
	nx = ax ? strtoull(ax, NULL, 0) : 0;
	ny = ay ? strtoull(ay, NULL, 0) : 0;
	if (nx != ny)
		return nx < ny ? -1 : 1;
	return strcmp(ax ? ax : "", ay ? ay : "");
}

static void unclaimed(FILE *f, json_object *stats)
{
	json_object *arr = jarr(jobj(stats, "attribution"), "unclaimed"), **e;
	size_t n;
	char buf[64];

	if (!arr)
		arr = jarr(stats, "unclaimed"); /* --stats files before the observatory */
	fputs("<h3>Unclaimed accesses</h3>\n", f);
	if (!arr) {
		html_missing(f, "Unclaimed accesses", "the statistics have no list of them");
		return;
	}
	n = json_object_array_length(arr);
	if (n == 0) {
		fputs("<p class=\"note\">None: every port and MMIO access went to a device.</p>\n", f);
		return;
	}
	if (!(e = calloc(n, sizeof(*e))))
		return;
	for (size_t i = 0; i < n; i++)
		e[i] = json_object_array_get_idx(arr, i);
	qsort(e, n, sizeof(*e), by_address);
	fputs("<p class=\"note\">Port and MMIO accesses no device registered, by address "
	      "(reads return all ones, writes are dropped).</p>\n", f);
	html_table_open(f, "unclaimed-table", "space|address|>exits");
	for (size_t i = 0; i < n && i < MAX_TABLE_ROWS; i++) {
		fputs("<tr>", f);
		html_td(f, jstr(e[i], "space") ? jstr(e[i], "space") : "?");
		html_td(f, jstr(e[i], "addr") ? jstr(e[i], "addr") : "?");
		html_td_num(f, fmt_count(jcount(e[i], "count"), buf, sizeof(buf)));
		fputs("</tr>\n", f);
	}
	html_table_close(f);
	if (jcount(stats, "unclaimed_overflow") > 0)
		fprintf(f, "<p class=\"note\">%s more accesses to addresses beyond the tracked ones.</p>\n",
			fmt_count(jcount(stats, "unclaimed_overflow"), buf, sizeof(buf)));
	free(e);
}

static void device_work(FILE *f, json_object *stats)
{
	static const char *const cols[] = { "exits", "requests", "bytes", "notifies", "interrupts", "errors",
					    "notifies_suppressed", "interrupts_suppressed", "poll_us", "cpu_us",
					    "throttled" };
	json_object *dw = jobj(stats, "device_work");
	char buf[64];

	if (!dw || json_object_object_length(dw) == 0)
		return;
	fputs("<h3>Device work next to exits</h3>\n", f);
	html_table_open(f, "device-work-table",
			"device|>exits|>requests|>bytes|>notifies|>interrupts|>errors|>notifies suppressed|"
			">interrupts suppressed|>polling us|>I/O thread CPU us|>rate limiter waits|>exits per request");
	json_object_object_foreach(dw, name, v) {
		double req = jcount(v, "requests");

		fputs("<tr>", f);
		html_td(f, name);
		for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
			double n;

			/* A file from before the cost counters: "-", not 0. */
			html_td_num(f, jnum(v, cols[i], &n) ? fmt_count(n < 0 ? 0 : n, buf, sizeof(buf)) : "-");
		}
		if (req > 0)
			snprintf(buf, sizeof(buf), "%.2f", jcount(v, "exits") / req);
		html_td_num(f, req > 0 ? buf : "-");
		fputs("</tr>\n", f);
	}
	html_table_close(f);
}

void section_attribution(FILE *f, json_object *stats)
{
	json_object *at = jobj(stats, "attribution");
	struct attr a;

	fputs("<h2 id=\"sec-attribution\">Where the exits came from</h2>\n", f);
	if (!stats) {
		html_missing(f, "Attribution", "the file has no final line");
		return;
	}
	if (attr_from_devices(&a, jobj(stats, "devices")) == 0)
		attr_block(f, &a, "Devices", "devices", "device", NULL, "no exit was handled by a device");
	free(a.row);
	if (attr_from_array(&a, jarr(at, "ports"), "port", "device") == 0)
		attr_block(f, &a, "I/O ports", "ports", "port", "device", "no port attribution in the statistics");
	free(a.row);
	if (attr_from_array(&a, jarr(at, "mmio"), "addr", "device") == 0)
		attr_block(f, &a, "MMIO addresses", "mmio", "address", "device",
			   "no MMIO attribution in the statistics");
	free(a.row);
	if (attr_from_array(&a, jarr(at, "msrs"), "msr", "source") == 0)
		attr_block(f, &a, "MSRs", "msrs", "MSR", "source",
			   jobj(stats, "exit_trace") ? "the exit trace saw no MSR exit" : WHY_NO_TRACE(stats));
	free(a.row);
	unclaimed(f, stats);
	device_work(f, stats);
}
