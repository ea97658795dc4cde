/* Answering one hypercall batch (include/warden/hypercall.h): every rule
 * of the ABI is checked here, on copies taken out of guest memory once
 * (the header, then all requests at once), and every answer is written
 * back in place.  No VM, no threads: the device (hypercall/device.c)
 * calls it from a doorbell, the unit tests call it on fake guest memory.
 *
 * Checks come in this order, the first that fails giving the status:
 *   doorbell  header address aligned (E_ALIGN), header in RAM (E_FAULT):
 *             nothing is written to the guest
 *   batch     version (E_VERSION), reserved words (E_INVAL), features
 *             (E_FEATURES), count (E_TOOBIG), requests in RAM (E_FAULT):
 *             the header's status says which, no request is looked at
 *   request   call number (E_NOSYS), flags and reserved (E_INVAL), then
 *             the call's own checks (hypercall.md) */
#ifndef WARDEN_HYPERCALL_BATCH_H
#define WARDEN_HYPERCALL_BATCH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "warden/hypercall.h"

struct guest_mem;
struct device_counters;

/* No batch set up for the fast doorbell yet. */
#define HC_NO_BATCH UINT64_MAX

enum hc_doorbell { HC_PORT, HC_FAST };

/* What the calls act on.  Shared by both doorbells (their threads may
 * answer batches at the same time): everything here is read-only after
 * set-up except fast_batch (atomic) and the counters (atomic adds). */
struct hc_host {
	const struct guest_mem *mem;
	int console_fd;          /* where CONSOLE_WRITE goes (stdout) */
	int disk_fd;             /* -1: no disk */
	uint64_t disk_size;      /* bytes, a multiple of WHC_SECTOR */
	bool disk_ro;
	uint64_t features;       /* WHC_F_* the host offers */
	/* IDLE on the port doorbell: halt the calling vCPU after this exit;
	 * false if that cannot be done. */
	bool (*idle)(void *ctx);
	void *idle_ctx;
	/* FAST_SETUP's header, or HC_NO_BATCH.  Accessed with C11's
	 * atomic_*_explicit: clang refuses the __atomic builtins on an
	 * _Atomic object (found building the fuzz targets). */
	_Atomic uint64_t fast_batch;
	struct device_counters *counters; /* requests, bytes, errors */
};

/* A guest buffer a request of the batch uses (for the overlap rule). */
struct hc_span {
	uint64_t gpa, len;
	bool host_writes;
};

/* Room for one doorbell's batch: one per thread that answers batches. */
struct hc_scratch {
	struct whc_req req[WHC_BATCH_MAX];
	struct hc_span span[WHC_BATCH_MAX];
	unsigned nspans;
};

/* Answer the batch whose header is at guest-physical GPA, rung on
 * doorbell DB.  Returns WHC_OK when the header was answered in place (its
 * status then says how the batch went), else the reason it could not be
 * used (E_ALIGN, E_FAULT), with nothing written to guest memory.  Counts
 * requests answered, payload bytes and guest errors, and logs guest
 * errors (rate-limited). */
uint32_t hc_answer(struct hc_host *h, struct hc_scratch *s, uint64_t gpa, enum hc_doorbell db);

/* A name for a status ("E_FAULT"), for messages. */
const char *hc_status_name(uint32_t status);

#endif
