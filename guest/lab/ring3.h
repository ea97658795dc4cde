/* For the lab's built-in guests: leave warden's long-mode entry for ring 3
 * (CPL 3, IOPL 3 so port I/O works there) on page tables and a GDT of the
 * guest's own: the first 4 GiB identity-mapped in 2 MiB user pages.  On a
 * paravirtual kvm_pvm host guest ring 0 is emulated instruction by
 * instruction and only ring 3 runs at native speed.  Included once, by a
 * guest's C file; the guest's `main` calls ring3_enter(its ring-3 entry). */
#ifndef WARDEN_GUEST_LAB_RING3_H
#define WARDEN_GUEST_LAB_RING3_H

#include <stdint.h>

#define R3_PTE_P 0x1ULL
#define R3_PTE_RW 0x2ULL
#define R3_PTE_US 0x4ULL
#define R3_PTE_PS 0x80ULL
#define R3_SEL_CODE0 0x08
#define R3_SEL_DATA0 0x10
#define R3_SEL_CODE3 0x1b
#define R3_SEL_DATA3 0x23

static uint64_t r3_pml4[512] __attribute__((aligned(4096)));
static uint64_t r3_pdpt[512] __attribute__((aligned(4096)));
static uint64_t r3_pd[4][512] __attribute__((aligned(4096)));
static uint8_t r3_user_stack[16384] __attribute__((aligned(16)));
static const uint64_t r3_gdt[] __attribute__((aligned(16))) = {
	0,
	0x00af9a000000ffffULL, /* 0x08 ring-0 code, 64-bit */
	0x00cf92000000ffffULL, /* 0x10 ring-0 data */
	0x00affa000000ffffULL, /* 0x18 ring-3 code, 64-bit */
	0x00cff2000000ffffULL, /* 0x20 ring-3 data */
};
static struct __attribute__((packed)) {
	uint16_t limit;
	uint64_t base;
} r3_gdtr = { sizeof(r3_gdt) - 1, (uint64_t)r3_gdt };

/* Never returns: ENTRY runs in ring 3 with IF clear. */
static void __attribute__((noreturn, unused)) ring3_enter(void (*entry)(void))
{
	for (unsigned i = 0; i < 4; i++) {
		r3_pdpt[i] = (uint64_t)r3_pd[i] | R3_PTE_P | R3_PTE_RW | R3_PTE_US;
		for (unsigned j = 0; j < 512; j++)
			r3_pd[i][j] = ((uint64_t)i << 30) + ((uint64_t)j << 21) +
				      (R3_PTE_P | R3_PTE_RW | R3_PTE_US | R3_PTE_PS);
	}
	r3_pml4[0] = (uint64_t)r3_pdpt | R3_PTE_P | R3_PTE_RW | R3_PTE_US;
	__asm__ volatile("lgdt %0\n"
			 "	mov %1, %%cr3\n"
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
			 : "m"(r3_gdtr), "r"((uint64_t)r3_pml4),
			   "r"((uint64_t)(r3_user_stack + sizeof(r3_user_stack))), "r"((uint64_t)entry)
			 : "rax", "memory");
	__builtin_unreachable();
}

/* Entry: the guest's own stack, then its `main`. */
#define RING3_START_ASM                                 \
	__asm__(".pushsection .text.start, \"ax\"\n"    \
		".globl _start\n"                       \
		"_start:\n"                             \
		"	lea stack_top(%rip), %rsp\n"     \
		"	call main\n"                     \
		"1:	hlt\n"                           \
		"	jmp 1b\n"                        \
		".popsection\n"                         \
		".pushsection .bss\n"                   \
		".balign 16\n"                          \
		"	.skip 16384\n"                   \
		"stack_top:\n"                          \
		".popsection\n")

#endif
