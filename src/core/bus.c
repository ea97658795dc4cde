#include "core/bus.h"

#include <string.h>

#include "util/error.h"
#include "util/hot.h"

int bus_register(struct bus *b, uint64_t base, uint64_t len, struct device *dev, unsigned index)
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
	b->r[i] = (struct bus_range){ .base = base, .len = len, .dev = dev, .index = index };
	b->n++;
	return 0;
}

void bus_unregister(struct bus *b, uint64_t base)
{
	for (unsigned i = 0; i < b->n; i++)
		if (b->r[i].base == base) {
			memmove(&b->r[i], &b->r[i + 1], (b->n - i - 1) * sizeof(b->r[0]));
			b->n--;
			return;
		}
}

uint64_t bus_free_base(const struct bus *b, uint64_t start, uint64_t end, uint64_t len,
		       uint64_t align)
{
	uint64_t at = (start + align - 1) & ~(align - 1);

	/* Ranges are sorted: step past each one in the way. */
	for (unsigned i = 0; i < b->n; i++) {
		const struct bus_range *r = &b->r[i];

		if (r->base + r->len <= at)
			continue;
		if (r->base >= at + len)
			break;
		at = (r->base + r->len + align - 1) & ~(align - 1);
	}
	return len && at >= start && at <= end && len <= end - at ? at : 0;
}

EXIT_PATH const struct bus_range *bus_find(const struct bus *b, uint64_t addr, unsigned len)
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
	switch (sp) {
	case BUS_PIO: return "pio";
	case BUS_MMIO: return "mmio";
	case BUS_MSR: return "msr";
	}
	return "?";
}
