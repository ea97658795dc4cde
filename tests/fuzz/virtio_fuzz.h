/* Guest memory and split-virtqueue rings for the virtio harnesses: RAM is
 * a real gmem_map() (FZ_RAM bytes), the fuzzer's bytes are copied to its
 * start, and the rings of queue 0, 1, ... sit back to back from address 0
 * (descriptor table, avail ring, used ring, each aligned), so that a short
 * input already fills a descriptor table and an avail ring, and buffer
 * addresses the fuzzer writes land in RAM often enough to be used. */
#ifndef WARDEN_TESTS_VIRTIO_FUZZ_H
#define WARDEN_TESTS_VIRTIO_FUZZ_H

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "core/device.h"
#include "core/guest_mem.h"
#include "virtio/virtqueue.h"
#include "fuzz.h"

#define FZ_RAM (2 * GMEM_MIB)
#define FZ_COPY_MAX (64 * 1024) /* input bytes copied into RAM at most */

/* One guest access to D's window at OFF, under the device's lock, as a
 * vCPU's exit makes it (core/exit_emulate.c). */
static inline void fz_device_access(struct device *d, uint64_t off, uint8_t *data, unsigned len, bool write)
{
	futex_mutex_lock(&d->lock);
	if (write)
		d->ops->write(d, 0, off, data, len);
	else
		d->ops->read(d, 0, off, data, len);
	futex_mutex_unlock(&d->lock);
}

static inline uint64_t fz_align(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* Set Q's ring addresses for a queue of SIZE entries at *AT, and move *AT
 * past them. */
static inline void fz_ring_place(struct virtq *q, uint16_t size, uint64_t *at)
{
	q->size = size;
	q->desc_gpa = fz_align(*at, 16);
	q->avail_gpa = fz_align(q->desc_gpa + 16ULL * size, 16);
	q->used_gpa = fz_align(q->avail_gpa + 6 + 2ULL * size, 16);
	*at = q->used_gpa + 6 + 8ULL * size;
}

/* A queue size the driver might write: mostly a power of two up to the
 * maximum, sometimes anything (activation must refuse it). */
static inline uint16_t fz_qsize(uint8_t b)
{
	return (b & 0x80) ? (uint16_t)(b & 0x7f) * 3 : (uint16_t)(1u << (b % 9));
}

/* MEM's RAM (mapped on first use, FZ_RAM bytes) for one input: zeroes
 * (the previous input may have had a device write anywhere), then DATA
 * copied to address 0. */
static inline void fz_ram_fill(struct guest_mem *mem, const uint8_t *data, size_t len)
{
	if (!mem->map && gmem_map(mem, FZ_RAM) < 0)
		abort();
	memset(mem->map, 0, FZ_RAM);
	len = len < FZ_COPY_MAX ? len : FZ_COPY_MAX;
	memcpy(mem->map, data, len);
}

/* Every buffer of an accepted chain is inside RAM: the rule that keeps a
 * guest from making warden touch host memory (a sanitizer would not see a
 * stray pointer into the mapping's neighbours, so it is checked here). */
static inline void fz_check_chain(const struct guest_mem *mem, const struct virtq_chain *c)
{
	const uint8_t *lo = mem->map, *hi = lo + FZ_RAM;

	if (c->nout + c->nin > VIRTQ_MAX_SIZE)
		__builtin_trap();
	for (unsigned i = 0; i < c->nout + c->nin; i++) {
		const uint8_t *b = c->iov[i].iov_base;

		if (c->iov[i].iov_len && (b < lo || b > hi || c->iov[i].iov_len > (size_t)(hi - b)))
			__builtin_trap();
	}
}

#endif
