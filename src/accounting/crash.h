/* The crash report: when a VM ends badly (a triple fault, a KVM internal
 * error or entry failure, a warden bug), what warden can know about why:
 * KVM's vCPU events and registers at that exit (core/crash_state.h), the
 * last exits that reached warden per vCPU (last_exits.h), what KVM
 * delivered per vCPU (exceptions, interrupts and hardware exits with their
 * guest RIP, from --exit-trace), and the guest's last console lines.  One
 * explanation line first, then each part; the same as `crash` in the
 * --stats JSON.  Every part is bounded (docs/observatory.md). */
#ifndef WARDEN_ACCOUNTING_CRASH_H
#define WARDEN_ACCOUNTING_CRASH_H

#include <json-c/json.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "accounting/exit_trace.h"
#include "core/crash_state.h"
#include "util/text_tail.h"

struct exit_record;
struct last_exit;
struct stats_report;

/* Most vCPUs whose rings the text report prints (the JSON has all). */
#define CRASH_PRINT_VCPUS 4

struct crash_info {
	_Atomic int taken;     /* the first vCPU's bad exit is the one kept */
	bool captured;         /* a vCPU's bad exit was recorded */
	unsigned vcpu;
	uint32_t slot;         /* its reason slot */
	uint8_t kind;          /* enum exit_kind */
	uint64_t detail;       /* entry failure reason, suberror */
	struct vcpu_crash state;
	/* The guest's last console lines (text_tail_lines). */
	char console[TEXT_TAIL_BYTES + 1];
	size_t console_len;
};

/* From the vCPU thread whose exit R ends the VM badly (the recorder). */
void crash_record(struct crash_info *c, unsigned vcpu, const struct exit_record *r,
		  const struct vcpu_crash *s);
/* After the vCPUs stopped, before the VM is destroyed: keep its console tail. */
void crash_keep_console(struct crash_info *c, struct text_tail *tail);
/* Does the end R->end_reason call for the report? */
bool crash_wanted(const struct stats_report *r);
/* The report on F (bounded: the crashed vCPU's rings, or the first
 * CRASH_PRINT_VCPUS vCPUs' when none crashed, e.g. a warden bug). */
void crash_print(FILE *f, const struct stats_report *r);
/* The explanation line into BUF (LEN bytes). */
void crash_explain(const struct stats_report *r, char *buf, size_t len);
/* "#UD", "#PF", ... or "vector N", into BUF. */
const char *crash_vector_name(uint32_t v, char *buf, size_t len);
/* What a hardware exit interrupted (its intr_info): "#PF (error code
 * 0x10)", "interrupt 236", ... into BUF; NULL when it interrupted no
 * delivery (or the trace had no such field). */
const char *crash_delivery_name(const struct trace_event *e, char *buf, size_t len);
/* EV[I] repeats the exception before it with no exit between: KVM
 * injected it again because its entry into the guest was cancelled (a
 * signal, a request), not because the guest faulted again. */
bool crash_reinjection(const struct trace_event *ev, unsigned i);
/* "io write 0x3f8 (serial) rip 0x100012" into BUF. */
void crash_describe_exit(const struct stats_report *r, const struct last_exit *e, char *buf,
			 size_t len);
/* The vCPU whose rings matter most: the one that crashed, else 0. */
unsigned crash_vcpu(const struct stats_report *r);
/* The `crash` object of the --stats JSON. */
json_object *crash_json(const struct stats_report *r);

#endif
