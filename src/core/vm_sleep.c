#include "core/vm_sleep.h"

void vm_sleep_init(struct vm_sleep *s)
{
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	s->suspended = false;
	atomic_store(&s->epoch, 0);
	s->on_wake = NULL;
	s->wake_ctx = NULL;
}

void vm_sleep_destroy(struct vm_sleep *s)
{
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
}

bool vm_sleep_enter(struct vm_sleep *s)
{
	bool was;

	pthread_mutex_lock(&s->lock);
	was = s->suspended;
	if (!was) {
		s->suspended = true;
		atomic_fetch_add(&s->epoch, 1);
	}
	pthread_mutex_unlock(&s->lock);
	return !was;
}

bool vm_sleep_is_suspended(struct vm_sleep *s)
{
	bool v;

	pthread_mutex_lock(&s->lock);
	v = s->suspended;
	pthread_mutex_unlock(&s->lock);
	return v;
}

bool vm_sleep_resume(struct vm_sleep *s, uint32_t vector)
{
	bool was;

	pthread_mutex_lock(&s->lock);
	was = s->suspended;
	if (was) {
		s->suspended = false;
		s->wake_vector = vector;
		pthread_cond_broadcast(&s->cond);
	}
	pthread_mutex_unlock(&s->lock);
	return was;
}

void vm_sleep_wake_event(struct vm_sleep *s, enum vm_wake_source src)
{
	if (s->on_wake)
		s->on_wake(s->wake_ctx, src);
}

void vm_sleep_release(struct vm_sleep *s)
{
	pthread_mutex_lock(&s->lock);
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

bool vm_sleep_wait(struct vm_sleep *s, unsigned epoch, bool (*running)(void *), void *ctx,
		   uint32_t *vector)
{
	bool resumed;

	pthread_mutex_lock(&s->lock);
	/* A later epoch means it resumed and suspended again: this one is over. */
	while (s->suspended && atomic_load(&s->epoch) == epoch && running(ctx))
		pthread_cond_wait(&s->cond, &s->lock);
	resumed = running(ctx);
	*vector = s->wake_vector;
	pthread_mutex_unlock(&s->lock);
	return resumed;
}
