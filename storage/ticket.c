#include <limits.h>

#include "storage/internal.h"
#include "storage/ticket.h"

static const char *const status_names[] = { "new", "claimed", "resolved", "closed" };

const char *ticket_status_name(enum ticket_status s)
{
	return (unsigned)s < ARRAY_SIZE(status_names) ? status_names[s] : "?";
}

int ticket_status_parse(enum ticket_status *out, const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(status_names); i++) {
		if (!strcmp(name, status_names[i])) {
			*out = (enum ticket_status)i;
			return 0;
		}
	}
	return TD_EINVAL;
}

int db_ticket_open(struct db *db, int64_t *out, const struct ticket_new *t, int64_t now)
{
	sqlite3_stmt *st;
	int rc;
	if (db_prepare(db, &st, "INSERT INTO tickets(store_id, till_id, cashier_id, source, title,"
			       " created_at, kb_article_id, agent_check) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"))
		return TD_ERR;
	sqlite3_bind_int64(st, 1, t->store_id);
	db_bind_id(st, 2, t->till_id);
	db_bind_id(st, 3, t->cashier_id);
	sqlite3_bind_text(st, 4, t->source, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, t->title, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, now);
	db_bind_id(st, 7, t->kb_article_id);
	db_bind_text(st, 8, t->agent_check);
	if ((rc = db_step_done(db, st)))
		return rc;
	*out = sqlite3_last_insert_rowid(db->h);
	return db_ticket_event(db, *out, now, t->cashier_id, "opened", TICKET_NEW, t->priority, 0,
			       t->title);
}

int db_ticket_event(struct db *db, int64_t ticket_id, int64_t now, int64_t actor_id,
		    const char *kind, enum ticket_status status, int priority,
		    int64_t assignee_id, const char *body)
{
	sqlite3_stmt *st;
	if (db_prepare(db, &st, "INSERT INTO ticket_events(ticket_id, at, actor_id, kind, status,"
			       " priority, assignee_id, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"))
		return TD_ERR;
	sqlite3_bind_int64(st, 1, ticket_id);
	sqlite3_bind_int64(st, 2, now);
	db_bind_id(st, 3, actor_id);
	sqlite3_bind_text(st, 4, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, ticket_status_name(status), -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, priority);
	db_bind_id(st, 7, assignee_id);
	db_bind_text(st, 8, body);
	return db_step_done(db, st);
}

#define TICKET_SELECT \
	"SELECT ts.id, ts.store_id, coalesce(ts.till_id, 0), o.name, s.name, s.address," \
	" coalesce(tl.name, ''), coalesce(c.name, ''), coalesce(a.name, ''), ts.source, ts.title," \
	" ts.status, ts.priority, ts.created_at, ts.updated_at, s.timezone," \
	" coalesce(ts.cashier_id, 0), coalesce(ts.assignee_id, 0)," \
	" CASE WHEN c.disabled_at IS NULL AND c.store_id = ts.store_id THEN coalesce(c.tg_user_id, 0)" \
	"  ELSE 0 END," \
	" coalesce(ka.id, 0), coalesce(ka.title, '')," \
	" coalesce((SELECT min(due_at) FROM sla_timers WHERE ticket_id = ts.id AND met_at IS NULL), 0)" \
	"  AS next_due," \
	" EXISTS (SELECT 1 FROM sla_timers WHERE ticket_id = ts.id AND breached_at IS NOT NULL)," \
	" a.disabled_at IS NOT NULL" \
	" FROM ticket_state ts JOIN stores s ON s.id = ts.store_id JOIN orgs o ON o.id = s.org_id" \
	" JOIN tickets tk ON tk.id = ts.id LEFT JOIN kb_articles ka ON ka.id = tk.kb_article_id" \
	" LEFT JOIN tills tl ON tl.id = ts.till_id LEFT JOIN people c ON c.id = ts.cashier_id" \
	" LEFT JOIN people a ON a.id = ts.assignee_id "

static int ticket_rows(struct db *db, sqlite3_stmt *st, int (*fn)(const struct ticket_row *, void *), void *arg,
		       int *count)
{
	int rc = 0;
	while (!rc && sqlite3_step(st) == SQLITE_ROW) {
		struct ticket_row r = {
			.id = sqlite3_column_int64(st, 0),
			.store_id = sqlite3_column_int64(st, 1),
			.till_id = sqlite3_column_int64(st, 2),
			.org = db_text(st, 3),
			.store = db_text(st, 4),
			.address = db_text(st, 5),
			.till = db_text(st, 6),
			.cashier = db_text(st, 7),
			.assignee = db_text(st, 8),
			.source = db_text(st, 9),
			.title = db_text(st, 10),
			.priority = sqlite3_column_int(st, 12),
			.created_at = sqlite3_column_int64(st, 13),
			.updated_at = sqlite3_column_int64(st, 14),
			.timezone = db_text(st, 15),
			.cashier_id = sqlite3_column_int64(st, 16),
			.assignee_id = sqlite3_column_int64(st, 17),
			.cashier_tg = sqlite3_column_int64(st, 18),
			.kb_article_id = sqlite3_column_int64(st, 19),
			.kb_title = db_text(st, 20),
			.due_at = sqlite3_column_int64(st, 21),
			.breached = sqlite3_column_int(st, 22),
			.assignee_disabled = sqlite3_column_int(st, 23),
		};
		ticket_status_parse(&r.status, db_text(st, 11));
		(*count)++;
		rc = fn(&r, arg);
	}
	db_finish(db, st);
	return rc;
}

int db_ticket_list(struct db *db, const struct ticket_filter *f,
		   int (*fn)(const struct ticket_row *, void *), void *arg)
{
	sqlite3_stmt *st;
	int count = 0;
	if (db_prepare(db, &st, TICKET_SELECT
		       "WHERE (?1 OR ts.store_id = ?2) AND (?3 OR s.org_id = ?4)"
		       " AND (?5 = 0 OR ts.status IN ('new', 'claimed'))"
		       " ORDER BY ts.id DESC LIMIT ?6"))
		return TD_ERR;
	sqlite3_bind_int(st, 1, f->all_stores);
	sqlite3_bind_int64(st, 2, f->store_id);
	sqlite3_bind_int(st, 3, f->all_orgs);
	sqlite3_bind_int64(st, 4, f->org_id);
	sqlite3_bind_int(st, 5, f->open_only);
	sqlite3_bind_int(st, 6, f->limit > 0 ? f->limit : -1);
	return ticket_rows(db, st, fn, arg, &count);
}

int db_ticket_get(struct db *db, int64_t id, int (*fn)(const struct ticket_row *, void *),
		  void *arg)
{
	sqlite3_stmt *st;
	int count = 0;
	if (db_prepare(db, &st, TICKET_SELECT "WHERE ts.id = ?1"))
		return TD_ERR;
	sqlite3_bind_int64(st, 1, id);
	int rc = ticket_rows(db, st, fn, arg, &count);
	return rc ? rc : count ? 0 : TD_ENOTFOUND;
}

int db_ticket_open_of(struct db *db, int64_t cashier_id, int64_t *out)
{
	sqlite3_stmt *st;
	int rc = TD_ENOTFOUND;
	if (db_prepare(db, &st, "SELECT max(id) FROM ticket_state WHERE cashier_id = ?1"
			       " AND status IN ('new', 'claimed', 'resolved')"
			       " AND store_id = (SELECT store_id FROM people WHERE id = ?1)"))
		return TD_ERR;
	sqlite3_bind_int64(st, 1, cashier_id);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		*out = sqlite3_column_int64(st, 0);
		rc = 0;
	}
	db_finish(db, st);
	return rc;
}

int db_ticket_open_for_check(struct db *db, int64_t till_id, const char *check, int64_t *out)
{
	sqlite3_stmt *st;
	int rc = TD_ENOTFOUND;
	if (db_prepare(db, &st, "SELECT max(id) FROM tickets WHERE till_id = ?1 AND agent_check = ?2"
			       " AND status IN ('new', 'claimed', 'resolved')"))
		return TD_ERR;
	sqlite3_bind_int64(st, 1, till_id);
	sqlite3_bind_text(st, 2, check, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		*out = sqlite3_column_int64(st, 0);
		rc = 0;
	}
	db_finish(db, st);
	return rc;
}

/*
 * Anyone's queue in three reads of indexes, none of every open ticket: the
 * running deadlines nearest first (a ticket's nearest one only: no earlier
 * timer of the same ticket), then the open tickets without one oldest
 * first, then the count (kept by the database per status). CROSS JOIN
 * keeps the timers the outer loop, so the walk stops at the limit.
 */
#define QUEUE_HEAD \
	TICKET_SELECT "WHERE ts.id IN (SELECT r.ticket_id FROM sla_timers r CROSS JOIN tickets t" \
	" ON t.id = r.ticket_id WHERE r.met_at IS NULL AND r.due_at IS NOT NULL" \
	" AND t.status IN ('new', 'claimed') AND NOT EXISTS (SELECT 1 FROM sla_timers o" \
	"  WHERE o.ticket_id = r.ticket_id AND o.met_at IS NULL" \
	"  AND (o.due_at < r.due_at OR (o.due_at = r.due_at AND o.kind < r.kind)))" \
	" ORDER BY r.due_at, t.created_at, t.id LIMIT ?1)" \
	" ORDER BY next_due, ts.created_at, ts.id"
#define QUEUE_TAIL \
	TICKET_SELECT "WHERE ts.id IN (SELECT t.id FROM tickets t" \
	" WHERE t.status IN ('new', 'claimed') AND NOT EXISTS (SELECT 1 FROM sla_timers o" \
	"  WHERE o.ticket_id = t.id AND o.met_at IS NULL AND o.due_at IS NOT NULL)" \
	" ORDER BY t.created_at, t.id LIMIT ?1)" \
	" ORDER BY ts.created_at, ts.id"
/* One engineer's queue: their own open tickets are few; sort them all, join the head. */
#define QUEUE_MINE \
	TICKET_SELECT "WHERE ts.id IN (SELECT t.id FROM tickets t LEFT JOIN sla_timers r" \
	" ON r.ticket_id = t.id AND r.met_at IS NULL" \
	" WHERE t.status IN ('new', 'claimed') AND t.assignee_id = ?2 GROUP BY t.id" \
	" ORDER BY min(r.due_at) IS NULL, min(r.due_at), t.created_at, t.id LIMIT ?1)" \
	" ORDER BY next_due = 0, next_due, ts.created_at, ts.id"

static int queue_part(struct db *db, const char *sql, int limit, int64_t assignee_id,
		      int (*fn)(const struct ticket_row *, void *), void *arg, int *count)
{
	sqlite3_stmt *st;
	if (db_prepare(db, &st, sql))
		return TD_ERR;
	sqlite3_bind_int(st, 1, limit);
	if (assignee_id)
		sqlite3_bind_int64(st, 2, assignee_id);
	return ticket_rows(db, st, fn, arg, count);
}

int db_ticket_queue(struct db *db, int64_t assignee_id, int limit, int *total,
		    int (*fn)(const struct ticket_row *, void *), void *arg)
{
	sqlite3_stmt *st;
	int shown = 0, rc;
	if (limit <= 0)
		limit = INT_MAX;
	if (assignee_id)
		rc = queue_part(db, QUEUE_MINE, limit, assignee_id, fn, arg, &shown);
	else if (!(rc = queue_part(db, QUEUE_HEAD, limit, 0, fn, arg, &shown)) && shown < limit)
		rc = queue_part(db, QUEUE_TAIL, limit - shown, 0, fn, arg, &shown);
	if (rc)
		return rc;
	if (db_prepare(db, &st, assignee_id ?
		       "SELECT count(*) FROM tickets WHERE status IN ('new', 'claimed')"
		       " AND assignee_id = ?1" :
		       "SELECT coalesce(sum(n), 0) FROM ticket_counts WHERE status IN ('new', 'claimed')"))
		return TD_ERR;
	if (assignee_id)
		sqlite3_bind_int64(st, 1, assignee_id);
	*total = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : shown;
	db_finish(db, st);
	return 0;
}

/* Steps an INSERT ... RETURNING ticket_id, collecting the ids; finishes st. */
static int collect_ids(struct db *db, sqlite3_stmt *st, int64_t **out, size_t *n)
{
	size_t cap = 0;
	int rc;
	*out = NULL;
	*n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 8;
			*out = xrealloc(*out, cap * sizeof(**out));
		}
		(*out)[(*n)++] = sqlite3_column_int64(st, 0);
	}
	rc = rc == SQLITE_DONE ? 0 : db_map(db, rc);
	db_finish(db, st);
	if (rc) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

int db_ticket_requeue_assigned(struct db *db, int64_t assignee_id, int64_t now,
			       const char *body, int64_t **out, size_t *n)
{
	sqlite3_stmt *st;
	if (db_prepare(db, &st, "INSERT INTO ticket_events(ticket_id, at, actor_id, kind, status,"
			       " priority, assignee_id, body)"
			       " SELECT id, ?2, NULL, 'requeued', 'new', priority, NULL, ?3"
			       " FROM ticket_state WHERE status = 'claimed' AND assignee_id = ?1"
			       " ORDER BY id RETURNING ticket_id"))
		return TD_ERR;
	sqlite3_bind_int64(st, 1, assignee_id);
	sqlite3_bind_int64(st, 2, now);
	db_bind_text(st, 3, body);
	return collect_ids(db, st, out, n);
}

int db_ticket_note_cashier(struct db *db, int64_t cashier_id, int64_t store_id, int64_t now,
			   const char *kind, const char *body, int64_t **out, size_t *n)
{
	sqlite3_stmt *st;
	if (db_prepare(db, &st, "INSERT INTO ticket_events(ticket_id, at, actor_id, kind, status,"
			       " priority, assignee_id, body)"
			       " SELECT id, ?3, NULL, ?4, status, priority, assignee_id, ?5"
			       " FROM ticket_state WHERE cashier_id = ?1 AND store_id = ?2"
			       "   AND status IN ('new', 'claimed', 'resolved')"
			       " ORDER BY id RETURNING ticket_id"))
		return TD_ERR;
	sqlite3_bind_int64(st, 1, cashier_id);
	sqlite3_bind_int64(st, 2, store_id);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_text(st, 4, kind, -1, SQLITE_STATIC);
	db_bind_text(st, 5, body);
	return collect_ids(db, st, out, n);
}

bool db_ticket_has_event(struct db *db, int64_t id, const char *kind)
{
	sqlite3_stmt *st;
	bool found = false;
	if (db_prepare(db, &st, "SELECT 1 FROM ticket_events WHERE ticket_id = ? AND kind = ?"))
		return false;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	db_finish(db, st);
	return found;
}

int db_ticket_history(struct db *db, int64_t id,
		      int (*fn)(const struct ticket_event_row *, void *), void *arg)
{
	sqlite3_stmt *st;
	int rc = 0;
	if (db_prepare(db, &st,
		       "SELECT e.id, e.at, coalesce(p.name, ''), e.kind, coalesce(e.body, ''),"
		       " e.status, e.priority, coalesce(a.name, '')"
		       " FROM ticket_events e LEFT JOIN people p ON p.id = e.actor_id"
		       " LEFT JOIN people a ON a.id = e.assignee_id"
		       " WHERE e.ticket_id = ? ORDER BY e.id"))
		return TD_ERR;
	sqlite3_bind_int64(st, 1, id);
	while (!rc && sqlite3_step(st) == SQLITE_ROW) {
		struct ticket_event_row r = {
			.id = sqlite3_column_int64(st, 0),
			.at = sqlite3_column_int64(st, 1),
			.actor = db_text(st, 2),
			.kind = db_text(st, 3),
			.body = db_text(st, 4),
			.priority = sqlite3_column_int(st, 6),
			.assignee = db_text(st, 7),
		};
		ticket_status_parse(&r.status, db_text(st, 5));
		rc = fn(&r, arg);
	}
	db_finish(db, st);
	return rc;
}

int db_ack_due(struct db *db, int64_t chat_id, int64_t now, int64_t gap, bool *due)
{
	sqlite3_stmt *st;
	int rc;
	if (db_prepare(db, &st, "INSERT INTO chat_acks(chat_id, acked_at) VALUES (?1, ?2)"
			       " ON CONFLICT(chat_id) DO UPDATE SET acked_at = excluded.acked_at"
			       " WHERE acked_at <= ?2 - ?3"))
		return TD_ERR;
	sqlite3_bind_int64(st, 1, chat_id);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, gap);
	if ((rc = db_step_done(db, st)))
		return rc;
	*due = sqlite3_changes(db->h) > 0;
	return 0;
}
