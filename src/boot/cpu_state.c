#include "boot/cpu_state.h"

#include <linux/kvm.h>
#include <string.h>

#include "boot/boot_entry.h"
#include "core/layout.h"
#include "core/guest_mem.h"
#include "core/vcpu.h"
#include "util/error.h"

#define CR0_PE 0x1ULL
#define CR0_MP 0x2ULL
#define CR0_ET 0x10ULL
#define CR0_NE 0x20ULL
#define CR0_WP 0x10000ULL
#define CR0_PG 0x80000000ULL
#define CR4_PAE 0x20ULL
#define EFER_LME 0x100ULL
#define EFER_LMA 0x400ULL
#define PTE_P 0x1ULL
#define PTE_RW 0x2ULL
#define PTE_PS 0x80ULL

static const uint64_t boot_gdt[] = {
	0,
	0x00cf9b000000ffffULL, /* 0x08: 32-bit code, flat */
	0x00af9b000000ffffULL, /* 0x10: 64-bit code */
	0x00cf93000000ffffULL, /* 0x18: data, flat */
};

static int write_gdt(struct guest_mem *mem)
{
	void *p = gmem_ptr(mem, LAYOUT_GDT, sizeof(boot_gdt));

	if (!p)
		return fail(ERR_USAGE, "guest memory too small for the boot GDT");
	memcpy(p, boot_gdt, sizeof(boot_gdt));
	return 0;
}

/* Identity-map the first 4 GiB with 2 MiB pages. */
static int write_page_tables(struct guest_mem *mem)
{
	uint64_t *pml4 = gmem_ptr(mem, LAYOUT_PML4, 4096);
	uint64_t *pdpt = gmem_ptr(mem, LAYOUT_PDPT, 4096);
	uint64_t *pd = gmem_ptr(mem, LAYOUT_PD, 4 * 4096);

	if (!pml4 || !pdpt || !pd)
		return fail(ERR_USAGE, "guest memory too small for boot page tables");
	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = LAYOUT_PDPT | PTE_P | PTE_RW;
	for (unsigned i = 0; i < 4; i++)
		pdpt[i] = (LAYOUT_PD + i * 4096ULL) | PTE_P | PTE_RW;
	for (unsigned i = 0; i < 4 * 512; i++)
		pd[i] = ((uint64_t)i << 21) | PTE_P | PTE_RW | PTE_PS;
	return 0;
}

static struct kvm_segment flat_seg(uint16_t sel, uint8_t type, int code64)
{
	return (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
		.present = 1, .dpl = 0, .db = code64 ? 0 : 1, .s = 1, .l = code64 ? 1 : 0, .g = 1,
	};
}

static void protected_segments(struct vcpu_boot_regs *s, int long_mode)
{
	struct kvm_segment data = flat_seg(BOOT_DS, 3, 0);

	s->cs = long_mode ? flat_seg(BOOT_CS64, 11, 1) : flat_seg(BOOT_CS32, 11, 0);
	s->ds = s->es = s->fs = s->gs = s->ss = data;
	s->gdt.base = LAYOUT_GDT;
	s->gdt.limit = sizeof(boot_gdt) - 1;
}

/* Real mode at 0:IP: KVM's reset segments (64 KiB, present, read/write;
 * code execute/read) with base and selector 0 instead of F000. */
static struct kvm_segment real_seg(uint8_t type)
{
	return (struct kvm_segment){ .limit = 0xffff, .type = type, .present = 1, .s = 1 };
}

static void real_segments(struct vcpu_boot_regs *s)
{
	s->cs = real_seg(11);
	s->ds = s->es = s->fs = s->gs = s->ss = real_seg(3);
	s->gdt.limit = 0xffff; /* the reset GDTR: base 0, limit 0xffff */
	s->cr0 = CR0_ET | 0x60000000ULL; /* reset value: CD, NW and ET set */
}

int cpu_state_build(struct guest_mem *mem, const struct boot_entry *e, struct vcpu_boot_regs *s)
{
	memset(s, 0, sizeof(*s));
	s->regs = (struct kvm_regs){ .rflags = 2, .rip = e->rip, .rsi = e->rsi, .rsp = e->rsp,
				     .rax = e->rax, .rbx = e->rbx };
	switch (e->mode) {
	case BOOT_MODE_REAL16:
		real_segments(s);
		break;
	case BOOT_MODE_PROT32:
		if (write_gdt(mem) < 0)
			return -1;
		protected_segments(s, 0);
		s->cr0 = CR0_PE | CR0_ET;
		break;
	case BOOT_MODE_LONG64:
		if (write_gdt(mem) < 0 || write_page_tables(mem) < 0)
			return -1;
		protected_segments(s, 1);
		s->cr3 = LAYOUT_PML4;
		s->cr4 = CR4_PAE;
		s->cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
		s->efer = EFER_LME | EFER_LMA;
		break;
	}
	return 0;
}
