/* Exit-cost benchmark guest (64-bit ELF): N CPUID instructions (leaf 0),
 * each one exit that KVM handles in the kernel without returning to the
 * VMM, then poweroff through the ACPI sleep register (port 0x600).
 * With -DTSC_REPORT the guest also reads its TSC just before and just after
 * the loop and prints the difference on COM1 ("WARDEN-TSC <hex cycles>"), as bench/guests/pio_loop.S does. */
#ifndef N
#define N 200000
#endif
#ifdef TSC_REPORT
#include "tsc_report.inc"
#endif
	.code64
	.globl _start
	.text
_start:
#ifdef TSC_REPORT
	TSC_READ %r12
#endif
	mov $N, %r8d
1:	xor %eax, %eax
	xor %ecx, %ecx
	cpuid
	dec %r8d
	jnz 1b
#ifdef TSC_REPORT
	TSC_READ %r13
	sub %r12, %r13
	TSC_PRINT %r13
#endif
	mov $0x600, %dx
	mov $0x34, %al          /* SLP_TYP=5 << 2 | SLP_EN */
	outb %al, %dx
2:	hlt
	jmp 2b
