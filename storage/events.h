/*
 * events.h - what the till agents report (doc/AGENT-API.md): their events,
 * the latest state of each (till, check code), and the equipment facts
 * those events carry.
 *
 * Events are idempotent by (till, event id): a repeat is counted as a
 * duplicate and changes nothing. check_states keeps, per till and code,
 * the newest status with when it began and how many events saw it, for the
 * alerting to build on. Writers take a struct db with a transaction open
 * (the caller commits), like the rest of storage/.
 */
#ifndef TD_EVENTS_H
#define TD_EVENTS_H

#include "storage/db.h"

enum agent_kind { AGENT_CHANGE, AGENT_HEARTBEAT };
enum agent_status { AGENT_OK, AGENT_WARNING, AGENT_CRITICAL, AGENT_UNKNOWN };

/* The wire and stored names ("change", "ok" ...); NULL for a value out of range. */
const char *agent_kind_name(enum agent_kind k);
const char *agent_status_name(enum agent_status s);
/* Parses a wire name. 0, or TD_EINVAL. */
int agent_kind_parse(enum agent_kind *out, const char *s);
int agent_status_parse(enum agent_status *out, const char *s);

/* One event as the agent sent it, already checked; every string borrowed. */
struct agent_event {
	const char *id, *check, *code, *message;
	enum agent_kind kind;
	enum agent_status status;
	int64_t observed_at;        /* the agent's clock, Unix seconds */
	const char *data;           /* the data object as compact JSON; NULL: none */
	/* Facts from data (NULL: not reported): the fiscal drive, the key's certificates. */
	const char *fn_serial, *fn_valid_until;
	const char *utm_rsa_until, *utm_gost_until;
};

/*
 * The till whose agent token hashes to token_hash, with the hash stored for
 * it (for a constant-time comparison by the caller). TD_ENOTFOUND for none.
 */
int db_agent_till(struct db *db, const char *token_hash, int64_t *till_id,
		  char stored_hash[65]);

/*
 * Stores events[0..n) of till_id received at now: each new event id is
 * kept (a change with its message and data, a heartbeat without, since
 * check_states holds its state), check_states moves to the newest
 * observation of each code, the till is heard at now and its reported
 * facts update its equipment. Counts the new events in *accepted and the
 * repeats in *duplicate; fresh (NULL: not wanted) gets, per event, whether
 * it was new. In the caller's transaction.
 */
int db_agent_store(struct db *db, int64_t till_id, const struct agent_event *events, size_t n,
		   int64_t now, int *accepted, int *duplicate, bool *fresh);

/*
 * Deletes up to limit heartbeats received before `before` (changes are kept
 * for good); *deleted gets how many went. In the caller's transaction.
 */
int db_agent_prune(struct db *db, int64_t before, int limit, int *deleted);

/* Gives a till a new agent token (its hash): the old one stops working at once. */
int db_till_set_token(struct db *db, int64_t till_id, const char *token_hash);

/* The latest state of one (till, code), for readers and tests. */
struct check_state_row {
	int64_t till_id;
	const char *check, *code, *status, *message;
	int64_t first_seen_at;      /* observed_at of the first event in this status */
	int64_t last_seen_at;       /* observed_at of the newest event */
	int64_t count;              /* events seen in this status */
};
int db_check_state_list(struct db *db, int64_t till_id,
			int (*fn)(const struct check_state_row *, void *), void *arg);

#endif
