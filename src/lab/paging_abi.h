/* What `warden lab paging` tells its built-in guest (guest/lab/paging.c)
 * and what the guest answers: a block at LAYOUT_LAB_PARAMS in guest RAM,
 * and marks written to PORT_LAB_CTL around each measured window (warden
 * reads KVM's counters at each).  Fixed-width fields only: the
 * freestanding guest includes this header too. */
#ifndef WARDEN_LAB_PAGING_ABI_H
#define WARDEN_LAB_PAGING_ABI_H

#include <stdint.h>

#define PG_MAGIC 0x47415042u /* "BPAG" */
#define PG_MAX_SIZES 6
#define PG_WS_GPA (32ULL << 20)     /* the working sets, one after the other, each 2 MiB aligned */
#define PG_WS_MAX (192ULL << 20)    /* their total at most */
#define PG_WS_VA (512ULL << 30)     /* where the guest maps them (PML4 slot 1) */
#define PG_REMAP_GPA (16ULL << 20)  /* the frames the remap loop maps in turn */
#define PG_REMAP_FRAMES 16
#define PG_REMAP_VA (PG_WS_VA + (1ULL << 30)) /* the remap loop's one page */
#define PG_ITER_MAX 100000

/* The measured windows. */
enum pg_window {
	PG_W_REMAP = 0, /* N x (unmap PTE, INVLPG, map the next frame, INVLPG, touch) in ring 0 */
	PG_W_CR3,       /* N x (MOV CR3 to the other of two PML4s, touch) in ring 0 */
	PG_W_FIRST,     /* + 2 s: size s's first touch, a write to each 4 KiB page, in ring 3 */
	PG_W_RETOUCH,   /* + 2 s: the same pages again */
};
#define PG_NWINDOWS (2 + 2 * PG_MAX_SIZES)
#define PG_WIN_FIRST(s) (PG_W_FIRST + 2 * (s))
#define PG_WIN_RETOUCH(s) (PG_W_RETOUCH + 2 * (s))

/* Marks (32-bit writes to PORT_LAB_CTL). */
#define PG_MARK_BEGIN(w) (0x100u | (uint32_t)(w))
#define PG_MARK_END 2u
#define PG_MARK_DONE 3u
#define PG_MARK_BAD 4u

enum pg_status { PG_ST_NONE = 0, PG_ST_DONE = 1, PG_ST_BAD_PARAMS = 2 };

struct pg_params {
	/* IN */
	uint32_t magic;
	uint32_t nsizes;            /* 1..PG_MAX_SIZES */
	uint32_t map_2m;            /* map the working sets with 2 MiB guest pages (else 4 KiB) */
	uint32_t iterations;        /* of the remap and CR3 loops, 1..PG_ITER_MAX */
	uint64_t size[PG_MAX_SIZES]; /* bytes, multiples of 2 MiB... or of 4 KiB (rounded up to 2 MiB in GPA) */
	/* OUT */
	uint32_t status;            /* enum pg_status */
	uint32_t pad;
	uint64_t cycles[PG_NWINDOWS]; /* guest TSC cycles each window took */
	uint64_t check;             /* the sum of what the touches stored (1 a page), read back */
};

_Static_assert(sizeof(struct pg_params) == 16 + 8 * PG_MAX_SIZES + 8 + 8 * PG_NWINDOWS + 8, "pg_params layout");

#endif
