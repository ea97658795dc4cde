/* The register file of QEMU's educational PCI device ("edu", 1234:11e8,
 * QEMU's docs/specs/edu.rst), as the kvm-unit-tests intel_iommu test and
 * its lib/pci-edu.c use it; pure data and rules, no I/O (devices/edu.c
 * does the DMA and the interrupts these ask for).  BAR 0:
 *
 *   0x00 RO  identification 0x010000ed (version 1.0)
 *   0x04 RW  liveness: reads the inverse of what was written
 *   0x08 RW  factorial: a write computes the factorial (mod 2^32) of the
 *            value, at once (QEMU uses a thread; status bit 0 is never
 *            seen set here); with status bit 7 set it raises 0x1
 *   0x20 RW  status: bit 0 computing (RO), bit 7 interrupt after factorial
 *   0x24 RO  interrupt status
 *   0x60 WO  interrupt raise: ORed into the status, interrupt sent
 *   0x64 WO  interrupt acknowledge: cleared from the status
 *   0x80 RW  DMA source, 0x88 destination, 0x90 count (64-bit)
 *   0x98 RW  DMA command: bit 0 start, bit 1 direction (1: device buffer
 *            to RAM), bit 2 raise 0x100 when done.  The transfer is done
 *            at the write (QEMU's takes a 100 ms timer): bit 0 reads 0
 *            again when the write returns.
 *
 * The device's buffer is at 0x40000 in its DMA view, 4 KiB; a transfer
 * must lie inside it on the device side, count at most 4 KiB.  Accesses
 * below 0x80 are 4 bytes, above 4 or 8 (others read all ones, as QEMU's). */
#ifndef WARDEN_DEVICES_EDU_REGS_H
#define WARDEN_DEVICES_EDU_REGS_H

#include <stdbool.h>
#include <stdint.h>

#define EDU_VENDOR 0x1234
#define EDU_DEVICE 0x11e8
#define EDU_BAR_SIZE (1u << 20) /* QEMU's: 1 MiB */
#define EDU_ID 0x010000edu
#define EDU_DMA_BASE 0x40000u
#define EDU_DMA_SIZE 4096u
#define EDU_IRQ_FACTORIAL 0x1u
#define EDU_IRQ_DMA 0x100u

struct edu_regs {
	uint32_t liveness; /* as read: the inverse of the last write */
	uint32_t factorial;
	uint32_t status;
	uint32_t irq_status;
	uint64_t dma_src, dma_dst, dma_count, dma_cmd;
	uint8_t buf[EDU_DMA_SIZE];
};

/* What a write asks the device to do next. */
#define EDU_DO_RAISE 1u /* an interrupt was raised: send it (MSI) or assert INTx */
#define EDU_DO_LOWER 2u /* the status was acknowledged: maybe deassert INTx */
#define EDU_DO_DMA 4u   /* a transfer was started: edu_dma_plan, then edu_dma_done */

/* One planned transfer: LEN bytes between the device's buffer at BUF_OFF
 * and the I/O address ADDR, TO_MEMORY as the command's direction. */
struct edu_dma {
	uint64_t addr;
	uint32_t buf_off, len;
	bool to_memory;
};

void edu_regs_reset(struct edu_regs *r);
/* Guest accesses at OFF of LEN bytes; -1 for an access QEMU's would not
 * take (reads all ones, writes nothing), for the caller to count. */
int edu_regs_read(const struct edu_regs *r, uint64_t off, unsigned len, uint64_t *val);
int edu_regs_write(struct edu_regs *r, uint64_t off, unsigned len, uint64_t val, unsigned *todo);
/* The started transfer, checked: -1 if its device side is not inside the
 * buffer or its count is too large (the transfer is then dropped). */
int edu_dma_plan(const struct edu_regs *r, struct edu_dma *d);
/* The transfer ended (done or dropped): start bit cleared; returns
 * EDU_DO_RAISE when the command asked for an interrupt. */
unsigned edu_dma_done(struct edu_regs *r);

#endif
