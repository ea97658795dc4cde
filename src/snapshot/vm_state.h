/* The VM-wide KVM state in a snapshot: the in-kernel irqchip's three
 * chips (two PICs, the IOAPIC), the PIT and the kvmclock. */
#ifndef WARDEN_SNAPSHOT_VM_STATE_H
#define WARDEN_SNAPSHOT_VM_STATE_H

struct vm;
struct snap_writer;
struct snap_reader;

int vm_state_save(struct vm *vm, struct snap_writer *w);
/* PIT, clock, then the chips (Firecracker's order).  The clock: see
 * vm_state.c and docs/snapshot.md. */
int vm_state_restore(struct vm *vm, const struct snap_reader *r);

#endif
