/*
 * letters.c - the letters' rows; see letters.h.
 */
#include "storage/internal.h"
#include "storage/letters.h"

int db_letter_add(struct db *db, int64_t *out, const struct letter_row_new *l,
		  const char *const *addrs, const char *const *names, size_t n, int64_t now)
{
	int rc = db_run_insert(db, "INSERT INTO letters(ref, kind, org_id, subject, text, html,"
			       " message_id, created_at, next_at, ticket_id, in_reply_to, refs)"
			       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
			       " ON CONFLICT(ref) DO NOTHING",
			       DB_BINDS(DB_TEXT(l->ref), DB_TEXT(l->kind), DB_ID(l->org_id),
					DB_TEXT(l->subject), DB_TEXT(l->text), DB_TEXT(l->html),
					DB_TEXT(l->message_id), DB_INT(now), DB_INT(now),
					DB_ID(l->ticket_id), DB_TEXT(l->in_reply_to),
					DB_TEXT(l->references)), out);
	if (!rc && !sqlite3_changes(db->h))
		return TD_EEXISTS;
	for (size_t i = 0; i < n && !rc; i++)
		rc = db_run(db, "INSERT INTO letter_rcpts(letter_id, addr, name) VALUES (?, ?, ?)"
			    " ON CONFLICT DO NOTHING",
			    DB_BINDS(DB_INT(*out), DB_TEXT(addrs[i]), DB_TEXT(names[i] ? names[i] : "")));
	return rc;
}

int db_letter_exists(struct db *db, const char *ref, bool *out)
{
	int64_t unused;
	int rc = db_query_int(db, "SELECT 1 FROM letters WHERE ref = ?", DB_BINDS(DB_TEXT(ref)), &unused);
	*out = !rc;
	return rc == TD_ENOTFOUND ? 0 : rc;
}

int db_letter_exists_under(struct db *db, const char *prefix, bool *out)
{
	char upper[256];
	int64_t unused;
	size_t n = strlen(prefix);
	if (!n || n >= sizeof(upper) || (unsigned char)prefix[n - 1] == 0xff)
		return TD_EINVAL;
	/* The refs from prefix up to the next prefix: a range of the unique index. */
	memcpy(upper, prefix, n + 1);
	upper[n - 1]++;
	int rc = db_query_int(db, "SELECT 1 FROM letters WHERE ref >= ?1 AND ref < ?2 LIMIT 1",
			      DB_BINDS(DB_TEXT(prefix), DB_TEXT(upper)), &unused);
	*out = !rc;
	return rc == TD_ENOTFOUND ? 0 : rc;
}

struct letter_rows {
	int (*fn)(const struct letter_row *, void *);
	void *arg;
};

static int letter_map(sqlite3_stmt *st, void *arg)
{
	struct letter_rows *rows = arg;
	const struct letter_row l = {
		.id = sqlite3_column_int64(st, 0),
		.ref = db_text(st, 1),
		.kind = db_text(st, 2),
		.subject = db_text(st, 3),
		.text = db_text(st, 4),
		.html = sqlite3_column_type(st, 5) == SQLITE_NULL ? NULL : db_text(st, 5),
		.message_id = db_text(st, 6),
		.created_at = sqlite3_column_int64(st, 7),
		.done = !strcmp(db_text(st, 8), "done"),
		.attempts = sqlite3_column_int(st, 9),
		.next_at = sqlite3_column_int64(st, 10),
		.last_error = db_text(st, 11),
		.in_reply_to = db_text(st, 12),
		.references = db_text(st, 13),
	};
	return rows->fn(&l, rows->arg);
}

#define LETTER_COLUMNS "SELECT id, ref, kind, subject, text, html, message_id, created_at, state," \
		       " attempts, next_at, last_error, coalesce(in_reply_to, ''), coalesce(refs, '')" \
		       " FROM letters"

int db_letter_due(struct db *db, int64_t now, int limit,
		  int (*fn)(const struct letter_row *, void *), void *arg)
{
	struct letter_rows rows = { fn, arg };
	return db_query_each(db, LETTER_COLUMNS " WHERE state = 'pending' AND next_at <= ?"
			     " ORDER BY next_at, id LIMIT ?",
			     DB_BINDS(DB_INT(now), DB_INT(limit)), letter_map, &rows);
}

int db_letter_list(struct db *db, bool all, int (*fn)(const struct letter_row *, void *), void *arg)
{
	struct letter_rows rows = { fn, arg };
	return db_query_each(db, LETTER_COLUMNS " WHERE ?1 OR state = 'pending' OR EXISTS (SELECT 1"
			     " FROM letter_rcpts r WHERE r.letter_id = letters.id AND r.state = 'failed')"
			     " ORDER BY id DESC", DB_BINDS(DB_INT(all)), letter_map, &rows);
}

struct rcpt_rows {
	int (*fn)(const struct letter_rcpt_row *, void *);
	void *arg;
};

static int rcpt_map(sqlite3_stmt *st, void *arg)
{
	struct rcpt_rows *rows = arg;
	const struct letter_rcpt_row r = {
		.addr = db_text(st, 0),
		.name = db_text(st, 1),
		.state = db_text(st, 2),
		.status = sqlite3_column_int(st, 3),
		.reply = db_text(st, 4),
		.at = sqlite3_column_int64(st, 5),
	};
	return rows->fn(&r, rows->arg);
}

int db_letter_rcpts(struct db *db, int64_t id, int (*fn)(const struct letter_rcpt_row *, void *),
		    void *arg)
{
	struct rcpt_rows rows = { fn, arg };
	/* The key's order: a table WITHOUT ROWID keeps no order of insertion. */
	return db_query_each(db, "SELECT addr, name, state, status, reply, at FROM letter_rcpts"
			     " WHERE letter_id = ? ORDER BY addr", DB_BINDS(DB_INT(id)), rcpt_map, &rows);
}

int db_letter_rcpt_set(struct db *db, int64_t id, const char *addr, const char *state, int status,
		       const char *reply, int64_t now)
{
	bool final = strcmp(state, "pending") != 0;
	return db_run(db, "UPDATE letter_rcpts SET state = ?, status = ?, reply = ?, at = ?"
		      " WHERE letter_id = ? AND addr = ?",
		      DB_BINDS(DB_TEXT(state), DB_ID(status), DB_TEXT(reply), DB_ID(final ? now : 0),
			       DB_INT(id), DB_TEXT(addr)));
}

int db_letter_attempted(struct db *db, int64_t id, int64_t next_at, const char *last_error)
{
	return db_run(db, "UPDATE letters SET attempts = attempts + 1, next_at = ?, last_error = ?,"
		      " state = CASE WHEN EXISTS (SELECT 1 FROM letter_rcpts WHERE letter_id = ?3"
		      " AND state = 'pending') THEN 'pending' ELSE 'done' END WHERE id = ?3",
		      DB_BINDS(DB_INT(next_at), DB_TEXT(last_error), DB_INT(id)));
}
