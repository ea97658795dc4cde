#include "accounting/recorder.h"

#include "accounting/crash.h"
#include "accounting/exit_stats.h"
#include "accounting/observatory.h"
#include "core/vm.h"
#include "util/hot.h"
#include "util/invariant.h"

/* A vCPU's exits are handed its own exit_stats (vcpu_start returns it:
 * core/vm.h), which its thread keeps on its stack: an exit does not read
 * the recorder, which lives wherever its owner put it (warden run: its
 * main thread's stack), nor a thread-local pointer, which sits in a page
 * of its own above the thread's stack (util/hot.h). */
static void *on_vcpu_start(void *ctx, unsigned vcpu)
{
	struct recorder *r = ctx;

	if (r->obs)
		obs_vcpu_thread_start(r->obs, vcpu);
	if (!invariant(vcpu < r->nvcpus))
		return NULL;
	return &r->stats[vcpu];
}

/* The thread's last exits are still pending (exit_stats.h): into the
 * cells, before anyone reads them. */
static void on_vcpu_end(void *ctx, unsigned vcpu)
{
	struct recorder *r = ctx;

	if (invariant(vcpu < r->nvcpus))
		stats_flush(&r->stats[vcpu]);
}

/* VCTX: the vCPU's exit_stats (on_vcpu_start), NULL for a vCPU out of
 * the recorder's range, whose exits are not counted.  The run loop hands
 * over its notes EXIT_NOTES at a time (core/vm.h), so an exit makes no
 * call here and touches neither this code's page nor its exit_stats'. */
EXIT_PATH static void on_vm_exits(void *vctx, unsigned vcpu, const struct exit_note *e, unsigned n)
{
	struct exit_stats *s = vctx;

	(void)vcpu;
	if (!s)
		return;
	for (unsigned i = 0; i < n; i++) {
		stats_record(s, &e[i]);
		last_exits_add(&s->last, &e[i]);
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
		.ctx = r, .vcpu_start = on_vcpu_start, .vcpu_end = on_vcpu_end, .exits = on_vm_exits,
		.exit_return = on_return, .crash = on_crash,
	};
}
