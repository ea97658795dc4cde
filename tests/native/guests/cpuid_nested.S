/* Native-tier test guest, 16-bit real mode (a flat binary at 0x7c00): what
 * CPUID says of hardware virtualization, as warden's status through the
 * test-exit port (--test-exit-port 0xf4): V = SVM (leaf 0x80000001 ECX
 * bit 2) | VMX (leaf 1 ECX bit 5) << 1, status (V << 1) | 1.  Without
 * --nested warden hides both (tests/native/shutdown.sh). */
	.code16
	.globl _start
	.text
_start:
	cli
	mov $0x80000001, %eax
	cpuid
	mov %cx, %bx
	and $4, %bx
	shr $2, %bx             /* SVM -> bit 0 */
	mov $1, %eax
	cpuid
	and $0x20, %cx
	shr $4, %cx             /* VMX -> bit 1 */
	or %cx, %bx
	mov %bl, %al
	outb %al, $0xf4
	hlt
	jmp .
