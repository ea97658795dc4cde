#include "accounting/exit_split.h"

#include "accounting/exit_trace.h"
#include "accounting/observatory.h"

uint64_t stats_hw_exits(const struct exit_stats *s)
{
	/* A signal (EINTR) or AP wake-up (EAGAIN) return is not an exit
	 * warden handled: KVM stopped for its own reasons. */
	return stats_total(s) - stats_live_count(s, STATS_REASON_EINTR) -
	       stats_live_count(s, STATS_REASON_EAGAIN);
}

static struct exit_split one_vcpu(const struct stats_report *r, unsigned c)
{
	struct exit_split x = { .by_warden = stats_hw_exits(&r->vcpu[c]), .source = "warden-only" };

	if (r->trace && c < TRACE_MAX_VCPUS) {
		const struct trace_ring *t = &r->trace->ring[c];
		x.in_kvm = t->vcpu_in_kvm;
		x.by_warden = t->vcpu_to_warden;
		x.total = x.in_kvm + x.by_warden;
		x.source = "exit-trace";
	} else if (r->kvm && c < r->kvm->nvcpus) {
		uint64_t all = kvm_stat_get(&r->kvm->vcpu[c], "exits");
		x.total = all > x.by_warden ? all : x.by_warden;
		x.in_kvm = x.total - x.by_warden;
		x.source = "kvm-stats";
	} else {
		x.total = x.by_warden;
	}
	return x;
}

struct exit_split exit_split_of(const struct stats_report *r, int vcpu)
{
	struct exit_split all = { .source = "warden-only" };

	if (vcpu >= 0)
		return one_vcpu(r, (unsigned)vcpu);
	for (unsigned c = 0; c < r->nvcpus; c++) {
		struct exit_split x = one_vcpu(r, c);
		all.total += x.total;
		all.in_kvm += x.in_kvm;
		all.by_warden += x.by_warden;
		all.source = x.source;
	}
	return all;
}
