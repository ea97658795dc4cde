#include "accounting/kvm_stats.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* Only single-value counters are kept; histograms (halt_poll_*_hist) are
 * skipped. */
static bool wanted(const struct kvm_stats_desc *d)
{
	uint32_t type = d->flags & KVM_STATS_TYPE_MASK;

	return d->size == 1 && (type == KVM_STATS_TYPE_CUMULATIVE || type == KVM_STATS_TYPE_INSTANT ||
				type == KVM_STATS_TYPE_PEAK);
}

static int read_descriptors(struct kvm_stats *s, const struct kvm_stats_header *h)
{
	size_t dsz = sizeof(struct kvm_stats_desc) + h->name_size;
	uint8_t *descs = malloc(dsz * h->num_desc);
	uint32_t data_end = 0;

	if (!descs || pread(s->fd, descs, dsz * h->num_desc, h->desc_offset) != (ssize_t)(dsz * h->num_desc)) {
		free(descs);
		errno = EIO;
		return -1;
	}
	for (uint32_t i = 0; i < h->num_desc; i++) {
		const struct kvm_stats_desc *d = (const void *)(descs + i * dsz);
		uint32_t end = d->offset + d->size * 8u;

		if (end > data_end)
			data_end = end;
		if (!wanted(d) || s->names.n >= KVM_STATS_MAX)
			continue;
		snprintf(s->names.name[s->names.n], KVM_STAT_NAME, "%.*s", (int)h->name_size, d->name);
		s->names.flags[s->names.n] = d->flags;
		s->offset[s->names.n++] = d->offset;
	}
	free(descs);
	s->data_size = data_end;
	s->buf = malloc(data_end ? data_end : 8);
	return s->buf ? 0 : -1;
}

int kvm_stats_open(struct kvm_stats *s, int kvm_object_fd)
{
	struct kvm_stats_header h;

	memset(s, 0, sizeof(*s));
	s->fd = ioctl(kvm_object_fd, KVM_GET_STATS_FD, NULL);
	if (s->fd < 0)
		return -1;
	if (pread(s->fd, &h, sizeof(h), 0) != sizeof(h) || h.name_size == 0 || h.name_size > 256 ||
	    h.num_desc > 4096 || read_descriptors(s, &h) < 0) {
		kvm_stats_close(s);
		errno = EIO;
		return -1;
	}
	s->data_offset = h.data_offset;
	return 0;
}

int kvm_stats_read(struct kvm_stats *s, struct kvm_stat_values *out)
{
	if (s->fd < 0 || pread(s->fd, s->buf, s->data_size, s->data_offset) != (ssize_t)s->data_size)
		return -1;
	*out = s->names;
	for (unsigned i = 0; i < s->names.n; i++)
		out->val[i] = s->buf[s->offset[i] / 8];
	return 0;
}

void kvm_stats_close(struct kvm_stats *s)
{
	if (s->fd > 0)
		close(s->fd);
	s->fd = -1;
	free(s->buf);
	s->buf = NULL;
}

int kvm_stat_index(const struct kvm_stat_values *v, const char *name)
{
	for (unsigned i = 0; i < v->n; i++)
		if (strcmp(v->name[i], name) == 0)
			return (int)i;
	return -1;
}

uint64_t kvm_stat_get(const struct kvm_stat_values *v, const char *name)
{
	int i = kvm_stat_index(v, name);

	return i < 0 ? 0 : v->val[i];
}

bool kvm_stat_is_cumulative(uint32_t flags)
{
	return (flags & KVM_STATS_TYPE_MASK) == KVM_STATS_TYPE_CUMULATIVE;
}

void kvm_stat_accumulate(struct kvm_stat_values *acc, const struct kvm_stat_values *start,
			 const struct kvm_stat_values *end)
{
	for (unsigned i = 0; i < end->n; i++) {
		int a = kvm_stat_index(acc, end->name[i]);
		int s = start ? kvm_stat_index(start, end->name[i]) : -1;
		uint64_t v = end->val[i];

		if (a < 0) {
			if (acc->n >= KVM_STATS_MAX)
				continue;
			a = (int)acc->n++;
			memcpy(acc->name[a], end->name[i], KVM_STAT_NAME);
			acc->flags[a] = end->flags[i];
			acc->val[a] = 0;
		}
		switch (end->flags[i] & KVM_STATS_TYPE_MASK) {
		case KVM_STATS_TYPE_CUMULATIVE:
			acc->val[a] += (s >= 0 && start->val[s] <= v) ? v - start->val[s] : v;
			break;
		case KVM_STATS_TYPE_PEAK:
			if (v > acc->val[a])
				acc->val[a] = v;
			break;
		default:
			acc->val[a] = v;
		}
	}
}
