/* Exit accounting and its JSON report (src/accounting/exit_stats.c,
 * src/accounting/stats_json.c). */
#include <errno.h>
#include <json-c/json.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accounting/exit_stats.h"
#include "core/bus.h"
#include "unit.h"

#define NVCPUS 3

struct fx {
	struct exit_stats vcpu[NVCPUS];
	struct exit_view merged;
	struct exit_view view; /* one vCPU's, as the reporters read it */
	char path[64];
};

static int setup(void **state)
{
	/* exit_stats is page-aligned (its type says so): so is the fixture. */
	struct fx *f = aligned_alloc(_Alignof(struct fx), (sizeof(*f) + 4095) / 4096 * 4096);

	if (!f)
		return -1;
	memset(f, 0, sizeof(*f));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	if (f->path[0])
		unlink(f->path);
	free(f);
	return 0;
}

/* An exit record as the run loop stamps it: RUN in the guest, then DECODE,
 * then EMULATE (cycles). */
static struct exit_note sample(unsigned slot, int dev, uint64_t run, uint64_t decode,
			       uint64_t emulate)
{
	struct exit_note e = { .slot = slot, .dev = dev, .t_enter = 1000 };

	e.t_exit = e.t_enter + run;
	e.t_decoded = e.t_exit + decode;
	e.t_done = e.t_decoded + emulate;
	return e;
}

/* One exit of SLOT on device DEV (or STATS_DEV_NONE): RUN ns in the guest,
 * HANDLE ns of handling, split evenly into decode and emulate when even. */
static void rec(struct exit_stats *s, unsigned slot, int dev, uint64_t run, uint64_t handle)
{
	struct exit_note e = sample(slot, dev, run, handle / 2, handle - handle / 2);

	stats_record(s, &e);
}

/* One port (BUS_PIO) or MMIO access exit at ADDR, owned by DEV or nobody. */
static void rec_addr(struct exit_stats *s, uint8_t space, uint64_t addr, int dev, uint64_t handle)
{
	struct exit_note e = sample(space == BUS_PIO ? KVM_EXIT_IO : KVM_EXIT_MMIO, dev, 1, handle, 0);

	e.kind = EXIT_ACCESS;
	e.unclaimed = dev < 0;
	e.space = space;
	e.addr = addr;

	stats_record(s, &e);
}

/* The tables are summed when read: vCPU S's as the reporters see it,
 * once its pending exits are in the cells (as its thread's end does). */
static const struct exit_view *view_of(struct fx *f, struct exit_stats *s)
{
	stats_flush(s);
	stats_view(s, &f->view);
	return &f->view;
}

static const struct addr_stat *find_addr(const struct addr_stat *tab, uint8_t space, uint64_t addr)
{
	for (unsigned i = 0; i < STATS_ADDR_SLOTS; i++)
		if (tab[i].used && tab[i].space == space && tab[i].addr == addr)
			return &tab[i];
	return NULL;
}

static unsigned addrs_used(const struct addr_stat *tab)
{
	unsigned n = 0;

	for (unsigned i = 0; i < STATS_ADDR_SLOTS; i++)
		n += tab[i].used;
	return n;
}

static void test_reason_names(void **state)
{
	(void)state;
	assert_string_equal(stats_reason_name(KVM_EXIT_IO), "io");
	assert_string_equal(stats_reason_name(KVM_EXIT_HLT), "hlt");
	assert_string_equal(stats_reason_name(KVM_EXIT_MMIO), "mmio");
	assert_string_equal(stats_reason_name(KVM_EXIT_SHUTDOWN), "shutdown");
	assert_string_equal(stats_reason_name(STATS_REASON_EINTR), "signal");
	assert_string_equal(stats_reason_name(44), "reason_44");
	assert_string_equal(stats_reason_name(STATS_NREASONS + 3), "unknown");
}

static void test_record_by_slot_and_device(void **state)
{
	struct fx *f = *state;
	struct exit_stats *s = &f->vcpu[0];
	const struct exit_view *v;

	rec(s, KVM_EXIT_IO, 2, 100, 10);
	rec(s, KVM_EXIT_IO, 2, 200, 20);
	rec(s, KVM_EXIT_IO, 5, 300, 30);
	rec(s, KVM_EXIT_HLT, STATS_DEV_NONE, 400, 40);
	rec(s, KVM_EXIT_MMIO, STATS_MAX_DEVICES, 500, 50); /* out of range: no device */
	v = view_of(f, s);
	assert_int_equal(v->reason[KVM_EXIT_IO].handle.count, 3);
	assert_int_equal(v->reason[KVM_EXIT_IO].handle.sum, 60);
	assert_int_equal(v->reason[KVM_EXIT_IO].handle.max, 30);
	assert_int_equal(v->reason[KVM_EXIT_HLT].handle.count, 1);
	assert_int_equal(v->reason[KVM_EXIT_MMIO].handle.count, 1);
	assert_int_equal(v->device[2].handle.count, 2);
	assert_int_equal(v->device[2].handle.sum, 30);
	assert_int_equal(v->device[5].handle.count, 1);
	for (unsigned i = 0; i < STATS_MAX_DEVICES; i++)
		if (i != 2 && i != 5)
			assert_int_equal(v->device[i].handle.count, 0);
	assert_int_equal(s->run_ticks, 1500);
	assert_int_equal(stats_total(s), 5);
	/* The live counters (read by the sampler) follow. */
	assert_int_equal(stats_live_count(s, KVM_EXIT_IO), 3);
	assert_int_equal(stats_live_count(s, KVM_EXIT_HLT), 1);
	assert_int_equal(stats_live_count(s, STATS_NREASONS), 0);
}

/* Each part of an exit lands in its own histogram; handle = decode + emulate. */
static void test_cost_parts(void **state)
{
	struct fx *f = *state;
	struct exit_stats *s = &f->vcpu[0];
	struct exit_note e = sample(KVM_EXIT_IO, 3, 5000, 40, 700);
	const struct exit_cost *c = &f->view.reason[KVM_EXIT_IO];

	stats_record(s, &e);
	stats_record_return(s, &e, 90);
	e = sample(KVM_EXIT_IO, 3, 7000, 60, 300);
	stats_record(s, &e);
	stats_record_return(s, &e, 110);
	view_of(f, s);
	assert_int_equal(c->part[PART_RUN].sum, 12000);
	assert_int_equal(c->part[PART_RUN].max, 7000);
	assert_int_equal(c->part[PART_DECODE].sum, 100);
	assert_int_equal(c->part[PART_EMULATE].sum, 1000);
	assert_int_equal(c->part[PART_RETURN].sum, 200);
	assert_int_equal(c->part[PART_RETURN].count, 2);
	assert_int_equal(c->handle.sum, 1100);
	assert_int_equal(c->handle.max, 740);
	/* The same parts for the device. */
	assert_int_equal(f->view.device[3].part[PART_EMULATE].sum, 1000);
	assert_int_equal(f->view.device[3].part[PART_RETURN].sum, 200);
	/* A return never counts as an exit. */
	assert_int_equal(stats_total(s), 2);
}

static void test_total_is_sum_of_reasons(void **state)
{
	struct fx *f = *state;
	struct exit_stats *s = &f->vcpu[0];
	uint64_t seed = 42, sum = 0;

	for (unsigned i = 0; i < 5000; i++)
		rec(s, (unsigned)(u_rand(&seed) % STATS_NREASONS), -1, 1, u_rand(&seed) % 100000);
	for (unsigned i = 0; i < STATS_NREASONS; i++)
		sum += view_of(f, s)->reason[i].handle.count;
	assert_int_equal(sum, 5000);
	assert_int_equal(stats_total(s), sum);
}

static void test_addresses_per_space_and_owner(void **state)
{
	struct fx *f = *state;
	struct exit_stats *s = &f->vcpu[0];
	const struct addr_stat *u;

	rec_addr(s, BUS_PIO, 0x80, STATS_DEV_NONE, 5);
	rec_addr(s, BUS_PIO, 0x80, STATS_DEV_NONE, 5);
	rec_addr(s, BUS_PIO, 0x80, STATS_DEV_NONE, 5);
	rec_addr(s, BUS_MMIO, 0x80, STATS_DEV_NONE, 7); /* same address, other space */
	rec_addr(s, BUS_PIO, 0x3f8, 0, 9);               /* claimed by device 0 */
	stats_flush(s);
	assert_int_equal(addrs_used(s->addr), 3);
	u = find_addr(s->addr, BUS_PIO, 0x80);
	assert_non_null(u);
	assert_int_equal(u->count, 3);
	assert_int_equal(u->ticks, 15);
	assert_int_equal(u->dev, STATS_DEV_NONE);
	u = find_addr(s->addr, BUS_MMIO, 0x80);
	assert_non_null(u);
	assert_int_equal(u->count, 1);
	u = find_addr(s->addr, BUS_PIO, 0x3f8);
	assert_non_null(u);
	assert_int_equal(u->dev, 0);
	assert_int_equal(view_of(f, s)->unclaimed.handle.count, 4);
	assert_int_equal(f->view.unclaimed.handle.sum, 22);
	assert_int_equal(f->view.device[0].handle.count, 1);
	assert_int_equal(s->addr_overflow, 0);
}

static void test_address_overflow(void **state)
{
	struct fx *f = *state;
	struct exit_stats *s = &f->vcpu[0];

	/* Exactly as many distinct addresses as slots: all fit. */
	for (unsigned i = 0; i < STATS_ADDR_SLOTS; i++)
		rec_addr(s, BUS_MMIO, 0xd0000000ULL + 4096ULL * i, STATS_DEV_NONE, 1);
	stats_flush(s);
	assert_int_equal(addrs_used(s->addr), STATS_ADDR_SLOTS);
	assert_int_equal(s->addr_overflow, 0);
	/* More distinct ones overflow, one count per exit. */
	for (unsigned i = 0; i < 10; i++)
		rec_addr(s, BUS_PIO, 0x1000 + i, STATS_DEV_NONE, 1);
	rec_addr(s, BUS_PIO, 0x1000, STATS_DEV_NONE, 1);
	stats_flush(s);
	assert_int_equal(s->addr_overflow, 11);
	/* Known addresses are still counted in their slots. */
	rec_addr(s, BUS_MMIO, 0xd0000000ULL + 4096ULL * 63, STATS_DEV_NONE, 1);
	stats_flush(s);
	assert_int_equal(find_addr(s->addr, BUS_MMIO, 0xd0000000ULL + 4096ULL * 63)->count, 2);
	assert_int_equal(s->addr_overflow, 11);
	assert_int_equal(view_of(f, s)->unclaimed.handle.count, STATS_ADDR_SLOTS + 12);
}

/* Three vCPUs with different activity; returns the report. */
static struct stats_report fill_three(struct fx *f)
{
	static const char *const names[] = { "serial", "rtc", "i8042" };
	struct stats_report r = {
		.nvcpus = NVCPUS, .vcpu = f->vcpu, .ndevices = 3,
		.wall_ns = 123456789, .end_reason = "poweroff",
	};

	for (unsigned i = 0; i < 3; i++)
		r.device_name[i] = names[i];
	/* vCPU 0: 10 io on serial, 2 hlt, 1 unclaimed port */
	for (int i = 0; i < 10; i++)
		rec(&f->vcpu[0], KVM_EXIT_IO, 0, 1000, 100 + i);
	for (int i = 0; i < 2; i++)
		rec(&f->vcpu[0], KVM_EXIT_HLT, STATS_DEV_NONE, 10, 5);
	rec_addr(&f->vcpu[0], BUS_PIO, 0x80, STATS_DEV_NONE, 3);
	/* vCPU 1: 5 io on rtc, 1 mmio unclaimed, 1 unclaimed port, 4 signals */
	for (int i = 0; i < 5; i++)
		rec(&f->vcpu[1], KVM_EXIT_IO, 1, 2000, 200);
	rec_addr(&f->vcpu[1], BUS_MMIO, 0xfed00000, STATS_DEV_NONE, 1);
	rec_addr(&f->vcpu[1], BUS_PIO, 0x80, STATS_DEV_NONE, 3);
	for (int i = 0; i < 4; i++)
		rec(&f->vcpu[1], STATS_REASON_EINTR, STATS_DEV_NONE, 7, 0);
	/* vCPU 2: 3 io on serial, 1 on i8042, 1 unclaimed port, 1 shutdown */
	for (int i = 0; i < 3; i++)
		rec(&f->vcpu[2], KVM_EXIT_IO, 0, 500, 300);
	rec(&f->vcpu[2], KVM_EXIT_IO, 2, 500, 300);
	rec(&f->vcpu[2], KVM_EXIT_SHUTDOWN, STATS_DEV_NONE, 1, 1);
	rec_addr(&f->vcpu[2], BUS_PIO, 0x80, STATS_DEV_NONE, 3);
	f->vcpu[2].addr_overflow = 2;
	for (unsigned c = 0; c < NVCPUS; c++)
		stats_flush(&f->vcpu[c]); /* as each vCPU thread's end does */
	return r;
}

#define RUN_NS_THREE (10 * 1000 + 2 * 10 + 1 + 5 * 2000 + 1 + 1 + 4 * 7 + 4 * 500 + 1 + 1)

static void test_merge_all(void **state)
{
	struct fx *f = *state;
	struct stats_report r = fill_three(f);
	struct exit_view *m = &f->merged;
	const struct addr_stat *u;

	memset(m, 0xab, sizeof(*m)); /* merge must start from zero */
	stats_merge_all(&r, m);
	assert_int_equal(m->reason[KVM_EXIT_IO].handle.count, 10 + 5 + 4 + 3);
	assert_int_equal(m->reason[KVM_EXIT_IO].handle.max, 300);
	assert_int_equal(m->reason[KVM_EXIT_HLT].handle.count, 2);
	assert_int_equal(m->reason[KVM_EXIT_MMIO].handle.count, 1);
	assert_int_equal(m->reason[KVM_EXIT_SHUTDOWN].handle.count, 1);
	assert_int_equal(m->reason[STATS_REASON_EINTR].handle.count, 4);
	assert_int_equal(m->device[0].handle.count, 13);
	assert_int_equal(m->device[1].handle.count, 5);
	assert_int_equal(m->device[2].handle.count, 1);
	assert_int_equal(m->run_ticks, RUN_NS_THREE);
	assert_int_equal(stats_view_total(m), stats_total(&f->vcpu[0]) + stats_total(&f->vcpu[1]) +
					 stats_total(&f->vcpu[2]));
	assert_int_equal(stats_view_total(m), 30);
	u = find_addr(m->addr, BUS_PIO, 0x80);
	assert_non_null(u);
	assert_int_equal(u->count, 3);
	u = find_addr(m->addr, BUS_MMIO, 0xfed00000);
	assert_non_null(u);
	assert_int_equal(u->count, 1);
	assert_int_equal(addrs_used(m->addr), 2);
	assert_int_equal(m->unclaimed.handle.count, 4);
	assert_int_equal(m->addr_overflow, 2);
}

/* Distinct addresses across vCPUs beyond the table: overflow, not loss. */
static void test_merge_all_address_overflow(void **state)
{
	struct fx *f = *state;
	struct stats_report r = { .nvcpus = NVCPUS, .vcpu = f->vcpu };
	uint64_t total = 0;

	for (unsigned c = 0; c < NVCPUS; c++)
		for (unsigned i = 0; i < 100; i++)
			rec_addr(&f->vcpu[c], BUS_PIO, 0x1000 * c + i, STATS_DEV_NONE, 1);
	for (unsigned c = 0; c < NVCPUS; c++)
		stats_flush(&f->vcpu[c]);
	stats_merge_all(&r, &f->merged);
	assert_int_equal(addrs_used(f->merged.addr), STATS_ADDR_SLOTS);
	for (unsigned i = 0; i < STATS_ADDR_SLOTS; i++)
		total += f->merged.addr[i].count;
	assert_int_equal(total + f->merged.addr_overflow, NVCPUS * 100);
}

static uint64_t jget_u64(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		fail_msg("JSON has no \"%s\"", key);
	return json_object_get_uint64(v);
}

static json_object *jget(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		fail_msg("JSON has no \"%s\"", key);
	return v;
}

static void test_write_json(void **state)
{
	struct fx *f = *state;
	struct stats_report r = fill_three(f);
	json_object *root, *reasons, *devices, *unclaimed, *per;
	uint64_t sum = 0;
	int fd;

	strcpy(f->path, "/tmp/warden-unit-XXXXXX");
	fd = mkstemp(f->path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(stats_write_json(f->path, &r), 0);
	root = json_object_from_file(f->path);
	assert_non_null(root);

	assert_int_equal(jget_u64(root, "wall_ns"), 123456789);
	assert_string_equal(json_object_get_string(jget(root, "end_reason")), "poweroff");
	assert_int_equal(json_object_get_int(jget(root, "vcpus")), NVCPUS);
	assert_int_equal(jget_u64(root, "run_ns"), RUN_NS_THREE);

	reasons = jget(root, "reasons");
	json_object_object_foreach(reasons, name, h) {
		(void)name;
		sum += jget_u64(h, "count");
	}
	assert_int_equal(jget_u64(root, "total_exits"), sum);
	assert_int_equal(sum, 30);
	assert_int_equal(jget_u64(jget(reasons, "io"), "count"), 22);
	assert_int_equal(jget_u64(jget(reasons, "io"), "max_ns"), 300);
	assert_int_equal(jget_u64(jget(reasons, "hlt"), "count"), 2);
	assert_int_equal(jget_u64(jget(reasons, "signal"), "count"), 4);
	assert_int_equal(jget_u64(jget(reasons, "shutdown"), "count"), 1);
	assert_int_equal(json_object_object_length(reasons), 5); /* only non-zero reasons */
	/* Every reason: log2 buckets add up to its count, parts are there. */
	json_object_object_foreach(reasons, rname, rh) {
		json_object *log2 = jget(rh, "log2"), *parts = jget(rh, "parts");
		uint64_t in_buckets = 0;

		(void)rname;
		for (size_t i = 0; i < json_object_array_length(log2); i++) {
			json_object *b = json_object_array_get_idx(log2, i);
			assert_true(jget_u64(b, "lo_ns") <= jget_u64(b, "hi_ns"));
			in_buckets += jget_u64(b, "count");
		}
		assert_int_equal(in_buckets, jget_u64(rh, "count"));
		assert_int_equal(jget_u64(jget(parts, "run"), "count"), jget_u64(rh, "count"));
		assert_int_equal(jget_u64(jget(parts, "decode"), "count"), jget_u64(rh, "count"));
	}
	/* Without KVM stats or a trace, the split says so. */
	assert_string_equal(json_object_get_string(jget(jget(root, "exits"), "source")), "warden-only");
	assert_int_equal(jget_u64(jget(root, "exits"), "handled_by_warden"), 30 - 4);
	{
		json_object *ports = jget(jget(root, "attribution"), "ports");
		json_object *p0 = json_object_array_get_idx(ports, 0);

		assert_int_equal(json_object_array_length(ports), 1);
		assert_string_equal(json_object_get_string(jget(p0, "port")), "0x80");
		assert_string_equal(json_object_get_string(jget(p0, "device")), "(unclaimed)");
		assert_int_equal(jget_u64(p0, "count"), 3);
		assert_int_equal(jget_u64(p0, "total_ns"), 9);
		assert_int_equal(json_object_array_length(jget(jget(root, "attribution"), "mmio")), 1);
	}

	devices = jget(root, "devices");
	assert_int_equal(jget_u64(jget(devices, "serial"), "count"), 13);
	assert_int_equal(jget_u64(jget(devices, "rtc"), "count"), 5);
	assert_int_equal(jget_u64(jget(devices, "i8042"), "count"), 1);
	assert_int_equal(jget_u64(jget(devices, "rtc"), "total_ns"), 1000);

	unclaimed = jget(root, "unclaimed");
	assert_true(json_object_is_type(unclaimed, json_type_array));
	assert_int_equal(json_object_array_length(unclaimed), 2);
	for (size_t i = 0; i < 2; i++) {
		json_object *e = json_object_array_get_idx(unclaimed, i);
		const char *space = json_object_get_string(jget(e, "space"));
		const char *addr = json_object_get_string(jget(e, "addr"));

		if (strcmp(space, "pio") == 0) {
			assert_string_equal(addr, "0x80");
			assert_int_equal(jget_u64(e, "count"), 3);
		} else {
			assert_string_equal(space, "mmio");
			assert_string_equal(addr, "0xfed00000");
			assert_int_equal(jget_u64(e, "count"), 1);
		}
	}
	assert_int_equal(jget_u64(jget(root, "attribution"), "overflow"), 2);
	assert_int_equal(jget_u64(root, "unclaimed_exits"), 4);

	per = jget(root, "per_vcpu");
	assert_int_equal(json_object_array_length(per), NVCPUS);
	for (size_t c = 0; c < NVCPUS; c++) {
		json_object *v = json_object_array_get_idx(per, c);

		assert_int_equal(json_object_get_int(jget(v, "id")), (int)c);
		assert_int_equal(jget_u64(v, "total_exits"), stats_total(&f->vcpu[c]));
	}
	assert_int_equal(jget_u64(json_object_array_get_idx(per, 1), "total_exits"), 11);
	json_object_put(root);
}

static void test_write_json_bad_path(void **state)
{
	struct fx *f = *state;
	struct stats_report r = fill_three(f);

	assert_user_error(stats_write_json("/nonexistent-dir/warden/stats.json", &r),
			  "cannot write stats");
}

/* The run loop hands an exit's way back into KVM_RUN with the next exit
 * (has_return): it belongs to the earlier exit's reason and owner, never
 * to the exit that carries it; a first exit carries none. */
static void test_return_carried_by_next_exit(void **state)
{
	struct fx *f = *state;
	struct exit_stats *s = &f->vcpu[0];
	struct exit_note e = sample(KVM_EXIT_IO, 4, 100, 10, 20);
	const struct exit_view *v;

	stats_record(s, &e);
	e = sample(KVM_EXIT_HLT, STATS_DEV_NONE, 100, 10, 20);
	e.has_return = true;
	e.return_ticks = 77;
	stats_record(s, &e);
	e = sample(KVM_EXIT_MMIO, STATS_DEV_NONE, 100, 10, 20);
	e.unclaimed = true;
	e.has_return = true;
	e.return_ticks = 55;
	stats_record(s, &e);
	/* KVM_RUN failed after the last exit: its return comes alone. */
	stats_record_last_return(s, 33);
	v = view_of(f, s);
	assert_int_equal(v->reason[KVM_EXIT_IO].part[PART_RETURN].count, 1);
	assert_int_equal(v->reason[KVM_EXIT_IO].part[PART_RETURN].sum, 77);
	assert_int_equal(v->device[4].part[PART_RETURN].sum, 77);
	assert_int_equal(v->reason[KVM_EXIT_HLT].part[PART_RETURN].sum, 55);
	assert_int_equal(v->reason[KVM_EXIT_MMIO].part[PART_RETURN].sum, 33);
	assert_int_equal(v->unclaimed.part[PART_RETURN].sum, 33);
	assert_int_equal(v->unclaimed.handle.count, 1);
	assert_int_equal(stats_total(s), 3);
}

/* Random exits over every reason and owner, more (reason, owner) pairs
 * than there are pair cells: the views by reason, by device and
 * unclaimed hold exactly what was recorded (counts, sums, maxima, each
 * part), whether an exit got a pair cell or spilled. */
static void test_views_exact_past_the_pair_cells(void **state)
{
	struct fx *f = *state;
	struct exit_stats *s = &f->vcpu[0];
	static uint64_t count[STATS_NREASONS], sum[STATS_NREASONS], dcount[STATS_MAX_DEVICES + 1],
		dsum[STATS_MAX_DEVICES + 1], dret[STATS_MAX_DEVICES + 1];
	int last_owner = -2;
	uint64_t seed = 7;
	const struct exit_view *v;

	memset(count, 0, sizeof(count));
	memset(sum, 0, sizeof(sum));
	memset(dcount, 0, sizeof(dcount));
	memset(dsum, 0, sizeof(dsum));
	memset(dret, 0, sizeof(dret));
	for (unsigned i = 0; i < 20000; i++) {
		unsigned slot = (unsigned)(u_rand(&seed) % STATS_NREASONS);
		int owner = (int)(u_rand(&seed) % (STATS_MAX_DEVICES + 2)) - 1; /* -1: none */
		uint64_t handle = u_rand(&seed) % 5000, ret = 1 + u_rand(&seed) % 300;
		struct exit_note e = sample(slot, owner < STATS_MAX_DEVICES ? owner : STATS_DEV_NONE, 9,
					      handle / 2, handle - handle / 2);

		e.unclaimed = owner == STATS_MAX_DEVICES;
		e.has_return = i > 0;
		e.return_ticks = ret;
		if (i > 0 && last_owner >= 0)
			dret[last_owner] += ret;
		stats_record(s, &e);
		count[slot]++;
		sum[slot] += handle;
		if (owner >= 0) {
			dcount[owner]++;
			dsum[owner] += handle;
		}
		last_owner = owner;
	}
	assert_int_equal(atomic_load(&s->npairs), STATS_PAIRS); /* some spilled */
	v = view_of(f, s);
	for (unsigned i = 0; i < STATS_NREASONS; i++) {
		assert_int_equal(v->reason[i].handle.count, count[i]);
		assert_int_equal(v->reason[i].handle.sum, sum[i]);
		assert_int_equal(v->reason[i].part[PART_RUN].sum, 9 * count[i]);
	}
	for (unsigned d = 0; d < STATS_MAX_DEVICES; d++) {
		assert_int_equal(v->device[d].handle.count, dcount[d]);
		assert_int_equal(v->device[d].handle.sum, dsum[d]);
		assert_int_equal(v->device[d].part[PART_RETURN].sum, dret[d]);
		assert_int_equal(stats_device_count(s, (int)d), dcount[d]);
	}
	assert_int_equal(v->unclaimed.handle.count, dcount[STATS_MAX_DEVICES]);
	assert_int_equal(v->unclaimed.handle.sum, dsum[STATS_MAX_DEVICES]);
	assert_int_equal(v->unclaimed.part[PART_RETURN].sum, dret[STATS_MAX_DEVICES]);
	assert_int_equal(stats_view_total(v), 20000);
}

/* Exits not yet in the cells (fewer than STATS_PENDING since the last
 * flush: an idle vCPU's last ones) are in a view all the same, as the
 * flush puts them there: GET /stats of an idle VM misses none. */
static void test_view_includes_pending(void **state)
{
	struct fx *f = *state;
	struct exit_stats *s = &f->vcpu[0];
	struct exit_view *before = calloc(1, sizeof(*before));
	uint64_t seed = 3;

	assert_non_null(before);
	for (unsigned i = 0; i < STATS_PENDING + 20; i++) {
		unsigned slot = i % 3 ? KVM_EXIT_IO : KVM_EXIT_HLT;
		int dev = slot == KVM_EXIT_IO ? (int)(u_rand(&seed) % 3) - 1 : STATS_DEV_NONE;
		struct exit_note e = sample(slot, dev, 50 + i, 10 + i, 20 + i);

		e.kind = slot == KVM_EXIT_IO ? EXIT_ACCESS : EXIT_HLT;
		e.unclaimed = slot == KVM_EXIT_IO && dev < 0;
		e.space = BUS_PIO;
		e.addr = 0x80 + (uint64_t)(dev + 1);
		e.has_return = i > 0;
		e.return_ticks = 5 + i;
		stats_record(s, &e);
	}
	assert_int_not_equal(atomic_load(&s->npending), 0); /* some still pending */
	stats_view(s, before);
	stats_flush(s);
	stats_view(s, &f->view);
	assert_int_equal(stats_view_total(before), STATS_PENDING + 20);
	for (unsigned i = 0; i < STATS_NREASONS; i++)
		for (unsigned p = 0; p < STATS_NPARTS; p++) {
			assert_int_equal(before->reason[i].part[p].count, f->view.reason[i].part[p].count);
			assert_int_equal(before->reason[i].part[p].sum, f->view.reason[i].part[p].sum);
		}
	for (unsigned d = 0; d < STATS_MAX_DEVICES; d++) {
		assert_int_equal(before->device[d].handle.count, f->view.device[d].handle.count);
		assert_int_equal(before->device[d].part[PART_RETURN].sum, f->view.device[d].part[PART_RETURN].sum);
	}
	assert_int_equal(before->unclaimed.handle.sum, f->view.unclaimed.handle.sum);
	assert_int_equal(before->unclaimed.part[PART_RETURN].sum, f->view.unclaimed.part[PART_RETURN].sum);
	for (uint64_t a = 0x80; a < 0x83; a++)
		assert_int_equal(find_addr(before->addr, BUS_PIO, a)->count,
				 find_addr(f->view.addr, BUS_PIO, a)->count);
	free(before);
}

/* Each vCPU's statistics start a page, so an exit's fields of them are
 * one page for every vCPU (not only the first, as a plain calloc gave). */
static void test_alloc_each_on_a_page(void **state)
{
	struct exit_stats *s = stats_alloc(3);

	(void)state;
	assert_non_null(s);
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal((uintptr_t)&s[i] % 4096, 0);
		assert_int_equal(stats_total(&s[i]), 0);
		assert_null(s[i].sink);
	}
	stats_free(s);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reason_names),
		cmocka_unit_test(test_alloc_each_on_a_page),
		T(test_record_by_slot_and_device),
		T(test_cost_parts),
		T(test_return_carried_by_next_exit),
		T(test_views_exact_past_the_pair_cells),
		T(test_view_includes_pending),
		T(test_total_is_sum_of_reasons),
		T(test_addresses_per_space_and_owner),
		T(test_address_overflow),
		T(test_merge_all),
		T(test_merge_all_address_overflow),
		T(test_write_json),
		T(test_write_json_bad_path),
	};

	return cmocka_run_group_tests_name("exit_stats", tests, NULL, NULL);
}
