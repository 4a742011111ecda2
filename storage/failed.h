/*
 * failed.h - updates that could not be handled, set aside (dead letters).
 *
 * The poller tries an update a few times; one that still fails is kept
 * here with its raw JSON and the error, in the transaction that moves the
 * offset past it, so the other chats go on and nothing is lost or doubled.
 * `tilldesk updates failed|retry` reads and replays them.
 */
#ifndef TD_FAILED_H
#define TD_FAILED_H

#include "storage/db.h"

struct failed_update {
	int64_t id, update_id;
	const char *raw;        /* the update's JSON, borrowed for the callback */
	const char *error;      /* the last try's error, borrowed */
	int tries;
	int64_t created_at, tried_at;
};

/* Keeps an update that failed tries times; gives the new row's id. */
int db_failed_add(struct db *db, int64_t *out, int64_t update_id, const char *raw,
		  const char *error, int tries, int64_t now);
/* Calls fn for each failed update, oldest first; fn returns non-zero to stop. */
int db_failed_list(struct db *db, int (*fn)(const struct failed_update *, void *), void *arg);
/* Calls fn with failed update id; TD_ENOTFOUND when there is none. */
int db_failed_get(struct db *db, int64_t id, int (*fn)(const struct failed_update *, void *),
		  void *arg);
/* Records one more failed try of id, with its error. */
int db_failed_tried(struct db *db, int64_t id, const char *error, int64_t now);
/* Forgets id: it was handled. */
int db_failed_remove(struct db *db, int64_t id);

#endif
