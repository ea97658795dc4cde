/* What every lab experiment says about where it ran, and its --tier
 * option: one rule for all of them (core/kvm_caps decides the tier). */
#ifndef WARDEN_LAB_LAB_HOST_H
#define WARDEN_LAB_LAB_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "boot/loader.h"

/* --tier ARG: "native" or "emulated" into *OUT, else a user error (-1). */
int lab_parse_tier(const char *arg, const char **out);
/* The tier (TIER_OPT, or the host's as core/kvm_caps tells it), the KVM
 * module and the host kernel, asked of the host now. */
void lab_host_facts(const char *tier_opt, char *tier, size_t tlen, char *kvm, size_t klen, char *kernel,
		    size_t kelen);
/* The same into a result struct R with char arrays tier, kvm, kernel. */
#define LAB_HOST_FACTS(r, tier_opt) \
	lab_host_facts((tier_opt), (r)->tier, sizeof((r)->tier), (r)->kvm, sizeof((r)->kvm), (r)->kernel, \
		       sizeof((r)->kernel))

/* A built-in guest (an ELF image linked into warden, [START, END)) as a
 * boot spec: read in place, so there is no file to open and nothing for
 * boot_spec_free to free (do not call it). */
static inline struct boot_spec lab_guest_spec(const char *what, const unsigned char *start,
					      const unsigned char *end)
{
	return (struct boot_spec){ .kernel = what, .format = KERNEL_ELF, .cmdline = "",
				   .kernel_img = (uint8_t *)start, .kernel_len = (size_t)(end - start),
				   .kernel_fd = -1 };
}

#endif
