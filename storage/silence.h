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
 * 0 when none does. A silence of a store covers its tills too.
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

#endif
