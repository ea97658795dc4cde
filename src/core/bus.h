/* Address-range map for one address space (port I/O, MMIO, or MSR
 * indexes): sorted, overlap rejected at registration, binary-searched at
 * dispatch. */
#ifndef WARDEN_CORE_BUS_H
#define WARDEN_CORE_BUS_H

#include <stdint.h>

struct device;

/* BUS_MSR holds MSR indexes; its accesses reach warden only where an MSR
 * filter sends them (vm_msr_filter in core/vm.h). */
enum bus_space { BUS_PIO = 0, BUS_MMIO = 1, BUS_MSR = 2 };
#define BUS_NSPACES 3

struct bus_range {
	uint64_t base;
	uint64_t len;
	struct device *dev;
	unsigned index; /* which of the device's ranges this is */
};

/* Ranges per address space.  warden's largest machine has well under 32
 * in each (6 disks, 2 nets and the rest: at most two ranges a device);
 * 32 keeps the three buses, which sit in the VM's first page, small
 * enough that every space's lookup stays in that page (util/hot.h). */
#define BUS_MAX_RANGES 32

struct bus {
	unsigned n;
	struct bus_range r[BUS_MAX_RANGES];
};

/* Claim [base, base+len) for range INDEX of DEV; fails on overlap, empty
 * or full. */
int bus_register(struct bus *b, uint64_t base, uint64_t len, struct device *dev, unsigned index);
/* Give back the range starting at BASE (a failed vm_add_device). */
void bus_unregister(struct bus *b, uint64_t base);
/* The lowest ALIGN-aligned base in [start, end) where LEN bytes overlap no
 * registered range; 0 with none (ALIGN a power of two). */
uint64_t bus_free_base(const struct bus *b, uint64_t start, uint64_t end, uint64_t len,
		       uint64_t align);
/* The range wholly containing [addr, addr+len), or NULL. */
const struct bus_range *bus_find(const struct bus *b, uint64_t addr, unsigned len);

const char *bus_space_name(enum bus_space sp);

#endif
