/* Native-tier test guest, 32-bit protected mode without paging (loaded as
 * ELF32).  Exactly: "prot32: hello\n" on COM1 (14 writes), 500 port
 * writes to unclaimed 0x511, 10 MMIO writes to unclaimed 0xd0001000,
 * then HLT with interrupts off: run with --no-irqchip, the HLT reaches
 * warden and ends the VM (exit status 6). */
	.code32
	.globl _start
	.text
_start:
	mov $msg, %esi
	mov $0x3f8, %dx
1:	lodsb
	test %al, %al
	jz 2f
	outb %al, %dx
	jmp 1b
2:
	mov $500, %ecx
	mov $0x511, %dx
3:	outb %al, %dx
	loop 3b

	mov $0xd0001000, %ebx
	mov $10, %ecx
4:	movl %ecx, (%ebx)
	loop 4b

	cli
	hlt
	jmp .

	.data
msg:	.asciz "prot32: hello\n"
