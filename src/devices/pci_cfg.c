#include "devices/pci_cfg.h"

#include <string.h>

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }

uint16_t pci_cfg_get16(const struct pci_cfg *c, unsigned off)
{
	uint16_t v = 0;

	if (off <= PCI_CFG_SIZE - 2)
		memcpy(&v, c->b + off, 2);
	return v;
}

void pci_cfg_init(struct pci_cfg *c, uint16_t vendor, uint16_t device, uint32_t class_code,
		  uint16_t subsys_vendor, uint16_t subsys)
{
	memset(c, 0, sizeof(*c));
	put16(c->b + PCI_CFG_VENDOR, vendor);
	put16(c->b + PCI_CFG_DEVICE, device);
	c->b[PCI_CFG_REVISION] = 1;
	c->b[PCI_CFG_CLASS] = (uint8_t)class_code;
	c->b[PCI_CFG_CLASS + 1] = (uint8_t)(class_code >> 8);
	c->b[PCI_CFG_CLASS + 2] = (uint8_t)(class_code >> 16);
	put16(c->b + PCI_CFG_SUBSYS_VENDOR, subsys_vendor);
	put16(c->b + PCI_CFG_SUBSYS, subsys);
	/* Memory decode, bus mastering, INTx disable: no I/O BARs to decode. */
	put16(c->wmask + PCI_CFG_COMMAND,
	      PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);
	c->wmask[PCI_CFG_INT_LINE] = 0xff; /* scratch for the OS: no pin behind it */
	c->cap_end = PCI_CFG_CAP_START;
}

int pci_cfg_set_bar(struct pci_cfg *c, unsigned i, uint32_t base, uint32_t size)
{
	if (i >= PCI_NUM_BARS || size < 16 || (size & (size - 1)) || (base & (size - 1)))
		return -1;
	c->bar_base[i] = base;
	c->bar_size[i] = size;
	c->bar_sizing[i] = false;
	return 0;
}

int pci_cfg_add_cap(struct pci_cfg *c, const uint8_t *body, unsigned len, const uint8_t *wmask)
{
	unsigned at = c->cap_end;

	if (len < 2 || at + len > PCI_CFG_SIZE)
		return -1;
	memcpy(c->b + at, body, len);
	c->b[at + 1] = 0;
	if (wmask)
		memcpy(c->wmask + at, wmask, len);
	c->wmask[at] = c->wmask[at + 1] = 0; /* id and next are the function's */
	if (c->last_cap)
		c->b[c->last_cap + 1] = (uint8_t)at;
	else
		c->b[PCI_CFG_CAP_PTR] = (uint8_t)at;
	put16(c->b + PCI_CFG_STATUS, pci_cfg_get16(c, PCI_CFG_STATUS) | PCI_STATUS_CAP_LIST);
	c->last_cap = at;
	c->cap_end = (at + len + 3) & ~3u;
	return (int)at;
}

bool pci_cfg_access_ok(unsigned off, unsigned len)
{
	return (len == 1 || len == 2 || len == 4) && off < PCI_CFG_SIZE && (off & 3) + len <= 4;
}

/* The dword of BAR I as the guest reads it. */
static uint32_t bar_value(const struct pci_cfg *c, unsigned i)
{
	if (!c->bar_size[i])
		return 0;
	return c->bar_sizing[i] ? ~(c->bar_size[i] - 1) : c->bar_base[i]; /* type bits 0: mem32 */
}

static int bar_index(unsigned off)
{
	return off >= PCI_CFG_BAR0 && off < PCI_CFG_BAR0 + 4 * PCI_NUM_BARS ?
		       (int)((off - PCI_CFG_BAR0) / 4) : -1;
}

void pci_cfg_read(const struct pci_cfg *c, unsigned off, uint8_t *data, unsigned len)
{
	int bar = bar_index(off);

	if (!pci_cfg_access_ok(off, len)) {
		memset(data, 0xff, len);
		return;
	}
	if (bar >= 0) {
		uint32_t v = bar_value(c, (unsigned)bar);

		memcpy(data, (uint8_t *)&v + (off & 3), len);
		return;
	}
	memcpy(data, c->b + off, len);
}

/* Only a whole-dword write sizes a BAR or puts its address back. */
static int write_bar(struct pci_cfg *c, unsigned i, unsigned off, const uint8_t *data, unsigned len)
{
	uint32_t v;

	if (!c->bar_size[i])
		return 0; /* not implemented: hardwired 0, as the spec says */
	if (len != 4 || (off & 3))
		return -1;
	memcpy(&v, data, 4);
	/* Every address bit set: the sizing write (usually all ones). */
	if ((v & ~(c->bar_size[i] - 1)) == ~(c->bar_size[i] - 1)) {
		c->bar_sizing[i] = true;
		return 0;
	}
	c->bar_sizing[i] = false;
	return (v & ~0xfu) == c->bar_base[i] ? 0 : -1;
}

int pci_cfg_write(struct pci_cfg *c, unsigned off, const uint8_t *data, unsigned len)
{
	int bar = bar_index(off);

	if (!pci_cfg_access_ok(off, len))
		return -1;
	if (bar >= 0)
		return write_bar(c, (unsigned)bar, off, data, len);
	for (unsigned i = 0; i < len; i++)
		c->b[off + i] = (uint8_t)((c->b[off + i] & ~c->wmask[off + i]) |
					  (data[i] & c->wmask[off + i]));
	return 0;
}

void pci_cfg_save(const struct pci_cfg *c, struct pci_cfg_saved *s)
{
	memset(s, 0, sizeof(*s));
	memcpy(s->b, c->b, sizeof(s->b));
	for (unsigned i = 0; i < PCI_NUM_BARS; i++)
		s->bar_sizing[i] = c->bar_sizing[i];
}

int pci_cfg_restore(struct pci_cfg *c, const struct pci_cfg_saved *s)
{
	for (unsigned i = 0; i < PCI_CFG_SIZE; i++)
		if ((s->b[i] ^ c->b[i]) & ~c->wmask[i])
			return -1;
	for (unsigned i = 0; i < PCI_NUM_BARS; i++)
		if (s->bar_sizing[i] > 1 || (s->bar_sizing[i] && !c->bar_size[i]))
			return -1;
	memcpy(c->b, s->b, sizeof(c->b));
	for (unsigned i = 0; i < PCI_NUM_BARS; i++)
		c->bar_sizing[i] = s->bar_sizing[i];
	return 0;
}
