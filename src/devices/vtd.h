/* The model of one Intel VT-d remapping unit (Intel VT-d specification,
 * chapters 3, 5, 6 and 10), in the legacy (not scalable) mode QEMU's
 * intel-iommu has with its defaults: the register page, the queued
 * invalidation engine, DMA translation through root, context and
 * second-level page tables, and interrupt remapping through the
 * interrupt remapping table.  Pure data and rules over guest memory
 * (reached only through gmem_ptr, every entry copied out before it is
 * checked), no I/O: the unit tier drives every path.  devices/intel_iommu.c
 * makes it a device and sends the messages it asks for.
 *
 * No translation caches: every DMA and every interrupt walks the guest's
 * tables again, so invalidations (register-based or queued) have nothing
 * to drop and complete at once.  What is announced (CAP, ECAP):
 *   - 39-bit (3-level) and 48-bit (4-level) second-level tables, 2 MiB and
 *     1 GiB pages, pass-through contexts, coherent walks;
 *   - queued invalidation with 128-bit descriptors (context, IOTLB and
 *     interrupt entry cache invalidations, invalidation wait);
 *   - interrupt remapping in xAPIC mode (no EIM, as QEMU's eim=off), no
 *     posted interrupts;
 *   - one fault recording register. */
#ifndef WARDEN_DEVICES_VTD_H
#define WARDEN_DEVICES_VTD_H

#include <stdbool.h>
#include <stdint.h>

struct guest_mem;

/* Register offsets (VT-d 10.4). */
#define VTD_VER 0x00
#define VTD_CAP 0x08
#define VTD_ECAP 0x10
#define VTD_GCMD 0x18
#define VTD_GSTS 0x1c
#define VTD_RTADDR 0x20
#define VTD_CCMD 0x28
#define VTD_FSTS 0x34
#define VTD_FECTL 0x38
#define VTD_FEDATA 0x3c
#define VTD_FEADDR 0x40
#define VTD_FEUADDR 0x44
#define VTD_IQH 0x80
#define VTD_IQT 0x88
#define VTD_IQA 0x90
#define VTD_ICS 0x9c
#define VTD_IECTL 0xa0
#define VTD_IEDATA 0xa4
#define VTD_IEADDR 0xa8
#define VTD_IEUADDR 0xac
#define VTD_IRTA 0xb8
#define VTD_IVA 0x200   /* IOTLB registers (ECAP.IRO) */
#define VTD_IOTLB 0x208
#define VTD_FRCD 0x220  /* the fault recording register (CAP.FRO), 16 bytes */
#define VTD_REGS_END 0x230

/* GCMD and GSTS bits (a command bit and its status bit are the same). */
#define VTD_GCMD_TE (1u << 31)    /* translation enable */
#define VTD_GCMD_SRTP (1u << 30)  /* set root table pointer (one-shot) */
#define VTD_GCMD_SFL (1u << 29)
#define VTD_GCMD_WBF (1u << 27)
#define VTD_GCMD_QIE (1u << 26)   /* queued invalidation enable */
#define VTD_GCMD_IRE (1u << 25)   /* interrupt remapping enable */
#define VTD_GCMD_SIRTP (1u << 24) /* set interrupt remap table pointer (one-shot) */
#define VTD_GCMD_CFI (1u << 23)   /* compatibility format interrupts pass */

/* FSTS bits. */
#define VTD_FSTS_PFO (1u << 0) /* primary fault overflow */
#define VTD_FSTS_PPF (1u << 1) /* primary pending fault (the register's F) */
#define VTD_FSTS_IQE (1u << 4) /* invalidation queue error */
#define VTD_FSTS_W1C (VTD_FSTS_PFO | VTD_FSTS_IQE | (1u << 5) | (1u << 6))
#define VTD_CTL_IM (1u << 31)  /* FECTL/IECTL: interrupt mask */
#define VTD_CTL_IP (1u << 30)  /*             interrupt pending */

/* Fault reasons (VT-d 7.1.3; the numbers Linux prints). */
enum vtd_fault {
	VTD_OK = 0,
	VTD_FR_ROOT_NOT_PRESENT = 0x1,
	VTD_FR_CTX_NOT_PRESENT = 0x2,
	VTD_FR_CTX_INVALID = 0x3,     /* AW or TT the unit does not support */
	VTD_FR_ADDR_BEYOND_AW = 0x4,
	VTD_FR_WRITE = 0x5,           /* no write permission (or not present) */
	VTD_FR_READ = 0x6,            /* no read permission (or not present) */
	VTD_FR_PTE_ACCESS = 0x7,      /* a paging entry outside guest RAM */
	VTD_FR_ROOT_ACCESS = 0x8,     /* the root entry outside guest RAM */
	VTD_FR_CTX_ACCESS = 0x9,      /* the context entry outside guest RAM */
	VTD_FR_ROOT_RSVD = 0xa,
	VTD_FR_CTX_RSVD = 0xb,
	VTD_FR_PTE_RSVD = 0xc,
	VTD_FR_IR_REQ_RSVD = 0x20,    /* the interrupt request's reserved bits */
	VTD_FR_IR_INDEX = 0x21,       /* index beyond the table's size */
	VTD_FR_IR_NOT_PRESENT = 0x22,
	VTD_FR_IR_TABLE_ACCESS = 0x23, /* the IRTE outside guest RAM */
	VTD_FR_IR_IRTE_RSVD = 0x24,
	VTD_FR_IR_COMPAT_BLOCKED = 0x25,
	VTD_FR_IR_SID = 0x26,         /* source-id verification failed */
};

/* Messages the unit asks its owner to send (bit set). */
#define VTD_EVENT_FAULT 1u       /* fault event: FEADDR/FEDATA */
#define VTD_EVENT_INVALIDATION 2u /* invalidation wait done: IEADDR/IEDATA */

struct vtd {
	const struct guest_mem *mem;
	uint32_t gsts;
	uint64_t rtaddr, root;   /* RTADDR as written; the root table SRTP latched */
	uint64_t irta, irt;      /* IRTA as written; the table SIRTP latched */
	uint64_t ccmd, iva, iotlb;
	uint32_t fsts, fectl, fedata, feaddr, feuaddr;
	uint64_t iqh, iqt, iqa;
	uint32_t ics, iectl, iedata, ieaddr, ieuaddr;
	uint64_t frcd_lo, frcd_hi; /* the fault recording register */
	uint64_t faults;           /* every fault, recorded or not (FPD) */
	uint64_t descriptors;      /* invalidation descriptors done */
};

/* Power-on state over guest memory MEM. */
void vtd_init(struct vtd *v, const struct guest_mem *mem);
/* Guest accesses of LEN (4 or 8) bytes at OFF, aligned; anything else
 * reads 0 and writes nothing (-1: the caller logs and counts).  A write
 * returns the VTD_EVENT_* messages due, or -1. */
int vtd_read(const struct vtd *v, uint64_t off, unsigned len, uint64_t *val);
int vtd_write(struct vtd *v, uint64_t off, unsigned len, uint64_t val);

/* DMA translation (VT-d 3.4-3.7) of the request from source id SID (PCI
 * bus << 8 | devfn) to IOVA: the guest-physical address in *GPA and the
 * bytes from it to the end of its page in *SPAN, or a fault reason; *FPD
 * says whether the context entry asked that its faults not be recorded. */
enum vtd_fault vtd_translate(const struct vtd *v, uint16_t sid, uint64_t iova, bool write,
			     uint64_t *gpa, uint64_t *span, bool *fpd);

/* Interrupt remapping (VT-d 5.1): the message ADDR/DATA a source sent,
 * into the compatibility-format message the LAPICs take (passed through
 * unchanged while remapping is off).  SID is verified as the IRTE asks
 * when VERIFY_SID (a PCI function); the IOAPIC's messages are not, as
 * there is no DMAR table to give the IOAPIC a source id (QEMU does the
 * same).  *INDEX and *FPD describe the fault, if any. */
enum vtd_fault vtd_remap(const struct vtd *v, uint16_t sid, bool verify_sid, uint64_t addr,
			 uint32_t data, uint64_t *out_addr, uint32_t *out_data, uint32_t *index,
			 bool *fpd);
/* The remappable message an IOAPIC sends for a redirection entry in the
 * remappable format (bit 48): index from bits 63:49 and 11. */
bool vtd_ioapic_rte_remappable(uint64_t rte);
void vtd_ioapic_message(uint64_t rte, uint64_t *addr, uint32_t *data);

/* Record fault REASON of source SID at ADDR (an IOVA, or an interrupt
 * index << 48) in the fault recording register unless FPD; returns the
 * VTD_EVENT_* messages due. */
unsigned vtd_fault(struct vtd *v, enum vtd_fault reason, uint16_t sid, uint64_t addr, bool write,
		   bool fpd);
/* A fault reason's name, for log lines. */
const char *vtd_fault_name(enum vtd_fault reason);

#endif
