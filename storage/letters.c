/*
 * letters.c - the letters' rows; see letters.h.
 */
#include "storage/internal.h"
#include "storage/letters.h"

int db_letter_add(struct db *db, int64_t *out, const struct letter_row_new *l,
		  const char *const *addrs, const char *const *names, size_t n, int64_t now)
{
	int rc = db_run_insert(db, "INSERT INTO letters(ref, kind, org_id, subject, text, html,"
			       " message_id, created_at, next_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
			       " ON CONFLICT(ref) DO NOTHING",
			       DB_BINDS(DB_TEXT(l->ref), DB_TEXT(l->kind), DB_ID(l->org_id),
					DB_TEXT(l->subject), DB_TEXT(l->text), DB_TEXT(l->html),
					DB_TEXT(l->message_id), DB_INT(now), DB_INT(now)), out);
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
