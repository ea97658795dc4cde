/* The API's request handling (src/api: router, body checks, every
 * resource's handler) on a fresh API before the VM starts, as a client
 * could send it: the input's first byte picks the method, the bytes up to
 * the next NUL are the path, the rest is the body.  Every answer must be
 * 200/204, or 400 with a one-line fault_message.  /metrics and /logger
 * are left out: they open (and /logger redirects stderr to) the file the
 * body names.  The options carry an MMDS store, as main's do, so that
 * /mmds and /mmds/config reach the store (one per input). */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>

#include "api/api_state.h"
#include "fuzz.h"
#include "mmds/mmds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const methods[] = { "GET", "PUT", "PATCH", "DELETE" };
	static const struct api_hooks hooks = { 0 };
	struct cli_options o = { .cpus = 1, .mem_mib = 256 };
	struct fz f = { data, size };
	const char *method = methods[fz_u8(&f) % 4];
	char *text = malloc(f.n + 1), *body, *exact;
	size_t blen;
	struct api_response r;
	struct api *a;
	json_object *msg;

	if (!text)
		abort();
	memcpy(text, f.p, f.n);
	text[f.n] = 0;
	body = text + strlen(text) + (strlen(text) < f.n);
	o.virtio.mmds = mmds_new(MMDS_DEFAULT_SIZE_LIMIT);
	if (strstr(text, "/metrics") || strstr(text, "/logger") || !o.virtio.mmds || !(a = api_create(&o, &hooks))) {
		mmds_free(o.virtio.mmds);
		free(text);
		return 0;
	}
	/* The body in a buffer of its own size, no NUL after it (as a
	 * --config-file's bytes): a read past the end is an ASan report. */
	blen = f.n - (size_t)(body - text);
	exact = malloc(blen ? blen : 1);
	if (!exact)
		abort();
	memcpy(exact, body, blen);
	api_route(a, method, text, exact, blen, &r);
	free(exact);
	msg = r.body ? json_object_object_get(r.body, "fault_message") : NULL;
	if (r.status != 200 && r.status != 204 &&
	    !(r.status == 400 && msg && !strchr(json_object_get_string(msg), '\n')))
		__builtin_trap();
	json_object_put(r.body);
	api_destroy(a);
	mmds_free(o.virtio.mmds);
	free(text);
	return 0;
}
