/* warden under Firecracker's names (src/cli/fc_names.c): `firecracker`
 * and `jailer` read as `warden run` and `warden jailer`, and
 * `firecracker --version` answers in the line format Kata's driver parses. */
#include "cli/fc_names.h"
#include "unit.h"

/* Kata's reading of `--version`: the first line's second word without a
 * leading 'v', compared as a semantic version against 0.21.1. */
static int kata_accepts(const char *text)
{
	char line[128], *word;
	unsigned maj, min, pat;
	size_t n = strcspn(text, "\n");

	assert_true(n < sizeof(line));
	memcpy(line, text, n);
	line[n] = '\0';
	word = strchr(line, ' ');
	if (!word)
		return 0;
	word++;
	if (*word == 'v')
		word++;
	if (sscanf(word, "%u.%u.%u", &maj, &min, &pat) != 3)
		return 0;
	return maj > 0 || min > 21 || (min == 21 && pat >= 1);
}

static enum fc_names_result call(const char *const *args, int *argc, char ***argv, char **buf, char *out,
				 size_t outlen)
{
	FILE *f = fmemopen(out, outlen, "w");
	enum fc_names_result r;

	assert_non_null(f);
	*argc = 0;
	while (args[*argc])
		(*argc)++;
	*argv = (char **)args;
	memset(out, 0, outlen);
	r = fc_names(argc, argv, buf, f);
	fclose(f);
	return r;
}

static void test_firecracker_version_is_katas_format(void **state)
{
	const char *args[] = { "/usr/local/bin/firecracker", "--version", NULL };
	char *buf[8], out[256], **argv;
	int argc;

	(void)state;
	assert_int_equal(call(args, &argc, &argv, buf, out, sizeof(out)), FC_NAMES_DONE);
	assert_true(strncmp(out, "Firecracker v", 13) == 0);
	assert_true(kata_accepts(out));
	assert_non_null(strstr(out, "warden "));
}

static void test_firecracker_runs(void **state)
{
	const char *args[] = { "firecracker", "--api-sock", "S", "--config-file", "F", NULL };
	char *buf[8], out[16], **argv;
	int argc;

	(void)state;
	assert_int_equal(call(args, &argc, &argv, buf, out, sizeof(out)), FC_NAMES_REWROTE);
	assert_int_equal(argc, 6);
	assert_string_equal(argv[0], "warden");
	assert_string_equal(argv[1], "run");
	assert_string_equal(argv[2], "--api-sock");
	assert_string_equal(argv[5], "F");
	assert_null(argv[6]);
	assert_string_equal(out, ""); /* nothing printed */
}

static void test_jailer_is_warden_jailer(void **state)
{
	const char *args[] = { "./jailer", "--id", "x", "--", "--config-file", "F", NULL };
	char *buf[9], out[16], **argv;
	int argc;

	(void)state;
	assert_int_equal(call(args, &argc, &argv, buf, out, sizeof(out)), FC_NAMES_REWROTE);
	assert_int_equal(argc, 7);
	assert_string_equal(argv[1], "jailer");
	assert_string_equal(argv[2], "--id");
	assert_string_equal(argv[6], "F");
}

static void test_other_names_untouched(void **state)
{
	const char *warden[] = { "/usr/bin/warden", "--version", NULL };
	const char *lookalike[] = { "/opt/firecracker/warden", "run", NULL };
	const char *prefix[] = { "firecracker-v1", "--version", NULL };
	char *buf[8], out[16], **argv;
	int argc;

	(void)state;
	assert_int_equal(call(warden, &argc, &argv, buf, out, sizeof(out)), FC_NAMES_NONE);
	assert_ptr_equal(argv, (char **)warden);
	assert_int_equal(argc, 2);
	assert_int_equal(call(lookalike, &argc, &argv, buf, out, sizeof(out)), FC_NAMES_NONE);
	assert_int_equal(call(prefix, &argc, &argv, buf, out, sizeof(out)), FC_NAMES_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_firecracker_version_is_katas_format),
		cmocka_unit_test(test_firecracker_runs),
		cmocka_unit_test(test_jailer_is_warden_jailer),
		cmocka_unit_test(test_other_names_untouched),
	};

	return cmocka_run_group_tests_name("fc_names", tests, NULL, NULL);
}
