/* KASLR for a directly booted vmlinux (src/boot/kaslr.c): the relocation
 * table, the choice of addresses, applying it, and "nokaslr". */
#include "boot/kaslr.h"
#include "core/guest_mem.h"
#include "unit.h"

#define MIB (1ULL << 20)

/* A table from the three lists, laid out as the Linux build appends it:
 * 0, 64-bit entries, 0, inverse 32-bit entries, 0, 32-bit entries. */
static size_t put_table(uint8_t *p, const uint32_t *r64, size_t n64, const uint32_t *inv, size_t ninv,
			const uint32_t *r32, size_t n32)
{
	size_t w = 0;

	u_wr32(p + 4 * w++, 0);
	for (size_t i = 0; i < n64; i++)
		u_wr32(p + 4 * w++, r64[i]);
	u_wr32(p + 4 * w++, 0);
	for (size_t i = 0; i < ninv; i++)
		u_wr32(p + 4 * w++, inv[i]);
	u_wr32(p + 4 * w++, 0);
	for (size_t i = 0; i < n32; i++)
		u_wr32(p + 4 * w++, r32[i]);
	return 4 * w;
}

static uint32_t entry_at(const uint8_t *list, size_t i) { return u_rd32(list + 4 * i); }

static void test_parse(void **state)
{
	static const uint32_t r64[] = { 0x81000010, 0x81000020, 0x81000030 };
	static const uint32_t inv[] = { 0x81000040 };
	static const uint32_t r32[] = { 0x81000050, 0x81000060 };
	uint8_t t[64];
	struct kaslr_relocs r;
	size_t len = put_table(t, r64, 3, inv, 1, r32, 2);

	(void)state;
	assert_int_equal(kaslr_relocs_parse(t, len, &r), 1);
	assert_int_equal(r.n64, 3);
	assert_int_equal(r.ninv32, 1);
	assert_int_equal(r.n32, 2);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(entry_at(r.r64, i), r64[i]);
	assert_int_equal(entry_at(r.inv32, 0), inv[0]);
	for (size_t i = 0; i < 2; i++)
		assert_int_equal(entry_at(r.r32, i), r32[i]);

	/* Empty lists are a table too (a kernel with nothing to relocate). */
	len = put_table(t, NULL, 0, NULL, 0, NULL, 0);
	assert_int_equal(kaslr_relocs_parse(t, len, &r), 1);
	assert_int_equal(r.n64 + r.ninv32 + r.n32, 0);
}

static void test_parse_not_a_table(void **state)
{
	static const uint32_t r64[] = { 0x81000010 };
	uint8_t t[64];
	struct kaslr_relocs r;
	size_t len = put_table(t + 4, r64, 1, r64, 1, r64, 1);

	(void)state;
	assert_int_equal(kaslr_relocs_parse(t, 0, &r), 0);
	assert_int_equal(kaslr_relocs_parse(t + 4, len - 1, &r), 0);  /* not whole words */
	/* Without its last entry it is still a table, one entry shorter. */
	assert_int_equal(kaslr_relocs_parse(t + 4, len - 4, &r), 1);
	assert_int_equal(r.n32, 0);
	u_wr32(t, 0x81000000);                                          /* a word before the table */
	assert_int_equal(kaslr_relocs_parse(t, len + 4, &r), 0);
	assert_int_equal(kaslr_relocs_parse(t + 8, len - 4, &r), 0);  /* first terminator missing */
	memset(t, 0x77, sizeof(t));                                     /* no terminators at all */
	assert_int_equal(kaslr_relocs_parse(t, sizeof(t), &r), 0);
	memset(t, 0, sizeof(t));                                        /* all zero: lists run out */
	assert_int_equal(kaslr_relocs_parse(t, 8, &r), 0);
}

static void test_choose(void **state)
{
	/* Debian's kernel: 16 MiB to 62 MiB, 256 MiB guest. */
	const uint64_t start = 16 * MIB, end = 62 * MIB, top = 255 * MIB;
	struct kaslr_place p;
	uint64_t seen_lo = UINT64_MAX, seen_hi = 0;

	(void)state;
	for (uint64_t rnd = 0; rnd < 200; rnd++) {
		kaslr_choose(start, end, top, rnd, rnd * 7, &p);
		assert_int_equal(p.phys_shift % KASLR_ALIGN, 0);
		assert_int_equal(p.virt_delta % KASLR_ALIGN, 0);
		assert_true(start + p.phys_shift >= KASLR_MIN_PHYS);
		assert_true(end + p.phys_shift <= (top & ~(KASLR_ALIGN - 1)));
		assert_true(end + p.virt_delta <= KASLR_IMAGE_SIZE);
		assert_true(p.randomized); /* even when slot 0 comes up on both sides */
		if (start + p.phys_shift < seen_lo)
			seen_lo = start + p.phys_shift;
		if (start + p.phys_shift > seen_hi)
			seen_hi = start + p.phys_shift;
	}
	/* Every slot is reachable: the lowest and the highest. */
	assert_int_equal(seen_lo, 16 * MIB);
	assert_int_equal(seen_hi, 208 * MIB); /* 254 MiB - 46 MiB */
	kaslr_choose(start, end, top, 0, UINT64_MAX, &p);
	assert_true(p.virt_delta > 0);

	/* No room to move: where it was linked. */
	kaslr_choose(start, end, end + MIB, 5, 0, &p);
	assert_int_equal(p.phys_shift, 0);
	assert_true(p.randomized); /* the virtual side still had a choice */
	kaslr_choose(start, start + KASLR_IMAGE_SIZE - start, top, 0, 5, &p);
	assert_int_equal(p.virt_delta, 0);
	/* A start that is not 2 MiB aligned, or an empty kernel: not moved. */
	kaslr_choose(start + 4096, end, top, 5, 5, &p);
	assert_int_equal(p.phys_shift | p.virt_delta, 0);
	assert_false(p.randomized);
	kaslr_choose(start, start, top, 5, 5, &p);
	assert_int_equal(p.phys_shift | p.virt_delta, 0);
	assert_false(p.randomized);
	/* Neither side can move. */
	kaslr_choose(start, start + KASLR_IMAGE_SIZE - start, top, 3, 3, &p);
	assert_false(p.randomized);
}

struct memfx {
	struct guest_mem mem;
};

static int mem_setup(void **state)
{
	struct memfx *f = calloc(1, sizeof(*f));

	if (!f || !(f->mem.map = calloc(1, 64 * MIB)))
		return -1;
	f->mem.map_len = 64 * MIB;
	gmem_layout(&f->mem, 64 * MIB);
	*state = f;
	return 0;
}

static int mem_teardown(void **state)
{
	struct memfx *f = *state;

	free(f->mem.map);
	free(f);
	return 0;
}

static void test_apply(void **state)
{
	struct memfx *f = *state;
	uint8_t *m = f->mem.map;
	/* A kernel linked at 16 MiB (virtual 0xffffffff81000000) moved to
	 * 40 MiB physical and 0x6600000 up virtually. */
	const struct kaslr_range ranges[] = { { 16 * MIB, 0x1000 }, { 18 * MIB, 0x1000 } };
	const struct kaslr_place p = { .phys_shift = 24 * MIB, .virt_delta = 0x6600000 };
	static const uint32_t r64[] = { 0x81000010, 0x81200ff8 };
	static const uint32_t inv[] = { 0x81000100 };
	static const uint32_t r32[] = { 0x81200200 };
	uint8_t t[64];
	struct kaslr_relocs r;

	assert_int_equal(kaslr_relocs_parse(t, put_table(t, r64, 2, inv, 1, r32, 1), &r), 1);
	u_wr64(m + 40 * MIB + 0x10, 0xffffffff81234567ULL);
	u_wr64(m + 42 * MIB + 0xff8, 0xffffffff82000000ULL);
	u_wr32(m + 40 * MIB + 0x100, 0x10000000);
	u_wr32(m + 42 * MIB + 0x200, 0x81000000);
	assert_int_equal(kaslr_apply(&f->mem, &r, &p, ranges, 2, "vmlinux"), 0);
	assert_int_equal(u_rd64(m + 40 * MIB + 0x10), 0xffffffff87834567ULL);
	assert_int_equal(u_rd64(m + 42 * MIB + 0xff8), 0xffffffff88600000ULL);
	assert_int_equal(u_rd32(m + 40 * MIB + 0x100), 0x10000000 - 0x6600000);
	assert_int_equal(u_rd32(m + 42 * MIB + 0x200), 0x87600000);
	/* The link location itself is left alone. */
	assert_int_equal(u_rd64(m + 16 * MIB + 0x10), 0);
}

static void test_apply_refuses_outside(void **state)
{
	struct memfx *f = *state;
	uint8_t *m = f->mem.map;
	const struct kaslr_range ranges[] = { { 16 * MIB, 0x1000 } };
	const struct kaslr_place p = { .phys_shift = 0, .virt_delta = 0x200000 };
	/* The first is fine and must not be applied either: all or nothing. */
	static const uint32_t bad[][2] = {
		{ 0x81000010, 0x81000ffc }, /* 8-byte field running past the range */
		{ 0x81000010, 0x81001000 }, /* just past it */
		{ 0x81000010, 0x80fffff8 }, /* just below it */
		{ 0x81000010, 0x00001000 }, /* not a kernel address at all */
	};
	uint8_t t[64];
	struct kaslr_relocs r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char want[64];

		u_wr64(m + 16 * MIB + 0x10, 0x1111);
		assert_int_equal(kaslr_relocs_parse(t, put_table(t, bad[i], 2, NULL, 0, NULL, 0), &r), 1);
		snprintf(want, sizeof(want), "relocation entry 0x%08x is not inside", bad[i][1]);
		assert_user_error(kaslr_apply(&f->mem, &r, &p, ranges, 1, "vmlinux"), want);
		assert_int_equal(u_rd64(m + 16 * MIB + 0x10), 0x1111);
	}
	/* A 4-byte field in the last 4 bytes is fine. */
	static const uint32_t ok[] = { 0x81000ffc };
	assert_int_equal(kaslr_relocs_parse(t, put_table(t, NULL, 0, NULL, 0, ok, 1), &r), 1);
	assert_int_equal(kaslr_apply(&f->mem, &r, &p, ranges, 1, "vmlinux"), 0);
	assert_int_equal(u_rd32(m + 16 * MIB + 0xffc), 0x200000);
}

static void test_disabled_by(void **state)
{
	(void)state;
	assert_true(kaslr_disabled_by("nokaslr"));
	assert_true(kaslr_disabled_by("console=ttyS0 nokaslr quiet"));
	assert_true(kaslr_disabled_by("quiet\tnokaslr"));
	assert_true(kaslr_disabled_by("a=\"x nokaslr y\"")); /* as the decompressor: quotes mean nothing */
	assert_false(kaslr_disabled_by(""));
	assert_false(kaslr_disabled_by("console=ttyS0 quiet"));
	assert_false(kaslr_disabled_by("nokaslr=1"));
	assert_false(kaslr_disabled_by("xnokaslr"));
	assert_false(kaslr_disabled_by("nokaslrx"));
	assert_false(kaslr_disabled_by("kaslr"));
	assert_false(kaslr_disabled_by("warden.run=\"echo nokaslr\""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_not_a_table),
		cmocka_unit_test(test_choose),
		cmocka_unit_test_setup_teardown(test_apply, mem_setup, mem_teardown),
		cmocka_unit_test_setup_teardown(test_apply_refuses_outside, mem_setup, mem_teardown),
		cmocka_unit_test(test_disabled_by),
	};

	return cmocka_run_group_tests_name("kaslr", tests, NULL, NULL);
}
