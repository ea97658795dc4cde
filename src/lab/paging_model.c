/* `warden lab paging`: the model's exits for each window.
 *
 * Nested paging (NPT/EPT): the guest's page tables are the hardware's
 * first stage; KVM only fills the second.  A guest page-table write,
 * INVLPG or CR3 write costs no exit; a first touch costs one fault (an
 * exit) per host page it maps, 4 KiB or 2 MiB as the host backs the
 * memory; a re-touch none.
 * Shadow paging: KVM builds the tables the hardware walks from the
 * guest's.  A first touch costs a fault per page KVM maps (a 2 MiB one
 * only where the guest maps 2 MiB and the host backs 2 MiB); each INVLPG
 * and CR3 write is intercepted; a write to a guest page table KVM has
 * write-protected exits too, unless KVM has let that table go out of sync
 * (then the INVLPG does the work).  So the remap loop's iteration (2 PTE
 * writes, 2 INVLPG, a touch) costs 2 to 5 exits, the CR3 loop's one.
 * KVM prefetches up to 8 neighbouring entries on a fault when their host
 * pages are already there (PTE_PREFETCH_NUM), so a first touch can take
 * as few as 1/8 of the faults: the lower bound. */
#include <math.h>
#include <string.h>
#include <stdio.h>

#include "lab/paging_lab.h"

#define KIB4 4096.0
#define MIB2 (2.0 * 1024 * 1024)
#define PREFETCH 8.0

void pg_window_label(const struct pg_result *R, unsigned w, char *buf, size_t len)
{
	if (w == PG_W_REMAP)
		snprintf(buf, len, "remap+INVLPG");
	else if (w == PG_W_CR3)
		snprintf(buf, len, "CR3 switch");
	else
		snprintf(buf, len, "%s %g MiB", (w - PG_W_FIRST) % 2 ? "re-touch" : "first",
			 (double)R->size[(w - PG_W_FIRST) / 2] / (1 << 20));
}

uint64_t pg_window_units(const struct pg_result *R, unsigned w)
{
	if (w == PG_W_REMAP || w == PG_W_CR3)
		return R->iterations;
	return R->size[(w - PG_W_FIRST) / 2] / 4096;
}

/* Host pages under BYTES when a fraction F of them is in 2 MiB pages. */
static double host_pages(double bytes, double f)
{
	return ceil(bytes * f / MIB2) + bytes * (1 - f) / KIB4;
}

static void window_model(const struct pg_result *R, const struct pg_run *run, unsigned w,
			 struct pg_window_result *m)
{
	double n = R->iterations;

	m->nested_lo = m->nested_hi = m->shadow_lo = m->shadow_hi = 0;
	if (w == PG_W_REMAP) {
		m->shadow_lo = 2 * n;
		m->shadow_hi = 5 * n;
	} else if (w == PG_W_CR3) {
		m->shadow_lo = m->shadow_hi = n;
	} else if ((w - PG_W_FIRST) % 2 == 0) {
		double bytes = (double)R->size[(w - PG_W_FIRST) / 2];
		double host = host_pages(bytes, run->huge_fraction);

		m->nested_hi = host;
		m->shadow_hi = run->map_2m ? host : bytes / KIB4;
		m->nested_lo = m->nested_hi / PREFETCH;
		m->shadow_lo = m->shadow_hi / PREFETCH;
	}
	m->model_lo = R->nested ? m->nested_lo : m->shadow_lo;
	m->model_hi = R->nested ? m->nested_hi : m->shadow_hi;
}

void pg_model(struct pg_result *R)
{
	for (unsigned r = 0; r < PG_NRUNS; r++) {
		struct pg_run *run = &R->run[r];
		double total = 0;

		if (!run->ran)
			continue;
		for (uint32_t s = 0; s < R->nsizes; s++)
			total += (double)((R->size[s] + (2u << 20) - 1) & ~((2ULL << 20) - 1));
		run->huge_fraction = total > 0 ? (double)run->ws_huge_kb * 1024 / total : 0;
		run->huge_fraction = run->huge_fraction > 1 ? 1 : run->huge_fraction;
		run->exits_total = 0;
		run->nested_total = run->shadow_lo_total = run->shadow_hi_total = 0;
		memset(run->exits_kind, 0, sizeof(run->exits_kind));
		memset(run->nested_kind, 0, sizeof(run->nested_kind));
		memset(run->shadow_kind, 0, sizeof(run->shadow_kind));
		for (unsigned w = 0; w < 2 + 2 * R->nsizes; w++) {
			struct pg_window_result *m = &run->w[w];
			unsigned k = w < PG_W_FIRST ? 0 : (w - PG_W_FIRST) % 2 ? 2 : 1;

			window_model(R, run, w, m);
			run->exits_kind[k] += m->delta[PG_S_EXITS];
			run->nested_kind[k] += m->nested_hi;
			run->shadow_kind[k] += m->shadow_hi;
			run->exits_total += m->delta[PG_S_EXITS];
			run->nested_total += m->nested_hi;
			run->shadow_lo_total += m->shadow_lo;
			run->shadow_hi_total += m->shadow_hi;
		}
	}
}
