/* Interrupt remapping (VT-d 5.1): a remappable-format message names an
 * entry of the interrupt remapping table (IRTE); the entry, copied out of
 * guest memory and checked, gives the vector, destination, delivery and
 * trigger mode of the compatibility-format message the LAPICs get.
 * xAPIC mode only (IRTA.EIME is 0): the destination is the IRTE's bits
 * 47:40. */
#include <string.h>

#include "core/guest_mem.h"
#include "devices/vtd.h"

#define MSI_BASE 0xfee00000ULL
#define ADDR_REMAPPABLE (1ULL << 4)
#define ADDR_SHV (1ULL << 3)
#define IRTE_PRESENT 1ULL
#define IRTE_FPD 2ULL
#define IRTE_POSTED (1ULL << 15)
/* Reserved in the low quadword with EIME 0: bits 14:12, 31:24, the
 * destination's bits 7:0 (39:32) and 31:16 (63:48). */
#define IRTE_LO_RSVD ((7ULL << 12) | (0xffULL << 24) | (0xffULL << 32) | (0xffffULL << 48))
#define IRTE_HI_RSVD (~0ULL << 20) /* bits 127:84 */

bool vtd_ioapic_rte_remappable(uint64_t rte)
{
	return rte & (1ULL << 48);
}

/* VT-d 5.1.5.1: index[14:0] in RTE bits 63:49, index[15] in bit 11; the
 * message carries it as an MSI's handle, SHV clear. */
void vtd_ioapic_message(uint64_t rte, uint64_t *addr, uint32_t *data)
{
	uint64_t index = ((rte >> 49) & 0x7fff) | (((rte >> 11) & 1) << 15);

	*addr = MSI_BASE | ADDR_REMAPPABLE | ((index & 0x7fff) << 5) | ((index >> 15) << 2);
	*data = (uint32_t)(rte & 0xff) | (uint32_t)(((rte >> 15) & 1) << 15);
}

/* Source-id verification (SVT, SQ, SID of the IRTE's high quadword). */
static bool sid_ok(uint64_t hi, uint16_t sid)
{
	uint16_t want = (uint16_t)hi;
	static const uint16_t sq_mask[4] = { 0xffff, 0xfffb, 0xfff9, 0xfff8 };

	switch ((hi >> 18) & 3) {
	case 0: return true;
	case 1: return (want & sq_mask[(hi >> 16) & 3]) == (sid & sq_mask[(hi >> 16) & 3]);
	case 2: return (sid >> 8) >= (want >> 8) && (sid >> 8) <= (want & 0xff); /* bus range */
	default: return false; /* reserved; rejected with the entry */
	}
}

/* The IRTE's reserved fields (with P set). */
static bool irte_reserved(uint64_t lo, uint64_t hi)
{
	unsigned dlm = (lo >> 5) & 7;

	return (lo & (IRTE_LO_RSVD | IRTE_POSTED)) || (hi & IRTE_HI_RSVD) || dlm == 3 || dlm == 6 ||
	       ((hi >> 18) & 3) == 3;
}

/* The remapping table's entry INDEX, copied out: a fault or OK. */
static enum vtd_fault irte(const struct vtd *v, uint32_t index, uint64_t e[2])
{
	const void *p;

	if (index >= (2u << (v->irt & 0xf)))
		return VTD_FR_IR_INDEX;
	p = gmem_ptr(v->mem, (v->irt & ~0xfffULL) + (uint64_t)index * 16, 16);
	if (!p)
		return VTD_FR_IR_TABLE_ACCESS;
	memcpy(e, p, 16);
	return VTD_OK;
}

enum vtd_fault vtd_remap(const struct vtd *v, uint16_t sid, bool verify_sid, uint64_t addr,
			 uint32_t data, uint64_t *out_addr, uint32_t *out_data, uint32_t *index,
			 bool *fpd)
{
	uint64_t e[2];
	enum vtd_fault f;

	*index = 0;
	*fpd = false;
	*out_addr = addr;
	*out_data = data;
	if (!(v->gsts & VTD_GCMD_IRE))
		return VTD_OK;
	if ((addr >> 20) != (MSI_BASE >> 20))
		return VTD_FR_IR_REQ_RSVD; /* not an interrupt message's address */
	if (!(addr & ADDR_REMAPPABLE)) /* no EIME: CFIS decides */
		return v->gsts & VTD_GCMD_CFI ? VTD_OK : VTD_FR_IR_COMPAT_BLOCKED;
	*index = (uint32_t)(((addr >> 5) & 0x7fff) | (((addr >> 2) & 1) << 15));
	if (addr & ADDR_SHV) {
		if (data >> 16)
			return VTD_FR_IR_REQ_RSVD;
		*index = (*index + (data & 0xffff)) & 0xffff;
	}
	f = irte(v, *index, e);
	if (f != VTD_OK)
		return f;
	if (!(e[0] & IRTE_PRESENT))
		return VTD_FR_IR_NOT_PRESENT;
	*fpd = e[0] & IRTE_FPD;
	if (irte_reserved(e[0], e[1]))
		return VTD_FR_IR_IRTE_RSVD;
	if (verify_sid && !sid_ok(e[1], sid))
		return VTD_FR_IR_SID;
	/* Compatibility format: destination, redirection hint, destination
	 * mode in the address; vector, delivery mode, trigger mode (and the
	 * level's assertion) in the data. */
	*out_addr = MSI_BASE | (((e[0] >> 40) & 0xff) << 12) | (((e[0] >> 3) & 1) << 3) |
		    (((e[0] >> 2) & 1) << 2);
	*out_data = (uint32_t)(((e[0] >> 16) & 0xff) | (((e[0] >> 5) & 7) << 8) |
			       (((e[0] >> 4) & 1) << 15) | (((e[0] >> 4) & 1) << 14));
	return VTD_OK;
}

const char *vtd_fault_name(enum vtd_fault reason)
{
	switch (reason) {
	case VTD_OK: return "no fault";
	case VTD_FR_ROOT_NOT_PRESENT: return "root entry not present";
	case VTD_FR_CTX_NOT_PRESENT: return "context entry not present";
	case VTD_FR_CTX_INVALID: return "context entry invalid (address width or type)";
	case VTD_FR_ADDR_BEYOND_AW: return "address beyond the address width";
	case VTD_FR_WRITE: return "no write permission";
	case VTD_FR_READ: return "no read permission";
	case VTD_FR_PTE_ACCESS: return "page table outside guest RAM";
	case VTD_FR_ROOT_ACCESS: return "root table outside guest RAM";
	case VTD_FR_CTX_ACCESS: return "context table outside guest RAM";
	case VTD_FR_ROOT_RSVD: return "reserved bits in a root entry";
	case VTD_FR_CTX_RSVD: return "reserved bits in a context entry";
	case VTD_FR_PTE_RSVD: return "reserved bits in a page table entry";
	case VTD_FR_IR_REQ_RSVD: return "reserved bits in the interrupt request";
	case VTD_FR_IR_INDEX: return "interrupt index beyond the table";
	case VTD_FR_IR_NOT_PRESENT: return "IRTE not present";
	case VTD_FR_IR_TABLE_ACCESS: return "interrupt remapping table outside guest RAM";
	case VTD_FR_IR_IRTE_RSVD: return "reserved bits in an IRTE";
	case VTD_FR_IR_COMPAT_BLOCKED: return "compatibility-format interrupt blocked";
	case VTD_FR_IR_SID: return "source-id verification failed";
	}
	return "unknown fault";
}
