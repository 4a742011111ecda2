/*
 * alert_view.c - the read-only queries behind `tilldesk alert list|show`.
 */
#include "storage/alert_view.h"
#include "storage/internal.h"
#include "storage/silence_sql.h"

struct alert_rows {
	int (*fn)(const struct alert_view *, void *);
	void *arg;
};

static int alert_row(sqlite3_stmt *st, void *arg)
{
	struct alert_rows *rows = arg;
	struct alert_view a = {
		.id = sqlite3_column_int64(st, 0),
		.store_id = sqlite3_column_int64(st, 1),
		.till_id = sqlite3_column_int64(st, 2),
		.store = db_text(st, 3),
		.till = db_text(st, 4),
		.timezone = db_text(st, 5),
		.code = db_text(st, 6),
		.check_name = db_text(st, 7),
		.state = db_text(st, 8),
		.severity = db_text(st, 9),
		.message = db_text(st, 10),
		.priority = sqlite3_column_int(st, 11),
		.count = sqlite3_column_int64(st, 12),
		.opened_at = sqlite3_column_int64(st, 13),
		.last_seen_at = sqlite3_column_int64(st, 14),
		.ok_since = sqlite3_column_int64(st, 15),
		.resolved_at = sqlite3_column_int64(st, 16),
		.ticket_id = sqlite3_column_int64(st, 17),
		.storm_id = sqlite3_column_int64(st, 18),
		.held_by = sqlite3_column_int64(st, 19),
		.silence_id = sqlite3_column_int64(st, 20),
		.flapping = sqlite3_column_int(st, 21) != 0,
		.silenced = sqlite3_column_int(st, 22) != 0,
	};
	return rows->fn(&a, rows->arg);
}

/*
 * ?1 is now. "Silenced" is asked of the silences themselves, not of the
 * alert's silence_id (the silence it opened under): one added later
 * counts, one removed since does not.
 */
#define ALERT_SELECT \
	"SELECT a.id, a.store_id, a.till_id, st.name, t.name, st.timezone, a.code, a.check_name," \
	" a.state, a.severity, a.message, a.priority, a.count, a.opened_at, a.last_seen_at," \
	" a.ok_since, a.resolved_at, a.ticket_id, a.storm_id, a.held_by, a.silence_id, a.flapping," \
	" a.state != 'resolved' AND EXISTS (SELECT 1 FROM silences s WHERE " \
	SILENCE_LIVE("s", "?1") " AND " SILENCE_COVERS("s", "a.store_id", "a.till_id", "a.code") ")" \
	" FROM alerts a JOIN stores st ON st.id = a.store_id LEFT JOIN tills t ON t.id = a.till_id "

int db_alert_view_list(struct db *db, const struct alert_view_filter *f, int64_t now,
		       int (*fn)(const struct alert_view *, void *), void *arg)
{
	static const struct alert_view_filter all = { 0 };
	struct alert_rows rows = { fn, arg };
	if (!f)
		f = &all;
	return db_query_each(db, ALERT_SELECT
			     "WHERE (?2 = 0 OR a.store_id = ?2) AND (?3 = 0 OR a.state != 'resolved')"
			     " ORDER BY CASE a.state WHEN 'firing' THEN 0 WHEN 'recovering' THEN 1 ELSE 2 END,"
			     " CASE WHEN a.state = 'resolved' THEN -a.resolved_at ELSE a.priority END,"
			     " CASE WHEN a.state = 'resolved' THEN 0 ELSE a.opened_at END, a.id"
			     " LIMIT ?4",
			     DB_BINDS(DB_INT(now), DB_INT(f->store_id), DB_INT(f->live_only),
				      DB_INT(f->limit > 0 ? f->limit : -1)), alert_row, &rows);
}

int db_alert_view_get(struct db *db, int64_t id, int64_t now,
		      int (*fn)(const struct alert_view *, void *), void *arg)
{
	struct alert_rows rows = { fn, arg };
	return db_query_one(db, ALERT_SELECT "WHERE a.id = ?2", DB_BINDS(DB_INT(now), DB_INT(id)),
			    alert_row, &rows);
}

struct event_rows {
	int (*fn)(const struct alert_event_view *, void *);
	void *arg;
};

static int event_row(sqlite3_stmt *st, void *arg)
{
	struct event_rows *rows = arg;
	struct alert_event_view e = {
		.id = sqlite3_column_int64(st, 0),
		.at = sqlite3_column_int64(st, 1),
		.kind = db_text(st, 2),
		.body = db_text(st, 3),
	};
	return rows->fn(&e, rows->arg);
}

int db_alert_view_history(struct db *db, int64_t id,
			  int (*fn)(const struct alert_event_view *, void *), void *arg)
{
	struct event_rows rows = { fn, arg };
	return db_query_each(db, "SELECT id, at, kind, body FROM alert_events WHERE alert_id = ?"
			     " ORDER BY id", DB_BINDS(DB_INT(id)), event_row, &rows);
}
