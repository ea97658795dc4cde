/* Address-range map for one address space (port I/O or MMIO): sorted,
 * overlap rejected at registration, binary-searched at dispatch. */
#ifndef WARDEN_CORE_BUS_H
#define WARDEN_CORE_BUS_H

#include <stdint.h>

struct device;

enum bus_space { BUS_PIO = 0, BUS_MMIO = 1 };

struct bus_range {
	uint64_t base;
	uint64_t len;
	struct device *dev;
};

#define BUS_MAX_RANGES 64

struct bus {
	unsigned n;
	struct bus_range r[BUS_MAX_RANGES];
};

/* Claim [base, base+len) for DEV; fails on overlap, empty or full. */
int bus_register(struct bus *b, uint64_t base, uint64_t len, struct device *dev);
/* The range wholly containing [addr, addr+len), or NULL. */
const struct bus_range *bus_find(const struct bus *b, uint64_t addr, unsigned len);

const char *bus_space_name(enum bus_space sp);

#endif
