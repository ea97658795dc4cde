/* The host side of the guest's console: warden's terminal.  One module
 * owns it: raw mode (and putting it back), the Ctrl-A escapes, where typed
 * input goes (the serial port or the virtio console, through a sink the
 * caller wires; devices never import each other for it), and which console
 * a kernel command line names.  Guest output goes straight to stdout from
 * the devices. */
#ifndef WARDEN_CONSOLE_HOST_CONSOLE_H
#define WARDEN_CONSOLE_HOST_CONSOLE_H

#include <stdbool.h>
#include <stdint.h>

/* Ctrl-A then 'x' stops the VM from an interactive console (as in QEMU);
 * Ctrl-A Ctrl-A sends one Ctrl-A. */
#define CONSOLE_ESCAPE_CHAR 0x01
#define HOST_CONSOLE_FLUSH_MS 50

struct host_console {
	/* Input goes to a sink function (returns bytes taken, 0 when it has
	 * no room: retried every 10 ms) ... */
	unsigned (*sink)(void *ctx, const uint8_t *buf, unsigned n);
	void *sink_ctx;
	/* ... or, when >= 0, to a non-blocking fd (a pipe: poll says when it
	 * has room). */
	int sink_fd;
	/* Ctrl-A x. */
	void (*on_quit)(void *ctx);
	void *quit_ctx;
	/* Called every HOST_CONSOLE_FLUSH_MS while serving, if set: output
	 * the guest wrote without an exit (coalesced port writes) appears
	 * even while its vCPUs sleep in KVM. */
	void (*flush)(void *ctx);
	void *flush_ctx;
	bool escape; /* saw the escape character */
	bool escapes; /* escapes are on (stdin is a terminal) */
};

void host_console_init(struct host_console *c);
/* Keystrokes (Ctrl-C included) go to the guest unchanged; warden's own
 * messages keep their newlines.  Only on a terminal; undone at exit. */
void host_console_raw(void);
void host_console_restore(void);
/* Serve stdin until END_FD becomes readable. */
void host_console_serve(struct host_console *c, int end_fd);
/* Strip the escape sequences from BUF (N bytes, edited in place); returns
 * the bytes left for the guest.  Calls on_quit for Ctrl-A x. */
unsigned host_console_filter(struct host_console *c, uint8_t *buf, unsigned n);

/* Is DEV (e.g. "hvc0") the guest's console on CMDLINE, that is the last
 * console= argument, as Linux makes /dev/console the last one named? */
bool console_cmdline_is(const char *cmdline, const char *dev);

#endif
