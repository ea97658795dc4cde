/* The host console (src/console/host_console.c): escapes, where input
 * goes, and which console a kernel command line names. */
#include <fcntl.h>

#include "console/host_console.h"
#include "unit.h"

static unsigned quits;
static uint8_t sunk[64];
static unsigned nsunk;

static void quit(void *ctx)
{
	(void)ctx;
	quits++;
}

static unsigned sink(void *ctx, const uint8_t *buf, unsigned n)
{
	(void)ctx;
	memcpy(sunk + nsunk, buf, n);
	nsunk += n;
	return n;
}

static unsigned filter(struct host_console *c, const char *in, uint8_t *out)
{
	size_t n = strlen(in);

	memcpy(out, in, n);
	return host_console_filter(c, out, (unsigned)n);
}

static void test_escapes(void **state)
{
	struct host_console c;
	uint8_t buf[32];

	(void)state;
	host_console_init(&c);
	c.escapes = true; /* as on a terminal */
	c.on_quit = quit;
	quits = 0;
	assert_int_equal(filter(&c, "ab", buf), 2);
	assert_memory_equal(buf, "ab", 2);
	/* Ctrl-A Ctrl-A: one Ctrl-A for the guest. */
	assert_int_equal(filter(&c, "\x01\x01z", buf), 2);
	assert_memory_equal(buf, "\x01z", 2);
	/* Ctrl-A then something else: both go through. */
	assert_int_equal(filter(&c, "\x01q", buf), 2);
	assert_memory_equal(buf, "\x01q", 2);
	/* Split across reads. */
	assert_int_equal(filter(&c, "k\x01", buf), 1);
	assert_int_equal(quits, 0);
	/* Ctrl-A x: quit; what came before it still goes. */
	assert_int_equal(filter(&c, "x", buf), 0);
	assert_int_equal(quits, 1);
	assert_int_equal(filter(&c, "hi\x01xyz", buf), 2);
	assert_int_equal(quits, 2);
	/* Not a terminal: no escapes at all. */
	c.escapes = false;
	assert_int_equal(filter(&c, "\x01x", buf), 2);
	assert_int_equal(quits, 2);
}

/* Input from stdin (a pipe here) reaches the sink, then END stops it. */
static void test_serve_to_sink(void **state)
{
	struct host_console c;
	int in[2], end[2], saved = dup(STDIN_FILENO);

	(void)state;
	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(end), 0);
	assert_int_equal(write(in[1], "hello", 5), 5);
	close(in[1]); /* EOF after it: the console keeps waiting for END */
	assert_int_equal(write(end[1], "x", 1), 1);
	dup2(in[0], STDIN_FILENO);
	host_console_init(&c);
	c.sink = sink;
	nsunk = 0;
	/* END is already readable: serve returns at once, maybe before
	 * reading, so serve again with END not yet readable... */
	{
		int end2[2];

		assert_int_equal(pipe(end2), 0);
		assert_int_equal(fcntl(end2[0], F_SETFL, O_NONBLOCK), 0);
		/* A child writes END after a moment. */
		if (fork() == 0) {
			usleep(100000);
			_exit(write(end2[1], "x", 1) == 1 ? 0 : 1);
		}
		host_console_serve(&c, end2[0]);
		close(end2[0]);
		close(end2[1]);
	}
	assert_int_equal(nsunk, 5);
	assert_memory_equal(sunk, "hello", 5);
	dup2(saved, STDIN_FILENO);
	close(saved);
	close(in[0]);
	close(end[0]);
	close(end[1]);
}

/* The flush period: back off while the ring is found empty, back to the
 * shortest when writes were found or input came. */
static void test_flush_backoff(void **state)
{
	unsigned ms = HOST_CONSOLE_FLUSH_MS, seen[8];

	(void)state;
	for (unsigned i = 0; i < 8; i++)
		seen[i] = ms = host_console_next_flush_ms(ms, 0, false);
	assert_int_equal(seen[0], 2 * HOST_CONSOLE_FLUSH_MS);
	assert_int_equal(seen[1], 4 * HOST_CONSOLE_FLUSH_MS);
	assert_int_equal(seen[7], HOST_CONSOLE_FLUSH_MAX_MS); /* and no further */
	assert_int_equal(seen[6], HOST_CONSOLE_FLUSH_MAX_MS);
	assert_int_equal(host_console_next_flush_ms(ms, 3, false), HOST_CONSOLE_FLUSH_MS);
	assert_int_equal(host_console_next_flush_ms(ms, 0, true), HOST_CONSOLE_FLUSH_MS);
}

static unsigned nflush;
static unsigned flush_nothing(void *ctx)
{
	(void)ctx;
	nflush++;
	return 0;
}

/* Served for a second with no input and nothing to deliver, the console
 * asks for the guest's writes a few times, not every 50 ms (20 times). */
static void test_serve_idle_flushes(void **state)
{
	struct host_console c;
	int in[2], end[2], saved = dup(STDIN_FILENO);

	(void)state;
	assert_int_equal(pipe(in), 0); /* stdin: open, never written */
	assert_int_equal(pipe(end), 0);
	dup2(in[0], STDIN_FILENO);
	host_console_init(&c);
	c.sink = sink;
	c.flush = flush_nothing;
	nflush = 0;
	if (fork() == 0) {
		usleep(1000000);
		_exit(write(end[1], "x", 1) == 1 ? 0 : 1);
	}
	host_console_serve(&c, end[0]);
	/* 50+100+200+400 ms, then 800: 4 or 5 timeouts and the last wake. */
	assert_in_range(nflush, 1, 6);
	dup2(saved, STDIN_FILENO);
	close(saved);
	close(in[0]);
	close(in[1]);
	close(end[0]);
	close(end[1]);
}

static void test_cmdline_console(void **state)
{
	(void)state;
	assert_true(console_cmdline_is("console=hvc0", "hvc0"));
	assert_true(console_cmdline_is("console=ttyS0 quiet console=hvc0,115200", "hvc0"));
	assert_false(console_cmdline_is("console=hvc0 console=ttyS0", "hvc0")); /* the last wins */
	assert_false(console_cmdline_is("quiet", "hvc0"));
	assert_false(console_cmdline_is("console=hvc0x", "hvc0"));
	assert_true(console_cmdline_is("a=\"b c\" console=hvc0", "hvc0"));
	/* After "--" it is init's, not the kernel's. */
	assert_false(console_cmdline_is("quiet -- console=hvc0", "hvc0"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_serve_to_sink),
		cmocka_unit_test(test_cmdline_console),
		cmocka_unit_test(test_flush_backoff),
		cmocka_unit_test(test_serve_idle_flushes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
