/* A virtio device's snapshot state (src/virtio/virtio_snapshot.c): saved
 * and restored into a device built the same way, queues active again at
 * their indices; anything a driver could not have set up (features not
 * offered, a ring outside RAM, another backend's config, a size other
 * than the format's) refused. */
#include "core/vm.h"
#include "virtio/rate_limit.h"
#include "virtio/virtio_dev.h"
#include "virtio/virtio_devices.h"
#include "virtio/virtio_spec.h"
#include "unit.h"
#include "virtio_fixture.h"

static void nothing(struct virtio_dev *vd)
{
	(void)vd;
}

static const struct virtio_dev_ops ops = { .destroy = nothing, .quiesce = nothing };
static const struct virtio_dev_ops ops_no_quiesce = { .destroy = nothing };
static struct vm vm;
static uint8_t saved[8192];
static long saved_len;

static struct virtio_dev *new_dev(int *irq)
{
	struct virtio_dev *vd = calloc(1, sizeof(*vd));

	assert_non_null(vd);
	vd->type = (struct virtio_type){ .device_id = 2, .nqueues = 1, .features = 1ULL << 6 };
	vd->ops = &ops;
	vd->config_len = 8;
	vd->config[0] = 0x42; /* a backend's fact, say a capacity */
	snprintf(vd->name, sizeof(vd->name), "test");
	vt_attach(vd, &vm, irq);
	return vd;
}

/* A driver's set-up, up to FEATURES_OK, one queue ready, some traffic. */
static void drive(struct virtio_dev *vd)
{
	struct virtq *q = virtio_dev_queue(vd, 0);

	virtio_dev_write_status(vd, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	virtio_dev_write_driver_features(vd, 0, 1u << 6);
	virtio_dev_write_driver_features(vd, 1, 1); /* VERSION_1 */
	virtio_dev_write_status(vd, VIRTIO_STATUS_FEATURES_OK);
	q->size = 16;
	q->desc_gpa = 0x10000, q->avail_gpa = 0x11000, q->used_gpa = 0x12000;
	virtio_dev_queue_ready(vd, 0, 1);
	q->last_avail = 5, q->used_idx = 4, q->signalled_used = 3, q->signalled_valid = true;
}

static int setup(void **state)
{
	(void)state;
	return gmem_map(&vm.mem, 1 << 20);
}

static int teardown(void **state)
{
	(void)state;
	gmem_unmap(&vm.mem);
	return 0;
}

static void test_round_trip(void **state)
{
	int irq1, irq2;
	struct virtio_dev *a = new_dev(&irq1), *b = new_dev(&irq2);
	struct virtq *q;

	(void)state;
	assert_true(virtio_dev_snapshottable(a));
	drive(a);
	saved_len = virtio_dev_save(a, saved, sizeof(saved));
	assert_true(saved_len > 0);
	assert_int_equal(virtio_dev_save(a, saved, 16), -1); /* no room: nothing */
	assert_int_equal(virtio_dev_restore(b, saved, (size_t)saved_len), 0);
	q = virtio_dev_queue(b, 0);
	assert_int_equal(virtio_dev_status(b), virtio_dev_status(a));
	assert_true(b->driver_features == a->driver_features);
	assert_true(b->queue_ready[0] && q->active);
	assert_int_equal(q->size, 16);
	assert_true(q->used_gpa == 0x12000);
	assert_int_equal(q->last_avail, 5);
	assert_int_equal(q->used_idx, 4);
	assert_int_equal(q->signalled_used, 3);
	assert_true(q->signalled_valid);
	/* The host pointers are this VM's memory, not the saved ones. */
	assert_ptr_equal(q->used, gmem_ptr(&vm.mem, 0x12000, 1));
	/* Short or long: refused. */
	assert_int_equal(virtio_dev_restore(b, saved, (size_t)saved_len - 1), -1);
	vt_detach(a, irq1);
	vt_detach(b, irq2);
}

/* Edit one saved field at OFFSET (found by its value) and restore. */
static int restore_with(uint64_t find, uint64_t put)
{
	uint8_t copy[sizeof(saved)];
	int irq, r;
	struct virtio_dev *b = new_dev(&irq);
	bool found = false;

	memcpy(copy, saved, sizeof(copy));
	for (long i = 0; i + 8 <= saved_len && !found; i += 4)
		if (u_rd64(copy + i) == find) {
			u_wr64(copy + i, put);
			found = true;
		}
	assert_true(found);
	r = virtio_dev_restore(b, copy, (size_t)saved_len);
	vt_detach(b, irq);
	return r;
}

static void test_refused(void **state)
{
	int irq;
	struct virtio_dev *a = new_dev(&irq);

	(void)state;
	drive(a);
	saved_len = virtio_dev_save(a, saved, sizeof(saved));
	vt_detach(a, irq);
	assert_int_equal(restore_with(0x12000, 0x12000), 0); /* the edit itself is harmless */
	/* The used ring beyond this VM's 1 MiB of RAM. */
	assert_int_equal(restore_with(0x12000, 64 << 20), -1);
	/* A ring misaligned. */
	assert_int_equal(restore_with(0x10000, 0x10001), -1);
	/* Driver features beyond the offered ones (bit 40). */
	assert_int_equal(restore_with((1ULL << 32) | (1ULL << 6), (1ULL << 40) | (1ULL << 32) | (1ULL << 6)), -1);
}

static void test_other_backend_and_type(void **state)
{
	int irq1, irq2;
	struct virtio_dev *a = new_dev(&irq1), *b = new_dev(&irq2), *c;

	(void)state;
	drive(a);
	saved_len = virtio_dev_save(a, saved, sizeof(saved));
	b->config[0] = 0x43; /* another disk size */
	assert_int_equal(virtio_dev_restore(b, saved, (size_t)saved_len), -1);
	vt_detach(a, irq1);
	vt_detach(b, irq2);
	/* A type without quiesce cannot be snapshotted. */
	c = calloc(1, sizeof(*c));
	assert_non_null(c);
	c->ops = &ops_no_quiesce;
	assert_false(virtio_dev_snapshottable(c));
	free(c);
}

/* Rate limiters: a bucket's level travels with the device and comes back
 * into a limiter of the same limit; a limit changed since starts full; a
 * level its limit cannot have, or state this warden does not know, is
 * refused. */
static struct virtio_dev *new_limited(struct rate_limit *rl, uint64_t ops_size, int *irq)
{
	struct virtio_dev *vd = new_dev(irq);
	struct rate_spec spec = { .ops = { .size = ops_size, .refill_ms = 3600 * 1000 } };

	assert_int_equal(rate_limit_init(rl, &spec, NULL), 0);
	vd->limits[VIRTIO_RATE_RX] = rl;
	return vd;
}

/* How many operations RL lets go now. */
static unsigned ops_left(struct rate_limit *rl)
{
	unsigned n = 0;

	while (n < 2000 && rate_limit_take(rl, 0))
		n++;
	return n;
}

static int restore_limited(uint64_t ops_size, const uint8_t *buf, long len, unsigned *left)
{
	struct rate_limit rl;
	int irq, r;
	struct virtio_dev *b = new_limited(&rl, ops_size, &irq);

	r = virtio_dev_restore(b, buf, (size_t)len);
	*left = ops_left(&rl);
	vt_detach(b, irq);
	rate_limit_destroy(&rl);
	return r;
}

static void test_rate_levels(void **state)
{
	struct rate_limit rl;
	int irq;
	struct virtio_dev *a = new_limited(&rl, 1000, &irq);
	uint8_t copy[sizeof(saved)];
	unsigned left;
	bool found = false;

	(void)state;
	drive(a);
	for (unsigned i = 0; i < 997; i++)
		assert_true(rate_limit_take(&rl, 0));
	saved_len = virtio_dev_save(a, saved, sizeof(saved));
	assert_true(saved_len > 0);
	vt_detach(a, irq);
	rate_limit_destroy(&rl);

	/* The same limit: 3 left, as saved (an hour's refill per 1000). */
	assert_int_equal(restore_limited(1000, saved, saved_len, &left), 0);
	assert_int_equal(left, 3);
	/* Another limit: a fresh, full bucket. */
	assert_int_equal(restore_limited(1500, saved, saved_len, &left), 0);
	assert_int_equal(left, 1500);
	/* A device without a limiter restores the rest and leaves the level. */
	{
		int irq2;
		struct virtio_dev *b = new_dev(&irq2);

		assert_int_equal(virtio_dev_restore(b, saved, (size_t)saved_len), 0);
		vt_detach(b, irq2);
	}
	/* A budget above the bucket's size: refused, the bucket untouched. */
	memcpy(copy, saved, sizeof(copy));
	for (long i = 0; i + 8 <= saved_len && !found; i += 8)
		if (u_rd64(copy + i) == 3) {
			u_wr64(copy + i, 1001);
			found = true;
		}
	assert_true(found);
	assert_int_equal(restore_limited(1000, copy, saved_len, &left), -1);
	assert_int_equal(left, 1000);
	/* Cut short inside the limiters' state. */
	assert_int_equal(restore_limited(1000, saved, saved_len - 8, &left), -1);
	/* State of a kind this warden does not know: extras (the word after
	 * the config generation, at byte 36 of the common part) bit 1. */
	memcpy(copy, saved, sizeof(copy));
	assert_int_equal(u_rd32(copy + 36), 1); /* VIRTIO_SAVED_RATE */
	u_wr32(copy + 36, 3);
	assert_int_equal(restore_limited(1000, copy, saved_len, &left), -1);
}

/* virtio-console: typed input a pause took out of the pipe travels in
 * the snapshot and comes back in a console built the same way; pending
 * bytes beyond the bound, a wrong length, or input for a console that
 * takes none here are refused with a reason. */
static struct virtio_dev *new_console(bool input, int *irq)
{
	struct virtio_dev *vd = virtio_console_create(input);

	assert_non_null(vd);
	vt_attach(vd, &vm, irq);
	return vd;
}

static void test_console_pending(void **state)
{
	int irq1, irq2, irq3;
	struct virtio_dev *a = new_console(true, &irq1), *b = new_console(true, &irq2), *c;
	static uint8_t again[sizeof(saved)];
	size_t base;
	long n;

	(void)state;
	assert_true(virtio_dev_snapshottable(a));
	assert_int_equal(write(virtio_console_input_fd(a), "typed", 5), 5);
	a->ops->quiesce(a); /* the pause: the pipe's bytes into the device */
	saved_len = virtio_dev_save(a, saved, sizeof(saved));
	base = (size_t)virtio_dev_save(b, again, sizeof(again)); /* nothing pending */
	assert_int_equal((size_t)saved_len, base + 5);
	assert_memory_equal(saved + saved_len - 5, "typed", 5);
	assert_int_equal(virtio_dev_restore(b, saved, (size_t)saved_len), 0);
	n = virtio_dev_save(b, again, sizeof(again));
	assert_int_equal(n, saved_len);
	assert_memory_equal(again, saved, (size_t)n);
	/* Input for a console without input here. */
	c = new_console(false, &irq3);
	assert_int_equal(virtio_dev_restore(c, saved, (size_t)saved_len), -1);
	assert_non_null(strstr(err_msg(), "pending input for a console that takes none"));
	/* One byte short, and a length past the bound. */
	assert_int_equal(virtio_dev_restore(b, saved, (size_t)saved_len - 1), -1);
	memcpy(again, saved, (size_t)saved_len);
	{
		uint32_t big = 1u << 20;

		memcpy(again + base - 8, &big, 4); /* in_len, the first of the two */
	}
	assert_int_equal(virtio_dev_restore(b, again, (size_t)saved_len), -1);
	assert_non_null(strstr(err_msg(), "pending bytes of 1048576"));
	vt_detach(a, irq1);
	vt_detach(b, irq2);
	vt_detach(c, irq3);
}

/* virtio-vsock: a pause resets every connection and owes the guest a
 * TRANSPORT_RESET event (Firecracker's behaviour at a snapshot), given at
 * once into a posted event buffer; owed without one, it travels in the
 * snapshot; a malformed owed flag is refused. */
static struct virtio_dev *new_vsock(const char *uds, int *irq)
{
	struct vsock_spec spec;
	struct virtio_dev *vd;

	unlink(uds);
	assert_int_equal(virtio_vsock_spec(&spec, 3, uds), 0);
	vd = virtio_vsock_create(&spec);
	assert_non_null(vd);
	vt_attach(vd, &vm, irq);
	for (unsigned q = 0; q < 3; q++)
		vt_queue_up(vd, &vm.mem, q, 16);
	return vd;
}

static void test_vsock_reset_on_pause(void **state)
{
	int irq1, irq2;
	char uds1[64], uds2[64];
	struct virtio_dev *a, *b;
	static uint8_t again[sizeof(saved)];
	uint16_t avail = 0;
	uint32_t id = 0xffffffff, owed;
	long n;

	(void)state;
	snprintf(uds1, sizeof(uds1), "/tmp/wt-vsock-a.%d", (int)getpid());
	snprintf(uds2, sizeof(uds2), "/tmp/wt-vsock-b.%d", (int)getpid());
	a = new_vsock(uds1, &irq1);
	b = new_vsock(uds2, &irq2);
	assert_true(virtio_dev_snapshottable(a));
	/* No event buffer yet: owed, and saved so. */
	a->ops->quiesce(a);
	saved_len = virtio_dev_save(a, saved, sizeof(saved));
	memcpy(&owed, saved + saved_len - 4, 4);
	assert_int_equal(owed, 1);
	assert_int_equal(virtio_dev_restore(b, saved, (size_t)saved_len), 0);
	n = virtio_dev_save(b, again, sizeof(again));
	assert_int_equal(n, saved_len);
	assert_memory_equal(again, saved, (size_t)n);
	/* An event buffer: the reset event is written at the pause. */
	*vt_desc(&vm.mem, 2, 0) = (struct virtq_desc){ .addr = 0x80000, .len = 4, .flags = VIRTQ_DESC_F_WRITE };
	memcpy(vt_gp(&vm.mem, 0x80000, 4), &id, 4);
	vt_post(&vm.mem, 2, 16, &avail, 0);
	a->ops->quiesce(a);
	assert_int_equal(vt_used_idx(&vm.mem, 2), 1);
	memcpy(&id, vt_gp(&vm.mem, 0x80000, 4), 4);
	assert_int_equal(id, 0); /* VIRTIO_VSOCK_EVENT_TRANSPORT_RESET */
	saved_len = virtio_dev_save(a, saved, sizeof(saved));
	memcpy(&owed, saved + saved_len - 4, 4);
	assert_int_equal(owed, 0);
	/* A flag that is no boolean. */
	owed = 2;
	memcpy(saved + saved_len - 4, &owed, 4);
	assert_int_equal(virtio_dev_restore(b, saved, (size_t)saved_len), -1);
	assert_non_null(strstr(err_msg(), "reset event state is malformed"));
	vt_detach(a, irq1);
	vt_detach(b, irq2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_backend_and_type, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rate_levels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_console_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vsock_reset_on_pause, setup, teardown),
	};

	return cmocka_run_group_tests_name("virtio_snapshot", tests, NULL, NULL);
}
