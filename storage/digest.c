/*
 * digest.c - the daily digest's queries; see digest.h.
 */
#include "storage/digest.h"
#include "storage/internal.h"

/* The stores' windows of the day, ?1, as a table w(sid, f, t). */
#define WINDOWS \
	"WITH w(sid, f, t) AS (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]')," \
	" json_extract(value, '$[2]') FROM json_each(?1)) "
/* The tickets opened in their store's window (as `report sla` counts them: with a status). */
#define OPENED_IN_W \
	" JOIN tickets t ON t.store_id = w.sid AND t.created_at >= w.f AND t.created_at < w.t" \
	" AND t.status IS NOT NULL"
/*
 * History rows of kinds in the day of their ticket's store: the bounds of
 * every window first, so that the (kind, at) index reads one day's rows.
 */
#define EVENTS_IN_W(kinds) \
	" FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id JOIN w ON w.sid = t.store_id" \
	" WHERE e.kind IN (" kinds ") AND e.at >= (SELECT min(f) FROM w)" \
	" AND e.at < (SELECT max(t) FROM w) AND e.at >= w.f AND e.at < w.t"

static const char *const queries[DQ_COUNT] = {
	[DQ_STORES] = "SELECT id, name, timezone FROM stores WHERE org_id = ?2 ORDER BY id",
	[DQ_OPENED] = WINDOWS "SELECT s.id, s.name, count(*), count(*) FILTER (WHERE t.source = 'telegram')"
		" FROM w JOIN stores s ON s.id = w.sid"
		OPENED_IN_W " GROUP BY s.id ORDER BY 3 DESC, s.name",
	[DQ_RESOLVED] = WINDOWS "SELECT count(DISTINCT e.ticket_id)"
		EVENTS_IN_W("'resolved', 'auto_resolved'"),
	[DQ_OPEN_NOW] = "SELECT count(*) FROM tickets t JOIN stores s ON s.id = t.store_id"
		" WHERE s.org_id = ?2 AND t.status IN ('new', 'claimed')",
	[DQ_ARTICLES] = WINDOWS "SELECT a.title, count(*) FROM w" OPENED_IN_W
		" JOIN kb_articles a ON a.id = t.kb_article_id"
		" GROUP BY a.id ORDER BY 2 DESC, 1 LIMIT 5",
	[DQ_CODES] = WINDOWS "SELECT a.code, count(*) FROM w JOIN alerts a ON a.store_id = w.sid"
		" AND a.opened_at >= w.f AND a.opened_at < w.t GROUP BY a.code ORDER BY 2 DESC, 1 LIMIT 5",
	/* A claim's reaction is its ticket's reaction timer, counted once it was met. */
	[DQ_ENGINEERS] = WINDOWS "SELECT e.actor_id, p.name, e.kind = 'claimed',"
		" CASE WHEN e.kind = 'claimed' AND r.met_at IS NOT NULL THEN ifnull(r.used, -1)"
		" ELSE -1 END"
		" FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id JOIN w ON w.sid = t.store_id"
		" JOIN people p ON p.id = e.actor_id"
		" LEFT JOIN sla_timers r ON r.ticket_id = e.ticket_id AND r.kind = 'reaction'"
		" WHERE e.kind IN ('claimed', 'resolved') AND e.at >= (SELECT min(f) FROM w)"
		" AND e.at < (SELECT max(t) FROM w) AND e.at >= w.f AND e.at < w.t"
		" ORDER BY p.name, e.actor_id",
	/* Dates are YYYY-MM-DD: as text they sort as days do. */
	[DQ_EXPIRING] = "SELECT s.name, tl.name, e.kind, e.model, e.serial, e.expires_on"
		" FROM equipment e JOIN tills tl ON tl.id = e.till_id JOIN stores s ON s.id = tl.store_id"
		" WHERE s.org_id = ?2 AND e.expires_on BETWEEN ?3 AND ?4"
		" ORDER BY e.expires_on, s.name, tl.name, e.id",
	[DQ_OFFLINE] = "SELECT s.name, ifnull(tl.name, ''), a.opened_at FROM stores s"
		" JOIN alerts a ON a.store_id = s.id LEFT JOIN tills tl ON tl.id = a.till_id"
		" WHERE s.org_id = ?2 AND a.state != 'resolved'"
		" AND a.code IN ('till.offline', 'store.offline') ORDER BY s.name, 2",
	/* A rating's comment: the cashier's first words on the ticket after it. */
	[DQ_RATINGS] = WINDOWS "SELECT e.ticket_id, CAST(e.body AS INTEGER),"
		" ifnull((SELECT m.body FROM ticket_events m WHERE m.ticket_id = e.ticket_id"
		"  AND m.id > e.id AND m.kind = 'message' ORDER BY m.id LIMIT 1), '')"
		EVENTS_IN_W("'rated'") " ORDER BY e.ticket_id",
	/*
	 * As db_kb_totals(): a problem ended with «Помогло» or became a
	 * cashier's ticket (those DQ_OPENED counts): here the first.
	 */
	[DQ_KB] = WINDOWS "SELECT count(*) FROM kb_suggestions k JOIN people p ON p.id = k.person_id"
		" JOIN w ON w.sid = p.store_id WHERE k.outcome = 'helped'"
		" AND k.decided_at >= (SELECT min(f) FROM w) AND k.decided_at < (SELECT max(t) FROM w)"
		" AND k.decided_at >= w.f AND k.decided_at < w.t",
	/* Without the status (NULL only inside the transaction that opens it): the index covers it. */
	[DQ_CREATED] = "SELECT t.store_id, t.created_at FROM stores s JOIN tickets t"
		" ON t.store_id = s.id AND t.created_at >= ?5 AND t.created_at < ?6 WHERE s.org_id = ?2",
};

struct digest_rows {
	int (*fn)(const struct digest_row *, void *);
	void *arg;
};

static int digest_row(sqlite3_stmt *st, void *arg)
{
	struct digest_rows *rows = arg;
	struct digest_row r = { 0 };
	int n = sqlite3_column_count(st);
	for (int c = 0; c < n && c < DIGEST_COLUMNS; c++) {
		r.s[c] = db_text(st, c);
		r.i[c] = sqlite3_column_int64(st, c);
	}
	return rows->fn(&r, rows->arg);
}

int db_digest_rows(struct db *db, enum digest_query q, const struct digest_args *a,
		   int (*fn)(const struct digest_row *, void *), void *arg)
{
	struct digest_rows rows = { fn, arg };
	return db_query_each(db, queries[q],
			     DB_BINDS(DB_TEXT(a->windows ? a->windows : "[]"), DB_INT(a->org_id),
				      DB_TEXT(a->first), DB_TEXT(a->last), DB_INT(a->from),
				      DB_INT(a->to)), digest_row, &rows);
}

int db_org_zone(struct db *db, int64_t org_id, char *out, size_t n)
{
	int rc = db_query_text(db, "SELECT coalesce(o.timezone, (SELECT timezone FROM stores"
			       " WHERE org_id = o.id ORDER BY id LIMIT 1)) FROM orgs o WHERE o.id = ?",
			       DB_BINDS(DB_INT(org_id)), out, n);
	return !rc && !*out ? TD_ENOTFOUND : rc;
}

int db_org_set_zone(struct db *db, int64_t org_id, const char *zone)
{
	return db_run(db, "UPDATE orgs SET timezone = ?2 WHERE id = ?1",
		      DB_BINDS(DB_INT(org_id), DB_TEXT(zone)));
}

int db_org_name(struct db *db, int64_t org_id, char *out, size_t n)
{
	return db_query_text(db, "SELECT name FROM orgs WHERE id = ?", DB_BINDS(DB_INT(org_id)),
			     out, n);
}

struct org_rows {
	int (*fn)(int64_t, void *);
	void *arg;
};

static int org_row(sqlite3_stmt *st, void *arg)
{
	struct org_rows *rows = arg;
	return rows->fn(sqlite3_column_int64(st, 0), rows->arg);
}

int db_digest_orgs(struct db *db, int (*fn)(int64_t org_id, void *), void *arg)
{
	struct org_rows rows = { fn, arg };
	return db_query_each(db, "SELECT DISTINCT org_id FROM org_owners ORDER BY org_id",
			     DB_NO_BINDS, org_row, &rows);
}

