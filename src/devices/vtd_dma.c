/* DMA translation in legacy mode (VT-d 3.4, 3.6, 9.1-9.3): root entry by
 * bus, context entry by device and function, then the second-level page
 * table the context points at.  Each entry is copied out of guest memory
 * and checked before it is used; the walk is as deep as the context's
 * address width says (3 or 4 levels), never more, so a table that points
 * back at itself only ends in a fault or a page. */
#include <string.h>

#include "core/guest_mem.h"
#include "devices/vtd.h"

#define HAW 48 /* host address width: address bits above it are reserved */
#define ADDR_MASK (((1ULL << HAW) - 1) & ~0xfffULL)
#define ABOVE_HAW (((1ULL << 52) - 1) & ~((1ULL << HAW) - 1)) /* bits 51:48 */
#define PTE_R 1ULL
#define PTE_W 2ULL
#define PTE_PS (1ULL << 7)
#define PTE_SNP (1ULL << 11) /* reserved: ECAP.SC is 0 */
#define TT_MULTI_LEVEL 0
#define TT_PASS_THROUGH 2

/* Copy N bytes of guest memory at GPA into OUT; false outside RAM. */
static bool load(const struct vtd *v, uint64_t gpa, void *out, unsigned n)
{
	const void *p = gmem_ptr(v->mem, gpa, n);

	if (!p)
		return false;
	memcpy(out, p, n);
	return true;
}

/* The context entry for SID, or a fault. */
static enum vtd_fault context(const struct vtd *v, uint16_t sid, uint64_t ce[2])
{
	uint64_t re[2];

	if (!load(v, v->root + (uint64_t)(sid >> 8) * 16, re, sizeof(re)))
		return VTD_FR_ROOT_ACCESS;
	if (!(re[0] & 1))
		return VTD_FR_ROOT_NOT_PRESENT;
	if ((re[0] & (0xffeULL | ~(ADDR_MASK | 0xfffULL))) || re[1])
		return VTD_FR_ROOT_RSVD;
	if (!load(v, (re[0] & ADDR_MASK) + (uint64_t)(sid & 0xff) * 16, ce, 2 * sizeof(uint64_t)))
		return VTD_FR_CTX_ACCESS;
	if (!(ce[0] & 1))
		return VTD_FR_CTX_NOT_PRESENT;
	if ((ce[0] & (0xff0ULL | ~(ADDR_MASK | 0xfffULL))) || (ce[1] & ((1ULL << 7) | ~0xffffffULL)))
		return VTD_FR_CTX_RSVD;
	return VTD_OK;
}

/* Reserved bits of a paging entry at LEVEL (1: 4 KiB pages). */
static uint64_t pte_reserved(uint64_t pte, unsigned level)
{
	uint64_t rsvd = ABOVE_HAW;

	if (level == 4)
		rsvd |= PTE_PS; /* no 512 GiB pages */
	if ((level == 2 || level == 3) && (pte & PTE_PS))
		rsvd |= PTE_SNP | (((1ULL << (12 + 9 * (level - 1))) - 1) & ~0xfffULL);
	if (level == 1)
		rsvd |= PTE_SNP;
	return pte & rsvd;
}

/* Walk LEVELS levels of the table at TABLE for IOVA. */
static enum vtd_fault walk(const struct vtd *v, uint64_t table, unsigned levels, uint64_t iova,
			   bool write, uint64_t *gpa, uint64_t *span)
{
	uint64_t need = write ? PTE_W : PTE_R;

	for (unsigned level = levels; level >= 1; level--) {
		unsigned shift = 12 + 9 * (level - 1);
		uint64_t pte, size = 1ULL << shift;

		if (!load(v, table + ((iova >> shift) & 511) * 8, &pte, sizeof(pte)))
			return VTD_FR_PTE_ACCESS;
		if (!(pte & need)) /* not present, or not with this permission */
			return write ? VTD_FR_WRITE : VTD_FR_READ;
		if (pte_reserved(pte, level))
			return VTD_FR_PTE_RSVD;
		if (level == 1 || (pte & PTE_PS)) {
			*gpa = (pte & ADDR_MASK & ~(size - 1)) | (iova & (size - 1));
			*span = size - (iova & (size - 1));
			return VTD_OK;
		}
		table = pte & ADDR_MASK;
	}
	return VTD_FR_PTE_RSVD; /* not reached: level 1 always ends the walk */
}

enum vtd_fault vtd_translate(const struct vtd *v, uint16_t sid, uint64_t iova, bool write,
			     uint64_t *gpa, uint64_t *span, bool *fpd)
{
	uint64_t ce[2];
	unsigned levels;
	enum vtd_fault f;

	*fpd = false;
	if (!(v->gsts & VTD_GCMD_TE)) { /* translation off: addresses are physical */
		*gpa = iova;
		*span = 0x1000 - (iova & 0xfff);
		return VTD_OK;
	}
	f = context(v, sid, ce);
	if (f != VTD_OK)
		return f;
	*fpd = ce[0] & 2;
	switch ((ce[0] >> 2) & 3) {
	case TT_PASS_THROUGH:
		*gpa = iova;
		*span = 0x1000 - (iova & 0xfff);
		return VTD_OK;
	case TT_MULTI_LEVEL:
		break;
	default: /* device-TLB translation (ECAP.DT is 0) and the reserved type */
		return VTD_FR_CTX_INVALID;
	}
	switch (ce[1] & 7) {
	case 1: levels = 3; break; /* 39-bit */
	case 2: levels = 4; break; /* 48-bit */
	default: return VTD_FR_CTX_INVALID; /* not in CAP.SAGAW */
	}
	if (iova >> (12 + 9 * levels))
		return VTD_FR_ADDR_BEYOND_AW;
	return walk(v, ce[0] & ADDR_MASK, levels, iova, write, gpa, span);
}
