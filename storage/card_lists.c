/*
 * card_lists.c - new tickets' cards merged into «Новые заявки»; see
 * card_lists.h.
 */
#include "storage/card_lists.h"
#include "storage/internal.h"

struct ids {
	int64_t *v;
	size_t max, n;
};

static int id_row(sqlite3_stmt *st, void *arg)
{
	struct ids *ids = arg;
	if (ids->n < ids->max)
		ids->v[ids->n++] = sqlite3_column_int64(st, 0);
	return 0;
}

struct cards {
	struct waiting_card *v;
	size_t max, n;
};

static int card_row(sqlite3_stmt *st, void *arg)
{
	struct cards *c = arg;
	if (c->n < c->max)
		c->v[c->n++] = (struct waiting_card){ sqlite3_column_int64(st, 0),
						      sqlite3_column_int64(st, 1) };
	return 0;
}

int db_list_candidates(struct db *db, int64_t chat_id, int64_t now, struct waiting_card *out,
		       size_t max, size_t *n)
{
	struct cards c = { out, max, 0 };
	int rc = db_query_each(db, "SELECT o.id, o.ticket_id FROM outbox o INDEXED BY outbox_queue"
			       " WHERE o.state = 'pending' AND o.channel = 'telegram' AND o.chat_id = ?1"
			       " AND o.link_role = 'card' AND o.edit_role IS NULL AND o.kind = 'text'"
			       " AND o.ticket_id IS NOT NULL AND o.parts_sent = 0 AND o.attempts = 0"
			       " AND o.flight_after IS NULL AND o.not_before <= ?2"
			       /* Still new: one taken meanwhile goes as its card, which shows who has it. */
			       " AND EXISTS (SELECT 1 FROM tickets t WHERE t.id = o.ticket_id AND t.status = 'new')"
			       " AND NOT EXISTS (SELECT 1 FROM outbox e INDEXED BY outbox_ticket_pending"
			       "  WHERE e.ticket_id = o.ticket_id AND e.state = 'pending'"
			       "  AND e.chat_id = ?1 AND e.id < o.id)"
			       " ORDER BY o.id LIMIT ?3",
			       DB_BINDS(DB_INT(chat_id), DB_INT(now), DB_INT((int64_t)max)), card_row, &c);
	*n = c.n;
	return rc;
}

int db_list_make(struct db *db, const struct waiting_card *cards, size_t n, const char *args,
		 const char *actions)
{
	int64_t head = cards[0].row_id;
	/* The first card's copy, held like the others: what goes if the list never can. */
	int rc = db_run(db, "INSERT INTO outbox(channel, chat_id, method, payload, ticket_id, link_role,"
			" edit_role, created_at, kind, msg_key, args, actions, ref, reply_to, flags, lane,"
			" state, list_row)"
			" SELECT channel, chat_id, method, payload, ticket_id, link_role, edit_role,"
			" created_at, kind, msg_key, args, actions, ref, reply_to, flags, lane, 'sent', id"
			" FROM outbox WHERE id = ?", DB_BINDS(DB_INT(head)));
	for (size_t i = 0; i < n && !rc; i++) {
		if (i)
			rc = db_run(db, "UPDATE outbox SET state = 'sent', list_row = ? WHERE id = ?",
				    DB_BINDS(DB_INT(head), DB_INT(cards[i].row_id)));
		if (!rc)
			rc = db_run(db, "INSERT INTO card_lists(row_id, ticket_id, pos) VALUES (?, ?, ?)",
				    DB_BINDS(DB_INT(head), DB_INT(cards[i].ticket_id), DB_INT((int64_t)i)));
	}
	if (!rc)
		rc = db_run(db, "UPDATE outbox SET link_role = 'list', msg_key = NULL, args = ?,"
			    " actions = ? WHERE id = ?",
			    DB_BINDS(DB_TEXT(args), DB_TEXT(actions), DB_INT(head)));
	return rc;
}

int db_list_sent(struct db *db, int64_t row_id, int64_t message_id, int64_t now)
{
	return db_run(db, "UPDATE outbox SET message_id = ?, sent_at = ? WHERE list_row = ?",
		      DB_BINDS(DB_ID(message_id), DB_INT(now), DB_INT(row_id)));
}

int db_list_release(struct db *db, int64_t row_id)
{
	/*
	 * The list's row is its first card again, from the copy held for it:
	 * in its place, before the rows its ticket queued after it.
	 */
	int rc = db_run(db, "UPDATE outbox SET (link_role, msg_key, args, actions) ="
			" (SELECT c.link_role, c.msg_key, c.args, c.actions FROM outbox c"
			"  WHERE c.list_row = ?1 AND c.ticket_id = outbox.ticket_id),"
			" state = 'pending', attempts = attempts + 1, flight_after = NULL, message_id = NULL"
			" WHERE id = ?1 AND link_role = 'list'", DB_BINDS(DB_INT(row_id)));
	if (!rc)
		rc = db_run(db, "DELETE FROM outbox WHERE list_row = ?1"
			    " AND ticket_id = (SELECT ticket_id FROM outbox WHERE id = ?1)",
			    DB_BINDS(DB_INT(row_id)));
	/* Tried once, as the list: each goes on its own now, never in a list again. */
	if (!rc)
		rc = db_run(db, "UPDATE outbox SET state = 'pending', list_row = NULL,"
			    " attempts = attempts + 1 WHERE list_row = ?", DB_BINDS(DB_INT(row_id)));
	return rc ? rc : db_run(db, "DELETE FROM card_lists WHERE row_id = ?", DB_BINDS(DB_INT(row_id)));
}

struct place {
	int64_t *row_id, *message_id;
};

static int place_row(sqlite3_stmt *st, void *arg)
{
	struct place *p = arg;
	*p->row_id = sqlite3_column_int64(st, 0);
	*p->message_id = sqlite3_column_int64(st, 1);
	return 0;
}

int db_list_of_ticket(struct db *db, int64_t ticket_id, int64_t chat_id, int64_t *row_id,
		      int64_t *message_id)
{
	struct place p = { row_id, message_id };
	return db_query_one(db, "SELECT l.row_id, CASE o.state WHEN 'sent' THEN"
			    " coalesce(o.message_id, 0) ELSE 0 END FROM card_lists l"
			    " CROSS JOIN outbox o ON o.id = l.row_id"
			    " WHERE l.ticket_id = ? AND o.chat_id = ? AND o.state <> 'failed'"
			    " ORDER BY l.row_id DESC LIMIT 1",
			    DB_BINDS(DB_INT(ticket_id), DB_INT(chat_id)), place_row, &p);
}

int db_list_by_message(struct db *db, int64_t chat_id, int64_t message_id, int64_t *row_id)
{
	/*
	 * The message is linked to the list's first ticket: its lists, not the
	 * chat's history (CROSS JOIN keeps that order; so do the others here).
	 */
	return db_query_int(db, "SELECT o.id FROM tg_links k"
			    " CROSS JOIN card_lists l ON l.ticket_id = k.ticket_id"
			    " CROSS JOIN outbox o ON o.id = l.row_id"
			    " WHERE k.chat_id = ?1 AND k.message_id = ?2 AND k.role = 'list'"
			    " AND o.chat_id = ?1 AND o.message_id = ?2 AND o.link_role = 'list'",
			    DB_BINDS(DB_INT(chat_id), DB_INT(message_id)), row_id);
}

int db_list_tickets(struct db *db, int64_t row_id, int64_t *out, size_t max, size_t *n)
{
	struct ids ids = { out, max, 0 };
	int rc = db_query_each(db, "SELECT ticket_id FROM card_lists WHERE row_id = ? ORDER BY pos",
			       DB_BINDS(DB_INT(row_id)), id_row, &ids);
	*n = ids.n;
	return rc;
}

int db_list_edits(struct db *db, int64_t row_id, int64_t chat_id, int64_t now, int64_t *out,
		  size_t max, size_t *n)
{
	struct ids ids = { out, max, 0 };
	int rc = db_query_each(db, "SELECT o.id FROM card_lists l"
			       " JOIN outbox o INDEXED BY outbox_ticket_pending ON o.ticket_id = l.ticket_id"
			       " WHERE l.row_id = ?1 AND o.state = 'pending' AND o.chat_id = ?2"
			       " AND o.edit_role = 'card' AND o.not_before <= ?3 ORDER BY o.id LIMIT ?4",
			       DB_BINDS(DB_INT(row_id), DB_INT(chat_id), DB_INT(now), DB_INT((int64_t)max)),
			       id_row, &ids);
	*n = ids.n;
	return rc;
}
