/*
 * bucket.h - a token bucket per till: how many requests each till's agent
 * may make, so that one misbehaving agent cannot crowd out the others.
 *
 * Each till's bucket holds up to burst tokens and refills at rate tokens a
 * second; a request takes one. Thread-safe; time comes from the caller
 * (monotonic milliseconds), so tests need no clock.
 */
#ifndef TD_INGEST_BUCKET_H
#define TD_INGEST_BUCKET_H

#include "core/common.h"

struct buckets;

/* rate: tokens per second (> 0); burst: the most a bucket holds (>= 1). Free with buckets_free(). */
struct buckets *buckets_new(double rate, double burst);
void buckets_free(struct buckets *b);

/*
 * Takes a token from till's bucket (a new till's bucket starts full) at
 * now_ms. True when there was one; else false with *retry_after the
 * whole seconds (at least 1) until there is.
 */
bool buckets_take(struct buckets *b, int64_t till, int64_t now_ms, int *retry_after);

#endif
