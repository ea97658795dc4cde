/* The CMOS RTC on ports 0x70-0x71, interrupt line 8.  Its update-ended and
 * alarm interrupts need a clock that ticks: a thread, started the first
 * time the guest enables one of them, calls rtc_tick() at each second of
 * the host's clock.  The line follows the model's IRQF after every access
 * and tick: raised when a flag the guest enabled is set, lowered when the
 * guest reads register C (an ISA edge each time it rises).  Each alarm is
 * also a wake event for the platform (core/vm_sleep.h: S3's resume). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/layout.h"
#include "core/device.h"
#include "core/vm.h"
#include "devices/platform.h"
#include "devices/rtc.h"
#include "sandbox/seccomp.h"
#include "util/error.h"
#include "util/log.h"

struct rtc_device {
	struct device dev;
	struct rtc rtc;
	struct vm *vm;
	bool line;     /* the level the irqchip has (under dev.lock) */
	bool ticking;  /* the ticker runs (under dev.lock to start, reset to stop) */
	pthread_t ticker;
	pthread_mutex_t stop_lock;
	pthread_cond_t stop_cond;
	bool stop;
};

/* Under dev.lock. */
static void sync_line(struct rtc_device *r)
{
	bool level = rtc_irq(&r->rtc);

	if (level != r->line) {
		r->line = level;
		vm_set_irq(r->vm, (unsigned)r->dev.res.gsi, level);
	}
}

/* Wait for the next second of the host clock; false when asked to stop. */
static bool next_second(struct rtc_device *r)
{
	struct timespec next;
	int err = 0;

	clock_gettime(CLOCK_REALTIME, &next); /* the condition's clock, and the RTC's */
	next.tv_sec++;
	next.tv_nsec = 0;
	pthread_mutex_lock(&r->stop_lock);
	while (!r->stop && err != ETIMEDOUT)
		err = pthread_cond_timedwait(&r->stop_cond, &r->stop_lock, &next);
	pthread_mutex_unlock(&r->stop_lock);
	return err == ETIMEDOUT;
}

static void *ticker(void *arg)
{
	struct rtc_device *r = arg;

	time_t last = r->rtc.now();

	pthread_setname_np(pthread_self(), "rtc");
	seccomp_enter(THREAD_RTC);
	while (next_second(r)) {
		time_t now = r->rtc.now();
		bool alarm = false;

		/* A late wake-up (a loaded host) covers several seconds: each
		 * gets its update, so an exact-second alarm is not skipped.  A
		 * clock step back or far ahead counts as one second. */
		if (now <= last || now - last > 60)
			last = now - 1;
		futex_mutex_lock(&r->dev.lock);
		while (last < now)
			alarm |= rtc_tick_at(&r->rtc, ++last);
		sync_line(r);
		futex_mutex_unlock(&r->dev.lock);
		/* The platform's wake logic (--acpi-s3: RTC_STS, the resume
		 * from S3), outside this device's lock. */
		if (alarm)
			vm_sleep_wake_event(&r->vm->sleep, VM_WAKE_RTC);
	}
	return NULL;
}

/* Under dev.lock, on the guest's first enable. */
static void start_ticker(struct rtc_device *r)
{
	int err;

	r->stop = false;
	err = pthread_create(&r->ticker, NULL, ticker, r);
	if (err) {
		log_warn("rtc: cannot start its clock thread (%s): no RTC interrupts", strerror(err));
		return;
	}
	r->ticking = true;
}

static void rtc_dev_read(struct device *dev, unsigned range, uint64_t off, uint8_t *data,
			 unsigned len)
{
	struct rtc_device *r = dev->priv;

	(void)range;
	for (unsigned i = 0; i < len; i++)
		data[i] = i == 0 ? rtc_read(&r->rtc, (unsigned)off) : 0xff;
	sync_line(r); /* reading register C lowers it */
}

static void rtc_dev_write(struct device *dev, unsigned range, uint64_t off, const uint8_t *data,
			  unsigned len)
{
	struct rtc_device *r = dev->priv;

	(void)range;
	(void)len;
	rtc_write(&r->rtc, (unsigned)off, data[0]);
	sync_line(r);
	if (!r->ticking && rtc_needs_ticks(&r->rtc))
		start_ticker(r);
}

/* Without dev.lock (the ticker takes it). */
static void stop_ticker(struct rtc_device *r)
{
	if (!r->ticking)
		return;
	pthread_mutex_lock(&r->stop_lock);
	r->stop = true;
	pthread_cond_signal(&r->stop_cond);
	pthread_mutex_unlock(&r->stop_lock);
	pthread_join(r->ticker, NULL);
	r->ticking = false;
}

/* The VM's end (or a reset): the ticker stops, the line goes low. */
static void rtc_dev_reset(struct device *dev)
{
	struct rtc_device *r = dev->priv;

	stop_ticker(r);
	r->rtc.flags = 0;
	r->line = false;
}

static void rtc_dev_destroy(struct device *dev)
{
	struct rtc_device *r = dev->priv;

	pthread_cond_destroy(&r->stop_cond);
	pthread_mutex_destroy(&r->stop_lock);
	free(r);
}

/* A pause (core/vm_pause.h): no tick may change the flags or the line
 * while the VM is paused or being saved. */
static void rtc_dev_pause(struct device *dev)
{
	stop_ticker(dev->priv);
}

/* After a pause or a restore: the ticker again if the guest wants ticks,
 * and the line at the level the flags say (KVM's irqchip keeps no record
 * of which source holds a line up). */
static void rtc_dev_resume(struct device *dev)
{
	struct rtc_device *r = dev->priv;

	futex_mutex_lock(&dev->lock);
	if (r->line)
		vm_set_irq(r->vm, (unsigned)dev->res.gsi, 1);
	if (!r->ticking && rtc_needs_ticks(&r->rtc))
		start_ticker(r);
	futex_mutex_unlock(&dev->lock);
}

/* The snapshot: the index, the CMOS bytes, register C and the line.  The
 * time itself is the host's on every read. */
struct rtc_saved {
	uint8_t index, flags, line, pad;
	uint8_t cmos[128];
};

static long rtc_dev_save(struct device *dev, void *buf, size_t cap)
{
	struct rtc_device *r = dev->priv;
	struct rtc_saved st = { .index = r->rtc.index, .flags = r->rtc.flags, .line = r->line };

	memcpy(st.cmos, r->rtc.cmos, sizeof(st.cmos));
	return device_save_plain(buf, cap, &st, sizeof(st));
}

static int rtc_dev_restore(struct device *dev, const void *buf, size_t len)
{
	struct rtc_device *r = dev->priv;
	struct rtc_saved st;

	if (device_restore_plain(&st, sizeof(st), buf, len) < 0 || st.line > 1)
		return -1;
	r->rtc.index = st.index; /* the model masks it at each use */
	r->rtc.flags = st.flags;
	r->line = st.line;
	memcpy(r->rtc.cmos, st.cmos, sizeof(st.cmos));
	return 0;
}

static const struct device_ops rtc_ops = {
	.read = rtc_dev_read, .write = rtc_dev_write, .reset = rtc_dev_reset,
	.destroy = rtc_dev_destroy, .pause = rtc_dev_pause, .resume = rtc_dev_resume,
	.save = rtc_dev_save, .restore = rtc_dev_restore,
};

struct device *rtc_device_create(struct vm *vm)
{
	struct rtc_device *r = calloc(1, sizeof(*r));

	if (!r)
		return fail(ERR_HOST, "out of memory"), NULL;
	r->vm = vm;
	/* IRQ 8 in the DSDT's _CRS: without it Linux's rtc_cmos has no alarms. */
	r->dev = (struct device){
		.name = "rtc", .ops = &rtc_ops, .priv = r, .acpi_hid = ACPI_HID_RTC,
		.res = { .nranges = 1, .range = { DEVICE_RANGE(BUS_PIO, PORT_RTC, PORT_RTC_LEN) },
			 .gsi = GSI_RTC },
	};
	rtc_init(&r->rtc, NULL);
	pthread_mutex_init(&r->stop_lock, NULL);
	pthread_cond_init(&r->stop_cond, NULL);
	if (vm_add_device(vm, &r->dev) < 0) {
		rtc_dev_destroy(&r->dev);
		return NULL;
	}
	/* The index port only picks the register the data port reads or
	 * writes, and that access exits and drains the ring first. */
	if (vm_coalesce_port_writes(vm, PORT_RTC, 1) < 0)
		log_warn("rtc: %s: its index writes exit", err_msg());
	return &r->dev;
}
