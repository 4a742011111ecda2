/* The till agent's spool: events kept until the server acknowledged them. */
#include "core/log.h"
#include "storage/internal.h"
#include "storage/spool.h"

struct spool {
	struct db *db;
	long long max;
	char boot[32];
};

/* Only this file knows the spool's schema; each version only adds to it
 * (IF NOT EXISTS), so the whole text brings any older file up to date. */
static const char spool_schema[] =
	"CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	/* AUTOINCREMENT: a sequence number is never reused, even after the
	 * newest row went, so an id never names two events. */
	"CREATE TABLE IF NOT EXISTS events ("
	"  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  kind INTEGER NOT NULL,"          /* enum spool_kind */
	"  observed_at INTEGER NOT NULL,"
	"  json TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS events_heartbeats ON events(seq) WHERE kind = 1;"
	/* Version 2: events the server refused (400) one by one, set aside with its
	 * reason so that the rest flows; kept for a person, never sent again. */
	"CREATE TABLE IF NOT EXISTS refused ("
	"  seq INTEGER PRIMARY KEY,"
	"  kind INTEGER NOT NULL,"
	"  observed_at INTEGER NOT NULL,"
	"  json TEXT NOT NULL,"
	"  reason TEXT NOT NULL);";
#define SPOOL_SCHEMA_VERSION 2

static int text_col(sqlite3_stmt *st, void *arg)
{
	snprintf(arg, 32, "%s", db_text(st, 0));
	return 0;
}

int spool_open(struct spool **out, const char *path, long long max, int64_t now, char *err,
	       size_t errlen)
{
	struct spool *sp = xcalloc(1, sizeof(*sp));
	char boot[32];
	sp->max = max;
	if (db_open_schema(&sp->db, path, spool_schema, SPOOL_SCHEMA_VERSION, err, errlen))
		goto fail;
	snprintf(boot, sizeof(boot), "%lld", (long long)now);
	/* The boot is the file's: fixed when it is created, kept ever after. */
	if (db_run(sp->db, "INSERT OR IGNORE INTO meta(key, value) VALUES ('boot', ?1), ('dropped', '0')",
		   DB_BINDS(DB_TEXT(boot))) ||
	    db_query_one(sp->db, "SELECT value FROM meta WHERE key = 'boot'", DB_NO_BINDS, text_col,
			 sp->boot)) {
		snprintf(err, errlen, "%s: %s", path, db_errmsg(sp->db));
		goto fail;
	}
	*out = sp;
	return 0;
fail:
	db_close(sp->db);
	free(sp);
	return TD_ERR;
}

void spool_close(struct spool *sp)
{
	if (!sp)
		return;
	db_close(sp->db);
	free(sp);
}

static int add_dropped(struct spool *sp, long long n)
{
	return db_run(sp->db, "UPDATE meta SET value = CAST(value AS INTEGER) + ?1 WHERE key = 'dropped'",
		      DB_BINDS(DB_INT(n)));
}

int spool_add(struct spool *sp, const struct spool_item *items, size_t n)
{
	int64_t count;
	long long dropped = 0;
	int rc = db_begin(sp->db);
	if (rc)
		return rc;
	rc = db_query_int(sp->db, "SELECT count(*) FROM events", DB_NO_BINDS, &count);
	for (size_t i = 0; !rc && i < n; i++) {
		if (count >= sp->max) {
			int64_t seq = 0;
			int got = db_query_int(sp->db, "SELECT min(seq) FROM events WHERE kind = 1",
					       DB_NO_BINDS, &seq);
			if (got == 0) {
				rc = db_run(sp->db, "DELETE FROM events WHERE seq = ?1",
					    DB_BINDS(DB_INT(seq)));
				count--;
				dropped++;
			} else if (got == TD_ENOTFOUND && items[i].kind == SPOOL_HEARTBEAT) {
				/* Nothing older to give up: the new heartbeat itself goes. */
				dropped++;
				continue;
			} else if (got != TD_ENOTFOUND) {
				rc = got;
			}
			/* Only changes left: a change is kept past the bound. */
		}
		if (!rc)
			rc = db_run(sp->db, "INSERT INTO events(kind, observed_at, json) VALUES (?1, ?2, ?3)",
				    DB_BINDS(DB_INT(items[i].kind), DB_INT(items[i].observed_at),
					     DB_TEXT(items[i].json)));
		count++;
	}
	if (!rc && dropped)
		rc = add_dropped(sp, dropped);
	if (!rc)
		rc = db_commit(sp->db);
	if (rc) {
		db_rollback(sp->db);
		log_error("spool: cannot store %zu events: %s", n, db_errmsg(sp->db));
		return rc;
	}
	if (dropped)
		log_warn("spool: full (%lld events), dropped %lld oldest heartbeats", sp->max, dropped);
	return 0;
}

struct batch_walk {
	struct spool *sp;
	struct spool_batch *b;
	struct buf *out;
};

static int batch_row(sqlite3_stmt *st, void *arg)
{
	struct batch_walk *w = arg;
	int64_t seq = sqlite3_column_int64(st, 0);
	const char *json = db_text(st, 1);
	if (!w->b->n)
		w->b->first_seq = seq;
	w->b->last_seq = seq;
	/* The stored object without its id: the id goes first, then its members. */
	buf_printf(w->out, "%s{\"id\":\"%s-%06lld\"%s%s", w->b->n ? "," : "", w->sp->boot,
		   (long long)seq, json[1] == '}' ? "" : ",", json[0] == '{' ? json + 1 : "}");
	w->b->n++;
	return 0;
}

static int int_col(sqlite3_stmt *st, void *arg)
{
	*(long long *)arg = sqlite3_column_int64(st, 0);
	return 0;
}

int spool_batch(struct spool *sp, size_t max, const char *agent, struct spool_batch *batch,
		struct buf *out)
{
	struct buf events = BUF_INIT(out->cap);
	struct batch_walk w = { sp, batch, &events };
	int rc;

	memset(batch, 0, sizeof(*batch));
	rc = db_query_one(sp->db, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'dropped'",
			  DB_NO_BINDS, int_col, &batch->dropped);
	if (!rc)
		rc = db_query_each(sp->db, "SELECT seq, json FROM events ORDER BY seq LIMIT ?1",
				   DB_BINDS(DB_INT((int64_t)max)), batch_row, &w);
	if (!rc && batch->n)
		buf_printf(out, "{\"agent\":\"%s\",\"boot\":\"%s\",\"dropped\":%lld,\"events\":[%s]}",
			   agent, sp->boot, batch->dropped, buf_cstr(&events));
	if (!rc && (events.failed || out->failed))
		rc = TD_ENOMEM;
	buf_release(&events);
	return rc;
}

int spool_ack(struct spool *sp, const struct spool_batch *batch)
{
	int rc = db_begin(sp->db);
	if (rc)
		return rc;
	rc = db_run(sp->db, "DELETE FROM events WHERE seq BETWEEN ?1 AND ?2",
		    DB_BINDS(DB_INT(batch->first_seq), DB_INT(batch->last_seq)));
	if (!rc && batch->dropped)
		rc = add_dropped(sp, -batch->dropped);
	if (!rc)
		rc = db_commit(sp->db);
	if (rc)
		db_rollback(sp->db);
	return rc;
}

int spool_refuse(struct spool *sp, int64_t seq, const char *reason)
{
	int rc = db_begin(sp->db);
	if (rc)
		return rc;
	rc = db_run(sp->db, "INSERT INTO refused(seq, kind, observed_at, json, reason)"
		    " SELECT seq, kind, observed_at, json, ?2 FROM events WHERE seq = ?1",
		    DB_BINDS(DB_INT(seq), DB_TEXT(reason)));
	if (!rc)
		rc = db_run(sp->db, "DELETE FROM events WHERE seq = ?1", DB_BINDS(DB_INT(seq)));
	if (!rc)
		rc = db_commit(sp->db);
	if (rc)
		db_rollback(sp->db);
	return rc;
}

static int stats_row(sqlite3_stmt *st, void *arg)
{
	struct spool_stats *s = arg;
	s->events = sqlite3_column_int64(st, 0);
	s->changes = sqlite3_column_int64(st, 1);
	s->oldest = sqlite3_column_int64(st, 2);
	s->dropped = sqlite3_column_int64(st, 3);
	s->refused = sqlite3_column_int64(st, 4);
	return 0;
}

int spool_stats(struct spool *sp, struct spool_stats *out)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->boot, sizeof(out->boot), "%s", sp->boot);
	return db_query_one(sp->db,
			    "SELECT count(*), count(*) FILTER (WHERE kind = 0), coalesce(min(observed_at), 0),"
			    " (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'dropped'),"
			    " (SELECT count(*) FROM refused) FROM events",
			    DB_NO_BINDS, stats_row, out);
}

struct each_walk {
	struct spool *sp;
	spool_each_fn *fn;
	void *arg;
};

static int each_row(sqlite3_stmt *st, void *arg)
{
	struct each_walk *w = arg;
	char id[64];
	snprintf(id, sizeof(id), "%s-%06lld", w->sp->boot, (long long)sqlite3_column_int64(st, 0));
	return w->fn(w->arg, id, (enum spool_kind)sqlite3_column_int(st, 1), db_text(st, 2),
		     sqlite3_column_type(st, 3) == SQLITE_NULL ? NULL : db_text(st, 3));
}

int spool_each(struct spool *sp, size_t max, bool refused, spool_each_fn *fn, void *arg)
{
	struct each_walk w = { sp, fn, arg };
	return db_query_each(sp->db, refused ?
			     "SELECT seq, kind, json, reason FROM refused ORDER BY seq LIMIT ?1" :
			     "SELECT seq, kind, json, NULL FROM events ORDER BY seq LIMIT ?1",
			     DB_BINDS(DB_INT((int64_t)max)), each_row, &w);
}

int spool_meta_set(struct spool *sp, const char *key, int64_t value)
{
	char text[32];
	snprintf(text, sizeof(text), "%lld", (long long)value);
	return db_run(sp->db, "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)",
		      DB_BINDS(DB_TEXT(key), DB_TEXT(text)));
}

int spool_meta_get(struct spool *sp, const char *key, int64_t *out)
{
	return db_query_int(sp->db, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = ?1",
			    DB_BINDS(DB_TEXT(key)), out);
}
