/* Observatory test guest (64-bit, ELF). It does exactly:
 *   K = 700 port writes to unclaimed port 0x520        (reach warden)
 *   M = 300 MMIO reads at unclaimed 0xd0001000          (reach warden)
 *   C = 400 CPUIDs                                      (handled in KVM)
 *   H = 50 HLTs, woken by a periodic x2APIC timer       (handled in KVM)
 *   "observe: done\n" on COM1 (14 port writes), then poweroff (1 write).
 * Interrupts are open in `sti; hlt` and between the handler's iretq and
 * the cli, so at least H are delivered (one per HLT, more when a tick
 * lands in that window on a slow host).  A periodic timer, not one-shot: a
 * late or lost tick delays a HLT instead of hanging the guest.  MSR
 * accesses: 1 read + 5 writes to set the APIC and timer up, one EOI per
 * interrupt, 1 write to stop the timer: 7 + interrupts in all.
 * The counts are checked against warden's report (tests/native/run.sh and
 * the emulated tier, where the exit trace names the in-KVM ones too).
 */
#define K 700
#define M 300
#define C 400
#define H 50
#define VEC 0x40

	.code64
	.globl _start
	.text
_start:
	/* IDT gate for the timer vector, with the current code selector. */
	lea timer_isr(%rip), %rax
	lea idt(%rip), %rdi
	add $VEC * 16, %rdi
	mov %ax, (%rdi)
	mov %cs, %bx
	mov %bx, 2(%rdi)
	movw $0x8e00, 4(%rdi)          /* present, DPL 0, 64-bit interrupt gate */
	shr $16, %rax
	mov %ax, 6(%rdi)
	shr $16, %rax
	mov %eax, 8(%rdi)
	movl $0, 12(%rdi)
	lidt idtr(%rip)

	mov $K, %ecx
	mov $0x520, %dx
1:	mov %cl, %al
	outb %al, %dx
	loop 1b

	mov $0xd0001000, %rbx
	mov $M, %ecx
2:	movl (%rbx), %eax
	loop 2b

	mov $C, %r8d
3:	xor %eax, %eax
	cpuid
	dec %r8d
	jnz 3b

	/* x2APIC on: IA32_APIC_BASE |= EN | EXTD */
	mov $0x1b, %ecx
	rdmsr
	or $0xc00, %eax
	wrmsr
	mov $0x80f, %ecx               /* SVR: APIC software-enabled, spurious 0xff */
	mov $0x1ff, %eax
	xor %edx, %edx
	wrmsr
	mov $0x83e, %ecx               /* timer divide by 1 */
	mov $0xb, %eax
	wrmsr
	mov $0x832, %ecx               /* LVT timer: periodic, VEC */
	mov $(VEC | 1 << 17), %eax
	wrmsr
	mov $0x838, %ecx               /* initial count: a tick every ~200 us */
	mov $200000, %eax
	wrmsr

	mov $H, %r9d
4:	sti
	hlt
	cli
	dec %r9d
	jnz 4b
	mov $0x838, %ecx               /* stop the timer */
	xor %eax, %eax
	xor %edx, %edx
	wrmsr

	lea msg(%rip), %rsi
	mov $0x3f8, %dx
5:	lodsb
	test %al, %al
	jz 6f
	outb %al, %dx
	jmp 5b
6:	mov $0x600, %dx
	mov $0x34, %al                 /* ACPI sleep: SLP_TYP=5 << 2 | SLP_EN */
	outb %al, %dx
7:	hlt
	jmp 7b

timer_isr:
	push %rax
	push %rcx
	push %rdx
	mov $0x80b, %ecx               /* EOI */
	xor %eax, %eax
	xor %edx, %edx
	wrmsr
	pop %rdx
	pop %rcx
	pop %rax
	iretq

	.data
	.balign 16
idtr:	.word 256 * 16 - 1
	.quad idt
msg:	.asciz "observe: done\n"
	.balign 16
idt:	.fill 256 * 16, 1, 0
