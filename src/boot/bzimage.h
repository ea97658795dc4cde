/* Linux x86 boot protocol: the bzImage setup header
 * (Documentation/arch/x86/boot.rst). Parsing, and reading the header part
 * of a file; no KVM. */
#ifndef WARDEN_BOOT_BZIMAGE_H
#define WARDEN_BOOT_BZIMAGE_H

#include <stddef.h>
#include <stdint.h>

/* Offsets into the image / the zero page. */
#define BZ_SETUP_SECTS 0x1f1
#define BZ_SYSSIZE 0x1f4
#define BZ_BOOT_FLAG 0x1fe
#define BZ_JUMP 0x200
#define BZ_HEADER_MAGIC 0x202
#define BZ_VERSION 0x206
#define BZ_TYPE_OF_LOADER 0x210
#define BZ_LOADFLAGS 0x211
#define BZ_CODE32_START 0x214
#define BZ_RAMDISK_IMAGE 0x218
#define BZ_RAMDISK_SIZE 0x21c
#define BZ_HEAP_END_PTR 0x224
#define BZ_CMD_LINE_PTR 0x228
#define BZ_INITRD_ADDR_MAX 0x22c
#define BZ_KERNEL_ALIGNMENT 0x230
#define BZ_RELOCATABLE 0x234
#define BZ_XLOADFLAGS 0x236
#define BZ_CMDLINE_SIZE 0x238
#define BZ_PAYLOAD_OFFSET 0x248
#define BZ_PAYLOAD_LENGTH 0x24c
#define BZ_PREF_ADDRESS 0x258
#define BZ_INIT_SIZE 0x260

#define BZ_LOADED_HIGH 0x01
#define BZ_CAN_USE_HEAP 0x80
#define BZ_XLF_KERNEL_64 0x01

/* We enter the kernel at its 64-bit entry point, which needs 2.12+. */
#define BZ_MIN_VERSION 0x020c
/* Where that entry point (startup_64) is in the protected-mode kernel. */
#define BZ_ENTRY_64 0x200

struct bzimage {
	uint16_t version;
	unsigned setup_sects;     /* real-mode setup sectors (0 means 4) */
	size_t setup_len;         /* bytes of boot sector + setup */
	size_t header_end;        /* end of the setup header in the image */
	const uint8_t *pm;        /* protected-mode kernel inside the image */
	size_t pm_len;            /* bytes after the setup: all loaded */
	uint64_t sys_len;         /* syssize * 16: the kernel's own size, <= pm_len */
	uint32_t initrd_addr_max; /* highest byte address an initrd may use */
	uint32_t cmdline_size;    /* max command line length, excluding NUL */
	uint32_t kernel_alignment;
	uint8_t relocatable;
	uint64_t pref_address;
	uint32_t init_size;       /* memory the kernel needs from its load address */
};

/* Parse IMG (LEN bytes: the file's size, though a bzImage read lazily
 * holds only its boot sector and setup). Every size and offset the header
 * gives is checked against LEN: setup_sects, syssize (a file cut short is
 * refused here, before the VM exists), payload_offset + payload_length,
 * the header's own end and the 64-bit entry point. On failure records a
 * user error naming PATH. */
int bzimage_parse(const uint8_t *img, size_t len, const char *path, struct bzimage *bz);

/* Quick magic check (used to tell bzImage from ELF/flat). */
int bzimage_looks_like(const uint8_t *img, size_t len);

/* Read the boot sector and setup of the bzImage file FD (SIZE bytes), all
 * that bzimage_parse looks at, to the same offsets of IMG (SIZE bytes,
 * zeroed). 0, or -1 if that cannot be done (too short, a read error); no
 * error is recorded: the caller reads the whole file instead. */
int bzimage_read_setup(int fd, uint8_t *img, size_t size);

#endif
