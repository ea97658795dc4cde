#include "boot/e820.h"

#include "core/layout.h"
#include "core/guest_mem.h"

unsigned e820_build(const struct guest_mem *mem, struct e820_entry *out)
{
	unsigned n = 0;
	uint64_t low_end = gmem_low_end(mem);

	out[n++] = (struct e820_entry){ 0, LAYOUT_EBDA_START, E820_RAM };
	out[n++] = (struct e820_entry){ LAYOUT_EBDA_START,
					LAYOUT_HIGH_MEM_START - LAYOUT_EBDA_START, E820_RESERVED };
	if (low_end > LAYOUT_HIGH_MEM_START)
		out[n++] = (struct e820_entry){ LAYOUT_HIGH_MEM_START,
						low_end - LAYOUT_HIGH_MEM_START, E820_RAM };
	if (mem->nregions > 1)
		out[n++] = (struct e820_entry){ mem->regions[1].gpa, mem->regions[1].size, E820_RAM };
	return n;
}
