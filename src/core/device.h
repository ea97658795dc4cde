/* A device as the exit dispatcher sees it: a name, read/write handlers for
 * the address ranges it registered, and a lock that serialises guest
 * accesses (from any vCPU thread) with the device's own threads. */
#ifndef WARDEN_CORE_DEVICE_H
#define WARDEN_CORE_DEVICE_H

#include <pthread.h>
#include <stdint.h>

#include "accounting/exit_stats.h"

struct device;

struct device_ops {
	/* OFF is relative to the start of the registered range. */
	void (*read)(struct device *dev, uint64_t off, uint8_t *data, unsigned len);
	void (*write)(struct device *dev, uint64_t off, const uint8_t *data, unsigned len);
};

struct device {
	const char *name;
	const struct device_ops *ops;
	void *priv;
	pthread_mutex_t lock;
	int id; /* accounting slot, set when registered with the VM */
	struct device_counters *counters; /* work done, or NULL */
};

#endif
