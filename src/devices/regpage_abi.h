/* The register page's programming interface, as a guest sees it (the lab's
 * built-in guest includes this header too: fixed-width types only).
 *
 * One device model, three ways in:
 *  - trapped: 32-bit registers at port PORT_REGPAGE and in the MMIO window
 *    LAYOUT_REGPAGE_MMIO, every access a VM exit;
 *  - the register page: two pages of ordinary guest RAM at LAYOUT_REGPAGE
 *    in a memory slot of their own with dirty logging.  The guest writes
 *    page 0 at native speed; warden scans the dirty log on a timer and
 *    acts on what changed, and writes its answers into page 1, which the
 *    guest reads at native speed;
 *  - a batch ring in guest RAM: entries the guest fills, then one doorbell
 *    write (REGPAGE_REG_RING) for the whole batch.
 *
 * The device: every control write is counted and its value echoed. */
#ifndef WARDEN_DEVICES_REGPAGE_ABI_H
#define WARDEN_DEVICES_REGPAGE_ABI_H

#include <stdint.h>

/* Trapped registers (offsets in the port and MMIO windows, 32-bit). */
#define REGPAGE_REG_CTRL 0x0  /* W: a control write */
#define REGPAGE_REG_ECHO 0x4  /* R: the last control value */
#define REGPAGE_REG_COUNT 0x8 /* R: control writes counted (low 32 bits) */
#define REGPAGE_REG_RING 0xc  /* W: N entries from the start of the ring are a batch */

/* Page 0 of the register page: written by the guest. */
struct regpage_guest_page {
	uint32_t ctrl;     /* the control value */
	uint32_t ctrl_seq; /* doorbell-like counter: +1 per control write */
};
/* Page 1: written by warden at each scan. */
struct regpage_host_page {
	uint32_t echo;   /* the last control value warden saw */
	uint32_t count;  /* control writes counted (low 32 bits) */
	uint32_t scans;  /* scans that found page 0 dirty */
	uint32_t errors; /* guest errors (writes to this page) */
};
#define REGPAGE_PAGE_SIZE 4096
#define REGPAGE_NPAGES 2

/* The batch ring: up to REGPAGE_RING_MAX entries; reads get their answer
 * in VALUE, in place. */
enum regpage_ring_op {
	REGPAGE_OP_READ_ECHO = 1,
	REGPAGE_OP_READ_COUNT = 2,
	REGPAGE_OP_CTRL = 3,
};
struct regpage_ring_entry {
	uint32_t op;
	uint32_t value;
};
#define REGPAGE_RING_MAX 256
#define REGPAGE_RING_BAD 0xffffffffu /* VALUE of an entry the device refused */

_Static_assert(sizeof(struct regpage_guest_page) == 8, "page 0 layout");
_Static_assert(sizeof(struct regpage_host_page) == 16, "page 1 layout");
_Static_assert(sizeof(struct regpage_ring_entry) == 8, "ring entry layout");
_Static_assert(REGPAGE_RING_MAX * sizeof(struct regpage_ring_entry) <= 4096, "ring fits a page");

#endif
