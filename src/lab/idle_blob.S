/* The built-in guest of `warden lab idle`: the ELF the build makes from
 * guest/lab/idle.c (IDLE_GUEST_ELF, guest/lab/idle.mk), included byte for
 * byte. */
	.section .rodata
	.balign 16
	.globl lab_idle_guest
	.globl lab_idle_guest_end
lab_idle_guest:
	.incbin IDLE_GUEST_ELF
lab_idle_guest_end:
	.section .note.GNU-stack, "", @progbits
