/* A synthetic bzImage: boot sector + setup (setup_sects+1 sectors) with a
 * 2.15 setup header, followed by a patterned "protected-mode kernel". */
#ifndef WARDEN_TESTS_BZIMAGE_FIXTURE_H
#define WARDEN_TESTS_BZIMAGE_FIXTURE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boot/bzimage.h"
#include "unit.h"

#define FX_SETUP_SECTS 4
#define FX_SETUP_LEN ((FX_SETUP_SECTS + 1) * 512)
#define FX_PM_LEN 6000
#define FX_SYSSIZE (FX_PM_LEN / 16)  /* the header's size of the PM kernel */
#define FX_PAYLOAD_OFFSET 0x3c0      /* the compressed kernel inside it */
#define FX_PAYLOAD_LENGTH 5000
#define FX_LEN (FX_SETUP_LEN + FX_PM_LEN)
#define FX_JUMP_OFF 0x6a /* header ends at 0x202 + 0x6a = 0x26c */
#define FX_HEADER_END (0x202 + FX_JUMP_OFF)
#define FX_VERSION 0x020f
#define FX_INITRD_ADDR_MAX 0x7fffffffu
#define FX_CMDLINE_SIZE 2047u
#define FX_KERNEL_ALIGNMENT 0x200000u
#define FX_PREF_ADDRESS 0x1000000ULL /* 16 MiB, LOAD_PHYSICAL_ADDR */
#define FX_INIT_SIZE 0x800000u       /* 8 MiB */
#define FX_CANARY_OFF 0x280          /* past the header: must not be copied */

static inline uint8_t fx_pm_byte(size_t i)
{
	return (uint8_t)(i * 7 + 3);
}

/* Fill IMG (LEN >= FX_LEN bytes) with a valid bzImage; PM bytes follow. */
static inline void fx_bzimage_fill(uint8_t *img, size_t len)
{
	assert_true(len >= FX_LEN);
	memset(img, 0, len);
	img[BZ_SETUP_SECTS] = FX_SETUP_SECTS;
	u_wr32(img + BZ_SYSSIZE, FX_SYSSIZE);
	u_wr16(img + BZ_BOOT_FLAG, 0xAA55);
	img[BZ_JUMP] = 0xeb;
	img[BZ_JUMP + 1] = FX_JUMP_OFF;
	memcpy(img + BZ_HEADER_MAGIC, "HdrS", 4);
	u_wr16(img + BZ_VERSION, FX_VERSION);
	img[BZ_LOADFLAGS] = BZ_LOADED_HIGH | BZ_CAN_USE_HEAP;
	u_wr32(img + BZ_CODE32_START, 0x100000);
	u_wr32(img + BZ_INITRD_ADDR_MAX, FX_INITRD_ADDR_MAX);
	u_wr32(img + BZ_KERNEL_ALIGNMENT, FX_KERNEL_ALIGNMENT);
	img[BZ_RELOCATABLE] = 1;
	img[BZ_XLOADFLAGS] = BZ_XLF_KERNEL_64 | 0x02; /* + can be loaded above 4G */
	u_wr32(img + BZ_CMDLINE_SIZE, FX_CMDLINE_SIZE);
	u_wr32(img + BZ_PAYLOAD_OFFSET, FX_PAYLOAD_OFFSET);
	u_wr32(img + BZ_PAYLOAD_LENGTH, FX_PAYLOAD_LENGTH);
	u_wr64(img + BZ_PREF_ADDRESS, FX_PREF_ADDRESS);
	u_wr32(img + BZ_INIT_SIZE, FX_INIT_SIZE);
	img[FX_CANARY_OFF] = 0x5a;
	for (size_t i = FX_SETUP_LEN; i < len; i++)
		img[i] = fx_pm_byte(i - FX_SETUP_LEN);
}

static inline uint8_t *fx_bzimage_new(void)
{
	uint8_t *img = malloc(FX_LEN);

	assert_non_null(img);
	fx_bzimage_fill(img, FX_LEN);
	return img;
}

/* The first LEN bytes of the image, in a buffer of exactly LEN bytes (so
 * AddressSanitizer sees any read past the end). */
static inline uint8_t *fx_bzimage_prefix(size_t len)
{
	uint8_t *full = fx_bzimage_new(), *img = malloc(len ? len : 1);

	assert_non_null(img);
	memcpy(img, full, len < FX_LEN ? len : FX_LEN);
	free(full);
	return img;
}

#endif
