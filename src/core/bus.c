#include "core/bus.h"

#include <string.h>

#include "util/error.h"

int bus_register(struct bus *b, uint64_t base, uint64_t len, struct device *dev)
{
	unsigned i;

	if (len == 0 || base + len < base)
		return fail(ERR_HOST, "bad bus range 0x%llx+0x%llx",
			    (unsigned long long)base, (unsigned long long)len);
	if (b->n == BUS_MAX_RANGES)
		return fail(ERR_HOST, "too many bus ranges");
	/* Find the insertion point, then check both neighbours for overlap. */
	for (i = 0; i < b->n && b->r[i].base < base; i++)
		;
	if (i > 0 && b->r[i - 1].base + b->r[i - 1].len > base)
		return fail(ERR_HOST, "bus range 0x%llx overlaps an existing one",
			    (unsigned long long)base);
	if (i < b->n && base + len > b->r[i].base)
		return fail(ERR_HOST, "bus range 0x%llx overlaps an existing one",
			    (unsigned long long)base);
	memmove(&b->r[i + 1], &b->r[i], (b->n - i) * sizeof(b->r[0]));
	b->r[i] = (struct bus_range){ .base = base, .len = len, .dev = dev };
	b->n++;
	return 0;
}

const struct bus_range *bus_find(const struct bus *b, uint64_t addr, unsigned len)
{
	unsigned lo = 0, hi = b->n;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		const struct bus_range *r = &b->r[mid];

		if (addr < r->base) {
			hi = mid;
		} else if (addr - r->base >= r->len) {
			lo = mid + 1;
		} else {
			/* Accesses straddling the end of a range are not the device's. */
			return len <= r->len - (addr - r->base) ? r : NULL;
		}
	}
	return NULL;
}

const char *bus_space_name(enum bus_space sp)
{
	return sp == BUS_PIO ? "pio" : "mmio";
}
