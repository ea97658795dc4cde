/* Extra memory slots besides guest RAM (core/vm.c maps RAM as slots
 * 0..n-1): host memory a caller owns, put at a guest-physical address
 * outside RAM with KVM flags of its choosing (e.g. dirty logging), and the
 * dirty log of such a slot.  Generic: core knows nothing of who uses them
 * (a device whose registers are guest RAM, src/devices/regpage.c). */
#ifndef WARDEN_CORE_MEMSLOT_H
#define WARDEN_CORE_MEMSLOT_H

#include <stdbool.h>
#include <stdint.h>

struct vm;

/* Put SIZE bytes (whole 4 KiB pages) at host address HVA into the guest at
 * GPA with KVM_MEM_* FLAGS.  GPA must not overlap RAM or another slot.
 * Returns the slot number, or -1 (error recorded).  The caller keeps HVA
 * mapped until the VM is destroyed. */
int vm_add_memslot(struct vm *vm, uint64_t gpa, uint64_t size, void *hva, uint32_t flags);

/* Ask the host for manual dirty-log protection
 * (KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2): KVM_GET_DIRTY_LOG then only reports,
 * and vm_dirty_log_clear() write-protects the pages again.  1 enabled,
 * 0 the host does not offer it (KVM_CHECK_EXTENSION), -1 it refused. */
int vm_dirty_log_manual(struct vm *vm);

/* The dirty bitmap of SLOT (one bit per page, 64 pages a word) into BITMAP
 * (room for the slot's pages, rounded up to 64).  Without manual
 * protection KVM clears and write-protects what it reports. */
int vm_dirty_log_get(struct vm *vm, unsigned slot, uint64_t *bitmap);
/* Clear and write-protect the pages of SLOT set in BITMAP, which covers
 * NPAGES pages from page FIRST (FIRST a multiple of 64; manual mode). */
int vm_dirty_log_clear(struct vm *vm, unsigned slot, uint64_t first, uint32_t npages,
		       uint64_t *bitmap);

#endif
