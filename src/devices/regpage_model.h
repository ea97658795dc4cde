/* The register page's device model and the dirty-bitmap scan, as pure
 * functions (no KVM, no threads): what the trapped registers, the
 * dirty-logged page and the batch ring all drive (devices/regpage.c). */
#ifndef WARDEN_DEVICES_REGPAGE_MODEL_H
#define WARDEN_DEVICES_REGPAGE_MODEL_H

#include <stdint.h>

#include "devices/regpage_abi.h"

struct regpage_model {
	uint32_t echo;   /* last control value */
	uint64_t count;  /* control writes counted */
	uint64_t errors; /* guest errors */
};

/* N control writes, the last of value VALUE. */
void regpage_model_ctrl(struct regpage_model *m, uint32_t value, uint64_t n);
/* A trapped register read (REGPAGE_REG_*); a register that cannot be read
 * returns 0xffffffff and counts a guest error. */
uint32_t regpage_model_read(struct regpage_model *m, unsigned reg);
/* Control writes between two readings of the guest's ctrl_seq counter
 * (wraps at 2^32). */
static inline uint32_t regpage_seq_delta(uint32_t seen, uint32_t now)
{
	return now - seen;
}
/* Serve the batch ENT[0..N) in place (N <= REGPAGE_RING_MAX): reads get
 * their answer, control writes go to the model, an unknown op gets
 * REGPAGE_RING_BAD.  Returns the entries refused (each a guest error). */
unsigned regpage_model_batch(struct regpage_model *m, struct regpage_ring_entry *ent, unsigned n);

/* 64-bit words of a dirty bitmap of NPAGES pages. */
static inline unsigned dirty_bitmap_words(unsigned npages)
{
	return (npages + 63) / 64;
}
/* The dirty pages in BM (NPAGES pages; bits past NPAGES ignored): their
 * indices into IDX (at most CAP, ascending); returns how many are dirty
 * (which may be more than CAP). */
unsigned dirty_pages(const uint64_t *bm, unsigned npages, unsigned *idx, unsigned cap);
/* Whether page P is dirty in BM. */
static inline int dirty_page_is_set(const uint64_t *bm, unsigned p)
{
	return (int)((bm[p / 64] >> (p % 64)) & 1);
}

#endif
