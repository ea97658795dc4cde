/* warden's paravirtual hypercall ABI, version 1.
 *
 * This header is the specification.  It is self-contained (only
 * <stdint.h>), shared by warden (the host) and by guests, and usable in a
 * freestanding guest (no libc).  Every structure has a fixed layout, checked
 * below with _Static_assert; every field says who writes it:
 *   IN   the guest writes it, the host only reads it (once: the host copies
 *        a request out of guest memory before it looks at it)
 *   OUT  the host writes it, the guest only reads it
 *   ZERO reserved: the guest writes 0 (the host refuses anything else), so
 *        a later version can give it a meaning
 * All integers are little-endian (x86).  Addresses are guest-physical.
 *
 * --- How a guest calls ----------------------------------------------------
 * The guest writes a batch into its own RAM: a struct whc_batch header (64
 * bytes, 64-byte aligned, in RAM below 4 GiB) followed directly by COUNT
 * struct whc_req requests (64 bytes each).  It sets the header's status to
 * WHC_STATUS_PENDING and rings one doorbell; the host answers every request
 * in place (its status and ret fields), then the header's done and, last,
 * its status.
 *
 * Two doorbells, both 32-bit port writes (`outl`):
 *
 *   WHC_PORT_DOORBELL  the value written is the batch's guest-physical
 *       address.  The write exits to warden, which answers the whole batch
 *       before the vCPU runs on: when the `outl` retires, the answers are
 *       there.  One exit per batch.  If the header itself could not be used
 *       (not 64-byte aligned, or not wholly in RAM below 4 GiB), nothing is
 *       written to guest memory; a 32-bit read (`inl`) of WHC_PORT_DOORBELL
 *       then returns that error (it returns the result of the latest
 *       port-doorbell batch: WHC_OK when the header was answered in place).
 *
 *   WHC_PORT_FAST  the value written is ignored.  The host answers the batch
 *       named beforehand with WHC_CALL_FAST_SETUP, on an I/O thread of its
 *       own.  Where the host's KVM offers ioeventfd (feature
 *       WHC_F_FAST_NOEXIT), the write completes inside KVM: no exit reaches
 *       warden, and the vCPU runs on at once.  The guest then polls the
 *       header's status until it is no longer WHC_STATUS_PENDING (the host
 *       writes it last, after every answer).  The guest must not change a
 *       batch, or ring again, until then: each ring answers the batch
 *       again.
 *
 * Any other access to the doorbell ports is ignored (reads give all ones)
 * and counted as a guest error.
 *
 * --- Versions and features -------------------------------------------------
 * Every batch header carries the version its guest was written for; the host
 * refuses a batch whose version it does not know (WHC_E_VERSION, nothing in
 * it is done).  WHC_CALL_HELLO returns the host's version, its batch limit
 * and the feature bits it offers; a guest sets in each header the feature
 * bits it relies on, and the host refuses a batch asking for a feature it
 * does not offer (WHC_E_FEATURES).  New calls and new fields come with new
 * feature bits; a change to an existing layout or meaning is a new version.
 *
 * --- Errors -----------------------------------------------------------------
 * A request the host refuses gets an error status and has no effect; the
 * other requests of the batch are still answered.  A batch the host refuses
 * as a whole (bad version, features, count, reserved field, requests outside
 * RAM) gets the error in its header's status and no request is looked at
 * (their status fields are not written).  Nothing a guest writes can make the
 * host touch memory outside the guest's RAM, allocate without bound, or
 * spin a host CPU.
 */
#ifndef WARDEN_HYPERCALL_H
#define WARDEN_HYPERCALL_H

#include <stdint.h>

#define WHC_VERSION 1

/* --- Doorbells (I/O ports) ------------------------------------------------- */
#define WHC_PORT_BASE 0x540
#define WHC_PORT_DOORBELL (WHC_PORT_BASE + 0) /* outl: batch GPA; inl: status */
#define WHC_PORT_FAST (WHC_PORT_BASE + 4)     /* outl: answer the FAST_SETUP batch */
#define WHC_PORT_MAX (WHC_PORT_BASE + 8)      /* the doorbells take [BASE, MAX) */

/* --- Limits ----------------------------------------------------------------- */
#define WHC_BATCH_ALIGN 64       /* a batch header's address: a multiple of this */
#define WHC_BATCH_MAX 256        /* requests in one batch, at most */
#define WHC_CONSOLE_MAX 4096     /* bytes in one console write, at most */
#define WHC_SECTOR 512           /* block offsets and lengths: multiples of this */
#define WHC_BLOCK_MAX 65536      /* bytes in one block read or write, at most */

/* --- Feature bits (whc_hello_ret.features, whc_batch.features) ------------- */
#define WHC_F_BLOCK (1ULL << 0)       /* a disk is attached: WHC_CALL_BLOCK_* work */
#define WHC_F_IDLE (1ULL << 1)        /* WHC_CALL_IDLE halts the vCPU (in-kernel irqchip) */
#define WHC_F_FAST_NOEXIT (1ULL << 2) /* WHC_PORT_FAST completes in KVM, no exit */
#define WHC_F_ALL (WHC_F_BLOCK | WHC_F_IDLE | WHC_F_FAST_NOEXIT) /* known to version 1 */

/* --- Calls ------------------------------------------------------------------ */
enum whc_call {
	WHC_CALL_RESERVED = 0,    /* never a call: refused with WHC_E_NOSYS */
	WHC_CALL_HELLO = 1,       /* version, batch limit, features */
	WHC_CALL_NOP = 2,         /* nothing (for measurement) */
	WHC_CALL_CONSOLE_WRITE = 3, /* bytes to warden's stdout, like the serial console */
	WHC_CALL_BLOCK_INFO = 4,  /* size and flags of the disk */
	WHC_CALL_BLOCK_READ = 5,  /* disk -> guest memory */
	WHC_CALL_BLOCK_WRITE = 6, /* guest memory -> disk */
	WHC_CALL_IDLE = 7,        /* halt this vCPU until an interrupt */
	WHC_CALL_TIME = 8,        /* host clocks */
	WHC_CALL_FAST_SETUP = 9,  /* the batch WHC_PORT_FAST answers */
	WHC_CALL_MAX = 10,        /* calls are 1 .. WHC_CALL_MAX - 1 */
};

/* --- Status codes (whc_req.status, whc_batch.status, an inl of the doorbell) */
enum whc_status {
	WHC_OK = 0,
	WHC_E_NOSYS = 1,    /* no such call (0, or WHC_CALL_MAX and above) */
	WHC_E_FAULT = 2,    /* an address (batch, requests, buffer) outside guest RAM */
	WHC_E_INVAL = 3,    /* a ZERO field or an argument the call does not use is not 0;
			       a length of 0 where one is needed */
	WHC_E_TOOBIG = 4,   /* count > WHC_BATCH_MAX, or a length above the call's limit */
	WHC_E_OVERLAP = 5,  /* a buffer overlaps the batch, or overlaps another buffer of
			       the batch that the host writes (or is such a buffer) */
	WHC_E_VERSION = 6,  /* a version the host does not know */
	WHC_E_FEATURES = 7, /* the batch relies on a feature the host does not offer */
	WHC_E_ALIGN = 8,    /* a misaligned batch, or a block offset or length that is
			       not a multiple of WHC_SECTOR */
	WHC_E_RANGE = 9,    /* a block range beyond the end of the disk */
	WHC_E_NODEV = 10,   /* a block call without a disk */
	WHC_E_RDONLY = 11,  /* a write to a read-only disk */
	WHC_E_IO = 12,      /* the host could not carry the call out: its read or write
			       failed, or KVM would not halt the vCPU (a host error,
			       not the guest's) */
	WHC_E_DOORBELL = 13, /* the call cannot be made through this doorbell (IDLE
				through WHC_PORT_FAST: no vCPU is waiting on it) */
	WHC_E_NOTSUPP = 14, /* the host cannot do this call here (IDLE without an
			       in-kernel irqchip) */
	WHC_E_MAX = 15,
	WHC_STATUS_PENDING = 0xffffffffu, /* written by the guest before ringing;
					     never a host answer */
};

/* --- The guest-pointer type -------------------------------------------------
 * A guest-physical address.  A struct, not an integer or a pointer, so host
 * code cannot dereference it, do arithmetic on it or pass it where a host
 * pointer goes: warden turns one into a host pointer only through its one
 * checked accessor (core's gmem_ptr(): bounds and overflow). */
typedef struct whc_gptr {
	uint64_t gpa;
} whc_gptr;

/* --- The batch header ------------------------------------------------------ */
struct whc_batch {
	uint32_t version;     /* IN   WHC_VERSION */
	uint32_t count;       /* IN   requests that follow, 0 .. WHC_BATCH_MAX */
	uint64_t features;    /* IN   feature bits this batch relies on */
	uint32_t status;      /* OUT  WHC_OK (each request has its own status) or the
				      batch's error; the guest sets WHC_STATUS_PENDING
				      before ringing, the host writes it last */
	uint32_t done;        /* OUT  requests answered */
	uint64_t reserved[5]; /* ZERO */
};

/* --- Per-call arguments (whc_req.args) and results (whc_req.ret) --------- */
struct whc_hello_args {
	uint32_t guest_version; /* IN   WHC_VERSION the guest was written for */
	uint32_t zero;          /* ZERO */
};
struct whc_hello_ret {
	uint32_t host_version;  /* OUT  WHC_VERSION of the host (also with WHC_E_VERSION) */
	uint32_t batch_max;     /* OUT  WHC_BATCH_MAX */
	uint64_t features;      /* OUT  feature bits the host offers */
};

struct whc_console_args {
	whc_gptr buf;           /* IN   bytes to write */
	uint64_t len;           /* IN   0 .. WHC_CONSOLE_MAX */
};
struct whc_console_ret {
	uint64_t written;       /* OUT  bytes written (len) */
};

struct whc_block_info_ret {
	uint64_t size;          /* OUT  disk size in bytes (a multiple of WHC_SECTOR) */
	uint64_t flags;         /* OUT  WHC_BLOCK_RO */
};
#define WHC_BLOCK_RO (1ULL << 0)

struct whc_block_args {
	uint64_t offset;        /* IN   byte offset on the disk, a multiple of WHC_SECTOR */
	whc_gptr buf;           /* IN   guest memory read from (write) or into (read) */
	uint64_t len;           /* IN   1 .. WHC_BLOCK_MAX bytes, a multiple of WHC_SECTOR */
};
struct whc_block_ret {
	uint64_t bytes;         /* OUT  bytes transferred (len) */
};

struct whc_time_ret {
	uint64_t monotonic_ns;  /* OUT  the host's CLOCK_MONOTONIC */
	uint64_t realtime_ns;   /* OUT  the host's CLOCK_REALTIME (since 1970) */
	uint64_t host_tsc;      /* OUT  the host's TSC, read between the two clocks; the
				        guest's TSC before and after the call bound
				        the guest's offset from it */
};

struct whc_fast_setup_args {
	whc_gptr batch;         /* IN   header of the batch WHC_PORT_FAST answers: 64-byte
				        aligned, the header in RAM (its requests are
				        checked at each ring) */
};

union whc_args {
	struct whc_hello_args hello;
	struct whc_console_args console;
	struct whc_block_args block;
	struct whc_fast_setup_args fast_setup;
	uint64_t raw[3];        /* NOP, BLOCK_INFO, IDLE, TIME take none: all ZERO */
};

union whc_ret {
	struct whc_hello_ret hello;
	struct whc_console_ret console;
	struct whc_block_info_ret block_info;
	struct whc_block_ret block;
	struct whc_time_ret time;
	uint64_t raw[3];        /* OUT  what the call does not fill is written as 0 */
};

/* --- One request ------------------------------------------------------------ */
struct whc_req {
	uint32_t call;          /* IN   enum whc_call */
	uint32_t flags;         /* ZERO */
	union whc_args args;    /* IN   the call's arguments; words it does not use: ZERO */
	uint32_t status;        /* OUT  enum whc_status */
	uint32_t reserved;      /* OUT  written as 0 */
	union whc_ret ret;      /* OUT  the call's results */
};

/* --- Layouts, checked ------------------------------------------------------- */
#define WHC_ASSERT_AT(type, field, off) \
	_Static_assert(__builtin_offsetof(type, field) == (off), #type "." #field " at " #off)

_Static_assert(sizeof(whc_gptr) == 8, "whc_gptr: 8 bytes");
_Static_assert(sizeof(struct whc_batch) == 64, "whc_batch: 64 bytes");
WHC_ASSERT_AT(struct whc_batch, version, 0);
WHC_ASSERT_AT(struct whc_batch, count, 4);
WHC_ASSERT_AT(struct whc_batch, features, 8);
WHC_ASSERT_AT(struct whc_batch, status, 16);
WHC_ASSERT_AT(struct whc_batch, done, 20);
WHC_ASSERT_AT(struct whc_batch, reserved, 24);

_Static_assert(sizeof(struct whc_hello_args) == 8, "whc_hello_args: 8 bytes");
WHC_ASSERT_AT(struct whc_hello_args, guest_version, 0);
WHC_ASSERT_AT(struct whc_hello_args, zero, 4);
_Static_assert(sizeof(struct whc_hello_ret) == 16, "whc_hello_ret: 16 bytes");
WHC_ASSERT_AT(struct whc_hello_ret, host_version, 0);
WHC_ASSERT_AT(struct whc_hello_ret, batch_max, 4);
WHC_ASSERT_AT(struct whc_hello_ret, features, 8);
_Static_assert(sizeof(struct whc_console_args) == 16, "whc_console_args: 16 bytes");
WHC_ASSERT_AT(struct whc_console_args, buf, 0);
WHC_ASSERT_AT(struct whc_console_args, len, 8);
_Static_assert(sizeof(struct whc_console_ret) == 8, "whc_console_ret: 8 bytes");
_Static_assert(sizeof(struct whc_block_info_ret) == 16, "whc_block_info_ret: 16 bytes");
WHC_ASSERT_AT(struct whc_block_info_ret, size, 0);
WHC_ASSERT_AT(struct whc_block_info_ret, flags, 8);
_Static_assert(sizeof(struct whc_block_args) == 24, "whc_block_args: 24 bytes");
WHC_ASSERT_AT(struct whc_block_args, offset, 0);
WHC_ASSERT_AT(struct whc_block_args, buf, 8);
WHC_ASSERT_AT(struct whc_block_args, len, 16);
_Static_assert(sizeof(struct whc_block_ret) == 8, "whc_block_ret: 8 bytes");
_Static_assert(sizeof(struct whc_time_ret) == 24, "whc_time_ret: 24 bytes");
WHC_ASSERT_AT(struct whc_time_ret, monotonic_ns, 0);
WHC_ASSERT_AT(struct whc_time_ret, realtime_ns, 8);
WHC_ASSERT_AT(struct whc_time_ret, host_tsc, 16);
_Static_assert(sizeof(struct whc_fast_setup_args) == 8, "whc_fast_setup_args: 8 bytes");
_Static_assert(sizeof(union whc_args) == 24, "whc_args: 24 bytes");
_Static_assert(sizeof(union whc_ret) == 24, "whc_ret: 24 bytes");

_Static_assert(sizeof(struct whc_req) == 64, "whc_req: 64 bytes");
WHC_ASSERT_AT(struct whc_req, call, 0);
WHC_ASSERT_AT(struct whc_req, flags, 4);
WHC_ASSERT_AT(struct whc_req, args, 8);
WHC_ASSERT_AT(struct whc_req, status, 32);
WHC_ASSERT_AT(struct whc_req, reserved, 36);
WHC_ASSERT_AT(struct whc_req, ret, 40);

_Static_assert(sizeof(enum whc_call) == 4 && sizeof(enum whc_status) == 4, "enums: 4 bytes");
_Static_assert(WHC_BATCH_ALIGN % sizeof(struct whc_req) == 0 || sizeof(struct whc_req) % WHC_BATCH_ALIGN == 0,
	       "requests stay aligned after the header");
_Static_assert(WHC_PORT_FAST < WHC_PORT_MAX, "doorbells inside [BASE, MAX)");
_Static_assert(WHC_BLOCK_MAX % WHC_SECTOR == 0, "block limit in whole sectors");

#endif
