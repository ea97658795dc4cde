#include "devices/platform.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
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
	int escape;   /* saw ESCAPE_CHAR */
	int input_fd; /* console input goes here (virtio console), -1: COM1 */
};

struct platform *platform_create(struct vm *vm)
{
	struct platform *p = calloc(1, sizeof(*p));

	if (!p) {
		fail(ERR_HOST, "out of memory");
		return NULL;
	}
	p->vm = vm;
	p->input_fd = -1;
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

void platform_route_input(struct platform *p, int fd)
{
	p->input_fd = fd;
}

/* Copy the next argument of a kernel command line into TOK (quotes removed,
 * as the kernel does, cut to LEN-1 characters); returns where the rest
 * starts, NULL at the end.  Spaces inside quotes belong to the argument. */
static const char *next_arg(const char *s, char *tok, size_t len)
{
	size_t n = 0;
	int quoted = 0;

	while (isspace((unsigned char)*s))
		s++;
	if (!*s)
		return NULL;
	for (; *s && (quoted || !isspace((unsigned char)*s)); s++) {
		if (*s == '"')
			quoted = !quoted;
		else if (n + 1 < len)
			tok[n++] = *s;
	}
	tok[n] = 0;
	return s;
}

bool platform_cmdline_console_is(const char *cmdline, const char *dev)
{
	char tok[64], last[64] = "";

	while ((cmdline = next_arg(cmdline, tok, sizeof(tok)))) {
		if (strcmp(tok, "--") == 0)
			break; /* the rest is for init */
		if (strncmp(tok, "console=", 8) == 0) {
			/* console=NAME[,options] */
			size_t n = strcspn(tok + 8, ",");

			memcpy(last, tok + 8, n);
			last[n] = 0;
		}
	}
	return strcmp(last, dev) == 0;
}

/* Hand input to the guest; returns bytes taken (0: no room now). */
static unsigned deliver(struct platform *p, const unsigned char *buf, unsigned n)
{
	ssize_t w;

	if (p->input_fd < 0)
		return serial_input(p->com1, buf, n);
	w = write(p->input_fd, buf, n);
	if (w >= 0)
		return (unsigned)w;
	if (errno == EAGAIN || errno == EINTR)
		return 0; /* the pipe is full: poll says when it has room */
	log_warn("console input: %s; input dropped", strerror(errno));
	return n;
}

void platform_serve_input(struct platform *p, int end_efd)
{
	unsigned char buf[256];
	unsigned have = 0, off = 0;
	int stdin_open = 1;

	for (;;) {
		/* Only read more when what we have is delivered.  A full pipe
		 * says when it has room; a full UART FIFO does not, so retry
		 * that every 10 ms.  Negative fds are left out by poll(). */
		int to_pipe = have && p->input_fd >= 0;
		struct pollfd fds[3] = {
			{ .fd = end_efd, .events = POLLIN },
			{ .fd = stdin_open && !have ? STDIN_FILENO : -1, .events = POLLIN },
			{ .fd = to_pipe ? p->input_fd : -1, .events = POLLOUT },
		};
		int r = poll(fds, 3, have && !to_pipe ? 10 : -1);

		if (r < 0 && errno != EINTR)
			break;
		if (fds[0].revents)
			break;
		if (fds[1].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)) {
			ssize_t n = (fds[1].revents & POLLNVAL) ? 0 : read(STDIN_FILENO, buf, sizeof(buf));

			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0) {
				stdin_open = 0; /* EOF or closed: the guest simply gets no input */
				continue;
			}
			have = filter_escape(p, buf, (unsigned)n);
			off = 0;
		}
		if (have) {
			unsigned t = deliver(p, buf + off, have);
			off += t;
			have -= t;
		}
	}
}
