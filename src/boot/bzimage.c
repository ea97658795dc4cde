#include "boot/bzimage.h"

#include <string.h>

#include "util/error.h"
#include "util/pread_parallel.h"

static uint16_t rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

int bzimage_looks_like(const uint8_t *img, size_t len)
{
	return len >= BZ_VERSION + 2 && rd16(img + BZ_BOOT_FLAG) == 0xAA55 &&
	       memcmp(img + BZ_HEADER_MAGIC, "HdrS", 4) == 0;
}

int bzimage_parse(const uint8_t *img, size_t len, const char *path, struct bzimage *bz)
{
	memset(bz, 0, sizeof(*bz));
	if (!bzimage_looks_like(img, len))
		return fail(ERR_USAGE, "%s is not a bzImage (no Linux boot header)", path);
	bz->version = rd16(img + BZ_VERSION);
	if (bz->version < BZ_MIN_VERSION)
		return fail(ERR_USAGE, "%s: boot protocol %u.%02u is too old (warden needs 2.12 or later)",
			    path, bz->version >> 8, bz->version & 0xff);
	if (len < BZ_INIT_SIZE + 4)
		return fail(ERR_USAGE, "%s: truncated bzImage header", path);
	if (!(img[BZ_XLOADFLAGS] & BZ_XLF_KERNEL_64))
		return fail(ERR_USAGE, "%s: kernel has no 64-bit entry point", path);
	if (!(img[BZ_LOADFLAGS] & BZ_LOADED_HIGH))
		return fail(ERR_USAGE, "%s: zImage (low-loaded) kernels are not supported", path);

	bz->setup_sects = img[BZ_SETUP_SECTS] ? img[BZ_SETUP_SECTS] : 4;
	bz->setup_len = (size_t)(bz->setup_sects + 1) * 512;
	if (bz->setup_len >= len)
		return fail(ERR_USAGE, "%s: truncated bzImage (setup larger than file)", path);
	/* The header runs from 0x1f1 to the target of the jump at 0x200
	 * (at most 0x301: inside the setup, which is 2 sectors or more). It
	 * must hold every field read here: the zero page gets only it. */
	bz->header_end = 0x202 + img[BZ_JUMP + 1];
	if (bz->header_end < BZ_INIT_SIZE + 4)
		return fail(ERR_USAGE, "%s: bzImage setup header ends at 0x%zx, before its init_size field",
			    path, bz->header_end);
	bz->pm = img + bz->setup_len;
	bz->pm_len = len - bz->setup_len;
	/* syssize: the protected-mode kernel in 16-byte units. A file cut
	 * short (a copy or download that stopped) has less than that; its
	 * decompressor would run off the end of what is loaded. (More is
	 * fine: a signed kernel carries its signature after it.) */
	bz->sys_len = (uint64_t)rd32(img + BZ_SYSSIZE) * 16;
	if (bz->sys_len > bz->pm_len)
		return fail(ERR_USAGE,
			    "%s: truncated bzImage: its header says %llu bytes of kernel follow the setup, the file has %zu",
			    path, (unsigned long long)bz->sys_len, bz->pm_len);
	if (bz->sys_len <= BZ_ENTRY_64)
		return fail(ERR_USAGE, "%s: bzImage kernel of %llu bytes ends before its 64-bit entry point at 0x%x",
			    path, (unsigned long long)bz->sys_len, BZ_ENTRY_64);
	/* The compressed kernel, inside the protected-mode one. */
	if ((uint64_t)rd32(img + BZ_PAYLOAD_OFFSET) + rd32(img + BZ_PAYLOAD_LENGTH) > bz->sys_len)
		return fail(ERR_USAGE, "%s: bzImage payload (offset %u, %u bytes) runs past the kernel's %llu bytes",
			    path, rd32(img + BZ_PAYLOAD_OFFSET), rd32(img + BZ_PAYLOAD_LENGTH),
			    (unsigned long long)bz->sys_len);
	bz->initrd_addr_max = rd32(img + BZ_INITRD_ADDR_MAX);
	bz->cmdline_size = rd32(img + BZ_CMDLINE_SIZE);
	bz->kernel_alignment = rd32(img + BZ_KERNEL_ALIGNMENT);
	bz->relocatable = img[BZ_RELOCATABLE];
	bz->pref_address = rd64(img + BZ_PREF_ADDRESS);
	bz->init_size = rd32(img + BZ_INIT_SIZE);
	if (bz->init_size < bz->pm_len)
		bz->init_size = (uint32_t)bz->pm_len;
	return 0;
}

int bzimage_read_setup(int fd, uint8_t *img, size_t size)
{
	size_t setup_len;

	if (size < 0x400 || pread_full(fd, img, 0x400, 0) < 0)
		return -1;
	setup_len = (size_t)((img[BZ_SETUP_SECTS] ? img[BZ_SETUP_SECTS] : 4) + 1) * 512;
	/* setup_len is at least 5 sectors: more than the KiB already read. */
	if (setup_len > size || pread_full(fd, img + 0x400, setup_len - 0x400, 0x400) < 0)
		return -1;
	return 0;
}
