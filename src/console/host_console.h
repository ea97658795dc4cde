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
/* How often the console looks for guest output no exit has delivered
 * (host_console.flush): every FLUSH_MS while it finds some, backing off
 * to FLUSH_MAX_MS while it finds none. */
#define HOST_CONSOLE_FLUSH_MS 50
#define HOST_CONSOLE_FLUSH_MAX_MS 1600

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
	/* Called while serving, if set, so that output the guest wrote
	 * without an exit (coalesced port writes) appears even while its
	 * vCPUs sleep in KVM; returns how many writes it delivered.  A guest
	 * driver nearly always exits soon after such writes (it reads the
	 * line status before its next byte, or the interrupt status in its
	 * handler), and that exit delivers them first: so the console asks
	 * every HOST_CONSOLE_FLUSH_MS only while flush() finds writes, and
	 * otherwise doubles the wait up to HOST_CONSOLE_FLUSH_MAX_MS.  An
	 * idle VM then wakes warden about once in 1.6 s, not 20 times a
	 * second, and a running one is interrupted less. */
	unsigned (*flush)(void *ctx);
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
/* The wait before the next flush, after one of CUR_MS that DELIVERED
 * writes; WOKEN: input or an event came before it. */
unsigned host_console_next_flush_ms(unsigned cur_ms, unsigned delivered, bool woken);
/* Strip the escape sequences from BUF (N bytes, edited in place); returns
 * the bytes left for the guest.  Calls on_quit for Ctrl-A x. */
unsigned host_console_filter(struct host_console *c, uint8_t *buf, unsigned n);

/* Is DEV (e.g. "hvc0") the guest's console on CMDLINE, that is the last
 * console= argument, as Linux makes /dev/console the last one named? */
bool console_cmdline_is(const char *cmdline, const char *dev);

#endif
