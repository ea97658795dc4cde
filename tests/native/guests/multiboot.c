/* A multiboot test guest: it prints what the boot loader told it (the
 * magic, the information's flags, command line, memory, memory map, the
 * module, the loader's name) and what fw_cfg says (signature, CPUs, RAM)
 * on COM1, then writes the status its command line names ("exit=N") to
 * the test-exit port (0xf4), and powers off through the ACPI register if
 * that did not end the VM. 32-bit, freestanding. */
#include <stdint.h>

#define COM1 0x3f8
#define TEST_EXIT 0xf4
#define ACPI_PM 0x600

struct mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
	uint32_t drives_length, drives_addr, config_table, boot_loader_name;
};

struct mb_mmap {
	uint32_t size;
	uint64_t base, len;
	uint32_t type;
} __attribute__((packed));

struct mb_module {
	uint32_t start, end, string, reserved;
};

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }

static void putc_(char c) { outb(COM1, (uint8_t)c); }
static void puts_(const char *s) { while (*s) putc_(*s++); }

static void putu(uint64_t v)
{
	char b[24];
	int n = 0;

	do
		b[n++] = (char)('0' + v % 10);
	while ((v /= 10));
	while (n)
		putc_(b[--n]);
}

static void puthex(uint32_t v)
{
	puts_("0x");
	for (int i = 28; i >= 0; i -= 4)
		putc_("0123456789abcdef"[(v >> i) & 0xf]);
}

static uint64_t fw_cfg(uint16_t key, int bytes)
{
	uint64_t v = 0;

	outw(0x510, key);
	for (int i = 0; i < bytes; i++)
		v |= (uint64_t)inb(0x511) << (8 * i);
	return v;
}

/* N from "exit=N" on the command line, else 21. */
static uint32_t exit_code(const char *s)
{
	for (; s && *s; s++)
		if (s[0] == 'e' && s[1] == 'x' && s[2] == 'i' && s[3] == 't' && s[4] == '=') {
			uint32_t v = 0;

			for (s += 5; *s >= '0' && *s <= '9'; s++)
				v = v * 10 + (uint32_t)(*s - '0');
			return v;
		}
	return 21;
}

void mb_main(uint32_t magic, const struct mb_info *mbi);
void mb_main(uint32_t magic, const struct mb_info *mbi)
{
	uint64_t ram = 0, sig = fw_cfg(0, 4);
	const char *cmdline = 0;

	puts_("multiboot: magic ");
	puthex(magic);
	puts_("\nmultiboot: flags ");
	puthex(mbi->flags);
	if (mbi->flags & (1u << 2)) {
		cmdline = (const char *)(uintptr_t)mbi->cmdline;
		puts_("\nmultiboot: cmdline '");
		puts_(cmdline);
		putc_('\'');
	}
	if (mbi->flags & 1u) {
		puts_("\nmultiboot: mem_lower ");
		putu(mbi->mem_lower);
		puts_(" mem_upper ");
		putu(mbi->mem_upper);
	}
	if (mbi->flags & (1u << 6)) {
		const uint8_t *p = (const uint8_t *)(uintptr_t)mbi->mmap_addr;
		const uint8_t *end = p + mbi->mmap_length;
		unsigned n = 0;

		for (; p < end; p += ((const struct mb_mmap *)p)->size + 4, n++)
			if (((const struct mb_mmap *)p)->type == 1)
				ram += ((const struct mb_mmap *)p)->len;
		puts_("\nmultiboot: mmap ");
		putu(n);
		puts_(" entries, RAM ");
		putu(ram >> 10);
		puts_(" KiB");
	}
	if (mbi->flags & (1u << 3)) {
		const struct mb_module *m = (const struct mb_module *)(uintptr_t)mbi->mods_addr;

		puts_("\nmultiboot: modules ");
		putu(mbi->mods_count);
		if (mbi->mods_count) {
			const char *d = (const char *)(uintptr_t)m->start;

			puts_(", first ");
			putu(m->end - m->start);
			puts_(" bytes at ");
			puthex(m->start);
			puts_((m->start & 0xfff) ? " (not page aligned)" : " (page aligned)");
			puts_(" named '");
			puts_((const char *)(uintptr_t)m->string);
			puts_("' starting '");
			for (uint32_t i = 0; i < 8 && i < m->end - m->start; i++)
				putc_(d[i]);
			putc_('\'');
		}
	}
	if (mbi->flags & (1u << 9)) {
		puts_("\nmultiboot: loader '");
		puts_((const char *)(uintptr_t)mbi->boot_loader_name);
		putc_('\'');
	}
	puts_("\nmultiboot: fw_cfg ");
	puts_(sig == 0x554d4551 ? "QEMU" : "none");
	puts_(" cpus ");
	putu(fw_cfg(5, 2));
	puts_(" ram ");
	putu(fw_cfg(3, 8) >> 20);
	puts_(" MiB\nmultiboot: exit ");
	putu(exit_code(cmdline));
	putc_('\n');
	outl(TEST_EXIT, exit_code(cmdline));
	/* No test-exit port: power off (SLP_TYP 5, SLP_EN). */
	puts_("multiboot: no test-exit port, powering off\n");
	outb(ACPI_PM, 0x20 | (5 << 2));
}
