#include "boot/kaslr.h"

#include <string.h>

#include "core/guest_mem.h"
#include "util/error.h"

static uint32_t word_at(const uint8_t *p, size_t i)
{
	uint32_t v;

	memcpy(&v, p + 4 * i, 4);
	return v;
}

/* Walk back from word END (exclusive) to the next 0: the list is
 * [*first, END). -1 if there is no 0 before the start. */
static long list_back(const uint8_t *tail, long end, long *first)
{
	long i = end - 1;

	while (i >= 0 && word_at(tail, (size_t)i) != 0)
		i--;
	*first = i + 1;
	return i; /* index of the terminator, or -1 */
}

int kaslr_relocs_parse(const uint8_t *tail, size_t len, struct kaslr_relocs *r)
{
	long words, t32, tinv, t64, first;

	memset(r, 0, sizeof(*r));
	if (len < 12 || len % 4 != 0 || len / 4 > (size_t)1 << 28)
		return 0;
	words = (long)(len / 4);
	if ((t32 = list_back(tail, words, &first)) < 0)
		return 0;
	r->r32 = tail + 4 * first;
	r->n32 = (size_t)(words - first);
	if ((tinv = list_back(tail, t32, &first)) < 0)
		return 0;
	r->inv32 = tail + 4 * first;
	r->ninv32 = (size_t)(t32 - first);
	if ((t64 = list_back(tail, tinv, &first)) != 0)
		return 0; /* no terminator, or words before it: not (only) a table */
	r->r64 = tail + 4 * first;
	r->n64 = (size_t)(tinv - first);
	return 1;
}

/* How many 2 MiB aligned places of SIZE bytes fit in [LO, HI). */
static uint64_t slots(uint64_t lo, uint64_t hi, uint64_t size)
{
	if (hi < lo || hi - lo < size)
		return 0;
	return (hi - lo - size) / KASLR_ALIGN + 1;
}

void kaslr_choose(uint64_t start, uint64_t end, uint64_t phys_top, uint64_t rnd_phys,
		  uint64_t rnd_virt, struct kaslr_place *p)
{
	uint64_t size = end - start;
	uint64_t lo = start < KASLR_MIN_PHYS ? start : KASLR_MIN_PHYS;
	uint64_t n;

	memset(p, 0, sizeof(*p));
	if (end <= start || start % KASLR_ALIGN != 0)
		return;
	n = slots(lo, phys_top & ~(KASLR_ALIGN - 1), size);
	if (n > 1) {
		p->phys_shift = lo + (rnd_phys % n) * KASLR_ALIGN - start;
		p->randomized = true;
	}
	n = slots(start, KASLR_IMAGE_SIZE, size);
	if (n > 1) {
		p->virt_delta = (rnd_virt % n) * KASLR_ALIGN;
		p->randomized = true;
	}
}

/* Link physical address of the WIDTH-byte field an entry names, if it
 * lies wholly inside one of RANGES. */
static int field_paddr(uint32_t entry, unsigned width, const struct kaslr_range *ranges,
		       unsigned nranges, uint64_t *paddr)
{
	/* Sign-extended, as the decompressor reads it. */
	uint64_t va = (uint64_t)(int64_t)(int32_t)entry;

	if (va < KASLR_START_KERNEL_MAP)
		return -1;
	for (unsigned i = 0; i < nranges; i++) {
		uint64_t pa = va - KASLR_START_KERNEL_MAP;

		if (pa >= ranges[i].paddr && ranges[i].memsz >= width &&
		    pa - ranges[i].paddr <= ranges[i].memsz - width) {
			*paddr = pa;
			return 0;
		}
	}
	return -1;
}

struct reloc_list {
	const uint8_t *entries;
	size_t n;
	unsigned width;
	int sign; /* +1 add the delta, -1 subtract it */
};

static int check_list(const struct reloc_list *l, const struct kaslr_range *ranges, unsigned nranges,
		      const char *path)
{
	uint64_t pa;

	for (size_t i = 0; i < l->n; i++)
		if (field_paddr(word_at(l->entries, i), l->width, ranges, nranges, &pa) < 0)
			return fail(ERR_USAGE, "%s: relocation entry 0x%08x is not inside the kernel image",
				    path, word_at(l->entries, i));
	return 0;
}

static void apply_list(struct guest_mem *mem, const struct reloc_list *l, const struct kaslr_place *p,
		       const struct kaslr_range *ranges, unsigned nranges)
{
	for (size_t i = 0; i < l->n; i++) {
		uint64_t pa = 0;
		uint8_t *f;

		field_paddr(word_at(l->entries, i), l->width, ranges, nranges, &pa);
		f = gmem_ptr(mem, pa + p->phys_shift, l->width);
		if (!f)
			continue; /* not reached: the segments were loaded there */
		if (l->width == 8) {
			uint64_t v;

			memcpy(&v, f, 8);
			v += l->sign > 0 ? p->virt_delta : -p->virt_delta;
			memcpy(f, &v, 8);
		} else {
			uint32_t v;

			memcpy(&v, f, 4);
			v += (uint32_t)(l->sign > 0 ? p->virt_delta : -p->virt_delta);
			memcpy(f, &v, 4);
		}
	}
}

int kaslr_apply(struct guest_mem *mem, const struct kaslr_relocs *r, const struct kaslr_place *p,
		const struct kaslr_range *ranges, unsigned nranges, const char *path)
{
	const struct reloc_list lists[] = {
		{ r->r64, r->n64, 8, +1 },
		{ r->inv32, r->ninv32, 4, -1 },
		{ r->r32, r->n32, 4, +1 },
	};

	for (unsigned i = 0; i < 3; i++)
		if (check_list(&lists[i], ranges, nranges, path) < 0)
			return -1;
	for (unsigned i = 0; i < 3; i++)
		apply_list(mem, &lists[i], p, ranges, nranges);
	return 0;
}

bool kaslr_disabled_by(const char *cmdline)
{
	static const char word[] = "nokaslr";
	const char *s = cmdline;

	while (*s) {
		const char *tok;

		while (*s == ' ' || *s == '\t' || *s == '\n')
			s++;
		tok = s;
		while (*s && *s != ' ' && *s != '\t' && *s != '\n')
			s++;
		if ((size_t)(s - tok) == sizeof(word) - 1 && memcmp(tok, word, sizeof(word) - 1) == 0)
			return true;
	}
	return false;
}
