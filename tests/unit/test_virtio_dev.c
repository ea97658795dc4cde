/* The transport-independent virtio core (src/virtio/virtio_dev.c): the
 * device type's description is data, and the config space the I/O thread
 * changes is changed under its lock, never under a reader. */
#include <pthread.h>

#include "core/vm.h"
#include "virtio/virtio_dev.h"
#include "virtio/virtio_devices.h"
#include "virtio/virtio_spec.h"
#include "unit.h"
#include "virtio_fixture.h"

static void nothing_destroy(struct virtio_dev *vd)
{
	(void)vd;
}

static const struct virtio_dev_ops ops = { .destroy = nothing_destroy };

static struct virtio_dev *new_dev(unsigned nqueues)
{
	struct virtio_dev *vd = calloc(1, sizeof(*vd));

	assert_non_null(vd);
	vd->type = (struct virtio_type){ .device_id = 4, .nqueues = nqueues, .features = 1ULL << 5 };
	vd->ops = &ops;
	vd->config_len = 8;
	snprintf(vd->name, sizeof(vd->name), "test");
	return vd;
}

static void test_description(void **state)
{
	static struct vm vm;
	static const struct virtio_options opt = { .event_idx = true };
	struct virtio_dev *vd = new_dev(2), *bad = new_dev(0);
	int irq;

	(void)state;
	vt_attach(vd, &vm, &irq);
	/* Offered: the type's bits and the transport-independent ones. */
	assert_int_equal(virtio_dev_device_features(vd, 0), (1u << 5) | (1u << VIRTIO_F_INDIRECT_DESC));
	assert_int_equal(virtio_dev_device_features(vd, 1), 1); /* VERSION_1 */
	assert_int_equal(virtio_dev_device_features(vd, 2), 0);
	assert_non_null(virtio_dev_queue(vd, 1));
	assert_null(virtio_dev_queue(vd, 2));
	assert_true(vd->kick_fd[0] >= 0 && vd->kick_fd[1] >= 0 && vd->kick_fd[2] < 0);
	vt_detach(vd, irq);
	/* A type with no queues is refused. */
	err_clear();
	assert_int_equal(virtio_dev_attach(bad, &vm, &opt, &vt_transport, &irq), -1);
	assert_contains(err_msg(), "bad device description");
	virtio_dev_destroy(bad);
	free(bad);
}

struct updater {
	struct virtio_dev *vd;
	_Atomic int done;
};

static void *update(void *arg)
{
	struct updater *u = arg;
	uint8_t v[2] = { 7, 9 };

	virtio_config_update(u->vd, 2, v, 2);
	atomic_store(&u->done, 1);
	return NULL;
}

/* The I/O thread's config change waits for a reader holding the lock. */
static void test_config_update_locked(void **state)
{
	static struct vm vm;
	struct virtio_dev *vd = new_dev(1);
	struct updater u = { .vd = vd };
	uint8_t got[8];
	uint32_t gen;
	uint64_t irqs;
	pthread_t t;
	int irq;

	(void)state;
	vt_attach(vd, &vm, &irq);
	gen = atomic_load(&vd->config_generation);
	pthread_mutex_lock(&vd->config_lock); /* a reader in the middle of a read */
	assert_int_equal(pthread_create(&t, NULL, update, &u), 0);
	usleep(50000);
	assert_int_equal(atomic_load(&u.done), 0);
	assert_int_equal(vd->config[2], 0);
	pthread_mutex_unlock(&vd->config_lock);
	pthread_join(t, NULL);
	virtio_dev_config_read(vd, 0, got, 8);
	assert_int_equal(got[2], 7);
	assert_int_equal(got[3], 9);
	assert_int_equal(atomic_load(&vd->config_generation), gen + 1);
	assert_int_equal(read(irq, &irqs, sizeof(irqs)), sizeof(irqs));
	assert_int_equal(irqs, 1); /* the driver is told */
	/* Out of bounds: nothing changes. */
	virtio_config_update(vd, 7, got, 2);
	assert_int_equal(atomic_load(&vd->config_generation), gen + 1);
	/* The driver's reads are bounded the same way. */
	memset(got, 0xee, sizeof(got));
	virtio_dev_config_read(vd, 6, got, 4);
	assert_int_equal(got[0], 0);
	vt_detach(vd, irq);
}

/* --- polling mode, with a real I/O thread and virtio-rng --------------- */

#define P_DESC 0x1000ULL
#define P_AVAIL 0x2000ULL
#define P_USED 0x3000ULL
#define P_BUF 0x4000ULL
#define P_WINDOW_NS 200000000ULL /* long: this host's CPUs are shared */

static uint16_t p_idx;

/* Offer one 16-byte buffer (descriptor 0, reused: rng fills and returns it). */
static void p_post(struct virtq *q)
{
	q->avail->ring[p_idx % q->size] = 0;
	__atomic_store_n(&q->avail->idx, ++p_idx, __ATOMIC_RELEASE);
}

/* Wait (bounded) until *P reads WANT; true if it did. */
static bool p_wait16(const uint16_t *p, uint16_t want, unsigned ms)
{
	for (unsigned i = 0; i < ms; i++) {
		if (__atomic_load_n(p, __ATOMIC_ACQUIRE) == want)
			return true;
		usleep(1000);
	}
	return __atomic_load_n(p, __ATOMIC_ACQUIRE) == want;
}

/* VD (virtio-rng) attached to VM with its queue 0 of 8 ready (EVENT_IDX,
 * descriptor 0 a 16-byte buffer) and its I/O thread started, polling with
 * WINDOW_NS (adapting up to MAX_NS, if above). */
static struct virtq *p_start(struct virtio_dev *vd, struct vm *vm, int *irq, uint64_t window_ns, uint64_t max_ns)
{
	struct virtq *q;

	assert_non_null(vd);
	assert_int_equal(gmem_map(&vm->mem, 1 << 20), 0);
	vd->poll_window_ns = window_ns;
	vd->poll_max_ns = max_ns;
	vt_attach(vd, vm, irq);
	vd->driver_features = VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX);
	q = &vd->vq[0];
	*q = (struct virtq){ .size = 8, .desc_gpa = P_DESC, .avail_gpa = P_AVAIL, .used_gpa = P_USED,
			     .event_idx = true };
	assert_int_equal(virtq_activate(q, &vm->mem), 0);
	q->desc[0] = (struct virtq_desc){ .addr = P_BUF, .len = 16, .flags = VIRTQ_DESC_F_WRITE };
	vd->queue_ready[0] = true;
	p_idx = 0;
	assert_int_equal(virtio_dev_start_worker(vd), 0);
	return q;
}

/* `poll`: after a notification the thread finds new chains itself, with
 * the stale avail_event the driver passed (no notification); after the
 * window without work it re-arms (avail_event = what it took) and sleeps:
 * a chain offered then waits for its notification. */
static void test_polling(void **state)
{
	static struct vm vm;
	struct virtio_dev *vd = virtio_rng_create(&(struct rate_spec){ 0 });
	struct virtq *q;
	uint64_t one = 1, poll_ns;
	int irq;

	(void)state;
	q = p_start(vd, &vm, &irq, P_WINDOW_NS, 0);
	p_post(q);
	assert_int_equal(write(vd->kick_fd[0], &one, sizeof(one)), sizeof(one));
	assert_true(p_wait16(&q->used->idx, 1, 5000));
	/* Polling now: no notification for these. */
	p_post(q);
	assert_true(p_wait16(&q->used->idx, 2, 5000));
	p_post(q);
	assert_true(p_wait16(&q->used->idx, 3, 5000));
	/* Idle for the window: re-armed at what it took. */
	assert_true(p_wait16((uint16_t *)&q->used->ring[8], 3, 5000));
	assert_int_equal(__atomic_load_n(&vd->counters.notifies, __ATOMIC_RELAXED), 1);
	assert_true(__atomic_load_n(&vd->counters.notifies_suppressed, __ATOMIC_RELAXED) >= 2);
	usleep(20000); /* past the re-arm: the thread adds its polling time, then sleeps */
	poll_ns = __atomic_load_n(&vd->counters.poll_ns, __ATOMIC_RELAXED);
	assert_true(poll_ns >= P_WINDOW_NS);
	assert_true(__atomic_load_n(&vd->counters.cpu_ns, __ATOMIC_RELAXED) > 0);
	/* Asleep: a chain without a notification stays where it is. */
	p_post(q);
	usleep(50000);
	assert_int_equal(__atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE), 3);
	assert_int_equal(write(vd->kick_fd[0], &one, sizeof(one)), sizeof(one));
	assert_true(p_wait16(&q->used->idx, 4, 5000));
	assert_int_equal(__atomic_load_n(&vd->counters.notifies, __ATOMIC_RELAXED), 2);
	virtio_dev_stop(vd);
	vt_detach(vd, irq);
	gmem_unmap(&vm.mem);
}

/* poll-max=: the window grows to a quarter more than a gap up to the
 * ceiling, halves (not below the first window) after a longer one, and
 * never moves when there is no ceiling above the window. */
static void test_poll_adapt_rule(void **state)
{
	const struct io_poll fixed = { .window_ns = 50000 };
	const struct io_poll same = { .window_ns = 50000, .max_ns = 50000 };
	const struct io_poll p = { .window_ns = 50000, .max_ns = 1000000 };

	(void)state;
	assert_int_equal(io_poll_adapt(&fixed, 50000, 80000), 50000);
	assert_int_equal(io_poll_adapt(&same, 50000, 80000), 50000);
	assert_int_equal(io_poll_adapt(&p, 50000, 80000), 100000);     /* 80 us caught by 100 */
	assert_int_equal(io_poll_adapt(&p, 50000, 1000000), 1000000);  /* capped */
	assert_int_equal(io_poll_adapt(&p, 50000, 900000), 1000000);   /* 1.25 x 900 us, capped */
	assert_int_equal(io_poll_adapt(&p, 400000, 60000), 400000);    /* a shorter gap keeps it */
	assert_int_equal(io_poll_adapt(&p, 400000, 1000001), 200000);  /* idle: half */
	assert_int_equal(io_poll_adapt(&p, 80000, 5000000), 50000);    /* not below the first */
	assert_int_equal(io_poll_adapt(&p, 50000, UINT64_MAX), 50000);
}

/* poll-max= with a real thread: a chain offered some 220 ms after the
 * last one came with a notification while the window was 20 ms; that gap
 * grew the window past 275 ms, so the next chains, 60 ms apart, are found
 * without one (with room for a slow host).  The window now is in the
 * device's counters, and a restart keeps it. */
static void test_polling_adapts(void **state)
{
	static struct vm vm;
	struct virtio_dev *vd = virtio_rng_create(&(struct rate_spec){ 0 });
	struct virtq *q;
	uint64_t one = 1, window;
	int irq;

	(void)state;
	q = p_start(vd, &vm, &irq, 20000000, 2000000000);
	assert_int_equal(__atomic_load_n(&vd->counters.poll_window_ns, __ATOMIC_RELAXED), 20000000);
	p_post(q);
	assert_int_equal(write(vd->kick_fd[0], &one, sizeof(one)), sizeof(one));
	assert_true(p_wait16(&q->used->idx, 1, 5000));
	/* Re-armed after 20 ms idle and asleep: the next chain needs its
	 * notification, and the 220 ms since the last work size the window. */
	assert_true(p_wait16((uint16_t *)&q->used->ring[8], 1, 5000));
	usleep(200000);
	p_post(q);
	assert_int_equal(write(vd->kick_fd[0], &one, sizeof(one)), sizeof(one));
	assert_true(p_wait16(&q->used->idx, 2, 5000));
	window = __atomic_load_n(&vd->counters.poll_window_ns, __ATOMIC_RELAXED);
	assert_true(window >= 275000000); /* 1.25 x at least 220 ms */
	assert_true(window <= 2000000000);
	for (uint16_t i = 3; i <= 5; i++) {
		usleep(60000);
		p_post(q);
		assert_true(p_wait16(&q->used->idx, i, 5000));
	}
	assert_int_equal(__atomic_load_n(&vd->counters.notifies, __ATOMIC_RELAXED), 2);
	/* Stopped and started again (as a driver's reset does): the window
	 * learned is kept. */
	virtio_dev_stop(vd);
	assert_int_equal(virtio_dev_start_worker(vd), 0);
	assert_int_equal(__atomic_load_n(&vd->counters.poll_window_ns, __ATOMIC_RELAXED), window);
	virtio_dev_stop(vd);
	vt_detach(vd, irq);
	gmem_unmap(&vm.mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_description),
		cmocka_unit_test(test_config_update_locked),
		cmocka_unit_test(test_polling),
		cmocka_unit_test(test_poll_adapt_rule),
		cmocka_unit_test(test_polling_adapts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
