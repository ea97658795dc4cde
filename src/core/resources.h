/* The one allocator of the machine's map (core/layout.h): it grants a
 * device the address ranges and interrupt line it asks for, fixed ones as
 * asked and pool requests from the layout's pools, all or nothing. */
#ifndef WARDEN_CORE_RESOURCES_H
#define WARDEN_CORE_RESOURCES_H

struct bus;
struct device;

/* Grant DEV->res: register its ranges on BUSES (indexed by enum
 * bus_space) and pick its line (a pool line from GSI_POOL_START .. 23),
 * checked against the NOTHERS devices
 * already granted.  On failure nothing is left registered, DEV->res is
 * as asked, and the error is recorded (ERR_HOST: a device asking for what
 * is taken or absent is warden's own bug or a full pool). */
int resources_grant(struct bus *buses, struct device *const *others, unsigned nothers,
		    struct device *dev, int gsi_pool_start);
/* Give back everything DEV was granted (device removal, tests). */
void resources_release(struct bus *buses, struct device *dev);

#endif
