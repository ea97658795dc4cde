/* The VT-d model (src/devices/vtd*.c, --intel-iommu): the register page
 * as the kvm-unit-tests intel_iommu test's vtd_init drives it, the
 * invalidation queue, the DMA walk over real guest memory (3 and 4 levels,
 * 4 KiB, 2 MiB and 1 GiB pages) and interrupt remapping; and hostile
 * tables: entries not present, reserved bits, pointers outside guest RAM,
 * a table that points at itself, a bad queue.  Each must end in the fault
 * the specification names, never a crash (ASan watches). */
#include "core/guest_mem.h"
#include "devices/vtd.h"
#include "unit.h"

#define MEM (16 * GMEM_MIB)
#define OUTSIDE (1ULL << 40) /* no RAM there */
#define ROOT 0x100000ULL
#define CTX 0x101000ULL
#define PT3 0x102000ULL /* the levels of a 3-level table */
#define PT2 0x103000ULL
#define PT1 0x104000ULL
#define PAGE 0x200000ULL
#define IRT 0x110000ULL
#define QUEUE 0x120000ULL
#define STATUS 0x130000ULL
#define SID 0x0008 /* 00:01.0 */

static struct guest_mem mem;
static struct vtd v;

static void put64(uint64_t gpa, uint64_t val)
{
	uint8_t *p = gmem_ptr(&mem, gpa, 8);

	assert_non_null(p);
	u_wr64(p, val);
}

static uint32_t get32(uint64_t gpa)
{
	uint8_t *p = gmem_ptr(&mem, gpa, 4);

	assert_non_null(p);
	return u_rd32(p);
}

static uint64_t rd(uint64_t off, unsigned len)
{
	uint64_t val;

	assert_int_equal(vtd_read(&v, off, len, &val), 0);
	return val;
}

static int wr(uint64_t off, unsigned len, uint64_t val)
{
	int r = vtd_write(&v, off, len, val);

	assert_true(r >= 0);
	return r;
}

/* GCMD as vtd_gcmd_or of the suite's library writes it: status | cmd. */
static void gcmd_or(uint32_t cmd)
{
	wr(VTD_GCMD, 4, rd(VTD_GSTS, 4) | cmd);
}

static int setup(void **state)
{
	(void)state;
	if (gmem_map(&mem, MEM) < 0)
		return -1;
	vtd_init(&v, &mem);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	gmem_unmap(&mem);
	return 0;
}

/* Root entry for bus 0 -> context for SID -> a 3-level table mapping IOVA
 * 0 to PAGE read/write, the way the suite's vtd_map_range builds it; the
 * unit set up and enabled as its vtd_init does. */
static void tables_3level(void)
{
	memset(gmem_ptr(&mem, ROOT, 0x10000), 0, 0x10000);
	put64(ROOT, CTX | 1);
	put64(CTX + (SID & 0xff) * 16, PT3 | (1 << 1) /* FPD */ | 1);
	put64(CTX + (SID & 0xff) * 16 + 8, 1 | ((uint64_t)SID << 8)); /* AW 39 bits, DID */
	put64(PT3, PT2 | 3);
	put64(PT2, PT1 | 3);
	put64(PT1, PAGE | 3);
	wr(VTD_RTADDR, 8, ROOT);
	gcmd_or(VTD_GCMD_SRTP);
	gcmd_or(VTD_GCMD_TE);
}

static uint64_t translate(uint64_t iova, bool write, enum vtd_fault want)
{
	uint64_t gpa = 0, span = 0;
	bool fpd;

	assert_int_equal(vtd_translate(&v, SID, iova, write, &gpa, &span, &fpd), want);
	return gpa;
}

/* --- registers ---------------------------------------------------------- */

static void test_power_on_registers(void **state)
{
	uint64_t cap, ecap;

	(void)state;
	assert_true(((rd(VTD_VER, 4) >> 4) & 0xf) >= 1);
	cap = rd(VTD_CAP, 8);
	ecap = rd(VTD_ECAP, 8);
	assert_true(cap & (1ULL << 9));   /* SAGAW: 39-bit, 3 levels */
	assert_true(cap & (1ULL << 10));  /* 48-bit, 4 levels */
	assert_int_equal((cap >> 34) & 3, 3); /* 2 MiB and 1 GiB pages */
	assert_int_equal(((cap >> 24) & 0x3ff) * 16, VTD_FRCD);
	assert_true(ecap & (1ULL << 1)); /* QI */
	assert_true(ecap & (1ULL << 3)); /* IR */
	assert_false(ecap & (1ULL << 4)); /* no EIM, as eim=off */
	assert_int_equal(((ecap >> 8) & 0x3ff) * 16, VTD_IVA);
	assert_int_equal(rd(VTD_FSTS, 4), 0);
	assert_int_equal(rd(VTD_GSTS, 4), 0);
	assert_int_equal(rd(VTD_FECTL, 4), VTD_CTL_IM);
	/* Halves of a 64-bit register read as its halves. */
	assert_int_equal(rd(VTD_CAP + 4, 4), cap >> 32);
}

/* vtd_init's sequence: QI, root table, IR table, translation, remapping. */
static void test_init_sequence(void **state)
{
	uint32_t st;

	(void)state;
	gcmd_or(VTD_GCMD_QIE);
	assert_true(rd(VTD_GSTS, 4) & VTD_GCMD_QIE);
	wr(VTD_RTADDR, 8, ROOT);
	gcmd_or(VTD_GCMD_SRTP);
	assert_true(rd(VTD_GSTS, 4) & VTD_GCMD_SRTP);
	assert_int_equal(v.root, ROOT);
	wr(VTD_IRTA, 8, IRT | 0xf);
	gcmd_or(VTD_GCMD_SIRTP);
	assert_int_equal(v.irt, IRT | 0xf);
	gcmd_or(VTD_GCMD_TE);
	gcmd_or(VTD_GCMD_IRE);
	st = (uint32_t)rd(VTD_GSTS, 4);
	assert_int_equal(st & (VTD_GCMD_TE | VTD_GCMD_QIE | VTD_GCMD_IRE | VTD_GCMD_SRTP | VTD_GCMD_SIRTP),
			 VTD_GCMD_TE | VTD_GCMD_QIE | VTD_GCMD_IRE | VTD_GCMD_SRTP | VTD_GCMD_SIRTP);
	assert_int_equal(rd(VTD_FSTS, 4), 0);
	/* A new RTADDR takes effect only at the next SRTP. */
	wr(VTD_RTADDR, 8, ROOT + 0x1000);
	assert_int_equal(v.root, ROOT);
	/* Clearing a command bit clears its status. */
	wr(VTD_GCMD, 4, rd(VTD_GSTS, 4) & ~VTD_GCMD_TE);
	assert_false(rd(VTD_GSTS, 4) & VTD_GCMD_TE);
	assert_true(rd(VTD_GSTS, 4) & VTD_GCMD_IRE);
}

static void test_bad_accesses(void **state)
{
	uint64_t val;

	(void)state;
	assert_int_equal(vtd_read(&v, VTD_GSTS, 2, &val), -1);
	assert_int_equal(val, 0);
	assert_int_equal(vtd_read(&v, VTD_CAP + 4, 8, &val), -1);   /* unaligned */
	assert_int_equal(vtd_write(&v, VTD_GCMD, 1, 0xff), -1);
	assert_int_equal(vtd_write(&v, 0x1000, 4, 0), -1);          /* past the page */
	assert_int_equal(vtd_read(&v, 0xff8, 8, &val), 0);          /* reserved: 0 */
	assert_int_equal(val, 0);
	assert_int_equal(rd(VTD_GSTS, 4), 0);
	/* Read-only registers keep their values. */
	wr(VTD_CAP, 8, 0);
	assert_true(rd(VTD_CAP, 8) & (1ULL << 9));
}

static void test_register_invalidation_completes(void **state)
{
	(void)state;
	wr(VTD_CCMD, 8, (1ULL << 63) | (1ULL << 61)); /* ICC, global */
	assert_false(rd(VTD_CCMD, 8) & (1ULL << 63));
	assert_int_equal((rd(VTD_CCMD, 8) >> 59) & 3, 1); /* CAIG = CIRG */
	wr(VTD_IOTLB + 4, 4, (1u << 31) | (1u << 28)); /* IVT, global, as a 32-bit half */
	assert_false(rd(VTD_IOTLB, 8) & (1ULL << 63));
	assert_int_equal((rd(VTD_IOTLB, 8) >> 57) & 3, 1);
}

/* --- the invalidation queue ------------------------------------------- */

static void queue_on(void)
{
	memset(gmem_ptr(&mem, QUEUE, 0x1000), 0, 0x1000);
	wr(VTD_IQA, 8, QUEUE);
	gcmd_or(VTD_GCMD_QIE);
}

static void test_queue_wait_descriptor(void **state)
{
	(void)state;
	queue_on();
	put64(QUEUE, 0x2 | (1 << 4)); /* IOTLB, global: nothing cached, done */
	put64(QUEUE + 16, 0x5 | (1 << 5) | (1 << 4) | (0xabcdULL << 32)); /* wait: SW, IF */
	put64(QUEUE + 24, STATUS);
	assert_int_equal(wr(VTD_IQT, 8, 2 << 4), 0); /* IECTL masked: no message */
	assert_int_equal(get32(STATUS), 0xabcd);
	assert_int_equal(rd(VTD_IQH, 8), 2 << 4);
	assert_int_equal(rd(VTD_ICS, 4), 1);
	assert_true(rd(VTD_IECTL, 4) & VTD_CTL_IP);
	/* Unmasking sends the pending invalidation event. */
	assert_int_equal(wr(VTD_IECTL, 4, 0), VTD_EVENT_INVALIDATION);
	assert_false(rd(VTD_IECTL, 4) & VTD_CTL_IP);
	assert_int_equal(v.descriptors, 2);
	assert_int_equal(rd(VTD_FSTS, 4), 0);
	/* Unmasked: the next wait with IF asks for the message at once. */
	put64(QUEUE + 32, 0x5 | (1 << 4));
	put64(QUEUE + 40, 0);
	assert_int_equal(wr(VTD_IQT, 8, 3 << 4), VTD_EVENT_INVALIDATION);
}

static void test_queue_errors(void **state)
{
	(void)state;
	queue_on();
	wr(VTD_FECTL, 4, 0); /* fault events unmasked */
	put64(QUEUE, 0x3);   /* device-TLB: not announced */
	assert_int_equal(wr(VTD_IQT, 8, 1 << 4), VTD_EVENT_FAULT);
	assert_true(rd(VTD_FSTS, 4) & VTD_FSTS_IQE);
	assert_int_equal(rd(VTD_IQH, 8), 0); /* at the bad descriptor */
	/* Stopped until IQE is cleared; once fixed, clearing it resumes. */
	put64(QUEUE, 0x4);
	wr(VTD_IQT, 8, 1 << 4);
	assert_int_equal(rd(VTD_IQH, 8), 0);
	wr(VTD_FSTS, 4, VTD_FSTS_IQE);
	assert_int_equal(rd(VTD_FSTS, 4), 0);
	assert_int_equal(rd(VTD_IQH, 8), 1 << 4);
	/* Reserved type bits, granularity 0, a status write outside RAM. */
	put64(QUEUE + 16, 0x1 | (1 << 9) | (1 << 4));
	wr(VTD_IQT, 8, 2 << 4);
	assert_true(rd(VTD_FSTS, 4) & VTD_FSTS_IQE);
	put64(QUEUE + 16, 0x1);
	wr(VTD_FSTS, 4, VTD_FSTS_IQE);
	assert_true(rd(VTD_FSTS, 4) & VTD_FSTS_IQE);
	put64(QUEUE + 16, 0x5 | (1 << 5));
	put64(QUEUE + 24, OUTSIDE);
	wr(VTD_FSTS, 4, VTD_FSTS_IQE);
	assert_true(rd(VTD_FSTS, 4) & VTD_FSTS_IQE);
	assert_int_equal(rd(VTD_IQH, 8), 1 << 4);
	/* A tail beyond the queue (QS 0: 256 entries). */
	put64(QUEUE + 16, 0x4);
	wr(VTD_FSTS, 4, VTD_FSTS_IQE);
	assert_int_equal(rd(VTD_FSTS, 4), 0);
	wr(VTD_IQT, 8, 256 << 4);
	assert_true(rd(VTD_FSTS, 4) & VTD_FSTS_IQE);
	/* The queue itself outside guest RAM. */
	vtd_init(&v, &mem);
	wr(VTD_IQA, 8, OUTSIDE);
	gcmd_or(VTD_GCMD_QIE);
	wr(VTD_IQT, 8, 1 << 4);
	assert_true(rd(VTD_FSTS, 4) & VTD_FSTS_IQE);
}

/* The engine's work is bounded by the queue: a full lap of 32768
 * descriptors (QS 7) at most, per tail write. */
static void test_queue_full_lap(void **state)
{
	uint64_t n = 256ULL << 7;

	(void)state;
	memset(gmem_ptr(&mem, QUEUE, n * 16), 0, n * 16);
	for (uint64_t i = 0; i < n; i++)
		put64(QUEUE + i * 16, 0x4);
	wr(VTD_IQA, 8, QUEUE | 7);
	gcmd_or(VTD_GCMD_QIE);
	wr(VTD_IQT, 8, (n - 1) << 4);
	assert_int_equal(v.descriptors, n - 1);
	assert_int_equal(rd(VTD_IQH, 8), (n - 1) << 4);
	assert_int_equal(rd(VTD_FSTS, 4), 0);
}

/* --- DMA translation ---------------------------------------------------- */

static void test_translate_3level(void **state)
{
	(void)state;
	/* Translation off: addresses are physical. */
	assert_int_equal(translate(0x1234, false, VTD_OK), 0x1234);
	tables_3level();
	assert_int_equal(translate(0x0, false, VTD_OK), PAGE);
	assert_int_equal(translate(0xffc, true, VTD_OK), PAGE + 0xffc);
	/* Not mapped: the next page's entry is not present. */
	translate(0x1000, false, VTD_FR_READ);
	translate(0x1000, true, VTD_FR_WRITE);
	/* Read-only page. */
	put64(PT1, PAGE | 1);
	assert_int_equal(translate(0x10, false, VTD_OK), PAGE + 0x10);
	translate(0x10, true, VTD_FR_WRITE);
	/* Write permission missing at an upper level is missing. */
	put64(PT1, PAGE | 3);
	put64(PT2, PT1 | 1);
	translate(0x10, true, VTD_FR_WRITE);
	/* Beyond 39 bits. */
	translate(1ULL << 39, false, VTD_FR_ADDR_BEYOND_AW);
}

static void test_translate_4level_and_large_pages(void **state)
{
	uint64_t span = 0, gpa = 0;
	bool fpd;

	(void)state;
	tables_3level();
	put64(CTX + (SID & 0xff) * 16 + 8, 2); /* AW 48 bits: 4 levels */
	put64(PT3 + 0x800, PT3 | 3);           /* PML4[256] -> PT3 again */
	/* IOVA 1 << 47: PML4[256] -> PT3[0] -> PT2[0] -> PT1[0]. */
	assert_int_equal(translate(1ULL << 47, false, VTD_OK), PAGE);
	put64(PT3 + 0x800, 0);
	put64(CTX + (SID & 0xff) * 16 + 8, 1);
	/* A 2 MiB page at level 2, a 1 GiB page at level 3. */
	put64(PT2 + 8, 0x400000 | (1 << 7) | 3);
	assert_int_equal(vtd_translate(&v, SID, 0x212345, false, &gpa, &span, &fpd), VTD_OK);
	assert_int_equal(gpa, 0x412345);
	assert_int_equal(span, 0x200000 - 0x12345);
	put64(PT3 + 8, (1ULL << 30) | (1 << 7) | 3);
	assert_int_equal(translate((1ULL << 30) + 0x5000, true, VTD_OK), (1ULL << 30) + 0x5000);
	/* Reserved bits: address bits inside a large page, PS at level 4. */
	put64(PT2 + 8, 0x401000 | (1 << 7) | 3);
	translate(0x200000, false, VTD_FR_PTE_RSVD);
	put64(CTX + (SID & 0xff) * 16 + 8, 2);
	put64(PT3, PT2 | (1 << 7) | 3);
	translate(0, false, VTD_FR_PTE_RSVD);
}

static void test_hostile_tables(void **state)
{
	uint64_t ctx = CTX + (SID & 0xff) * 16;

	(void)state;
	tables_3level();
	/* A table that points at itself: the walk is three levels deep
	 * whatever the entries say, so it ends in a "page" (the table). */
	put64(PT3, PT3 | 3);
	assert_int_equal(translate(0, false, VTD_OK), PT3);
	put64(PT3, PT2 | 3);
	/* Paging entries and tables outside guest RAM. */
	put64(PT2, OUTSIDE | 3);
	translate(0, false, VTD_FR_PTE_ACCESS);
	put64(PT2, PT1 | 3);
	put64(PT1, (1ULL << 48) | PAGE | 3); /* above the host address width */
	translate(0, false, VTD_FR_PTE_RSVD);
	put64(PT1, PAGE | 3);
	put64(ctx, OUTSIDE | 1);
	translate(0, false, VTD_FR_PTE_ACCESS);
	/* Context entries. */
	put64(ctx, PT3 | (1 << 4) | 1); /* reserved bit 4 */
	translate(0, false, VTD_FR_CTX_RSVD);
	put64(ctx, PT3 | (1 << 2) | 1); /* TT 1: device-TLB, not announced */
	translate(0, false, VTD_FR_CTX_INVALID);
	put64(ctx, PT3 | (3 << 2) | 1); /* TT 3: reserved */
	translate(0, false, VTD_FR_CTX_INVALID);
	put64(ctx, PT3 | 1);
	put64(ctx + 8, 3); /* AW 57 bits: not in SAGAW */
	translate(0, false, VTD_FR_CTX_INVALID);
	put64(ctx + 8, 1 | (1ULL << 40)); /* reserved high bits */
	translate(0, false, VTD_FR_CTX_RSVD);
	put64(ctx + 8, 1);
	put64(ctx, PT3);
	translate(0, false, VTD_FR_CTX_NOT_PRESENT);
	/* Pass-through. */
	put64(ctx, (2 << 2) | 1);
	assert_int_equal(translate(0x7654321, true, VTD_OK), 0x7654321);
	put64(ctx, PT3 | 1);
	/* Root entries and tables. */
	put64(ROOT, OUTSIDE | 1);
	translate(0, false, VTD_FR_CTX_ACCESS);
	put64(ROOT, CTX | (1 << 3) | 1);
	translate(0, false, VTD_FR_ROOT_RSVD);
	put64(ROOT, CTX | 1);
	put64(ROOT + 8, 1);
	translate(0, false, VTD_FR_ROOT_RSVD);
	put64(ROOT + 8, 0);
	put64(ROOT, CTX);
	translate(0, false, VTD_FR_ROOT_NOT_PRESENT);
	put64(ROOT, CTX | 1);
	wr(VTD_RTADDR, 8, OUTSIDE);
	gcmd_or(VTD_GCMD_SRTP);
	translate(0, false, VTD_FR_ROOT_ACCESS);
	/* The last page of RAM as the root table: bus 255's entry is its
	 * last 16 bytes, read and found not present. */
	wr(VTD_RTADDR, 8, MEM - 0x1000);
	gcmd_or(VTD_GCMD_SRTP);
	assert_int_equal(vtd_translate(&v, 0xff00, 0, false, &(uint64_t){ 0 }, &(uint64_t){ 0 },
				       &(bool){ 0 }),
			 VTD_FR_ROOT_NOT_PRESENT);
}

/* Random entries everywhere in the tables: only the named faults or a
 * page inside what the entries can name; never outside guest memory. */
static void test_random_tables(void **state)
{
	uint64_t s = 0x5eed, gpa, span;
	bool fpd;

	(void)state;
	tables_3level();
	for (int round = 0; round < 20000; round++) {
		uint64_t at[] = { ROOT, CTX + 0x80, CTX + 0x88, PT3, PT2, PT1 };
		uint64_t e = u_rand(&s);

		if (u_rand(&s) & 1) /* often a plausible pointer */
			e = (e & 0xfff) | ((u_rand(&s) % (MEM / 0x1000 + 4)) << 12);
		put64(at[u_rand(&s) % 6], e);
		enum vtd_fault f = vtd_translate(&v, SID, u_rand(&s) & ((1ULL << 40) - 1), u_rand(&s) & 1,
						 &gpa, &span, &fpd);
		assert_true(f == VTD_OK || (f >= VTD_FR_ROOT_NOT_PRESENT && f <= VTD_FR_PTE_RSVD));
		if (f == VTD_OK)
			assert_true(span >= 1 && span <= (1ULL << 30));
		if (round % 64 == 0)
			tables_3level();
	}
}

/* --- faults --------------------------------------------------------------- */

static void test_fault_recording(void **state)
{
	uint64_t hi;

	(void)state;
	assert_int_equal(vtd_fault(&v, VTD_FR_WRITE, SID, 0x1234, true, true), 0); /* FPD */
	assert_int_equal(rd(VTD_FSTS, 4), 0);
	assert_int_equal(v.faults, 1);
	/* Masked: recorded, pending. */
	assert_int_equal(vtd_fault(&v, VTD_FR_READ, SID, 0x5678, false, false), 0);
	assert_int_equal(rd(VTD_FSTS, 4), VTD_FSTS_PPF);
	assert_true(rd(VTD_FECTL, 4) & VTD_CTL_IP);
	assert_int_equal(rd(VTD_FRCD, 8), 0x5000);
	hi = rd(VTD_FRCD + 8, 8);
	assert_true(hi >> 63);
	assert_int_equal((hi >> 32) & 0xff, VTD_FR_READ);
	assert_int_equal(hi & 0xffff, SID);
	assert_true(hi & (1ULL << 62)); /* a read */
	/* Unmasking sends it. */
	wr(VTD_FEADDR, 4, 0xfee00000);
	wr(VTD_FEDATA, 4, 0x31);
	assert_int_equal(wr(VTD_FECTL, 4, 0), VTD_EVENT_FAULT);
	/* The register is full: overflow. */
	assert_int_equal(vtd_fault(&v, VTD_FR_WRITE, SID, 0, true, false), VTD_EVENT_FAULT);
	assert_int_equal(rd(VTD_FSTS, 4), VTD_FSTS_PPF | VTD_FSTS_PFO);
	assert_int_equal((rd(VTD_FRCD + 8, 8) >> 32) & 0xff, VTD_FR_READ); /* the first kept */
	/* Software clears F (write 1) and PFO. */
	wr(VTD_FRCD + 12, 4, 1u << 31);
	wr(VTD_FSTS, 4, VTD_FSTS_PFO);
	assert_int_equal(rd(VTD_FSTS, 4), 0);
	assert_int_equal(v.faults, 3);
}

/* --- interrupt remapping -------------------------------------------------- */

/* The IRTE the suite's vtd_setup_irte writes: physical destination, fixed,
 * FPD, full source-id check against SID. */
static void irte(uint32_t index, uint8_t vector, uint8_t apic, bool level)
{
	put64(IRT + index * 16, 1 | 2 | ((uint64_t)level << 4) | ((uint64_t)vector << 16) |
					((uint64_t)apic << 40));
	put64(IRT + index * 16 + 8, SID | (1ULL << 18));
}

static void remapping_on(void)
{
	memset(gmem_ptr(&mem, IRT, 0x1000), 0, 0x1000);
	wr(VTD_IRTA, 8, IRT | 7); /* 256 entries */
	gcmd_or(VTD_GCMD_SIRTP);
	gcmd_or(VTD_GCMD_IRE);
}

static enum vtd_fault remap(uint64_t addr, uint32_t data, uint64_t *oa, uint32_t *od)
{
	uint32_t index;
	bool fpd;

	return vtd_remap(&v, SID, true, addr, data, oa, od, &index, &fpd);
}

/* The suite's remappable MSI address for INDEX: handle, format bit. */
static uint64_t msi_addr(uint32_t index)
{
	return 0xfee00000 | ((index & 0x7fff) << 5) | (1 << 4) | ((index >> 15) << 2);
}

static void test_remap_msi(void **state)
{
	uint64_t oa;
	uint32_t od;

	(void)state;
	/* Off: passed through. */
	assert_int_equal(remap(0xfee01000, 0x41, &oa, &od), VTD_OK);
	assert_int_equal(oa, 0xfee01000);
	assert_int_equal(od, 0x41);
	remapping_on();
	irte(2, 0xee, 3, false);
	assert_int_equal(remap(msi_addr(2), 0, &oa, &od), VTD_OK);
	assert_int_equal(oa, 0xfee03000);
	assert_int_equal(od, 0xee);
	irte(5, 0x31, 0, true); /* level: TM and assert */
	assert_int_equal(remap(msi_addr(5), 0, &oa, &od), VTD_OK);
	assert_int_equal(od, 0x31 | (1 << 15) | (1 << 14));
	/* SHV: handle + subhandle. */
	assert_int_equal(remap(msi_addr(3) | (1 << 3), 2, &oa, &od), VTD_OK);
	assert_int_equal(od, 0x31 | (1 << 15) | (1 << 14));
	assert_int_equal(remap(msi_addr(3) | (1 << 3), 0x10002, &oa, &od), VTD_FR_IR_REQ_RSVD);
	/* Compatibility format: blocked unless CFI. */
	assert_int_equal(remap(0xfee00000, 0x30, &oa, &od), VTD_FR_IR_COMPAT_BLOCKED);
	gcmd_or(VTD_GCMD_CFI);
	assert_int_equal(remap(0xfee00000, 0x30, &oa, &od), VTD_OK);
	assert_int_equal(od, 0x30);
	/* Not an interrupt address. */
	assert_int_equal(remap(0x12345678, 0, &oa, &od), VTD_FR_IR_REQ_RSVD);
}

static void test_remap_hostile_irtes(void **state)
{
	uint64_t oa, ir2 = IRT + 2 * 16;
	uint32_t od, index;
	bool fpd;

	(void)state;
	remapping_on();
	irte(2, 0xee, 0, false);
	assert_int_equal(remap(msi_addr(300), 0, &oa, &od), VTD_FR_IR_INDEX);
	assert_int_equal(remap(msi_addr(0x8001), 0, &oa, &od), VTD_FR_IR_INDEX); /* handle[15] */
	assert_int_equal(remap(msi_addr(1), 0, &oa, &od), VTD_FR_IR_NOT_PRESENT);
	put64(ir2, 1 | (0xeeULL << 16) | (1 << 15)); /* posted: not announced */
	assert_int_equal(remap(msi_addr(2), 0, &oa, &od), VTD_FR_IR_IRTE_RSVD);
	put64(ir2, 1 | (0xeeULL << 16) | (1ULL << 32)); /* destination bits 7:0 in xAPIC mode */
	assert_int_equal(remap(msi_addr(2), 0, &oa, &od), VTD_FR_IR_IRTE_RSVD);
	put64(ir2, 1 | (3 << 5)); /* delivery mode 3: reserved */
	assert_int_equal(remap(msi_addr(2), 0, &oa, &od), VTD_FR_IR_IRTE_RSVD);
	irte(2, 0xee, 0, false);
	put64(ir2 + 8, SID | (3ULL << 18)); /* SVT 3: reserved */
	assert_int_equal(remap(msi_addr(2), 0, &oa, &od), VTD_FR_IR_IRTE_RSVD);
	put64(ir2 + 8, SID | (1ULL << 30)); /* bits 127:84 */
	assert_int_equal(remap(msi_addr(2), 0, &oa, &od), VTD_FR_IR_IRTE_RSVD);
	/* Source-id verification: all bits, SQ masks, bus range. */
	put64(ir2 + 8, 0x0010 | (1ULL << 18));
	assert_int_equal(remap(msi_addr(2), 0, &oa, &od), VTD_FR_IR_SID);
	put64(ir2 + 8, 0x000c | (1ULL << 18) | (1ULL << 16)); /* SQ 1: bit 2 ignored */
	assert_int_equal(remap(msi_addr(2), 0, &oa, &od), VTD_OK);
	put64(ir2 + 8, 0x0001 | (2ULL << 18)); /* buses 0-1 */
	assert_int_equal(remap(msi_addr(2), 0, &oa, &od), VTD_OK);
	put64(ir2 + 8, 0x0102 | (2ULL << 18)); /* buses 1-2 */
	assert_int_equal(remap(msi_addr(2), 0, &oa, &od), VTD_FR_IR_SID);
	/* ... which the IOAPIC's messages skip (no DMAR: no source id). */
	assert_int_equal(vtd_remap(&v, 0, false, msi_addr(2), 0, &oa, &od, &index, &fpd), VTD_OK);
	/* The table outside guest RAM. */
	wr(VTD_IRTA, 8, OUTSIDE | 0xf);
	gcmd_or(VTD_GCMD_SIRTP);
	assert_int_equal(vtd_remap(&v, SID, true, msi_addr(9), 0, &oa, &od, &index, &fpd),
			 VTD_FR_IR_TABLE_ACCESS);
	assert_int_equal(index, 9);
}

/* A remappable IOAPIC entry, as the suite's vtd_setup_ioapic_irq writes
 * it: vector, trigger, index in bits 63:49 and 11, format bit 48. */
static void test_ioapic_entry(void **state)
{
	uint64_t rte = 0xed | (1ULL << 48) | (1ULL << 49), addr, oa;
	uint32_t data, od, index;
	bool fpd;

	(void)state;
	assert_true(vtd_ioapic_rte_remappable(rte));
	assert_false(vtd_ioapic_rte_remappable(0xed));
	vtd_ioapic_message(rte, &addr, &data);
	assert_int_equal(addr, msi_addr(1));
	vtd_ioapic_message(rte | (1 << 11) | (0x7fffULL << 49), &addr, &data);
	assert_int_equal(addr, msi_addr(0xffff));
	remapping_on();
	irte(1, 0xed, 2, false);
	vtd_ioapic_message(rte, &addr, &data);
	assert_int_equal(vtd_remap(&v, 0, false, addr, data, &oa, &od, &index, &fpd), VTD_OK);
	assert_int_equal(oa, 0xfee02000);
	assert_int_equal(od, 0xed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_power_on_registers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_init_sequence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_accesses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_register_invalidation_completes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_wait_descriptor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_full_lap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_translate_3level, setup, teardown),
		cmocka_unit_test_setup_teardown(test_translate_4level_and_large_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_tables, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_tables, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_recording, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remap_msi, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remap_hostile_irtes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ioapic_entry, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
