#include "storage/failed.h"
#include "storage/internal.h"

int db_failed_add(struct db *db, int64_t *out, int64_t update_id, const char *raw,
		  const char *error, int tries, int64_t now)
{
	return db_run_insert(db, "INSERT INTO failed_updates(update_id, raw, error, tries,"
			     " created_at, tried_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
			     DB_BINDS(DB_INT(update_id), DB_TEXT(raw), DB_TEXT(error), DB_INT(tries),
				      DB_INT(now)), out);
}

struct failed_rows {
	int (*fn)(const struct failed_update *, void *);
	void *arg;
};

static int failed_row(sqlite3_stmt *st, void *arg)
{
	struct failed_rows *rows = arg;
	struct failed_update f = {
		.id = sqlite3_column_int64(st, 0),
		.update_id = sqlite3_column_int64(st, 1),
		.raw = db_text(st, 2),
		.error = db_text(st, 3),
		.tries = sqlite3_column_int(st, 4),
		.created_at = sqlite3_column_int64(st, 5),
		.tried_at = sqlite3_column_int64(st, 6),
	};
	return rows->fn(&f, rows->arg);
}

#define FAILED_COLUMNS "SELECT id, update_id, raw, error, tries, created_at, tried_at FROM failed_updates"

int db_failed_list(struct db *db, int (*fn)(const struct failed_update *, void *), void *arg)
{
	struct failed_rows rows = { fn, arg };
	return db_query_each(db, FAILED_COLUMNS " ORDER BY id", DB_NO_BINDS, failed_row, &rows);
}

int db_failed_get(struct db *db, int64_t id, int (*fn)(const struct failed_update *, void *),
		  void *arg)
{
	struct failed_rows rows = { fn, arg };
	return db_query_one(db, FAILED_COLUMNS " WHERE id = ?", DB_BINDS(DB_INT(id)), failed_row,
			    &rows);
}

int db_failed_tried(struct db *db, int64_t id, const char *error, int64_t now)
{
	return db_run(db, "UPDATE failed_updates SET tries = tries + 1, error = ?, tried_at = ?"
		      " WHERE id = ?", DB_BINDS(DB_TEXT(error), DB_INT(now), DB_INT(id)));
}

int db_failed_remove(struct db *db, int64_t id)
{
	return db_exec_id(db, "DELETE FROM failed_updates WHERE id = ?", id);
}
