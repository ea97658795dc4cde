#include "accounting/recorder.h"

#include "accounting/crash.h"
#include "accounting/exit_stats.h"
#include "accounting/observatory.h"
#include "core/vm.h"
#include "util/hot.h"
#include "util/invariant.h"

static void on_vcpu_start(void *ctx, unsigned vcpu)
{
	struct recorder *r = ctx;

	if (r->obs)
		obs_vcpu_thread_start(r->obs, vcpu);
}

/* The thread's last exits are still pending (exit_stats.h): into the
 * cells, before anyone reads them. */
static void on_vcpu_end(void *ctx, unsigned vcpu)
{
	struct recorder *r = ctx;

	if (invariant(vcpu < r->nvcpus))
		stats_flush(&r->stats[vcpu]);
}

EXIT_PATH static void on_vm_exit(void *ctx, unsigned vcpu, const struct exit_record *e)
{
	struct recorder *r = ctx;

	if (invariant(vcpu < r->nvcpus)) {
		stats_record(&r->stats[vcpu], e);
		last_exits_add(&r->stats[vcpu].last, e);
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
