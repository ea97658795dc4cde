#include "core/resources.h"

#include <stdbool.h>

#include "core/bus.h"
#include "core/device.h"
#include "core/layout.h"
#include "util/error.h"

#define MMIO_POOL_ALIGN 0x1000

/* A PCI BAR is aligned to its size, a power of two of at least 4 KiB
 * (so that no two functions share a page). */
static uint64_t bar_align(uint64_t len)
{
	uint64_t a = MMIO_POOL_ALIGN;

	while (a < len && a < (1ULL << 40))
		a <<= 1;
	return a;
}

static bool gsi_taken(struct device *const *others, unsigned n, int gsi)
{
	for (unsigned i = 0; i < n; i++)
		if (others[i]->res.gsi == gsi)
			return true;
	return false;
}

static int grant_gsi(struct device *const *others, unsigned n, struct device *dev, int pool_start)
{
	int want = dev->res.gsi;

	if (want == DEVICE_NO_GSI)
		return 0;
	if (want == DEVICE_ANY_GSI) {
		for (int g = pool_start; g < GSI_POOL_END; g++)
			if (!gsi_taken(others, n, g)) {
				dev->res.gsi = g;
				return 0;
			}
		return fail(ERR_HOST, "%s: no interrupt line left (at most %d pool devices)", dev->name,
			    GSI_POOL_END - pool_start);
	}
	if (want < 0 || want >= GSI_POOL_END)
		return fail(ERR_HOST, "%s: no interrupt line %d", dev->name, want);
	if (gsi_taken(others, n, want))
		return fail(ERR_HOST, "%s: interrupt line %d is taken", dev->name, want);
	return 0;
}

static int grant_range(struct bus *buses, struct device *dev, unsigned i)
{
	struct device_range *r = &dev->res.range[i];

	if (r->space >= BUS_NSPACES)
		return fail(ERR_HOST, "%s: bad address space", dev->name);
	if (r->base == DEVICE_ANY_BASE) {
		if (r->space != BUS_MMIO)
			return fail(ERR_HOST, "%s: ports come from the layout, not a pool", dev->name);
		if (r->pool == DEVICE_POOL_PCI)
			r->base = bus_free_base(&buses[BUS_MMIO], LAYOUT_PCI_MMIO_START, LAYOUT_PCI_MMIO_END,
						r->len, bar_align(r->len));
		else
			r->base = bus_free_base(&buses[BUS_MMIO], LAYOUT_MMIO_POOL_START,
						LAYOUT_MMIO_POOL_END, r->len, MMIO_POOL_ALIGN);
		if (!r->base)
			return fail(ERR_HOST, "%s: the %s pool is full", dev->name,
				    r->pool == DEVICE_POOL_PCI ? "PCI MMIO" : "MMIO");
	}
	return bus_register(&buses[r->space], r->base, r->len, dev, i);
}

int resources_grant(struct bus *buses, struct device *const *others, unsigned nothers,
		    struct device *dev, int gsi_pool_start)
{
	struct device_resources asked = dev->res;
	unsigned i;

	if (dev->res.nranges > DEVICE_MAX_RANGES)
		return fail(ERR_HOST, "%s: too many ranges", dev->name);
	for (i = 0; i < dev->res.nranges; i++)
		if (grant_range(buses, dev, i) < 0)
			break;
	if (i == dev->res.nranges && grant_gsi(others, nothers, dev, gsi_pool_start) == 0)
		return 0;
	/* Leave nothing behind: the ranges granted so far go back. */
	while (i-- > 0)
		bus_unregister(&buses[dev->res.range[i].space], dev->res.range[i].base);
	dev->res = asked;
	return -1;
}

void resources_release(struct bus *buses, struct device *dev)
{
	for (unsigned i = 0; i < dev->res.nranges; i++)
		bus_unregister(&buses[dev->res.range[i].space], dev->res.range[i].base);
}
