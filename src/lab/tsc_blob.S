/* The built-in guest of `warden lab tsc`: the ELF the build makes
 * from guest/lab/tsc.c (TSC_GUEST_ELF, guest/lab/tsc.mk),
 * included byte for byte. */
	.section .rodata
	.balign 16
	.globl lab_tsc_guest
	.globl lab_tsc_guest_end
lab_tsc_guest:
	.incbin TSC_GUEST_ELF
lab_tsc_guest_end:
	.section .note.GNU-stack, "", @progbits
