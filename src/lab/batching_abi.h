/* What `warden lab batching` tells its built-in guest (guest/lab/batching.c)
 * and what the guest answers: a block at LAYOUT_LAB_PARAMS in guest RAM,
 * and marks written to PORT_LAB_CTL.  Fixed-width fields only: the
 * freestanding guest includes this header too. */
#ifndef WARDEN_LAB_BATCHING_ABI_H
#define WARDEN_LAB_BATCHING_ABI_H

#include <stdint.h>

#define BT_MAGIC 0x42544c42u /* "BLTB" */
#define BT_MAX_SIZES 16

/* The ways an operation reaches warden. */
enum bt_way {
	BT_TRAP = 0, /* n `outb` to a port of the lab's device: n exits */
	BT_PORT = 1, /* one batch of n NOP hypercalls, port doorbell: one exit */
	BT_FAST = 2, /* one batch of n NOPs, ioeventfd doorbell (no exit to
		      * warden where KVM offers KVM_IOEVENTFD) */
	BT_NWAYS = 3
};

/* Marks (32-bit writes to PORT_LAB_CTL).  A block of REPS groups of one
 * way and size is framed by BT_MARK_BEGIN(way, size index) and
 * BT_MARK_END; warden counts the exits between them. */
#define BT_MARK_BEGIN(way, i) (0x100u | ((uint32_t)(way) << 4) | (uint32_t)(i))
#define BT_MARK_END 2u
#define BT_MARK_DONE 3u
/* The trapped operation: a byte written here (the lab device counts it). */
#define BT_TRAP_OFFSET 2

/* OUT status. */
enum bt_status {
	BT_ST_NONE = 0,    /* the guest never got to write it */
	BT_ST_DONE = 1,    /* measured */
	BT_ST_BAD_PARAMS,  /* magic, sizes or reps not what it knows */
	BT_ST_NO_FAST,     /* FAST_SETUP was refused */
};

struct bt_params {
	/* IN: written by warden before the guest starts. */
	uint32_t magic;
	uint32_t reps;              /* groups timed per way and size */
	uint32_t nsizes;            /* batch sizes to run */
	uint32_t sizes[BT_MAX_SIZES]; /* 1 .. WHC_BATCH_MAX, ascending */
	uint32_t pad0;
	uint64_t port_batch_gpa;    /* room for a WHC_BATCH_MAX batch each */
	uint64_t fast_batch_gpa;
	uint64_t setup_batch_gpa;
	uint64_t spin_limit;        /* polls of the fast batch before giving up */
	/* OUT: written by the guest before BT_MARK_DONE. */
	uint32_t status;            /* enum bt_status */
	uint32_t failures;          /* hypercalls whose status was not WHC_OK */
	uint64_t median[BT_NWAYS][BT_MAX_SIZES]; /* TSC cycles of a group of n */
	uint64_t min[BT_NWAYS][BT_MAX_SIZES];
};

_Static_assert(sizeof(struct bt_params) == 120 + 2 * 8 * BT_NWAYS * BT_MAX_SIZES, "bt_params layout");

#endif
