/*
 * clock.h - the one source of wall-clock time.
 *
 * Everything that asks "what time is it" calls clock_now(). Tests pin or
 * shift it with clock_set() and clock_advance().
 */
#ifndef TD_CLOCK_H
#define TD_CLOCK_H

#include "core/common.h"

/* Seconds since the epoch, UTC. */
int64_t clock_now(void);
/* Milliseconds of a monotonic clock, for timeouts and pacing. */
int64_t clock_mono_ms(void);
/* Microseconds of the same clock, for timing stages. */
int64_t clock_mono_us(void);

/* Sleeps up to ms, waking within 100 ms once *stop is set (a thread's loop). */
void clock_nap(int64_t ms, const volatile int *stop);

/* Pins the clock at t (t > 0) or returns it to the system clock (t == 0). */
void clock_set(int64_t t);
/* Moves a pinned clock, or offsets the system clock, by delta seconds. */
void clock_advance(int64_t delta);

/* Formats t as "YYYY-MM-DD HH:MM" UTC into out (at least 20 bytes). */
void clock_format_utc(char *out, size_t n, int64_t t);

#endif
