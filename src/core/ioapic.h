/* warden's own IOAPIC, for `--irqchip split` (KVM_CAP_SPLIT_IRQCHIP: the
 * LAPICs stay in KVM, the IOAPIC comes here, and there is no PIC or PIT).
 *
 * Why: KVM's IOAPIC always has 24 pins, and Linux masks and reads back
 * every one of them at boot and again at power-off, two exits per
 * register access (index, then window): about 21 exits a pin, 500 a
 * boot (docs/benchmarks.md, "Where the exits of a boot come from").  This
 * one has only the pins the machine wires (its ISA lines up to the RTC's
 * 8, the SCI's 9 with --acpi-s3, and the virtio-mmio pool's), so a boot takes fewer exits, each of which
 * comes to warden instead of staying in KVM (docs/irqchip.md).
 *
 * It behaves as KVM's does (and as an 82093AA with version 0x11; the
 * public kvm-unit-tests' ioapic test passes on both): an edge pin
 * delivers on a rising line, unless masked (that edge is lost); a level
 * pin delivers while its line is high and it is unmasked, sets Remote
 * IRR, and delivers again at the EOI if the line is still high.  A
 * delivery is an MSI (KVM_SIGNAL_MSI) built from the redirection entry.
 * KVM tells us of an EOI only for vectors that a level-triggered MSI
 * route on GSI 0..23 names, and only on the vCPUs the route's destination
 * names (KVM_EXIT_IOAPIC_EOI), so each level entry, masked or not, is
 * mirrored there (core/msi_routes.h): while its interrupt is in service,
 * as it was sent (the guest may move the pin to another vCPU or vector
 * before its EOI); then as the entry is now.
 *
 * The register window (ioapic_map_window): a read of a register is two
 * accesses, IOREGSEL then IOWIN, and both exit.  With the window, the
 * IOAPIC's page is also a read-only memory slot: a write (IOREGSEL, IOWIN,
 * the EOI register) still exits to us, but a read comes from the page,
 * where we keep IOREGSEL and the value of the register it selects.  So a
 * register read costs the guest one exit, not two (Linux reads every pin's
 * entry twice at boot and at power-off: docs/irqchip.md). */
#ifndef WARDEN_CORE_IOAPIC_H
#define WARDEN_CORE_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "core/device.h"
#include "core/layout.h"

struct vm;

#define IOAPIC_MAX_PINS 24
/* The guest's registers: IOREGSEL at 0, IOWIN at 0x10 (the page is ours). */
#define IOAPIC_REGSEL 0x00
#define IOAPIC_WINDOW 0x10
#define IOAPIC_MMIO_LEN LAYOUT_IOAPIC_LEN
#define IOAPIC_REG_ID 0x00
#define IOAPIC_REG_VERSION 0x01
#define IOAPIC_REG_ARB 0x02
#define IOAPIC_REG_RTE 0x10 /* pin P: 0x10 + 2P (low), 0x11 + 2P (high) */
#define IOAPIC_VERSION 0x11

/* Redirection entry bits. */
#define IOAPIC_RTE_VECTOR 0xffULL
#define IOAPIC_RTE_DELIVERY_SHIFT 8 /* 3 bits */
#define IOAPIC_RTE_DEST_LOGICAL (1ULL << 11)
#define IOAPIC_RTE_REMOTE_IRR (1ULL << 14)
#define IOAPIC_RTE_LEVEL (1ULL << 15)
#define IOAPIC_RTE_MASKED (1ULL << 16)
#define IOAPIC_RTE_DEST_SHIFT 56
/* Bits the guest cannot write: delivery status (12) and Remote IRR. */
#define IOAPIC_RTE_RO ((1ULL << 12) | IOAPIC_RTE_REMOTE_IRR)

struct ioapic {
	struct device dev; /* first: the bus hands us &dev */
	struct vm *vm;
	unsigned npins;    /* what the version register announces */
	uint32_t id;       /* bits 24-27 of register 0 */
	uint32_t regsel;
	uint32_t lines;    /* line levels, a bit per pin */
	uint64_t rte[IOAPIC_MAX_PINS];
	/* Each level pin's entry as it was when its interrupt in service
	 * (Remote IRR set) went out: its EOI comes with that vector, from
	 * that destination, whatever the guest has written since. */
	uint64_t sent[IOAPIC_MAX_PINS];
	uint32_t routed;   /* pins whose level route KVM has (msi_routes) */
	/* The exit table's device work: interrupts sent (MSIs), and errors:
	 * lines raised past the pins (warden's own bug, said once). */
	struct device_counters work;
	uint64_t eois;     /* level EOIs KVM reported */
	/* The page the guest reads (ioapic_map_window), or NULL: every read
	 * exits.  Words 0 and 4 (IOREGSEL and IOWIN) are kept current under
	 * the device lock; the rest stays zero, what mmio_read answers there
	 * too. */
	uint32_t *window;
};

/* Create it for VM, with NPINS pins (at most IOAPIC_MAX_PINS), asking for
 * its page at LAYOUT_IOAPIC: the caller adds it (vm_add_device), or
 * destroys it (its ops).  NULL on failure (recorded). */
struct ioapic *ioapic_create(struct vm *vm, unsigned npins);
/* Serve the guest's register reads from a read-only memory slot over the
 * IOAPIC's page (see above).  1 done, 0 the host has no read-only slots
 * (KVM_CAP_READONLY_MEM: every read exits, as before), -1 on failure
 * (recorded). */
int ioapic_map_window(struct ioapic *io);
/* The pins the version register announces (vm_start counts them once every
 * device is added). */
void ioapic_set_pins(struct ioapic *io, unsigned npins);
/* Pin PIN's line to LEVEL (0 or 1), from any thread. */
void ioapic_set_line(struct ioapic *io, unsigned pin, int level);
/* The guest's EOI of VECTOR (KVM_EXIT_IOAPIC_EOI), on a vCPU thread. */
void ioapic_eoi(struct ioapic *io, uint8_t vector);
/* Pin PIN's redirection entry, or -1 past the pins. */
int ioapic_rte(struct ioapic *io, unsigned pin, uint64_t *rte);
/* The MSI an entry sends (compatibility format, as KVM's LAPICs take). */
uint64_t ioapic_msi_addr(uint64_t rte);
uint32_t ioapic_msi_data(uint64_t rte);

#endif
