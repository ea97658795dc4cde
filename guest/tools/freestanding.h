/* What the freestanding guest tools share (no C library: each goes into
 * the default guest's initramfs, whose size is boot time; built by
 * guest/build.sh with -nostdlib -static): a system call of up to three
 * arguments, and the entry point that hands MAIN the kernel's argc and
 * argv.  x86-64 only, as the guest is. */
#ifndef WARDEN_GUEST_FREESTANDING_H
#define WARDEN_GUEST_FREESTANDING_H

static inline long syscall3(long n, long a, long b, long c)
{
	long r;

	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return r;
}

/* _start: the kernel leaves argc, then argv[], on the stack; MAIN(long
 * argc, char **argv) gets them with the stack 16-byte aligned and must
 * not return (it ends with the exit system call). */
#define FREESTANDING_START(main)                                                        \
	__asm__(".globl _start\n_start:\n\txor %ebp, %ebp\n\tmov (%rsp), %rdi\n"      \
		"\tlea 8(%rsp), %rsi\n\tand $-16, %rsp\n\tcall " #main "\n\thlt\n")

#endif
