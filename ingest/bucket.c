#include <math.h>
#include <pthread.h>

#include "ingest/bucket.h"

struct bucket {
	int64_t till;    /* 0: a free slot (till ids start at 1) */
	double tokens;
	int64_t at_ms;   /* when tokens was last brought up to date */
};

/* Open addressing, linear probing, kept at most half full: a till is found in a probe or two. */
struct buckets {
	pthread_mutex_t lock;
	double rate, burst;
	struct bucket *slot;
	size_t n, cap;   /* used slots, and all of them (a power of two) */
};

struct buckets *buckets_new(double rate, double burst)
{
	struct buckets *b = xcalloc(1, sizeof(*b));
	pthread_mutex_init(&b->lock, NULL);
	b->rate = rate;
	b->burst = burst;
	b->cap = 64;
	b->slot = xcalloc(b->cap, sizeof(*b->slot));
	return b;
}

void buckets_free(struct buckets *b)
{
	if (!b)
		return;
	pthread_mutex_destroy(&b->lock);
	free(b->slot);
	free(b);
}

static struct bucket *find(struct bucket *slot, size_t cap, int64_t till)
{
	size_t i = (size_t)((uint64_t)till * 0x9E3779B97F4A7C15ull >> 20) & (cap - 1);
	while (slot[i].till && slot[i].till != till)
		i = (i + 1) & (cap - 1);
	return &slot[i];
}

static void grow(struct buckets *b)
{
	size_t cap = b->cap * 2;
	struct bucket *slot = xcalloc(cap, sizeof(*slot));
	for (size_t i = 0; i < b->cap; i++)
		if (b->slot[i].till)
			*find(slot, cap, b->slot[i].till) = b->slot[i];
	free(b->slot);
	b->slot = slot;
	b->cap = cap;
}

bool buckets_take(struct buckets *b, int64_t till, int64_t now_ms, int *retry_after)
{
	bool ok;
	pthread_mutex_lock(&b->lock);
	if ((b->n + 1) * 2 > b->cap)
		grow(b);
	struct bucket *k = find(b->slot, b->cap, till);
	if (!k->till) {
		*k = (struct bucket){ till, b->burst, now_ms };
		b->n++;
	}
	if (now_ms > k->at_ms) {
		k->tokens = fmin(b->burst, k->tokens + (double)(now_ms - k->at_ms) * b->rate / 1000);
		k->at_ms = now_ms;
	}
	ok = k->tokens >= 1;
	if (ok) {
		k->tokens -= 1;
	} else {
		double wait = ceil((1 - k->tokens) / b->rate);
		*retry_after = wait < 1 ? 1 : wait > 3600 ? 3600 : (int)wait;
	}
	pthread_mutex_unlock(&b->lock);
	return ok;
}
