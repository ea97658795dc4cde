#include "accounting/exit_trace.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "util/error.h"

#define RING_PAGES 512 /* 2 MiB per vCPU: ~14,000 exits between drains */

enum { EV_EXIT, EV_ENTRY, EV_USER, EV_MSR, EV_EXC, EV_VIRQ, NEVENTS };
_Static_assert(NEVENTS == TRACE_NEVENTS, "TRACE_NEVENTS");
static const char *const ev_name[NEVENTS] = { "kvm_exit", "kvm_entry", "kvm_userspace_exit",
					      "kvm_msr", "kvm_inj_exception", "kvm_inj_virq" };

static const char *tracefs_root(void)
{
	static const char *const roots[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	char p[128];

	for (unsigned i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "%s/events/kvm/kvm_exit/id", roots[i]);
		if (access(p, R_OK) == 0)
			return roots[i];
	}
	return NULL;
}

static int read_event_id(const char *root, const char *ev)
{
	char p[160];
	FILE *f;
	int id = -1;

	snprintf(p, sizeof(p), "%s/events/kvm/%s/id", root, ev);
	f = fopen(p, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%d", &id) != 1)
		id = -1;
	fclose(f);
	return id;
}

/* Offset and size of FIELD in the event's format file: the layout differs
 * between kernel versions (6.1 and 6.18 order kvm_exit's fields apart). */
static struct tp_field read_field(const char *root, const char *ev, const char *field)
{
	struct tp_field r = { -1, -1 };
	char p[160], line[512], want[64];
	FILE *f;

	snprintf(p, sizeof(p), "%s/events/kvm/%s/format", root, ev);
	snprintf(want, sizeof(want), " %s;", field);
	f = fopen(p, "r");
	if (!f)
		return r;
	while (fgets(line, sizeof(line), f)) {
		char *o = strstr(line, "offset:"), *s = strstr(line, "size:");
		char *semi = strchr(line, ';');

		if (!o || !s || !semi)
			continue;
		*semi = '\0'; /* "field:TYPE NAME" */
		strcat(line, ";");
		if (!strstr(line, want))
			continue;
		r.off = atoi(o + 7);
		r.size = atoi(s + 5);
		break;
	}
	fclose(f);
	return r;
}

static enum hw_isa host_isa(void)
{
	if (access("/sys/module/kvm_amd", F_OK) == 0)
		return HW_ISA_SVM;
	if (access("/sys/module/kvm_intel", F_OK) == 0)
		return HW_ISA_VMX;
	return HW_ISA_UNKNOWN;
}

int exit_trace_init(struct exit_trace *t, unsigned nvcpus)
{
	const char *root = tracefs_root();

	memset(t, 0, sizeof(*t));
	if (nvcpus > TRACE_MAX_VCPUS)
		return fail(ERR_USAGE, "--exit-trace supports at most %d vCPUs", TRACE_MAX_VCPUS);
	if (!root)
		return fail(ERR_HOST, "--exit-trace: no kvm tracepoints in tracefs "
			    "(mount it: mount -t tracefs nodev /sys/kernel/tracing)");
	t->id_exit = read_event_id(root, ev_name[EV_EXIT]);
	t->id_entry = read_event_id(root, ev_name[EV_ENTRY]);
	t->id_user = read_event_id(root, ev_name[EV_USER]);
	t->id_msr = read_event_id(root, ev_name[EV_MSR]);
	t->f_reason = read_field(root, "kvm_exit", "exit_reason");
	t->f_isa = read_field(root, "kvm_exit", "isa");
	t->f_rip = read_field(root, "kvm_exit", "guest_rip");
	t->f_intr_info = read_field(root, "kvm_exit", "intr_info");
	t->f_exit_error = read_field(root, "kvm_exit", "error_code");
	t->f_msr_write = read_field(root, "kvm_msr", "write");
	t->f_msr_ecx = read_field(root, "kvm_msr", "ecx");
	/* What KVM injected, for the crash report; a host without these
	 * tracepoints (or their fields) still traces exits. */
	t->id_exc = read_event_id(root, ev_name[EV_EXC]);
	t->id_virq = read_event_id(root, ev_name[EV_VIRQ]);
	t->f_exc_nr = read_field(root, "kvm_inj_exception", "exception");
	t->f_exc_has_error = read_field(root, "kvm_inj_exception", "has_error");
	t->f_exc_error = read_field(root, "kvm_inj_exception", "error_code");
	/* "irq" in older kernels, "vector" since the field was renamed. */
	t->f_virq_irq = read_field(root, "kvm_inj_virq", "irq");
	if (t->f_virq_irq.off < 0)
		t->f_virq_irq = read_field(root, "kvm_inj_virq", "vector");
	if (t->f_exc_nr.off < 0)
		t->id_exc = -1;
	if (t->f_virq_irq.off < 0)
		t->id_virq = -1;
	if (t->id_exit < 0 || t->id_entry < 0 || t->id_user < 0 || t->f_reason.off < 0 ||
	    t->f_reason.size != 4)
		return fail(ERR_HOST, "--exit-trace: cannot read the kvm_exit/kvm_entry/"
			    "kvm_userspace_exit tracepoint formats under %s", root);
	t->isa_default = host_isa();
	t->isa = t->isa_default;
	t->nvcpus = nvcpus;
	for (unsigned i = 0; i < TRACE_MAX_VCPUS; i++)
		for (unsigned e = 0; e < NEVENTS; e++)
			t->ring[i].fd[e] = -1;
	t->enabled = true;
	return 0;
}

static int open_event(int id, int group_fd)
{
	struct perf_event_attr a;

	memset(&a, 0, sizeof(a));
	a.type = PERF_TYPE_TRACEPOINT;
	a.size = sizeof(a);
	a.config = (uint64_t)id;
	a.sample_period = 1;
	a.sample_type = PERF_SAMPLE_TIME | PERF_SAMPLE_RAW;
	a.use_clockid = 1;
	a.clockid = CLOCK_MONOTONIC;
	a.wakeup_events = 1024;
	/* pid 0, cpu -1: this thread, wherever it runs. */
	return (int)syscall(SYS_perf_event_open, &a, 0, -1, group_fd, PERF_FLAG_FD_CLOEXEC);
}

int exit_trace_open_thread(struct exit_trace *t, unsigned id)
{
	struct trace_ring *r = &t->ring[id];
	const int ids[NEVENTS] = { t->id_exit, t->id_entry, t->id_user, t->id_msr,
				   t->id_exc, t->id_virq };
	long page = sysconf(_SC_PAGESIZE);

	if (!t->enabled || id >= TRACE_MAX_VCPUS)
		return 0;
	for (unsigned e = 0; e < NEVENTS; e++) {
		if (ids[e] < 0)
			continue;
		r->fd[e] = open_event(ids[e], -1);
		if (r->fd[e] < 0)
			return fail_errno(ERR_HOST, "--exit-trace: perf_event_open(kvm:%s)%s", ev_name[e],
					  errno == EACCES || errno == EPERM ? " needs root" : "");
		/* All the events share the first one's ring, so one buffer holds
		 * this thread's events in the order they happened. */
		if (e > 0 && ioctl(r->fd[e], PERF_EVENT_IOC_SET_OUTPUT, r->fd[0]) < 0)
			return fail_errno(ERR_HOST, "--exit-trace: PERF_EVENT_IOC_SET_OUTPUT");
		if (e == 0) {
			r->size = (uint64_t)RING_PAGES * (uint64_t)page;
			r->base = mmap(NULL, (size_t)(r->size + (uint64_t)page), PROT_READ | PROT_WRITE,
				       MAP_SHARED, r->fd[0], 0);
			if (r->base == MAP_FAILED) {
				r->base = NULL;
				return fail_errno(ERR_HOST, "--exit-trace: mmap of the perf ring");
			}
		}
	}
	r->p_msr = -1;
	atomic_store(&r->ready, 1);
	return 0;
}

static uint64_t field_u(const uint8_t *raw, uint32_t len, struct tp_field f)
{
	uint64_t v = 0;

	if (f.off < 0 || f.size <= 0 || f.size > 8 || (uint32_t)(f.off + f.size) > len)
		return 0;
	memcpy(&v, raw + f.off, (size_t)f.size); /* little endian */
	return v;
}

static struct trace_reason *reason_slot(struct exit_trace *t, uint32_t code)
{
	unsigned h = (code * 2654435761u) % TRACE_MAX_CODES;

	for (unsigned i = 0; i < TRACE_MAX_CODES; i++) {
		struct trace_reason *r = &t->reason[(h + i) % TRACE_MAX_CODES];

		if (!r->used) {
			r->used = true;
			r->code = code;
			return r;
		}
		if (r->code == code)
			return r;
	}
	return NULL;
}

static void msr_add(struct exit_trace *t, uint32_t index, bool write, uint64_t ns)
{
	unsigned h = (index * 2654435761u) % TRACE_MAX_MSRS;

	for (unsigned i = 0; i < TRACE_MAX_MSRS; i++) {
		struct trace_msr *m = &t->msr[(h + i) % TRACE_MAX_MSRS];

		if (!m->used) {
			m->used = true;
			m->index = index;
		}
		if (m->index == index) {
			if (write)
				m->writes++;
			else
				m->reads++;
			m->time_ns += ns;
			return;
		}
	}
}

static void rip_add(struct exit_trace *t, uint32_t code, uint64_t rip)
{
	unsigned h = (unsigned)(((rip ^ code) * 0x9E3779B97F4A7C15ULL) >> 56) % TRACE_MAX_RIPS;

	for (unsigned i = 0; i < 16; i++) { /* bounded probe: rare RIPs may be dropped */
		struct trace_rip *r = &t->rip[(h + i) % TRACE_MAX_RIPS];

		if (!r->used) {
			*r = (struct trace_rip){ .code = code, .used = true, .rip = rip };
		}
		if (r->code == code && r->rip == rip) {
			r->count++;
			return;
		}
	}
}

/* The exit waiting in R ends, with an entry at TIME when TIMED (else it
 * is only counted: the vCPU stopped, or samples were lost). */
static void close_exit(struct exit_trace *t, struct trace_ring *r, uint64_t time, bool timed)
{
	struct trace_reason *s = reason_slot(t, r->p_code);
	uint64_t ns = timed && time >= r->p_time ? time - r->p_time : 0;

	r->pending = false;
	if (!s)
		return;
	if (r->p_user) {
		s->to_warden++;
		r->vcpu_to_warden++;
		if (timed)
			hist_add(&s->warden_latency, ns);
	} else {
		s->in_kvm++;
		r->vcpu_in_kvm++;
		if (timed)
			hist_add(&s->kvm_latency, ns);
	}
	if (r->p_msr >= 0)
		msr_add(t, (uint32_t)r->p_msr, r->p_msr_write, ns);
}

static void last_add(struct trace_ring *r, struct trace_event e)
{
	r->last.e[r->last.n++ % TRACE_LAST_EVENTS] = e;
}

/* An injection KVM made (exception or interrupt), for the crash report. */
static void on_injection(struct exit_trace *t, struct trace_ring *r, int type, uint64_t time,
			 const uint8_t *raw, uint32_t len)
{
	struct trace_event e = { .time = time };

	if (type == t->id_exc) {
		e.type = TEV_EXCEPTION;
		e.code = (uint32_t)field_u(raw, len, t->f_exc_nr);
		e.has_error = field_u(raw, len, t->f_exc_has_error) != 0;
		e.error_code = (uint32_t)field_u(raw, len, t->f_exc_error);
	} else {
		e.type = TEV_VIRQ;
		e.code = (uint32_t)field_u(raw, len, t->f_virq_irq);
	}
	last_add(r, e);
}

static void on_sample(struct exit_trace *t, struct trace_ring *r, uint64_t time,
		      const uint8_t *raw, uint32_t len)
{
	int type;

	if (len < 8)
		return;
	type = raw[0] | raw[1] << 8; /* common_type: the tracepoint id */
	if (type >= 0 && (type == t->id_exc || type == t->id_virq)) {
		on_injection(t, r, type, time, raw, len);
		return;
	}
	if (type == t->id_exit) {
		if (r->pending) {
			t->unmatched++; /* an exit without its entry (lost samples) */
			close_exit(t, r, time, false);
		}
		r->pending = true;
		r->p_code = (uint32_t)field_u(raw, len, t->f_reason);
		r->p_time = time;
		r->p_user = false;
		r->p_msr = -1;
		if (t->f_isa.off >= 0) {
			uint32_t isa = (uint32_t)field_u(raw, len, t->f_isa);
			if (isa == HW_ISA_VMX || isa == HW_ISA_SVM)
				t->isa = (enum hw_isa)isa;
		}
		rip_add(t, r->p_code, field_u(raw, len, t->f_rip));
		last_add(r, (struct trace_event){
			.time = time, .type = TEV_EXIT, .code = r->p_code, .rip = field_u(raw, len, t->f_rip),
			.intr_info = (uint32_t)field_u(raw, len, t->f_intr_info),
			.error_code = (uint32_t)field_u(raw, len, t->f_exit_error) });
		t->exits++;
		r->vcpu_exits++;
	} else if (type == t->id_entry) {
		if (r->pending)
			close_exit(t, r, time, true);
	} else if (type == t->id_user) {
		if (r->pending)
			r->p_user = true;
	} else if (type == t->id_msr && r->pending) {
		r->p_msr = (int64_t)field_u(raw, len, t->f_msr_ecx);
		r->p_msr_write = field_u(raw, len, t->f_msr_write) != 0;
	}
}

/* Copy LEN bytes at ring offset OFF (which may wrap) into DST. */
static void ring_copy(const struct trace_ring *r, const uint8_t *data, uint64_t off, void *dst,
		      size_t len)
{
	uint64_t o = off % r->size;
	size_t first = (size_t)(r->size - o) < len ? (size_t)(r->size - o) : len;

	memcpy(dst, data + o, first);
	memcpy((uint8_t *)dst + first, data, len - first);
}

static void drain_ring(struct exit_trace *t, struct trace_ring *r)
{
	struct perf_event_mmap_page *mp = r->base;
	const uint8_t *data = (const uint8_t *)r->base + mp->data_offset;
	uint64_t head = __atomic_load_n(&mp->data_head, __ATOMIC_ACQUIRE);
	uint64_t tail = mp->data_tail;
	uint8_t rec[1024];

	if (mp->data_offset == 0)
		data = (const uint8_t *)r->base + sysconf(_SC_PAGESIZE);
	while (tail < head) {
		struct perf_event_header h;

		ring_copy(r, data, tail, &h, sizeof(h));
		if (h.size < sizeof(h) || tail + h.size > head)
			break;
		if (h.size <= sizeof(rec)) {
			ring_copy(r, data, tail, rec, h.size);
			if (h.type == PERF_RECORD_SAMPLE && h.size >= sizeof(h) + 12) {
				uint64_t time;
				uint32_t len;

				memcpy(&time, rec + sizeof(h), 8);
				memcpy(&len, rec + sizeof(h) + 8, 4);
				if (len <= h.size - sizeof(h) - 12)
					on_sample(t, r, time, rec + sizeof(h) + 12, len);
			} else if (h.type == PERF_RECORD_LOST && h.size >= sizeof(h) + 16) {
				uint64_t lost;
				memcpy(&lost, rec + sizeof(h) + 8, 8);
				t->lost += lost;
				if (r->pending)
					close_exit(t, r, 0, false);
			}
		}
		tail += h.size;
	}
	__atomic_store_n(&mp->data_tail, tail, __ATOMIC_RELEASE);
}

void exit_trace_drain(struct exit_trace *t)
{
	if (!t->enabled)
		return;
	for (unsigned i = 0; i < t->nvcpus; i++)
		if (atomic_load(&t->ring[i].ready) && t->ring[i].base)
			drain_ring(t, &t->ring[i]);
}

void exit_trace_close(struct exit_trace *t)
{
	long page = sysconf(_SC_PAGESIZE);

	if (!t->enabled)
		return;
	exit_trace_drain(t);
	for (unsigned i = 0; i < t->nvcpus; i++) {
		struct trace_ring *r = &t->ring[i];

		if (r->pending) /* the last exit, which ended the VM */
			close_exit(t, r, 0, false);
		if (r->base)
			munmap(r->base, (size_t)(r->size + (uint64_t)page));
		r->base = NULL;
		for (unsigned e = 0; e < NEVENTS; e++) {
			if (r->fd[e] >= 0)
				close(r->fd[e]);
			r->fd[e] = -1;
		}
		atomic_store(&r->ready, 0);
		r->pending = false;
	}
}

static int msr_desc(const void *a, const void *b)
{
	const struct trace_msr *x = a, *y = b;
	uint64_t cx = x->reads + x->writes, cy = y->reads + y->writes;

	return cx < cy ? 1 : cx > cy ? -1 : 0;
}

unsigned exit_trace_msrs_sorted(const struct exit_trace *t, struct trace_msr *out)
{
	unsigned n = 0;

	for (unsigned i = 0; i < TRACE_MAX_MSRS; i++)
		if (t->msr[i].used)
			out[n++] = t->msr[i];
	qsort(out, n, sizeof(out[0]), msr_desc);
	return n;
}

unsigned exit_trace_last_events(const struct exit_trace *t, unsigned id, struct trace_event *out)
{
	const struct trace_last *l;
	unsigned n;

	if (!t->enabled || id >= TRACE_MAX_VCPUS)
		return 0;
	l = &t->ring[id].last;
	n = l->n < TRACE_LAST_EVENTS ? (unsigned)l->n : TRACE_LAST_EVENTS;
	for (unsigned i = 0; i < n; i++)
		out[i] = l->e[(l->n - n + i) % TRACE_LAST_EVENTS];
	return n;
}

const char *exit_trace_reason_name(const struct exit_trace *t, uint32_t code, char *buf,
				   unsigned len)
{
	return hw_exit_name(t->isa, code, buf, len);
}
