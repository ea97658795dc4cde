#include "core/ioapic.h"

#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "core/bus.h"
#include "core/layout.h"
#include "core/memslot.h"
#include "core/msi_routes.h"
#include "core/vm.h"
#include "util/error.h"
#include "util/log.h"

static struct ioapic *of(struct device *dev)
{
	return (struct ioapic *)dev;
}

static uint32_t read_reg(const struct ioapic *io, uint32_t reg)
{
	unsigned pin = (reg - IOAPIC_REG_RTE) / 2;

	switch (reg) {
	case IOAPIC_REG_ID: return io->id << 24;
	case IOAPIC_REG_VERSION: return IOAPIC_VERSION | ((io->npins - 1) << 16);
	case IOAPIC_REG_ARB: return io->id << 24;
	}
	if (reg < IOAPIC_REG_RTE || pin >= io->npins)
		return 0; /* no register there: reads as zero, as KVM's */
	return (uint32_t)(io->rte[pin] >> ((reg & 1) ? 32 : 0));
}

/* The window page (ioapic_map_window) as a read finds it now: IOREGSEL
 * and the register it selects.  Called under the device lock after
 * anything that may change either (a guest write, a line, an EOI, a
 * reset); a vCPU reading meanwhile sees the old word or the new one,
 * as on the chip. */
static void show(struct ioapic *io)
{
	if (!io->window)
		return;
	__atomic_store_n(&io->window[IOAPIC_REGSEL / 4], io->regsel, __ATOMIC_RELEASE);
	__atomic_store_n(&io->window[IOAPIC_WINDOW / 4], read_reg(io, io->regsel), __ATOMIC_RELEASE);
}

uint64_t ioapic_msi_addr(uint64_t rte)
{
	uint64_t dest = (rte >> IOAPIC_RTE_DEST_SHIFT) & 0xff;

	return LAYOUT_LAPIC | (dest << 12) | ((rte & IOAPIC_RTE_DEST_LOGICAL) ? 1u << 2 : 0);
}

uint32_t ioapic_msi_data(uint64_t rte)
{
	uint32_t data = (uint32_t)(rte & (IOAPIC_RTE_VECTOR | (7ULL << IOAPIC_RTE_DELIVERY_SHIFT)));

	/* Bit 15 the trigger mode, bit 14 asserted (a level message). */
	return (rte & IOAPIC_RTE_LEVEL) ? data | (1u << 15) | (1u << 14) : data;
}

/* KVM learns of a level pin's vector from its route, and only then tells
 * us of the EOI; masked or not (a handler may mask its pin before its
 * EOI, which must still clear Remote IRR).  While an interrupt is in
 * service the route is the entry it went out with (its EOI comes with
 * that vector, from that vCPU); after, the entry as it is.  msi_routes
 * pushes only a route that changed, so Linux's boot-time masking of its
 * edge pins, and the EOI of a pin nobody moved, cost no table swap.
 * Under the device lock (msi_routes' lock comes after it). */
static void sync_route(struct ioapic *io, unsigned pin)
{
	bool busy = (io->rte[pin] & IOAPIC_RTE_REMOTE_IRR) != 0;
	uint64_t e = busy ? io->sent[pin] : io->rte[pin];
	bool want = (e & IOAPIC_RTE_LEVEL) != 0;

	if (!want && !(io->routed & (1u << pin)))
		return;
	if (ioapic_route_set(io->vm, pin, want, ioapic_msi_addr(e), ioapic_msi_data(e)) < 0) {
		log_warn("ioapic: pin %u: %s", pin, err_msg());
		return;
	}
	io->routed = want ? io->routed | (1u << pin) : io->routed & ~(1u << pin);
}

static void deliver(struct ioapic *io, uint64_t e)
{
	device_count(&io->work.interrupts, 1);
	vm_signal_msi(io->vm, ioapic_msi_addr(e), ioapic_msi_data(e));
}

/* A level pin: deliver if its line is high, it is unmasked and no
 * delivery waits for its EOI (under the device lock). */
static void service_level(struct ioapic *io, unsigned pin)
{
	uint64_t *e = &io->rte[pin];

	if (!(*e & IOAPIC_RTE_LEVEL) || (*e & (IOAPIC_RTE_MASKED | IOAPIC_RTE_REMOTE_IRR)) ||
	    !(io->lines & (1u << pin)))
		return;
	*e |= IOAPIC_RTE_REMOTE_IRR;
	io->sent[pin] = *e;
	show(io); /* before the interrupt: its handler may read the entry */
	deliver(io, *e);
}

void ioapic_set_line(struct ioapic *io, unsigned pin, int level)
{
	uint32_t bit;

	if (pin >= io->npins) {
		/* A device wired past our pins is warden's own bug: said once. */
		if (__atomic_fetch_add(&io->work.errors, 1, __ATOMIC_RELAXED) == 0)
			log_warn("ioapic: no pin %u (the IOAPIC has %u): interrupt dropped", pin, io->npins);
		return;
	}
	bit = 1u << pin;
	futex_mutex_lock(&io->dev.lock);
	/* An edge goes at once or not at all: one that rises while its pin
	 * is masked is lost, as on an 82093AA (and in KVM's IOAPIC). */
	if (level && !(io->lines & bit) && !(io->rte[pin] & (IOAPIC_RTE_LEVEL | IOAPIC_RTE_MASKED)))
		deliver(io, io->rte[pin]);
	io->lines = level ? io->lines | bit : io->lines & ~bit;
	service_level(io, pin);
	futex_mutex_unlock(&io->dev.lock);
}

void ioapic_eoi(struct ioapic *io, uint8_t vector)
{
	futex_mutex_lock(&io->dev.lock);
	io->eois++;
	for (unsigned p = 0; p < io->npins; p++) {
		uint64_t *e = &io->rte[p];

		/* The vector it was sent with (the entry may have another now). */
		if (!(*e & IOAPIC_RTE_REMOTE_IRR) || (io->sent[p] & IOAPIC_RTE_VECTOR) != vector)
			continue;
		*e &= ~IOAPIC_RTE_REMOTE_IRR;
		sync_route(io, p);    /* the entry as it is now */
		service_level(io, p); /* the line still high: again */
	}
	show(io); /* Remote IRR cleared */
	futex_mutex_unlock(&io->dev.lock);
}

int ioapic_rte(struct ioapic *io, unsigned pin, uint64_t *rte)
{
	if (pin >= io->npins)
		return -1;
	futex_mutex_lock(&io->dev.lock);
	*rte = io->rte[pin];
	futex_mutex_unlock(&io->dev.lock);
	return 0;
}

static void write_reg(struct ioapic *io, uint32_t reg, uint32_t v)
{
	unsigned pin = (reg - IOAPIC_REG_RTE) / 2;
	uint64_t *e, old;

	if (reg == IOAPIC_REG_ID) {
		io->id = (v >> 24) & 0xf;
		return;
	}
	if (reg < IOAPIC_REG_RTE || pin >= io->npins)
		return; /* read-only or absent: ignored */
	e = &io->rte[pin];
	old = *e;
	if (reg & 1)
		*e = (*e & 0xffffffffULL) | ((uint64_t)v << 32);
	else
		*e = (*e & ~0xffffffffULL) | v;
	*e = (*e & ~IOAPIC_RTE_RO) | (old & IOAPIC_RTE_RO);
	/* An edge entry has no Remote IRR to keep. */
	if (!(*e & IOAPIC_RTE_LEVEL))
		*e &= ~IOAPIC_RTE_REMOTE_IRR;
	if (*e != old) {
		sync_route(io, pin);
		service_level(io, pin); /* unmasked with its line still high */
	}
}

static void mmio_read(struct device *dev, unsigned range, uint64_t off, uint8_t *data, unsigned len)
{
	struct ioapic *io = of(dev);
	uint32_t v = 0;

	(void)range;
	if (off == IOAPIC_REGSEL)
		v = io->regsel;
	else if (off == IOAPIC_WINDOW)
		v = read_reg(io, io->regsel);
	memcpy(data, &v, len < 4 ? len : 4);
	if (len > 4)
		memset(data + 4, 0, len - 4);
}

static void mmio_write(struct device *dev, unsigned range, uint64_t off, const uint8_t *data,
		       unsigned len)
{
	struct ioapic *io = of(dev);
	uint32_t v = 0;

	(void)range;
	memcpy(&v, data, len < 4 ? len : 4);
	if (off == IOAPIC_REGSEL)
		io->regsel = v & 0xff;
	else if (off == IOAPIC_WINDOW)
		write_reg(io, io->regsel, v);
	show(io);
}

/* Power-on: every pin masked, nothing pending, no route. */
static void reset(struct device *dev)
{
	struct ioapic *io = of(dev);

	for (unsigned p = 0; p < IOAPIC_MAX_PINS; p++) {
		io->rte[p] = IOAPIC_RTE_MASKED;
		if (io->routed & (1u << p))
			sync_route(io, p);
	}
	io->regsel = io->lines = 0;
	io->id = 0;
	show(io);
}

static void destroy(struct device *dev)
{
	struct ioapic *io = of(dev);

	/* The VM is going: nothing runs that could read the page. */
	if (io->window)
		munmap(io->window, IOAPIC_MMIO_LEN);
	free(io);
}

/* Snapshot slot: the registers and line levels; the pin count is the
 * machine's (vm_start sets it from the devices), so it must match. */
struct ioapic_state {
	uint32_t npins, id, regsel, lines;
	uint64_t rte[IOAPIC_MAX_PINS];
	uint64_t sent[IOAPIC_MAX_PINS];
};

static long save(struct device *dev, void *buf, size_t cap)
{
	struct ioapic *io = of(dev);
	struct ioapic_state st = { .npins = io->npins, .id = io->id, .regsel = io->regsel,
				   .lines = io->lines };

	memcpy(st.rte, io->rte, sizeof(st.rte));
	memcpy(st.sent, io->sent, sizeof(st.sent));
	return device_save_plain(buf, cap, &st, sizeof(st));
}

static int restore(struct device *dev, const void *buf, size_t len)
{
	struct ioapic *io = of(dev);
	struct ioapic_state st;
	uint32_t pins_mask;

	if (device_restore_plain(&st, sizeof(st), buf, len) < 0 || st.npins == 0 ||
	    st.npins > IOAPIC_MAX_PINS)
		return -1;
	pins_mask = (1u << st.npins) - 1; /* npins <= 24 */
	io->npins = st.npins;
	io->id = st.id & 0xf;
	io->regsel = st.regsel & 0xff;
	io->lines = st.lines & pins_mask;
	/* Another process's bytes: only what a guest could have made of
	 * them (no delivery in progress, Remote IRR only on a level entry). */
	for (unsigned p = 0; p < IOAPIC_MAX_PINS; p++) {
		io->rte[p] = st.rte[p] & ~(1ULL << 12);
		if (!(io->rte[p] & IOAPIC_RTE_LEVEL))
			io->rte[p] &= ~IOAPIC_RTE_REMOTE_IRR;
		/* Sent as a level interrupt, or nothing is in service. */
		io->sent[p] = st.sent[p] | IOAPIC_RTE_LEVEL;
	}
	/* KVM's routes are this process's to make again. */
	io->routed = 0;
	for (unsigned p = 0; p < io->npins; p++)
		sync_route(io, p);
	show(io);
	return 0;
}

static const struct device_ops ops = {
	.read = mmio_read, .write = mmio_write, .reset = reset, .destroy = destroy,
	.save = save, .restore = restore,
};

int ioapic_map_window(struct ioapic *io)
{
	void *page;

	if (ioctl(io->vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) <= 0)
		return 0;
	page = mmap(NULL, IOAPIC_MMIO_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return fail_errno(ERR_HOST, "mmap the IOAPIC's window page");
	/* Reads from the page; a write faults and exits as MMIO, which the
	 * bus brings to mmio_write as before. */
	if (vm_add_memslot(io->vm, LAYOUT_IOAPIC, IOAPIC_MMIO_LEN, page, KVM_MEM_READONLY) < 0) {
		munmap(page, IOAPIC_MMIO_LEN);
		return -1;
	}
	futex_mutex_lock(&io->dev.lock);
	io->window = page;
	show(io);
	futex_mutex_unlock(&io->dev.lock);
	return 1;
}

void ioapic_set_pins(struct ioapic *io, unsigned npins)
{
	futex_mutex_lock(&io->dev.lock);
	io->npins = npins;
	show(io); /* the version register says how many */
	futex_mutex_unlock(&io->dev.lock);
}

struct ioapic *ioapic_create(struct vm *vm, unsigned npins)
{
	struct ioapic *io = calloc(1, sizeof(*io));

	if (!io) {
		fail(ERR_HOST, "out of memory");
		return NULL;
	}
	if (npins == 0 || npins > IOAPIC_MAX_PINS)
		npins = IOAPIC_MAX_PINS;
	io->vm = vm;
	io->npins = npins;
	for (unsigned p = 0; p < IOAPIC_MAX_PINS; p++)
		io->rte[p] = IOAPIC_RTE_MASKED;
	io->dev.name = "ioapic";
	io->dev.ops = &ops;
	io->dev.counters = &io->work;
	io->dev.res = (struct device_resources){
		.nranges = 1,
		.range = { DEVICE_RANGE(BUS_MMIO, LAYOUT_IOAPIC, IOAPIC_MMIO_LEN) },
		.gsi = DEVICE_NO_GSI,
	};
	return io;
}
