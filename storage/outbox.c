#include "storage/internal.h"
#include "storage/outbox.h"

int db_outbox_add(struct db *db, const struct outbox_new *m, int64_t now)
{
	sqlite3_stmt *st;
	if (db_prepare(db, &st, "INSERT INTO outbox(channel, chat_id, method, payload, ticket_id,"
			       " link_role, edit_role, created_at, kind, msg_key, args, actions, ref,"
			       " reply_to, flags, lane) VALUES ('telegram', ?, '', '', ?, ?, ?, ?, ?, ?, ?, ?,"
			       " ?, ?, ?, ?)"))
		return TD_ERR;
	db_bind_id(st, 1, m->n.chat_id);
	db_bind_id(st, 2, m->ticket_id);
	db_bind_text(st, 3, m->link_role);
	db_bind_text(st, 4, m->edit_role);
	sqlite3_bind_int64(st, 5, now);
	sqlite3_bind_text(st, 6, notice_kind_name(m->n.kind), -1, SQLITE_STATIC);
	db_bind_text(st, 7, m->n.msg_key);
	sqlite3_bind_text(st, 8, m->n.args ? m->n.args : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, m->n.actions ? m->n.actions : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, m->n.ref ? m->n.ref : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 11, m->n.reply_to);
	sqlite3_bind_int(st, 12, (int)m->n.flags);
	sqlite3_bind_int(st, 13, (int)m->lane);
	return db_step_done(db, st);
}

/* The columns row_of() maps, borrowed until the next step. */
#define ROW_COLUMNS(o) o "id, coalesce(" o "chat_id, 0), " o "method, " o "payload," \
	" coalesce(" o "ticket_id, 0), coalesce(" o "link_role, ''), coalesce(" o "edit_role, '')," \
	" " o "attempts, " o "kind, " o "msg_key, " o "args, " o "actions, " o "ref, " o "reply_to," \
	" " o "flags, " o "parts_sent, " o "lane, coalesce(" o "flight_after, -1)," \
	" coalesce(" o "message_id, 0), " o "probe_end, " o "created_at, " o "not_before"

static struct outbox_row row_of(sqlite3_stmt *st)
{
	struct outbox_row r = {
		.id = sqlite3_column_int64(st, 0),
		.n = {
			.chat_id = sqlite3_column_int64(st, 1),
			.legacy_method = db_text(st, 2),
			.legacy_payload = db_text(st, 3),
			.msg_key = sqlite3_column_type(st, 9) == SQLITE_NULL ? NULL : db_text(st, 9),
			.args = db_text(st, 10),
			.actions = db_text(st, 11),
			.ref = db_text(st, 12),
			.reply_to = sqlite3_column_int64(st, 13),
			.flags = (unsigned)sqlite3_column_int(st, 14),
		},
		.ticket_id = sqlite3_column_int64(st, 4),
		.link_role = db_text(st, 5),
		.edit_role = db_text(st, 6),
		.attempts = sqlite3_column_int(st, 7),
		.parts_sent = sqlite3_column_int(st, 15),
		.lane = (enum outbox_lane)sqlite3_column_int(st, 16),
		.flight_after = sqlite3_column_int64(st, 17),
		.message_id = sqlite3_column_int64(st, 18),
		.probe_end = sqlite3_column_int64(st, 19),
		.created_at = sqlite3_column_int64(st, 20),
		.not_before = sqlite3_column_int64(st, 21),
	};
	/* An unknown kind (a newer release's) fails as bad JSON rather than being guessed at. */
	if (notice_kind_parse(&r.n.kind, db_text(st, 8)))
		r.n.kind = NOTICE_LEGACY;
	return r;
}

/* The first pending row's column col among those where cond holds, in order. */
#define QUEUE_HEAD(col, cond, order) \
	"SELECT " col " FROM outbox INDEXED BY outbox_queue WHERE state = 'pending'" \
	" AND channel = 'telegram' AND " cond " ORDER BY " order " LIMIT 1"

struct outbox_rows {
	int (*fn)(const struct outbox_row *, void *);
	void *arg;
	int64_t *last;    /* the last row's id, or NULL */
};

static int outbox_row(sqlite3_stmt *st, void *arg)
{
	struct outbox_rows *rows = arg;
	struct outbox_row r = row_of(st);
	if (rows->last)
		*rows->last = r.id;
	return rows->fn(&r, rows->arg);
}

int db_outbox_due(struct db *db, int64_t now, int limit,
		  int (*fn)(const struct outbox_row *, void *), void *arg)
{
	struct outbox_rows rows = { fn, arg, NULL };
	return db_query_each(db,
		       /*
			* Skip from one chat to the next through outbox_queue; min()
			* would scan it, ORDER BY ... LIMIT 1 seeks.
			*/
		       "WITH RECURSIVE chats(c) AS ("
		       "  SELECT (" QUEUE_HEAD("chat_id", "chat_id IS NOT NULL", "chat_id") ")"
		       "  UNION ALL"
		       "  SELECT (" QUEUE_HEAD("chat_id", "chat_id > c", "chat_id") ")"
		       "   FROM chats WHERE c IS NOT NULL),"
		       " heads(id) AS ("
		       "  SELECT (" QUEUE_HEAD("id", "chat_id = c", "id") ") FROM chats WHERE c IS NOT NULL"
		       "  UNION ALL"
		       "  SELECT id FROM outbox INDEXED BY outbox_queue WHERE state = 'pending'"
		       "   AND channel = 'telegram' AND chat_id IS NULL)"
		       " SELECT " ROW_COLUMNS("o.") " FROM heads h JOIN outbox o ON o.id = h.id"
		       " WHERE o.not_before <= ?1 ORDER BY o.lane DESC, o.id LIMIT ?2",
		       DB_BINDS(DB_INT(now), DB_INT(limit)), outbox_row, &rows);
}

int db_outbox_due_groups(struct db *db, int64_t now, int limit,
			 int (*fn)(const struct outbox_row *, void *), void *arg)
{
	struct outbox_rows rows = { fn, arg, NULL };
	/* Groups' ids are negative: the walk of db_outbox_due() stops at the first chat. */
	return db_query_each(db,
		       "WITH RECURSIVE chats(c) AS ("
		       "  SELECT (" QUEUE_HEAD("chat_id", "chat_id < 0", "chat_id") ")"
		       "  UNION ALL"
		       "  SELECT (" QUEUE_HEAD("chat_id", "chat_id > c AND chat_id < 0", "chat_id") ")"
		       "   FROM chats WHERE c IS NOT NULL),"
		       " heads(id) AS ("
		       "  SELECT (" QUEUE_HEAD("id", "chat_id = c", "id") ") FROM chats WHERE c IS NOT NULL)"
		       " SELECT " ROW_COLUMNS("o.") " FROM heads h JOIN outbox o ON o.id = h.id"
		       " WHERE o.not_before <= ?1 ORDER BY o.id LIMIT ?2",
		       DB_BINDS(DB_INT(now), DB_INT(limit)), outbox_row, &rows);
}

int db_outbox_streams(struct db *db, int64_t chat_id, int64_t now, int limit,
		      int (*fn)(const struct outbox_row *, void *), void *arg)
{
	struct outbox_rows rows = { fn, arg, NULL };
	return db_query_each(db,
		       /*
			* The chat's first rows through outbox_queue; of each
			* stream, the first. A private chat is one stream.
			*/
		       "WITH first(id, stream, not_before) AS ("
		       "  SELECT id, CASE WHEN ?1 < 0 THEN coalesce(ticket_id, 0) ELSE 0 END, not_before"
		       "   FROM outbox INDEXED BY outbox_queue WHERE state = 'pending'"
		       "   AND channel = 'telegram' AND chat_id = ?1"
		       /*
			* A ticket whose card waits in a list (storage/card_lists.h)
			* waits for the list. CROSS JOIN: the ticket's lists first,
			* never the outbox's pending rows.
			*/
		       "   AND (ticket_id IS NULL OR NOT EXISTS (SELECT 1 FROM card_lists l"
		       "    CROSS JOIN outbox p ON p.id = l.row_id"
		       "    WHERE l.ticket_id = outbox.ticket_id AND p.state = 'pending' AND p.id <> outbox.id))"
		       "   ORDER BY id LIMIT ?3),"
		       " heads(id, not_before, nth) AS ("
		       "  SELECT id, not_before, row_number() OVER (PARTITION BY stream ORDER BY id) FROM first)"
		       " SELECT " ROW_COLUMNS("o.") " FROM heads h JOIN outbox o ON o.id = h.id"
		       " WHERE h.nth = 1 AND h.not_before <= ?2 ORDER BY o.id",
		       DB_BINDS(DB_INT(chat_id), DB_INT(now), DB_INT(limit)), outbox_row, &rows);
}

int db_outbox_ticket_rows(struct db *db, int64_t chat_id, int64_t ticket_id, int64_t now,
			  int limit, int (*fn)(const struct outbox_row *, void *), void *arg)
{
	struct outbox_rows rows = { fn, arg, NULL };
	/*
	 * A row waiting for its retry ends the run: those after it keep their
	 * place. In a private chat, so does any row tg_links will not hold:
	 * the run never passes it, and db_chat_last_message() stays true.
	 */
	return db_query_each(db, "SELECT " ROW_COLUMNS("") " FROM outbox INDEXED BY outbox_queue"
			     " WHERE state = 'pending' AND channel = 'telegram' AND chat_id = ?1"
			     " AND ticket_id = ?2 AND id < coalesce((SELECT min(id) FROM outbox"
			     "  WHERE state = 'pending' AND chat_id = ?1 AND ticket_id = ?2"
			     "  AND not_before > ?3), 1 << 62)"
			     " AND id < coalesce((SELECT min(id) FROM outbox WHERE ?1 > 0"
			     "  AND state = 'pending' AND chat_id = ?1"
			     "  AND (ticket_id IS NULL OR coalesce(link_role, '') = '')), 1 << 62)"
			     " ORDER BY id LIMIT ?4",
			     DB_BINDS(DB_INT(chat_id), DB_INT(ticket_id), DB_INT(now), DB_INT(limit)),
			     outbox_row, &rows);
}

int db_outbox_joining(struct db *db, int64_t chat_id, int64_t now, int limit,
		      int (*fn)(const struct outbox_row *, void *), void *arg)
{
	struct outbox_rows rows = { fn, arg, NULL };
	/* The head of its stream: no earlier row of its ticket, nor a list holding it, waits. */
	return db_query_each(db, "SELECT " ROW_COLUMNS("o.") " FROM outbox o INDEXED BY outbox_queue"
			     " WHERE o.state = 'pending' AND o.channel = 'telegram' AND o.chat_id = ?1"
			     " AND o.flags & ?4 AND o.kind = 'text' AND o.link_role IS NULL"
			     " AND o.edit_role IS NULL AND o.parts_sent = 0 AND o.attempts = 0"
			     " AND o.not_before <= ?2"
			     " AND (o.ticket_id IS NULL OR (NOT EXISTS (SELECT 1 FROM outbox e"
			     "  INDEXED BY outbox_ticket_pending WHERE e.ticket_id = o.ticket_id"
			     "  AND e.state = 'pending' AND e.chat_id = ?1 AND e.id < o.id)"
			     " AND NOT EXISTS (SELECT 1 FROM card_lists l CROSS JOIN outbox p"
			     "  ON p.id = l.row_id WHERE l.ticket_id = o.ticket_id AND p.state = 'pending')))"
			     " ORDER BY o.id LIMIT ?3",
			     DB_BINDS(DB_INT(chat_id), DB_INT(now), DB_INT(limit), DB_INT(NOTICE_JOINS)),
			     outbox_row, &rows);
}

int db_outbox_after(struct db *db, int64_t *last, int (*fn)(const struct outbox_row *, void *),
		    void *arg)
{
	struct outbox_rows rows = { fn, arg, last };
	return db_query_each(db, "SELECT " ROW_COLUMNS("")
			     " FROM outbox WHERE id > ? AND state = 'pending' ORDER BY id",
			     DB_BINDS(DB_INT(*last)), outbox_row, &rows);
}

int db_outbox_last(struct db *db, int64_t *out)
{
	return db_query_int(db, "SELECT coalesce(max(id), 0) FROM outbox", DB_NO_BINDS, out);
}

/* Remembers message_id, sent for row id, as its ticket's link_role message. */
static int link_sent(struct db *db, int64_t id, int64_t message_id)
{
	return db_run(db, "INSERT OR REPLACE INTO tg_links(chat_id, message_id, ticket_id, role)"
		      " SELECT chat_id, ?, ticket_id, link_role FROM outbox"
		      " WHERE id = ? AND ticket_id IS NOT NULL AND link_role IS NOT NULL",
		      DB_BINDS(DB_INT(message_id), DB_INT(id)));
}

int db_outbox_sent(struct db *db, int64_t id, int64_t message_id, int64_t now)
{
	int rc = db_run(db, "UPDATE outbox SET state = 'sent', sent_at = ?, message_id = ?,"
			" attempts = attempts + 1, flight_after = NULL WHERE id = ?",
			DB_BINDS(DB_INT(now), DB_ID(message_id), DB_INT(id)));
	if (rc || !message_id)
		return rc;
	return link_sent(db, id, message_id);
}

int db_outbox_retry(struct db *db, int64_t id, int64_t not_before, const char *error)
{
	return db_run(db, "UPDATE outbox SET not_before = ?, error = ?, attempts = attempts + 1"
		      " WHERE id = ?", DB_BINDS(DB_INT(not_before), DB_TEXT(error), DB_INT(id)));
}

int db_outbox_failed(struct db *db, int64_t id, const char *error)
{
	return db_run(db, "UPDATE outbox SET state = 'failed', error = ?, attempts = attempts + 1,"
		      " flight_after = NULL WHERE id = ?", DB_BINDS(DB_TEXT(error), DB_INT(id)));
}

int db_outbox_relay_to_card(struct db *db, int64_t id)
{
	/* The card, or the list that showed it (storage/card_lists.h): the newest of them. */
	return db_run(db, "WITH places(chat_id, message_id, at) AS ("
		      "  SELECT l.chat_id, l.message_id, l.message_id FROM tg_links l"
		      "   WHERE l.ticket_id = (SELECT ticket_id FROM outbox WHERE id = ?1) AND l.role = 'card'"
		      "  UNION ALL"
		      "  SELECT p.chat_id, p.message_id, p.message_id FROM card_lists c"
		      "   CROSS JOIN outbox p ON p.id = c.row_id AND p.state = 'sent'"
		      "   WHERE c.ticket_id = (SELECT ticket_id FROM outbox WHERE id = ?1))"
		      " INSERT INTO outbox(channel, chat_id, method, payload, ticket_id, link_role,"
		      " edit_role, created_at, kind, msg_key, args, actions, ref, reply_to, flags, lane)"
		      " SELECT 'telegram', l.chat_id, o.method, o.payload, o.ticket_id, o.link_role,"
		      " o.edit_role, o.created_at, o.kind, o.msg_key, o.args, o.actions, o.ref,"
		      " l.message_id, o.flags, o.lane FROM outbox o"
		      " JOIN people e ON e.tg_user_id = o.chat_id AND e.role IN ('engineer', 'admin')"
		      " JOIN places l"
		      " WHERE o.id = ?1 AND o.chat_id > 0 AND o.link_role = 'relay'"
		      " ORDER BY l.at DESC LIMIT 1",
		      DB_BINDS(DB_INT(id)));
}

int db_outbox_set_payload(struct db *db, int64_t id, const char *payload)
{
	return db_run(db, "UPDATE outbox SET payload = ? WHERE id = ?",
		      DB_BINDS(DB_TEXT(payload), DB_INT(id)));
}

int db_outbox_add_flags(struct db *db, int64_t id, unsigned flags)
{
	return db_run(db, "UPDATE outbox SET flags = flags | ? WHERE id = ?",
		      DB_BINDS(DB_INT(flags), DB_INT(id)));
}

int db_outbox_part_sent(struct db *db, int64_t id, int64_t message_id)
{
	int rc = db_run(db, "UPDATE outbox SET parts_sent = parts_sent + 1, error = NULL,"
			" flight_after = NULL WHERE id = ?",
			DB_BINDS(DB_INT(id)));
	if (rc || !message_id)
		return rc;
	return link_sent(db, id, message_id);
}

int db_outbox_flying(struct db *db, int64_t id, int64_t last_message_id)
{
	/* An earlier try's bound stays: its copy may lie just after it. */
	return db_run(db, "UPDATE outbox SET flight_after = coalesce(flight_after, ?) WHERE id = ?",
		      DB_BINDS(DB_INT(last_message_id), DB_INT(id)));
}

int db_outbox_probe_set(struct db *db, int64_t id, int64_t after, int64_t end)
{
	/* nullif: -1 is "nothing left", stored as NULL. */
	return db_run(db, "UPDATE outbox SET flight_after = nullif(?, -1), probe_end = ? WHERE id = ?",
		      DB_BINDS(DB_INT(after < 0 ? -1 : after), DB_INT(end), DB_INT(id)));
}

int db_outbox_probes(struct db *db, int (*fn)(const struct outbox_row *, void *), void *arg)
{
	struct outbox_rows rows = { fn, arg, NULL };
	return db_query_each(db, "SELECT " ROW_COLUMNS("") " FROM outbox INDEXED BY outbox_probe"
			     " WHERE state = 'sent' AND flight_after IS NOT NULL ORDER BY id",
			     DB_NO_BINDS, outbox_row, &rows);
}

int db_chat_last_message(struct db *db, int64_t chat_id, int64_t *out)
{
	/*
	 * A private chat's rows go out in id order, but for a ticket's relays
	 * merged into an earlier message, which tg_links holds and which
	 * never pass a row it does not (db_outbox_ticket_rows()); a group's
	 * streams among its first max_in_flight pending rows
	 * (db_outbox_streams()), so its newest message is held by one of its
	 * newest sent rows, not always the newest. A long text's earlier
	 * parts are only in tg_links.
	 */
	return db_query_int(db, "SELECT max(coalesce((SELECT max(message_id) FROM (SELECT message_id"
			    " FROM outbox INDEXED BY outbox_chat WHERE chat_id = ?1 AND state = 'sent'"
			    " AND message_id IS NOT NULL ORDER BY id DESC"
			    " LIMIT CASE WHEN ?1 < 0 THEN ?2 ELSE 1 END)), 0),"
			    " coalesce((SELECT max(message_id) FROM tg_links WHERE chat_id = ?1), 0))",
			    DB_BINDS(DB_INT(chat_id), DB_INT(OUTBOX_OUT_OF_ORDER)), out);
}

int db_chat_message_known(struct db *db, int64_t chat_id, int64_t message_id)
{
	int64_t known;
	int rc = db_query_int(db, "SELECT EXISTS (SELECT 1 FROM tg_links WHERE chat_id = ?1"
			      " AND message_id = ?2) OR EXISTS (SELECT 1 FROM outbox INDEXED BY outbox_chat"
			      " WHERE chat_id = ?1 AND state = 'sent' AND message_id = ?2)",
			      DB_BINDS(DB_INT(chat_id), DB_INT(message_id)), &known);
	return rc ? rc : known ? 0 : TD_ENOTFOUND;
}

int db_outbox_count(struct db *db, const char *state, int64_t *out)
{
	return db_query_int(db, "SELECT count(*) FROM outbox WHERE state = ?",
			    DB_BINDS(DB_TEXT(state)), out);
}

int db_outbox_chat_waits(struct db *db, int64_t chat_id, bool *out)
{
	int64_t n = 0;
	int rc = db_query_int(db, "SELECT EXISTS (SELECT 1 FROM outbox WHERE chat_id = ? AND state = 'pending')",
			      DB_BINDS(DB_INT(chat_id)), &n);
	*out = n != 0;
	return rc;
}

int db_chat_migrate(struct db *db, int64_t old_id, int64_t new_id)
{
	static const char *const sql[] = {
		"UPDATE outbox SET chat_id = ?2 WHERE chat_id = ?1",
		"UPDATE OR REPLACE tg_links SET chat_id = ?2 WHERE chat_id = ?1",
		"INSERT OR REPLACE INTO settings(key, value) VALUES ('chat_migrated:' || ?1, ?2)",
	};
	int rc = 0;
	for (size_t i = 0; !rc && i < ARRAY_SIZE(sql); i++)
		rc = db_run(db, sql[i], DB_BINDS(DB_INT(old_id), DB_INT(new_id)));
	return rc;
}

int64_t db_chat_current(struct db *db, int64_t chat_id)
{
	/* A chain of migrations is short; the bound guards against a cycle. */
	for (int hops = 0; hops < 8; hops++) {
		char key[64], value[32];
		long long next;
		snprintf(key, sizeof(key), "chat_migrated:%lld", (long long)chat_id);
		if (db_setting_get(db, key, value, sizeof(value)) ||
		    parse_int(&next, value, INT64_MIN, INT64_MAX))
			break;
		chat_id = next;
	}
	return chat_id;
}

int db_link_add(struct db *db, int64_t chat_id, int64_t message_id, int64_t ticket_id,
		const char *role)
{
	return db_run(db, "INSERT OR REPLACE INTO tg_links(chat_id, message_id, ticket_id, role)"
		      " VALUES (?, ?, ?, ?)",
		      DB_BINDS(DB_INT(chat_id), DB_INT(message_id), DB_INT(ticket_id), DB_TEXT(role)));
}

struct link_out {
	int64_t *ticket_id;
	char *role;
	size_t role_len;
};

static int link_row(sqlite3_stmt *st, void *arg)
{
	struct link_out *o = arg;
	*o->ticket_id = sqlite3_column_int64(st, 0);
	snprintf(o->role, o->role_len, "%s", db_text(st, 1));
	return 0;
}

int db_link_find(struct db *db, int64_t chat_id, int64_t message_id, int64_t *ticket_id,
		 char *role, size_t role_len)
{
	struct link_out o = { ticket_id, role, role_len };
	return db_query_one(db, "SELECT ticket_id, role FROM tg_links"
			    " WHERE chat_id = ? AND message_id = ?",
			    DB_BINDS(DB_INT(chat_id), DB_INT(message_id)), link_row, &o);
}

int db_link_message(struct db *db, int64_t ticket_id, const char *role, int64_t chat_id,
		    int64_t *message_id)
{
	return db_query_int(db, "SELECT max(message_id) FROM tg_links WHERE ticket_id = ? AND role = ?"
			    " AND chat_id = ?",
			    DB_BINDS(DB_INT(ticket_id), DB_TEXT(role), DB_INT(chat_id)), message_id);
}
