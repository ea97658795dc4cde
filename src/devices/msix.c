#include "devices/msix.h"

#include <string.h>

enum { E_ADDR_LO, E_ADDR_HI, E_DATA, E_CTRL };

void msix_init(struct msix *m, unsigned n, const struct msix_ops *ops, void *ctx)
{
	memset(m, 0, sizeof(*m));
	m->n = n == 0 ? 1 : n > MSIX_MAX_VECTORS ? MSIX_MAX_VECTORS : n;
	m->ops = ops;
	m->ctx = ctx;
	pthread_mutex_init(&m->lock, NULL);
	msix_reset(m);
}

void msix_destroy(struct msix *m)
{
	pthread_mutex_destroy(&m->lock);
}

void msix_reset(struct msix *m)
{
	pthread_mutex_lock(&m->lock);
	memset(m->entry, 0, sizeof(m->entry));
	for (unsigned v = 0; v < MSIX_MAX_VECTORS; v++) {
		m->entry[v][E_CTRL] = MSIX_CTRL_MASKBIT;
		atomic_store(&m->blocked[v], true);
		atomic_store(&m->pending[v], false);
	}
	pthread_mutex_unlock(&m->lock);
	m->enabled = m->fmask = false;
}

unsigned msix_table_size(unsigned n)
{
	return n * MSIX_ENTRY_SIZE;
}

unsigned msix_pba_size(unsigned n)
{
	return ((n + 63) / 64) * 8;
}

bool msix_enabled(const struct msix *m)
{
	return m->enabled;
}

static uint64_t addr_of(const uint32_t *e)
{
	return ((uint64_t)e[E_ADDR_HI] << 32) | e[E_ADDR_LO];
}

static void fire(struct msix *m, unsigned v)
{
	uint64_t addr;
	uint32_t data;

	pthread_mutex_lock(&m->lock);
	addr = addr_of(m->entry[v]);
	data = m->entry[v][E_DATA];
	pthread_mutex_unlock(&m->lock);
	__atomic_fetch_add(&m->fired, 1, __ATOMIC_RELAXED);
	m->ops->fire(m->ctx, v, addr, data);
}

/* Deliver V if it is pending, exactly once: whoever clears the bit sends. */
static void flush(struct msix *m, unsigned v)
{
	if (!atomic_load(&m->blocked[v]) && atomic_exchange(&m->pending[v], false))
		fire(m, v);
}

/* Recompute whether V may be delivered; on unmask route it first, then
 * send what was held back (the PBA bit). */
static void update(struct msix *m, unsigned v, bool message_changed)
{
	bool blocked = !m->enabled || m->fmask || (m->entry[v][E_CTRL] & MSIX_CTRL_MASKBIT);
	bool was = atomic_load(&m->blocked[v]);

	if (!blocked && (was || message_changed))
		m->ops->route(m->ctx, v, addr_of(m->entry[v]), m->entry[v][E_DATA]);
	atomic_store(&m->blocked[v], blocked);
	if (!blocked)
		flush(m, v);
}

void msix_control(struct msix *m, uint16_t control)
{
	bool enabled = control & MSIX_CONTROL_ENABLE, fmask = control & MSIX_CONTROL_FMASK;

	if (enabled == m->enabled && fmask == m->fmask)
		return;
	m->enabled = enabled;
	m->fmask = fmask;
	for (unsigned v = 0; v < m->n; v++)
		update(m, v, false);
}

static bool table_access_ok(const struct msix *m, uint64_t off, unsigned len)
{
	return (len == 4 || len == 8) && (off & (len - 1)) == 0 && off < msix_table_size(m->n) &&
	       len <= msix_table_size(m->n) - off;
}

int msix_table_read(struct msix *m, uint64_t off, uint8_t *data, unsigned len)
{
	memset(data, 0, len);
	if (!table_access_ok(m, off, len))
		return -1;
	pthread_mutex_lock(&m->lock);
	memcpy(data, (uint8_t *)m->entry[off / MSIX_ENTRY_SIZE] + off % MSIX_ENTRY_SIZE, len);
	pthread_mutex_unlock(&m->lock);
	return 0;
}

int msix_table_write(struct msix *m, uint64_t off, const uint8_t *data, unsigned len)
{
	unsigned v = (unsigned)(off / MSIX_ENTRY_SIZE), w = (unsigned)(off % MSIX_ENTRY_SIZE) / 4;
	bool message_changed;

	if (!table_access_ok(m, off, len))
		return -1;
	pthread_mutex_lock(&m->lock);
	memcpy((uint8_t *)m->entry[v] + w * 4, data, len);
	m->entry[v][E_CTRL] &= MSIX_CTRL_MASKBIT; /* the other bits are reserved */
	pthread_mutex_unlock(&m->lock);
	message_changed = w < E_CTRL;
	update(m, v, message_changed);
	return 0;
}

int msix_pba_read(struct msix *m, uint64_t off, uint8_t *data, unsigned len)
{
	uint64_t bits = 0;

	memset(data, 0, len);
	if ((len != 4 && len != 8) || (off & (len - 1)) || off >= msix_pba_size(m->n) ||
	    len > msix_pba_size(m->n) - off)
		return -1;
	for (unsigned v = 0; v < m->n; v++)
		if (atomic_load(&m->pending[v]))
			bits |= 1ULL << v; /* n <= 64: one qword */
	memcpy(data, (uint8_t *)&bits + off, len);
	return 0;
}

void msix_notify(struct msix *m, unsigned v)
{
	if (v >= m->n)
		return;
	/* Set the bit, then look at the mask; the unmasking side clears the
	 * mask, then looks at the bit (both sequentially consistent): one of
	 * the two sees the other and sends it. */
	atomic_store(&m->pending[v], true);
	flush(m, v);
}

void msix_save(struct msix *m, struct msix_saved *s)
{
	memset(s, 0, sizeof(*s));
	s->n = m->n;
	pthread_mutex_lock(&m->lock);
	memcpy(s->entry, m->entry, sizeof(s->entry));
	pthread_mutex_unlock(&m->lock);
	s->enabled = m->enabled;
	s->fmask = m->fmask;
	for (unsigned v = 0; v < m->n; v++)
		s->pending[v] = atomic_load(&m->pending[v]);
}

int msix_restore(struct msix *m, const struct msix_saved *s)
{
	if (s->n != m->n || s->enabled > 1 || s->fmask > 1)
		return -1;
	for (unsigned v = 0; v < MSIX_MAX_VECTORS; v++)
		if ((s->entry[v][E_CTRL] & ~MSIX_CTRL_MASKBIT) || s->pending[v] > 1 || (v >= m->n && s->pending[v]))
			return -1;
	msix_reset(m);
	pthread_mutex_lock(&m->lock);
	memcpy(m->entry, s->entry, sizeof(m->entry));
	pthread_mutex_unlock(&m->lock);
	for (unsigned v = 0; v < m->n; v++)
		atomic_store(&m->pending[v], s->pending[v]);
	m->enabled = s->enabled;
	m->fmask = s->fmask;
	/* From all blocked (the reset): each deliverable vector is routed. */
	for (unsigned v = 0; v < m->n; v++)
		update(m, v, true);
	return 0;
}
