/*
 * sla.c - SLA timers and pauses in SQLite.
 */
#include "storage/internal.h"
#include "storage/sla.h"

const char *sla_kind_name(enum sla_kind k)
{
	return k == SLA_REACTION ? "reaction" : "resolution";
}

static int kind_parse(const char *s, enum sla_kind *out)
{
	if (!strcmp(s, "reaction"))
		*out = SLA_REACTION;
	else if (!strcmp(s, "resolution"))
		*out = SLA_RESOLUTION;
	else
		return TD_EINVAL;
	return 0;
}

int db_sla_set(struct db *db, const struct sla_timer *t)
{
	return db_run(db, "INSERT INTO sla_timers(ticket_id, kind, budget, started_at, due_at,"
		      " warn_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
		      " ON CONFLICT (ticket_id, kind) DO UPDATE SET budget = ?3,"
		      " started_at = ?4, due_at = ?5, warn_at = ?6",
		      DB_BINDS(DB_INT(t->ticket_id), DB_TEXT(sla_kind_name(t->kind)), DB_INT(t->budget),
			       DB_INT(t->started_at), DB_ID(t->due_at), DB_ID(t->warn_at)));
}

#define TIMER_COLUMNS "ticket_id, kind, budget, started_at, ifnull(due_at, 0), ifnull(warn_at, 0)," \
	" ifnull(warned_at, 0), ifnull(breached_at, 0), ifnull(met_at, 0), ifnull(used, 0)"
#define TIMER_NCOLUMNS 10

static void timer_of(sqlite3_stmt *st, struct sla_timer *t)
{
	*t = (struct sla_timer){
		.ticket_id = sqlite3_column_int64(st, 0),
		.budget = sqlite3_column_int64(st, 2),
		.started_at = sqlite3_column_int64(st, 3),
		.due_at = sqlite3_column_int64(st, 4),
		.warn_at = sqlite3_column_int64(st, 5),
		.warned_at = sqlite3_column_int64(st, 6),
		.breached_at = sqlite3_column_int64(st, 7),
		.met_at = sqlite3_column_int64(st, 8),
		.used = sqlite3_column_int64(st, 9),
	};
	kind_parse(db_text(st, 1), &t->kind);
}

static int timer_row(sqlite3_stmt *st, void *arg)
{
	timer_of(st, arg);
	return 0;
}

int db_sla_get(struct db *db, int64_t ticket_id, enum sla_kind kind, struct sla_timer *out)
{
	return db_query_one(db, "SELECT " TIMER_COLUMNS " FROM sla_timers"
			    " WHERE ticket_id = ? AND kind = ?",
			    DB_BINDS(DB_INT(ticket_id), DB_TEXT(sla_kind_name(kind))), timer_row, out);
}

int db_sla_met(struct db *db, int64_t ticket_id, enum sla_kind kind, int64_t at, int64_t used)
{
	/* at 0: NULL binds clear both. */
	return db_run(db, at ? "UPDATE sla_timers SET met_at = ?3, used = ?4"
			       " WHERE ticket_id = ?1 AND kind = ?2 AND met_at IS NULL"
			     : "UPDATE sla_timers SET met_at = ?3, used = ?4"
			       " WHERE ticket_id = ?1 AND kind = ?2",
		      DB_BINDS(DB_INT(ticket_id), DB_TEXT(sla_kind_name(kind)), DB_ID(at),
			       at ? DB_INT(used) : DB_ID(0)));
}

/* Runs sql like db_run() and tells whether it changed a row. */
static int run_changed(struct db *db, const char *sql, const struct db_bind *binds, bool *changed)
{
	int rc = db_run(db, sql, binds);
	*changed = !rc && sqlite3_changes(db->h) > 0;
	return rc;
}

int db_sla_pause(struct db *db, int64_t ticket_id, int64_t now, bool *changed)
{
	return run_changed(db, "INSERT INTO sla_pauses(ticket_id, from_at) SELECT ?1, ?2"
			   " WHERE NOT EXISTS (SELECT 1 FROM sla_pauses"
			   "  WHERE ticket_id = ?1 AND to_at IS NULL)",
			   DB_BINDS(DB_INT(ticket_id), DB_INT(now)), changed);
}

int db_sla_resume(struct db *db, int64_t ticket_id, int64_t now, bool *changed)
{
	return run_changed(db, "UPDATE sla_pauses SET to_at = max(?2, from_at)"
			   " WHERE ticket_id = ?1 AND to_at IS NULL",
			   DB_BINDS(DB_INT(ticket_id), DB_INT(now)), changed);
}

struct pause_list {
	struct sla_pause *items;
	size_t n, cap;
};

static int pause_row(sqlite3_stmt *st, void *arg)
{
	struct pause_list *l = arg;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 8;
		l->items = xrealloc(l->items, l->cap * sizeof(*l->items));
	}
	l->items[l->n++] = (struct sla_pause){ sqlite3_column_int64(st, 0),
					       sqlite3_column_int64(st, 1) };
	return 0;
}

int db_sla_pauses(struct db *db, int64_t ticket_id, struct sla_pause **out, size_t *n)
{
	struct pause_list l = { 0 };
	int rc = db_query_each(db, "SELECT from_at, ifnull(to_at, 0) FROM sla_pauses"
			       " WHERE ticket_id = ? ORDER BY from_at", DB_BINDS(DB_INT(ticket_id)),
			       pause_row, &l);
	if (rc) {
		free(l.items);
		l = (struct pause_list){ 0 };
	}
	*out = l.items;
	*n = l.n;
	return rc;
}

struct due_rows {
	int (*fn)(const struct sla_timer *, enum sla_notice, void *);
	void *arg;
};

static int due_row(sqlite3_stmt *st, void *arg)
{
	struct due_rows *rows = arg;
	struct sla_timer t;
	timer_of(st, &t);
	return rows->fn(&t, sqlite3_column_int(st, TIMER_NCOLUMNS) ? SLA_BREACH : SLA_WARNING,
			rows->arg);
}

int db_sla_due(struct db *db, int64_t now,
	       int (*fn)(const struct sla_timer *, enum sla_notice, void *), void *arg)
{
	struct due_rows rows = { fn, arg };
	/*
	 * A timer past both is told once, as breached; each half reads its own
	 * index, named: /queue's index of every running deadline would serve
	 * too, and SQLite took it, reading every running timer each second.
	 */
	return db_query_each(db, "SELECT " TIMER_COLUMNS ", 1 FROM sla_timers"
			     " INDEXED BY sla_timers_breach"
			     " WHERE met_at IS NULL AND breached_at IS NULL AND due_at <= ?1"
			     " UNION ALL SELECT " TIMER_COLUMNS ", 0 FROM sla_timers"
			     " INDEXED BY sla_timers_warn"
			     " WHERE met_at IS NULL AND breached_at IS NULL AND warned_at IS NULL"
			     " AND warn_at <= ?1 AND due_at > ?1"
			     " ORDER BY 5", DB_BINDS(DB_INT(now)), due_row, &rows);
}

int db_sla_noticed(struct db *db, int64_t ticket_id, enum sla_kind kind, enum sla_notice what,
		   int64_t now)
{
	/* A breach also counts as the warning: nothing is sent after it. */
	return db_run(db, what == SLA_BREACH
		      ? "UPDATE sla_timers SET breached_at = ?3, warned_at = ifnull(warned_at, ?3)"
			" WHERE ticket_id = ?1 AND kind = ?2"
		      : "UPDATE sla_timers SET warned_at = ?3 WHERE ticket_id = ?1 AND kind = ?2",
		      DB_BINDS(DB_INT(ticket_id), DB_TEXT(sla_kind_name(kind)), DB_INT(now)));
}

static int place_row(sqlite3_stmt *st, void *arg)
{
	struct sla_place *out = arg;
	snprintf(out->timezone, sizeof(out->timezone), "%s", db_text(st, 0));
	snprintf(out->hours, sizeof(out->hours), "%s", db_text(st, 1));
	snprintf(out->tier, sizeof(out->tier), "%s", db_text(st, 2));
	out->org_id = sqlite3_column_int64(st, 3);
	return 0;
}

int db_sla_place(struct db *db, int64_t ticket_id, struct sla_place *out)
{
	return db_query_one(db, "SELECT s.timezone, s.hours, o.tier, o.id FROM tickets t"
			    " JOIN stores s ON s.id = t.store_id JOIN orgs o ON o.id = s.org_id"
			    " WHERE t.id = ?", DB_BINDS(DB_INT(ticket_id)), place_row, out);
}

#define REPORT_TIMER(t) \
	" " t ".budget, ifnull(" t ".due_at, 0), ifnull(" t ".breached_at, 0)," \
	" ifnull(" t ".met_at, 0), ifnull(" t ".used, 0)"

/* A timer of a report row from its five columns at i; false when it has none. */
static bool report_timer(sqlite3_stmt *st, int i, int64_t ticket_id, enum sla_kind kind,
			 struct sla_timer *t)
{
	*t = (struct sla_timer){
		.ticket_id = ticket_id, .kind = kind,
		.budget = sqlite3_column_int64(st, i),
		.due_at = sqlite3_column_int64(st, i + 1),
		.breached_at = sqlite3_column_int64(st, i + 2),
		.met_at = sqlite3_column_int64(st, i + 3),
		.used = sqlite3_column_int64(st, i + 4),
	};
	return sqlite3_column_type(st, i) != SQLITE_NULL;
}

struct report_rows {
	int (*fn)(const struct sla_report_row *, void *);
	void *arg;
};

static int report_row(sqlite3_stmt *st, void *arg)
{
	struct report_rows *rows = arg;
	struct sla_report_row r = {
		.ticket_id = sqlite3_column_int64(st, 0),
		.created_at = sqlite3_column_int64(st, 1),
		.org = db_text(st, 2),
		.store = db_text(st, 3),
		.timezone = db_text(st, 4),
		.engineer = db_text(st, 5),
		.priority = sqlite3_column_int(st, 6),
		.breaches = sqlite3_column_int(st, 17),
	};
	r.has[SLA_REACTION] = report_timer(st, 7, r.ticket_id, SLA_REACTION,
					   &r.timer[SLA_REACTION]);
	r.has[SLA_RESOLUTION] = report_timer(st, 12, r.ticket_id, SLA_RESOLUTION,
					     &r.timer[SLA_RESOLUTION]);
	return rows->fn(&r, rows->arg);
}

int db_sla_report(struct db *db, int64_t from, int64_t to, int64_t org_id,
		  int (*fn)(const struct sla_report_row *, void *), void *arg)
{
	struct report_rows rows = { fn, arg };
	return db_query_each(db, "SELECT ts.id, ts.created_at, o.name, s.name, s.timezone,"
			     " coalesce(a.name, ''), ts.priority," REPORT_TIMER("r") ","
			     REPORT_TIMER("z") ","
			     " (SELECT count(*) FROM ticket_events e"
			     "  WHERE e.ticket_id = ts.id AND e.kind = 'sla_breach')"
			     " FROM ticket_state ts JOIN stores s ON s.id = ts.store_id"
			     " JOIN orgs o ON o.id = s.org_id LEFT JOIN people a ON a.id = ts.assignee_id"
			     " LEFT JOIN sla_timers r ON r.ticket_id = ts.id AND r.kind = 'reaction'"
			     " LEFT JOIN sla_timers z ON z.ticket_id = ts.id AND z.kind = 'resolution'"
			     " WHERE ts.created_at >= ?1 AND ts.created_at < ?2"
			     " AND (?3 = 0 OR s.org_id = ?3) ORDER BY ts.id",
			     DB_BINDS(DB_INT(from), DB_INT(to), DB_INT(org_id)), report_row, &rows);
}
