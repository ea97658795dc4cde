/* `warden lab paging`: nested paging against shadow paging.  A built-in
 * guest (guest/lab/paging.c) with page tables of its own touches working
 * sets of growing size (first touch and re-touch) and changes page-table
 * entries (remap with INVLPG, CR3 switches); guest RAM backed by 4 KiB or
 * 2 MiB host pages, the working sets mapped by 4 KiB or 2 MiB guest pages.
 * At each window's marks warden reads KVM's counters (binary stats):
 * exits, faults by kind, INVLPG, shadow page-table writes, host-side
 * mappings by size; the guest times each window with its TSC.  The model:
 * with nested paging a guest page-table change costs no exit and a first
 * touch one fault per host page; with shadow paging each guest page fault,
 * write to a shadowed table, INVLPG and CR3 write can exit (issue 12,
 * section 5). */
#ifndef WARDEN_LAB_PAGING_LAB_H
#define WARDEN_LAB_PAGING_LAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lab/paging_abi.h"

/* KVM's counters the lab keeps per window: the vCPU's, then the VM's. */
#define PG_NSTATS 15
#define PG_NSTATS_VCPU 9
#define PG_HW_MAX 8
extern const char *const pg_stat_name[PG_NSTATS];
enum { PG_S_EXITS = 0, PG_S_PF_TAKEN, PG_S_PF_FIXED, PG_S_PF_GUEST, PG_S_PF_EMULATE, PG_S_PF_SPURIOUS,
       PG_S_TLB_FLUSH, PG_S_INVLPG, PG_S_IO_EXITS, PG_S_MMU_PTE_WRITE, PG_S_MMU_UNSYNC, PG_S_MMU_ZAPPED,
       PG_S_MMU_FLOODED, PG_S_PAGES_4K, PG_S_PAGES_2M };

struct pg_window_result {
	bool seen;
	uint64_t cycles;              /* the guest's TSC */
	bool known[PG_NSTATS];        /* KVM has that counter */
	int64_t delta[PG_NSTATS];     /* its change over the window (the marks' own exits taken out) */
	double model_lo, model_hi;    /* the model's exits on this host's MMU */
	double nested_lo, nested_hi, shadow_lo, shadow_hi; /* the model's exits on each MMU */
	/* Hardware exits by reason (kvm:kvm_exit, where KVM fires it), the
	 * begin mark's own port write among them. */
	unsigned nhw;
	struct {
		char name[32];
		uint64_t n;
	} hw[PG_HW_MAX];
};

struct pg_run {
	bool ran, ok;
	char why[200];
	bool backing_2m, map_2m;
	uint64_t ws_rss_kb, ws_huge_kb; /* the working sets' host mapping (smaps: Rss, AnonHugePages) */
	bool smaps_read;
	bool traced;                  /* kvm:kvm_exit was read for this run */
	char trace_why[120];          /* why not */
	uint64_t check, check_want;
	double huge_fraction;         /* of the working sets' bytes in 2 MiB host pages (smaps) */
	struct pg_window_result w[PG_NWINDOWS];
	/* All windows: exits measured; the model's on each MMU (at one exit
	 * per fault: no prefetch).  And by kind: page-table changes (remap,
	 * CR3), first touches, re-touches. */
	int64_t exits_total, exits_kind[3];
	double nested_total, shadow_lo_total, shadow_hi_total;
	double nested_kind[3], shadow_kind[3];
};

#define PG_NRUNS 4 /* backing 4K/2M x guest mapping 4K/2M */

struct pg_result {
	char tier[16], kvm[64], kernel[65];
	char mmu[96];          /* "nested", "shadow": from the module's parameter */
	char mmu_source[96];   /* which parameter said it, and its value */
	bool nested;
	char thp[64];          /* /sys/kernel/mm/transparent_hugepage/enabled */
	bool have_stats;
	uint64_t tsc_khz;
	uint32_t nsizes, iterations;
	uint64_t size[PG_MAX_SIZES];
	bool want[PG_NRUNS];
	struct pg_run run[PG_NRUNS];
};

/* What window W of run RUN is: "remap", "cr3", "first 4 MiB", ...; its
 * unit count (iterations or pages touched). */
void pg_window_label(const struct pg_result *R, unsigned w, char *buf, size_t len);
uint64_t pg_window_units(const struct pg_result *R, unsigned w);

int pg_measure(struct pg_result *R, const char *kvm_device);
void pg_model(struct pg_result *R);
void pg_print_table(const struct pg_result *R);
int pg_write_json(const char *path, const struct pg_result *R);
int pg_write_svg(const char *path, const struct pg_result *R);

/* ARGV[0] is "paging".  The exit status (0; 1 host failure or a run that
 * did not finish; 2 bad input). */
int lab_paging_main(int argc, char **argv);

#endif
