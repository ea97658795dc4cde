/* The built-in guest of `warden lab paging` (src/lab/paging_lab.c),
 * embedded in warden's binary.  Long mode, loaded as an ELF64 at 1 MiB.
 *
 * Page tables of its own (ring3.h's identity map of the first 4 GiB, plus
 * PML4 slot 1 for what it measures):
 *   the working sets at PG_WS_VA, mapped with 4 KiB or 2 MiB guest pages;
 *   one page at PG_REMAP_VA whose PTE the remap loop rewrites.
 * In ring 0 (INVLPG and MOV CR3 are privileged): the remap loop and the
 * CR3 loop.  Then in ring 3 (on kvm_pvm only ring 3 runs natively): each
 * working set's first touch and re-touch, a write to each 4 KiB page.
 * Each window is framed by marks on PORT_LAB_CTL, at which warden reads
 * KVM's counters, and timed with the TSC. */
#include <stdint.h>

#include "core/layout.h"
#include "lab/paging_abi.h"
#include "ring3.h"
#include "x86.h"

static volatile struct pg_params *const P = (volatile struct pg_params *)LAYOUT_LAB_PARAMS;

#define PAGE 4096ULL
#define MB2 (2ULL << 20)
#define WS_PDES (PG_WS_MAX / MB2)

static uint64_t ws_pdpt[512] __attribute__((aligned(4096)));
static uint64_t ws_pd[512] __attribute__((aligned(4096)));
static uint64_t ws_pt[WS_PDES][512] __attribute__((aligned(4096)));
static uint64_t remap_pd[512] __attribute__((aligned(4096)));
static uint64_t remap_pt[512] __attribute__((aligned(4096)));
static uint64_t alt_pml4[512] __attribute__((aligned(4096)));

static inline void invlpg(uint64_t va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

static inline void write_cr3(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

static uint64_t round_2m(uint64_t v)
{
	return (v + MB2 - 1) & ~(MB2 - 1);
}

/* ring3.h's identity map (the same ring3_enter writes again), and slot 1. */
static void build_tables(int map_2m)
{
	const uint64_t u = R3_PTE_P | R3_PTE_RW | R3_PTE_US;

	for (unsigned i = 0; i < 4; i++) {
		r3_pdpt[i] = (uint64_t)r3_pd[i] | u;
		for (unsigned j = 0; j < 512; j++)
			r3_pd[i][j] = ((uint64_t)i << 30) + ((uint64_t)j << 21) + (u | R3_PTE_PS);
	}
	r3_pml4[0] = (uint64_t)r3_pdpt | u;
	for (unsigned j = 0; j < WS_PDES; j++) {
		uint64_t base = PG_WS_GPA + j * MB2;

		if (map_2m) {
			ws_pd[j] = base | u | R3_PTE_PS;
			continue;
		}
		ws_pd[j] = (uint64_t)ws_pt[j] | u;
		for (unsigned k = 0; k < 512; k++)
			ws_pt[j][k] = (base + k * PAGE) | u;
	}
	ws_pdpt[0] = (uint64_t)ws_pd | u;
	ws_pdpt[1] = (uint64_t)remap_pd | u;
	remap_pd[0] = (uint64_t)remap_pt | u;
	remap_pt[0] = PG_REMAP_GPA | u;
	r3_pml4[1] = (uint64_t)ws_pdpt | u;
	for (unsigned i = 0; i < 512; i++)
		alt_pml4[i] = r3_pml4[i];
	write_cr3((uint64_t)r3_pml4);
}

/* Unmap, flush, map the next frame, flush, touch. */
static void remap(uint32_t n, uint32_t first)
{
	const uint64_t u = R3_PTE_P | R3_PTE_RW | R3_PTE_US;

	for (uint32_t i = first; i < first + n; i++) {
		remap_pt[0] = 0;
		invlpg(PG_REMAP_VA);
		remap_pt[0] = (PG_REMAP_GPA + (i % PG_REMAP_FRAMES) * PAGE) | u;
		invlpg(PG_REMAP_VA);
		*(volatile uint64_t *)PG_REMAP_VA = i;
	}
}

static void cr3_switch(uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		write_cr3(i & 1 ? (uint64_t)r3_pml4 : (uint64_t)alt_pml4);
		*(volatile uint64_t *)PG_REMAP_VA += 1;
	}
	write_cr3((uint64_t)r3_pml4);
}

static void window_begin(unsigned w, uint64_t *t0)
{
	outl(PORT_LAB_CTL, PG_MARK_BEGIN(w));
	*t0 = rdtsc();
}

static void window_end(unsigned w, uint64_t t0)
{
	P->cycles[w] = rdtsc() - t0;
	outl(PORT_LAB_CTL, PG_MARK_END);
}

/* A store to each page, no load: the first access to a page is a write
 * (a load first would fault once to map it read-only and once more to
 * make it writable, under shadow paging). */
static void touch(uint64_t va, uint64_t bytes)
{
	for (uint64_t off = 0; off < bytes; off += PAGE)
		*(volatile uint64_t *)(va + off) = 1;
}

static void user_main(void)
{
	uint64_t va = PG_WS_VA, t0, sum = 0;

	for (uint32_t s = 0; s < P->nsizes; s++) {
		window_begin(PG_WIN_FIRST(s), &t0);
		touch(va, P->size[s]);
		window_end(PG_WIN_FIRST(s), t0);
		window_begin(PG_WIN_RETOUCH(s), &t0);
		touch(va, P->size[s]);
		window_end(PG_WIN_RETOUCH(s), t0);
		for (uint64_t off = 0; off < P->size[s]; off += PAGE)
			sum += *(volatile uint64_t *)(va + off);
		va += round_2m(P->size[s]);
	}
	P->check = sum;
	P->status = PG_ST_DONE;
	outl(PORT_LAB_CTL, PG_MARK_DONE);
	for (;;)
		__asm__ volatile("pause"); /* warden ends the VM at the mark */
}

static int params_ok(void)
{
	uint64_t total = 0;

	if (P->magic != PG_MAGIC || P->nsizes < 1 || P->nsizes > PG_MAX_SIZES || P->iterations < 1 ||
	    P->iterations > PG_ITER_MAX)
		return 0;
	for (uint32_t s = 0; s < P->nsizes; s++) {
		if (P->size[s] == 0 || P->size[s] % PAGE || P->size[s] > PG_WS_MAX)
			return 0;
		total += round_2m(P->size[s]);
	}
	return total <= PG_WS_MAX;
}

void main(void);
void main(void)
{
	uint64_t t0;

	if (!params_ok()) {
		P->status = PG_ST_BAD_PARAMS;
		outl(PORT_LAB_CTL, PG_MARK_BAD);
		for (;;)
			__asm__ volatile("hlt");
	}
	build_tables(P->map_2m);
	remap(PG_REMAP_FRAMES, 0); /* warm-up: every frame touched once */
	cr3_switch(2);
	window_begin(PG_W_REMAP, &t0);
	remap(P->iterations, PG_REMAP_FRAMES);
	window_end(PG_W_REMAP, t0);
	window_begin(PG_W_CR3, &t0);
	cr3_switch(P->iterations);
	window_end(PG_W_CR3, t0);
	ring3_enter(user_main);
}

RING3_START_ASM;
