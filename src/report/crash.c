/* The crash report (the --stats "crash" object, docs/observatory.md):
 * only for a run that ended badly.  Its explanation line, the guest's last
 * console lines and the crashed vCPU's last exits and what KVM delivered.
 * Every list is bounded by the writer; the page caps them again, since
 * the file may come from anywhere. */
#include <string.h>

#include "report/fmt.h"
#include "report/jget.h"
#include "report/markup.h"
#include "report/sections.h"

#define MAX_ROWS 64     /* per list, whatever the file holds */
#define MAX_CHARS 400   /* per cell */

static void console(FILE *f, json_object *crash)
{
	json_object *lines = jarr(crash, "console_tail");
	size_t n = lines ? json_object_array_length(lines) : 0;

	fputs("<h3>The guest's last console lines</h3>\n", f);
	if (!n) {
		fputs("<p class=\"note\">none</p>\n", f);
		return;
	}
	fputs("<pre>", f);
	for (size_t i = n > MAX_ROWS ? n - MAX_ROWS : 0; i < n; i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(lines, i));

		fmt_escape_max(f, s ? s : "", MAX_CHARS);
		fputs("\n", f);
	}
	fputs("</pre>\n", f);
}

/* The first vCPU entry of LIST (an array of {"vcpu": N, KEY: [...]}) whose
 * vCPU is ID, or the first one. */
static json_object *vcpu_list(json_object *crash, const char *list, const char *key, double id)
{
	json_object *a = jarr(crash, list);
	size_t n = a ? json_object_array_length(a) : 0;
	double v;

	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(a, i);

		if (jnum(o, "vcpu", &v) && v == id)
			return jarr(o, key);
	}
	return n ? jarr(json_object_array_get_idx(a, 0), key) : NULL;
}

static void cell(FILE *f, json_object *o, const char *key)
{
	const char *s = jstr(o, key);

	fputs("<td>", f);
	fmt_escape_max(f, s ? s : "", MAX_CHARS);
	fputs("</td>", f);
}

static void exits(FILE *f, json_object *crash, double id)
{
	json_object *a = vcpu_list(crash, "last_exits", "exits", id);
	size_t n = a ? json_object_array_length(a) : 0;
	char b[48];

	fputs("<h3>The last exits that reached warden</h3>\n", f);
	html_table_open(f, "crash-exits", ">#|reason|address|access|device|guest RIP");
	for (size_t i = n > MAX_ROWS ? n - MAX_ROWS : 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(a, i);
		json_object *w = NULL;

		fputs("<tr>", f);
		html_td_num(f, fmt_count(jcount(o, "seq"), b, sizeof(b)));
		cell(f, o, "reason");
		cell(f, o, "addr");
		json_object_object_get_ex(o, "write", &w);
		html_td(f, w ? (json_object_get_boolean(w) ? "write" : "read") : "");
		cell(f, o, "device");
		cell(f, o, "rip");
		fputs("</tr>\n", f);
	}
	html_table_close(f);
}

static void delivered(FILE *f, json_object *stats, json_object *crash, double id)
{
	json_object *a = vcpu_list(crash, "kvm_delivered", "events", id);
	size_t n = a ? json_object_array_length(a) : 0;

	fputs("<h3>What KVM did last (exits, injected exceptions and interrupts)</h3>\n", f);
	if (!jarr(crash, "kvm_delivered")) {
		html_missing(f, "What KVM delivered", why_missing(crash, "kvm_delivered_missing",
								    WHY_NO_TRACE(stats)));
		return;
	}
	html_table_open(f, "crash-kvm", "event|reason or vector|guest RIP|error code");
	for (size_t i = n > MAX_ROWS ? n - MAX_ROWS : 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(a, i);
		const char *type = jstr(o, "type");

		fputs("<tr>", f);
		cell(f, o, "type");
		cell(f, o, type && strcmp(type, "exit") == 0 ? "reason" : "name");
		cell(f, o, "rip");
		cell(f, o, "error_code");
		fputs("</tr>\n", f);
	}
	html_table_close(f);
}

void section_crash(FILE *f, json_object *stats)
{
	json_object *crash = jobj(stats, "crash");
	const char *why = crash ? jstr(crash, "explanation") : NULL;
	double id = 0;

	if (!crash)
		return; /* the VM did not end badly: nothing to explain */
	fputs("<h2 id=\"sec-crash\">Why the VM ended: ", f);
	fmt_escape_max(f, jstr(crash, "end_reason") ? jstr(crash, "end_reason") : "?", 40);
	fputs("</h2>\n<p>", f);
	fmt_escape_max(f, why ? why : "", 4 * MAX_CHARS);
	fputs("</p>\n", f);
	jnum(crash, "vcpu", &id);
	console(f, crash);
	exits(f, crash, id);
	delivered(f, stats, crash, id);
}
