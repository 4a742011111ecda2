/*
 * zones.h - helpers of the unit tests that work with time zones. Include
 * after cmocka.h and core/tz.h.
 */
#ifndef TD_TEST_ZONES_H
#define TD_TEST_ZONES_H

#include <time.h>

/* Seconds since the epoch of a UTC wall time. */
static inline int64_t utc(int y, int mon, int d, int h, int mi, int s)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mon - 1, .tm_mday = d,
			 .tm_hour = h, .tm_min = mi, .tm_sec = s };
	return (int64_t)timegm(&tm);
}

/* The zone called name; the test fails when it does not load. */
static inline struct tz *load(const char *name)
{
	struct tz *tz = NULL;
	int rc = tz_load(&tz, name);
	if (rc)
		fail_msg("tz_load(%s) = %d", name, rc);
	return tz;
}

#endif
