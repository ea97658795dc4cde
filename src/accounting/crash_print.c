/* The crash report as text on stderr (accounting/crash.h). */
#include "accounting/crash.h"

#include <string.h>

#include "accounting/exit_stats.h"
#include "accounting/exit_trace.h"
#include "accounting/last_exits.h"
#include "core/exit.h"

/* KVM's power-on values: what the registers hold when KVM reset the vCPU
 * before it reported the triple fault (KVM on AMD does): CR0 is ET alone,
 * but for CD/NW, which an INIT keeps from before. */
#define RESET_RIP 0xfff0
#define RESET_CR0 0x10
#define CR0_CD_NW 0x60000000ULL

static void print_events(FILE *f, const struct crash_info *c)
{
	const struct kvm_vcpu_events *e = &c->state.events;
	char nb[32];

	if (!c->state.events_ok) {
		fprintf(f, "  KVM's vCPU events at that exit: KVM_GET_VCPU_EVENTS failed\n");
		return;
	}
	fprintf(f, "  KVM's vCPU events at that exit (KVM_GET_VCPU_EVENTS): exception ");
	if (e->exception.pending || e->exception.injected)
		fprintf(f, "%s %s", crash_vector_name(e->exception.nr, nb, sizeof(nb)),
			e->exception.pending ? "pending" : "injected");
	else
		fprintf(f, "none");
	if (e->exception.has_error_code && (e->exception.pending || e->exception.injected))
		fprintf(f, " (error code 0x%x)", e->exception.error_code);
	fprintf(f, "; interrupt %s", e->interrupt.injected ? "injected" : "none");
	if (e->interrupt.injected)
		fprintf(f, " (vector %u)", e->interrupt.nr);
	fprintf(f, "; NMI %s", e->nmi.pending ? "pending" : e->nmi.injected ? "injected" : "none");
	if (c->state.triple_fault_event)
		fprintf(f, "; triple-fault event %s (KVM_CAP_X86_TRIPLE_FAULT_EVENT)",
			e->triple_fault.pending ? "pending"
			: c->kind == EXIT_SHUTDOWN ? "not pending: KVM had taken it" : "not pending");
	else
		fprintf(f, "; KVM's triple-fault event: not offered by this host");
	fprintf(f, "\n");
}

static void print_regs(FILE *f, const struct crash_info *c)
{
	const struct vcpu_crash *s = &c->state;

	if (!s->regs_ok)
		return;
	fprintf(f, "  registers at that exit: rip 0x%llx rsp 0x%llx cr0 0x%llx cr2 0x%llx cr3 0x%llx "
		"cr4 0x%llx efer 0x%llx%s\n",
		(unsigned long long)s->rip, (unsigned long long)s->rsp, (unsigned long long)s->cr0,
		(unsigned long long)s->cr2, (unsigned long long)s->cr3, (unsigned long long)s->cr4,
		(unsigned long long)s->efer,
		s->rip == RESET_RIP && (s->cr0 & ~CR0_CD_NW) == RESET_CR0
			? " (the power-on state: KVM reset the vCPU before it reported the exit)" : "");
}

static void print_exits(FILE *f, const struct stats_report *r, unsigned id)
{
	struct last_exit ex[LAST_EXITS];
	unsigned n = last_exits_get(&r->vcpu[id].last, ex);
	char d[160], next[160];

	fprintf(f, "  the last exits that reached warden, vCPU %u (oldest first, %u of %llu):\n", id,
		n, (unsigned long long)r->vcpu[id].last.n);
	/* A run of identical exits (a loop in the guest) is one line. */
	for (unsigned i = 0, run; i < n; i += run) {
		crash_describe_exit(r, &ex[i], d, sizeof(d));
		for (run = 1; i + run < n; run++) {
			crash_describe_exit(r, &ex[i + run], next, sizeof(next));
			if (strcmp(d, next) != 0)
				break;
		}
		if (run > 1)
			fprintf(f, "    #%llu-#%llu %s (x%u)\n", (unsigned long long)ex[i].seq,
				(unsigned long long)ex[i + run - 1].seq, d, run);
		else
			fprintf(f, "    #%llu %s\n", (unsigned long long)ex[i].seq, d);
	}
}

static bool same_event(const struct trace_event *a, const struct trace_event *b)
{
	return a->type == b->type && a->code == b->code && a->rip == b->rip &&
	       a->has_error == b->has_error && a->error_code == b->error_code;
}

/* E, the last of RUN identical events (a loop in the guest: one line). */
static void print_event(FILE *f, const struct stats_report *r, const struct trace_event *e,
			unsigned run, uint64_t t_end)
{
	char nb[32], times[16] = "";

	if (run > 1)
		snprintf(times, sizeof(times), "x%u", run);
	fprintf(f, "    %10.1f us %5s  ", e->time <= t_end ? -(double)(t_end - e->time) / 1e3 : 0.0,
		times);
	if (e->type == TEV_EXIT) {
		char db[64];

		fprintf(f, "exit %s rip 0x%llx", exit_trace_reason_name(r->trace, e->code, nb, sizeof(nb)),
			(unsigned long long)e->rip);
		if (crash_delivery_name(e, db, sizeof(db)))
			fprintf(f, " while delivering %s", db);
		fputc('\n', f);
	}
	else if (e->type == TEV_EXCEPTION && e->has_error)
		fprintf(f, "injected %s, error code 0x%x\n", crash_vector_name(e->code, nb, sizeof(nb)),
			e->error_code);
	else if (e->type == TEV_EXCEPTION)
		fprintf(f, "injected %s\n", crash_vector_name(e->code, nb, sizeof(nb)));
	else
		fprintf(f, "injected interrupt %u\n", e->code);
}

static void print_delivered(FILE *f, const struct stats_report *r, unsigned id)
{
	struct trace_event ev[TRACE_LAST_EVENTS];
	unsigned n;

	if (!r->trace)
		return;
	n = exit_trace_last_events(r->trace, id, ev);
	fprintf(f, "  what KVM did last, vCPU %u (--exit-trace: hardware exits, injected exceptions "
		"and interrupts; oldest first, time before the last;\n    runs of one event folded, at the last one's time):\n", id);
	if (!n)
		fprintf(f, "    (no events traced for this vCPU)\n");
	for (unsigned i = 0, run; i < n; i += run) {
		for (run = 1; i + run < n && same_event(&ev[i], &ev[i + run]); run++)
			;
		print_event(f, r, &ev[i + run - 1], run, ev[n - 1].time);
	}
}

static void print_console(FILE *f, const struct crash_info *c)
{
	const char *s = c->console;

	fprintf(f, "  the guest's last console lines:%s\n", c->console_len ? "" : " none");
	while (c->console_len && *s) {
		const char *nl = strchr(s, '\n');
		int len = nl ? (int)(nl - s) : (int)strlen(s);

		fprintf(f, "    | %.*s\n", len, s);
		s += len + (nl ? 1 : 0);
	}
}

void crash_print(FILE *f, const struct stats_report *r)
{
	static char line[8192];
	unsigned id = crash_vcpu(r);
	bool one = r->crash && r->crash->captured;

	crash_explain(r, line, sizeof(line));
	fprintf(f, "warden: the VM ended badly (%s); what warden knows:\n  %s\n", r->end_reason, line);
	if (one) {
		print_events(f, r->crash);
		print_regs(f, r->crash);
	}
	for (unsigned i = one ? id : 0; i < r->nvcpus && i < (one ? id + 1 : CRASH_PRINT_VCPUS); i++) {
		print_exits(f, r, i);
		print_delivered(f, r, i);
	}
	if (r->crash)
		print_console(f, r->crash);
}
