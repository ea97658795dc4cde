#include "boot/multiboot.h"

#include <elf.h>
#include <string.h>

#include "boot/boot_entry.h"
#include "boot/e820.h"
#include "boot/elf.h"
#include "core/guest_mem.h"
#include "core/layout.h"
#include "util/error.h"

#define PAGE 4096ULL
#define LOADER_NAME "warden"

/* Where the pieces of the information go inside [LAYOUT_MB_INFO,
 * LAYOUT_MB_INFO_END). */
#define AT_INFO (LAYOUT_MB_INFO)
#define AT_MODS (LAYOUT_MB_INFO + 0x100)
#define AT_MMAP (LAYOUT_MB_INFO + 0x200)
#define AT_NAME (LAYOUT_MB_INFO + 0xf00)
#define AT_MODNAME (LAYOUT_MB_INFO + 0xf80)
#define MMAP_MAX ((AT_NAME - AT_MMAP) / sizeof(struct mb_mmap_entry))

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

int multiboot_find(const uint8_t *img, size_t len, struct mb_header *h)
{
	size_t end = len < MB_SEARCH_LEN ? len : MB_SEARCH_LEN;

	for (size_t off = 0; off + 12 <= end; off += 4) {
		uint32_t magic = rd32(img + off), flags = rd32(img + off + 4), sum = rd32(img + off + 8);

		if (magic != MB_HEADER_MAGIC || (uint32_t)(magic + flags + sum) != 0)
			continue;
		memset(h, 0, sizeof(*h));
		h->magic = magic;
		h->flags = flags;
		h->checksum = sum;
		h->offset = off;
		/* The a.out kludge's addresses follow, if the file has them. */
		if (off + 32 <= len) {
			h->header_addr = rd32(img + off + 12);
			h->load_addr = rd32(img + off + 16);
			h->load_end_addr = rd32(img + off + 20);
			h->bss_end_addr = rd32(img + off + 24);
			h->entry_addr = rd32(img + off + 28);
		}
		return 1;
	}
	return 0;
}

/* The a.out kludge (3.1.3): the file from the header's offset minus
 * (header_addr - load_addr) goes to load_addr up to load_end_addr (0: the
 * end of the file), zeroes up to bss_end_addr (0: none). */
static int load_aout(struct guest_mem *mem, const struct multiboot_boot *mb,
		     const struct mb_header *h, uint64_t *end)
{
	uint64_t skip = (uint64_t)h->header_addr - h->load_addr, file_off, size, bss;
	uint8_t *dst;

	if (h->offset + 32 > mb->kernel_len || h->header_addr < h->load_addr || skip > h->offset)
		return fail(ERR_USAGE, "%s: multiboot header addresses do not match the file",
			    mb->kernel_path);
	file_off = h->offset - skip;
	size = h->load_end_addr ? (uint64_t)h->load_end_addr - h->load_addr : mb->kernel_len - file_off;
	if (h->load_end_addr && h->load_end_addr < h->load_addr)
		return fail(ERR_USAGE, "%s: multiboot load_end_addr below load_addr", mb->kernel_path);
	if (size > mb->kernel_len - file_off)
		return fail(ERR_USAGE, "%s: multiboot load range is past the end of the file",
			    mb->kernel_path);
	bss = h->bss_end_addr > h->load_addr + size ? h->bss_end_addr - (h->load_addr + size) : 0;
	dst = gmem_ptr(mem, h->load_addr, size + bss);
	if (!dst || !gmem_ptr(mem, h->entry_addr, 1))
		return fail(ERR_USAGE, "%s: multiboot kernel does not fit in guest memory",
			    mb->kernel_path);
	memcpy(dst, mb->kernel + file_off, size);
	memset(dst + size, 0, bss);
	*end = h->load_addr + size + bss;
	return 0;
}

/* The initrd as the one module: page aligned (as the kernel may ask),
 * at the top of low RAM, above the kernel. */
static int place_module(struct guest_mem *mem, const struct multiboot_boot *mb, uint64_t kernel_end,
			struct mb_module *m)
{
	uint64_t top = gmem_low_end(mem), at;
	uint8_t *dst;
	char *name = gmem_ptr(mem, AT_MODNAME, 8);

	if (top > (1ULL << 32))
		top = 1ULL << 32;
	if (mb->module_len > top)
		return fail(ERR_USAGE, "--initrd does not fit in guest memory");
	at = (top - mb->module_len) & ~(PAGE - 1);
	if (at < ((kernel_end + PAGE - 1) & ~(PAGE - 1)) || !(dst = gmem_ptr(mem, at, mb->module_len)) ||
	    !name)
		return fail(ERR_USAGE, "--initrd (%zu bytes) does not fit in guest memory above the kernel",
			    mb->module_len);
	memcpy(dst, mb->module, mb->module_len);
	memcpy(name, "initrd", 7);
	*m = (struct mb_module){ .mod_start = (uint32_t)at, .mod_end = (uint32_t)(at + mb->module_len),
				 .string = AT_MODNAME };
	return 0;
}

static unsigned write_mmap(struct guest_mem *mem, struct mb_info *info)
{
	struct e820_entry e[E820_MAX];
	unsigned n = e820_build(mem, e);
	struct mb_mmap_entry *out = gmem_ptr(mem, AT_MMAP, MMAP_MAX * sizeof(*out));

	if (!out || n > MMAP_MAX)
		return 0;
	for (unsigned i = 0; i < n; i++)
		out[i] = (struct mb_mmap_entry){ .size = 20, .base_addr = e[i].addr,
						 .length = e[i].size, .type = e[i].type };
	info->mmap_addr = AT_MMAP;
	info->mmap_length = n * (uint32_t)sizeof(*out);
	return n;
}

/* The command line the kernel sees starts with the kernel's own name, as
 * GRUB and QEMU give it (kvm-unit-tests takes that word as its argv[0]
 * and the rest as its arguments): "PATH" or "PATH ARGS". */
static int write_cmdline(struct guest_mem *mem, const struct multiboot_boot *mb)
{
	const char *path = mb->kernel_path ? mb->kernel_path : "";
	size_t plen = strlen(path), alen = strlen(mb->cmdline);
	size_t cmdlen = plen + (alen ? 1 + alen : 0);
	char *cmd = cmdlen < LAYOUT_CMDLINE_MAX ? gmem_ptr(mem, LAYOUT_CMDLINE, cmdlen + 1) : NULL;

	if (!cmd)
		return fail(ERR_USAGE, "command line too long (%zu bytes with the kernel's name, at most %d)",
			    cmdlen, LAYOUT_CMDLINE_MAX - 1);
	memcpy(cmd, path, plen);
	if (alen) {
		cmd[plen] = ' ';
		memcpy(cmd + plen + 1, mb->cmdline, alen);
	}
	cmd[cmdlen] = 0;
	return 0;
}

static int write_info(struct guest_mem *mem, const struct multiboot_boot *mb, uint64_t kernel_end)
{
	struct mb_info *info = gmem_ptr(mem, AT_INFO, sizeof(*info));
	char *name = gmem_ptr(mem, AT_NAME, sizeof(LOADER_NAME));
	uint64_t low_end = gmem_low_end(mem);

	if (!info || !name)
		return fail(ERR_USAGE, "guest memory too small for the multiboot information");
	if (write_cmdline(mem, mb) < 0)
		return -1;
	memset(info, 0, sizeof(*info));
	memcpy(name, LOADER_NAME, sizeof(LOADER_NAME));
	info->flags = MB_IF_MEM | MB_IF_CMDLINE | MB_IF_LOADER_NAME;
	info->mem_lower = LAYOUT_EBDA_START / 1024;
	info->mem_upper = low_end > LAYOUT_HIGH_MEM_START ? (uint32_t)((low_end - LAYOUT_HIGH_MEM_START) / 1024) : 0;
	info->boot_device = 0xffffffffu; /* no BIOS disk */
	info->cmdline = LAYOUT_CMDLINE;
	info->boot_loader_name = AT_NAME;
	if (write_mmap(mem, info))
		info->flags |= MB_IF_MMAP;
	if (mb->module) {
		struct mb_module *m = gmem_ptr(mem, AT_MODS, sizeof(*m));

		if (!m || place_module(mem, mb, kernel_end, m) < 0)
			return -1;
		info->flags |= MB_IF_MODS;
		info->mods_count = 1;
		info->mods_addr = AT_MODS;
	}
	return 0;
}

int multiboot_load(struct guest_mem *mem, const struct multiboot_boot *mb, struct boot_entry *entry)
{
	struct mb_header h;
	uint64_t kernel_end = 0;

	if (!multiboot_find(mb->kernel, mb->kernel_len, &h))
		return fail(ERR_USAGE, "%s: no multiboot header in its first %d bytes", mb->kernel_path,
			    MB_SEARCH_LEN);
	/* Bits 0-15 are requirements: refuse what warden cannot give. */
	if (h.flags & 0xffffu & ~(MB_HF_PAGE_ALIGN | MB_HF_MEMINFO))
		return fail(ERR_USAGE, "%s: the multiboot kernel asks for %s (flags 0x%x), which warden does not offer",
			    mb->kernel_path, (h.flags & MB_HF_VIDEO) ? "a video mode" : "an unknown feature",
			    h.flags);
	if (h.flags & MB_HF_AOUT) {
		if (load_aout(mem, mb, &h, &kernel_end) < 0)
			return -1;
		*entry = (struct boot_entry){ .mode = BOOT_MODE_PROT32, .rip = h.entry_addr };
	} else {
		if (!elf_looks_like(mb->kernel, mb->kernel_len) || mb->kernel[EI_CLASS] != ELFCLASS32)
			return fail(ERR_USAGE, "%s: a multiboot kernel without load addresses must be an ELF32 file",
				    mb->kernel_path);
		if (elf_load(mem, mb->kernel, mb->kernel_len, mb->kernel_path, entry) < 0)
			return -1;
		kernel_end = elf_load_end(mb->kernel, mb->kernel_len);
	}
	if (write_info(mem, mb, kernel_end) < 0)
		return -1;
	entry->rax = MB_BOOT_MAGIC;
	entry->rbx = AT_INFO;
	entry->rsp = 0; /* the kernel sets up its own stack (3.2) */
	return 0;
}
