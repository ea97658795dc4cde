/* The API's request checks and routing (src/api/body.c, router.c and the
 * resource handlers), without a socket: api_route on a fresh API. */
#include <json-c/json.h>

#include "api/api_state.h"
#include "api/body.h"
#include "unit.h"

static struct cli_options opts;
static struct api *api;

/* A fresh API on the options of `warden run`, with NDISKS --disk
 * /dev/null (the first one the root). */
static int start_api(unsigned ndisks)
{
	static const struct api_hooks no_hooks = { 0 };

	memset(&opts, 0, sizeof(opts));
	opts.cpus = 1;
	opts.mem_mib = 256;
	opts.virtio.ndisks = ndisks;
	for (unsigned i = 0; i < ndisks; i++)
		opts.virtio.disks[i] = (struct disk_spec){ .path = "/dev/null", .root = i == 0 };
	api = api_create(&opts, &no_hooks);
	return api ? 0 : -1;
}

static int setup(void **state)
{
	(void)state;
	return start_api(0);
}

/* A --disk from the command line is drive "disk0" to the API. */
static int setup_cli_disk(void **state)
{
	(void)state;
	return start_api(1);
}

/* METHOD PATH BODY: the status, and the fault message (or "") in MSG. */
static int req(const char *method, const char *path, const char *body, char *msg, size_t len)
{
	struct api_response r;
	json_object *f;

	api_route(api, method, path, body, body ? strlen(body) : 0, &r);
	f = r.body ? json_object_object_get(r.body, "fault_message") : NULL;
	snprintf(msg, len, "%s", f ? json_object_get_string(f) : "");
	if (r.status == 400 && !f)
		fail_msg("%s %s: 400 without a fault_message", method, path);
	json_object_put(r.body);
	return r.status;
}

static void expect_fault(const char *method, const char *path, const char *body, const char *substr)
{
	char msg[600];
	int st = req(method, path, body, msg, sizeof(msg));

	if (st != 400 || !strstr(msg, substr))
		fail_msg("%s %s %s: %d \"%s\", wanted 400 with \"%s\"", method, path, body ? body : "", st, msg,
			 substr);
}

static void expect_status(const char *method, const char *path, const char *body, int want)
{
	char msg[600];
	int st = req(method, path, body, msg, sizeof(msg));

	if (st != want)
		fail_msg("%s %s %s: %d \"%s\", wanted %d", method, path, body ? body : "", st, msg, want);
}

static void test_cli_disk(void **state)
{
	char msg[600];

	(void)state;
	assert_int_equal(req("GET", "/vm/config", NULL, msg, sizeof(msg)), 200);
	expect_status("PATCH", "/drives/disk0", "{\"drive_id\": \"disk0\", \"path_on_host\": \"/dev/zero\"}", 204);
	assert_string_equal(opts.virtio.disks[0].path, "/dev/zero");
	expect_fault("PUT", "/drives/r", "{\"drive_id\": \"r\", \"path_on_host\": \"/dev/null\", \"is_root_device\": true}",
		     "A root block device already exists!");
}

static int teardown(void **state)
{
	(void)state;
	api_destroy(api);
	api = NULL;
	return 0;
}

static void test_body_parse(void **state)
{
	static const char *const bad[] = { "", "{", "[1]", "3", "{} x", "{\"a\":}", "{\"a\":1,}",
					   "{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{\"h\":{}}}}}}}}}" };
	json_object *o;

	(void)state;
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o = body_parse(bad[i], strlen(bad[i]));
		if (o)
			fail_msg("body_parse took '%s'", bad[i]);
	}
	o = body_parse("{\"a\": 1}\n", 9);
	assert_non_null(o);
	json_object_put(o);
	/* A --config-file's bytes end without a NUL: nothing past LEN is read. */
	char *exact = malloc(8);
	assert_non_null(exact);
	memcpy(exact, "{\"a\": 1}", 8);
	o = body_parse(exact, 8);
	assert_non_null(o);
	json_object_put(o);
	free(exact);
	assert_null(body_parse("{} \0", 4)); /* a NUL after the object is not white space */
}

static void test_body_check(void **state)
{
	static const struct body_field f[] = { { "n", BODY_UINT, true }, { "s", BODY_STRING, false } };
	static const struct { const char *body, *msg; } cases[] = {
		{ "{\"n\": 1, \"x\": 2}", "unknown field 'x'" },
		{ "{\"n\": -1}", "'n' must be a non-negative integer" },
		{ "{\"n\": 1.5}", "'n' must be a non-negative integer" },
		{ "{\"n\": \"1\"}", "'n' must be a non-negative integer" },
		{ "{\"s\": \"a\"}", "missing field 'n'" },
		{ "{\"n\": 1, \"s\": 2}", "'s' must be a string" },
		{ "{\"n\": 1, \"s\": \"a\\u0000b\"}", "'s' holds a NUL" },
	};

	(void)state;
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_object *o = body_parse(cases[i].body, strlen(cases[i].body));

		assert_non_null(o);
		if (BODY_CHECK(o, f, "t") != -1 || !strstr(err_msg(), cases[i].msg))
			fail_msg("%s: \"%s\", wanted \"%s\"", cases[i].body, err_msg(), cases[i].msg);
		json_object_put(o);
	}
}

static void test_routes(void **state)
{
	(void)state;
	expect_fault("GET", "/nope", NULL, "Invalid request method and/or path: GET /nope.");
	expect_fault("DELETE", "/", NULL, "Invalid request method and/or path");
	expect_fault("PUT", "/version", "{}", "Invalid request method and/or path");
	expect_fault("PUT", "/drives/", "{}", "Invalid request method and/or path");
	expect_fault("PUT", "/drives/a/b", "{}", "Invalid request method and/or path");
	expect_fault("PUT", "/drives/bad-id", "{}", "is not 1 to 64 letters");
	expect_status("GET", "/", NULL, 200);
	expect_status("GET", "/version", NULL, 200);
}

static void test_machine_config(void **state)
{
	char msg[600];

	(void)state;
	expect_status("PUT", "/machine-config", "{\"vcpu_count\": 2, \"mem_size_mib\": 64}", 204);
	assert_int_equal(opts.cpus, 2);
	assert_int_equal(opts.mem_mib, 64);
	expect_fault("PUT", "/machine-config", "{\"vcpu_count\": 33, \"mem_size_mib\": 64}", "from 1 to 32");
	expect_fault("PUT", "/machine-config", "{\"vcpu_count\": 1, \"mem_size_mib\": 1}", "'mem_size_mib' is 1");
	expect_fault("PUT", "/machine-config", "{\"vcpu_count\": 1}", "missing field 'mem_size_mib'");
	expect_fault("PUT", "/machine-config", "{\"vcpu_count\": 1, \"mem_size_mib\": 64, \"smt\": true}", "smt");
	expect_fault("PUT", "/machine-config", "{\"vcpu_count\": 1, \"mem_size_mib\": 64, \"ht_enabled\": true}", "smt");
	expect_status("PUT", "/machine-config", "{\"vcpu_count\": 2, \"mem_size_mib\": 64, \"ht_enabled\": false}", 204);
	expect_fault("PUT", "/machine-config", "{\"vcpu_count\": 1, \"mem_size_mib\": 64, \"cpu_template\": \"T2\"}",
		     "cpu_template");
	assert_int_equal(opts.cpus, 2); /* a refused PUT changes nothing */
	assert_int_equal(req("GET", "/machine-config", NULL, msg, sizeof(msg)), 200);
}

static void test_drives(void **state)
{
	char body[512];
	uint8_t zero[512] = { 0 };
	char *path = u_write_temp(zero, sizeof(zero)), saved[64];

	(void)state;
	snprintf(saved, sizeof(saved), "%s", path);
	snprintf(body, sizeof(body), "{\"drive_id\": \"d1\", \"path_on_host\": \"%s\", \"is_root_device\": false}", saved);
	expect_status("PUT", "/drives/d1", body, 204);
	snprintf(body, sizeof(body), "{\"drive_id\": \"r\", \"path_on_host\": \"%s\", \"is_root_device\": true}", saved);
	expect_status("PUT", "/drives/r", body, 204);
	assert_int_equal(opts.virtio.ndisks, 2);
	assert_true(opts.virtio.disks[0].root); /* the root device comes first */
	assert_string_equal(opts.virtio.disks[1].id, "d1");
	snprintf(body, sizeof(body), "{\"drive_id\": \"r2\", \"path_on_host\": \"%s\", \"is_root_device\": true}", saved);
	expect_fault("PUT", "/drives/r2", body, "A root block device already exists!");
	expect_fault("PUT", "/drives/d2", body, "does not match the id from the body");
	expect_fault("PUT", "/drives/x", "{\"drive_id\": \"x\", \"path_on_host\": \"/nonexistent\", \"is_root_device\": false}",
		     "/nonexistent");
	snprintf(body, sizeof(body), "{\"drive_id\": \"d1\", \"path_on_host\": \"%s\", \"rate_limiter\": {\"ops\": {}}}", saved);
	expect_fault("PATCH", "/drives/d1", body, "/drives: rate_limiter.ops: missing field 'size'");
	/* Firecracker's TokenBucket, each field checked. */
	expect_fault("PATCH", "/drives/d1", "{\"drive_id\": \"d1\", \"rate_limiter\": {\"ops\": {\"size\": 1, \"refill_time\": -1}}}",
		     "rate_limiter.ops: field 'refill_time' must be a non-negative integer");
	expect_fault("PATCH", "/drives/d1", "{\"drive_id\": \"d1\", \"rate_limiter\": {\"bandwidth\": {\"size\": 9007199254740993, "
		     "\"refill_time\": 1}}}", "rate_limiter.bandwidth: field 'size' is 9007199254740993");
	expect_fault("PATCH", "/drives/d1", "{\"drive_id\": \"d1\", \"rate_limiter\": {\"ops\": {\"size\": 1, \"refill_time\": 1, "
		     "\"burst\": 3}}}", "rate_limiter.ops: unknown field 'burst'");
	expect_fault("PATCH", "/drives/d1", "{\"drive_id\": \"d1\", \"rate_limiter\": {\"ops\": 5}}",
		     "rate_limiter: field 'ops' must be an object");
	/* Before start a PATCH sets the limits the disk will start with; a
	 * bucket not named stays as it was. */
	expect_status("PATCH", "/drives/d1", "{\"drive_id\": \"d1\", \"rate_limiter\": {\"ops\": {\"size\": 10, "
		      "\"refill_time\": 100, \"one_time_burst\": 5}}}", 204);
	expect_status("PATCH", "/drives/d1", "{\"drive_id\": \"d1\", \"rate_limiter\": {\"bandwidth\": {\"size\": 4096, "
		      "\"refill_time\": 1000}}}", 204);
	assert_int_equal(opts.virtio.disks[1].rate.ops.size, 10);
	assert_int_equal(opts.virtio.disks[1].rate.ops.refill_ms, 100);
	assert_int_equal(opts.virtio.disks[1].rate.ops.burst, 5);
	assert_int_equal(opts.virtio.disks[1].rate.bw.size, 4096);
	/* What Kata sends for no limit. */
	snprintf(body, sizeof(body), "{\"drive_id\": \"d1\", \"path_on_host\": \"%s\", \"rate_limiter\": {}}", saved);
	expect_status("PATCH", "/drives/d1", body, 204);
	snprintf(body, sizeof(body), "{\"drive_id\": \"d9\", \"path_on_host\": \"%s\"}", saved);
	expect_fault("PATCH", "/drives/d9", body, "there is no drive 'd9'");
	assert_int_equal(opts.virtio.ndisks, 2);
	unlink(saved);
}

/* PUT /snapshot/load's network_overrides (Firecracker's NetworkOverride
 * array): every malformed one refused before the load is tried. */
static void net_override_fault(const char *overrides, const char *substr)
{
	char body[512];

	snprintf(body, sizeof(body), "{\"snapshot_path\": \"s\", \"mem_file_path\": \"m\", \"network_overrides\": %s}",
		 overrides);
	expect_fault("PUT", "/snapshot/load", body, substr);
}

static void test_net_overrides_bodies(void)
{
	net_override_fault("{}", "'network_overrides' must be an array");
	net_override_fault("[1]", "network_overrides[0] must be an object");
	net_override_fault("[{\"iface_id\": \"eth0\"}]", "missing field 'host_dev_name'");
	net_override_fault("[{\"host_dev_name\": \"t1\"}]", "missing field 'iface_id'");
	net_override_fault("[{\"iface_id\": \"eth0\", \"host_dev_name\": \"t1\", \"mac\": \"x\"}]",
			   "network_overrides[0]: unknown field 'mac'");
	net_override_fault("[{\"iface_id\": \"eth0\", \"host_dev_name\": 7}]", "'host_dev_name' must be a string");
	net_override_fault("[{\"iface_id\": \"eth0\", \"host_dev_name\": \"t1,mac=02:00:00:00:00:01\"}]",
			   "not an interface name");
	net_override_fault("[{\"iface_id\": \"eth0\", \"host_dev_name\": \"\"}]", "not an interface name");
	net_override_fault("[{\"iface_id\": \"eth0\", \"host_dev_name\": \"a23456789012345678\"}]",
			   "not an interface name");
	net_override_fault("[{\"iface_id\": \"eth-0\", \"host_dev_name\": \"t1\"}]", "not 1 to 64 letters");
	net_override_fault("[{\"iface_id\": \"eth0\", \"host_dev_name\": \"t1\"}, "
			   "{\"iface_id\": \"eth0\", \"host_dev_name\": \"t2\"}]", "names iface_id eth0 twice");
	net_override_fault("[{\"iface_id\": \"a\", \"host_dev_name\": \"t1\"}, {\"iface_id\": \"b\", "
			   "\"host_dev_name\": \"t2\"}, {\"iface_id\": \"c\", \"host_dev_name\": \"t3\"}]",
			   "has 3 entries");
	/* Well-formed: on to the load itself (no hook in this test). */
	net_override_fault("[{\"iface_id\": \"eth0\", \"host_dev_name\": \"t1\"}]", "not supported by this build");
	net_override_fault("[]", "not supported by this build");
	net_override_fault("null", "not supported by this build");
}

static void test_state_rules(void **state)
{
	(void)state;
	expect_fault("PUT", "/actions", "{\"action_type\": \"InstanceStart\"}", "without a boot source");
	expect_fault("PUT", "/actions", "{\"action_type\": \"Reboot\"}", "unknown action_type");
	expect_fault("PUT", "/actions", "{\"action_type\": \"SendCtrlAltDel\"}", "before starting");
	expect_fault("PUT", "/actions", "{\"action_type\": \"FlushMetrics\"}", "metrics are not configured");
	expect_fault("PATCH", "/vm", "{\"state\": \"Paused\"}", "before starting");
	expect_fault("PATCH", "/vm", "{\"state\": \"Stopped\"}", "Paused or Resumed");
	expect_fault("PUT", "/snapshot/create", "{\"snapshot_path\": \"s\", \"mem_file_path\": \"m\"}", "before starting");
	expect_fault("PUT", "/snapshot/load", "{\"snapshot_path\": \"s\"}", "exactly one of mem_file_path and mem_backend");
	expect_fault("PUT", "/snapshot/load", "{\"snapshot_path\": \"s\", \"mem_file_path\": \"m\"}",
		     "not supported by this build");
	test_net_overrides_bodies();
	expect_fault("PUT", "/vsock", "{\"guest_cid\": 2, \"uds_path\": \"/tmp/v\"}", "from 3 to");
	expect_fault("PUT", "/vsock", "{\"guest_cid\": 3, \"uds_path\": \"/tmp/v\"}", "not supported by this build");
	expect_fault("PUT", "/entropy", "{\"rate_limiter\": {\"bandwidth\": {\"size\": 1}}}",
		     "/entropy: rate_limiter.bandwidth: missing field 'refill_time'");
	expect_fault("PUT", "/entropy", "{\"rate_limiter\": {\"burst\": 1}}", "unknown field 'burst'");
	expect_status("PUT", "/entropy", "{\"rate_limiter\": {\"bandwidth\": {\"size\": 1024, \"refill_time\": 100}}}", 204);
	assert_true(opts.virtio.rng);
	assert_int_equal(opts.virtio.rng_rate.bw.size, 1024);
	assert_int_equal(opts.virtio.rng_rate.bw.refill_ms, 100);
	expect_fault("PUT", "/logger", "{\"level\": \"Loud\"}", "level must be");
	expect_fault("PUT", "/network-interfaces/n1", "{\"iface_id\": \"n1\", \"host_dev_name\": \"a,mac=1\"}",
		     "not an interface name");
	expect_fault("PUT", "/network-interfaces/n1",
		     "{\"iface_id\": \"n1\", \"host_dev_name\": \"tap0\", \"guest_mac\": \"01:00:00:00:00:00\"}",
		     "not a unicast MAC");
	/* Kata's interface: no-limit rate limiters, MMDS off (Firecracker 0.x). */
	expect_status("PUT", "/network-interfaces/n1", "{\"iface_id\": \"n1\", \"host_dev_name\": \"tap0\", "
		      "\"rx_rate_limiter\": {}, \"tx_rate_limiter\": {}, \"allow_mmds_requests\": false}", 204);
	expect_fault("PUT", "/network-interfaces/n1", "{\"iface_id\": \"n1\", \"host_dev_name\": \"tap0\", "
		     "\"allow_mmds_requests\": true}", "no MMDS");
	expect_fault("PUT", "/network-interfaces/n2", "{\"iface_id\": \"n2\", \"host_dev_name\": \"tap0\"}", "in use");
	expect_status("PUT", "/network-interfaces/n1", "{\"iface_id\": \"n1\", \"host_dev_name\": \"tap0\", "
		      "\"tx_rate_limiter\": {\"ops\": {\"size\": 100, \"refill_time\": 1000}}}", 204);
	assert_int_equal(opts.virtio.nets[0].tx_rate.ops.size, 100);
	assert_false(rate_spec_limits(&opts.virtio.nets[0].rx_rate));
	/* PATCH: each way on its own; size 0 takes a limit away. */
	expect_status("PATCH", "/network-interfaces/n1", "{\"iface_id\": \"n1\", \"rx_rate_limiter\": {\"bandwidth\": "
		      "{\"size\": 65536, \"refill_time\": 10}}}", 204);
	assert_int_equal(opts.virtio.nets[0].rx_rate.bw.size, 65536);
	assert_int_equal(opts.virtio.nets[0].tx_rate.ops.size, 100);
	expect_status("PATCH", "/network-interfaces/n1", "{\"iface_id\": \"n1\", \"tx_rate_limiter\": {\"ops\": "
		      "{\"size\": 0, \"refill_time\": 0}}}", 204);
	assert_false(rate_spec_limits(&opts.virtio.nets[0].tx_rate));
	expect_fault("PATCH", "/network-interfaces/n9", "{\"iface_id\": \"n9\"}", "there is no interface 'n9'");
	expect_fault("PATCH", "/network-interfaces/n1", "{\"iface_id\": \"n1\", \"host_dev_name\": \"tap1\"}",
		     "unknown field 'host_dev_name'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_body_parse),
		cmocka_unit_test(test_body_check),
		cmocka_unit_test_setup_teardown(test_routes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_machine_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drives, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cli_disk, setup_cli_disk, teardown),
	};

	return cmocka_run_group_tests_name("api", tests, NULL, NULL);
}
