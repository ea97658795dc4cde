/* Native-tier test guest for --acpi-s3 (ELF64, entered in long mode):
 * what an OS does to suspend to S3 and be woken by the RTC alarm.
 *   - finds the RSDP (0xe0000-0xfffff), the XSDT, the FADT ("FACP") and,
 *     through the FADT's FIRMWARE_CTRL, the FACS;
 *   - copies its real-mode resume code to 0x1000 and puts 0x1000 in the
 *     FACS's waking vector (so CS:IP must be 0100:0000 at resume);
 *   - sets RTC_EN in PM1_EN (PM1a event block + 2);
 *   - waits for the RTC's update-in-progress bit to rise and fall, then
 *     arms the alarm for the second after next (AIE; minutes and hours
 *     "any"): it fires about 2 s later (it notes the seconds register,
 *     SECONDS);
 *   - writes SLP_TYP=1 (\_S3) | SLP_EN to PM1a_CNT, then spins setting
 *     MARK to 1 (it must never run: the vCPU stopped at the write).
 * The resume code (real mode) ends through the test-exit port 0xf4 with
 * 0x40 | what was wrong: 1 MARK was set after the sleep, 2 WAK_STS
 * clear, 4 RTC_STS clear, 8 CR0.PE set (not real mode), 0x10 the RTC's
 * seconds as at the sleep (the wake came before the alarm), 0x20 CS is
 * not VECTOR >> 4.  All right:
 * 0x40, status 129.  No FACS found: 0x41 -> 131; no FADT: 0x42 -> 133.
 * Built with -DS5 it writes SLP_TYP=5 | SLP_EN instead: a power off.
 * Built with -DNO_WAKE it leaves RTC_EN clear: it sleeps until stopped. */
	.code64
	.globl _start
	.text

#define MARK 0x500        /* 0 before the sleep, 1 if the vCPU ran on */
#define PM1_EVT_SAVE 0x504 /* the PM1a event block's port, for the resume code */
#define SECONDS 0x508      /* the RTC's seconds when it went to sleep */
#define VECTOR 0x1000
#define EXIT_PORT 0xf4

_start:
	/* The RSDP: "RSD PTR " on a 16-byte boundary. */
	mov $0xe0000, %rbx
	movabs $0x2052545020445352, %rax
1:	cmp %rax, (%rbx)
	je 2f
	add $16, %rbx
	cmp $0x100000, %rbx
	jb 1b
	jmp no_fadt
2:	mov 24(%rbx), %rsi          /* the XSDT */
	mov 4(%rsi), %ecx           /* its length */
	lea (%rsi,%rcx), %rdx       /* its end */
	lea 36(%rsi), %rdi          /* its first entry */
3:	cmp %rdx, %rdi
	jae no_fadt
	mov (%rdi), %r8
	cmpl $0x50434146, (%r8)     /* "FACP" */
	je 4f
	add $8, %rdi
	jmp 3b
4:	mov 36(%r8), %r9d           /* FIRMWARE_CTRL: the FACS */
	test %r9d, %r9d
	jz no_facs
	cmpl $0x53434146, (%r9)     /* "FACS" */
	jne no_facs

	/* The resume code at VECTOR, and the vector in the FACS. */
	lea resume_start(%rip), %rsi
	mov $VECTOR, %rdi
	mov $(resume_end - resume_start), %rcx
	rep movsb
	movl $VECTOR, 12(%r9)

	mov 56(%r8), %r10d          /* PM1a_EVT_BLK */
	mov 64(%r8), %r11d          /* PM1a_CNT_BLK */
	movw %r10w, PM1_EVT_SAVE
#ifndef NO_WAKE
	lea 2(%r10), %edx           /* PM1_EN: RTC_EN */
	mov $0x400, %ax
	outw %ax, %dx
#endif

	/* An update begins (UIP rises), then ends: the alarm next fires at
	 * the following one, about a second away. */
5:	mov $0x0a, %al
	outb %al, $0x70
	inb $0x71, %al
	test $0x80, %al
	jz 5b
6:	mov $0x0a, %al
	outb %al, $0x70
	inb $0x71, %al
	test $0x80, %al
	jnz 6b
	mov $0x0c, %al              /* clear the flags */
	outb %al, $0x70
	inb $0x71, %al
	/* The alarm at the second after next (BCD: (seconds + 2) mod 60),
	 * not at the next update: a vCPU that a loaded host keeps from
	 * running for a second between here and the sleep would otherwise
	 * see the alarm fire before it sleeps, and wake at once (as a
	 * machine with RTC_STS already set does). */
	mov $0x00, %al
	outb %al, $0x70
	inb $0x71, %al
	movzbl %al, %eax
	mov %eax, %ecx
	shr $4, %ecx
	imul $10, %ecx, %ecx
	and $0x0f, %eax
	add %ecx, %eax              /* binary seconds */
	add $2, %eax
	xor %edx, %edx
	mov $60, %ecx
	div %ecx                    /* edx = (seconds + 2) mod 60 */
	mov %edx, %eax
	xor %edx, %edx
	mov $10, %ecx
	div %ecx                    /* eax tens, edx units */
	shl $4, %eax
	or %edx, %eax
	mov %al, %bl
	mov $0x01, %al
	call rtc_write
	mov $0xc0, %bl              /* minutes, hours: any */
	mov $0x03, %al
	call rtc_write
	mov $0x05, %al
	call rtc_write
	mov $0x22, %bl              /* 24-hour, AIE */
	mov $0x0b, %al
	call rtc_write

	mov $0x00, %al              /* the second the alarm must end */
	outb %al, $0x70
	inb $0x71, %al
	movb %al, SECONDS
	movl $0, MARK
	mov %r11d, %edx
#ifdef S5
	mov $0x3400, %ax            /* SLP_TYP 5 | SLP_EN */
#else
	mov $0x2400, %ax            /* SLP_TYP 1 | SLP_EN */
#endif
	outw %ax, %dx
7:	movl $1, MARK
	jmp 7b

rtc_write:                          /* register AL := BL */
	outb %al, $0x70
	mov %bl, %al
	outb %al, $0x71
	ret

no_facs:
	mov $0x41, %al
	outb %al, $EXIT_PORT
	hlt
no_fadt:
	mov $0x42, %al
	outb %al, $EXIT_PORT
	hlt

	.code16
resume_start:
	xor %ax, %ax
	mov %ax, %ds
	mov $0x40, %bl
	cmpl $0, MARK
	je 1f
	or $1, %bl
1:	mov PM1_EVT_SAVE, %dx
	inw %dx, %ax                /* PM1_STS */
	test $0x8000, %ax
	jnz 2f
	or $2, %bl
2:	test $0x0400, %ax
	jnz 3f
	or $4, %bl
3:	smsw %ax
	test $1, %al
	jz 4f
	or $8, %bl
4:	mov $0x00, %al              /* a second later than at the sleep? */
	outb %al, $0x70
	inb $0x71, %al
	cmp SECONDS, %al
	jne 6f
	or $0x10, %bl
6:	mov %cs, %ax                /* CS = vector >> 4, IP = vector & 0xf */
	cmp $(VECTOR >> 4), %ax
	je 7f
	or $0x20, %bl
7:	mov %bl, %al
	outb %al, $EXIT_PORT
5:	hlt
	jmp 5b
resume_end:
