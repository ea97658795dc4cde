/* Loading a static ELF (32- or 64-bit x86) by its PT_LOAD segments: the
 * documented fallback of --kernel for small purpose-built guests.
 * ELF32 starts in flat protected mode, ELF64 in long mode. */
#ifndef WARDEN_BOOT_ELF_H
#define WARDEN_BOOT_ELF_H

#include <stddef.h>
#include <stdint.h>

struct guest_mem;
struct boot_entry;

int elf_looks_like(const uint8_t *img, size_t len);
int elf_load(struct guest_mem *mem, const uint8_t *img, size_t len, const char *path,
	     struct boot_entry *entry);
/* The end of the highest PT_LOAD segment (physical), 0 if none or broken. */
uint64_t elf_load_end(const uint8_t *img, size_t len);
/* A raw binary at LAYOUT_FLAT_LOAD, entered in real mode. */
int flat_load(struct guest_mem *mem, const uint8_t *img, size_t len, const char *path,
	      struct boot_entry *entry);

#endif
