/* Overhead benchmark guest (64-bit ELF): N port writes to unclaimed port
 * 0x530, each one exit to the VMM, then poweroff through the ACPI sleep
 * register (port 0x600). Nothing else: the loop is the exit path.
 * With -DTSC_REPORT (bench/exitcost.sh) the guest also reads its TSC just
 * before and just after the loop and prints the difference on COM1
 * ("WARDEN-TSC <hex cycles>"): the loop as the guest saw it, each
 * exit's whole round trip included. Without it (bench/overhead.sh) the
 * guest makes no other exit. */
#ifndef N
#define N 200000
#endif
/* -DPORT=p: the loop's port instead of 0x530; -DREAD: `inl` from it
 * instead of `outb` (bench/exit-pages.sh: 0x1234 is the port
 * kvm-unit-tests' vmexit reads, 0x3ff the UART's scratch register). */
#ifndef PORT
#define PORT 0x530
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
	mov $N, %ecx
	mov $PORT, %dx
#ifdef READ
1:	inl %dx, %eax
#else
1:	outb %al, %dx
#endif
	dec %ecx
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
