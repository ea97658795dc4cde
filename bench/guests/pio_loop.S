/* Overhead benchmark guest (64-bit ELF): N port writes to unclaimed port
 * 0x530, each one exit to the VMM, then poweroff through the ACPI sleep
 * register (port 0x600). Nothing else: the loop is the exit path. */
#ifndef N
#define N 200000
#endif
	.code64
	.globl _start
	.text
_start:
	mov $N, %ecx
	mov $0x530, %dx
1:	outb %al, %dx
	dec %ecx
	jnz 1b
	mov $0x600, %dx
	mov $0x34, %al          /* SLP_TYP=5 << 2 | SLP_EN */
	outb %al, %dx
2:	hlt
	jmp 2b
