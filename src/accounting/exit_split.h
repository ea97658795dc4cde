/* Every hardware exit is either handled inside KVM or returned to warden.
 * This is where the two halves are put together, for the table and JSON
 * alike, from the best source the host gave: the exit trace (exact), KVM's
 * binary stats (KVM's exit counter minus the exits warden saw), or warden's
 * own counts alone. */
#ifndef WARDEN_ACCOUNTING_EXIT_SPLIT_H
#define WARDEN_ACCOUNTING_EXIT_SPLIT_H

#include <stdint.h>

#include "accounting/exit_stats.h"

struct exit_split {
	uint64_t total, in_kvm, by_warden;
	const char *source; /* "exit-trace", "kvm-stats", "warden-only" */
};

/* VCPU < 0: the whole VM. */
struct exit_split exit_split_of(const struct stats_report *r, int vcpu);
/* Exits of S that reached warden with an exit reason (not signals). */
uint64_t stats_hw_exits(const struct exit_stats *s);

#endif
