/* Precise mode (--exit-trace): every hardware VM exit of warden's vCPU
 * threads, read from the kvm:kvm_exit, kvm:kvm_entry,
 * kvm:kvm_userspace_exit and kvm:kvm_msr tracepoints with
 * perf_event_open (no perf binary).  Gives exits KVM handles in the kernel
 * their SVM/VMX names and exit-to-entry latencies, and says for each exit
 * whether it reached warden.
 *
 * Each vCPU thread opens its own events (exit_trace_open_thread) and
 * publishes its ring buffer; one reader thread drains all of them
 * (exit_trace_drain).  Results are only touched by the reader. */
#ifndef WARDEN_ACCOUNTING_EXIT_TRACE_H
#define WARDEN_ACCOUNTING_EXIT_TRACE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "accounting/histogram.h"
#include "accounting/hw_exit_names.h"

#define TRACE_MAX_CODES 64
#define TRACE_MAX_MSRS 128
#define TRACE_MAX_RIPS 256
#define TRACE_MAX_VCPUS 256
#define TRACE_NEVENTS 6 /* tracepoints per vCPU thread */
#define TRACE_LAST_EVENTS 32 /* kept per vCPU for the crash report */

/* What KVM did last on one vCPU (the crash report's "what KVM delivered"):
 * a hardware exit with its guest RIP, an exception or an interrupt KVM
 * injected (kvm:kvm_inj_exception, kvm:kvm_inj_virq). */
enum trace_event_type { TEV_EXIT, TEV_EXCEPTION, TEV_VIRQ };

struct trace_event {
	uint64_t time;       /* CLOCK_MONOTONIC ns */
	uint64_t rip;        /* TEV_EXIT */
	uint32_t code;       /* exit code, vector or interrupt */
	uint32_t error_code; /* TEV_EXCEPTION with has_error; TEV_EXIT: the
			      * error code of the event in delivery */
	/* TEV_EXIT: the event the CPU was delivering when it exited (SVM's
	 * EXITINTINFO, VMX's IDT-vectoring information; kvm_exit's intr_info):
	 * bit 31 valid, 8-10 the type (3: exception), 0-7 the vector, bit 11
	 * an error code.  0: none, or the tracepoint lacks the field. */
	uint32_t intr_info;
	uint8_t type;        /* enum trace_event_type */
	bool has_error;
};

struct trace_last {
	struct trace_event e[TRACE_LAST_EVENTS];
	uint64_t n; /* events ever added */
};

struct trace_reason {
	uint32_t code;
	bool used;
	uint64_t in_kvm;    /* re-entered the guest without returning to warden */
	uint64_t to_warden; /* KVM_RUN returned to warden in between */
	struct histogram kvm_latency; /* exit -> next entry, in-KVM exits, ns */
	struct histogram warden_latency; /* same, for exits that reached warden */
};

struct trace_msr {
	uint32_t index;
	bool used;
	uint64_t reads, writes;
	uint64_t time_ns; /* exit -> entry of the exits that accessed it */
};

struct trace_rip {
	uint32_t code;
	bool used;
	uint64_t rip;
	uint64_t count;
};

/* One vCPU thread's ring buffer and where its last exit stands. */
struct trace_ring {
	_Atomic int ready; /* set by the vCPU thread once fds/ring exist */
	int fd[TRACE_NEVENTS];
	void *base;
	uint64_t size; /* data area bytes */
	/* decoder state: the exit waiting for its entry */
	bool pending;
	uint32_t p_code;
	uint64_t p_time;
	bool p_user;
	int64_t p_msr; /* -1: none */
	bool p_msr_write;
	uint64_t vcpu_in_kvm, vcpu_to_warden, vcpu_exits;
	struct trace_last last;
};

struct tp_field {
	int off, size; /* -1 when absent */
};

struct exit_trace {
	bool enabled;
	enum hw_isa isa_default; /* when the tracepoint has no isa field */
	unsigned nvcpus;
	int id_exit, id_entry, id_user, id_msr, id_exc, id_virq;
	struct tp_field f_reason, f_isa, f_rip, f_intr_info, f_exit_error, f_msr_write, f_msr_ecx;
	struct tp_field f_exc_nr, f_exc_has_error, f_exc_error, f_virq_irq;
	struct trace_ring ring[TRACE_MAX_VCPUS];
	struct trace_reason reason[TRACE_MAX_CODES];
	struct trace_msr msr[TRACE_MAX_MSRS];
	struct trace_rip rip[TRACE_MAX_RIPS];
	enum hw_isa isa;
	uint64_t exits, lost, unmatched;
};

/* Find the tracepoints (tracefs) and check they can be opened. -1 with a
 * one-line reason (err_msg) when this host cannot trace. */
int exit_trace_init(struct exit_trace *t, unsigned nvcpus);
/* From vCPU thread ID itself: open its events. -1 with err_msg. */
int exit_trace_open_thread(struct exit_trace *t, unsigned id);
/* Reader: consume everything buffered so far. */
void exit_trace_drain(struct exit_trace *t);
/* After the vCPU threads ended: drain and close (results stay). */
void exit_trace_close(struct exit_trace *t);

/* The MSRs seen, busiest first, into OUT (room for TRACE_MAX_MSRS). */
unsigned exit_trace_msrs_sorted(const struct exit_trace *t, struct trace_msr *out);

/* Vcpu ID's last events, oldest first, into OUT (room for
 * TRACE_LAST_EVENTS); how many. */
unsigned exit_trace_last_events(const struct exit_trace *t, unsigned id, struct trace_event *out);

const char *exit_trace_reason_name(const struct exit_trace *t, uint32_t code, char *buf,
				   unsigned len);

#endif
