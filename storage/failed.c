#include "storage/failed.h"
#include "storage/internal.h"

int db_failed_add(struct db *db, int64_t *out, int64_t update_id, const char *raw,
		  const char *error, int tries, int64_t now)
{
	sqlite3_stmt *st;
	if (db_prepare(db, &st, "INSERT INTO failed_updates(update_id, raw, error, tries, created_at,"
			       " tried_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)"))
		return TD_ERR;
	sqlite3_bind_int64(st, 1, update_id);
	sqlite3_bind_text(st, 2, raw, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, error, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, tries);
	sqlite3_bind_int64(st, 5, now);
	return db_insert(db, st, out);
}

/* Runs st (columns as below) and calls fn for each row; fn non-zero stops. */
static int each_row(struct db *db, sqlite3_stmt *st,
		    int (*fn)(const struct failed_update *, void *), void *arg, int *rows)
{
	int rc = 0;
	*rows = 0;
	while (!rc && sqlite3_step(st) == SQLITE_ROW) {
		struct failed_update f = {
			.id = sqlite3_column_int64(st, 0),
			.update_id = sqlite3_column_int64(st, 1),
			.raw = db_text(st, 2),
			.error = db_text(st, 3),
			.tries = sqlite3_column_int(st, 4),
			.created_at = sqlite3_column_int64(st, 5),
			.tried_at = sqlite3_column_int64(st, 6),
		};
		(*rows)++;
		rc = fn(&f, arg);
	}
	db_finish(db, st);
	return rc;
}

#define FAILED_COLUMNS "SELECT id, update_id, raw, error, tries, created_at, tried_at FROM failed_updates"

int db_failed_list(struct db *db, int (*fn)(const struct failed_update *, void *), void *arg)
{
	sqlite3_stmt *st;
	int rows;
	if (db_prepare(db, &st, FAILED_COLUMNS " ORDER BY id"))
		return TD_ERR;
	return each_row(db, st, fn, arg, &rows);
}

int db_failed_get(struct db *db, int64_t id, int (*fn)(const struct failed_update *, void *),
		  void *arg)
{
	sqlite3_stmt *st;
	int rows;
	if (db_prepare(db, &st, FAILED_COLUMNS " WHERE id = ?"))
		return TD_ERR;
	sqlite3_bind_int64(st, 1, id);
	int rc = each_row(db, st, fn, arg, &rows);
	return rc ? rc : rows ? 0 : TD_ENOTFOUND;
}

int db_failed_tried(struct db *db, int64_t id, const char *error, int64_t now)
{
	sqlite3_stmt *st;
	if (db_prepare(db, &st, "UPDATE failed_updates SET tries = tries + 1, error = ?, tried_at = ?"
			       " WHERE id = ?"))
		return TD_ERR;
	sqlite3_bind_text(st, 1, error, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, id);
	return db_step_done(db, st);
}

int db_failed_remove(struct db *db, int64_t id)
{
	return db_exec_id(db, "DELETE FROM failed_updates WHERE id = ?", id);
}
