/*
 * silence.c - silences; see silence.h.
 */
#include "storage/internal.h"
#include "storage/silence.h"

int db_silence_find(struct db *db, int64_t store_id, int64_t till_id, const char *code,
		    int64_t now, int64_t *id)
{
	int rc = db_query_int(db, "SELECT id FROM silences WHERE starts_at <= ?4 AND ends_at > ?4"
			      " AND removed_at IS NULL AND ended_at IS NULL"
			      " AND (store_id IS NULL OR store_id = ?1)"
			      " AND (till_id IS NULL OR till_id = ?2)"
			      " AND (code IS NULL OR code = ?3) ORDER BY id DESC LIMIT 1",
			      DB_BINDS(DB_INT(store_id), DB_INT(till_id), DB_TEXT(code), DB_INT(now)), id);
	if (rc == TD_ENOTFOUND) {
		*id = 0;
		return 0;
	}
	return rc;
}

struct over {
	int (*fn)(int64_t, void *);
	void *arg;
};

static int over_row(sqlite3_stmt *st, void *arg)
{
	struct over *o = arg;
	return o->fn(sqlite3_column_int64(st, 0), o->arg);
}

int db_silences_over(struct db *db, int64_t now, int (*fn)(int64_t silence_id, void *arg),
		     void *arg)
{
	struct over o = { fn, arg };
	return db_query_each(db, "SELECT id FROM silences WHERE ended_at IS NULL"
			     " AND (ends_at <= ?1 OR removed_at IS NOT NULL) ORDER BY id",
			     DB_BINDS(DB_INT(now)), over_row, &o);
}

int db_silence_ended(struct db *db, int64_t silence_id, int64_t now)
{
	return db_run(db, "UPDATE silences SET ended_at = ?2 WHERE id = ?1",
		      DB_BINDS(DB_INT(silence_id), DB_INT(now)));
}
