/* Initial CPU state of the boot vCPU for each boot mode: segment
 * registers, a boot GDT, and (long mode) identity page tables, decided at
 * load time and handed to core as registers. */
#ifndef WARDEN_BOOT_CPU_STATE_H
#define WARDEN_BOOT_CPU_STATE_H

struct guest_mem;
struct boot_entry;
struct vcpu_boot_regs;

/* GDT selectors; 0x10/0x18 are what the Linux 64-bit boot protocol needs. */
#define BOOT_CS32 0x08
#define BOOT_CS64 0x10
#define BOOT_DS 0x18

/* Write what mode E needs into guest memory (GDT, page tables) and the
 * registers the boot vCPU starts with into OUT. */
int cpu_state_build(struct guest_mem *mem, const struct boot_entry *e, struct vcpu_boot_regs *out);

#endif
