/* What every handler shares: the three kinds of answer (204, 200 with
 * JSON, 400 with Firecracker's {"fault_message": "..."}), the state
 * checks (before or after InstanceStart) and owned strings. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_state.h"
#include "util/error.h"
#include "util/log.h"

int api_no_content(struct api_response *r)
{
	r->status = 204;
	r->body = NULL;
	return 0;
}

int api_ok_json(struct api_response *r, json_object *body)
{
	if (!body)
		return api_fault(r, "out of memory");
	r->status = 200;
	r->body = body;
	return 0;
}

int api_fault(struct api_response *r, const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* One line of plain text, whatever a client sent that it quotes (a
	 * path with %0A in it, bytes that are not UTF-8): found by fuzzing. */
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = '?';
	json_object_put(r->body);
	r->status = 400;
	r->body = json_object_new_object();
	if (r->body)
		json_object_object_add(r->body, "fault_message", json_object_new_string(msg));
	return -1;
}

int api_fault_err(struct api_response *r)
{
	return api_fault(r, "%s", err_msg());
}

bool api_before_start(struct api *a, struct api_response *r)
{
	if (a->phase == API_CONFIGURING)
		return true;
	api_fault(r, "The requested operation is not supported after starting the microVM.");
	return false;
}

bool api_after_start(struct api *a, struct api_response *r)
{
	if (a->phase == API_RUNNING)
		return true;
	api_fault(r, a->phase == API_ENDED ? "The microVM has stopped."
					   : "The requested operation is not supported before starting the microVM.");
	return false;
}

void api_machine_changed(struct api *a)
{
	if (a->phase == API_RUNNING && a->hooks.machine_changed && a->hooks.machine_changed(a->hooks.ctx) < 0)
		log_warn("api: a snapshot of this VM would keep its arguments from before the PATCH: %s", err_msg());
}

int api_open_sink(const char *path, const char *field)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NONBLOCK | O_CLOEXEC, 0600);

	if (fd < 0 && errno == ENXIO) /* a pipe without a reader: O_WRONLY would fail */
		fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return fail_errno(ERR_USAGE, "%s %s", field, path);
	return fd;
}

int api_set_string(char **slot, const char *s)
{
	char *copy = NULL;

	if (s && !(copy = strdup(s)))
		return fail(ERR_HOST, "out of memory");
	free(*slot);
	*slot = copy;
	return 0;
}
