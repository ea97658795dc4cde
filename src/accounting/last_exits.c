#include "accounting/last_exits.h"

#include "core/exit.h"
#include "util/hot.h"

EXIT_PATH void last_exits_add(struct last_exits *l, const struct exit_note *r)
{
	struct last_exit *e = &l->e[l->n % LAST_EXITS];
	bool access = r->kind == EXIT_ACCESS || r->kind == EXIT_MSR || r->kind == EXIT_MALFORMED;

	l->n++;
	*e = (struct last_exit){
		.seq = l->n, .slot = r->slot, .kind = (uint8_t)r->kind, .detail = r->detail,
		.dev = (int16_t)r->dev, .has_rip = r->has_rip, .rip = r->rip,
	};
	if (access) {
		e->addr = r->addr;
		e->space = r->space;
		e->write = r->write;
		e->size = (uint16_t)r->size;
	}
}

unsigned last_exits_get(const struct last_exits *l, struct last_exit *out)
{
	unsigned n = l->n < LAST_EXITS ? (unsigned)l->n : LAST_EXITS;
	uint64_t first = l->n - n;

	for (unsigned i = 0; i < n; i++)
		out[i] = l->e[(first + i) % LAST_EXITS];
	return n;
}
