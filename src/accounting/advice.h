/* Explaining, not only counting: the biggest exit sources of a run, each
 * with what it is and which tool would remove it (a flag, a guest option,
 * a host feature).  Shared by the end-of-VM table and the --stats JSON. */
#ifndef WARDEN_ACCOUNTING_ADVICE_H
#define WARDEN_ACCOUNTING_ADVICE_H

#include <stdint.h>

#include "accounting/advice_costs.h"
#include "accounting/exit_stats.h"

#define ADVICE_MAX 4
/* A source is worth advice from this share of all exits and this count. */
#define ADVICE_MIN_SHARE 0.02
#define ADVICE_MIN_EXITS 50

struct advice {
	const char *source; /* short name: "serial console (COM1)" */
	uint64_t exits;
	double share;       /* of all exits (KVM's count where known) */
	const char *what;   /* what the guest does */
	const char *fix;    /* what removes them */
	/* The saving in time, where --advice-costs gave what one such exit
	 * and what replaces it cost on this host (warden bench exits rows):
	 * exits x (exit_ns - instead_ns); saving_ns < 0 when unknown. */
	const char *exit_row, *instead_row;
	double exit_ns, instead_ns, saving_ns;
};

/* The sources of ALL (merged over vCPUs) in R worth advice, biggest
 * first, into OUT; returns how many (at most ADVICE_MAX). */
unsigned advice_collect(const struct stats_report *r, const struct exit_view *all,
			struct advice *out);

#endif
