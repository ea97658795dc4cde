/* The Linux guest's command line: warden's defaults and the user's words
 * (src/boot/cmdline.c). */
#include "boot/cmdline.h"
#include "unit.h"

static const char *compose(const char *defaults, const char *user)
{
	static char out[512];

	err_clear();
	assert_int_equal(cmdline_compose(out, sizeof(out), defaults, user), 0);
	return out;
}

static void test_no_user_words_keeps_the_defaults(void **state)
{
	(void)state;
	assert_string_equal(compose(CMDLINE_MACHINE, NULL), CMDLINE_MACHINE);
	assert_string_equal(compose(CMDLINE_MACHINE, ""), CMDLINE_MACHINE);
	assert_string_equal(compose(CMDLINE_MACHINE, "   "), CMDLINE_MACHINE);
}

/* The issue: a --cmdline without panic=-1 must not lose it. */
static void test_user_words_are_appended(void **state)
{
	(void)state;
	assert_string_equal(compose(CMDLINE_MACHINE, "init=/bin/sh"),
			    "console=ttyS0 panic=-1 pci=off 8250.nr_uarts=1 init=/bin/sh");
	assert_string_equal(compose("a=1", "  b  c=\"x y\"  "), "a=1 b c=\"x y\"");
}

static void test_user_key_replaces_the_default(void **state)
{
	(void)state;
	assert_string_equal(compose(CMDLINE_MACHINE, "panic=0"),
			    "console=ttyS0 pci=off 8250.nr_uarts=1 panic=0");
	/* Every console= of warden's goes: the user's are the consoles. */
	assert_string_equal(compose(CMDLINE_MACHINE, "console=hvc0"),
			    "panic=-1 pci=off 8250.nr_uarts=1 console=hvc0");
	assert_string_equal(compose(CMDLINE_MACHINE, "console=ttyS0,115200 console=hvc0"),
			    "panic=-1 pci=off 8250.nr_uarts=1 console=ttyS0,115200 console=hvc0");
	/* '-' and '_' are the same in a key, as the kernel compares them. */
	assert_string_equal(compose(CMDLINE_MACHINE, "8250.nr-uarts=4"),
			    "console=ttyS0 panic=-1 pci=off 8250.nr-uarts=4");
	/* The user's full line (the emulated tier's cases): nothing doubled. */
	assert_string_equal(compose(CMDLINE_DEFAULT_GUEST, CMDLINE_DEFAULT_GUEST " x=1"),
			    CMDLINE_DEFAULT_GUEST " x=1");
}

static void test_key_groups(void **state)
{
	(void)state;
	assert_string_equal(compose("root=/dev/vda ro", "rw"), "root=/dev/vda rw");
	assert_string_equal(compose("console=ttyS0 quiet", "loglevel=7"), "console=ttyS0 loglevel=7");
	assert_string_equal(compose("quiet panic=-1", "debug"), "panic=-1 debug");
	/* A key that only starts like a default's is another key. */
	assert_string_equal(compose("panic=-1", "panic_on_warn=1"), "panic=-1 panic_on_warn=1");
	assert_string_equal(compose("root=/dev/vda", "rootwait"), "root=/dev/vda rootwait");
}

/* Quoted values and init's arguments after "--" are not keys. */
static void test_quotes_and_init_arguments(void **state)
{
	(void)state;
	assert_string_equal(compose("panic=-1 quiet", "warden.run=\"echo panic=0 quiet\""),
			    "panic=-1 quiet warden.run=\"echo panic=0 quiet\"");
	assert_string_equal(compose("panic=-1", "\"panic=1\""), "\"panic=1\"");
	assert_string_equal(compose("panic=-1", "x -- panic=0"), "panic=-1 x -- panic=0");
	assert_true(cmdline_has_key("a \"b=c d\" e", "b"));
	assert_false(cmdline_has_key("a -- b", "b"));
	assert_false(cmdline_has_key(NULL, "b"));
}

static void test_too_long_is_a_user_error(void **state)
{
	char small[16], big[600];

	(void)state;
	assert_user_error(cmdline_compose(small, sizeof(small), "console=ttyS0", "panic=-1"), "longer than 15");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	assert_user_error(cmdline_compose(small, sizeof(small), NULL, big), "--cmdline");
	/* Exactly full fits. */
	assert_int_equal(cmdline_compose(small, sizeof(small), "a=12345", "b=12345"), 0);
	assert_string_equal(small, "a=12345 b=12345");
}

static void test_defaults(void **state)
{
	struct cmdline_machine m = { .root_disk = -1 };
	char out[256];

	(void)state;
	assert_int_equal(cmdline_defaults(out, sizeof(out), &m), 0);
	assert_string_equal(out, CMDLINE_MACHINE);
	m.default_guest = true;
	assert_int_equal(cmdline_defaults(out, sizeof(out), &m), 0);
	assert_string_equal(out, CMDLINE_DEFAULT_GUEST);
	m.root_disk = 0;
	assert_int_equal(cmdline_defaults(out, sizeof(out), &m), 0);
	assert_string_equal(out, CMDLINE_DEFAULT_GUEST " root=/dev/vda");
	m = (struct cmdline_machine){ .root_disk = 2, .root_ro = true };
	assert_int_equal(cmdline_defaults(out, sizeof(out), &m), 0);
	assert_string_equal(out, CMDLINE_MACHINE " root=/dev/vdc ro");
	/* A user's root= wins over the root disk's. */
	assert_string_equal(compose(out, "root=LABEL=x"), CMDLINE_MACHINE " ro root=LABEL=x");
	assert_user_error(cmdline_defaults(out, 8, &m), "does not fit");
	/* virtio on PCI: the guest must scan the bus. */
	m = (struct cmdline_machine){ .root_disk = -1, .default_guest = true, .pci_bus = true };
	assert_int_equal(cmdline_defaults(out, sizeof(out), &m), 0);
	assert_string_equal(out, "console=ttyS0 quiet panic=-1 8250.nr_uarts=1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_user_words_keeps_the_defaults),
		cmocka_unit_test(test_user_words_are_appended),
		cmocka_unit_test(test_user_key_replaces_the_default),
		cmocka_unit_test(test_key_groups),
		cmocka_unit_test(test_quotes_and_init_arguments),
		cmocka_unit_test(test_too_long_is_a_user_error),
		cmocka_unit_test(test_defaults),
	};

	return cmocka_run_group_tests_name("cmdline", tests, NULL, NULL);
}
