#include "console/host_console.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "util/log.h"

static struct termios saved_tty;
static int tty_raw;

void host_console_init(struct host_console *c)
{
	memset(c, 0, sizeof(*c));
	c->sink_fd = -1;
	c->escapes = isatty(STDIN_FILENO);
}

void host_console_restore(void)
{
	if (tty_raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty);
	tty_raw = 0;
}

void host_console_raw(void)
{
	struct termios t;

	if (tty_raw || !isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_tty) < 0)
		return;
	t = saved_tty;
	cfmakeraw(&t);
	t.c_oflag |= OPOST | ONLCR;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0) {
		tty_raw = 1;
		atexit(host_console_restore);
	}
}

unsigned host_console_filter(struct host_console *c, uint8_t *buf, unsigned n)
{
	unsigned out = 0;

	for (unsigned i = 0; i < n; i++) {
		if (c->escape) {
			c->escape = false;
			if (buf[i] == 'x') {
				if (c->on_quit)
					c->on_quit(c->quit_ctx);
				return out;
			}
			if (buf[i] != CONSOLE_ESCAPE_CHAR)
				buf[out++] = CONSOLE_ESCAPE_CHAR;
		} else if (buf[i] == CONSOLE_ESCAPE_CHAR && c->escapes) {
			c->escape = true;
			continue;
		}
		buf[out++] = buf[i];
	}
	return out;
}

/* Hand input to the guest; returns bytes taken (0: no room now). */
static unsigned deliver(struct host_console *c, const uint8_t *buf, unsigned n)
{
	ssize_t w;

	if (c->sink_fd < 0)
		return c->sink ? c->sink(c->sink_ctx, buf, n) : n;
	w = write(c->sink_fd, buf, n);
	if (w >= 0)
		return (unsigned)w;
	if (errno == EAGAIN || errno == EINTR)
		return 0; /* the pipe is full: poll says when it has room */
	log_warn("console input: %s; input dropped", strerror(errno));
	return n;
}

unsigned host_console_next_flush_ms(unsigned cur_ms, unsigned delivered, bool woken)
{
	if (delivered || woken)
		return HOST_CONSOLE_FLUSH_MS;
	return cur_ms >= HOST_CONSOLE_FLUSH_MAX_MS / 2 ? HOST_CONSOLE_FLUSH_MAX_MS : cur_ms * 2;
}

void host_console_serve(struct host_console *c, int end_fd)
{
	uint8_t buf[256];
	unsigned have = 0, off = 0, flush_ms = HOST_CONSOLE_FLUSH_MS;
	int stdin_open = 1;

	for (;;) {
		/* Only read more when what we have is delivered.  A full pipe
		 * says when it has room; a full UART FIFO does not, so retry
		 * that every 10 ms.  Negative fds are left out by poll(). */
		int to_pipe = have && c->sink_fd >= 0;
		struct pollfd fds[3] = {
			{ .fd = end_fd, .events = POLLIN },
			{ .fd = stdin_open && !have ? STDIN_FILENO : -1, .events = POLLIN },
			{ .fd = to_pipe ? c->sink_fd : -1, .events = POLLOUT },
		};
		int r = poll(fds, 3, have && !to_pipe ? 10 : c->flush ? (int)flush_ms : -1);

		if (r < 0 && errno != EINTR)
			break;
		/* Typed input is likely to be echoed: look soon again. */
		if (c->flush)
			flush_ms = host_console_next_flush_ms(flush_ms, c->flush(c->flush_ctx), r > 0);
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
			have = host_console_filter(c, buf, (unsigned)n);
			off = 0;
		}
		if (have) {
			unsigned t = deliver(c, buf + off, have);
			off += t;
			have -= t;
		}
	}
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

bool console_cmdline_is(const char *cmdline, const char *dev)
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
