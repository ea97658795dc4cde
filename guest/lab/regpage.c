/* The built-in guest of `warden lab emulated-vs-virtio` (src/lab/regpage_lab.c),
 * embedded in warden's binary.  Long mode, loaded as an ELF64 at 1 MiB.
 *
 * It reads its orders at LAYOUT_LAB_PARAMS, touches the device once, marks
 * the window's start, offers status reads and control writes at the rates
 * asked for (paced by the TSC, at most 64 operations between two looks at
 * the clock) through one mechanism, marks the end, then waits until the
 * device has counted every control write (the register page is scanned on
 * a timer), writes what it did and marks done.
 *
 * The workload runs in ring 3 (CPL 3, IOPL 3 for the port accesses), on
 * page tables and a GDT of its own: on a paravirtual kvm_pvm host guest
 * ring 0 is emulated instruction by instruction, and only ring 3 runs at
 * native speed, which is the point of the register page.  No IDT: a fault
 * in ring 3 is a triple fault, and warden says the run did not finish. */
#include <stdint.h>

#include "core/layout.h"
#include "devices/regpage_abi.h"
#include "lab/regpage_lab_abi.h"
#include "x86.h"

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static volatile struct ev_params *const P = (volatile struct ev_params *)LAYOUT_LAB_PARAMS;

static uint32_t mode, port, batch, nb;
static volatile uint32_t *mmio;
static volatile struct regpage_guest_page *gpage;
static volatile struct regpage_host_page *hpage;
static volatile struct regpage_ring_entry *ring;
static uint64_t doorbells;
static uint32_t sink;

static void flush(void)
{
	if (!nb)
		return;
	outl((uint16_t)(port + REGPAGE_REG_RING), nb);
	doorbells++;
	nb = 0;
}

static void op_read(void)
{
	switch (mode) {
	case EV_PIO: sink += inl((uint16_t)(port + REGPAGE_REG_ECHO)); break;
	case EV_MMIO: sink += mmio[REGPAGE_REG_ECHO / 4]; break;
	case EV_PAGE: sink += hpage->echo; break;
	case EV_RING:
		ring[nb].op = REGPAGE_OP_READ_ECHO;
		ring[nb].value = 0;
		if (++nb == batch)
			flush();
		break;
	}
}

static void op_write(uint32_t v)
{
	switch (mode) {
	case EV_PIO: outl((uint16_t)(port + REGPAGE_REG_CTRL), v); break;
	case EV_MMIO: mmio[REGPAGE_REG_CTRL / 4] = v; break;
	case EV_PAGE:
		gpage->ctrl = v;
		__asm__ volatile("" ::: "memory"); /* the value before its count */
		gpage->ctrl_seq = gpage->ctrl_seq + 1;
		break;
	case EV_RING:
		ring[nb].op = REGPAGE_OP_CTRL;
		ring[nb].value = v;
		if (++nb == batch)
			flush();
		break;
	}
}

/* What the device says it counted: its status, through the same mechanism. */
static uint32_t device_count(uint32_t *echo)
{
	switch (mode) {
	case EV_PIO:
		*echo = inl((uint16_t)(port + REGPAGE_REG_ECHO));
		return inl((uint16_t)(port + REGPAGE_REG_COUNT));
	case EV_MMIO:
		*echo = mmio[REGPAGE_REG_ECHO / 4];
		return mmio[REGPAGE_REG_COUNT / 4];
	case EV_PAGE:
		*echo = hpage->echo;
		return hpage->count;
	default:
		ring[0].op = REGPAGE_OP_READ_ECHO;
		ring[1].op = REGPAGE_OP_READ_COUNT;
		nb = 2;
		flush();
		*echo = ring[0].value;
		return ring[1].value;
	}
}

void user_main(void);
void user_main(void)
{
	uint64_t hz = P->tsc_hz, rr = P->reads_per_s, rw = P->writes_per_s, dur = P->duration_tsc;
	uint64_t r = 0, w = 0, t0, t1, el, clock_reads = 0;
	uint32_t count, echo;

	mode = P->mode;
	port = P->port;
	batch = P->batch;
	mmio = (volatile uint32_t *)P->mmio_base;
	gpage = (volatile struct regpage_guest_page *)P->page_gpa;
	hpage = (volatile struct regpage_host_page *)(P->page_gpa + REGPAGE_PAGE_SIZE);
	ring = (volatile struct regpage_ring_entry *)P->ring_gpa;
	if (P->magic != EV_MAGIC || !hz || batch == 0 || batch > REGPAGE_RING_MAX)
		outl(PORT_LAB_CTL, EV_MARK_DONE); /* warden sees no results */

	/* The first touches, outside the window: one read and one write. */
	op_read();
	op_write(0);
	flush();
	w = 0;
	doorbells = 0;
	outl(PORT_LAB_CTL, EV_MARK_START);
	t0 = rdtsc();
	for (;;) {
		uint64_t due_r, due_w;
		unsigned k = 0;

		el = rdtsc() - t0;
		clock_reads++;
		if (el >= dur)
			break;
		due_r = el * rr / hz;
		due_w = el * rw / hz;
		while ((r < due_r || w < due_w) && k < 64) {
			if (r < due_r) {
				op_read();
				r++;
				k++;
			}
			if (w < due_w) {
				op_write((uint32_t)++w);
				k++;
			}
		}
	}
	flush();
	t1 = rdtsc();
	outl(PORT_LAB_CTL, EV_MARK_END);
	P->doorbells = doorbells; /* the window's: the status reads below ring too */

	/* Wait for the device to have counted them all (the register page is
	 * scanned on warden's timer); the one control write before the window
	 * is counted too. */
	{
		uint64_t s0 = rdtsc();

		do
			count = device_count(&echo);
		while (count != (uint32_t)(w + 1) && rdtsc() - s0 < P->settle_tsc);
		P->settle_spent = rdtsc() - s0;
	}
	P->reads = r;
	P->writes = w;
	P->clock_reads = clock_reads;
	P->window_tsc = t1 - t0;
	P->device_count = count - 1;
	P->device_echo = echo;
	outl(PORT_LAB_CTL, EV_MARK_DONE);
	for (;;)
		__asm__ volatile("pause"); /* warden ends the VM at the mark */
}

/* Ring 0: identity-map the first 4 GiB in 2 MiB pages that ring 3 may
 * use, load a GDT with ring-3 segments, and IRETQ to user_main. */
#define PTE_P 0x1ULL
#define PTE_RW 0x2ULL
#define PTE_US 0x4ULL
#define PTE_PS 0x80ULL
static uint64_t pml4[512] __attribute__((aligned(4096)));
static uint64_t pdpt[512] __attribute__((aligned(4096)));
static uint64_t pd[4][512] __attribute__((aligned(4096)));
static uint64_t pt_regpage[512] __attribute__((aligned(4096))); /* the 2 MiB around the register page */
static uint8_t user_stack[16384] __attribute__((aligned(16)));
static const uint64_t gdt[] __attribute__((aligned(16))) = {
	0,
	0x00af9a000000ffffULL, /* 0x08 ring-0 code, 64-bit */
	0x00cf92000000ffffULL, /* 0x10 ring-0 data */
	0x00affa000000ffffULL, /* 0x18 ring-3 code, 64-bit */
	0x00cff2000000ffffULL, /* 0x20 ring-3 data */
};
static struct __attribute__((packed)) {
	uint16_t limit;
	uint64_t base;
} gdtr = { sizeof(gdt) - 1, (uint64_t)gdt };

void main(void);
void main(void)
{
	for (unsigned i = 0; i < 4; i++) {
		pdpt[i] = (uint64_t)pd[i] | PTE_P | PTE_RW | PTE_US;
		for (unsigned j = 0; j < 512; j++)
			pd[i][j] = ((uint64_t)i << 30) + ((uint64_t)j << 21) + (PTE_P | PTE_RW | PTE_US | PTE_PS);
	}
	/* The register page in 4 KiB pages: page 1 is warden's, read-only
	 * here (a writable mapping would let KVM report it dirty). */
	{
		uint64_t base = LAYOUT_REGPAGE & ~((1ULL << 21) - 1);

		for (unsigned j = 0; j < 512; j++)
			pt_regpage[j] = base + ((uint64_t)j << 12) + (PTE_P | PTE_RW | PTE_US);
		pt_regpage[(LAYOUT_REGPAGE - base) / 4096 + 1] &= ~PTE_RW;
		pd[LAYOUT_REGPAGE >> 30][(LAYOUT_REGPAGE >> 21) & 511] = (uint64_t)pt_regpage | PTE_P | PTE_RW | PTE_US;
	}
	pml4[0] = (uint64_t)pdpt | PTE_P | PTE_RW | PTE_US;
	__asm__ volatile("lgdt %0\n"
			 "	mov %1, %%cr3\n"
			 /* ring-0 segments from the new GDT */
			 "	pushq $0x08\n"
			 "	lea 1f(%%rip), %%rax\n"
			 "	pushq %%rax\n"
			 "	lretq\n"
			 "1:	mov $0x10, %%ax\n"
			 "	mov %%ax, %%ds\n"
			 "	mov %%ax, %%es\n"
			 "	mov %%ax, %%ss\n"
			 /* to ring 3: SS, RSP, RFLAGS (IOPL 3, IF 0), CS, RIP */
			 "	pushq $0x23\n"
			 "	pushq %2\n"
			 "	pushq $0x3002\n"
			 "	pushq $0x1b\n"
			 "	pushq %3\n"
			 "	mov $0x23, %%ax\n"
			 "	mov %%ax, %%ds\n"
			 "	mov %%ax, %%es\n"
			 "	iretq\n"
			 :
			 : "m"(gdtr), "r"((uint64_t)pml4), "r"((uint64_t)(user_stack + sizeof(user_stack))),
			   "r"((uint64_t)user_main)
			 : "rax", "memory");
}

/* Entry: our own stack, then C. */
__asm__(".pushsection .text.start, \"ax\"\n"
	".globl _start\n"
	"_start:\n"
	"	lea stack_top(%rip), %rsp\n"
	"	call main\n"
	"1:	hlt\n"
	"	jmp 1b\n"
	".popsection\n"
	".pushsection .bss\n"
	".balign 16\n"
	"	.skip 16384\n"
	"stack_top:\n"
	".popsection\n");
