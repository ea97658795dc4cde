/* The built-in guest of `warden bench exits`: the ELF that the build makes
 * from guest/lab/exits.c (LAB_GUEST_ELF, a path given by the Makefile),
 * included byte for byte (src/lab/guest_blob.h). */
	.section .rodata
	.balign 16
	.globl lab_exits_guest
	.globl lab_exits_guest_end
lab_exits_guest:
	.incbin LAB_GUEST_ELF
lab_exits_guest_end:
	.section .note.GNU-stack, "", @progbits
