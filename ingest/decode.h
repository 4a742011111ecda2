/*
 * decode.h - the agents' batch (doc/AGENT-API.md) from an HTTP body: a pure
 * function, body in, a checked batch or the reason out, so that a libFuzzer
 * target (tests/fuzz/fuzz_ingest.c) drives it without a server.
 *
 * Every rule of the contract's table is checked here: valid UTF-8 without
 * NUL, nesting no deeper than the contract's objects, each member's type
 * and length, 1 to 500 events. Unknown members are ignored, so an older
 * server accepts a newer agent.
 */
#ifndef TD_INGEST_DECODE_H
#define TD_INGEST_DECODE_H

#include "core/common.h"
#include "storage/events.h"

#define INGEST_BODY_MAX (1024 * 1024)  /* bytes; more is 413 */
#define INGEST_EVENTS_MAX 500

struct json_object;

struct ingest_batch {
	const char *agent;          /* the agent's name and version; "" when not sent */
	const char *boot;           /* its spool's identity; "" when not sent */
	int64_t dropped;            /* heartbeats its full spool dropped */
	struct agent_event *events; /* n of them; strings borrowed from root */
	size_t n;
	struct json_object *root;   /* owns every string above */
};

/*
 * Decodes body[0..len) (borrowed; need not be NUL-terminated). Returns 0
 * with *out filled (release it with ingest_batch_release()), or TD_EINVAL
 * with the reason in err, such as "events[3].status: not one of ok,
 * warning, critical, unknown"; *out then holds nothing to release.
 */
int ingest_decode(struct ingest_batch *out, const char *body, size_t len, char *err,
		  size_t errlen);
void ingest_batch_release(struct ingest_batch *b);

#endif
