/* The crash report as the `crash` object of the --stats JSON
 * (accounting/crash.h, docs/observatory.md). */
#include "accounting/crash.h"

#include <string.h>

#include "accounting/exit_stats.h"
#include "accounting/exit_trace.h"
#include "accounting/last_exits.h"
#include "core/bus.h"
#include "core/exit.h"

static void add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

static void add_hex(json_object *o, const char *k, uint64_t v)
{
	char b[24];

	snprintf(b, sizeof(b), "0x%llx", (unsigned long long)v);
	add_str(o, k, b);
}

static void add_bool(json_object *o, const char *k, bool v)
{
	json_object_object_add(o, k, json_object_new_boolean(v));
}

static json_object *events_json(const struct vcpu_crash *s)
{
	const struct kvm_vcpu_events *e = &s->events;
	json_object *o = json_object_new_object(), *x = json_object_new_object();
	char nb[32];

	add_bool(x, "pending", e->exception.pending);
	add_bool(x, "injected", e->exception.injected);
	json_object_object_add(x, "vector", json_object_new_int(e->exception.nr));
	add_str(x, "name", crash_vector_name(e->exception.nr, nb, sizeof(nb)));
	if (e->exception.has_error_code)
		add_hex(x, "error_code", e->exception.error_code);
	json_object_object_add(o, "exception", x);
	x = json_object_new_object();
	add_bool(x, "injected", e->interrupt.injected);
	json_object_object_add(x, "vector", json_object_new_int(e->interrupt.nr));
	json_object_object_add(o, "interrupt", x);
	add_bool(o, "nmi_pending", e->nmi.pending);
	add_bool(o, "nmi_injected", e->nmi.injected);
	if (s->triple_fault_event)
		add_bool(o, "triple_fault_pending", e->triple_fault.pending);
	else
		json_object_object_add(o, "triple_fault_pending", NULL);
	add_bool(o, "triple_fault_event", s->triple_fault_event);
	return o;
}

static json_object *regs_json(const struct vcpu_crash *s)
{
	json_object *o = json_object_new_object();

	add_hex(o, "rip", s->rip);
	add_hex(o, "rsp", s->rsp);
	add_hex(o, "cr0", s->cr0);
	add_hex(o, "cr2", s->cr2);
	add_hex(o, "cr3", s->cr3);
	add_hex(o, "cr4", s->cr4);
	add_hex(o, "efer", s->efer);
	return o;
}

static json_object *exit_json(const struct stats_report *r, const struct last_exit *e)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "seq", json_object_new_uint64(e->seq));
	add_str(o, "reason", stats_reason_name(e->slot));
	if (e->kind == EXIT_ACCESS || e->kind == EXIT_MSR) {
		add_str(o, "space", bus_space_name((enum bus_space)e->space));
		add_hex(o, "addr", e->addr);
		add_bool(o, "write", e->write);
		json_object_object_add(o, "size", json_object_new_int(e->size));
		add_str(o, "device", e->dev >= 0 && (unsigned)e->dev < r->ndevices && r->device_name[e->dev]
					     ? r->device_name[e->dev] : "(unclaimed)");
	}
	if (e->has_rip)
		add_hex(o, "rip", e->rip);
	return o;
}

static json_object *last_exits_json(const struct stats_report *r)
{
	json_object *a = json_object_new_array();
	struct last_exit ex[LAST_EXITS];

	for (unsigned id = 0; id < r->nvcpus; id++) {
		json_object *v = json_object_new_object(), *l = json_object_new_array();
		unsigned n = last_exits_get(&r->vcpu[id].last, ex);

		json_object_object_add(v, "vcpu", json_object_new_int((int)id));
		json_object_object_add(v, "total", json_object_new_uint64(r->vcpu[id].last.n));
		for (unsigned i = 0; i < n; i++)
			json_object_array_add(l, exit_json(r, &ex[i]));
		json_object_object_add(v, "exits", l);
		json_object_array_add(a, v);
	}
	return a;
}

static json_object *trace_event_json(const struct stats_report *r, const struct trace_event *e)
{
	json_object *o = json_object_new_object();
	char nb[64];

	json_object_object_add(o, "time_ns", json_object_new_uint64(e->time));
	if (e->type == TEV_EXIT) {
		add_str(o, "type", "exit");
		add_str(o, "reason", exit_trace_reason_name(r->trace, e->code, nb, sizeof(nb)));
		json_object_object_add(o, "code", json_object_new_int((int)e->code));
		add_hex(o, "rip", e->rip);
		if (crash_delivery_name(e, nb, sizeof(nb)))
			add_str(o, "delivering", nb);
	} else if (e->type == TEV_EXCEPTION) {
		add_str(o, "type", "exception");
		json_object_object_add(o, "vector", json_object_new_int((int)e->code));
		add_str(o, "name", crash_vector_name(e->code, nb, sizeof(nb)));
		if (e->has_error)
			add_hex(o, "error_code", e->error_code);
	} else {
		add_str(o, "type", "interrupt");
		json_object_object_add(o, "vector", json_object_new_int((int)e->code));
	}
	return o;
}

static json_object *delivered_json(const struct stats_report *r)
{
	json_object *a = json_object_new_array();
	struct trace_event ev[TRACE_LAST_EVENTS];

	for (unsigned id = 0; id < r->nvcpus; id++) {
		json_object *v = json_object_new_object(), *l = json_object_new_array();
		unsigned n = exit_trace_last_events(r->trace, id, ev);

		json_object_object_add(v, "vcpu", json_object_new_int((int)id));
		for (unsigned i = 0; i < n; i++)
			json_object_array_add(l, trace_event_json(r, &ev[i]));
		json_object_object_add(v, "events", l);
		json_object_array_add(a, v);
	}
	return a;
}

static json_object *console_json(const struct crash_info *c)
{
	json_object *a = json_object_new_array();
	const char *s = c ? c->console : "";

	while (c && c->console_len && *s) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);

		json_object_array_add(a, json_object_new_string_len(s, (int)len));
		s += len + (nl ? 1 : 0);
	}
	return a;
}

/* KVM's view of the vCPU that ended the VM. */
static void add_vcpu_state(json_object *o, const struct crash_info *c)
{
	json_object_object_add(o, "vcpu", json_object_new_int((int)c->vcpu));
	add_str(o, "exit", stats_reason_name(c->slot));
	if (c->state.events_ok)
		json_object_object_add(o, "kvm_events", events_json(&c->state));
	if (c->state.regs_ok)
		json_object_object_add(o, "registers", regs_json(&c->state));
}

json_object *crash_json(const struct stats_report *r)
{
	json_object *o = json_object_new_object();
	static char line[8192];

	add_str(o, "end_reason", r->end_reason ? r->end_reason : "");
	crash_explain(r, line, sizeof(line));
	add_str(o, "explanation", line);
	if (r->crash && r->crash->captured)
		add_vcpu_state(o, r->crash);
	json_object_object_add(o, "last_exits", last_exits_json(r));
	if (r->trace)
		json_object_object_add(o, "kvm_delivered", delivered_json(r));
	else
		add_str(o, "kvm_delivered_missing",
			r->trace_missing ? r->trace_missing : "needs --exit-trace");
	json_object_object_add(o, "console_tail", console_json(r->crash));
	return o;
}
