/* Entry of the multiboot test guest (multiboot.c): the multiboot header
 * first in .text, then a stack and a call to mb_main(magic, info).
 *   -DAOUT   the header carries load addresses (bit 16), for a flat binary
 *   -DVIDEO  the header asks for a video mode, which warden must refuse */
#define MB_MAGIC 0x1badb002
#ifdef VIDEO
#define MB_FLAGS 0x00000007
#elif defined(AOUT)
#define MB_FLAGS 0x00010003
#else
#define MB_FLAGS 0x00000003
#endif

	.code32
	.section .text
	.globl _start
mb_header:
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)
#ifdef AOUT
	.long mb_header         /* header_addr */
	.long mb_header         /* load_addr: the file starts with the header */
	.long 0                 /* load_end_addr: the whole file */
	.long _end              /* bss_end_addr */
	.long _start            /* entry_addr */
#endif
_start:
	mov $stack_top, %esp
	push %ebx
	push %eax
	call mb_main
1:	hlt
	jmp 1b

	.section .bss
	.balign 16
	.space 8192
stack_top:
	.section .note.GNU-stack,"",@progbits
