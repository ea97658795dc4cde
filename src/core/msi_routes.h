/* KVM's interrupt routing table, owned here: the default routes (GSI
 * 0-23 to the IOAPIC's pins, 0-15 to the PIC too, as KVM sets them up with
 * the in-kernel irqchip; with warden's own IOAPIC instead an MSI route per
 * unmasked level pin), one MSI route per GSI handed out from the
 * layout's MSI pool, and the Hyper-V SINT routes core/hyperv.c keeps in
 * vm->hv_route.  KVM_SET_GSI_ROUTING replaces the whole table, so
 * every change rebuilds it from here; nobody else may call it.
 *
 * A PCI function takes a GSI per MSI-X vector (msi_route_alloc), binds an
 * irqfd to it, and points the route at the address/data the guest
 * programmed (msi_route_set) whenever the vector is unmasked: an eventfd
 * write then becomes an MSI inside KVM, with no exit and no ioctl. */
#ifndef WARDEN_CORE_MSI_ROUTES_H
#define WARDEN_CORE_MSI_ROUTES_H

#include <stdbool.h>
#include <stdint.h>

struct vm;

/* A GSI from the MSI pool with no route yet, or -1 (pool empty, error
 * recorded). */
int msi_route_alloc(struct vm *vm);
/* Route GSI to the MSI ADDR/DATA (the guest's values: KVM checks nothing
 * we would need to).  -1 if KVM refused (error recorded). */
int msi_route_set(struct vm *vm, unsigned gsi, uint64_t addr, uint32_t data);
/* Drop GSI's route (it stays allocated). */
int msi_route_clear(struct vm *vm, unsigned gsi);
/* With warden's own IOAPIC (vm->ioapic, core/ioapic.h): route GSI PIN
 * to the MSI ADDR/DATA its entry sends, or drop it (ROUTED false).  KVM
 * then reports the EOIs of a level entry's vector (KVM_EXIT_IOAPIC_EOI).
 * -1 if KVM refused (error recorded). */
int ioapic_route_set(struct vm *vm, unsigned pin, bool routed, uint64_t addr, uint32_t data);
/* Give KVM the whole table again (after vm->hv_route changed). */
int gsi_routes_push(struct vm *vm);
/* Free the table (vm_destroy). */
void msi_routes_free(struct vm *vm);

#endif
