/* The snapshot's state file: a header, tagged sections, a checksum.
 *
 *   header   magic "WRDNSNAP", format (SNAP_FORMAT), warden's version
 *            (NUL-padded to 32 bytes), the length of the body, the number
 *            of sections
 *   body     sections, each {type, index, length} and LENGTH bytes of
 *            payload padded to 8
 *   trailer  CRC-32 (IEEE) of header and body, then "SEND"
 *
 * All integers little-endian (x86-64 only).  The reader checks, in this
 * order, magic, size (truncated or extended), version, checksum, then
 * that every section lies inside the body; callers then look sections
 * up by (type, index) and check each payload's length themselves.  A
 * file failing any check is a user error (status 2) naming it. */
#ifndef WARDEN_SNAPSHOT_STATE_FILE_H
#define WARDEN_SNAPSHOT_STATE_FILE_H

#include <stddef.h>
#include <stdint.h>

#define SNAP_MAGIC "WRDNSNAP"
#define SNAP_END "SEND"
#define SNAP_FORMAT 1
#define SNAP_VERSION_LEN 32
/* A state file is registers and device state: far below this. */
#define SNAP_MAX_FILE (64u << 20)

struct snap_header {
	char magic[8];
	uint32_t format;
	uint32_t nsections;
	char version[SNAP_VERSION_LEN];
	uint64_t body_len;
};
_Static_assert(sizeof(struct snap_header) == 56, "state file header layout");

struct snap_section {
	uint32_t type;
	uint32_t index;
	uint64_t len;
};
_Static_assert(sizeof(struct snap_section) == 16, "state file section layout");

struct snap_trailer {
	uint32_t crc;
	char end[4];
};

/* Section types. */
enum snap_type {
	SNAP_MACHINE = 1, /* struct snap_machine, then the machine's argv */
	SNAP_VCPU_REGS = 16, SNAP_VCPU_SREGS, SNAP_VCPU_XSAVE, SNAP_VCPU_XCRS,
	SNAP_VCPU_DEBUGREGS, SNAP_VCPU_LAPIC, SNAP_VCPU_MSRS, SNAP_VCPU_EVENTS,
	SNAP_VCPU_MP_STATE, SNAP_VCPU_CPUID, SNAP_VCPU_TSC_KHZ,
	SNAP_VM_IRQCHIP = 48, /* index: KVM's chip id */
	SNAP_VM_PIT, SNAP_VM_CLOCK, SNAP_VM_FLAGS,
	SNAP_DEVICE = 64, /* index: the device's place in the VM; name, then its bytes */
};

/* A state file being written: a growing buffer. */
struct snap_writer {
	uint8_t *buf;
	size_t len, cap;
	uint32_t nsections;
	int failed; /* out of memory or over SNAP_MAX_FILE */
};

void snap_writer_init(struct snap_writer *w);
/* One section; a failure is remembered and reported by snap_writer_finish. */
void snap_put(struct snap_writer *w, uint32_t type, uint32_t index, const void *data, size_t len);
/* The same from two pieces (a fixed part and a variable one). */
void snap_put2(struct snap_writer *w, uint32_t type, uint32_t index, const void *a, size_t alen,
	       const void *b, size_t blen);
/* Header and trailer, then PATH written whole (a temporary file renamed
 * over it: a crash never leaves half a state file).  Frees the buffer. */
int snap_writer_finish(struct snap_writer *w, const char *path);

/* A state file read and checked. */
struct snap_reader {
	uint8_t *buf;
	size_t len;
	char *path; /* a copy, for messages */
};

int snap_read(struct snap_reader *r, const char *path);
void snap_reader_free(struct snap_reader *r);
/* The payload of section (TYPE, INDEX), or NULL (*LEN untouched). */
const void *snap_find(const struct snap_reader *r, uint32_t type, uint32_t index, size_t *len);
/* The same, and it must be LEN bytes: else a user error naming WHAT. */
int snap_get(const struct snap_reader *r, uint32_t type, uint32_t index, void *out, size_t len,
	     const char *what);

#endif
