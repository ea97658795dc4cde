/* The built-in guest of `warden lab sensitive` (src/lab/sensitive_lab.c),
 * embedded in warden's binary.  Long mode, loaded as an ELF64 at 1 MiB.
 *
 * The sensitive instructions that do not trap on x86 (SGDT, SIDT, SLDT,
 * STR, SMSW, PUSHF/POPF with IF) and CPUID, each executed REPS times
 * between two marks (an MMIO write: an exit to warden, which counts the
 * exits between them and reads the vCPU's state from KVM to compare),
 * in each context of enum sn_ctx:
 *   CPL 0 on the descriptor tables warden's boot set up;
 *   CPL 0 and CPL 3 (IOPL 0) on the guest's own GDT, IDT, LDT and TSS;
 *   the same with CR4.UMIP set, where CPUID offers UMIP.
 * An exception in an op (the #GP UMIP raises at CPL 3) is recorded and the
 * op resumes after the instruction; any other ends the run with a
 * SN_MARK_FATAL. */
#include <stdint.h>

#include "core/layout.h"
#include "lab/sensitive_abi.h"
#include "x86.h"

static volatile struct sn_params *const P = (volatile struct sn_params *)LAYOUT_LAB_PARAMS;
static volatile uint32_t *mark;

/* Shared with the exception stubs below (global: the asm names them). */
volatile uint64_t sn_resume;    /* where a faulting op resumes; 0: none expected */
volatile uint32_t sn_fault_hit, sn_fault_vec;
volatile uint64_t sn_fault_rip;
uint64_t sn_ksp;                /* ring 0's stack while ring 3 runs */
volatile uint32_t sn_user_exit; /* set by ring 3 before its UD2: back to ring 0 */
void sn_fatal(void);
void sn_enter_user(void (*fn)(void), uint64_t rsp);

void sn_fatal(void)
{
	P->fatal_vector = sn_fault_vec;
	P->fatal_rip = sn_fault_rip;
	P->status = SN_ST_FATAL;
	*mark = SN_MARK_FATAL;
	for (;;)
		__asm__ volatile("pause");
}

struct __attribute__((packed)) dtr {
	uint16_t limit;
	uint64_t base;
};

/* Each op: arm the resume address, run the instruction, the label after
 * it is where a fault resumes. */
#define GUARD "lea 1f(%%rip), %%rax\n\tmov %%rax, sn_resume(%%rip)\n\t"
#define UNGUARD "\n1:\tmovq $0, sn_resume(%%rip)\n"

static void run_op(unsigned ctx, unsigned op, uint32_t reps)
{
	volatile struct sn_result *r = &P->res[ctx][op];
	uint64_t v0 = 0, v1 = 0;

	sn_fault_hit = 0;
	*mark = SN_MARK_BEGIN(ctx, op);
	for (uint32_t k = 0; k < reps; k++) {
		struct dtr d = { 0, 0 };
		uint64_t a = 0, b = 0;

		switch (op) {
		case SN_SGDT:
			__asm__ volatile(GUARD "sgdt %0" UNGUARD : "=m"(d) : : "rax", "memory");
			v0 = d.base, v1 = d.limit;
			break;
		case SN_SIDT:
			__asm__ volatile(GUARD "sidt %0" UNGUARD : "=m"(d) : : "rax", "memory");
			v0 = d.base, v1 = d.limit;
			break;
		case SN_SLDT:
			__asm__ volatile(GUARD "sldt %%rcx\n\tmov %%rcx, %0" UNGUARD : "=m"(a) : : "rax", "rcx", "memory");
			v0 = a & 0xffff;
			break;
		case SN_STR:
			__asm__ volatile(GUARD "str %%rcx\n\tmov %%rcx, %0" UNGUARD : "=m"(a) : : "rax", "rcx", "memory");
			v0 = a & 0xffff;
			break;
		case SN_SMSW:
			__asm__ volatile(GUARD "smsw %%rcx\n\tmov %%rcx, %0" UNGUARD : "=m"(a) : : "rax", "rcx", "memory");
			v0 = a;
			break;
		case SN_PUSHF:
			__asm__ volatile(GUARD "pushfq\n\tpopq %0" UNGUARD : "=m"(a) : : "rax", "memory");
			v0 = a;
			break;
		case SN_POPF:
			/* RFLAGS with IF set, POPF, look, put the old RFLAGS back. */
			__asm__ volatile(GUARD "pushfq\n\tpopq %%rcx\n\tmov %%rcx, %0\n\t"
					 "mov %%rcx, %%rdx\n\tor $0x200, %%rdx\n\tpushq %%rdx\n\tpopfq\n\t"
					 "pushfq\n\tpopq %%rdx\n\tmov %%rdx, %1\n\tpushq %%rcx\n\tpopfq" UNGUARD
					 : "=m"(a), "=m"(b) : : "rax", "rcx", "rdx", "memory", "cc");
			v0 = a, v1 = b;
			break;
		default: {
			uint32_t ea, eb, ec, ed;

			cpuid(0x40000000, &ea, &eb, &ec, &ed);
			v0 = eb | (uint64_t)ec << 32;
			v1 = ed | (uint64_t)ea << 32;
			break;
		}
		}
	}
	*mark = SN_MARK_END;
	r->v0 = v0;
	r->v1 = v1;
	r->faulted = sn_fault_hit;
	r->vector = sn_fault_hit ? sn_fault_vec : 0;
	r->ran = reps;
}

static unsigned cur_ctx;

static void run_all(void)
{
	for (unsigned op = 0; op < SN_NOPS; op++)
		run_op(cur_ctx, op, P->reps);
}

/* Ring 3: the ops, then back to ring 0 through an exception (UD2 with
 * sn_user_exit set): on kvm_pvm an INT 0x80 through a DPL-3 gate from
 * guest ring 3 arrives as #UD, so a gate of its own would not do. */
static void user_tests(void)
{
	run_all();
	sn_user_exit = 1;
	__asm__ volatile("ud2");
	for (;;)
		;
}

/* --- the guest's own descriptor tables -------------------------------------- */

#define PTE_P 0x1ULL
#define PTE_RW 0x2ULL
#define PTE_US 0x4ULL
#define PTE_PS 0x80ULL
static uint64_t pml4[512] __attribute__((aligned(4096)));
static uint64_t pdpt[512] __attribute__((aligned(4096)));
static uint64_t pd[4][512] __attribute__((aligned(4096)));
static uint8_t user_stack[16384] __attribute__((aligned(16)));
static uint8_t int_stack[16384] __attribute__((aligned(16)));
static uint64_t gdt[9] __attribute__((aligned(16)));
static uint64_t ldt[2] __attribute__((aligned(16)));
static uint64_t idt[2 * 256] __attribute__((aligned(16)));
static uint32_t tss[26] __attribute__((aligned(16))); /* 104 bytes */
#define SEL_TSS 0x28
#define SEL_LDT 0x38

extern const uint64_t sn_stubs[32]; /* vectors 0..31 */

static void sys_desc(unsigned i, uint64_t base, uint32_t limit, uint8_t access)
{
	gdt[i] = (limit & 0xffff) | ((base & 0xffffff) << 16) | ((uint64_t)access << 40) |
		 ((uint64_t)((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	gdt[i + 1] = base >> 32;
}

static void gate(unsigned v, uint64_t fn, unsigned dpl)
{
	idt[2 * v] = (fn & 0xffff) | (0x08ULL << 16) | ((uint64_t)(0x8e | dpl << 5) << 40) |
		     ((fn >> 16 & 0xffff) << 48);
	idt[2 * v + 1] = fn >> 32;
}

static void own_tables(void)
{
	struct dtr g, i;

	for (unsigned a = 0; a < 4; a++) {
		pdpt[a] = (uint64_t)pd[a] | PTE_P | PTE_RW | PTE_US;
		for (unsigned j = 0; j < 512; j++)
			pd[a][j] = ((uint64_t)a << 30) + ((uint64_t)j << 21) + (PTE_P | PTE_RW | PTE_US | PTE_PS);
	}
	pml4[0] = (uint64_t)pdpt | PTE_P | PTE_RW | PTE_US;
	gdt[1] = 0x00af9a000000ffffULL; /* 0x08 ring-0 code */
	gdt[2] = 0x00cf92000000ffffULL; /* 0x10 ring-0 data */
	gdt[3] = 0x00affa000000ffffULL; /* 0x18 ring-3 code */
	gdt[4] = 0x00cff2000000ffffULL; /* 0x20 ring-3 data */
	tss[1] = (uint32_t)(uint64_t)(int_stack + sizeof(int_stack)); /* RSP0 */
	tss[2] = (uint32_t)((uint64_t)(int_stack + sizeof(int_stack)) >> 32);
	tss[25] = 104u << 16; /* I/O map base beyond the limit: no port allowed at CPL 3 */
	sys_desc(5, (uint64_t)tss, sizeof(tss) - 1, 0x89); /* 0x28 64-bit TSS */
	sys_desc(7, (uint64_t)ldt, sizeof(ldt) - 1, 0x82); /* 0x38 LDT */
	for (unsigned v = 0; v < 32; v++)
		gate(v, sn_stubs[v], 0);
	g = (struct dtr){ sizeof(gdt) - 1, (uint64_t)gdt };
	i = (struct dtr){ sizeof(idt) - 1, (uint64_t)idt };
	__asm__ volatile("lgdt %0\n"
			 "	lidt %1\n"
			 "	mov %2, %%cr3\n"
			 "	pushq $0x08\n"
			 "	lea 1f(%%rip), %%rax\n"
			 "	pushq %%rax\n"
			 "	lretq\n"
			 "1:	mov $0x10, %%ax\n"
			 "	mov %%ax, %%ds\n"
			 "	mov %%ax, %%es\n"
			 "	mov %%ax, %%ss\n"
			 "	mov %3, %%ax\n"
			 "	ltr %%ax\n"
			 "	mov %4, %%ax\n"
			 "	lldt %%ax\n"
			 :
			 : "m"(g), "m"(i), "r"((uint64_t)pml4), "i"(SEL_TSS), "i"(SEL_LDT)
			 : "rax", "memory");
}

static void set_umip(int on)
{
	uint64_t cr4;

	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	cr4 = on ? cr4 | (1ULL << 11) : cr4 & ~(1ULL << 11);
	__asm__ volatile("mov %0, %%cr4" : : "r"(cr4) : "memory");
}

void main(void);
void main(void)
{
	uint32_t a, b, c, d;

	mark = (volatile uint32_t *)P->mark_gpa;
	if (P->magic != SN_MAGIC || P->reps == 0 || P->reps > SN_REPS_MAX) {
		P->status = SN_ST_BAD_PARAMS;
		if (P->mark_gpa)
			*mark = SN_MARK_DONE;
		for (;;)
			__asm__ volatile("hlt");
	}
	cur_ctx = SN_BOOT0; /* warden's boot GDT; no IDT: nothing may fault */
	run_all();
	own_tables();
	cur_ctx = SN_OWN0;
	run_all();
	cur_ctx = SN_OWN3;
	sn_enter_user(user_tests, (uint64_t)(user_stack + sizeof(user_stack)));
	cpuid(0, &a, &b, &c, &d);
	c = 0;
	if (a >= 7)
		cpuid(7, &a, &b, &c, &d); /* subleaf 0: cpuid() sets ECX 0 */
	P->umip = !!(c & (1u << 2));
	if (P->umip) {
		set_umip(1);
		cur_ctx = SN_OWN0_UMIP;
		run_all();
		cur_ctx = SN_OWN3_UMIP;
		sn_enter_user(user_tests, (uint64_t)(user_stack + sizeof(user_stack)));
		set_umip(0);
	}
	P->status = SN_ST_DONE;
	*mark = SN_MARK_DONE;
	for (;;)
		__asm__ volatile("pause"); /* warden ends the VM at the mark */
}

/* Exception stubs: the vector (and a 0 where the CPU pushes no error
 * code), then the common part: note the fault and resume at sn_resume, or
 * sn_fatal when no op expected one; or, when ring 3 asked for it
 * (sn_user_exit), return to sn_enter_user's caller on ring 0's stack.
 * Entry: our own stack, then C. */
#define STUB_NOERR(v) "sn_stub" #v ": pushq $0\n\tpushq $" #v "\n\tjmp sn_isr\n"
#define STUB_ERR(v) "sn_stub" #v ": pushq $" #v "\n\tjmp sn_isr\n"
__asm__(".pushsection .text\n"
	STUB_NOERR(0) STUB_NOERR(1) STUB_NOERR(2) STUB_NOERR(3) STUB_NOERR(4) STUB_NOERR(5) STUB_NOERR(6)
	STUB_NOERR(7) STUB_ERR(8) STUB_NOERR(9) STUB_ERR(10) STUB_ERR(11) STUB_ERR(12) STUB_ERR(13)
	STUB_ERR(14) STUB_NOERR(15) STUB_NOERR(16) STUB_ERR(17) STUB_NOERR(18) STUB_NOERR(19)
	STUB_NOERR(20) STUB_ERR(21) STUB_NOERR(22) STUB_NOERR(23) STUB_NOERR(24) STUB_NOERR(25)
	STUB_NOERR(26) STUB_NOERR(27) STUB_NOERR(28) STUB_NOERR(29) STUB_NOERR(30) STUB_NOERR(31)
	"sn_isr:\n"
	"	cmpl $0, sn_user_exit(%rip)\n"
	"	jz 3f\n"
	"	movl $0, sn_user_exit(%rip)\n"
	"	jmp sn_user_return\n"
	"3:	pushq %rax\n"
	"	movq 8(%rsp), %rax\n"
	"	movl %eax, sn_fault_vec(%rip)\n"
	"	movl $1, sn_fault_hit(%rip)\n"
	"	movq 24(%rsp), %rax\n"
	"	movq %rax, sn_fault_rip(%rip)\n"
	"	movq sn_resume(%rip), %rax\n"
	"	testq %rax, %rax\n"
	"	jz 2f\n"
	"	movq %rax, 24(%rsp)\n"
	"	movq $0, sn_resume(%rip)\n"
	"	popq %rax\n"
	"	addq $16, %rsp\n"
	"	iretq\n"
	"2:	call sn_fatal\n"
	"sn_user_return:\n"
	"	movq sn_ksp(%rip), %rsp\n"
	"	popq %r15\n"
	"	popq %r14\n"
	"	popq %r13\n"
	"	popq %r12\n"
	"	popq %rbp\n"
	"	popq %rbx\n"
	"	ret\n"
	/* sn_enter_user(fn: rdi, rsp: rsi): to ring 3, IOPL 0, IF 0. */
	".globl sn_enter_user\n"
	"sn_enter_user:\n"
	"	pushq %rbx\n"
	"	pushq %rbp\n"
	"	pushq %r12\n"
	"	pushq %r13\n"
	"	pushq %r14\n"
	"	pushq %r15\n"
	"	movq %rsp, sn_ksp(%rip)\n"
	"	pushq $0x23\n"
	"	pushq %rsi\n"
	"	pushq $0x002\n"
	"	pushq $0x1b\n"
	"	pushq %rdi\n"
	"	iretq\n"
	".popsection\n"
	".pushsection .rodata\n"
	".balign 8\n"
	".globl sn_stubs\n"
	"sn_stubs:\n"
	"	.quad sn_stub0, sn_stub1, sn_stub2, sn_stub3, sn_stub4, sn_stub5, sn_stub6, sn_stub7\n"
	"	.quad sn_stub8, sn_stub9, sn_stub10, sn_stub11, sn_stub12, sn_stub13, sn_stub14, sn_stub15\n"
	"	.quad sn_stub16, sn_stub17, sn_stub18, sn_stub19, sn_stub20, sn_stub21, sn_stub22, sn_stub23\n"
	"	.quad sn_stub24, sn_stub25, sn_stub26, sn_stub27, sn_stub28, sn_stub29, sn_stub30, sn_stub31\n"
	".popsection\n"
	".pushsection .text.start, \"ax\"\n"
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
