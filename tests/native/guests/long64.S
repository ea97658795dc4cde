/* Native-tier test guest, 64-bit long mode (loaded as ELF64; warden sets up
 * paging and enters at _start).  Exactly:
 *   - "long64: hello\n" on COM1             14 port writes to 0x3f8
 *   - 1000 port writes to unclaimed 0x510    1000 PIO exits
 *   - 100 MMIO reads + 50 MMIO writes at unclaimed 0xd0000000
 *   - 20 CPUIDs (handled in KVM: no exit reaches warden); then checks the
 *     hypervisor bit and the KVM signature and prints "cpuid ok\n" or
 *     "cpuid bad\n"
 *   - poweroff via the ACPI sleep control register: 1 port write to 0x600
 * Built with -DTRIPLE_FAULT it instead loads an empty IDT and executes ud2:
 * #UD -> #DF -> triple fault, which ends the VM with status 4.
 * Built with -DEMU_FAIL it loads an x87 value from MMIO before that, which
 * KVM cannot emulate: a KVM internal error, status 5 (the crash report).
 */
	.code64
	.globl _start
	.text
_start:
	lea msg(%rip), %rsi
	call puts

	mov $1000, %ecx
	mov $0x510, %dx
1:	mov %cl, %al
	outb %al, %dx
	loop 1b

	mov $0xd0000000, %rbx
	mov $100, %ecx
2:	movl (%rbx), %eax
	loop 2b
	mov $50, %ecx
3:	movl %ecx, 4(%rbx)
	/* An MMIO write's exit comes with RIP past the write (KVM's emulator
	 * completed it): the crash report's RIP check (run.sh). */
	.globl after_mmio_write
after_mmio_write:
	loop 3b

	mov $20, %r8d
4:	mov $0, %eax
	cpuid
	dec %r8d
	jnz 4b

	/* hypervisor bit: CPUID.1:ECX[31] */
	mov $1, %eax
	cpuid
	bt $31, %ecx
	jnc bad
	/* KVM signature at 0x40000000: "KVMKVMKVM\0\0\0" */
	mov $0x40000000, %eax
	cpuid
	cmp $0x4b4d564b, %ebx
	jne bad
	cmp $0x564b4d56, %ecx
	jne bad
	cmp $0x0000004d, %edx
	jne bad
	lea ok(%rip), %rsi
	call puts
	jmp off
bad:	lea badmsg(%rip), %rsi
	call puts
off:
#ifdef EMU_FAIL
	/* An x87 load from MMIO: KVM's instruction emulator cannot do it, so
	 * KVM_RUN returns an internal error (emulation failure). */
	mov $0xd0000000, %rbx
	.globl emu_fail_insn
emu_fail_insn:
	fildl (%rbx)
#endif
#ifdef TRIPLE_FAULT
	lidt empty_idt(%rip)
	.globl triple_ud2
triple_ud2:
	ud2
#endif
	mov $0x600, %dx
	mov $0x34, %al          /* SLP_TYP=5 << 2 | SLP_EN */
	outb %al, %dx
	hlt
	jmp off

/* puts: NUL-terminated string at %rsi to COM1, one OUT per byte. */
puts:	mov $0x3f8, %dx
5:	lodsb
	test %al, %al
	jz 6f
	outb %al, %dx
	jmp 5b
6:	ret

	.data
empty_idt:
	.word 0
	.quad 0
msg:	.asciz "long64: hello\n"
ok:	.asciz "cpuid ok\n"
badmsg:	.asciz "cpuid bad\n"
