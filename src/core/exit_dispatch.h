/* The one exit dispatch path: decodes a KVM exit, routes port and MMIO
 * accesses to the device owning the address, and decides whether the VM
 * ends. Devices never see KVM structures. */
#ifndef WARDEN_CORE_EXIT_DISPATCH_H
#define WARDEN_CORE_EXIT_DISPATCH_H

#include <stdbool.h>
#include <stdint.h>

struct vcpu;

struct exit_result {
	int dev;         /* accounting slot of the device that handled it, or STATS_DEV_NONE */
	bool unclaimed;  /* PIO/MMIO access nobody owns */
	uint8_t space;   /* enum bus_space */
	uint64_t addr;   /* port or MMIO address of the access */
	bool has_addr;
	uint64_t t_decoded; /* TSC when the owner was found (0: no device work) */
	int end;         /* enum vm_end: VM_RUNNING to go on */
};

void exit_dispatch(struct vcpu *v, struct exit_result *res);

#endif
