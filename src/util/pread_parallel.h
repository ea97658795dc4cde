/* Reading several parts of one file into memory with a few threads at
 * once. What it is for: loading a 45 MB vmlinux into guest memory is most
 * of warden's set-up time (first touch of each huge page of guest RAM,
 * then the copy), and on a host with idle CPUs that work splits well. */
#ifndef WARDEN_UTIL_PREAD_PARALLEL_H
#define WARDEN_UTIL_PREAD_PARALLEL_H

#include <stddef.h>
#include <stdint.h>

/* Bytes [off, off+len) of the file go to dst. */
struct pread_part {
	uint8_t *dst;
	uint64_t off;
	uint64_t len;
};

/* Largest number of threads pread_parallel uses (the caller's included). */
#define PREAD_PARALLEL_MAX_THREADS 4

/* All of [off, off+len) of FD into DST, looping over short reads and
 * EINTR. 0; -1 with errno on a read error; -2 if the file ended first. */
int pread_full(int fd, uint8_t *dst, uint64_t len, uint64_t off);

/* pread_full of each of the N parts, cut into chunks shared out between
 * up to THREADS threads (the caller's one of them; 1 means no new thread;
 * fewer are used when there is little to read or a thread cannot be
 * started). Returns like pread_full, for the first failure met; a failure
 * may leave other parts partly read. */
int pread_parallel(int fd, const struct pread_part *parts, unsigned n, unsigned threads);

/* How many threads pread_parallel should use on this host: the online
 * CPUs, at most PREAD_PARALLEL_MAX_THREADS. */
unsigned pread_parallel_threads(void);

/* pread_parallel with as many threads as the host has, for loading file
 * PATH, named WHAT in errors ("kernel"): 0, or -1 with a user error
 * ("cannot read kernel PATH: ...", "kernel PATH shrank while reading"). */
int pread_parallel_load(int fd, const struct pread_part *parts, unsigned n, const char *what,
			const char *path);

#endif
