/* The built-in guest of `warden lab batching`: the ELF the build makes
 * from guest/lab/batching.c (BATCHING_GUEST_ELF, guest/lab/batching.mk),
 * included byte for byte. */
	.section .rodata
	.balign 16
	.globl lab_batching_guest
	.globl lab_batching_guest_end
lab_batching_guest:
	.incbin BATCHING_GUEST_ELF
lab_batching_guest_end:
	.section .note.GNU-stack, "", @progbits
