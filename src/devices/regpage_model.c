#include "devices/regpage_model.h"

void regpage_model_ctrl(struct regpage_model *m, uint32_t value, uint64_t n)
{
	if (!n)
		return;
	m->count += n;
	m->echo = value;
}

uint32_t regpage_model_read(struct regpage_model *m, unsigned reg)
{
	switch (reg) {
	case REGPAGE_REG_ECHO: return m->echo;
	case REGPAGE_REG_COUNT: return (uint32_t)m->count;
	default:
		m->errors++;
		return 0xffffffffu;
	}
}

unsigned regpage_model_batch(struct regpage_model *m, struct regpage_ring_entry *ent, unsigned n)
{
	unsigned bad = 0;

	for (unsigned i = 0; i < n; i++) {
		switch (ent[i].op) {
		case REGPAGE_OP_READ_ECHO: ent[i].value = m->echo; break;
		case REGPAGE_OP_READ_COUNT: ent[i].value = (uint32_t)m->count; break;
		case REGPAGE_OP_CTRL: regpage_model_ctrl(m, ent[i].value, 1); break;
		default:
			ent[i].value = REGPAGE_RING_BAD;
			m->errors++;
			bad++;
		}
	}
	return bad;
}

unsigned dirty_pages(const uint64_t *bm, unsigned npages, unsigned *idx, unsigned cap)
{
	unsigned n = 0;

	for (unsigned w = 0; w < dirty_bitmap_words(npages); w++) {
		uint64_t bits = bm[w];

		if (w == npages / 64 && npages % 64)
			bits &= (1ULL << (npages % 64)) - 1;
		while (bits) {
			unsigned p = w * 64 + (unsigned)__builtin_ctzll(bits);

			if (n < cap)
				idx[n] = p;
			n++;
			bits &= bits - 1;
		}
	}
	return n;
}
