/* The API's request checks and routing (src/api/body.c, router.c and the
 * resource handlers), without a socket: api_route on a fresh API. */
#include <json-c/json.h>

#include "api/api_state.h"
#include "api/body.h"
#include "mmds/mmds.h"
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
	static const char *const bad[] = { "", "{", "[1]", "3", "{} x", "{\"a\":}", "{\"a\":1,}" };
	char deep[33 * 6 + 3] = "", ok[32 * 6 + 3] = "";
	json_object *o;

	(void)state;
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o = body_parse(bad[i], strlen(bad[i]));
		if (o)
			fail_msg("body_parse took '%s'", bad[i]);
	}
	/* Nesting: 32 objects deep is taken (a metadata store's), 33 not. */
	for (int i = 0; i < 32; i++)
		strcat(deep, "{\"a\":");
	strcat(deep, "{}");
	for (int i = 0; i < 32; i++)
		strcat(deep, "}");
	memcpy(ok, deep + 5, strlen(deep) - 6); /* one level less */
	assert_null(body_parse(deep, strlen(deep)));
	o = body_parse(ok, strlen(ok));
	assert_non_null(o);
	json_object_put(o);
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
	/* No store in this API: no MMDS through an interface either. */
	expect_fault("PUT", "/network-interfaces/n1", "{\"iface_id\": \"n1\", \"host_dev_name\": \"tap0\", "
		     "\"allow_mmds_requests\": true}", "/network-interfaces: MMDS is not available (allow_mmds_requests)");
	assert_false(opts.virtio.nets[0].mmds);
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

/* The MMDS endpoints: an API whose options carry a store, as main makes. */
static struct mmds *store;

static int setup_mmds(void **state)
{
	(void)state;
	if (start_api(0) < 0 || !(store = mmds_new(MMDS_DEFAULT_SIZE_LIMIT)))
		return -1;
	opts.virtio.mmds = store;
	return 0;
}

static int teardown_mmds(void **state)
{
	teardown(state);
	mmds_free(store);
	store = NULL;
	return 0;
}

/* A 400 whose fault message is exactly MSG. */
static void expect_fault_exact(const char *method, const char *path, const char *body, const char *want)
{
	char msg[600];
	int st = req(method, path, body, msg, sizeof(msg));

	if (st != 400 || strcmp(msg, want) != 0)
		fail_msg("%s %s %s: %d \"%s\", wanted 400 with \"%s\"", method, path, body ? body : "", st, msg, want);
}

/* METHOD PATH BODY must answer 200: its JSON as compact text in OUT. */
static void expect_json(const char *method, const char *path, const char *body, char *out, size_t len)
{
	struct api_response r;

	api_route(api, method, path, body, body ? strlen(body) : 0, &r);
	if (r.status != 200 || !r.body)
		fail_msg("%s %s: %d, wanted 200 with a body", method, path, r.status);
	snprintf(out, len, "%s",
		 json_object_to_json_string_ext(r.body, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(r.body);
}

/* GET /vm/config's "mmds-config", as compact text ("null" when absent). */
static void vm_config_mmds(char *out, size_t len)
{
	char text[4096];
	json_object *o, *m;

	expect_json("GET", "/vm/config", NULL, text, sizeof(text));
	o = json_tokener_parse(text);
	assert_non_null(o);
	if (!json_object_object_get_ex(o, "mmds-config", &m))
		fail_msg("GET /vm/config has no mmds-config: %s", text);
	snprintf(out, len, "%s", m ? json_object_to_json_string_ext(m, JSON_C_TO_STRING_PLAIN) : "null");
	json_object_put(o);
}

static void add_ifaces(void)
{
	expect_status("PUT", "/network-interfaces/n1", "{\"iface_id\": \"n1\", \"host_dev_name\": \"tap0\"}", 204);
	expect_status("PUT", "/network-interfaces/n2", "{\"iface_id\": \"n2\", \"host_dev_name\": \"tap1\"}", 204);
}

static void test_mmds_config(void **state)
{
	char m[1024];

	(void)state;
	add_ifaces();
	vm_config_mmds(m, sizeof(m));
	assert_string_equal(m, "null");
	expect_status("PUT", "/mmds/config", "{\"network_interfaces\": [\"n2\"]}", 204);
	assert_false(opts.virtio.nets[0].mmds);
	assert_true(opts.virtio.nets[1].mmds);
	assert_int_equal(opts.virtio.mmds_spec.version, MMDS_V1);
	assert_int_equal(opts.virtio.mmds_spec.ipv4, 0);
	assert_false(opts.virtio.mmds_spec.imds_compat);
	vm_config_mmds(m, sizeof(m));
	assert_string_equal(m, "{\"version\":\"V1\",\"network_interfaces\":[\"n2\"],\"ipv4_address\":\"169.254.169.254\","
			       "\"imds_compat\":false}");
	expect_status("PUT", "/mmds/config", "{\"network_interfaces\": [\"n1\", \"n2\"], \"version\": \"V2\", "
		      "\"ipv4_address\": \"169.254.1.2\", \"imds_compat\": true}", 204);
	assert_true(opts.virtio.nets[0].mmds);
	assert_true(opts.virtio.nets[1].mmds);
	assert_int_equal(opts.virtio.mmds_spec.version, MMDS_V2);
	assert_int_equal(opts.virtio.mmds_spec.ipv4, 0xa9fe0102);
	assert_int_equal(mmds_get_version(store), MMDS_V2);
	assert_true(mmds_imds_compat(store));
	vm_config_mmds(m, sizeof(m));
	assert_string_equal(m, "{\"version\":\"V2\",\"network_interfaces\":[\"n1\",\"n2\"],\"ipv4_address\":\"169.254.1.2\","
			       "\"imds_compat\":true}");
	/* The interfaces not named lose it; null fields take the defaults. */
	expect_status("PUT", "/mmds/config", "{\"network_interfaces\": [\"n1\"], \"version\": null, \"ipv4_address\": null}",
		      204);
	assert_true(opts.virtio.nets[0].mmds);
	assert_false(opts.virtio.nets[1].mmds);
	assert_int_equal(mmds_get_version(store), MMDS_V1);
	assert_false(mmds_imds_compat(store));
	vm_config_mmds(m, sizeof(m));
	assert_string_equal(m, "{\"version\":\"V1\",\"network_interfaces\":[\"n1\"],\"ipv4_address\":\"169.254.169.254\","
			       "\"imds_compat\":false}");
}

static void test_mmds_config_faults(void **state)
{
	static const struct { const char *body, *msg; } cases[] = {
		{ "{\"network_interfaces\": []}",
		  "The list of network interface IDs that allow forwarding MMDS requests is empty." },
		{ "{\"network_interfaces\": [\"n1\", \"n9\"]}",
		  "The list of network interface IDs provided contains at least one ID that does not correspond to any "
		  "existing network interface." },
		{ "{\"network_interfaces\": [\"n1\\u0000x\"]}",
		  "The list of network interface IDs provided contains at least one ID that does not correspond to any "
		  "existing network interface." },
		{ "{\"network_interfaces\": [\"n1\", 1]}", "/mmds/config: network_interfaces[1] must be a string" },
		{ "{\"network_interfaces\": \"n1\"}", "/mmds/config: field 'network_interfaces' must be an array" },
		{ "{\"version\": \"V2\"}", "/mmds/config: missing field 'network_interfaces'" },
		{ "{\"network_interfaces\": [\"n2\"], \"version\": \"V3\"}", "/mmds/config: version 'V3' is not V1 or V2" },
		{ "{\"network_interfaces\": [\"n2\"], \"version\": \"v2\"}", "/mmds/config: version 'v2' is not V1 or V2" },
		{ "{\"network_interfaces\": [\"n2\"], \"version\": 2}", "/mmds/config: field 'version' must be a string" },
		{ "{\"network_interfaces\": [\"n2\"], \"ipv4_address\": \"10.0.0.1\"}", "The MMDS IPv4 address is not link local." },
		{ "{\"network_interfaces\": [\"n2\"], \"ipv4_address\": \"169.254.0.9\"}", "The MMDS IPv4 address is not link local." },
		{ "{\"network_interfaces\": [\"n2\"], \"ipv4_address\": \"169.254.255.9\"}",
		  "The MMDS IPv4 address is not link local." },
		{ "{\"network_interfaces\": [\"n2\"], \"ipv4_address\": \"169.254.169\"}",
		  "/mmds/config: ipv4_address '169.254.169' is not an IPv4 address" },
		{ "{\"network_interfaces\": [\"n2\"], \"ipv4_address\": \"169.254.1.01\"}",
		  "/mmds/config: ipv4_address '169.254.1.01' is not an IPv4 address" },
		{ "{\"network_interfaces\": [\"n2\"], \"imds_compat\": \"yes\"}", "/mmds/config: field 'imds_compat' must be a boolean" },
		{ "{\"network_interfaces\": [\"n2\"], \"ipv4\": \"169.254.1.1\"}", "/mmds/config: unknown field 'ipv4'" },
	};

	(void)state;
	add_ifaces();
	expect_status("PUT", "/mmds/config", "{\"network_interfaces\": [\"n1\"], \"version\": \"V2\", "
		      "\"ipv4_address\": \"169.254.1.1\"}", 204);
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_fault_exact("PUT", "/mmds/config", cases[i].body, cases[i].msg);
	/* A refused request changes nothing. */
	assert_true(opts.virtio.nets[0].mmds);
	assert_false(opts.virtio.nets[1].mmds);
	assert_int_equal(opts.virtio.mmds_spec.version, MMDS_V2);
	assert_int_equal(opts.virtio.mmds_spec.ipv4, 0xa9fe0101);
	assert_int_equal(mmds_get_version(store), MMDS_V2);
	/* Once started: the config no more, the data store still. */
	api->phase = API_RUNNING;
	expect_fault_exact("PUT", "/mmds/config", "{\"network_interfaces\": [\"n2\"]}",
			   "The requested operation is not supported after starting the microVM.");
	assert_false(opts.virtio.nets[1].mmds);
	expect_status("PUT", "/mmds", "{\"a\": 1}", 204);
	expect_status("PATCH", "/mmds", "{\"b\": 2}", 204);
	expect_status("GET", "/mmds", NULL, 200);
	api->phase = API_CONFIGURING;
}

/* Without a store (main makes one; a test may not): every MMDS endpoint
 * says so. */
static void test_mmds_unavailable(void **state)
{
	(void)state;
	add_ifaces();
	expect_fault_exact("PUT", "/mmds/config", "{\"network_interfaces\": [\"n1\"]}", "MMDS is not available");
	expect_fault_exact("PUT", "/mmds", "{\"a\": 1}", "MMDS is not available");
	expect_fault_exact("PATCH", "/mmds", "{\"a\": 1}", "MMDS is not available");
	expect_fault_exact("GET", "/mmds", NULL, "MMDS is not available");
	assert_false(opts.virtio.nets[0].mmds);
}

static void test_mmds_data(void **state)
{
	char out[1024], *big;
	size_t n = MMDS_DEFAULT_SIZE_LIMIT + 64;

	(void)state;
	expect_json("GET", "/mmds", NULL, out, sizeof(out));
	assert_string_equal(out, "{}");
	expect_status("PUT", "/mmds", "{\"latest\": {\"meta-data\": {\"ami-id\": \"ami-1\", \"reservation-id\": \"r-1\"}}, "
		      "\"url\": \"http://h/p\"}", 204);
	expect_json("GET", "/mmds", NULL, out, sizeof(out));
	assert_string_equal(out, "{\"latest\":{\"meta-data\":{\"ami-id\":\"ami-1\",\"reservation-id\":\"r-1\"}},"
				 "\"url\":\"http://h/p\"}");
	/* RFC 7396: null removes, objects merge, the rest replaces. */
	expect_status("PATCH", "/mmds", "{\"latest\": {\"meta-data\": {\"ami-id\": null, \"hostname\": \"h\"}}, "
		      "\"url\": [1, 2]}", 204);
	expect_json("GET", "/mmds", NULL, out, sizeof(out));
	assert_string_equal(out, "{\"latest\":{\"meta-data\":{\"reservation-id\":\"r-1\",\"hostname\":\"h\"}},"
				 "\"url\":[1,2]}");
	/* Not an object, not JSON, no body: refused, the store as it was. */
	expect_fault_exact("PUT", "/mmds", "[1]", "the body must be a JSON object");
	expect_fault_exact("PATCH", "/mmds", "\"x\"", "the body must be a JSON object");
	expect_fault("PUT", "/mmds", "{\"a\": ", "the body is not valid JSON");
	expect_fault_exact("PUT", "/mmds", NULL, "the request needs a JSON body");
	/* The size limit counts the compact text: {"a":"..."} is 8 bytes more. */
	big = malloc(n + 16);
	assert_non_null(big);
	snprintf(big, n + 16, "{\"a\":\"%0*d\"}", MMDS_DEFAULT_SIZE_LIMIT - 8 + 1, 0);
	expect_fault_exact("PUT", "/mmds", big, "/mmds: the data store would be 51201 bytes, above its limit of 51200");
	/* merged into the store's 76 bytes: its 51201, 1 for a comma, not 2 braces */
	expect_fault_exact("PATCH", "/mmds", big, "/mmds: the data store would be 51276 bytes, above its limit of 51200");
	expect_json("GET", "/mmds", NULL, out, sizeof(out));
	assert_string_equal(out, "{\"latest\":{\"meta-data\":{\"reservation-id\":\"r-1\",\"hostname\":\"h\"}},"
				 "\"url\":[1,2]}");
	/* At the limit exactly (white space in the body does not count). */
	snprintf(big, n + 16, "{ \"a\" : \"%0*d\" }", MMDS_DEFAULT_SIZE_LIMIT - 8, 0);
	expect_status("PUT", "/mmds", big, 204);
	/* A patch whose result would be over it. */
	expect_fault_exact("PATCH", "/mmds", "{\"b\": 1}", "/mmds: the data store would be 51206 bytes, above its limit of 51200");
	expect_status("PUT", "/mmds", "{\"b\": 1}", 204);
	expect_json("GET", "/mmds", NULL, out, sizeof(out));
	assert_string_equal(out, "{\"b\":1}");
	free(big);
}

/* PUT /mmds and PUT /mmds/config count in one key, put_api_requests'
 * mmds_count (Firecracker's); no key goes missing or twice. */
static void test_mmds_metrics(void **state)
{
	char path[] = "/tmp/warden-test-metrics.XXXXXX", body[128], line[16384];
	json_object *o, *g, *v;
	int fd = mkstemp(path);
	ssize_t got;

	(void)state;
	assert_true(fd >= 0);
	snprintf(body, sizeof(body), "{\"metrics_path\": \"%s\"}", path);
	expect_status("PUT", "/metrics", body, 204);
	expect_status("PUT", "/mmds", "{\"a\": 1}", 204);
	expect_status("PUT", "/mmds", "{\"a\": 2}", 204);
	expect_status("PUT", "/mmds/config", "{\"network_interfaces\": []}", 400);
	expect_status("PATCH", "/mmds", "{\"b\": 1}", 204);
	expect_status("GET", "/mmds", NULL, 200);
	mmds_count(store, MMDS_TX_FRAMES, 5); /* as the stack counts them */
	expect_status("PUT", "/actions", "{\"action_type\": \"FlushMetrics\"}", 204);
	got = read(fd, line, sizeof(line) - 1);
	close(fd);
	unlink(path);
	assert_true(got > 0);
	line[got] = 0;
	o = json_tokener_parse(line);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "put_api_requests", &g));
	assert_true(json_object_object_get_ex(g, "mmds_count", &v));
	assert_int_equal(json_object_get_int64(v), 3);
	assert_true(json_object_object_get_ex(g, "mmds_fails", &v));
	assert_int_equal(json_object_get_int64(v), 1);
	assert_true(json_object_object_get_ex(g, "metrics_count", &v));
	assert_int_equal(json_object_get_int64(v), 1);
	assert_true(json_object_object_get_ex(g, "network_count", &v));
	/* PUT: the 11 keys it had, and mmds (one pair for two routes). */
	assert_int_equal(json_object_object_length(g), 2 * 12);
	assert_true(json_object_object_get_ex(o, "patch_api_requests", &g));
	assert_true(json_object_object_get_ex(g, "mmds_count", &v));
	assert_int_equal(json_object_get_int64(v), 1);
	assert_int_equal(json_object_object_length(g), 2 * 4);
	assert_true(json_object_object_get_ex(o, "get_api_requests", &g));
	assert_true(json_object_object_get_ex(g, "mmds_count", &v));
	assert_int_equal(json_object_get_int64(v), 1);
	assert_int_equal(json_object_object_length(g), 2 * 7);
	/* Firecracker's mmds group is there, every key; the store's counts
	 * (5 frames) went into it and start again. */
	assert_true(json_object_object_get_ex(o, "mmds", &g));
	assert_int_equal(json_object_object_length(g), MMDS_NCOUNTERS);
	for (unsigned c = 0; c < MMDS_NCOUNTERS; c++) {
		assert_true(json_object_object_get_ex(g, mmds_counter_names[c], &v));
		assert_int_equal(json_object_get_int64(v), c == MMDS_TX_FRAMES ? 5 : 0);
	}
	{
		uint64_t left[MMDS_NCOUNTERS];

		mmds_metrics_take(store, left);
		assert_int_equal(left[MMDS_TX_FRAMES], 0);
	}
	json_object_put(o);
}

/* FILE's text as a --config-file for a fresh API with the store. */
static int load_config(const char *text)
{
	char *path = u_write_temp((const uint8_t *)text, strlen(text)), saved[64];
	int r;

	snprintf(saved, sizeof(saved), "%s", path);
	teardown(NULL);
	assert_int_equal(start_api(0), 0);
	opts.virtio.mmds = store;
	r = api_load_config(api, saved);
	unlink(saved);
	return r;
}

static void test_mmds_config_file(void **state)
{
	static const uint8_t kernel[16] = { 0 };
	char kpath[64], text[1024], vmc[4096], m[512];

	(void)state;
	snprintf(kpath, sizeof(kpath), "%s", u_write_temp(kernel, sizeof(kernel)));
	/* mmds-config first in the file: still applied after the interfaces. */
	snprintf(text, sizeof(text), "{\"mmds-config\": {\"network_interfaces\": [\"n2\"], \"version\": \"V2\"}, "
		 "\"boot-source\": {\"kernel_image_path\": \"%s\"}, \"network-interfaces\": [{\"iface_id\": \"n1\", "
		 "\"host_dev_name\": \"tap0\"}, {\"iface_id\": \"n2\", \"host_dev_name\": \"tap1\"}]}", kpath);
	assert_int_equal(load_config(text), 0);
	assert_false(opts.virtio.nets[0].mmds);
	assert_true(opts.virtio.nets[1].mmds);
	assert_int_equal(mmds_get_version(store), MMDS_V2);
	/* GET /vm/config's answer, as a file, configures the same. */
	expect_json("GET", "/vm/config", NULL, vmc, sizeof(vmc));
	mmds_set_version(store, MMDS_V1, false);
	assert_int_equal(load_config(vmc), 0);
	assert_false(opts.virtio.nets[0].mmds);
	assert_true(opts.virtio.nets[1].mmds);
	assert_int_equal(mmds_get_version(store), MMDS_V2);
	vm_config_mmds(m, sizeof(m));
	assert_string_equal(m, "{\"version\":\"V2\",\"network_interfaces\":[\"n2\"],\"ipv4_address\":\"169.254.169.254\","
			       "\"imds_compat\":false}");
	/* null: none. */
	snprintf(text, sizeof(text), "{\"mmds-config\": null, \"boot-source\": {\"kernel_image_path\": \"%s\"}, "
		 "\"network-interfaces\": [{\"iface_id\": \"n1\", \"host_dev_name\": \"tap0\"}]}", kpath);
	assert_int_equal(load_config(text), 0);
	assert_false(opts.virtio.nets[0].mmds);
	/* Refused as PUT /mmds/config refuses it. */
	snprintf(text, sizeof(text), "{\"mmds-config\": {\"network_interfaces\": [\"n3\"]}, \"boot-source\": "
		 "{\"kernel_image_path\": \"%s\"}, \"network-interfaces\": [{\"iface_id\": \"n1\", \"host_dev_name\": "
		 "\"tap0\"}]}", kpath);
	assert_user_error(load_config(text), "mmds-config: The list of network interface IDs provided contains at least "
			  "one ID that does not correspond to any existing network interface.");
	snprintf(text, sizeof(text), "{\"mmds-config\": {\"network_interfaces\": [\"n1\"]}, \"boot-source\": "
		 "{\"kernel_image_path\": \"%s\"}}", kpath);
	assert_user_error(load_config(text), "mmds-config: The list of network interface IDs provided");
	unlink(kpath);
}

/* allow_mmds_requests (Firecracker 0.x) sets an interface's flag; a PUT
 * that replaces an interface without it keeps the flag. */
static void test_mmds_iface_flag(void **state)
{
	char m[512];

	(void)state;
	expect_status("PUT", "/network-interfaces/n1", "{\"iface_id\": \"n1\", \"host_dev_name\": \"tap0\", "
		      "\"allow_mmds_requests\": true}", 204);
	expect_status("PUT", "/network-interfaces/n2", "{\"iface_id\": \"n2\", \"host_dev_name\": \"tap1\"}", 204);
	assert_true(opts.virtio.nets[0].mmds);
	assert_false(opts.virtio.nets[1].mmds);
	vm_config_mmds(m, sizeof(m));
	assert_string_equal(m, "{\"version\":\"V1\",\"network_interfaces\":[\"n1\"],\"ipv4_address\":\"169.254.169.254\","
			       "\"imds_compat\":false}");
	expect_status("PUT", "/mmds/config", "{\"network_interfaces\": [\"n2\"]}", 204);
	assert_false(opts.virtio.nets[0].mmds);
	assert_true(opts.virtio.nets[1].mmds);
	/* Replaced (a new tap): the flag stays. */
	expect_status("PUT", "/network-interfaces/n2", "{\"iface_id\": \"n2\", \"host_dev_name\": \"tap2\", "
		      "\"guest_mac\": \"02:00:00:00:00:02\"}", 204);
	assert_string_equal(opts.virtio.nets[1].tap, "tap2");
	assert_true(opts.virtio.nets[1].mmds);
	assert_int_equal(opts.virtio.nnets, 2);
	/* A refused replacement leaves it too; an explicit false clears it. */
	expect_fault("PUT", "/network-interfaces/n2", "{\"iface_id\": \"n2\", \"host_dev_name\": \"tap0\"}", "in use");
	assert_true(opts.virtio.nets[1].mmds);
	expect_status("PUT", "/network-interfaces/n2", "{\"iface_id\": \"n2\", \"host_dev_name\": \"tap2\", "
		      "\"allow_mmds_requests\": false}", 204);
	assert_false(opts.virtio.nets[1].mmds);
	vm_config_mmds(m, sizeof(m));
	assert_string_equal(m, "null");
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
		cmocka_unit_test_setup_teardown(test_mmds_config, setup_mmds, teardown_mmds),
		cmocka_unit_test_setup_teardown(test_mmds_config_faults, setup_mmds, teardown_mmds),
		cmocka_unit_test_setup_teardown(test_mmds_unavailable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mmds_data, setup_mmds, teardown_mmds),
		cmocka_unit_test_setup_teardown(test_mmds_metrics, setup_mmds, teardown_mmds),
		cmocka_unit_test_setup_teardown(test_mmds_config_file, setup_mmds, teardown_mmds),
		cmocka_unit_test_setup_teardown(test_mmds_iface_flag, setup_mmds, teardown_mmds),
	};

	return cmocka_run_group_tests_name("api", tests, NULL, NULL);
}
