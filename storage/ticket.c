#include <limits.h>

#include "storage/internal.h"
#include "storage/ticket.h"

int db_ticket_open(struct db *db, int64_t *out, const struct ticket_new *t, int64_t now)
{
	int rc = db_run_insert(db, "INSERT INTO tickets(store_id, till_id, cashier_id, source, title,"
			       " created_at, kb_article_id, agent_check, route)"
			       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
			       DB_BINDS(DB_INT(t->store_id), DB_ID(t->till_id), DB_ID(t->cashier_id),
					DB_TEXT(t->source), DB_TEXT(t->title), DB_INT(now),
					DB_ID(t->kb_article_id), DB_TEXT(t->agent_check),
					DB_TEXT(t->route)), out);
	if (rc)
		return rc;
	return db_ticket_event(db, *out, now, t->cashier_id, HISTORY_OPENED, TICKET_NEW, t->priority, 0,
			       t->body ? t->body : t->title);
}

/* A ticket's stored state, before a history row changes it ("" before the first). */
struct ticket_now {
	char status[16];
	int priority;
	int64_t assignee_id;
};

static int ticket_now_row(sqlite3_stmt *st, void *arg)
{
	struct ticket_now *t = arg;
	snprintf(t->status, sizeof(t->status), "%s", db_text(st, 0));
	t->priority = sqlite3_column_int(st, 1);
	t->assignee_id = sqlite3_column_int64(st, 2);
	return 0;
}

int db_ticket_event(struct db *db, int64_t ticket_id, int64_t now, int64_t actor_id,
		    enum history_kind kind, enum ticket_status status, int priority,
		    int64_t assignee_id, const char *body)
{
	const struct history_words w = { .body = body };
	return db_ticket_event_words(db, ticket_id, now, actor_id, kind, status, priority,
				     assignee_id, &w);
}

int db_ticket_event_words(struct db *db, int64_t ticket_id, int64_t now, int64_t actor_id,
			  enum history_kind kind, enum ticket_status status, int priority,
			  int64_t assignee_id, const struct history_words *w)
{
	const char *name = ticket_status_name(status);
	int rc;
	if ((rc = db_run(db, "INSERT INTO ticket_events(ticket_id, at, actor_id, kind, status,"
			 " priority, assignee_id, body, msg_key, args) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			 DB_BINDS(DB_INT(ticket_id), DB_INT(now), DB_ID(actor_id), DB_TEXT(history_kind_name(kind)),
				  DB_TEXT(name), DB_INT(priority), DB_ID(assignee_id), DB_TEXT(w->body),
				  DB_TEXT(w->msg_key), DB_TEXT(w->msg_key ? w->args : NULL)))))
		return rc;
	/*
	 * The state the history row leaves. Most rows (messages, notes) leave
	 * it as it was: then nothing more is written (each page written is a
	 * WAL frame at commit; the handling rate fell by a fifth when every row
	 * rewrote the ticket).
	 */
	struct ticket_now was = { 0 };
	if ((rc = db_query_one(db, "SELECT coalesce(status, ''), coalesce(priority, 0),"
			       " coalesce(assignee_id, 0) FROM tickets WHERE id = ?",
			       DB_BINDS(DB_INT(ticket_id)), ticket_now_row, &was)))
		return rc;
	if (!strcmp(was.status, name) && was.priority == priority && was.assignee_id == assignee_id)
		return 0;
	if (strcmp(was.status, name) &&
	    ((rc = db_run(db, "INSERT OR IGNORE INTO ticket_counts(status, n) VALUES (?, 0)",
			  DB_BINDS(DB_TEXT(name)))) ||
	     (rc = db_run(db, "UPDATE ticket_counts SET n = n + (status = ?1) - (status = ?2)"
			  " WHERE status IN (?1, ?2)", DB_BINDS(DB_TEXT(name), DB_TEXT(was.status))))))
		return rc;
	return db_run(db, "UPDATE tickets SET status = ?2, priority = ?3, assignee_id = ?4"
		      " WHERE id = ?1",
		      DB_BINDS(DB_INT(ticket_id), DB_TEXT(name), DB_INT(priority), DB_ID(assignee_id)));
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

/* db_ticket_*()'s callback and how many rows it was given. */
struct ticket_rows {
	int (*fn)(const struct ticket_row *, void *);
	void *arg;
	int count;
};

static int ticket_row(sqlite3_stmt *st, void *arg)
{
	struct ticket_rows *rows = arg;
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
	rows->count++;
	return rows->fn(&r, rows->arg);
}

int db_ticket_list(struct db *db, const struct ticket_filter *f,
		   int (*fn)(const struct ticket_row *, void *), void *arg)
{
	struct ticket_rows rows = { fn, arg, 0 };
	return db_query_each(db, TICKET_SELECT
			     "WHERE (?1 OR ts.store_id = ?2) AND (?3 OR s.org_id = ?4)"
			     " AND (?5 = 0 OR ts.status IN ('new', 'claimed'))"
			     " ORDER BY ts.id DESC LIMIT ?6",
			     DB_BINDS(DB_INT(f->all_stores), DB_INT(f->store_id), DB_INT(f->all_orgs),
				      DB_INT(f->org_id), DB_INT(f->open_only),
				      DB_INT(f->limit > 0 ? f->limit : -1)), ticket_row, &rows);
}

int db_ticket_get(struct db *db, int64_t id, int (*fn)(const struct ticket_row *, void *),
		  void *arg)
{
	struct ticket_rows rows = { fn, arg, 0 };
	return db_query_one(db, TICKET_SELECT "WHERE ts.id = ?1", DB_BINDS(DB_INT(id)), ticket_row,
			    &rows);
}

/* db_ticket_brief()'s row: the columns of TICKET_SELECT it keeps, by the same rules. */
static int ticket_brief_row(sqlite3_stmt *st, void *arg)
{
	struct ticket_row *t = arg;
	*t = (struct ticket_row){
		.id = sqlite3_column_int64(st, 0),
		.store_id = sqlite3_column_int64(st, 1),
		.till_id = sqlite3_column_int64(st, 2),
		.cashier_id = sqlite3_column_int64(st, 3),
		.assignee_id = sqlite3_column_int64(st, 4),
		.cashier_tg = sqlite3_column_int64(st, 5),
		.priority = sqlite3_column_int(st, 7),
		.created_at = sqlite3_column_int64(st, 8),
		.assignee_disabled = sqlite3_column_int(st, 9),
		.org = "", .store = "", .address = "", .timezone = "", .till = "", .cashier = "",
		.assignee = "", .source = "", .title = "", .kb_title = "",
	};
	ticket_status_parse(&t->status, db_text(st, 6));
	return 0;
}

int db_ticket_brief(struct db *db, int64_t id, struct ticket_row *out)
{
	/* The stored state and two people by their keys: no view, no deadlines. */
	return db_query_one(db, "SELECT t.id, t.store_id, coalesce(t.till_id, 0),"
			    " coalesce(t.cashier_id, 0), coalesce(t.assignee_id, 0),"
			    " CASE WHEN c.disabled_at IS NULL AND c.store_id = t.store_id"
			    "  THEN coalesce(c.tg_user_id, 0) ELSE 0 END,"
			    " t.status, t.priority, t.created_at, a.disabled_at IS NOT NULL"
			    " FROM tickets t LEFT JOIN people c ON c.id = t.cashier_id"
			    " LEFT JOIN people a ON a.id = t.assignee_id"
			    " WHERE t.id = ?1 AND t.status IS NOT NULL",
			    DB_BINDS(DB_INT(id)), ticket_brief_row, out);
}

int db_ticket_open_of(struct db *db, int64_t cashier_id, int64_t *out)
{
	return db_query_int(db, "SELECT max(id) FROM ticket_state WHERE cashier_id = ?1"
			    " AND status IN ('new', 'claimed', 'resolved')"
			    " AND store_id = (SELECT store_id FROM people WHERE id = ?1)",
			    DB_BINDS(DB_INT(cashier_id)), out);
}

int db_ticket_open_for_check(struct db *db, int64_t till_id, const char *check, int64_t *out)
{
	return db_query_int(db, "SELECT max(id) FROM tickets WHERE till_id = ?1 AND agent_check = ?2"
			    " AND status IN ('new', 'claimed', 'resolved')",
			    DB_BINDS(DB_INT(till_id), DB_TEXT(check)), out);
}

/*
 * ?3: 1 when the queue is routed, ?4..?8: its groups' names (NULL for a
 * group not in it), ?9: except. A route NULL is in no list.
 */
#define QUEUE_ROUTES \
	" AND (?3 = 0 OR coalesce(t.route IN (?4, ?5, ?6, ?7, ?8), 0) != ?9)"
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
	" AND t.status IN ('new', 'claimed')" QUEUE_ROUTES " AND NOT EXISTS (SELECT 1 FROM sla_timers o" \
	"  WHERE o.ticket_id = r.ticket_id AND o.met_at IS NULL" \
	"  AND (o.due_at < r.due_at OR (o.due_at = r.due_at AND o.kind < r.kind)))" \
	" ORDER BY r.due_at, t.created_at, t.id LIMIT ?1)" \
	" ORDER BY next_due, ts.created_at, ts.id"
#define QUEUE_TAIL \
	TICKET_SELECT "WHERE ts.id IN (SELECT t.id FROM tickets t" \
	" WHERE t.status IN ('new', 'claimed')" QUEUE_ROUTES " AND NOT EXISTS (SELECT 1 FROM sla_timers o" \
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

int db_ticket_queue_routed(struct db *db, int64_t assignee_id, const struct ticket_routes *routes,
			   int limit, int *total, int (*fn)(const struct ticket_row *, void *),
			   void *arg)
{
	_Static_assert(ROUTE_GROUP_COUNT == 5, "QUEUE_ROUTES binds one name per group");
	struct ticket_rows rows = { fn, arg, 0 };
	bool routed = routes && !assignee_id, except = routed && routes->except;
	const char *g[ROUTE_GROUP_COUNT] = { NULL };
	int64_t count, in;
	int rc;
	for (int i = 0; routed && i < ROUTE_GROUP_COUNT; i++)
		g[i] = routes->groups & 1u << i ? route_group_name((enum route_group)i) : NULL;
#define ROUTE_BINDS DB_INT(routed), DB_TEXT(g[0]), DB_TEXT(g[1]), DB_TEXT(g[2]), DB_TEXT(g[3]), \
		DB_TEXT(g[4]), DB_INT(except)
	if (limit <= 0)
		limit = INT_MAX;
	if (assignee_id)
		rc = db_query_each(db, QUEUE_MINE, DB_BINDS(DB_INT(limit), DB_INT(assignee_id)),
				   ticket_row, &rows);
	else if (!(rc = db_query_each(db, QUEUE_HEAD, DB_BINDS(DB_INT(limit), DB_INT(0), ROUTE_BINDS),
				      ticket_row, &rows)) &&
		 rows.count < limit)
		rc = db_query_each(db, QUEUE_TAIL, DB_BINDS(DB_INT(limit - rows.count), DB_INT(0),
							    ROUTE_BINDS),
				   ticket_row, &rows);
#undef ROUTE_BINDS
	if (rc)
		return rc;
	if (assignee_id)
		rc = db_query_int(db, "SELECT count(*) FROM tickets WHERE status IN ('new', 'claimed')"
				  " AND assignee_id = ?1", DB_BINDS(DB_INT(assignee_id)), &count);
	else
		rc = db_query_int(db, "SELECT coalesce(sum(n), 0) FROM ticket_counts"
				  " WHERE status IN ('new', 'claimed')", DB_NO_BINDS, &count);
	/* A route's open tickets are counted in tickets_open_route; the rest are the others. */
	if (!rc && routed &&
	    !(rc = db_query_int(db, "SELECT count(*) FROM tickets WHERE status IN ('new', 'claimed')"
				" AND route IN (?1, ?2, ?3, ?4, ?5)",
				DB_BINDS(DB_TEXT(g[0]), DB_TEXT(g[1]), DB_TEXT(g[2]), DB_TEXT(g[3]),
					 DB_TEXT(g[4])), &in)))
		count = except ? count - in : in;
	*total = rc ? rows.count : (int)count;
	return rc;
}

int db_ticket_queue(struct db *db, int64_t assignee_id, int limit, int *total,
		    int (*fn)(const struct ticket_row *, void *), void *arg)
{
	return db_ticket_queue_routed(db, assignee_id, NULL, limit, total, fn, arg);
}

int db_ticket_route(struct db *db, int64_t id, char *out, size_t n)
{
	return db_query_text(db, "SELECT route FROM tickets WHERE id = ?", DB_BINDS(DB_INT(id)), out, n);
}

bool db_ticket_has_event(struct db *db, int64_t id, enum history_kind kind)
{
	int64_t one;
	return !db_query_int(db, "SELECT 1 FROM ticket_events WHERE ticket_id = ? AND kind = ?",
			     DB_BINDS(DB_INT(id), DB_TEXT(history_kind_name(kind))), &one);
}

struct history_rows {
	int (*fn)(const struct ticket_event_row *, void *);
	void *arg;
};

static int history_row(sqlite3_stmt *st, void *arg)
{
	struct history_rows *rows = arg;
	struct ticket_event_row r = {
		.id = sqlite3_column_int64(st, 0),
		.at = sqlite3_column_int64(st, 1),
		.actor = db_text(st, 2),
		.kind = db_text(st, 3),
		.body = db_text(st, 4),
		.priority = sqlite3_column_int(st, 6),
		.assignee = db_text(st, 7),
		.msg_key = db_text(st, 8),
		.args = db_text(st, 9),
	};
	ticket_status_parse(&r.status, db_text(st, 5));
	return rows->fn(&r, rows->arg);
}

int db_ticket_history(struct db *db, int64_t id,
		      int (*fn)(const struct ticket_event_row *, void *), void *arg)
{
	struct history_rows rows = { fn, arg };
	return db_query_each(db, "SELECT e.id, e.at, coalesce(p.name, ''), e.kind, coalesce(e.body, ''),"
			     " e.status, e.priority, coalesce(a.name, ''), coalesce(e.msg_key, ''),"
			     " coalesce(e.args, '') FROM ticket_events e LEFT JOIN people p ON p.id = e.actor_id"
			     " LEFT JOIN people a ON a.id = e.assignee_id"
			     " WHERE e.ticket_id = ? ORDER BY e.id", DB_BINDS(DB_INT(id)), history_row,
			     &rows);
}

int db_ack_due(struct db *db, int64_t chat_id, int64_t now, int64_t gap, bool *due)
{
	int rc = db_run(db, "INSERT INTO chat_acks(chat_id, acked_at) VALUES (?1, ?2)"
			" ON CONFLICT(chat_id) DO UPDATE SET acked_at = excluded.acked_at"
			" WHERE acked_at <= ?2 - ?3", DB_BINDS(DB_INT(chat_id), DB_INT(now), DB_INT(gap)));
	if (!rc)
		*due = sqlite3_changes(db->h) > 0;
	return rc;
}

int db_ticket_opening(struct db *db, int64_t id, char *out, size_t n)
{
	return db_query_text(db, "SELECT coalesce(body, '') FROM ticket_events WHERE ticket_id = ?"
			     " AND kind = 'opened' ORDER BY id LIMIT 1", DB_BINDS(DB_INT(id)), out, n);
}
