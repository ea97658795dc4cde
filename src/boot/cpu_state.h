/* Initial CPU state of the boot vCPU for each boot mode: segment
 * registers, a boot GDT, and (long mode) identity page tables. */
#ifndef WARDEN_BOOT_CPU_STATE_H
#define WARDEN_BOOT_CPU_STATE_H

struct guest_mem;
struct boot_entry;

/* GDT selectors; 0x10/0x18 are what the Linux 64-bit boot protocol needs. */
#define BOOT_CS32 0x08
#define BOOT_CS64 0x10
#define BOOT_DS 0x18

int cpu_state_apply(int vcpu_fd, struct guest_mem *mem, const struct boot_entry *e);

#endif
