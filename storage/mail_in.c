/* mail_in.c - letters in and the threads they start; see mail_in.h. */
#include "storage/internal.h"
#include "storage/mail_in.h"

int db_mail_in_add(struct db *db, const struct mail_in_new *m)
{
	int64_t id;
	return db_run_insert(db, "INSERT INTO mail_in(uidvalidity, uid, message_id, from_addr, subject,"
			     " size, at, outcome, ticket_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
			     DB_BINDS(DB_INT(m->uidvalidity), DB_INT(m->uid),
				      DB_TEXT(m->message_id && *m->message_id ? m->message_id : NULL),
				      DB_TEXT(m->from_addr), DB_TEXT(m->subject), DB_INT(m->size),
				      DB_INT(m->at), DB_TEXT(m->outcome), DB_ID(m->ticket_id)), &id);
}

int db_mail_in_taken(struct db *db, int64_t uidvalidity, int64_t uid, bool *out)
{
	int64_t unused;
	int rc = db_query_int(db, "SELECT 1 FROM mail_in WHERE uidvalidity = ? AND uid = ?",
			      DB_BINDS(DB_INT(uidvalidity), DB_INT(uid)), &unused);
	*out = !rc;
	return rc == TD_ENOTFOUND ? 0 : rc;
}

int db_mail_in_count(struct db *db, const char *addr, int64_t since, int64_t *out)
{
	return db_query_int(db, "SELECT count(*) FROM mail_in WHERE from_addr = ? AND at >= ?",
			    DB_BINDS(DB_TEXT(addr), DB_INT(since)), out);
}

int db_mail_in_ticket(struct db *db, const char *message_id, const char *from_addr, int64_t *out)
{
	return db_query_int(db, "SELECT ticket_id FROM mail_in WHERE message_id = ? AND from_addr = ?"
			    " AND ticket_id IS NOT NULL ORDER BY id DESC LIMIT 1",
			    DB_BINDS(DB_TEXT(message_id), DB_TEXT(from_addr)), out);
}

struct letter_found {
	int64_t *ticket_id;
	char *ref;
	size_t n;
};

static int letter_found(sqlite3_stmt *st, void *arg)
{
	struct letter_found *f = arg;
	*f->ticket_id = sqlite3_column_int64(st, 0);
	snprintf(f->ref, f->n, "%s", db_text(st, 1));
	return 0;
}

int db_letter_by_message(struct db *db, const char *message_id, int64_t *ticket_id, char *ref,
			 size_t n)
{
	struct letter_found f = { ticket_id, ref, n };
	return db_query_one(db, "SELECT coalesce(ticket_id, 0), ref FROM letters WHERE message_id = ?",
			    DB_BINDS(DB_TEXT(message_id)), letter_found, &f);
}

int db_letter_message_id(struct db *db, int64_t id, char *out, size_t n)
{
	return db_query_text(db, "SELECT message_id FROM letters WHERE id = ?", DB_BINDS(DB_INT(id)),
			     out, n);
}

static int ticket_mail_row(sqlite3_stmt *st, void *arg)
{
	struct ticket_mail *m = arg;
	snprintf(m->addr, sizeof(m->addr), "%s", db_text(st, 0));
	snprintf(m->name, sizeof(m->name), "%s", db_text(st, 1));
	snprintf(m->refs, sizeof(m->refs), "%s", db_text(st, 2));
	snprintf(m->last_id, sizeof(m->last_id), "%s", db_text(st, 3));
	m->reachable = sqlite3_column_int(st, 4);
	return 0;
}

int db_ticket_mail_get(struct db *db, int64_t ticket_id, struct ticket_mail *out)
{
	return db_query_one(db, "SELECT m.addr, m.name, m.refs, coalesce(m.last_id, ''),"
			    " coalesce(c.disabled_at IS NULL AND c.store_id = t.store_id, 0)"
			    " FROM ticket_mail m JOIN tickets t ON t.id = m.ticket_id"
			    " LEFT JOIN people c ON c.id = t.cashier_id WHERE m.ticket_id = ?",
			    DB_BINDS(DB_INT(ticket_id)), ticket_mail_row, out);
}

int db_ticket_mail_set(struct db *db, int64_t ticket_id, const struct ticket_mail *m)
{
	return db_run(db, "INSERT INTO ticket_mail(ticket_id, addr, name, refs, last_id)"
		      " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(ticket_id) DO UPDATE SET"
		      " addr = ?2, name = ?3, refs = ?4, last_id = ?5",
		      DB_BINDS(DB_INT(ticket_id), DB_TEXT(m->addr), DB_TEXT(m->name), DB_TEXT(m->refs),
			       DB_TEXT(*m->last_id ? m->last_id : NULL)));
}

int db_ticket_newest_event(struct db *db, int64_t ticket_id, int64_t *out)
{
	return db_query_int(db, "SELECT max(id) FROM ticket_events WHERE ticket_id = ?",
			    DB_BINDS(DB_INT(ticket_id)), out);
}
