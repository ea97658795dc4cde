/* src/sandbox: the allowlists' table, the filters in a child process (a
 * refused call ends it with status 9 and one line; log mode lets it
 * through and lists it; a child thread's calls pass its creator's
 * filter), and the jail's options and checks. */
#include <errno.h>
#include <pthread.h>
#include <seccomp.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "sandbox/allowlists.h"
#include "sandbox/jail.h"
#include "sandbox/seccomp.h"
#include "unit.h"

static bool in_list(enum thread_kind k, int nr)
{
	for (unsigned g = 0; g < ALLOWLIST_GROUPS; g++)
		for (const int *p = thread_allowlists[k].groups[g]; p && *p != ALLOWLIST_END; p++)
			if (*p == nr)
				return true;
	return false;
}

static void test_table(void **state)
{
	(void)state;
	for (unsigned k = 0; k < THREAD_KINDS; k++) {
		assert_non_null(thread_allowlists[k].name);
		for (unsigned j = 0; j < k; j++)
			assert_string_not_equal(thread_allowlists[k].name, thread_allowlists[j].name);
		/* What the SIGSYS handler needs in every thread. */
		assert_true(in_list(k, __NR_write));
		assert_true(in_list(k, __NR_exit_group));
		/* Every number is a system call libseccomp knows. */
		for (unsigned g = 0; g < ALLOWLIST_GROUPS; g++)
			for (const int *p = thread_allowlists[k].groups[g]; p && *p != ALLOWLIST_END; p++) {
				char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, *p);

				assert_non_null(name);
				free(name);
			}
	}
	/* No list has the call the tests use as the refused one. */
	for (unsigned k = 0; k < THREAD_KINDS; k++)
		assert_false(in_list(k, __NR_personality));
}

static void test_parse_mode(void **state)
{
	enum seccomp_mode m = SECCOMP_OFF;

	(void)state;
	assert_int_equal(seccomp_parse_mode("on", &m), 0);
	assert_int_equal(m, SECCOMP_ON);
	assert_int_equal(seccomp_parse_mode("log", &m), 0);
	assert_int_equal(m, SECCOMP_LOG);
	assert_int_equal(seccomp_parse_mode("off", &m), 0);
	assert_int_equal(m, SECCOMP_OFF);
	assert_int_equal(seccomp_parse_mode("On", &m), -1);
	assert_int_equal(seccomp_parse_mode("", &m), -1);
}

static void *io_worker(void *arg)
{
	long *r = arg;

	seccomp_enter(THREAD_IO_WORKER);
	/* In the I/O worker's list: passes the vCPU's filter it started under. */
	*r = syscall(__NR_io_uring_enter, -1, 0, 0, 0, NULL, 0) < 0 ? errno : 0;
	return NULL;
}

/* In a child: filters for KIND in MODE, then BODY; its status and
 * stderr (up to LEN bytes) for the caller. */
static int in_child(enum seccomp_mode mode, enum thread_kind kind, void (*body)(void), char *err, size_t len)
{
	int p[2], st = -1;
	ssize_t n;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(p[1], STDERR_FILENO);
		if (seccomp_setup(mode, NULL) < 0)
			_exit(100);
		seccomp_enter(kind);
		body();
		_exit(0);
	}
	close(p[1]);
	/* Everything the child wrote, until it ends (several writes). */
	for (size_t at = 0;; at += (size_t)n) {
		n = read(p[0], err + at, len - 1 - at);
		if (n <= 0) {
			err[at] = 0;
			break;
		}
	}
	close(p[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void refused_call(void)
{
	syscall(__NR_personality, 0xffffffffUL);
	fprintf(stderr, "ran on\n");
}

static void log_then_report(void)
{
	long r = syscall(__NR_personality, 0xffffffffUL);

	/* Made for real: the persona, not ENOSYS. */
	fprintf(stderr, "personality %s\n", r >= 0 ? "answered" : "failed");
	seccomp_report(stderr);
}

static void spawn_worker(void)
{
	pthread_t t;
	long r = -1;

	assert_int_equal(pthread_create(&t, NULL, io_worker, &r), 0);
	pthread_join(t, NULL);
	fprintf(stderr, "io_uring_enter: %s\n", r == EBADF ? "EBADF" : "other");
}

static void test_filters(void **state)
{
	char err[512];

	(void)state;
	assert_int_equal(in_child(SECCOMP_ON, THREAD_SAMPLER, refused_call, err, sizeof(err)), SECCOMP_EXIT_STATUS);
	assert_string_equal(err, "warden: seccomp: the sampler thread made a system call its list does not allow: "
				 "personality (135); the VM ends (status 9)\n");
	assert_int_equal(in_child(SECCOMP_OFF, THREAD_SAMPLER, refused_call, err, sizeof(err)), 0);
	assert_string_equal(err, "ran on\n");
	assert_int_equal(in_child(SECCOMP_LOG, THREAD_RTC, log_then_report, err, sizeof(err)), 0);
	assert_string_equal(err, "personality answered\n"
				 "warden: seccomp log: the rtc thread made calls its list does not allow: personality\n");
	assert_int_equal(in_child(SECCOMP_ON, THREAD_VCPU, spawn_worker, err, sizeof(err)), 0);
	assert_string_equal(err, "io_uring_enter: EBADF\n");
}

static void test_jail_options(void **state)
{
	struct jail_config j;
	char dir[] = "/tmp/warden-jail.XXXXXX";

	(void)state;
	assert_non_null(mkdtemp(dir));
	jail_config_init(&j);
	assert_int_equal(jail_check(&j), 0); /* no jail */
	assert_int_equal(jail_parse_option(&j, "jail-uid", "1000"), 0);
	assert_int_equal(jail_check(&j), -1); /* --jail-* without --jail */
	assert_int_equal(err_class(), ERR_USAGE);
	j.dir = "/nonexistent/warden-jail";
	assert_int_equal(jail_check(&j), -1);
	assert_int_equal(err_class(), ERR_USAGE);
	j.dir = dir;
	assert_int_equal(jail_check(&j), 0);
	assert_int_equal(jail_parse_option(&j, "jail-uid", "0"), 0);
	assert_int_equal(jail_check(&j), -1);
	assert_non_null(strstr(err_msg(), "--jail-uid 0"));
	assert_int_equal(jail_parse_option(&j, "jail-uid", "-5"), -1);
	assert_int_equal(jail_parse_option(&j, "jail-cpus", "0"), -1);
	assert_int_equal(jail_parse_option(&j, "jail-cpus", "1.5x"), -1);
	assert_int_equal(jail_parse_option(&j, "jail-cpus", "1.5"), 0);
	assert_int_equal(jail_parse_option(&j, "jail-nofile", "64"), 0);
	assert_int_equal(j.nofile, 64);
	/* Paths: absolute, and unchanged without a jail. */
	assert_int_equal(jail_parse_option(&j, "jail-uid", "1000"), 0);
	assert_string_equal(jail_add_path(&j, "/tmp/../tmp", false, false), "/tmp/../tmp");
	assert_int_equal(j.npaths, 1);
	assert_null(jail_add_path(&j, "/nonexistent/disk.img", false, false));
	assert_int_equal(err_class(), ERR_USAGE);
	assert_int_equal(jail_add_device(&j, "/tmp"), -1); /* not a character device */
	jail_config_init(&j);
	assert_string_equal(jail_add_path(&j, "rel/disk.img", true, false), "rel/disk.img");
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_parse_mode),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_jail_options),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
