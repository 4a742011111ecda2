/*
 * timing.h - what the C benchmarks share: run a query many times after a
 * warm-up and read its p50 and p99.
 */
#ifndef TD_BENCH_TIMING_H
#define TD_BENCH_TIMING_H

#include <stdlib.h>

#include "core/clock.h"

struct timing {
	double p50, p99;   /* milliseconds */
};

static int timing_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/*
 * Runs once(arg) passes times, after passes / 10 runs that warm the caches
 * and are not counted; 0 with out filled, or the first failure of once().
 */
static int timing_run(int passes, int (*once)(void *arg), void *arg, struct timing *out)
{
	double *ms = calloc((size_t)passes, sizeof(*ms));
	int rc = ms ? 0 : -1;
	for (int i = -passes / 10; i < passes && !rc; i++) {
		int64_t t0 = clock_mono_us();
		rc = once(arg);
		if (i >= 0)
			ms[i] = (double)(clock_mono_us() - t0) / 1000.0;
	}
	if (!rc) {
		qsort(ms, (size_t)passes, sizeof(*ms), timing_cmp);
		out->p50 = ms[passes / 2];
		out->p99 = ms[passes * 99 / 100];
	}
	free(ms);
	return rc;
}

#endif
