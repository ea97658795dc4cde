/* The built-in guest of `warden lab sensitive`: the ELF the build makes
 * from guest/lab/sensitive.c (SENSITIVE_GUEST_ELF, guest/lab/sensitive.mk),
 * included byte for byte. */
	.section .rodata
	.balign 16
	.globl lab_sensitive_guest
	.globl lab_sensitive_guest_end
lab_sensitive_guest:
	.incbin SENSITIVE_GUEST_ELF
lab_sensitive_guest_end:
	.section .note.GNU-stack, "", @progbits
