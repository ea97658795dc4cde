/* What `warden lab emulated-vs-virtio` tells its built-in guest
 * (guest/lab/regpage.c) and what the guest answers: a block at
 * LAYOUT_LAB_PARAMS in guest RAM, and marks written to PORT_LAB_CTL.
 * Fixed-width fields only: the guest includes this header too. */
#ifndef WARDEN_LAB_REGPAGE_LAB_ABI_H
#define WARDEN_LAB_REGPAGE_LAB_ABI_H

#include <stdint.h>

#define EV_MAGIC 0x45564c42u /* "BLVE" */

/* The mechanisms of the experiment. */
enum ev_mode {
	EV_PIO = 1,  /* (a) trapped registers over port I/O */
	EV_MMIO = 2, /* (b) trapped registers over MMIO */
	EV_PAGE = 3, /* (c) the dirty-logged register page */
	EV_RING = 4, /* (d) a batch ring, one doorbell per batch */
	/* (c') the same page, left writable while the guest keeps writing it
	 * (devices/regpage.h's hold): warden's side only, the guest is told
	 * EV_PAGE. */
	EV_PAGE_HELD = 5,
};

/* Marks (32-bit writes to PORT_LAB_CTL). */
#define EV_MARK_START 1 /* the measured window begins */
#define EV_MARK_END 2   /* it ends (every batch flushed) */
#define EV_MARK_DONE 3  /* results are in the block: end the VM */

struct ev_params {
	/* IN: written by warden before the guest starts. */
	uint32_t magic;
	uint32_t mode;          /* enum ev_mode */
	uint64_t tsc_hz;        /* the guest's TSC rate */
	uint64_t reads_per_s;   /* status reads offered */
	uint64_t writes_per_s;  /* control writes offered */
	uint64_t duration_tsc;  /* length of the measured window */
	uint64_t settle_tsc;    /* after it: how long to wait for the device */
	uint64_t mmio_base;     /* trapped registers in MMIO */
	uint64_t page_gpa;      /* the register page */
	uint64_t ring_gpa;      /* the batch ring */
	uint32_t port;          /* trapped registers in port I/O */
	uint32_t batch;         /* ring entries per doorbell */
	/* OUT: written by the guest before EV_MARK_DONE. */
	uint64_t reads, writes; /* operations done in the window */
	uint64_t doorbells;     /* batches rung (EV_RING) */
	uint64_t window_tsc;    /* how long the window really took */
	uint32_t device_count;  /* control writes the device said it counted */
	uint32_t device_echo;   /* and the last value it saw */
	uint64_t settle_spent;  /* TSC cycles until the device had counted them all */
	uint64_t clock_reads;   /* looks at the TSC in the window (pacing overhead) */
};

_Static_assert(sizeof(struct ev_params) == 136, "ev_params layout");

#endif
