/* mailbox.c - how far the IMAP mailbox was read; see mailbox.h. */
#include "storage/internal.h"
#include "storage/mailbox.h"

struct mailbox_row {
	int64_t uidvalidity, last_uid;
};

static int map_state(sqlite3_stmt *st, void *arg)
{
	struct mailbox_row *r = arg;
	r->uidvalidity = sqlite3_column_int64(st, 0);
	r->last_uid = sqlite3_column_int64(st, 1);
	return 0;
}

int db_mailbox_get(struct db *db, const char *url, int64_t *uidvalidity, int64_t *last_uid)
{
	struct mailbox_row r;
	int rc = db_query_one(db, "SELECT uidvalidity, last_uid FROM mailbox_state WHERE url = ?",
			      DB_BINDS(DB_TEXT(url)), map_state, &r);
	if (!rc) {
		*uidvalidity = r.uidvalidity;
		*last_uid = r.last_uid;
	}
	return rc;
}

int db_mailbox_set(struct db *db, const char *url, int64_t uidvalidity, int64_t last_uid, int64_t now)
{
	return db_run(db, "INSERT INTO mailbox_state(url, uidvalidity, last_uid, at) VALUES (?, ?, ?, ?)"
		      " ON CONFLICT(url) DO UPDATE SET uidvalidity = excluded.uidvalidity,"
		      " last_uid = excluded.last_uid, at = excluded.at",
		      DB_BINDS(DB_TEXT(url), DB_INT(uidvalidity), DB_INT(last_uid), DB_INT(now)));
}
