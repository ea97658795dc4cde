#include "virtio/virtqueue.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int guest_error(struct virtq *q, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(q->error, sizeof(q->error), fmt, ap);
	va_end(ap);
	return -1;
}

/* The driver writes these concurrently: read each exactly once. */
static uint16_t load_acquire16(const uint16_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static uint16_t *used_event(const struct virtq *q)
{
	return &q->avail->ring[q->size];
}

static uint16_t *avail_event(const struct virtq *q)
{
	return (uint16_t *)&q->used->ring[q->size];
}

static bool aligned(uint64_t gpa, uint64_t a)
{
	return (gpa & (a - 1)) == 0;
}

int virtq_activate(struct virtq *q, const struct guest_mem *mem)
{
	uint16_t n = q->size;

	q->active = false;
	if (n == 0 || n > VIRTQ_MAX_SIZE || (n & (n - 1)))
		return guest_error(q, "queue size %u is not a power of 2 up to %u", n, VIRTQ_MAX_SIZE);
	if (!aligned(q->desc_gpa, VIRTQ_DESC_ALIGN) || !aligned(q->avail_gpa, VIRTQ_AVAIL_ALIGN) ||
	    !aligned(q->used_gpa, VIRTQ_USED_ALIGN))
		return guest_error(q, "ring address misaligned");
	q->desc = gmem_ptr(mem, q->desc_gpa, VIRTQ_DESC_BYTES(n));
	q->avail = gmem_ptr(mem, q->avail_gpa, VIRTQ_AVAIL_BYTES(n));
	q->used = gmem_ptr(mem, q->used_gpa, VIRTQ_USED_BYTES(n));
	if (!q->desc || !q->avail || !q->used)
		return guest_error(q, "ring outside guest RAM (desc 0x%llx avail 0x%llx used 0x%llx)",
				   (unsigned long long)q->desc_gpa, (unsigned long long)q->avail_gpa,
				   (unsigned long long)q->used_gpa);
	q->mem = mem;
	q->last_avail = q->used_idx = 0; /* a new queue starts at 0 (2.7.13) */
	q->signalled_valid = false;
	q->poll_seen = 0;
	q->want_notify = true; /* a new ring asks for notifications */
	q->error[0] = 0;
	q->active = true;
	return 0;
}

void virtq_reset(struct virtq *q)
{
	memset(q, 0, sizeof(*q));
}

uint16_t virtq_pending(const struct virtq *q)
{
	uint16_t n = (uint16_t)(load_acquire16(&q->avail->idx) - q->last_avail);

	return n > q->size ? 0 : n;
}

void virtq_describe(const struct virtq *q, char *buf, size_t len)
{
	uint16_t avail = load_acquire16(&q->avail->idx), used = load_acquire16(&q->used->idx);
	uint16_t waiting = (uint16_t)(avail - q->last_avail), inflight = (uint16_t)(q->last_avail - q->used_idx);
	int n;

	n = snprintf(buf, len, "avail.idx %u, taken %u (%u waiting), used.idx %u (%u in flight)", avail,
		     q->last_avail, waiting, used, inflight);
	if (n < 0 || (size_t)n >= len)
		return;
	if (q->event_idx)
		/* The driver's used_event behind used.idx with its callbacks
		 * on: it has not seen the last completions. */
		snprintf(buf + n, len - (size_t)n, "; driver's used_event %u, device's avail_event %u%s%s",
			 __atomic_load_n(used_event(q), __ATOMIC_RELAXED),
			 __atomic_load_n(avail_event(q), __ATOMIC_RELAXED), q->polling ? ", polling" : "",
			 q->want_notify ? "" : ", notifications off");
	else
		snprintf(buf + n, len - (size_t)n, "; avail.flags 0x%x, used.flags 0x%x%s",
			 __atomic_load_n(&q->avail->flags, __ATOMIC_RELAXED),
			 __atomic_load_n(&q->used->flags, __ATOMIC_RELAXED), q->polling ? ", polling" : "");
}

static int add_buffer(struct virtq *q, struct virtq_chain *c, const struct virtq_desc *d)
{
	void *p;

	if (d->len == 0)
		return 0; /* nothing to transfer; the spec allows it */
	p = gmem_ptr(q->mem, d->addr, d->len);
	if (!p)
		return guest_error(q, "buffer 0x%llx+%u outside guest RAM",
				   (unsigned long long)d->addr, d->len);
	if (c->nout + c->nin == VIRTQ_MAX_SIZE)
		return guest_error(q, "chain has more than %u buffers", VIRTQ_MAX_SIZE);
	if (d->flags & VIRTQ_DESC_F_WRITE) {
		c->nin++;
		c->in_bytes += d->len;
	} else {
		if (c->nin)
			return guest_error(q, "device-readable buffer after a writable one");
		c->nout++;
		c->out_bytes += d->len;
	}
	c->iov[c->nout + c->nin - 1] = (struct iovec){ .iov_base = p, .iov_len = d->len };
	return 0;
}

/* Switch the walk to the indirect table that D describes. */
static int enter_indirect(struct virtq *q, const struct virtq_desc *d, unsigned depth,
			  const struct virtq_desc **table, uint32_t *tsize)
{
	if (!q->indirect)
		return guest_error(q, "indirect descriptor without VIRTIO_F_INDIRECT_DESC");
	if (depth != 1)
		return guest_error(q, "indirect descriptor not at the head of its chain");
	if (d->flags & VIRTQ_DESC_F_NEXT)
		return guest_error(q, "indirect descriptor with NEXT set");
	if (d->len == 0 || d->len % sizeof(struct virtq_desc))
		return guest_error(q, "indirect table length %u is not a multiple of 16", d->len);
	if (d->len / sizeof(struct virtq_desc) > q->size)
		return guest_error(q, "indirect table of %u entries is longer than the queue (%u)",
				   (unsigned)(d->len / sizeof(struct virtq_desc)), q->size);
	*table = gmem_ptr(q->mem, d->addr, d->len);
	if (!*table)
		return guest_error(q, "indirect table 0x%llx+%u outside guest RAM",
				   (unsigned long long)d->addr, d->len);
	*tsize = d->len / sizeof(struct virtq_desc);
	return 0;
}

static int walk_chain(struct virtq *q, uint16_t head, struct virtq_chain *c)
{
	const struct virtq_desc *table = q->desc;
	uint32_t tsize = q->size, idx = head, steps = 0;
	unsigned depth = 0;
	bool in_indirect = false;
	struct virtq_desc d;

	c->head = head;
	c->nout = c->nin = 0;
	c->out_bytes = c->in_bytes = 0;
	for (;;) {
		/* A chain visits each descriptor at most once; more means a loop. */
		if (++steps > tsize)
			return guest_error(q, "descriptor chain longer than %u (a loop?)", tsize);
		depth++;
		memcpy(&d, &table[idx], sizeof(d)); /* one fetch, then check */
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			if (in_indirect)
				return guest_error(q, "indirect descriptor inside an indirect table");
			if (enter_indirect(q, &d, depth, &table, &tsize) < 0)
				return -1;
			in_indirect = true;
			idx = 0;
			steps = 0;
			continue;
		}
		if (add_buffer(q, c, &d) < 0)
			return -1;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		idx = d.next;
		if (idx >= tsize)
			return guest_error(q, "next index %u out of range (%u)", idx, tsize);
	}
}

int virtq_pop(struct virtq *q, struct virtq_chain *c)
{
	uint16_t avail_idx, head, moved;

	if (!q->active)
		return 0;
	avail_idx = load_acquire16(&q->avail->idx);
	moved = (uint16_t)(avail_idx - q->last_avail);
	if (moved == 0)
		return 0;
	if (moved > q->size)
		return guest_error(q, "avail index jumped by %u (queue size %u)", moved, q->size);
	head = __atomic_load_n(&q->avail->ring[q->last_avail % q->size], __ATOMIC_RELAXED);
	if (head >= q->size)
		return guest_error(q, "chain head %u out of range (%u)", head, q->size);
	if (walk_chain(q, head, c) < 0)
		return -1;
	q->last_avail++;
	return 1;
}

void virtq_unpop(struct virtq *q, uint16_t n)
{
	q->last_avail -= n;
}

void virtq_push(struct virtq *q, uint16_t head, uint32_t written)
{
	struct virtq_used_elem *e = &q->used->ring[q->used_idx % q->size];

	e->id = head;
	e->len = written;
	q->used_idx++;
	/* The element must be visible before the index that publishes it. */
	__atomic_store_n(&q->used->idx, q->used_idx, __ATOMIC_RELEASE);
}

void virtq_push_n(struct virtq *q, const struct virtq_used_elem *elems, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		q->used->ring[(uint16_t)(q->used_idx + i) % q->size] = elems[i];
	q->used_idx = (uint16_t)(q->used_idx + n);
	/* The elements must be visible before the index that publishes them. */
	__atomic_store_n(&q->used->idx, q->used_idx, __ATOMIC_RELEASE);
}

bool virtq_needs_interrupt(struct virtq *q)
{
	uint16_t old = q->signalled_used, now = q->used_idx, ev;
	bool valid = q->signalled_valid;

	/* Order our used->idx store before reading the driver's flags/event. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	q->signalled_used = now;
	q->signalled_valid = true;
	/* Nothing published since the last call: the driver has nothing new
	 * to see (a notify that found no chain must not cost an interrupt). */
	if (valid && now == old)
		return false;
	if (!q->event_idx)
		return !(__atomic_load_n(&q->avail->flags, __ATOMIC_RELAXED) & VIRTQ_AVAIL_F_NO_INTERRUPT);
	if (!valid)
		return true;
	ev = __atomic_load_n(used_event(q), __ATOMIC_RELAXED);
	/* Interrupt if used_event lies in (old, now]: vring_need_event(). */
	return (uint16_t)(now - ev - 1) < (uint16_t)(now - old);
}

void virtq_notify_off(struct virtq *q)
{
	q->want_notify = false;
	/* With EVENT_IDX the driver only notifies when it passes avail_event,
	 * which we leave behind while we work: nothing to write. */
	if (!q->event_idx)
		__atomic_store_n(&q->used->flags, VIRTQ_USED_F_NO_NOTIFY, __ATOMIC_RELAXED);
}

static void arm(struct virtq *q)
{
	if (q->event_idx)
		__atomic_store_n(avail_event(q), q->last_avail, __ATOMIC_RELAXED);
	else
		__atomic_store_n(&q->used->flags, 0, __ATOMIC_RELAXED);
}

bool virtq_notify_on(struct virtq *q)
{
	/* A polled queue keeps a stale avail_event (or NO_NOTIFY): the
	 * driver, past it, does not notify. */
	q->want_notify = true;
	if (!q->polling)
		arm(q);
	/* Publish before re-reading avail->idx, or a chain added in between
	 * would get neither a notification nor our attention. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return load_acquire16(&q->avail->idx) != q->last_avail;
}

void virtq_poll_begin(struct virtq *q)
{
	q->polling = true;
	if (!q->event_idx)
		__atomic_store_n(&q->used->flags, VIRTQ_USED_F_NO_NOTIFY, __ATOMIC_RELAXED);
}

void virtq_poll_end(struct virtq *q)
{
	q->polling = false;
	if (q->want_notify)
		arm(q);
	/* Published before the caller's last look at avail->idx. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

bool virtq_poll_new(struct virtq *q)
{
	uint16_t idx;

	if (!q->active)
		return false;
	idx = load_acquire16(&q->avail->idx);
	if (idx == q->poll_seen)
		return false;
	q->poll_seen = idx;
	return idx != q->last_avail;
}

bool virtq_used_unsignalled(const struct virtq *q)
{
	return !q->signalled_valid || q->used_idx != q->signalled_used;
}

static size_t chain_copy(const struct virtq_chain *c, unsigned first, unsigned n, size_t off,
			 uint8_t *buf, size_t len, bool to_chain)
{
	size_t done = 0;

	for (unsigned i = first; i < first + n && done < len; i++) {
		size_t l = c->iov[i].iov_len, k;

		if (off >= l) {
			off -= l;
			continue;
		}
		k = l - off < len - done ? l - off : len - done;
		if (to_chain)
			memcpy((uint8_t *)c->iov[i].iov_base + off, buf + done, k);
		else
			memcpy(buf + done, (uint8_t *)c->iov[i].iov_base + off, k);
		done += k;
		off = 0;
	}
	return done;
}

size_t virtq_chain_read(const struct virtq_chain *c, size_t off, void *dst, size_t len)
{
	return chain_copy(c, 0, c->nout, off, dst, len, false);
}

size_t virtq_chain_write(const struct virtq_chain *c, size_t off, const void *src, size_t len)
{
	return chain_copy(c, c->nout, c->nin, off, (uint8_t *)src, len, true);
}
