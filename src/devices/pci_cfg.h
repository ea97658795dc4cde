/* The configuration space of one PCI function (PCI Local Bus 3.0, 6):
 * the type 0 header, 32-bit memory BARs at fixed addresses from the
 * allocator, and a capability list.  Pure data and rules, no I/O, so the
 * unit tier checks every access a guest can make.
 *
 * What the guest may change is a per-byte write mask; everything else
 * reads back as the function set it.  BARs can be sized (all ones written
 * reads back the size mask) and restored, not moved: a BAR's address is a
 * grant from the machine's one allocator, and the bus map does not change
 * under running vCPUs.  A write that would move one is refused. */
#ifndef WARDEN_DEVICES_PCI_CFG_H
#define WARDEN_DEVICES_PCI_CFG_H

#include <stdbool.h>
#include <stdint.h>

#define PCI_CFG_SIZE 256
#define PCI_NUM_BARS 6

/* Header offsets and bits used here. */
#define PCI_CFG_VENDOR 0x00
#define PCI_CFG_DEVICE 0x02
#define PCI_CFG_COMMAND 0x04
#define PCI_CFG_STATUS 0x06
#define PCI_CFG_REVISION 0x08
#define PCI_CFG_CLASS 0x09 /* 3 bytes: programming interface, subclass, class */
#define PCI_CFG_HEADER_TYPE 0x0e
#define PCI_CFG_BAR0 0x10
#define PCI_CFG_SUBSYS_VENDOR 0x2c
#define PCI_CFG_SUBSYS 0x2e
#define PCI_CFG_CAP_PTR 0x34
#define PCI_CFG_INT_LINE 0x3c
#define PCI_CFG_INT_PIN 0x3d
#define PCI_CFG_CAP_START 0x40
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4
#define PCI_COMMAND_INTX_DISABLE 0x400
#define PCI_STATUS_CAP_LIST 0x10
#define PCI_CAP_ID_VNDR 0x09
#define PCI_CAP_ID_MSIX 0x11

struct pci_cfg {
	uint8_t b[PCI_CFG_SIZE];
	uint8_t wmask[PCI_CFG_SIZE]; /* bits the guest may write */
	uint32_t bar_base[PCI_NUM_BARS];
	uint32_t bar_size[PCI_NUM_BARS]; /* 0: not implemented */
	bool bar_sizing[PCI_NUM_BARS];   /* all ones written: reads give the size */
	unsigned cap_end;                /* where the next capability goes */
	unsigned last_cap;               /* offset of the last one, 0: none */
};

/* A type 0 header: IDs, CLASS (24 bits), no BARs, no capabilities, no
 * interrupt pin (functions here use MSI-X), command bits the guest may set. */
void pci_cfg_init(struct pci_cfg *c, uint16_t vendor, uint16_t device, uint32_t class_code,
		  uint16_t subsys_vendor, uint16_t subsys);
/* BAR I: a 32-bit non-prefetchable memory BAR at BASE of SIZE bytes (a
 * power of two of at least 16, BASE aligned to it).  -1 if not. */
int pci_cfg_set_bar(struct pci_cfg *c, unsigned i, uint32_t base, uint32_t size);
/* Append a capability: BODY[0] is its id, BODY[1] (next) is filled here;
 * WMASK (LEN bytes, or NULL: read-only) the bits the guest may write.
 * Returns its offset, or -1 when it does not fit (dword-aligned). */
int pci_cfg_add_cap(struct pci_cfg *c, const uint8_t *body, unsigned len, const uint8_t *wmask);
/* Is an access of LEN bytes at OFF one a function answers: 1, 2 or 4
 * bytes inside one dword of the 256? */
bool pci_cfg_access_ok(unsigned off, unsigned len);
/* Guest accesses (checked with pci_cfg_access_ok first; a bad one reads
 * all ones and writes nothing).  A write returns -1 when refused in part
 * (a BAR moved, a sub-dword BAR write), for the caller to log and count. */
void pci_cfg_read(const struct pci_cfg *c, unsigned off, uint8_t *data, unsigned len);
int pci_cfg_write(struct pci_cfg *c, unsigned off, const uint8_t *data, unsigned len);
uint16_t pci_cfg_get16(const struct pci_cfg *c, unsigned off);

/* A function's config space in a snapshot: its bytes and the BARs'
 * sizing state (the bases are fixed: the allocator's, built again). */
struct pci_cfg_saved {
	uint8_t b[PCI_CFG_SIZE];
	uint8_t bar_sizing[PCI_NUM_BARS];
	uint8_t pad[2];
};
void pci_cfg_save(const struct pci_cfg *c, struct pci_cfg_saved *s);
/* Take S into C (built the same way): every bit the guest cannot write
 * must equal C's, the sizing flags 0 or 1; -1 (nothing changed) if not. */
int pci_cfg_restore(struct pci_cfg *c, const struct pci_cfg_saved *s);

#endif
