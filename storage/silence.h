/*
 * silence.h - silences: a till, a store or a check code (or a mix) made
 * quiet for a while. Silenced alerts are recorded and notify no one; when a
 * silence ends (its time is up, or an admin removed it), the alerting
 * announces the alerts that still fire. In the caller's transaction.
 */
#ifndef TD_SILENCE_H
#define TD_SILENCE_H

#include "storage/db.h"

/* What a silence covers: 0 / NULL for "any"; at least one is set. */
struct silence_match {
	int64_t till_id, store_id;
	const char *code;
};

/*
 * The newest live silence (started, not ended, not removed at now) covering
 * an alert of store_id / till_id (0: a store alert) / code: its id in *id,
 * 0 when none does. A silence of a store covers its tills too; a
 * silence's code ending in '*' covers every code it begins (below).
 */
int db_silence_find(struct db *db, int64_t store_id, int64_t till_id, const char *code,
		    int64_t now, int64_t *id);

/*
 * Calls fn for each silence that is over at now (its end passed or it was
 * removed) and whose end was not handled yet, oldest first; the caller
 * marks each handled with db_silence_ended() in the same transaction.
 */
int db_silences_over(struct db *db, int64_t now, int (*fn)(int64_t silence_id, void *arg),
		     void *arg);
int db_silence_ended(struct db *db, int64_t silence_id, int64_t now);

/*
 * What `tilldesk silence` adds, lists and removes. A code ending in '*' is
 * a prefix pattern: "fn.*" covers every fiscal drive code ("fn.expiring",
 * "fn.blocked"); any other code covers itself alone.
 */
struct silence_new {
	struct silence_match match;
	int64_t starts_at, ends_at;          /* [starts_at, ends_at) */
	const char *comment, *created_by;    /* borrowed; created_by: the admin's login */
};

/* Adds a silence (the caller checked it: a scope, ends_at > starts_at); its id in *out. */
int db_silence_add(struct db *db, int64_t *out, const struct silence_new *s, int64_t now);

/*
 * Removes silence id at now (removed_at): it stops covering anything, and
 * db_silences_over() reports it. TD_ENOTFOUND for an unknown id,
 * TD_EEXISTS when it was removed already or its time is up.
 */
int db_silence_remove(struct db *db, int64_t id, int64_t now);

enum silence_state {
	SILENCE_SCHEDULED,   /* starts later */
	SILENCE_ACTIVE,      /* in force */
	SILENCE_EXPIRED,     /* its end passed */
	SILENCE_REMOVED,     /* an admin removed it */
};

/* One silence, its strings borrowed for the duration of the callback. */
struct silence_row {
	int64_t id, till_id, store_id;       /* 0: any */
	const char *code;                    /* "" : any code */
	const char *store, *till;            /* names ("" when not set; a till's store is named) */
	const char *timezone;                /* the store's (or the till's store's); "" for codes only */
	int64_t starts_at, ends_at, created_at;
	int64_t removed_at, ended_at;        /* 0: not */
	const char *comment, *created_by;
	enum silence_state state;            /* at the now the lister was given */
};

/*
 * The time zone a silence of m is read and shown in: its store's (or its
 * till's store's) into out; "" for a silence of codes alone (UTC).
 */
int db_silence_zone(struct db *db, const struct silence_match *m, char *out, size_t n);

/*
 * Calls fn for each silence, by start then id: all of them, or (all false)
 * those not over at now (active or scheduled). fn returning non-zero stops.
 */
int db_silence_list(struct db *db, bool all, int64_t now,
		    int (*fn)(const struct silence_row *, void *), void *arg);
/* Calls fn for silence id (its state at now); TD_ENOTFOUND when there is none. */
int db_silence_get(struct db *db, int64_t id, int64_t now,
		   int (*fn)(const struct silence_row *, void *), void *arg);
/*
 * Calls fn for each silence covering the alert of store_id / till_id (0:
 * the store alert) / code whose time meets [from, to], removed or not,
 * by start then id: what `tilldesk alert show` lists.
 */
int db_silences_covering(struct db *db, int64_t store_id, int64_t till_id, const char *code,
			 int64_t from, int64_t to, int64_t now,
			 int (*fn)(const struct silence_row *, void *), void *arg);

#endif
