/* The built-in guest of `warden lab paging`: the ELF the build makes
 * from guest/lab/paging.c (PAGING_GUEST_ELF, guest/lab/paging.mk),
 * included byte for byte. */
	.section .rodata
	.balign 16
	.globl lab_paging_guest
	.globl lab_paging_guest_end
lab_paging_guest:
	.incbin PAGING_GUEST_ELF
lab_paging_guest_end:
	.section .note.GNU-stack, "", @progbits
