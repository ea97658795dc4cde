/* The built-in guest of `warden lab interrupts`: the ELF the build makes
 * from guest/lab/interrupts.c (INTERRUPTS_GUEST_ELF, guest/lab/interrupts.mk),
 * included byte for byte. */
	.section .rodata
	.balign 16
	.globl lab_interrupts_guest
	.globl lab_interrupts_guest_end
lab_interrupts_guest:
	.incbin INTERRUPTS_GUEST_ELF
lab_interrupts_guest_end:
	.section .note.GNU-stack, "", @progbits
