#include "util/invariant.h"

#include <stdatomic.h>
#include <stddef.h>

#include "util/log.h"

static void (*_Atomic handler)(void *ctx);
static void *_Atomic handler_ctx;
static _Atomic unsigned broken;

bool invariant_broken(const char *file, int line, const char *expr)
{
	void (*fn)(void *) = atomic_load(&handler);

	atomic_fetch_add(&broken, 1);
	log_warn("internal error at %s:%d: %s does not hold; stopping the VM", file, line, expr);
	if (fn)
		fn(atomic_load(&handler_ctx));
	return false;
}

void invariant_set_handler(void (*fn)(void *ctx), void *ctx)
{
	atomic_store(&handler_ctx, ctx);
	atomic_store(&handler, fn);
}

unsigned invariant_broken_count(void)
{
	return atomic_load(&broken);
}
