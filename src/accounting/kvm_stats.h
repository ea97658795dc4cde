/* KVM's binary statistics (KVM_GET_STATS_FD, Linux 5.14+): the counters
 * KVM keeps per VM and per vCPU, including the exits it handles without
 * ever returning to warden.  Reading them costs one pread and no exit. */
#ifndef WARDEN_ACCOUNTING_KVM_STATS_H
#define WARDEN_ACCOUNTING_KVM_STATS_H

#include <stdbool.h>
#include <stdint.h>

#define KVM_STATS_MAX 80
#define KVM_STAT_NAME 48

/* Named scalar counters, as read from one stats fd (or summed). */
struct kvm_stat_values {
	unsigned n;
	char name[KVM_STATS_MAX][KVM_STAT_NAME];
	uint32_t flags[KVM_STATS_MAX]; /* KVM_STATS_TYPE_* | UNIT | BASE */
	uint64_t val[KVM_STATS_MAX];
};

struct kvm_stats {
	int fd; /* -1: none */
	uint32_t data_offset;
	uint32_t data_size;
	uint32_t offset[KVM_STATS_MAX]; /* of each kept stat in the data block */
	uint64_t *buf;
	struct kvm_stat_values names; /* names and flags; val unused */
};

/* Open the stats of a VM or vCPU fd. -1 (errno set) when the host has
 * none; the caller says so once and goes on without. */
int kvm_stats_open(struct kvm_stats *s, int kvm_object_fd);
/* Current values into OUT (names copied too). */
int kvm_stats_read(struct kvm_stats *s, struct kvm_stat_values *out);
void kvm_stats_close(struct kvm_stats *s);

/* Index of NAME in V, or -1. */
int kvm_stat_index(const struct kvm_stat_values *v, const char *name);
uint64_t kvm_stat_get(const struct kvm_stat_values *v, const char *name);
/* Cumulative counters: ACC += END - START (matched by name); instant and
 * peak values: ACC keeps the latest / the largest. */
void kvm_stat_accumulate(struct kvm_stat_values *acc, const struct kvm_stat_values *start,
			 const struct kvm_stat_values *end);
bool kvm_stat_is_cumulative(uint32_t flags);

#endif
