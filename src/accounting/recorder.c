#include "accounting/recorder.h"

#include "accounting/crash.h"
#include "accounting/exit_stats.h"
#include "accounting/observatory.h"
#include "core/vm.h"
#include "util/hot.h"
#include "util/invariant.h"

/* The vCPU thread's own exit_stats, found at its start: an exit then
 * reads a thread-local pointer next to the thread's stack instead of the
 * recorder, which lives wherever its owner put it (warden run: its main
 * thread's stack), one more page touched at every exit (util/hot.h). */
static __thread struct {
	const struct recorder *r;
	struct exit_stats *stats;
} mine;

static void on_vcpu_start(void *ctx, unsigned vcpu)
{
	struct recorder *r = ctx;

	if (invariant(vcpu < r->nvcpus)) {
		mine.r = r;
		mine.stats = &r->stats[vcpu];
	}
	if (r->obs)
		obs_vcpu_thread_start(r->obs, vcpu);
}

/* VCPU's exit_stats, from the thread's pointer when it is this
 * recorder's, else NULL for a vCPU number out of range. */
static inline struct exit_stats *stats_of(struct recorder *r, unsigned vcpu)
{
	if (mine.r == r)
		return mine.stats;
	return invariant(vcpu < r->nvcpus) ? &r->stats[vcpu] : NULL;
}

/* The thread's last exits are still pending (exit_stats.h): into the
 * cells, before anyone reads them. */
static void on_vcpu_end(void *ctx, unsigned vcpu)
{
	struct recorder *r = ctx;

	if (invariant(vcpu < r->nvcpus))
		stats_flush(&r->stats[vcpu]);
	mine.r = NULL;
	mine.stats = NULL;
}

EXIT_PATH static void on_vm_exit(void *ctx, unsigned vcpu, const struct exit_record *e)
{
	struct exit_stats *s = stats_of(ctx, vcpu);

	if (s) {
		stats_record(s, e);
		last_exits_add(&s->last, e);
	}
}

static void on_crash(void *ctx, unsigned vcpu, const struct exit_record *e,
		     const struct vcpu_crash *c)
{
	struct recorder *r = ctx;

	if (r->crash)
		crash_record(r->crash, vcpu, e, c);
}

static void on_return(void *ctx, unsigned vcpu, uint64_t ticks)
{
	struct recorder *r = ctx;

	if (invariant(vcpu < r->nvcpus))
		stats_record_last_return(&r->stats[vcpu], ticks);
}

void recorder_observer(struct recorder *r, struct vm_observer *out)
{
	*out = (struct vm_observer){
		.ctx = r, .vcpu_start = on_vcpu_start, .vcpu_end = on_vcpu_end, .exit = on_vm_exit,
		.exit_return = on_return, .crash = on_crash,
	};
}
