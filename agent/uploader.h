/*
 * uploader.h - sends the spool's events to the server (doc/AGENT-API.md):
 * batches of up to 500, removed from the spool only after the server's 200;
 * backoff with jitter while the server cannot take them.
 */
#ifndef TD_AGENT_UPLOADER_H
#define TD_AGENT_UPLOADER_H

#include "core/http.h"
#include "storage/spool.h"

#define UPLOAD_BATCH_MAX 500

struct uploader {
	/*
	 * Sends body to the server: the HTTP client by default, a fake in the
	 * unit tests. Returns 0 when an answer came (resp filled), else TD_ERR.
	 */
	int (*post)(void *arg, const char *body, size_t len, struct http_response *resp);
	void *post_arg;
	struct http *http;
	char *url;               /* server + /api/v1/events */
	long timeout_ms;
	int64_t retry_max_ms;
	size_t batch_max;        /* halved by a 413, grown back by each 200 */
	int failures;            /* attempts failed in a row */
	int64_t next_try_ms;     /* clock_mono_ms() before which nothing is sent */
	int64_t last_401_log;    /* clock_mono_ms() of the last "unknown token" line */
	bool skew_known;
	int64_t skew_ms;         /* the server's time minus ours at its last 200 */
	bool refused;            /* a 401 came: cleared by a 200, or by the caller once it
	                          * has read its token file again */
	long long sent;          /* events acknowledged since start */
	/* A 400: the same refusal of the same oldest batch twice sends one event
	 * at a time, and the one the server names is set aside (spool_refuse). */
	char refusal[256];       /* the last 400's reason */
	int64_t refusal_seq;     /* the first event of the batch it refused */
	int refusals;            /* that refusal, in a row */
	bool one_by_one;         /* hunting the refused event: batches of one */
	long hunt_left;          /* events before the hunt is over (the named one's i + 1) */
	long long set_aside;     /* events set aside since start */
	const volatile int *abort_flag;  /* set: a request under way ends at once (stopping) */
};

/*
 * Sets u up to post to server (base URL, borrowed) with the till's token
 * (borrowed, sent as "Authorization: Bearer"). Release with uploader_release().
 */
void uploader_init(struct uploader *u, const char *server, const char *token, long timeout_ms,
		   int64_t retry_max_ms);
void uploader_release(struct uploader *u);

/* Sends token (borrowed) from the next request on, e.g. after a rotation. */
void uploader_set_token(struct uploader *u, const char *token);

/* After this many identical 400s the batch goes one event at a time. */
#define UPLOAD_REFUSALS_MAX 2

/*
 * Sends batches while events wait and the server takes them, unless the
 * backoff says not yet (force: try now anyway, for a fresh state change).
 * Returns 0 when the spool is empty, TD_EBUSY when events wait for a retry
 * at u->next_try_ms, or a spool error.
 */
int uploader_drain(struct uploader *u, struct spool *sp, bool force, const volatile int *stop);

/*
 * The wait before retry number failures (1, 2 ...): 1 s doubling up to
 * max_ms, the upper half drawn at random (rnd) so that tills cut off
 * together do not come back together; a Retry-After (seconds, 0: none) is
 * honoured when longer.
 */
int64_t uploader_backoff_ms(int failures, long retry_after, int64_t max_ms, uint32_t rnd);

#endif
