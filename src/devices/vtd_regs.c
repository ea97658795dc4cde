/* The VT-d register page (VT-d 10.4) and the queued invalidation engine
 * (6.5.2): what a guest's register accesses do.  devices/vtd.h says
 * what the unit announces. */
#include <string.h>

#include "core/guest_mem.h"
#include "devices/vtd.h"

#define VER_VALUE 0x10 /* 1.0 */
/* ND 2 (256 domains), SAGAW 39- and 48-bit, MGAW 48 bits, the fault
 * recording register at VTD_FRCD, SLLPS 2 MiB and 1 GiB, NFR 0 (one). */
#define CAP_VALUE                                                                             \
	(2ULL | (0x6ULL << 8) | (47ULL << 16) | ((uint64_t)(VTD_FRCD / 16) << 24) | (3ULL << 34))
/* Coherent, QI, IR, PT; IOTLB registers at VTD_IVA. */
#define ECAP_VALUE (1ULL | (1ULL << 1) | (1ULL << 3) | (1ULL << 6) | ((uint64_t)(VTD_IVA / 16) << 8))
#define GSTS_FOLLOWS (VTD_GCMD_TE | VTD_GCMD_QIE | VTD_GCMD_IRE | VTD_GCMD_CFI)
#define CCMD_ICC (1ULL << 63)
#define IOTLB_IVT (1ULL << 63)
#define FRCD_F (1ULL << 63) /* in the high quadword */
#define ICS_IWC 1u
#define IQA_MASK (~0xfffULL | 7ULL) /* base and QS; DW (bit 11) is not supported */
#define IQT_MASK 0x7fff0ULL
#define DESC_SIZE 16
#define VTD_PAGE_LEN 0x1000

void vtd_init(struct vtd *v, const struct guest_mem *mem)
{
	memset(v, 0, sizeof(*v));
	v->mem = mem;
	v->fectl = VTD_CTL_IM;
	v->iectl = VTD_CTL_IM;
}

/* --- events ------------------------------------------------------------ */

/* An interrupt condition on FECTL/IECTL-like CTL: sent now, or pending
 * while masked. */
static unsigned event(uint32_t *ctl, unsigned which)
{
	if (*ctl & VTD_CTL_IM) {
		*ctl |= VTD_CTL_IP;
		return 0;
	}
	*ctl &= ~VTD_CTL_IP;
	return which;
}

unsigned vtd_fault(struct vtd *v, enum vtd_fault reason, uint16_t sid, uint64_t addr, bool write,
		   bool fpd)
{
	v->faults++;
	if (fpd)
		return 0;
	if (v->frcd_hi & FRCD_F) {
		if (v->fsts & VTD_FSTS_PFO)
			return 0;
		v->fsts |= VTD_FSTS_PFO;
		return event(&v->fectl, VTD_EVENT_FAULT);
	}
	v->frcd_lo = addr & ~0xfffULL;
	v->frcd_hi = FRCD_F | (write ? 0 : 1ULL << 62) | ((uint64_t)reason << 32) | sid;
	v->fsts |= VTD_FSTS_PPF;
	return event(&v->fectl, VTD_EVENT_FAULT);
}

/* --- the invalidation queue -------------------------------------------- */

static unsigned queue_error(struct vtd *v)
{
	v->fsts |= VTD_FSTS_IQE;
	return event(&v->fectl, VTD_EVENT_FAULT);
}

/* One descriptor (legacy 128-bit format): 0 done, -1 invalid (IQE);
 * *EVENTS gets what it asks to send. */
static int descriptor(struct vtd *v, uint64_t lo, uint64_t hi, unsigned *events)
{
	if (lo & 0xe00) /* type bits 11:9: the scalable-mode descriptors */
		return -1;
	switch (lo & 0xf) {
	case 1: /* context cache: nothing cached; granularity 0 is reserved */
	case 2: /* IOTLB */
		return (lo >> 4) & 3 ? 0 : -1;
	case 4: /* interrupt entry cache */
		return 0;
	case 5: { /* invalidation wait */
		if (lo & (1u << 5)) { /* status write */
			uint32_t data = (uint32_t)(lo >> 32);
			void *p = gmem_ptr(v->mem, hi & ~3ULL, sizeof(data));

			if (!p)
				return -1;
			memcpy(p, &data, sizeof(data));
		}
		if (lo & (1u << 4)) { /* interrupt flag */
			v->ics |= ICS_IWC;
			*events |= event(&v->iectl, VTD_EVENT_INVALIDATION);
		}
		return 0;
	}
	default: /* device-TLB (ECAP.DT is 0), PASID kinds, reserved */
		return -1;
	}
}

/* Run the queue from IQH to IQT; at most one pass over it.  A bad
 * descriptor or tail stops it with IQE set and IQH at the descriptor. */
static unsigned run_queue(struct vtd *v)
{
	uint64_t entries = 256ULL << (v->iqa & 7);
	uint64_t head = v->iqh >> 4, tail = v->iqt >> 4;
	unsigned events = 0;

	if (!(v->gsts & VTD_GCMD_QIE) || (v->fsts & VTD_FSTS_IQE))
		return 0;
	if (tail >= entries)
		return queue_error(v);
	for (uint64_t n = 0; head != tail && n < entries; n++) {
		uint64_t d[2];
		const void *p = gmem_ptr(v->mem, (v->iqa & ~0xfffULL) + head * DESC_SIZE, DESC_SIZE);

		if (!p)
			return events | queue_error(v);
		memcpy(d, p, sizeof(d)); /* copied out before it is looked at */
		if (descriptor(v, d[0], d[1], &events) < 0)
			return events | queue_error(v);
		v->descriptors++;
		head = (head + 1) % entries;
		v->iqh = head << 4;
	}
	return events;
}

/* --- guest accesses ------------------------------------------------------ */

static unsigned gcmd(struct vtd *v, uint32_t cmd)
{
	uint32_t follows = cmd & GSTS_FOLLOWS;

	if ((cmd & VTD_GCMD_QIE) && !(v->gsts & VTD_GCMD_QIE))
		v->iqh = 0; /* enabling the queue starts it at its base */
	v->gsts = (v->gsts & ~GSTS_FOLLOWS) | follows;
	if (cmd & VTD_GCMD_SRTP) {
		v->root = v->rtaddr;
		v->gsts |= VTD_GCMD_SRTP;
	}
	if (cmd & VTD_GCMD_SIRTP) {
		v->irt = v->irta;
		v->gsts |= VTD_GCMD_SIRTP;
	}
	return run_queue(v);
}

/* A 32-bit register at OFF. */
static unsigned write32(struct vtd *v, uint64_t off, uint32_t val)
{
	switch (off) {
	case VTD_GCMD: return gcmd(v, val);
	case VTD_FSTS:
		v->fsts &= ~(val & VTD_FSTS_W1C);
		return run_queue(v); /* a cleared IQE lets the queue go on */
	case VTD_FECTL:
		v->fectl = (v->fectl & ~VTD_CTL_IM) | (val & VTD_CTL_IM);
		return (v->fectl & VTD_CTL_IP) && !(val & VTD_CTL_IM) ? event(&v->fectl, VTD_EVENT_FAULT) : 0;
	case VTD_FEDATA: v->fedata = val; return 0;
	case VTD_FEADDR: v->feaddr = val & ~3u; return 0;
	case VTD_FEUADDR: v->feuaddr = val; return 0;
	case VTD_ICS:
		if (val & ICS_IWC) {
			v->ics &= ~ICS_IWC;
			v->iectl &= ~VTD_CTL_IP;
		}
		return 0;
	case VTD_IECTL:
		v->iectl = (v->iectl & ~VTD_CTL_IM) | (val & VTD_CTL_IM);
		return (v->iectl & VTD_CTL_IP) && !(val & VTD_CTL_IM) ?
			       event(&v->iectl, VTD_EVENT_INVALIDATION) : 0;
	case VTD_IEDATA: v->iedata = val; return 0;
	case VTD_IEADDR: v->ieaddr = val & ~3u; return 0;
	case VTD_IEUADDR: v->ieuaddr = val; return 0;
	default: return 0; /* read-only and reserved: writes ignored */
	}
}

/* A 64-bit register at OFF (8-aligned); 0 for none. */
static uint64_t *reg64(struct vtd *v, uint64_t off)
{
	switch (off) {
	case VTD_RTADDR: return &v->rtaddr;
	case VTD_CCMD: return &v->ccmd;
	case VTD_IQT: return &v->iqt;
	case VTD_IQA: return &v->iqa;
	case VTD_IRTA: return &v->irta;
	case VTD_IVA: return &v->iva;
	case VTD_IOTLB: return &v->iotlb;
	case VTD_FRCD + 8: return &v->frcd_hi;
	default: return NULL;
	}
}

/* The new value VAL of the 64-bit register at OFF. */
static unsigned write64(struct vtd *v, uint64_t off, uint64_t val)
{
	switch (off) {
	case VTD_RTADDR: v->rtaddr = val & ~0xfffULL; return 0; /* legacy root table only */
	case VTD_IRTA: v->irta = val & (~0xfffULL | 0xf); return 0; /* no EIME */
	case VTD_IQA: v->iqa = val & IQA_MASK; return 0;
	case VTD_IQT: v->iqt = val & IQT_MASK; return run_queue(v);
	case VTD_CCMD: /* done at once: the actual granularity is the one asked */
		v->ccmd = val & CCMD_ICC ? (val & ~(CCMD_ICC | (3ULL << 59))) | (((val >> 61) & 3) << 59) : val;
		return 0;
	case VTD_IOTLB:
		v->iotlb = val & IOTLB_IVT ? (val & ~(IOTLB_IVT | (3ULL << 57))) | (((val >> 60) & 3) << 57) : val;
		return 0;
	case VTD_IVA: v->iva = val; return 0;
	case VTD_FRCD + 8:
		if (val & FRCD_F) { /* write 1 to clear */
			v->frcd_hi &= ~FRCD_F;
			v->fsts &= ~VTD_FSTS_PPF;
		}
		return 0;
	default: return 0;
	}
}

/* The 8 bytes at OFF (8-aligned) as the guest reads them. */
static uint64_t read8(const struct vtd *v, uint64_t off)
{
	switch (off) {
	case VTD_VER: return VER_VALUE;
	case VTD_CAP: return CAP_VALUE;
	case VTD_ECAP: return ECAP_VALUE;
	case VTD_GCMD: return (uint64_t)v->gsts << 32; /* GCMD reads 0 */
	case VTD_RTADDR: return v->rtaddr;
	case VTD_CCMD: return v->ccmd;
	case VTD_FSTS - 4: return (uint64_t)v->fsts << 32;
	case VTD_FECTL: return v->fectl | (uint64_t)v->fedata << 32;
	case VTD_FEADDR: return v->feaddr | (uint64_t)v->feuaddr << 32;
	case VTD_IQH: return v->iqh;
	case VTD_IQT: return v->iqt;
	case VTD_IQA: return v->iqa;
	case VTD_ICS - 4: return (uint64_t)v->ics << 32;
	case VTD_IECTL: return v->iectl | (uint64_t)v->iedata << 32;
	case VTD_IEADDR: return v->ieaddr | (uint64_t)v->ieuaddr << 32;
	case VTD_IRTA: return v->irta;
	case VTD_IVA: return v->iva;
	case VTD_IOTLB: return v->iotlb;
	case VTD_FRCD: return v->frcd_lo;
	case VTD_FRCD + 8: return v->frcd_hi;
	default: return 0;
	}
}

static bool access_ok(uint64_t off, unsigned len)
{
	return (len == 4 || len == 8) && !(off & (len - 1)) && off + len <= VTD_PAGE_LEN;
}

int vtd_read(const struct vtd *v, uint64_t off, unsigned len, uint64_t *val)
{
	*val = 0;
	if (!access_ok(off, len))
		return -1;
	*val = read8(v, off & ~7ULL);
	if (len == 4)
		*val = (uint32_t)(*val >> (8 * (off & 4)));
	return 0;
}

int vtd_write(struct vtd *v, uint64_t off, unsigned len, uint64_t val)
{
	uint64_t base = off & ~7ULL, *r;

	if (!access_ok(off, len))
		return -1;
	r = reg64(v, base);
	if (r) {
		uint64_t now = *r;

		if (len == 4) /* one half of a 64-bit register: the other kept */
			val = off & 4 ? (now & 0xffffffffULL) | (val << 32) : (now & ~0xffffffffULL) | (uint32_t)val;
		return (int)write64(v, base, val);
	}
	if (len == 4)
		return (int)write32(v, off, (uint32_t)val);
	return (int)(write32(v, base, (uint32_t)val) | write32(v, base + 4, (uint32_t)(val >> 32)));
}
