/* The built-in guest of `warden lab interrupts` (src/lab/interrupts_lab.c),
 * embedded in warden's binary.  Long mode, loaded as an ELF64 at 1 MiB,
 * ring 0 (interrupt handlers must be), interrupts off at entry.
 *
 * It turns on the x2APIC, routes warden's IOAPIC pin (P->gsi) to
 * IR_VEC_PIN (edge-triggered, fixed, to APIC 0), writes a ready mark to
 * warden's port, says READY in the shared page and idles in HLT with interrupts on.  Each handler (IR_VEC_PIN,
 * IR_VEC_MSI) stores the TSC, counts the interrupt and writes the x2APIC
 * EOI: the count is what warden polls as the acknowledgement.  Warden
 * ends the VM when it is done; any exception is reported (IR_ST_FAULT)
 * and the guest stops with interrupts off. */
#include <stdint.h>

#include "core/layout.h"
#include "lab/interrupts_abi.h"
#include "x86.h"

#define IOAPIC_REGSEL ((volatile uint32_t *)(LAYOUT_IOAPIC + 0x00))
#define IOAPIC_WIN ((volatile uint32_t *)(LAYOUT_IOAPIC + 0x10))

#define P ((volatile struct ir_params *)LAYOUT_LAB_PARAMS)

static struct idt_gate idt[256] __attribute__((aligned(16)));

extern char ir_stubs[], ir_pin_isr[], ir_msi_isr[], ir_spurious_isr[];
void ir_fault(uint64_t vector, uint64_t rip);

/* Entry; 32 exception stubs (16 bytes each: error-code placeholder,
 * vector, jump to the fault path); the two handlers, which store the TSC,
 * write EOI (x2APIC MSR 0x80b) and then count (warden reads the count,
 * then the TSC; after the EOI, so that warden's next interrupt is not
 * held back by this one); the spurious vector's, which counts and needs
 * no EOI. */
__asm__(
	"	.section .text.start, \"ax\"\n"
	"	.globl _start\n"
	"_start:\n"
	"	and $-16, %rsp\n"
	"	call guest_main\n"
	"1:	cli\n"
	"	hlt\n"
	"	jmp 1b\n"
	"	.text\n"
	"	.macro ir_stub v\n"
	"	.balign 16\n"
	"	.if (\\v == 8) || (\\v >= 10 && \\v <= 14) || (\\v == 17) || (\\v == 21) || (\\v == 29) || (\\v == 30)\n"
	"	.else\n"
	"	pushq $0\n"
	"	.endif\n"
	"	pushq $\\v\n"
	"	jmp ir_fault_common\n"
	"	.endm\n"
	"	.balign 16\n"
	"	.globl ir_stubs\n"
	"ir_stubs:\n"
	"	ir_vec = 0\n"
	"	.rept 32\n"
	"	ir_stub ir_vec\n"
	"	ir_vec = ir_vec + 1\n"
	"	.endr\n"
	"ir_fault_common:\n"
	"	mov (%rsp), %rdi\n"
	"	mov 16(%rsp), %rsi\n"
	"	and $-16, %rsp\n"
	"	call ir_fault\n"
	"	.macro ir_isr name, slot\n"
	"	.globl \\name\n"
	"\\name:\n"
	"	push %rax\n"
	"	push %rcx\n"
	"	push %rdx\n"
	"	lfence\n"
	"	rdtsc\n"
	"	shl $32, %rdx\n"
	"	or %rdx, %rax\n"
	"	mov %rax, " "0x28+8*\\slot+0x40000\n"   /* P->tsc[slot] */
	"	mov $0x80b, %ecx\n"
	"	xor %eax, %eax\n"
	"	xor %edx, %edx\n"
	"	wrmsr\n"
	"	incq 0x18+8*\\slot+0x40000\n"             /* P->count[slot], after the EOI */
	"	pop %rdx\n"
	"	pop %rcx\n"
	"	pop %rax\n"
	"	iretq\n"
	"	.endm\n"
	"	ir_isr ir_pin_isr, 0\n"
	"	ir_isr ir_msi_isr, 1\n"
	"	.globl ir_spurious_isr\n"
	"ir_spurious_isr:\n"
	"	incq 0x38+0x40000\n"                     /* P->spurious */
	"	iretq\n");

_Static_assert(LAYOUT_LAB_PARAMS == 0x40000, "the handlers address the page directly");
_Static_assert(__builtin_offsetof(struct ir_params, count) == 0x18, "handlers: count");
_Static_assert(__builtin_offsetof(struct ir_params, tsc) == 0x28, "handlers: tsc");
_Static_assert(__builtin_offsetof(struct ir_params, spurious) == 0x38, "handlers: spurious");

static void stop(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

void ir_fault(uint64_t vector, uint64_t rip)
{
	P->fault_vector = (uint32_t)vector;
	P->fault_rip = rip;
	P->status = IR_ST_FAULT;
	stop();
}

static void setup_idt(void)
{
	uint16_t cs = read_cs();

	for (unsigned v = 0; v < 32; v++)
		idt_set_gate(idt, v, ir_stubs + 16 * v, cs);
	idt_set_gate(idt, IR_VEC_PIN, ir_pin_isr, cs);
	idt_set_gate(idt, IR_VEC_MSI, ir_msi_isr, cs);
	idt_set_gate(idt, IR_VEC_SPURIOUS, ir_spurious_isr, cs);
	idt_load(idt, 256);
}

/* The pin's redirection entry: vector, fixed delivery, physical
 * destination APIC 0, active high, edge-triggered, unmasked. */
static void route_pin(uint32_t gsi)
{
	*IOAPIC_REGSEL = 0x10 + 2 * gsi + 1;
	*IOAPIC_WIN = 0; /* destination APIC ID 0 in bits 56..63 */
	*IOAPIC_REGSEL = 0x10 + 2 * gsi;
	*IOAPIC_WIN = IR_VEC_PIN;
}

void guest_main(void);
void guest_main(void)
{
	if (P->magic != IR_MAGIC || P->gsi >= 24) {
		P->status = IR_ST_BAD_PARAMS;
		stop();
	}
	if (!cpu_has(CPUID1_ECX_X2APIC)) {
		P->status = IR_ST_NO_X2APIC;
		stop();
	}
	setup_idt();
	x2apic_on(IR_VEC_SPURIOUS);
	route_pin(P->gsi);
	/* The ready mark: an exit to warden, which reads the TSC offset
	 * then (a vCPU ioctl needs the vCPU out of KVM_RUN). */
	outb(PORT_LAB_CTL, 1);
	P->status = IR_ST_READY;
	for (;;)
		__asm__ volatile("sti; hlt; cli" ::: "memory");
}
