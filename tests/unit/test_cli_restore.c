/* --restore and the snapshot options (src/cli/cli.c): what a restore may
 * say itself, and the snapshot's arguments with the user's new disk
 * paths and tap names in place (cli_restore_args). */
#include "cli/cli.h"
#include "unit.h"

static int parse(struct cli_options *o, const char *const *args)
{
	char *argv[32];
	int argc = 0;

	while (args[argc]) {
		argv[argc] = (char *)args[argc];
		argc++;
	}
	argv[argc] = NULL;
	return cli_parse(argc, argv, o, stdout, 0);
}

static void test_restore_takes_only_its_options(void **state)
{
	struct cli_options o;
	const char *ok[] = { "warden", "run", "--restore", "D", "--disk", "new.img", "--net", "tap=t1",
			     "--stats", "s.json", "--verbose", "--snapshot-dir", "E", "--snapshot-then", "exit", NULL };
	const char *mem[] = { "warden", "run", "--restore", "D", "--mem", "64", NULL };
	const char *cpus[] = { "warden", "run", "--cpus=2", "--restore", "D", NULL };
	const char *then[] = { "warden", "run", "--snapshot-then", "later", NULL };

	(void)state;
	assert_int_equal(parse(&o, ok), CLI_RUN);
	assert_string_equal(o.restore, "D");
	assert_string_equal(o.snapshot_dir, "E");
	assert_true(o.snapshot_exit);
	assert_int_equal(parse(&o, mem), -1);
	assert_int_equal(err_class(), ERR_USAGE);
	assert_string_equal(err_msg(), "--mem: with --restore the machine is the snapshot's");
	assert_int_equal(parse(&o, cpus), -1);
	assert_string_equal(err_msg(), "--cpus: with --restore the machine is the snapshot's");
	assert_int_equal(parse(&o, then), -1);
	assert_non_null(strstr(err_msg(), "--snapshot-then takes resume or exit"));
}

static void test_restore_args_replace_in_order(void **state)
{
	struct cli_options user;
	char *snap[] = { "warden", "run", "--mem", "64", "--disk", "a.img,ro,id=x", "--disk=b.img",
			 "--net", "mac=02:00:00:00:00:01,tap=old0", "--cpus", "2", NULL };
	const char *args[] = { "warden", "run", "--restore", "D", "--disk", "A.img", "--disk", "B.img",
			       "--net", "tap=new0", NULL };
	const char *one[] = { "warden", "run", "--restore", "D", "--disk", "A.img", NULL };
	char **out;

	(void)state;
	assert_int_equal(parse(&user, args), CLI_RUN);
	assert_int_equal(cli_restore_args(11, snap, &user, &out), 0);
	assert_string_equal(out[2], "--mem");
	assert_string_equal(out[5], "A.img,ro,id=x");  /* the flags stay */
	assert_string_equal(out[6], "--disk=B.img");   /* the = form */
	assert_string_equal(out[8], "tap=new0,mac=02:00:00:00:00:01");
	assert_string_equal(out[10], "2");
	assert_null(out[11]);
	cli_restore_args_free(out, 11, snap);
	/* Fewer given: the rest stay the snapshot's. */
	assert_int_equal(parse(&user, one), CLI_RUN);
	assert_int_equal(cli_restore_args(11, snap, &user, &out), 0);
	assert_string_equal(out[5], "A.img,ro,id=x");
	assert_string_equal(out[6], "--disk=b.img");
	assert_string_equal(out[8], "mac=02:00:00:00:00:01,tap=old0");
	cli_restore_args_free(out, 11, snap);
}

static void test_restore_args_more_than_snapshot(void **state)
{
	struct cli_options user;
	char *snap[] = { "warden", "run", "--disk", "a.img", NULL };
	const char *args[] = { "warden", "run", "--restore", "D", "--disk", "A", "--disk", "B", NULL };
	char **out;

	(void)state;
	assert_int_equal(parse(&user, args), CLI_RUN);
	assert_int_equal(cli_restore_args(4, snap, &user, &out), -1);
	assert_int_equal(err_class(), ERR_USAGE);
	assert_string_equal(err_msg(), "--restore: 2 --disk and 0 --net given, the snapshot has 1 and 0");
}

/* cli_machine_args: the command line without what the API sets, then the
 * options as the API left them; parsed again, the same machine. */
static void test_machine_args_round_trip(void **state)
{
	struct cli_options o, back;
	char *argv[] = { "warden", "run", "--api-sock", "/s", "--mem", "64", "--nested", "--disk=old.img",
			 "--transport", "pci", "--cmdline", "a b", "--stats", "x.json", "--metadata", "m.json", NULL };
	char **out;
	int n;

	(void)state;
	assert_int_equal(cli_parse(16, argv, &o, stdout, 0), CLI_RUN);
	/* What the API's PUTs would do. */
	o.kernel = "/k";
	o.cmdline = NULL;
	o.cpus = 2;
	o.mem_mib = 32;
	o.virtio.disks[0] = (struct disk_spec){ .path = "root.img", .root = true, .readonly = true, .id = "rootfs" };
	o.virtio.disks[1] = (struct disk_spec){ .path = "b.img", .queues = 2, .poll_us = 7,
						.rate = { .bw = { 1048576, 1000, 4096 }, .ops = { 100, 10, 0 } } };
	o.virtio.ndisks = 2;
	assert_int_equal(virtio_parse_net("tap=t0,mac=02:00:00:00:00:09,id=eth_0,vhost=auto", &o.virtio.nets[0]), 0);
	assert_int_equal(virtio_parse_net("tap=t1,rx-bw=65536/100,tx-ops=1000/1000/50,mmds=on", &o.virtio.nets[1]), 0);
	o.virtio.nnets = 2;
	o.virtio.mmds_spec = (struct mmds_spec){ .version = MMDS_V2, .ipv4 = 0xa9fe0102, .imds_compat = true };
	o.virtio.rng = true;
	o.virtio.rng_rate = (struct rate_spec){ .ops = { 9, 90, 0 } };
	assert_int_equal(virtio_vsock_spec(&o.virtio.vsock, 7, "/v.sock"), 0);
	assert_int_equal(cli_machine_args(16, argv, &o, &out, &n), 0);
	assert_null(out[n]);
	for (int i = 0; i < n; i++) /* the API's own options are gone */
		assert_null(strstr(out[i], "api-sock"));
	assert_int_equal(cli_parse(n, out, &back, stdout, 0), CLI_RUN);
	assert_string_equal(back.kernel, "/k");
	assert_null(back.cmdline);
	assert_null(back.api_sock);
	assert_true(back.nested);
	assert_int_equal(back.virtio.transport, VIRTIO_TRANSPORT_PCI);
	assert_string_equal(back.stats_json, "x.json");
	assert_int_equal(back.cpus, 2);
	assert_int_equal(back.mem_mib, 32);
	assert_int_equal(back.virtio.ndisks, 2);
	assert_string_equal(back.virtio.disks[0].path, "root.img,ro,root,id=rootfs");
	assert_true(back.virtio.disks[0].root && back.virtio.disks[0].readonly);
	assert_string_equal(back.virtio.disks[0].id, "rootfs");
	assert_int_equal(back.virtio.disks[1].queues, 2);
	assert_int_equal(back.virtio.disks[1].poll_us, 7);
	assert_memory_equal(&back.virtio.disks[1].rate, &o.virtio.disks[1].rate, sizeof(struct rate_spec));
	assert_memory_equal(&back.virtio.nets[0], &o.virtio.nets[0], sizeof(struct net_spec));
	assert_memory_equal(&back.virtio.nets[1], &o.virtio.nets[1], sizeof(struct net_spec)); /* its limits too */
	assert_true(back.virtio.nets[1].mmds);
	/* The metadata service's settings are the machine's, its data not. */
	assert_memory_equal(&back.virtio.mmds_spec, &o.virtio.mmds_spec, sizeof(struct mmds_spec));
	assert_null(back.metadata);
	assert_true(back.virtio.rng);
	assert_memory_equal(&back.virtio.rng_rate, &o.virtio.rng_rate, sizeof(struct rate_spec));
	assert_memory_equal(&back.virtio.vsock, &o.virtio.vsock, sizeof(struct vsock_spec));
	cli_machine_args_free(out, n);
}

/* The default transport depends on --api-sock (mmio) and is pci without
 * it: the arguments a restore parses, which have no --api-sock, must
 * still say mmio. */
static void test_machine_args_keep_transport(void **state)
{
	struct cli_options o, back;
	char *argv[] = { "warden", "run", "--api-sock", "/s", NULL };
	char **out;
	int n;

	(void)state;
	assert_int_equal(cli_parse(4, argv, &o, stdout, 0), CLI_RUN);
	assert_int_equal(o.virtio.transport, VIRTIO_TRANSPORT_MMIO);
	o.kernel = "/k";
	assert_int_equal(cli_machine_args(4, argv, &o, &out, &n), 0);
	assert_int_equal(cli_parse(n, out, &back, stdout, 0), CLI_RUN);
	assert_int_equal(back.virtio.transport, VIRTIO_TRANSPORT_MMIO);
	cli_machine_args_free(out, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_restore_takes_only_its_options),
		cmocka_unit_test(test_restore_args_replace_in_order),
		cmocka_unit_test(test_restore_args_more_than_snapshot),
		cmocka_unit_test(test_machine_args_round_trip),
		cmocka_unit_test(test_machine_args_keep_transport),
	};

	return cmocka_run_group_tests_name("cli_restore", tests, NULL, NULL);
}
