/* The built-in guest of `warden lab emulated-vs-virtio`: the ELF the build
 * makes from guest/lab/regpage.c (REGPAGE_GUEST_ELF, a path given by the
 * Makefile, guest/lab/regpage.mk), included byte for byte. */
	.section .rodata
	.balign 16
	.globl lab_regpage_guest
	.globl lab_regpage_guest_end
lab_regpage_guest:
	.incbin REGPAGE_GUEST_ELF
lab_regpage_guest_end:
	.section .note.GNU-stack, "", @progbits
