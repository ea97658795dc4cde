#include "accounting/advice.h"

#include <linux/kvm.h>
#include <string.h>

#include "accounting/exit_split.h"
#include "core/bus.h"
#include "core/layout.h"

/* A source is a set of addresses in one space (BY_UNCLAIMED: only where
 * no device owns them: probes of hardware this machine lacks), or a
 * virtio register (the same offset in every virtio window), or an exit
 * reason. */
enum match { BY_RANGE, BY_UNCLAIMED, BY_VIRTIO_REG, BY_REASON };

struct rule {
	enum match how;
	uint8_t space;
	uint64_t lo, hi; /* inclusive; a register offset; a reason */
	const char *source, *what, *fix;
	/* The `warden bench exits` rows that time one such exit and what the
	 * fix leaves instead ("loop": nothing, the exit is gone). */
	const char *exit_row, *instead_row;
};

static const struct rule rules[] = {
	{ BY_RANGE, BUS_PIO, PORT_COM1, PORT_COM1 + PORT_COM_LEN - 1, "serial console (COM1)",
	  "the guest's console written to the UART: an exit per status poll, and per character "
	  "unless KVM queues the transmit writes (coalesced PIO, off with --no-coalesced-pio)",
	  "`quiet` on the kernel command line, or --virtio-console with console=hvc0, removes nearly all",
	  "pio-warden", "loop" },
	{ BY_UNCLAIMED, BUS_PIO, 0x2e8, 0x2ff, "COM2-COM4 probes",
	  "the guest probing serial ports this machine does not have",
	  "8250.nr_uarts=1 on the kernel command line (warden's default command line has it)",
	  "pio-warden", "loop" },
	{ BY_UNCLAIMED, BUS_PIO, 0x3e8, 0x3ef, "COM3 probes",
	  "the guest probing a serial port this machine does not have",
	  "8250.nr_uarts=1 on the kernel command line (warden's default command line has it)",
	  "pio-warden", "loop" },
	{ BY_UNCLAIMED, BUS_PIO, 0xcf8, 0xcff, "PCI configuration probes",
	  "the guest looking for a PCI bus this machine does not have",
	  "pci=off on the kernel command line (warden's default command line has it)",
	  "pio-warden", "loop" },
	{ BY_RANGE, BUS_PIO, PORT_RTC, PORT_RTC + PORT_RTC_LEN - 1, "CMOS RTC",
	  "the guest reading the wall clock from the RTC: an exit per register read (and per index "
	  "write unless KVM queues it: coalesced PIO)",
	  "--no-rtc leaves the RTC out (the FADT says so): Linux then registers none and reads the wall "
	  "clock from kvmclock, and these exits are gone (no /dev/rtc, no S3 wake alarm)",
	  "pio-warden", "loop" },
	{ BY_RANGE, BUS_MMIO, LAYOUT_IOAPIC, LAYOUT_IOAPIC + LAYOUT_IOAPIC_LEN - 1, "IOAPIC (--irqchip split)",
	  "the guest programming its IOAPIC (Linux masks and reads back every pin at boot and at power-off): "
	  "an exit per index and per data write, and per data read only with --no-ioapic-window",
	  "reads already come from the window page unless --no-ioapic-window; the writes stay: the IOAPIC "
	  "has only the pins the machine wires (KVM's, with --irqchip kernel, keeps them in the kernel but "
	  "has 24 pins)",
	  NULL, NULL },
	{ BY_VIRTIO_REG, BUS_MMIO, 0x050, 0x050, "virtio notifications",
	  "queue notifications (QueueNotify) reaching warden as MMIO exits",
	  "drop --no-ioeventfd: KVM then completes each notification without an exit to warden",
	  "mmio-write-warden", "mmio-ioeventfd" },
	{ BY_VIRTIO_REG, BUS_MMIO, 0x060, 0x064, "virtio interrupt handshake",
	  "the virtio-mmio driver reading InterruptStatus and writing InterruptACK once per interrupt",
	  "fewer interrupts: keep EVENT_IDX on (no --no-event-idx); a transport with MSI-X needs neither register",
	  "mmio-read-warden", "loop" },
	{ BY_REASON, 0, KVM_EXIT_HLT, KVM_EXIT_HLT, "HLT in warden",
	  "the guest idling with no in-kernel irqchip to wake it",
	  "drop --no-irqchip: KVM then handles HLT and wakes the vCPU itself", NULL, NULL },
};
#define NRULES (sizeof(rules) / sizeof(rules[0]))

static bool virtio_dev(const struct stats_report *r, int dev)
{
	return dev >= 0 && (unsigned)dev < r->ndevices && r->device_name[dev] &&
	       strncmp(r->device_name[dev], "virtio", 6) == 0;
}

static bool matches(const struct rule *ru, const struct stats_report *r, const struct addr_stat *a)
{
	if (a->space != ru->space)
		return false;
	if (ru->how == BY_RANGE || ru->how == BY_UNCLAIMED)
		return a->addr >= ru->lo && a->addr <= ru->hi && (ru->how == BY_RANGE || a->dev < 0);
	if (ru->how == BY_VIRTIO_REG)
		return virtio_dev(r, a->dev) && (a->addr & 0xfff) >= ru->lo && (a->addr & 0xfff) <= ru->hi;
	return false;
}

static uint64_t count_of(const struct rule *ru, const struct stats_report *r,
			 const struct exit_view *all)
{
	uint64_t n = 0;

	if (ru->how == BY_REASON)
		return ru->lo < STATS_NREASONS ? all->reason[ru->lo].handle.count : 0;
	for (unsigned i = 0; i < STATS_ADDR_SLOTS; i++)
		if (all->addr[i].used && matches(ru, r, &all->addr[i]))
			n += all->addr[i].count;
	return n;
}

/* The saving in time, from what the lab measured on this host. */
static void price(struct advice *a, const struct rule *ru, const struct advice_costs *costs)
{
	a->saving_ns = -1;
	if (!ru->exit_row || !advice_cost_of(costs, ru->exit_row, &a->exit_ns) ||
	    !advice_cost_of(costs, ru->instead_row, &a->instead_ns))
		return;
	a->exit_row = ru->exit_row;
	a->instead_row = ru->instead_row;
	/* A fix never costs time by this measure: noise can put the
	 * replacement's row above the exit's. */
	a->saving_ns = a->exit_ns > a->instead_ns ? (double)a->exits * (a->exit_ns - a->instead_ns) : 0;
}

unsigned advice_collect(const struct stats_report *r, const struct exit_view *all,
			struct advice *out)
{
	struct exit_split x = exit_split_of(r, -1);
	uint64_t total = x.total ? x.total : stats_view_total(all);
	unsigned n = 0;

	for (unsigned i = 0; i < NRULES && total; i++) {
		uint64_t c = count_of(&rules[i], r, all);
		double share = (double)c / (double)total;
		unsigned k;

		if (c < ADVICE_MIN_EXITS || share < ADVICE_MIN_SHARE)
			continue;
		/* Insert in order, biggest first; drop the smallest when full. */
		for (k = n; k > 0 && out[k - 1].exits < c; k--)
			if (k < ADVICE_MAX)
				out[k] = out[k - 1];
		if (k >= ADVICE_MAX)
			continue;
		out[k] = (struct advice){ .source = rules[i].source, .exits = c, .share = share,
					  .what = rules[i].what, .fix = rules[i].fix };
		price(&out[k], &rules[i], r->costs);
		if (n < ADVICE_MAX)
			n++;
	}
	return n;
}
