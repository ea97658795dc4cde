/* What the libFuzzer harnesses share: reading fields off the fuzzer's
 * bytes.  A harness takes its parameters (features, sizes, counts) from
 * the front of the input and hands the rest to warden as the guest memory,
 * file or text it parses; a field past the end of the input reads 0, so
 * every input, even an empty one, is a case. */
#ifndef WARDEN_TESTS_FUZZ_H
#define WARDEN_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fz {
	const uint8_t *p;
	size_t n;
};

static inline uint64_t fz_take(struct fz *f, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes && f->n; i++, f->p++, f->n--)
		v |= (uint64_t)*f->p << (8 * i);
	return v;
}

static inline uint8_t fz_u8(struct fz *f) { return (uint8_t)fz_take(f, 1); }
static inline uint16_t fz_u16(struct fz *f) { return (uint16_t)fz_take(f, 2); }
static inline uint32_t fz_u32(struct fz *f) { return (uint32_t)fz_take(f, 4); }
static inline uint64_t fz_u64(struct fz *f) { return fz_take(f, 8); }

/* Up to N of the remaining bytes, as a buffer of exactly their length
 * (so that ASan sees a read past its end); *LEN says how many. */
static inline const uint8_t *fz_bytes(struct fz *f, size_t n, size_t *len)
{
	const uint8_t *p = f->p;

	*len = n < f->n ? n : f->n;
	f->p += *len;
	f->n -= *len;
	return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* FUZZ_DEBUG=1 in the environment: say what warden made of an input
 * (e.g. why a loader refused a seed), for writing seeds and reading
 * crashes; silent otherwise, the fuzzer runs too many inputs to print. */
#define fz_debug(...)                                          \
	do {                                                   \
		if (getenv("FUZZ_DEBUG"))                      \
			fprintf(stderr, "fuzz: " __VA_ARGS__); \
	} while (0)

#endif
