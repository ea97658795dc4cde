#include "accounting/observatory.h"

#include <errno.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "accounting/stats_json.h"
#include "core/vm.h"
#include "sandbox/seccomp.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/log.h"

#define TRACE_DRAIN_MS 10 /* how often the perf rings are emptied */

int obs_init(struct observatory *o, const struct obs_config *cfg, unsigned nvcpus,
	     const struct exit_stats *stats)
{
	memset(o, 0, sizeof(*o));
	o->cfg = *cfg;
	o->nvcpus = nvcpus;
	o->stats = stats;
	o->stop_efd = -1;
	o->vcpu_stats = calloc(nvcpus, sizeof(*o->vcpu_stats));
	o->vcpu_start = calloc(nvcpus, sizeof(*o->vcpu_start));
	o->vcpu_prev = calloc(nvcpus, sizeof(*o->vcpu_prev));
	o->view.vcpu = calloc(nvcpus, sizeof(*o->view.vcpu));
	o->view.nvcpus = nvcpus;
	if (!o->vcpu_stats || !o->vcpu_start || !o->vcpu_prev || !o->view.vcpu)
		return fail(ERR_HOST, "out of memory");
	if (cfg->trace_path) {
		o->jsonl = fopen(cfg->trace_path, "w");
		if (!o->jsonl)
			return fail_errno(ERR_USAGE, "cannot write --stats-trace %s", cfg->trace_path);
	}
	if (cfg->exit_trace) {
		o->trace = calloc(1, sizeof(*o->trace));
		if (!o->trace)
			return fail(ERR_HOST, "out of memory");
		if (exit_trace_init(o->trace, nvcpus) < 0) {
			/* Say so and go on with what there is. */
			snprintf(o->trace_missing, sizeof(o->trace_missing), "%s", err_msg());
			log_warn("%s; continuing without it", err_msg());
			free(o->trace);
			o->trace = NULL;
		}
	}
	return 0;
}

static void open_kvm_stats(struct observatory *o, const struct vm *vm)
{
	o->kvm_ok = false;
	if (kvm_stats_open(&o->vm_stats, vm->vm_fd) < 0) {
		snprintf(o->kvm_missing, sizeof(o->kvm_missing),
			 "this host's KVM has no binary statistics (KVM_GET_STATS_FD: %s)", strerror(errno));
		return;
	}
	for (unsigned i = 0; i < o->nvcpus; i++) {
		if (kvm_stats_open(&o->vcpu_stats[i], vm->vcpus[i].fd) < 0 ||
		    kvm_stats_read(&o->vcpu_stats[i], &o->vcpu_start[i]) < 0) {
			snprintf(o->kvm_missing, sizeof(o->kvm_missing),
				 "cannot read KVM's vCPU %u statistics: %s", i, strerror(errno));
			for (unsigned k = 0; k <= i; k++)
				kvm_stats_close(&o->vcpu_stats[k]);
			kvm_stats_close(&o->vm_stats);
			return;
		}
		o->vcpu_prev[i] = o->vcpu_start[i];
	}
	kvm_stats_read(&o->vm_stats, &o->vm_start);
	o->kvm_ok = true;
	o->kvm_missing[0] = '\0';
}

/* --- sampling ----------------------------------------------------------- */

static void add_count(json_object *obj, const char *name, uint64_t n)
{
	if (n)
		json_object_object_add(obj, name, json_object_new_uint64(n));
}

struct interval {
	double t_s, dt_s;
	uint64_t warden[STATS_NREASONS], warden_total;
	struct kvm_stat_values kvm; /* deltas, summed over vCPUs */
	uint64_t kvm_exits;
	bool have_kvm;
	uint64_t trace[TRACE_MAX_CODES], trace_total;
	bool have_trace;
};

static void sample_warden(struct observatory *o, struct interval *iv)
{
	if (o->vm)
		vm_sync_observer(o->vm);
	for (unsigned r = 0; r < STATS_NREASONS; r++) {
		uint64_t now = 0;

		for (unsigned c = 0; c < o->nvcpus; c++)
			now += stats_live_count(&o->stats[c], r);
		iv->warden[r] = now - o->prev_live[r];
		iv->warden_total += iv->warden[r];
		o->prev_live[r] = now;
	}
}

static void sample_kvm(struct observatory *o, struct interval *iv)
{
	memset(&iv->kvm, 0, sizeof(iv->kvm));
	if (!o->kvm_ok)
		return;
	for (unsigned c = 0; c < o->nvcpus; c++) {
		struct kvm_stat_values now;

		if (kvm_stats_read(&o->vcpu_stats[c], &now) < 0)
			return;
		kvm_stat_accumulate(&iv->kvm, &o->vcpu_prev[c], &now);
		o->vcpu_prev[c] = now;
	}
	iv->have_kvm = true;
	iv->kvm_exits = kvm_stat_get(&iv->kvm, "exits");
}

static void sample_trace(struct observatory *o, struct interval *iv)
{
	struct exit_trace *t = o->trace;

	if (!t)
		return;
	iv->have_trace = true;
	for (unsigned i = 0; i < TRACE_MAX_CODES; i++) {
		uint64_t now = t->reason[i].in_kvm + t->reason[i].to_warden;

		iv->trace[i] = now - o->prev_trace[i];
		iv->trace_total += iv->trace[i];
		o->prev_trace[i] = now;
	}
}

static void write_jsonl(struct observatory *o, const struct interval *iv)
{
	json_object *line = json_object_new_object(), *w = json_object_new_object();
	char buf[32];

	json_object_object_add(line, "type", json_object_new_string("interval"));
	json_object_object_add(line, "t_s", json_object_new_double(iv->t_s));
	json_object_object_add(line, "dt_s", json_object_new_double(iv->dt_s));
	for (unsigned r = 0; r < STATS_NREASONS; r++)
		add_count(w, stats_reason_name(r), iv->warden[r]);
	json_object_object_add(line, "warden", w);
	if (iv->have_kvm) {
		json_object *k = json_object_new_object();
		for (unsigned i = 0; i < iv->kvm.n; i++)
			if (kvm_stat_is_cumulative(iv->kvm.flags[i]))
				add_count(k, iv->kvm.name[i], iv->kvm.val[i]);
		json_object_object_add(line, "kvm", k);
	}
	if (iv->have_trace) {
		json_object *t = json_object_new_object();
		for (unsigned i = 0; i < TRACE_MAX_CODES; i++)
			if (o->trace->reason[i].used)
				add_count(t, exit_trace_reason_name(o->trace, o->trace->reason[i].code, buf,
								   sizeof(buf)),
					  iv->trace[i]);
		json_object_object_add(line, "trace", t);
	}
	fprintf(o->jsonl, "%s\n", json_object_to_json_string_ext(line, JSON_C_TO_STRING_PLAIN));
	fflush(o->jsonl);
	json_object_put(line);
}

/* Top reasons of the interval as "NAME RATE" pairs, from the precise trace
 * when there is one, else from warden's own counts. */
static void top_reasons(struct observatory *o, const struct interval *iv, char *out, size_t len)
{
	unsigned idx[TRACE_MAX_CODES];
	const uint64_t *cnt = iv->have_trace ? iv->trace : iv->warden;
	unsigned n = iv->have_trace ? TRACE_MAX_CODES : STATS_NREASONS, m = 0;
	size_t used = 0;
	char buf[32];

	for (unsigned i = 0; i < n; i++)
		if (cnt[i])
			idx[m++] = i;
	for (unsigned k = 0; k < m && k < 6; k++) {
		unsigned best = k;
		for (unsigned j = k + 1; j < m; j++)
			if (cnt[idx[j]] > cnt[idx[best]])
				best = j;
		unsigned tmp = idx[k];
		idx[k] = idx[best];
		idx[best] = tmp;
		const char *name = iv->have_trace
			? exit_trace_reason_name(o->trace, o->trace->reason[idx[k]].code, buf, sizeof(buf))
			: stats_reason_name(idx[k]);
		int w = snprintf(out + used, len - used, " %s %.0f", name,
				 (double)cnt[idx[k]] / (iv->dt_s > 0 ? iv->dt_s : 1));
		if (w < 0 || (size_t)w >= len - used)
			break;
		used += (size_t)w;
	}
	if (!m)
		snprintf(out, len, " -");
}

static void print_live(struct observatory *o, const struct interval *iv)
{
	double dt = iv->dt_s > 0 ? iv->dt_s : 1;
	uint64_t all = iv->have_kvm ? iv->kvm_exits : iv->have_trace ? iv->trace_total : iv->warden_total;
	uint64_t hw_to_warden = iv->warden_total - iv->warden[STATS_REASON_EINTR] -
				iv->warden[STATS_REASON_EAGAIN];
	char top[256];

	if (o->lines++ % 20 == 0)
		fprintf(stderr, "warden live: %8s %10s %10s %10s | top reasons, exits/s (%s)\n", "time",
			"exits/s", "in KVM/s", "warden/s",
			iv->have_trace ? "hardware, exit trace" : "reaching warden");
	top_reasons(o, iv, top, sizeof(top));
	if (iv->have_kvm || iv->have_trace)
		fprintf(stderr, "warden live: %7.1fs %10.0f %10.0f %10.0f |%s\n", iv->t_s, (double)all / dt,
			(double)(all > hw_to_warden ? all - hw_to_warden : 0) / dt,
			(double)iv->warden_total / dt, top);
	else
		fprintf(stderr, "warden live: %7.1fs %10.0f %10s %10.0f |%s\n", iv->t_s, (double)all / dt,
			"n/a", (double)iv->warden_total / dt, top);
}

static void take_sample(struct observatory *o)
{
	struct interval *iv = calloc(1, sizeof(*iv));
	uint64_t now = now_ns();

	if (!iv)
		return;
	iv->t_s = (double)(now - o->t_start) / 1e9;
	iv->dt_s = (double)(now - o->t_last) / 1e9;
	o->t_last = now;
	sample_warden(o, iv);
	sample_kvm(o, iv);
	if (o->trace)
		exit_trace_drain(o->trace);
	sample_trace(o, iv);
	if (o->jsonl)
		write_jsonl(o, iv);
	if (o->cfg.live)
		print_live(o, iv);
	free(iv);
}

static void *sampler_thread(void *arg)
{
	struct observatory *o = arg;
	uint64_t period = (uint64_t)(o->cfg.interval_s * 1e9), next = o->t_last + period;

	pthread_setname_np(pthread_self(), "observatory");
	seccomp_enter(THREAD_SAMPLER);
	for (;;) {
		struct pollfd p = { .fd = o->stop_efd, .events = POLLIN };
		uint64_t now = now_ns();
		int wait_ms = period ? (int)((next > now ? next - now : 0) / 1000000) : 1000;

		if (o->trace && wait_ms > TRACE_DRAIN_MS)
			wait_ms = TRACE_DRAIN_MS;
		if (poll(&p, 1, wait_ms) > 0)
			break;
		if (o->trace)
			exit_trace_drain(o->trace);
		if (period && now_ns() >= next) {
			take_sample(o);
			next += period;
			if (next < now_ns())
				next = now_ns() + period; /* fell behind: do not burst */
		}
	}
	return NULL;
}

void obs_attach(struct observatory *o, struct vm *vm)
{
	o->attached = true;
	o->vm = vm;
	open_kvm_stats(o, vm);
	if (!o->t_start)
		o->t_start = now_ns();
	o->t_last = o->t_last ? o->t_last : o->t_start;
	if (!o->cfg.interval_s && !o->trace)
		return;
	o->stop_efd = eventfd(0, EFD_CLOEXEC);
	if (o->stop_efd < 0 || pthread_create(&o->thread, NULL, sampler_thread, o) != 0) {
		log_warn("cannot start the statistics sampler: %s", strerror(errno));
		return;
	}
	o->thread_on = true;
}

void obs_vcpu_thread_start(struct observatory *o, unsigned id)
{
	if (o->trace && exit_trace_open_thread(o->trace, id) < 0)
		log_warn("vCPU %u: %s (this vCPU is not traced)", id, err_msg());
}

void obs_detach(struct observatory *o)
{
	uint64_t one = 1;

	if (!o->attached)
		return;
	if (o->thread_on) {
		if (write(o->stop_efd, &one, sizeof(one)) < 0)
			log_warn("cannot stop the statistics sampler");
		pthread_join(o->thread, NULL);
		o->thread_on = false;
	}
	if (o->stop_efd >= 0)
		close(o->stop_efd);
	o->stop_efd = -1;
	if (o->trace)
		exit_trace_close(o->trace);
	if (o->cfg.interval_s)
		take_sample(o); /* the last, partial interval */
	if (o->kvm_ok) {
		struct kvm_stat_values end;

		for (unsigned c = 0; c < o->nvcpus; c++)
			if (kvm_stats_read(&o->vcpu_stats[c], &end) == 0)
				kvm_stat_accumulate(&o->view.vcpu[c], &o->vcpu_start[c], &end);
		if (kvm_stats_read(&o->vm_stats, &end) == 0)
			kvm_stat_accumulate(&o->view.vm, &o->vm_start, &end);
		for (unsigned c = 0; c < o->nvcpus; c++)
			kvm_stats_close(&o->vcpu_stats[c]);
		kvm_stats_close(&o->vm_stats);
	}
	o->attached = false;
	o->vm = NULL;
}

void obs_fill_report(struct observatory *o, struct stats_report *r)
{
	r->kvm = o->view.vcpu[0].n ? &o->view : NULL;
	r->kvm_missing = r->kvm ? NULL : o->kvm_missing[0] ? o->kvm_missing : NULL;
	r->trace = o->trace;
	r->trace_missing = o->cfg.exit_trace && !o->trace ? o->trace_missing : NULL;
	if (o->trace && o->trace->exits == 0 && r->wall_ns) {
		/* Opened fine, but KVM never fired kvm_exit for our vCPUs: a
		 * paravirtual KVM (kvm_pvm) handles exits on another path. */
		snprintf(o->trace_missing, sizeof(o->trace_missing),
			 "this host's KVM emitted no kvm:kvm_exit events for warden's vCPUs "
			 "(a paravirtual KVM such as kvm_pvm does not trace its exits)");
		r->trace = NULL;
		r->trace_missing = o->trace_missing;
	}
}

int obs_finish(struct observatory *o, const struct stats_report *r)
{
	json_object *line, *stats;
	int ret = 0;

	if (!o->jsonl)
		return 0;
	stats = stats_json_build(r);
	if (!stats) {
		fclose(o->jsonl);
		o->jsonl = NULL;
		return fail(ERR_HOST, "out of memory");
	}
	line = json_object_new_object();
	json_object_object_add(line, "type", json_object_new_string("final"));
	json_object_object_add(line, "stats", stats);
	fprintf(o->jsonl, "%s\n", json_object_to_json_string_ext(line, JSON_C_TO_STRING_PLAIN));
	json_object_put(line);
	if (fclose(o->jsonl) != 0)
		ret = fail_errno(ERR_USAGE, "cannot write --stats-trace %s", o->cfg.trace_path);
	o->jsonl = NULL;
	return ret;
}

void obs_destroy(struct observatory *o)
{
	if (o->jsonl)
		fclose(o->jsonl);
	free(o->vcpu_stats);
	free(o->vcpu_start);
	free(o->vcpu_prev);
	free(o->view.vcpu);
	free(o->trace);
	memset(o, 0, sizeof(*o));
}
