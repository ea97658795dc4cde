/* The CPU state the boot vCPU starts in, as decided by the loader. */
#ifndef WARDEN_BOOT_BOOT_ENTRY_H
#define WARDEN_BOOT_BOOT_ENTRY_H

#include <stdint.h>

enum boot_mode {
	BOOT_MODE_REAL16, /* flat binary: real mode, CS:IP = 0:entry */
	BOOT_MODE_PROT32, /* ELF32: flat 32-bit protected mode, no paging */
	BOOT_MODE_LONG64, /* ELF64 and Linux: long mode, 4 GiB identity mapped */
};

struct boot_entry {
	enum boot_mode mode;
	uint64_t rip;
	uint64_t rsi; /* Linux: boot_params address */
	uint64_t rsp;
	uint64_t rax, rbx; /* multiboot: the magic and the boot information */
};

#endif
