/*
 * silence.c - silences: what they cover, when they are over, and the
 * admin's add / list / remove.
 */
#include "storage/internal.h"
#include "storage/silence.h"
#include "storage/silence_sql.h"

int db_silence_find(struct db *db, int64_t store_id, int64_t till_id, const char *code,
		    int64_t now, int64_t *id)
{
	*id = 0;
	int rc = db_query_int(db, "SELECT s.id FROM silences s WHERE "
			      SILENCE_LIVE("s", "?4") " AND " SILENCE_COVERS("s", "?1", "?2", "?3")
			      " ORDER BY s.id DESC LIMIT 1",
			      DB_BINDS(DB_INT(store_id), DB_ID(till_id), DB_TEXT(code), DB_INT(now)), id);
	return rc == TD_ENOTFOUND ? 0 : rc;
}

struct id_list {
	int64_t *ids;
	size_t n, cap;
};

static int collect_id(sqlite3_stmt *st, void *arg)
{
	struct id_list *l = arg;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->ids = xrealloc(l->ids, l->cap * sizeof(*l->ids));
	}
	l->ids[l->n++] = sqlite3_column_int64(st, 0);
	return 0;
}

int db_silences_over(struct db *db, int64_t now, int (*fn)(int64_t silence_id, void *arg),
		     void *arg)
{
	struct id_list l = { 0 };
	/*
	 * The ids first, the calls after: fn marks each one ended (and may
	 * write more) while no statement is reading the table.
	 */
	int rc = db_query_each(db, "SELECT id FROM silences WHERE ended_at IS NULL"
			       " AND (ends_at <= ?1 OR removed_at IS NOT NULL)"
			       " ORDER BY min(ends_at, coalesce(removed_at, ends_at)), id",
			       DB_BINDS(DB_INT(now)), collect_id, &l);
	for (size_t i = 0; !rc && i < l.n; i++)
		rc = fn(l.ids[i], arg);
	free(l.ids);
	return rc;
}

int db_silence_ended(struct db *db, int64_t silence_id, int64_t now)
{
	return db_run(db, "UPDATE silences SET ended_at = ?2 WHERE id = ?1 AND ended_at IS NULL",
		      DB_BINDS(DB_INT(silence_id), DB_INT(now)));
}

int db_silence_add(struct db *db, int64_t *out, const struct silence_new *s, int64_t now)
{
	return db_run_insert(db, "INSERT INTO silences(till_id, store_id, code, starts_at, ends_at,"
			     " comment, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
			     DB_BINDS(DB_ID(s->match.till_id), DB_ID(s->match.store_id),
				      DB_TEXT(s->match.code), DB_INT(s->starts_at),
				      DB_INT(s->ends_at), DB_TEXT(s->comment),
				      DB_TEXT(s->created_by), DB_INT(now)), out);
}

int db_silence_remove(struct db *db, int64_t id, int64_t now)
{
	int64_t gone;
	int rc = db_query_int(db, "SELECT removed_at IS NOT NULL OR ends_at <= ?2 FROM silences"
			      " WHERE id = ?1", DB_BINDS(DB_INT(id), DB_INT(now)), &gone);
	if (rc)
		return rc;
	if (gone)
		return TD_EEXISTS;
	return db_run(db, "UPDATE silences SET removed_at = ?2 WHERE id = ?1",
		      DB_BINDS(DB_INT(id), DB_INT(now)));
}

int db_silence_zone(struct db *db, const struct silence_match *m, char *out, size_t n)
{
	*out = '\0';
	int rc = db_query_text(db, "SELECT timezone FROM stores WHERE id ="
			       " coalesce(?1, (SELECT store_id FROM tills WHERE id = ?2))",
			       DB_BINDS(DB_ID(m->store_id), DB_ID(m->till_id)), out, n);
	return rc == TD_ENOTFOUND ? 0 : rc;
}

struct silence_rows {
	int (*fn)(const struct silence_row *, void *);
	void *arg;
	int64_t now;
};

static enum silence_state state_at(const struct silence_row *r, int64_t now)
{
	if (r->removed_at)
		return SILENCE_REMOVED;
	if (r->ends_at <= now)
		return SILENCE_EXPIRED;
	return r->starts_at > now ? SILENCE_SCHEDULED : SILENCE_ACTIVE;
}

static int silence_row(sqlite3_stmt *st, void *arg)
{
	struct silence_rows *rows = arg;
	struct silence_row r = {
		.id = sqlite3_column_int64(st, 0),
		.till_id = sqlite3_column_int64(st, 1),
		.store_id = sqlite3_column_int64(st, 2),
		.code = db_text(st, 3),
		.store = db_text(st, 4),
		.till = db_text(st, 5),
		.timezone = db_text(st, 6),
		.starts_at = sqlite3_column_int64(st, 7),
		.ends_at = sqlite3_column_int64(st, 8),
		.created_at = sqlite3_column_int64(st, 9),
		.removed_at = sqlite3_column_int64(st, 10),
		.ended_at = sqlite3_column_int64(st, 11),
		.comment = db_text(st, 12),
		.created_by = db_text(st, 13),
	};
	r.state = state_at(&r, rows->now);
	return rows->fn(&r, rows->arg);
}

/* A till's silence names the till's store too, for the reader. */
#define SILENCE_SELECT \
	"SELECT s.id, s.till_id, s.store_id, s.code, st.name, t.name, st.timezone," \
	" s.starts_at, s.ends_at, s.created_at, s.removed_at, s.ended_at, s.comment, s.created_by" \
	" FROM silences s LEFT JOIN tills t ON t.id = s.till_id" \
	" LEFT JOIN stores st ON st.id = coalesce(s.store_id, t.store_id) "

int db_silence_list(struct db *db, bool all, int64_t now,
		    int (*fn)(const struct silence_row *, void *), void *arg)
{
	struct silence_rows rows = { fn, arg, now };
	return db_query_each(db, SILENCE_SELECT "WHERE ?1 OR (s.removed_at IS NULL AND s.ends_at > ?2)"
			     " ORDER BY s.starts_at, s.id", DB_BINDS(DB_INT(all), DB_INT(now)),
			     silence_row, &rows);
}

int db_silence_get(struct db *db, int64_t id, int64_t now,
		   int (*fn)(const struct silence_row *, void *), void *arg)
{
	struct silence_rows rows = { fn, arg, now };
	return db_query_one(db, SILENCE_SELECT "WHERE s.id = ?", DB_BINDS(DB_INT(id)), silence_row,
			    &rows);
}

int db_silences_covering(struct db *db, int64_t store_id, int64_t till_id, const char *code,
			 int64_t from, int64_t to, int64_t now,
			 int (*fn)(const struct silence_row *, void *), void *arg)
{
	struct silence_rows rows = { fn, arg, now };
	/*
	 * In force at some instant of [from, to]: started by its end, not
	 * ended or removed before it (nor removed before it began).
	 */
	return db_query_each(db, SILENCE_SELECT "WHERE " SILENCE_COVERS("s", "?1", "?2", "?3")
			     " AND s.starts_at <= ?5 AND min(s.ends_at, coalesce(s.removed_at, s.ends_at)) > ?4"
			     " AND min(s.ends_at, coalesce(s.removed_at, s.ends_at)) > s.starts_at"
			     " ORDER BY s.starts_at, s.id",
			     DB_BINDS(DB_INT(store_id), DB_ID(till_id), DB_TEXT(code), DB_INT(from),
				      DB_INT(to)), silence_row, &rows);
}
