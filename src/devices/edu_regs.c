/* QEMU edu's register file: devices/edu_regs.h. */
#include <string.h>

#include "devices/edu_regs.h"

#define STATUS_COMPUTING 0x01u
#define STATUS_IRQ_FACT 0x80u
#define CMD_START 1u
#define CMD_TO_RAM 2u
#define CMD_IRQ 4u

void edu_regs_reset(struct edu_regs *r)
{
	memset(r, 0, sizeof(*r));
	r->liveness = ~0u; /* the inverse of 0 */
}

static bool width_ok(uint64_t off, unsigned len)
{
	return off < 0x80 ? len == 4 : len == 4 || len == 8;
}

int edu_regs_read(const struct edu_regs *r, uint64_t off, unsigned len, uint64_t *val)
{
	*val = ~0ULL;
	if (!width_ok(off, len))
		return -1;
	switch (off) {
	case 0x00: *val = EDU_ID; break;
	case 0x04: *val = r->liveness; break;
	case 0x08: *val = r->factorial; break;
	case 0x20: *val = r->status; break;
	case 0x24: *val = r->irq_status; break;
	case 0x80: *val = r->dma_src; break;
	case 0x88: *val = r->dma_dst; break;
	case 0x90: *val = r->dma_count; break;
	case 0x98: *val = r->dma_cmd; break;
	default: return 0; /* unassigned: all ones, as QEMU's */
	}
	if (len == 4)
		*val &= 0xffffffffULL;
	return 0;
}

/* N! mod 2^32: zero from 34 on (34! has 32 factors of two), so the loop
 * is at most 33 steps whatever the guest writes. */
static uint32_t factorial(uint32_t n)
{
	uint32_t f = 1;

	if (n >= 34)
		return 0;
	for (uint32_t i = 2; i <= n; i++)
		f *= i;
	return f;
}

int edu_regs_write(struct edu_regs *r, uint64_t off, unsigned len, uint64_t val, unsigned *todo)
{
	*todo = 0;
	if (!width_ok(off, len))
		return -1;
	if (len == 4)
		val &= 0xffffffffULL; /* a 4-byte write sets the whole register, as QEMU's */
	switch (off) {
	case 0x04: r->liveness = ~(uint32_t)val; break;
	case 0x08:
		r->factorial = factorial((uint32_t)val);
		if (r->status & STATUS_IRQ_FACT) {
			r->irq_status |= EDU_IRQ_FACTORIAL;
			*todo = EDU_DO_RAISE;
		}
		break;
	case 0x20: r->status = (r->status & ~STATUS_IRQ_FACT) | ((uint32_t)val & STATUS_IRQ_FACT); break;
	case 0x60:
		r->irq_status |= (uint32_t)val;
		if (r->irq_status)
			*todo = EDU_DO_RAISE;
		break;
	case 0x64:
		r->irq_status &= ~(uint32_t)val;
		*todo = EDU_DO_LOWER;
		break;
	case 0x80: r->dma_src = val; break;
	case 0x88: r->dma_dst = val; break;
	case 0x90: r->dma_count = val; break;
	case 0x98:
		if (!(val & CMD_START) || (r->dma_cmd & CMD_START))
			break; /* no start, or one running: ignored, as QEMU's */
		r->dma_cmd = val;
		*todo = EDU_DO_DMA;
		break;
	default: break; /* read-only and unassigned */
	}
	return 0;
}

int edu_dma_plan(const struct edu_regs *r, struct edu_dma *d)
{
	uint64_t dev = r->dma_cmd & CMD_TO_RAM ? r->dma_src : r->dma_dst;

	memset(d, 0, sizeof(*d));
	if (r->dma_count > EDU_DMA_SIZE || dev < EDU_DMA_BASE || dev - EDU_DMA_BASE > EDU_DMA_SIZE ||
	    dev - EDU_DMA_BASE + r->dma_count > EDU_DMA_SIZE)
		return -1;
	d->to_memory = r->dma_cmd & CMD_TO_RAM;
	d->addr = d->to_memory ? r->dma_dst : r->dma_src;
	d->buf_off = (uint32_t)(dev - EDU_DMA_BASE);
	d->len = (uint32_t)r->dma_count;
	return 0;
}

unsigned edu_dma_done(struct edu_regs *r)
{
	r->dma_cmd &= ~(uint64_t)CMD_START;
	if (!(r->dma_cmd & CMD_IRQ))
		return 0;
	r->irq_status |= EDU_IRQ_DMA;
	return EDU_DO_RAISE;
}
