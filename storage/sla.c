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

static void bind_or_null(sqlite3_stmt *st, int i, int64_t v)
{
	if (v)
		sqlite3_bind_int64(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

int db_sla_set(struct db *db, const struct sla_timer *t)
{
	sqlite3_stmt *st;
	if (db_prepare(db, &st, "INSERT INTO sla_timers(ticket_id, kind, budget, started_at, due_at,"
			       " warn_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
			       " ON CONFLICT (ticket_id, kind) DO UPDATE SET budget = ?3,"
			       " started_at = ?4, due_at = ?5, warn_at = ?6"))
		return TD_ERR;
	sqlite3_bind_int64(st, 1, t->ticket_id);
	sqlite3_bind_text(st, 2, sla_kind_name(t->kind), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, t->budget);
	sqlite3_bind_int64(st, 4, t->started_at);
	bind_or_null(st, 5, t->due_at);
	bind_or_null(st, 6, t->warn_at);
	return db_step_done(db, st);
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

int db_sla_get(struct db *db, int64_t ticket_id, enum sla_kind kind, struct sla_timer *out)
{
	sqlite3_stmt *st;
	int rc = TD_ENOTFOUND;
	if (db_prepare(db, &st, "SELECT " TIMER_COLUMNS " FROM sla_timers"
			       " WHERE ticket_id = ? AND kind = ?"))
		return TD_ERR;
	sqlite3_bind_int64(st, 1, ticket_id);
	sqlite3_bind_text(st, 2, sla_kind_name(kind), -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		timer_of(st, out);
		rc = 0;
	}
	db_finish(db, st);
	return rc;
}

int db_sla_met(struct db *db, int64_t ticket_id, enum sla_kind kind, int64_t at, int64_t used)
{
	sqlite3_stmt *st;
	if (db_prepare(db, &st, at ? "UPDATE sla_timers SET met_at = ?3, used = ?4"
				     " WHERE ticket_id = ?1 AND kind = ?2 AND met_at IS NULL"
				   : "UPDATE sla_timers SET met_at = NULL, used = NULL"
				     " WHERE ticket_id = ?1 AND kind = ?2"))
		return TD_ERR;
	sqlite3_bind_int64(st, 1, ticket_id);
	sqlite3_bind_text(st, 2, sla_kind_name(kind), -1, SQLITE_STATIC);
	if (at) {
		sqlite3_bind_int64(st, 3, at);
		sqlite3_bind_int64(st, 4, used);
	}
	return db_step_done(db, st);
}

/* Runs st like db_step_done() and tells whether it changed a row. */
static int step_changed(struct db *db, sqlite3_stmt *st, bool *changed)
{
	int rc = db_step_done(db, st);
	*changed = !rc && sqlite3_changes(db->h) > 0;
	return rc;
}

int db_sla_pause(struct db *db, int64_t ticket_id, int64_t now, bool *changed)
{
	sqlite3_stmt *st;
	if (db_prepare(db, &st, "INSERT INTO sla_pauses(ticket_id, from_at) SELECT ?1, ?2"
			       " WHERE NOT EXISTS (SELECT 1 FROM sla_pauses"
			       "  WHERE ticket_id = ?1 AND to_at IS NULL)"))
		return TD_ERR;
	sqlite3_bind_int64(st, 1, ticket_id);
	sqlite3_bind_int64(st, 2, now);
	return step_changed(db, st, changed);
}

int db_sla_resume(struct db *db, int64_t ticket_id, int64_t now, bool *changed)
{
	sqlite3_stmt *st;
	if (db_prepare(db, &st, "UPDATE sla_pauses SET to_at = max(?2, from_at)"
			       " WHERE ticket_id = ?1 AND to_at IS NULL"))
		return TD_ERR;
	sqlite3_bind_int64(st, 1, ticket_id);
	sqlite3_bind_int64(st, 2, now);
	return step_changed(db, st, changed);
}

int db_sla_pauses(struct db *db, int64_t ticket_id, struct sla_pause **out, size_t *n)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	if (db_prepare(db, &st, "SELECT from_at, ifnull(to_at, 0) FROM sla_pauses"
			       " WHERE ticket_id = ? ORDER BY from_at"))
		return TD_ERR;
	sqlite3_bind_int64(st, 1, ticket_id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 8;
			*out = xrealloc(*out, cap * sizeof(**out));
		}
		(*out)[(*n)++] = (struct sla_pause){ sqlite3_column_int64(st, 0),
						     sqlite3_column_int64(st, 1) };
	}
	db_finish(db, st);
	return 0;
}

int db_sla_due(struct db *db, int64_t now,
	       int (*fn)(const struct sla_timer *, enum sla_notice, void *), void *arg)
{
	sqlite3_stmt *st;
	int rc = 0;
	/* A timer past both is told once, as breached; each half reads its own index. */
	if (db_prepare(db, &st, "SELECT " TIMER_COLUMNS ", 1 FROM sla_timers"
			       " WHERE met_at IS NULL AND breached_at IS NULL AND due_at <= ?1"
			       " UNION ALL SELECT " TIMER_COLUMNS ", 0 FROM sla_timers"
			       " WHERE met_at IS NULL AND breached_at IS NULL AND warned_at IS NULL"
			       " AND warn_at <= ?1 AND due_at > ?1"
			       " ORDER BY 5"))
		return TD_ERR;
	sqlite3_bind_int64(st, 1, now);
	while (!rc && sqlite3_step(st) == SQLITE_ROW) {
		struct sla_timer t;
		timer_of(st, &t);
		rc = fn(&t, sqlite3_column_int(st, TIMER_NCOLUMNS) ? SLA_BREACH : SLA_WARNING, arg);
	}
	db_finish(db, st);
	return rc;
}

int db_sla_noticed(struct db *db, int64_t ticket_id, enum sla_kind kind, enum sla_notice what,
		   int64_t now)
{
	sqlite3_stmt *st;
	/* A breach also counts as the warning: nothing is sent after it. */
	if (db_prepare(db, &st, what == SLA_BREACH
			       ? "UPDATE sla_timers SET breached_at = ?3, warned_at = ifnull(warned_at, ?3)"
				 " WHERE ticket_id = ?1 AND kind = ?2"
			       : "UPDATE sla_timers SET warned_at = ?3 WHERE ticket_id = ?1 AND kind = ?2"))
		return TD_ERR;
	sqlite3_bind_int64(st, 1, ticket_id);
	sqlite3_bind_text(st, 2, sla_kind_name(kind), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	return db_step_done(db, st);
}

int db_sla_place(struct db *db, int64_t ticket_id, struct sla_place *out)
{
	sqlite3_stmt *st;
	int rc = TD_ENOTFOUND;
	if (db_prepare(db, &st, "SELECT s.timezone, s.hours, o.tier, o.id FROM tickets t"
			       " JOIN stores s ON s.id = t.store_id JOIN orgs o ON o.id = s.org_id"
			       " WHERE t.id = ?"))
		return TD_ERR;
	sqlite3_bind_int64(st, 1, ticket_id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(out->timezone, sizeof(out->timezone), "%s", db_text(st, 0));
		snprintf(out->hours, sizeof(out->hours), "%s", db_text(st, 1));
		snprintf(out->tier, sizeof(out->tier), "%s", db_text(st, 2));
		out->org_id = sqlite3_column_int64(st, 3);
		rc = 0;
	}
	db_finish(db, st);
	return rc;
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

int db_sla_report(struct db *db, int64_t from, int64_t to, int64_t org_id,
		  int (*fn)(const struct sla_report_row *, void *), void *arg)
{
	sqlite3_stmt *st;
	int rc = 0;
	if (db_prepare(db, &st, "SELECT ts.id, ts.created_at, o.name, s.name, s.timezone,"
			       " coalesce(a.name, ''), ts.priority," REPORT_TIMER("r") ","
			       REPORT_TIMER("z") ","
			       " (SELECT count(*) FROM ticket_events e"
			       "  WHERE e.ticket_id = ts.id AND e.kind = 'sla_breach')"
			       " FROM ticket_state ts JOIN stores s ON s.id = ts.store_id"
			       " JOIN orgs o ON o.id = s.org_id LEFT JOIN people a ON a.id = ts.assignee_id"
			       " LEFT JOIN sla_timers r ON r.ticket_id = ts.id AND r.kind = 'reaction'"
			       " LEFT JOIN sla_timers z ON z.ticket_id = ts.id AND z.kind = 'resolution'"
			       " WHERE ts.created_at >= ?1 AND ts.created_at < ?2"
			       " AND (?3 = 0 OR s.org_id = ?3) ORDER BY ts.id"))
		return TD_ERR;
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	sqlite3_bind_int64(st, 3, org_id);
	while (!rc && sqlite3_step(st) == SQLITE_ROW) {
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
		rc = fn(&r, arg);
	}
	db_finish(db, st);
	return rc;
}
