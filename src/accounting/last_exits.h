/* The last exits of one vCPU that reached warden, for the crash report: a
 * ring of LAST_EXITS records, written as the vCPU's notes are handed over
 * (the recorder: a few stores per exit) and read once the vCPU's thread
 * has ended. */
#ifndef WARDEN_ACCOUNTING_LAST_EXITS_H
#define WARDEN_ACCOUNTING_LAST_EXITS_H

#include <stdbool.h>
#include <stdint.h>

struct exit_note;

#define LAST_EXITS 32

struct last_exit {
	uint64_t seq;  /* this vCPU's exit number, from 1 */
	uint64_t addr; /* port, guest-physical address or MSR (accesses) */
	uint64_t rip;  /* when has_rip */
	uint64_t detail;
	uint32_t slot; /* reason slot (stats_reason_name) */
	uint16_t size;
	int16_t dev;   /* device slot or EXIT_DEV_NONE */
	uint8_t kind;  /* enum exit_kind */
	uint8_t space; /* enum bus_space, for accesses */
	bool write, has_rip;
};

struct last_exits {
	struct last_exit e[LAST_EXITS];
	uint64_t n; /* exits ever added */
};

void last_exits_add(struct last_exits *l, const struct exit_note *r);
/* The kept exits, oldest first, into OUT (room for LAST_EXITS); how many. */
unsigned last_exits_get(const struct last_exits *l, struct last_exit *out);

#endif
