/* Native-tier test guest, 16-bit real mode (a flat binary at 0x7c00): the
 * RTC's update-ended flag.  Enables UIE in register B, clears register C,
 * then polls C until UF is set (warden's RTC clock thread sets it at the
 * next host second) and ends with C's high nibble as its status through
 * the test-exit port (--test-exit-port 0xf4): IRQF|UF = 0x9, status 19. */
	.code16
	.globl _start
	.text
_start:
	cli
	mov $0x0b, %al
	outb %al, $0x70
	mov $0x12, %al          /* 24-hour, UIE */
	outb %al, $0x71
	mov $0x0c, %al
	outb %al, $0x70
	inb $0x71, %al          /* reading C clears it */
1:	mov $0x0c, %al
	outb %al, $0x70
	inb $0x71, %al
	test $0x10, %al         /* UF */
	jz 1b
	shr $4, %al
	outb %al, $0xf4
	hlt
	jmp .
