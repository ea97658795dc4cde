/* Exit-cost benchmark guest (64-bit ELF): N CPUID instructions (leaf 0),
 * each one exit that KVM handles in the kernel without returning to the
 * VMM, then poweroff through the ACPI sleep register (port 0x600). */
#ifndef N
#define N 200000
#endif
	.code64
	.globl _start
	.text
_start:
	mov $N, %r8d
1:	xor %eax, %eax
	xor %ecx, %ecx
	cpuid
	dec %r8d
	jnz 1b
	mov $0x600, %dx
	mov $0x34, %al          /* SLP_TYP=5 << 2 | SLP_EN */
	outb %al, %dx
2:	hlt
	jmp 2b
