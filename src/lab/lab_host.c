/* The lab's host facts and --tier (lab/lab_host.h). */
#include "lab/lab_host.h"

#include <stdio.h>
#include <string.h>

#include "core/kvm_caps.h"
#include "util/error.h"

int lab_parse_tier(const char *arg, const char **out)
{
	if (strcmp(arg, "native") && strcmp(arg, "emulated"))
		return fail(ERR_USAGE, "--tier must be native or emulated, not '%s'", arg);
	*out = arg;
	return 0;
}

void lab_host_facts(const char *tier_opt, char *tier, size_t tlen, char *kvm, size_t klen, char *kernel,
		    size_t kelen)
{
	struct caps_host h;

	caps_host_detect(&h);
	snprintf(tier, tlen, "%s", tier_opt ? tier_opt : caps_host_tier(&h));
	snprintf(kvm, klen, "%s", caps_module_name(h.module));
	snprintf(kernel, kelen, "%s", h.kernel);
}
