/*
 * relays.c - a claimed ticket's count of relayed messages and its card's
 * put-off edit; see relays.h.
 */
#include "storage/internal.h"
#include "storage/relays.h"

static int relay_row(sqlite3_stmt *st, void *arg)
{
	struct ticket_relay *r = arg;
	r->relayed = sqlite3_column_int64(st, 0);
	r->last_at = sqlite3_column_int64(st, 1);
	r->card_at = sqlite3_column_int64(st, 2);
	r->card_due = sqlite3_column_int64(st, 3);
	return 0;
}

int db_relay_get(struct db *db, int64_t ticket_id, struct ticket_relay *out)
{
	memset(out, 0, sizeof(*out));
	int rc = db_query_one(db, "SELECT relayed, coalesce(last_at, 0), coalesce(card_at, 0),"
			      " coalesce(card_due, 0) FROM ticket_relays WHERE ticket_id = ?",
			      DB_BINDS(DB_INT(ticket_id)), relay_row, out);
	return rc == TD_ENOTFOUND ? 0 : rc;
}

int db_relay_count(struct db *db, int64_t ticket_id, int64_t now)
{
	return db_run(db, "INSERT INTO ticket_relays(ticket_id, relayed, last_at) VALUES (?1, 1, ?2)"
		      " ON CONFLICT(ticket_id) DO UPDATE SET relayed = relayed + 1, last_at = ?2",
		      DB_BINDS(DB_INT(ticket_id), DB_INT(now)));
}

int db_relay_reset(struct db *db, int64_t ticket_id)
{
	return db_exec_id(db, "UPDATE ticket_relays SET relayed = 0, last_at = NULL WHERE ticket_id = ?",
			  ticket_id);
}

int db_relay_move(struct db *db, int64_t ticket_id, int64_t from, int64_t to, int64_t reply_to)
{
	/* A row that may have reached Telegram (flight_after) or is half sent stays: it is theirs. */
	int rc = db_run(db, "UPDATE outbox SET chat_id = ?3, reply_to = ?4 WHERE state = 'pending'"
			" AND channel = 'telegram' AND ticket_id = ?1 AND chat_id = ?2 AND link_role = 'relay'"
			" AND parts_sent = 0 AND flight_after IS NULL",
			DB_BINDS(DB_INT(ticket_id), DB_INT(from), DB_INT(to), DB_INT(reply_to)));
	/* The whole card sent to them as the ticket's assignee is no longer for them. */
	return rc ? rc : db_run(db, "UPDATE outbox SET state = 'failed', error = 'no longer the assignee'"
				" WHERE state = 'pending' AND channel = 'telegram' AND ticket_id = ?1"
				" AND chat_id = ?2 AND link_role = 'assigned' AND parts_sent = 0"
				" AND flight_after IS NULL", DB_BINDS(DB_INT(ticket_id), DB_INT(from)));
}

int db_relay_card_edited(struct db *db, int64_t ticket_id, int64_t now)
{
	return db_run(db, "INSERT INTO ticket_relays(ticket_id, card_at) VALUES (?1, ?2)"
		      " ON CONFLICT(ticket_id) DO UPDATE SET card_at = ?2, card_due = NULL",
		      DB_BINDS(DB_INT(ticket_id), DB_INT(now)));
}

int db_relay_card_defer(struct db *db, int64_t ticket_id, int64_t due)
{
	return db_run(db, "INSERT INTO ticket_relays(ticket_id, card_due) VALUES (?1, ?2)"
		      " ON CONFLICT(ticket_id) DO UPDATE SET card_due = min(coalesce(card_due, ?2), ?2)",
		      DB_BINDS(DB_INT(ticket_id), DB_INT(due)));
}

struct dues {
	struct relay_due *v;
	size_t max, n;
};

static int due_row(sqlite3_stmt *st, void *arg)
{
	struct dues *l = arg;
	if (l->n < l->max)
		l->v[l->n++] = (struct relay_due){ sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1) };
	return 0;
}

int db_relay_cards_due(struct db *db, int64_t now, const struct relay_due *after,
		       struct relay_due *v, size_t max, size_t *n)
{
	struct dues l = { v, max, 0 };
	int rc = db_query_each(db, "SELECT ticket_id, card_due FROM ticket_relays WHERE card_due <= ?1"
			       " AND (card_due, ticket_id) > (?3, ?4) ORDER BY card_due, ticket_id LIMIT ?2",
			       DB_BINDS(DB_INT(now), DB_INT((int64_t)max), DB_INT(after->due),
					DB_INT(after->ticket_id)), due_row, &l);
	*n = l.n;
	return rc;
}
