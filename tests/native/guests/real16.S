/* Native-tier test guest, 16-bit real mode (a flat binary at 0x7c00, like
 * a boot sector).  Exactly: "real16: hello\n" on COM1 (14 writes), 300
 * port writes to unclaimed 0x512, then a reset through the i8042 (0xfe to
 * port 0x64): one more port write, and the VM ends as a reboot. */
	.code16
	.globl _start
	.text
_start:
	cli
	xor %ax, %ax
	mov %ax, %ds
	mov $msg, %si
	mov $0x3f8, %dx
1:	lodsb
	test %al, %al
	jz 2f
	outb %al, %dx
	jmp 1b
2:
	mov $300, %cx
	mov $0x512, %dx
3:	outb %al, %dx
	loop 3b

	mov $0xfe, %al
	outb %al, $0x64
	hlt
	jmp .

msg:	.asciz "real16: hello\n"
