/* MSI-X (PCI Local Bus 3.0, 6.8.2) for one function: the vector table
 * and pending bit array the guest reaches in a BAR, the function-level
 * enable and mask from the capability, and per-vector masking with
 * pending delivery.  How a message reaches the CPU is the owner's (two
 * callbacks): routing a vector (a KVM MSI route behind an irqfd) and
 * firing it.
 *
 * Threads: the table, enable and mask change on vCPU threads under the
 * owner's lock; msix_notify runs on any thread (the device's I/O
 * thread).  The blocked and pending flags are atomics so that an
 * interrupt raised while a vector is masked is kept in the PBA and
 * delivered once when it is unmasked, never lost and never doubled, with
 * no lock on the I/O thread's path. */
#ifndef WARDEN_DEVICES_MSIX_H
#define WARDEN_DEVICES_MSIX_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define MSIX_MAX_VECTORS 16
#define MSIX_ENTRY_SIZE 16
#define MSIX_CTRL_MASKBIT 1u
/* Message control bits in the capability. */
#define MSIX_CONTROL_ENABLE 0x8000
#define MSIX_CONTROL_FMASK 0x4000

struct msix_ops {
	/* Vector V is now deliverable at ADDR/DATA (unmasked, or its message
	 * changed while unmasked).  vCPU thread, owner's lock held. */
	void (*route)(void *ctx, unsigned v, uint64_t addr, uint32_t data);
	/* Send vector V's message (ADDR/DATA as programmed). */
	void (*fire)(void *ctx, unsigned v, uint64_t addr, uint32_t data);
};

struct msix {
	unsigned n; /* vectors */
	const struct msix_ops *ops;
	void *ctx;
	pthread_mutex_t lock; /* the entries: vCPU writes, msix_notify reads */
	uint32_t entry[MSIX_MAX_VECTORS][4]; /* address low, high, data, vector control */
	bool enabled, fmask;                 /* from the capability */
	atomic_bool blocked[MSIX_MAX_VECTORS]; /* not deliverable now */
	atomic_bool pending[MSIX_MAX_VECTORS]; /* the PBA */
	uint64_t fired;                      /* messages sent (tests) */
};

/* N vectors (1..MSIX_MAX_VECTORS; more are clamped), all masked. */
void msix_init(struct msix *m, unsigned n, const struct msix_ops *ops, void *ctx);
void msix_destroy(struct msix *m);
/* Back to power-on: disabled, every vector masked, nothing pending. */
void msix_reset(struct msix *m);
/* Bytes of table and PBA the function's BAR must hold. */
unsigned msix_table_size(unsigned n);
unsigned msix_pba_size(unsigned n);
/* The capability's message control word was written. */
void msix_control(struct msix *m, uint16_t control);
/* Table accesses at OFF from its start: dword or qword, aligned, inside
 * the table.  -1 for anything else (reads give 0), to log and count. */
int msix_table_read(struct msix *m, uint64_t off, uint8_t *data, unsigned len);
int msix_table_write(struct msix *m, uint64_t off, const uint8_t *data, unsigned len);
/* The PBA is read-only: reads of 4 or 8 bytes, aligned, inside it. */
int msix_pba_read(struct msix *m, uint64_t off, uint8_t *data, unsigned len);
bool msix_enabled(const struct msix *m);
/* Raise vector V (any thread): delivered now, or pending until unmasked.
 * Out-of-range vectors are ignored (the transport never maps them). */
void msix_notify(struct msix *m, unsigned v);

/* The table, the PBA and the capability's enable and mask bits in a
 * snapshot. */
struct msix_saved {
	uint32_t n;
	uint32_t entry[MSIX_MAX_VECTORS][4];
	uint8_t enabled, fmask;
	uint8_t pending[MSIX_MAX_VECTORS];
	uint8_t pad[6];
};
void msix_save(struct msix *m, struct msix_saved *s);
/* Take S into M (the same vector count; flags 0 or 1, no reserved
 * control bit: else -1, nothing changed), then route every vector that
 * is deliverable (the owner's route: KVM's GSI routes made again) and
 * send what the PBA held for an unmasked one. */
int msix_restore(struct msix *m, const struct msix_saved *s);

#endif
