/* The split virtqueue walk (src/virtio/virtqueue.c), the one module that
 * reads rings the guest writes.  The input is a few queue parameters and
 * then guest RAM from address 0: the descriptor table, avail ring, used
 * ring and buffers, all the fuzzer's.  The device side is driven as the
 * devices drive it: pop chains (at most queue size + 1 times: popping
 * must end), read what is readable and write what is writable, push
 * them used, ask whether to interrupt, give one back, switch
 * notifications off and on.  Every accepted chain must lie inside RAM.
 *
 * Input: u8 queue size (fz_qsize), u8 flags (1 event_idx, 2 indirect,
 * 4 ring addresses follow as three u32, 8 unpop the first chain), then
 * guest RAM. */
#include "virtio_fuzz.h"

static uint8_t scratch[64 * 1024];

static void use_chain(const struct guest_mem *mem, struct virtq *q, const struct virtq_chain *c)
{
	size_t got, put;

	fz_check_chain(mem, c);
	got = virtq_chain_read(c, 0, scratch, sizeof(scratch));
	if (got > c->out_bytes)
		__builtin_trap();
	put = virtq_chain_write(c, c->in_bytes / 2, scratch, got);
	if (put > c->in_bytes)
		__builtin_trap();
	virtq_push(q, c->head, (uint32_t)put);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct virtq q;
	static struct virtq_chain c;
	struct fz f = { data, size };
	uint16_t qsize = fz_qsize(fz_u8(&f));
	uint8_t flags = fz_u8(&f);
	uint64_t at = 0;
	static struct guest_mem ram;
	struct guest_mem *mem = &ram;

	virtq_reset(&q);
	fz_ring_place(&q, qsize, &at);
	if (flags & 4) {
		q.desc_gpa = fz_u32(&f);
		q.avail_gpa = fz_u32(&f);
		q.used_gpa = fz_u32(&f);
	}
	q.event_idx = flags & 1;
	q.indirect = flags & 2;
	fz_ram_fill(mem, f.p, f.n);
	if (virtq_activate(&q, mem) < 0)
		return 0;
	virtq_notify_off(&q);
	for (unsigned i = 0; i <= q.size; i++) {
		int r = virtq_pop(&q, &c);

		if (r <= 0)
			break;
		if (i == 0 && (flags & 8)) {
			virtq_unpop(&q, 1);
			continue;
		}
		use_chain(mem, &q, &c);
	}
	(void)virtq_needs_interrupt(&q);
	(void)virtq_notify_on(&q);
	(void)virtq_pending(&q);
	return 0;
}
