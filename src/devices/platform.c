#include "devices/platform.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include "boot/layout.h"
#include "core/device.h"
#include "core/vm.h"
#include "util/error.h"
#include "util/log.h"

/* Ctrl-A then 'x' stops the VM from an interactive console (as in QEMU). */
#define ESCAPE_CHAR 0x01

struct platform {
	struct vm *vm;
	struct serial *com1;
	struct device *rtc, *i8042, *pm;
	int escape; /* saw ESCAPE_CHAR */
};

struct platform *platform_create(struct vm *vm)
{
	struct platform *p = calloc(1, sizeof(*p));

	if (!p) {
		fail(ERR_HOST, "out of memory");
		return NULL;
	}
	p->vm = vm;
	p->com1 = serial_create(vm, PORT_COM1, IRQ_COM1);
	p->rtc = rtc_device_create(vm);
	p->i8042 = i8042_create(vm);
	p->pm = acpi_pm_create(vm);
	if (!p->com1 || !p->rtc || !p->i8042 || !p->pm) {
		platform_destroy(p);
		fail(ERR_HOST, "cannot create platform devices");
		return NULL;
	}
	vm->platform = p;
	return p;
}

void platform_destroy(struct platform *p)
{
	if (!p)
		return;
	serial_destroy(p->com1);
	free(p->rtc ? p->rtc->priv : NULL);
	free(p->i8042 ? p->i8042->priv : NULL);
	free(p->pm ? p->pm->priv : NULL);
	free(p);
}

/* Strip the console escape sequence; returns bytes left for the guest. */
static unsigned filter_escape(struct platform *p, unsigned char *buf, unsigned n)
{
	unsigned out = 0;

	for (unsigned i = 0; i < n; i++) {
		if (p->escape) {
			p->escape = 0;
			if (buf[i] == 'x') {
				vm_request_end(p->vm, VM_END_SIGNAL);
				return out;
			}
			if (buf[i] != ESCAPE_CHAR)
				buf[out++] = ESCAPE_CHAR;
		} else if (buf[i] == ESCAPE_CHAR && isatty(STDIN_FILENO)) {
			p->escape = 1;
			continue;
		}
		buf[out++] = buf[i];
	}
	return out;
}

void platform_serve_input(struct platform *p, int end_efd)
{
	unsigned char buf[256];
	unsigned have = 0, off = 0;
	int stdin_open = 1;

	for (;;) {
		struct pollfd fds[2] = {
			{ .fd = end_efd, .events = POLLIN },
			{ .fd = STDIN_FILENO, .events = POLLIN },
		};
		/* Only read more when what we have is delivered; while the
		 * guest's FIFO is full, retry every 10 ms. */
		int want_stdin = stdin_open && have == 0;
		int r = poll(fds, want_stdin ? 2 : 1, have ? 10 : -1);

		if (r < 0 && errno != EINTR)
			break;
		if (fds[0].revents)
			break;
		if (want_stdin && (fds[1].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL))) {
			ssize_t n = (fds[1].revents & POLLNVAL) ? 0 : read(STDIN_FILENO, buf, sizeof(buf));

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				stdin_open = 0; /* EOF or closed: the guest simply gets no input */
				continue;
			}
			have = filter_escape(p, buf, (unsigned)n);
			off = 0;
		}
		if (have) {
			unsigned t = serial_input(p->com1, buf + off, have);
			off += t;
			have -= t;
		}
	}
}
