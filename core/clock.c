#include <stdatomic.h>
#include <unistd.h>

#include "core/clock.h"

static _Atomic int64_t pinned;
static _Atomic int64_t offset;

int64_t clock_now(void)
{
	int64_t p = atomic_load(&pinned);
	if (p)
		return p;
	return (int64_t)time(NULL) + atomic_load(&offset);
}

int64_t clock_mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t clock_mono_ms(void)
{
	return clock_mono_us() / 1000;
}

void clock_set(int64_t t)
{
	atomic_store(&pinned, t);
	atomic_store(&offset, 0);
}

void clock_advance(int64_t delta)
{
	if (atomic_load(&pinned))
		atomic_fetch_add(&pinned, delta);
	else
		atomic_fetch_add(&offset, delta);
}

void clock_format_utc(char *out, size_t n, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, n, "%Y-%m-%d %H:%M", &tm);
}

void clock_nap(int64_t ms, const volatile int *stop)
{
	for (int64_t t = 0; t < ms && !*stop; t += 100)
		usleep(100 * 1000);
}
