/* Advice for the biggest exit sources (src/accounting/advice.c): grouped
 * by what the guest does, biggest first, only sources that matter, and in
 * the --stats JSON. */
#include <linux/kvm.h>

#include "accounting/advice.h"
#include "accounting/stats_json.h"
#include "core/bus.h"
#include "core/layout.h"
#include "unit.h"

static struct exit_stats *vcpu;
static struct stats_report rep;
static struct exit_view all;

/* The exits recorded so far, summed as the reporters read them. */
static const struct exit_view *view(void)
{
	stats_flush(vcpu);
	stats_merge_all(&rep, &all);
	return &all;
}

/* N exits at ADDR in SPACE attributed to DEV, recorded as the loop would. */
static void exits(uint8_t space, uint64_t addr, int dev, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct exit_note e = { .slot = space == BUS_PIO ? KVM_EXIT_IO : KVM_EXIT_MMIO,
					 .kind = EXIT_ACCESS, .space = space, .addr = addr, .dev = dev,
					 .unclaimed = dev < 0 };
		stats_record(vcpu, &e);
	}
	stats_flush(vcpu); /* as the vCPU thread's end does */
}

static int setup(void **state)
{
	(void)state;
	vcpu = stats_alloc(1);
	memset(&rep, 0, sizeof(rep));
	rep.nvcpus = 1;
	rep.vcpu = vcpu;
	rep.ndevices = 2;
	rep.device_name[0] = "serial";
	rep.device_name[1] = "virtio-blk0";
	return vcpu ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	stats_free(vcpu);
	return 0;
}

static void test_sources(void **state)
{
	struct advice a[ADVICE_MAX];
	unsigned n;

	(void)state;
	exits(BUS_PIO, PORT_COM1, 0, 3000);         /* THR */
	exits(BUS_PIO, PORT_COM1 + 5, 0, 1000);     /* LSR polls: the same source */
	exits(BUS_MMIO, 0xc0001050, 1, 600);        /* QueueNotify of a virtio window */
	exits(BUS_MMIO, 0xc0001060, 1, 200);        /* InterruptStatus */
	exits(BUS_MMIO, 0xc0001064, 1, 200);        /* InterruptACK */
	exits(BUS_PIO, 0xcf8, -1, 40);              /* too few to matter */
	exits(BUS_MMIO, 0xd0000050, -1, 500);       /* offset 0x50, but nobody's: no advice */
	n = advice_collect(&rep, view(), a);
	assert_int_equal(n, 3);
	assert_string_equal(a[0].source, "serial console (COM1)");
	assert_int_equal(a[0].exits, 4000);
	assert_true(a[0].share > 0.72 && a[0].share < 0.73); /* of 5540 */
	assert_contains(a[0].fix, "quiet");
	assert_string_equal(a[1].source, "virtio notifications");
	assert_int_equal(a[1].exits, 600);
	assert_contains(a[1].fix, "--no-ioeventfd");
	assert_string_equal(a[2].source, "virtio interrupt handshake");
	assert_int_equal(a[2].exits, 400);
}

/* With --irqchip split the IOAPIC's accesses reach warden: named, with
 * what the window page already does for its reads. */
static void test_ioapic(void **state)
{
	struct advice a[ADVICE_MAX];

	(void)state;
	exits(BUS_MMIO, LAYOUT_IOAPIC, 0, 123);        /* IOREGSEL writes */
	exits(BUS_MMIO, LAYOUT_IOAPIC + 0x10, 0, 58);  /* IOWIN writes */
	exits(BUS_PIO, PORT_RTC + 1, 0, 73);
	assert_int_equal(advice_collect(&rep, view(), a), 2);
	assert_string_equal(a[0].source, "IOAPIC (--irqchip split)");
	assert_int_equal(a[0].exits, 181);
	assert_contains(a[0].fix, "--no-ioapic-window");
	assert_true(a[0].saving_ns < 0); /* no fix to price */
	/* The RTC's reads: --no-rtc leaves it out. */
	assert_string_equal(a[1].source, "CMOS RTC");
	assert_int_equal(a[1].exits, 73);
	assert_contains(a[1].fix, "--no-rtc");
}

static void test_nothing_to_say(void **state)
{
	struct advice a[ADVICE_MAX];

	(void)state;
	assert_int_equal(advice_collect(&rep, view(), a), 0);
	exits(BUS_PIO, PORT_COM1, 0, 49); /* all of them, but fewer than the minimum */
	assert_int_equal(advice_collect(&rep, view(), a), 0);
	exits(BUS_PIO, 0x510, -1, 100000); /* a big source no rule knows */
	exits(BUS_PIO, PORT_COM1, 0, 1000); /* now enough exits, but under 2% */
	assert_int_equal(advice_collect(&rep, view(), a), 0);
}

static void test_at_most_max(void **state)
{
	struct advice a[ADVICE_MAX];
	static const uint16_t ports[] = { PORT_COM1, 0x2f8, 0x3e8, 0xcf8, PORT_RTC };
	unsigned n;

	(void)state;
	for (unsigned i = 0; i < 5; i++)
		exits(BUS_PIO, ports[i], -1, 100 * (i + 1));
	n = advice_collect(&rep, view(), a);
	assert_int_equal(n, ADVICE_MAX);
	for (unsigned i = 1; i < n; i++)
		assert_true(a[i - 1].exits >= a[i].exits);
	assert_int_equal(a[0].exits, 500);                 /* the RTC */
	assert_int_equal(a[ADVICE_MAX - 1].exits, 200);    /* the smallest (100) left out */
}

static void test_json(void **state)
{
	json_object *root, *adv, *first;

	(void)state;
	exits(BUS_PIO, PORT_COM1, 0, 500);
	root = stats_json_build(&rep);
	assert_non_null(root);
	assert_true(json_object_object_get_ex(root, "advice", &adv));
	assert_int_equal(json_object_array_length(adv), 1);
	first = json_object_array_get_idx(adv, 0);
	assert_string_equal(json_object_get_string(json_object_object_get(first, "source")),
			    "serial console (COM1)");
	assert_int_equal(json_object_get_int64(json_object_object_get(first, "exits")), 500);
	json_object_put(root);
}

/* With the lab's costs: exits x (the exit's row - the replacement's);
 * a source whose rows are missing, or a replacement that measured dearer,
 * gets no saving or none below zero. */
static void test_saving(void **state)
{
	struct advice_costs c = { .tier = "native", .nrows = 3,
				  .row = { { "pio-warden", 25000 }, { "loop", 10000 },
					   { "mmio-write-warden", 9000 } } };
	struct advice a[ADVICE_MAX];
	unsigned n;

	(void)state;
	exits(BUS_PIO, PORT_COM1, 0, 3000);
	exits(BUS_MMIO, 0xc0001050, 1, 600); /* its replacement row (mmio-ioeventfd) is missing */
	n = advice_collect(&rep, view(), a);
	assert_int_equal(n, 2);
	assert_true(a[0].saving_ns < 0 && a[1].saving_ns < 0); /* no costs given */
	rep.costs = &c;
	n = advice_collect(&rep, view(), a);
	assert_int_equal(n, 2);
	assert_string_equal(a[0].exit_row, "pio-warden");
	assert_string_equal(a[0].instead_row, "loop");
	assert_true(a[0].saving_ns == 3000.0 * 15000.0);
	assert_true(a[1].saving_ns < 0);
	c.row[1].ns = 30000; /* the loop measured above the exit: noise */
	n = advice_collect(&rep, view(), a);
	assert_true(a[0].saving_ns == 0);
	rep.costs = NULL;
}

/* Config-space accesses a PCI host bridge answers (--transport pci) are
 * not probes of hardware the machine lacks. */
static void test_claimed_pci_is_no_probe(void **state)
{
	struct advice a[ADVICE_MAX];

	(void)state;
	exits(BUS_PIO, 0xcf8, 0, 300); /* owned by device 0 */
	assert_int_equal(advice_collect(&rep, view(), a), 0);
	exits(BUS_PIO, 0xcfc, -1, 300); /* nobody's */
	assert_int_equal(advice_collect(&rep, view(), a), 1);
	assert_string_equal(a[0].source, "PCI configuration probes");
	assert_int_equal(a[0].exits, 300);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_sources),
		T(test_ioapic),
		T(test_nothing_to_say),
		T(test_at_most_max),
		T(test_json),
		T(test_saving),
		T(test_claimed_pci_is_no_probe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
