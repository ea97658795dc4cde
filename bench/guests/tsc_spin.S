/* TSC-rate guest for bench/exitcost.sh (64-bit ELF): reads its TSC, spins
 * without any exit until the TSC has advanced by at least K cycles, and
 * prints the cycles it actually spun on COM1 ("WARDEN-TSC <hex>"),
 * then powers off. Run at two values of K and timed from outside (the
 * script's wall clock around `warden run`), the difference gives the
 * guest-visible TSC rate: cycles per ns, measured, not assumed. */
#ifndef K
#define K 0x40000000
#endif
#include "tsc_report.inc"
	.code64
	.globl _start
	.text
_start:
	TSC_READ %r12
	mov $K, %r14
1:	rdtsc
	shl $32, %rdx
	or %rdx, %rax
	sub %r12, %rax
	cmp %r14, %rax
	jb 1b
	TSC_READ %r13
	sub %r12, %r13
	TSC_PRINT %r13
	mov $0x600, %dx
	mov $0x34, %al          /* SLP_TYP=5 << 2 | SLP_EN */
	outb %al, %dx
2:	hlt
	jmp 2b
