#include "accounting/crash.h"

#include <stdarg.h>
#include <string.h>

#include "accounting/exit_stats.h"
#include "accounting/exit_trace.h"
#include "accounting/last_exits.h"
#include "core/bus.h"
#include "core/exit.h"

#define EXPLAIN_EXITS 3 /* exits in the explanation line */
#define EXPLAIN_LINES 3 /* console lines in the explanation line */
#define CHAIN_MAX 4     /* exceptions in the chain */

void crash_record(struct crash_info *c, unsigned vcpu, const struct exit_record *r,
		  const struct vcpu_crash *s)
{
	int expected = 0;

	if (!atomic_compare_exchange_strong(&c->taken, &expected, 1))
		return;
	c->vcpu = vcpu;
	c->slot = r->slot;
	c->kind = (uint8_t)r->kind;
	c->detail = r->detail;
	c->state = *s;
	c->captured = true;
}

void crash_keep_console(struct crash_info *c, struct text_tail *tail)
{
	c->console_len = text_tail_lines(tail, TEXT_TAIL_LINES, c->console, sizeof(c->console));
}

bool crash_wanted(const struct stats_report *r)
{
	static const char *const bad[] = { "triple-fault", "kvm-internal-error", "warden-bug" };

	for (unsigned i = 0; r->end_reason && i < 3; i++)
		if (strcmp(r->end_reason, bad[i]) == 0)
			return true;
	return false;
}

const char *crash_vector_name(uint32_t v, char *buf, size_t len)
{
	static const char *const names[] = {
		"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#MF(9)",
		"#TS", "#NP", "#SS", "#GP", "#PF", NULL, "#MF", "#AC", "#MC", "#XM",
		"#VE", "#CP",
	};

	if (v < sizeof(names) / sizeof(names[0]) && names[v])
		snprintf(buf, len, "%s", names[v]);
	else
		snprintf(buf, len, "vector %u", v);
	return buf;
}

/* The interruption-information layout both vendors share: valid bit 31,
 * type in bits 8-10, vector in 0-7, bit 11 "an error code was pushed". */
#define INTR_INFO_VALID 0x80000000u
#define INTR_INFO_HAS_ERROR 0x800u
#define INTR_INFO_TYPE(i) (((i) >> 8) & 7)
#define INTR_TYPE_EXTERNAL 0
#define INTR_TYPE_NMI 2
#define INTR_TYPE_EXCEPTION 3

const char *crash_delivery_name(const struct trace_event *e, char *buf, size_t len)
{
	char nb[32];
	uint32_t i = e->intr_info;

	if (e->type != TEV_EXIT || !(i & INTR_INFO_VALID))
		return NULL;
	switch (INTR_INFO_TYPE(i)) {
	case INTR_TYPE_EXTERNAL: snprintf(buf, len, "interrupt %u", i & 0xff); break;
	case INTR_TYPE_NMI: snprintf(buf, len, "NMI"); break;
	case INTR_TYPE_EXCEPTION:
		crash_vector_name(i & 0xff, nb, sizeof(nb));
		if (i & INTR_INFO_HAS_ERROR)
			snprintf(buf, len, "%s (error code 0x%x)", nb, e->error_code);
		else
			snprintf(buf, len, "%s", nb);
		break;
	default: snprintf(buf, len, "software interrupt or exception %u", i & 0xff); break;
	}
	return buf;
}

/* Append to BUF (LEN bytes, NUL-terminated) at *O, never past its end. */
static void put(char *buf, size_t len, size_t *o, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void put(char *buf, size_t len, size_t *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*o + 1 >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *o, len - *o, fmt, ap);
	va_end(ap);
	if (n > 0)
		*o = *o + (size_t)n < len ? *o + (size_t)n : len - 1;
}

/* "io write 0x3f8 (serial) rip 0x100012" */
void crash_describe_exit(const struct stats_report *r, const struct last_exit *e, char *buf,
			 size_t len)
{
	size_t o = 0;

	put(buf, len, &o, "%s", stats_reason_name(e->slot));
	if (e->kind == EXIT_ACCESS || e->kind == EXIT_MSR)
		put(buf, len, &o, " %s 0x%llx (%s)", e->write ? "write" : "read",
		    (unsigned long long)e->addr,
		    e->dev >= 0 && (unsigned)e->dev < r->ndevices && r->device_name[e->dev]
			    ? r->device_name[e->dev] : "unclaimed");
	if (e->has_rip)
		put(buf, len, &o, " rip 0x%llx", (unsigned long long)e->rip);
}

/* The vCPU whose rings matter most: the one that crashed, else 0. */
unsigned crash_vcpu(const struct stats_report *r)
{
	return r->crash && r->crash->captured && r->crash->vcpu < r->nvcpus ? r->crash->vcpu : 0;
}

static void explain_head(const struct stats_report *r, char *buf, size_t len, size_t *o)
{
	const struct crash_info *c = r->crash;

	if ((!c || !c->captured) && r->end_reason && strcmp(r->end_reason, "warden-bug") == 0) {
		put(buf, len, o, "warden stopped the VM on an internal error of its own");
		return;
	}
	if (!c || !c->captured) {
		put(buf, len, o, "the VM ended (%s) without a vCPU's report of it", r->end_reason);
		return;
	}
	switch (c->kind) {
	case EXIT_SHUTDOWN: put(buf, len, o, "vCPU %u triple-faulted", c->vcpu); break;
	case EXIT_KVM_ERROR:
		put(buf, len, o, "vCPU %u: KVM internal error (suberror %llu)", c->vcpu,
		    (unsigned long long)c->detail);
		break;
	case EXIT_FAIL_ENTRY:
		put(buf, len, o, "vCPU %u: VM entry failed (hardware reason 0x%llx)", c->vcpu,
		    (unsigned long long)c->detail);
		break;
	default:
		put(buf, len, o, "vCPU %u: %s exit warden cannot go on from", c->vcpu,
		    stats_reason_name(c->slot));
	}
}

bool crash_reinjection(const struct trace_event *ev, unsigned i)
{
	for (unsigned j = i; j-- > 0;) {
		if (ev[j].type == TEV_EXIT)
			return false;
		if (ev[j].type == TEV_EXCEPTION)
			return ev[j].code == ev[i].code && ev[j].has_error == ev[i].has_error &&
			       (!ev[i].has_error || ev[j].error_code == ev[i].error_code);
	}
	return false;
}

/* The exceptions KVM injected last (the trace), each with the RIP of the
 * exit before it (one injected again after a cancelled entry said once),
 * then the hardware exit that ended it all. */
static void explain_chain(const struct stats_report *r, unsigned id, char *buf, size_t len,
			  size_t *o)
{
	struct trace_event ev[TRACE_LAST_EVENTS];
	unsigned n, first = 0, exc = 0;
	char nb[32];

	if (!r->trace) {
		put(buf, len, o, "the exceptions KVM delivered are unknown (%s)",
		    r->trace_missing ? r->trace_missing : "run with --exit-trace to see them");
		return;
	}
	n = exit_trace_last_events(r->trace, id, ev);
	for (unsigned i = n; i-- > 0;)
		if (ev[i].type == TEV_EXCEPTION && ++exc == CHAIN_MAX) {
			first = i;
			break;
		}
	if (!exc)
		put(buf, len, o, "KVM injected no exception in its last %u traced events", n);
	for (unsigned i = first, k = 0; i < n; i++) {
		uint64_t rip = 0;

		if (ev[i].type != TEV_EXCEPTION || crash_reinjection(ev, i))
			continue;
		for (unsigned j = i; j-- > 0;)
			if (ev[j].type == TEV_EXIT) {
				rip = ev[j].rip;
				break;
			}
		put(buf, len, o, "%sKVM injected %s", k++ ? " -> " : "",
		    crash_vector_name(ev[i].code, nb, sizeof(nb)));
		if (ev[i].has_error)
			put(buf, len, o, " (error code 0x%x)", ev[i].error_code);
		if (rip)
			put(buf, len, o, " at rip 0x%llx", (unsigned long long)rip);
	}
	if (n && ev[n - 1].type == TEV_EXIT) {
		char db[64];

		put(buf, len, o, " -> hardware exit %s at rip 0x%llx",
		    exit_trace_reason_name(r->trace, ev[n - 1].code, nb, sizeof(nb)),
		    (unsigned long long)ev[n - 1].rip);
		/* On a triple fault: the event whose delivery failed for good. */
		if (crash_delivery_name(&ev[n - 1], db, sizeof(db)))
			put(buf, len, o, " while delivering %s", db);
	}
}

/* What KVM_GET_VCPU_EVENTS still held at the exit. */
static void explain_events(const struct crash_info *c, char *buf, size_t len, size_t *o)
{
	const struct kvm_vcpu_events *e = &c->state.events;
	char nb[32];

	if (!c->captured || !c->state.events_ok)
		return;
	if (e->exception.pending || e->exception.injected)
		put(buf, len, o, "; KVM still had %s %s", crash_vector_name(e->exception.nr, nb, sizeof(nb)),
		    e->exception.pending ? "pending" : "being injected");
	else
		put(buf, len, o, "; no exception pending in KVM at the exit");
	if (c->state.triple_fault_event && c->kind == EXIT_SHUTDOWN)
		put(buf, len, o, ", KVM's triple-fault event %s",
		    e->triple_fault.pending ? "pending" : "already taken");
	else if (c->state.triple_fault_event && e->triple_fault.pending)
		put(buf, len, o, ", KVM's triple-fault event pending");
}

static void explain_exits(const struct stats_report *r, unsigned id, char *buf, size_t len,
			  size_t *o)
{
	struct last_exit ex[LAST_EXITS];
	unsigned n = id < r->nvcpus ? last_exits_get(&r->vcpu[id].last, ex) : 0;
	unsigned from = n > EXPLAIN_EXITS ? n - EXPLAIN_EXITS : 0;
	char d[160];

	put(buf, len, o, "; last exits:");
	if (!n)
		put(buf, len, o, " none");
	for (unsigned i = from; i < n; i++) {
		crash_describe_exit(r, &ex[i], d, sizeof(d));
		put(buf, len, o, "%s #%llu %s", i > from ? "," : "", (unsigned long long)ex[i].seq, d);
	}
}

static void explain_console(const struct crash_info *c, char *buf, size_t len, size_t *o)
{
	const char *s;
	unsigned lines = 1;

	if (!c || !c->console_len) {
		put(buf, len, o, "; the guest wrote nothing to its console");
		return;
	}
	s = c->console + c->console_len;
	while (s > c->console && !(s[-1] == '\n' && ++lines > EXPLAIN_LINES))
		s--;
	put(buf, len, o, "; the guest's last console lines: \"");
	for (; *s; s++)
		if (*s == '\n')
			put(buf, len, o, " | ");
		else
			put(buf, len, o, "%c", *s);
	put(buf, len, o, "\"");
}

void crash_explain(const struct stats_report *r, char *buf, size_t len)
{
	unsigned id = crash_vcpu(r);
	size_t o = 0;

	if (!len)
		return;
	buf[0] = '\0';
	explain_head(r, buf, len, &o);
	put(buf, len, &o, ": ");
	explain_chain(r, id, buf, len, &o);
	if (r->crash)
		explain_events(r->crash, buf, len, &o);
	explain_exits(r, id, buf, len, &o);
	explain_console(r->crash, buf, len, &o);
}
