/*
 * spool.h - the till agent's store and forward: events wait in a local
 * SQLite file until the server has acknowledged them.
 *
 * Its own schema (not the daemon's), opened with db_open_schema(). An
 * event is kept as its JSON object without the id; the id is the spool's
 * boot (its creation time, fixed for the life of the file) and the row's
 * sequence number, which SQLite never reuses: unique per till for ever, and
 * the same on every retry of the same event.
 */
#ifndef TD_STORAGE_SPOOL_H
#define TD_STORAGE_SPOOL_H

#include "core/buf.h"

struct spool;

enum spool_kind { SPOOL_CHANGE, SPOOL_HEARTBEAT };

/* One event to add: its kind and its JSON object (borrowed), without "id". */
struct spool_item {
	enum spool_kind kind;
	int64_t observed_at;
	const char *json;
};

/*
 * Opens (creating) the spool at path, holding at most max events (when
 * full the oldest heartbeats go, never a change). boot (the creation time)
 * is now when the file is new. Close with spool_close().
 */
int spool_open(struct spool **out, const char *path, long long max, int64_t now, char *err,
	       size_t errlen);
void spool_close(struct spool *sp);

/*
 * Adds n events in one transaction, all or none. When the spool passes its
 * bound the oldest heartbeats are dropped (a new heartbeat when no older
 * one is left) and counted; changes are never dropped, even past the
 * bound. Returns 0 or a TD_* error.
 */
int spool_add(struct spool *sp, const struct spool_item *items, size_t n);

/* A batch of the oldest events, ready to send. */
struct spool_batch {
	int64_t first_seq, last_seq;  /* the rows it holds */
	size_t n;                     /* events in it */
	long long dropped;            /* heartbeats dropped, reported with it */
};

/*
 * Appends to out the API's body (doc/AGENT-API.md) of the oldest events,
 * at most max of them: {"agent": agent, "boot", "dropped", "events": [...]}.
 * batch->n is 0 (and out untouched) when nothing waits.
 */
int spool_batch(struct spool *sp, size_t max, const char *agent, struct spool_batch *batch,
		struct buf *out);

/*
 * The server acknowledged batch: its events go and the drops it reported
 * are no longer owed (drops counted since stay for the next batch).
 */
int spool_ack(struct spool *sp, const struct spool_batch *batch);

/*
 * Sets the event seq aside as refused by the server for reason: kept in
 * the spool (counted, shown by spool_each) but never in a batch again, so
 * that one bad event does not hold back the rest.
 */
int spool_refuse(struct spool *sp, int64_t seq, const char *reason);

/* What waits: events, of them changes, drops owed, the oldest event's observed_at (0: none). */
struct spool_stats {
	long long events, changes, dropped;
	long long refused;            /* set aside by spool_refuse(), not among events */
	int64_t oldest;
	char boot[32];
};
int spool_stats(struct spool *sp, struct spool_stats *out);

/*
 * A number the agent keeps across restarts (the server's clock skew), by
 * key; TD_ENOTFOUND before it was ever set.
 */
int spool_meta_set(struct spool *sp, const char *key, int64_t value);
int spool_meta_get(struct spool *sp, const char *key, int64_t *out);

/*
 * Calls fn for each waiting event (refused: each event set aside by
 * spool_refuse()), oldest first, with its id, kind, JSON and the server's
 * reason (NULL for a waiting event), all borrowed.
 */
typedef int spool_each_fn(void *arg, const char *id, enum spool_kind kind, const char *json,
			  const char *reason);
int spool_each(struct spool *sp, size_t max, bool refused, spool_each_fn *fn, void *arg);

#endif
