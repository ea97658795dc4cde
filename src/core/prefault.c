#include "core/prefault.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>

#include "core/guest_mem.h"
#include "sandbox/seccomp.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/log.h"
#include "util/thread.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

#define STEP (2ULL << 20)

unsigned prefault_plan(const struct guest_mem *mem, enum prefault_mode mode, struct prefault_span out[2])
{
	unsigned n = 0;

	if (mode == PREFAULT_ALL) {
		for (unsigned i = 0; i < mem->nregions && n < 2; i++)
			if (mem->regions[i].size && mem->regions[i].hva)
				out[n++] = (struct prefault_span){ mem->regions[i].hva, mem->regions[i].size };
	} else if (mode == PREFAULT_BOOT) {
		uint64_t from = PREFAULT_BOOT_FROM, to = from + (PREFAULT_BOOT_MIB << 20);
		uint8_t *hva;

		if (to > gmem_low_end(mem))
			to = gmem_low_end(mem);
		if (from < to && (hva = gmem_ptr(mem, from, to - from)))
			out[n++] = (struct prefault_span){ hva, to - from };
	}
	return n;
}

int prefault_parse(const char *s, enum prefault_mode *mode)
{
	if (strcmp(s, "off") == 0)
		*mode = PREFAULT_OFF;
	else if (strcmp(s, "boot") == 0)
		*mode = PREFAULT_BOOT;
	else if (strcmp(s, "all") == 0)
		*mode = PREFAULT_ALL;
	else
		return fail(ERR_USAGE, "--prefault takes off, boot or all, not '%s'", s);
	return 0;
}

static void *prefault_thread(void *arg)
{
	struct prefault *pf = arg;
	struct sched_param idle = { 0 };
	uint64_t t0 = now_ns();

	/* Only on CPU time nobody else wants: never ahead of a vCPU or the
	 * thread that serves its exits. */
	pthread_setschedparam(pthread_self(), SCHED_IDLE, &idle);
	seccomp_enter(THREAD_PREFAULT);

	for (unsigned i = 0; i < pf->nspans && !pf->err; i++) {
		for (uint64_t off = 0; off < pf->spans[i].len; off += STEP) {
			uint64_t len = pf->spans[i].len - off < STEP ? pf->spans[i].len - off : STEP;

			if (atomic_load(&pf->stop))
				goto out;
			/* Host out of memory, or a kernel without the call:
			 * the guest faults the rest in itself. */
			if (madvise(pf->spans[i].hva + off, len, MADV_POPULATE_WRITE) != 0) {
				pf->err = errno;
				break;
			}
			pf->done += len;
		}
	}
out:
	pf->ns = now_ns() - t0;
	return NULL;
}

void prefault_start(struct prefault *pf, const struct guest_mem *mem, enum prefault_mode mode)
{
	memset(pf, 0, sizeof(*pf));
	atomic_init(&pf->stop, false);
	pf->nspans = prefault_plan(mem, mode, pf->spans);
	if (pf->nspans == 0)
		return;
	pf->running = thread_start_unsignalled(&pf->thread, prefault_thread, pf) == 0;
	if (!pf->running)
		log_debug("prefault: no helper thread; the guest faults its memory in itself");
}

void prefault_stop(struct prefault *pf)
{
	if (!pf->running)
		return;
	atomic_store(&pf->stop, true);
	pthread_join(pf->thread, NULL);
	pf->running = false;
	log_debug("prefault: %llu MiB populated in %.1f ms%s%s", (unsigned long long)(pf->done >> 20),
		  (double)pf->ns / 1e6, pf->err ? ", ended early: " : "", pf->err ? strerror(pf->err) : "");
}
