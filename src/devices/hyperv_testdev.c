/* QEMU's hyperv-testdev, as the kvm-unit-tests hyperv_synic and
 * hyperv_connections tests use it (--hyperv-testdev, needs --hyperv).
 * One 32-bit write-only register at port 0x3000:
 *
 *   bits 24-31 connection id, 16-23 command, 8-15 vCPU, 0-7 SINT
 *   1 SINT route create   a route (a GSI KVM turns into that vCPU's SINT)
 *   2 SINT route destroy
 *   3 SINT route set      raise the route's SINT
 *   4/5 message connection create/destroy: the guest's HvPostMessage to
 *       that connection id lands in the vCPU's message slot of the SINT
 *   6/7 event connection create/destroy: HvSignalEvent on it sets flag
 *       <connection id> in the vCPU's event flags for the SINT
 *
 * KVM leaves both hypercalls to user space (KVM_EXIT_HYPERV) when no
 * KVM_HYPERV_EVENTFD names the connection; warden answers them on the
 * calling vCPU's thread.  A route is a KVM_IRQFD on a
 * KVM_IRQ_ROUTING_HV_SINT GSI with a resample eventfd: KVM signals it when
 * the guest acknowledges the SINT (EOI or EOM), which is when a message
 * that found its slot busy is tried again, on the device's thread. */
#include <errno.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core/device.h"
#include "core/hyperv.h"
#include "core/layout.h"
#include "core/vm.h"
#include "devices/hv_synic.h"
#include "devices/platform.h"
#include "sandbox/seccomp.h"
#include "util/error.h"
#include "util/log.h"

enum { CMD_ROUTE_CREATE = 1, CMD_ROUTE_DESTROY, CMD_ROUTE_SET, CMD_MSG_CREATE,
       CMD_MSG_DESTROY, CMD_EVT_CREATE, CMD_EVT_DESTROY };
enum { OWNER_NONE, OWNER_PLAIN, OWNER_CONN };
enum { CONN_NONE, CONN_MSG, CONN_EVT };

#define HVCALL_POST_MESSAGE 0x5c
#define HVCALL_SIGNAL_EVENT 0x5d
#define HV_HYPERCALL_FAST (1ull << 16)
#define MAX_VCPUS 256
#define NCONNS 256

struct route {
	int owner;
	unsigned vcpu, sint;
	int efd, rfd; /* the irqfd and its resample (acknowledge) eventfd */
	bool staged;  /* a message waits for its slot */
	struct hv_message msg;
};

struct hv_testdev {
	struct device dev;
	struct vm *vm;
	struct route route[GSI_HV_SINT_COUNT];
	struct { int kind; int route; } conn[NCONNS];
	struct { uint64_t simp, siefp; } synic[MAX_VCPUS];
	int epfd, stopfd;
	pthread_t thread;
	bool running;
};

static void raise_sint(struct route *r)
{
	uint64_t one = 1;

	if (write(r->efd, &one, sizeof(one)) != sizeof(one))
		log_warn("hyperv-testdev: SINT eventfd write failed");
}

static void route_close(struct hv_testdev *t, int i)
{
	struct route *r = &t->route[i];
	struct kvm_irqfd fd = { .fd = (uint32_t)r->efd, .gsi = GSI_HV_SINT_START + (unsigned)i,
				.flags = KVM_IRQFD_FLAG_DEASSIGN };

	ioctl(t->vm->vm_fd, KVM_IRQFD, &fd);
	epoll_ctl(t->epfd, EPOLL_CTL_DEL, r->rfd, NULL);
	vm_hv_sint_route(t->vm, GSI_HV_SINT_START + (unsigned)i, -1, 0);
	close(r->efd);
	close(r->rfd);
	memset(r, 0, sizeof(*r));
}

/* A new route to SINT of VCPU: its index, or -1 (a host failure, logged). */
static int route_open(struct hv_testdev *t, unsigned vcpu, unsigned sint, int owner)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct kvm_irqfd fd = { .flags = KVM_IRQFD_FLAG_RESAMPLE };
	struct route *r = NULL;
	int i;

	for (i = 0; i < GSI_HV_SINT_COUNT && !r; i++)
		if (t->route[i].owner == OWNER_NONE)
			r = &t->route[i];
	if (!r || vcpu >= t->vm->cfg.ncpus || sint >= HV_SINT_COUNT) {
		log_guest("hyperv-testdev: no route for vCPU %u SINT %u", vcpu, sint);
		return -1;
	}
	i--;
	*r = (struct route){ .owner = owner, .vcpu = vcpu, .sint = sint,
			     .efd = eventfd(0, EFD_CLOEXEC), .rfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK) };
	fd.fd = (uint32_t)r->efd;
	fd.resamplefd = (uint32_t)r->rfd;
	fd.gsi = GSI_HV_SINT_START + (unsigned)i;
	ev.data.u32 = (uint32_t)i;
	if (r->efd < 0 || r->rfd < 0 || vm_hv_sint_route(t->vm, fd.gsi, (int)vcpu, sint) < 0 ||
	    ioctl(t->vm->vm_fd, KVM_IRQFD, &fd) < 0 || epoll_ctl(t->epfd, EPOLL_CTL_ADD, r->rfd, &ev) < 0) {
		log_warn("hyperv-testdev: SINT route for vCPU %u SINT %u: %s", vcpu, sint, strerror(errno));
		route_close(t, i);
		return -1;
	}
	return i;
}

static int route_find(struct hv_testdev *t, unsigned vcpu, unsigned sint)
{
	for (int i = 0; i < GSI_HV_SINT_COUNT; i++)
		if (t->route[i].owner == OWNER_PLAIN && t->route[i].vcpu == vcpu && t->route[i].sint == sint)
			return i;
	return -1;
}

/* Try the route's staged message: delivered (and the SINT raised), still
 * waiting, or dropped (no message page). */
static void route_deliver(struct hv_testdev *t, struct route *r)
{
	enum hv_post_result res = hv_msg_post(&t->vm->mem, t->synic[r->vcpu].simp, r->sint, &r->msg);

	if (res == HV_SLOT_BUSY)
		return;
	r->staged = false;
	if (res == HV_POSTED)
		raise_sint(r);
	else
		log_guest("hyperv-testdev: vCPU %u has no message page: message dropped", r->vcpu);
}

static void conn_create(struct hv_testdev *t, int kind, unsigned conn, unsigned vcpu, unsigned sint)
{
	int i;

	if (t->conn[conn].kind != CONN_NONE) {
		log_guest("hyperv-testdev: connection %u exists", conn);
		return;
	}
	i = route_open(t, vcpu, sint, OWNER_CONN);
	if (i < 0)
		return;
	t->conn[conn].kind = kind;
	t->conn[conn].route = i;
}

static void conn_destroy(struct hv_testdev *t, int kind, unsigned conn)
{
	if (t->conn[conn].kind != kind) {
		log_guest("hyperv-testdev: no such connection %u", conn);
		return;
	}
	route_close(t, t->conn[conn].route);
	t->conn[conn].kind = CONN_NONE;
}

static void command(struct hv_testdev *t, uint32_t v)
{
	unsigned conn = v >> 24, cmd = (v >> 16) & 0xff, vcpu = (v >> 8) & 0xff, sint = v & 0xff;
	int i;

	switch (cmd) {
	case CMD_ROUTE_CREATE: route_open(t, vcpu, sint, OWNER_PLAIN); break;
	case CMD_ROUTE_DESTROY:
	case CMD_ROUTE_SET:
		i = route_find(t, vcpu, sint);
		if (i < 0)
			log_guest("hyperv-testdev: no route for vCPU %u SINT %u", vcpu, sint);
		else if (cmd == CMD_ROUTE_SET)
			raise_sint(&t->route[i]);
		else
			route_close(t, i);
		break;
	case CMD_MSG_CREATE: conn_create(t, CONN_MSG, conn, vcpu, sint); break;
	case CMD_MSG_DESTROY: conn_destroy(t, CONN_MSG, conn); break;
	case CMD_EVT_CREATE: conn_create(t, CONN_EVT, conn, vcpu, sint); break;
	case CMD_EVT_DESTROY: conn_destroy(t, CONN_EVT, conn); break;
	default: log_guest("hyperv-testdev: unknown command %u", cmd); break;
	}
}

static void htd_write(struct device *dev, unsigned range, uint64_t off, const uint8_t *data,
		      unsigned len)
{
	uint32_t v;

	(void)range;
	if (off != 0 || len != 4) {
		log_guest("hyperv-testdev: %u-byte write at +%llu (only 32-bit at 0x3000)", len,
			  (unsigned long long)off);
		return;
	}
	memcpy(&v, data, 4);
	command(dev->priv, v);
}

static void htd_read(struct device *dev, unsigned range, uint64_t off, uint8_t *data, unsigned len)
{
	(void)dev, (void)range, (void)off;
	memset(data, 0, len); /* write-only */
}

/* KVM_EXIT_HYPERV_SYNIC: where each vCPU's pages are now. */
static void htd_synic(void *ctx, unsigned vcpu, uint32_t msr, uint64_t control, uint64_t evt,
		      uint64_t msg)
{
	struct hv_testdev *t = ctx;

	(void)msr;
	if (vcpu >= MAX_VCPUS)
		return;
	futex_mutex_lock(&t->dev.lock);
	/* A disabled SynIC delivers nothing: as if both pages were off. */
	t->synic[vcpu].simp = (control & 1) ? msg : 0;
	t->synic[vcpu].siefp = (control & 1) ? evt : 0;
	futex_mutex_unlock(&t->dev.lock);
}

static uint64_t post_message(struct hv_testdev *t, uint64_t gpa)
{
	const struct hv_post_input *in = gmem_ptr(&t->vm->mem, gpa, sizeof(*in));
	struct hv_post_input copy;
	struct route *r;

	if (gpa & 7)
		return HV_STATUS_INVALID_ALIGNMENT;
	if (!in)
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	memcpy(&copy, in, sizeof(copy)); /* the guest may change it meanwhile */
	if (copy.payload_size > HV_MESSAGE_PAYLOAD)
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	if (copy.connection_id >= NCONNS || t->conn[copy.connection_id].kind != CONN_MSG)
		return HV_STATUS_INVALID_CONNECTION_ID;
	r = &t->route[t->conn[copy.connection_id].route];
	if (r->staged)
		return HV_STATUS_INSUFFICIENT_BUFFERS; /* one in flight per connection */
	memset(&r->msg, 0, sizeof(r->msg));
	r->msg.message_type = copy.message_type;
	r->msg.payload_size = (uint8_t)copy.payload_size;
	memcpy(r->msg.payload, copy.payload, copy.payload_size);
	r->staged = true;
	route_deliver(t, r);
	return HV_STATUS_SUCCESS;
}

static uint64_t signal_event(struct hv_testdev *t, uint64_t param)
{
	uint32_t conn = (uint32_t)param & 0xffffff;
	struct route *r;

	if (param >> 32)
		return HV_STATUS_INVALID_HYPERCALL_INPUT; /* flag numbers other than the id */
	if (conn >= NCONNS || t->conn[conn].kind != CONN_EVT)
		return HV_STATUS_INVALID_CONNECTION_ID;
	r = &t->route[t->conn[conn].route];
	switch (hv_event_set(&t->vm->mem, t->synic[r->vcpu].siefp, r->sint, conn)) {
	case 1: raise_sint(r); break;
	case 0: break; /* already set: the guest has not looked yet */
	default: log_guest("hyperv-testdev: vCPU %u has no event page", r->vcpu); break;
	}
	return HV_STATUS_SUCCESS;
}

static uint64_t htd_hcall(void *ctx, unsigned vcpu, uint64_t input, const uint64_t params[2])
{
	struct hv_testdev *t = ctx;
	unsigned code = input & 0xffff;
	bool fast = input & HV_HYPERCALL_FAST;
	uint64_t status = HV_STATUS_INVALID_HYPERCALL_CODE, arg = params[0];
	const uint64_t *slow;

	(void)vcpu;
	futex_mutex_lock(&t->dev.lock);
	if (code == HVCALL_POST_MESSAGE) {
		status = fast ? HV_STATUS_INVALID_HYPERCALL_INPUT : post_message(t, arg);
	} else if (code == HVCALL_SIGNAL_EVENT) {
		slow = fast ? &arg : gmem_ptr(&t->vm->mem, arg, sizeof(uint64_t));
		status = slow ? signal_event(t, *slow) : HV_STATUS_INVALID_HYPERCALL_INPUT;
	}
	futex_mutex_unlock(&t->dev.lock);
	return status;
}

/* The device's thread: acknowledged SINTs; a staged message tries its
 * slot again. */
static void *ack_thread(void *arg)
{
	struct hv_testdev *t = arg;
	struct epoll_event ev[16];

	seccomp_enter(THREAD_HV_TESTDEV);
	for (;;) {
		int n = epoll_wait(t->epfd, ev, 16, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return NULL;
		for (int i = 0; i < n; i++) {
			uint64_t v;
			struct route *r;

			if (ev[i].data.u32 == UINT32_MAX)
				return NULL; /* reset */
			futex_mutex_lock(&t->dev.lock);
			r = &t->route[ev[i].data.u32 % GSI_HV_SINT_COUNT];
			if (r->owner != OWNER_NONE && read(r->rfd, &v, sizeof(v)) == sizeof(v) && r->staged)
				route_deliver(t, r);
			futex_mutex_unlock(&t->dev.lock);
		}
	}
}

static void htd_reset(struct device *dev)
{
	struct hv_testdev *t = dev->priv;
	uint64_t one = 1;

	if (t->running && write(t->stopfd, &one, sizeof(one)) == sizeof(one))
		pthread_join(t->thread, NULL);
	t->running = false;
	for (int i = 0; i < GSI_HV_SINT_COUNT; i++)
		if (t->route[i].owner != OWNER_NONE)
			route_close(t, i);
	memset(t->conn, 0, sizeof(t->conn));
}

static void htd_destroy(struct device *dev)
{
	struct hv_testdev *t = dev->priv;

	close(t->epfd);
	close(t->stopfd);
	free(t);
}

static const struct device_ops htd_ops = {
	.read = htd_read, .write = htd_write, .reset = htd_reset, .destroy = htd_destroy,
};

static int start(struct hv_testdev *t)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = UINT32_MAX };

	t->epfd = epoll_create1(EPOLL_CLOEXEC);
	t->stopfd = eventfd(0, EFD_CLOEXEC);
	if (t->epfd < 0 || t->stopfd < 0 || epoll_ctl(t->epfd, EPOLL_CTL_ADD, t->stopfd, &ev) < 0)
		return fail_errno(ERR_HOST, "hyperv-testdev: epoll");
	if (pthread_create(&t->thread, NULL, ack_thread, t) != 0)
		return fail(ERR_HOST, "hyperv-testdev: cannot start its thread");
	t->running = true;
	return 0;
}

struct device *hyperv_testdev_create(struct vm *vm)
{
	struct hv_testdev *t = calloc(1, sizeof(*t));
	struct vm_hyperv_handler h = { .synic = htd_synic, .hcall = htd_hcall };

	if (!t) {
		fail(ERR_HOST, "out of memory");
		return NULL;
	}
	if (!vm->cfg.hyperv) {
		free(t);
		fail(ERR_USAGE, "--hyperv-testdev needs --hyperv");
		return NULL;
	}
	t->vm = vm;
	t->epfd = t->stopfd = -1;
	t->dev = (struct device){ .name = "hyperv-testdev", .ops = &htd_ops, .priv = t,
		.res = { .nranges = 1, .gsi = DEVICE_NO_GSI,
			 .range = { DEVICE_RANGE(BUS_PIO, PORT_HV_TESTDEV, PORT_HV_TESTDEV_LEN) } } };
	if (start(t) < 0 || vm_add_device(vm, &t->dev) < 0) {
		htd_reset(&t->dev);
		htd_destroy(&t->dev);
		return NULL;
	}
	h.ctx = t;
	vm_hyperv_handler(vm, &h);
	return &t->dev;
}
