/*
 * alerts.c - the alerts' rows; see alerts.h.
 */
#include "storage/alerts.h"
#include "storage/internal.h"

static const char *const state_names[] = {
	[ALERT_FIRING] = "firing", [ALERT_RECOVERING] = "recovering", [ALERT_RESOLVED] = "resolved",
};

const char *alert_state_name(enum alert_state s)
{
	return (unsigned)s < ARRAY_SIZE(state_names) ? state_names[s] : NULL;
}

void alert_release(struct alert *a)
{
	free(a->message);
	free(a->data);
	a->message = a->data = NULL;
}

static void flips_parse(struct alert *a, const char *s)
{
	a->n_flips = 0;
	while (*s && a->n_flips < ALERT_FLIPS_MAX) {
		char *end;
		long long t = strtoll(s, &end, 10);
		if (end == s)
			break;
		a->flips[a->n_flips++] = t;
		s = end + strspn(end, " ");
	}
}

static void flips_format(const struct alert *a, char *out, size_t n)
{
	size_t len = 0;
	out[0] = '\0';
	for (int i = 0; i < a->n_flips && len < n; i++)
		len += (size_t)snprintf(out + len, n - len, "%s%lld", i ? " " : "", (long long)a->flips[i]);
}

#define COLUMNS "id, store_id, coalesce(till_id, 0), code, check_name, state, severity, message," \
	" data, priority, coalesce(ticket_id, 0), coalesce(storm_id, 0), coalesce(held_by, 0)," \
	" coalesce(silence_id, 0), opened_at, last_seen_at, count, coalesce(ok_since, 0), ok_count," \
	" flips, flapping, card_at, card_dirty, coalesce(due_at, 0), coalesce(resolved_at, 0)"

static int alert_row(sqlite3_stmt *st, void *arg)
{
	struct alert *a = arg;
	const char *state = db_text(st, 5);
	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(st, 0);
	a->store_id = sqlite3_column_int64(st, 1);
	a->till_id = sqlite3_column_int64(st, 2);
	snprintf(a->code, sizeof(a->code), "%s", db_text(st, 3));
	snprintf(a->check, sizeof(a->check), "%s", db_text(st, 4));
	a->state = ALERT_RESOLVED;
	for (size_t i = 0; i < ARRAY_SIZE(state_names); i++)
		if (!strcmp(state, state_names[i]))
			a->state = (enum alert_state)i;
	a->critical = !strcmp(db_text(st, 6), "critical");
	a->message = xstrdup(db_text(st, 7));
	a->data = sqlite3_column_type(st, 8) == SQLITE_NULL ? NULL : xstrdup(db_text(st, 8));
	a->priority = sqlite3_column_int(st, 9);
	a->ticket_id = sqlite3_column_int64(st, 10);
	a->storm_id = sqlite3_column_int64(st, 11);
	a->held_by = sqlite3_column_int64(st, 12);
	a->silence_id = sqlite3_column_int64(st, 13);
	a->opened_at = sqlite3_column_int64(st, 14);
	a->last_seen_at = sqlite3_column_int64(st, 15);
	a->count = sqlite3_column_int64(st, 16);
	a->ok_since = sqlite3_column_int64(st, 17);
	a->ok_count = sqlite3_column_int64(st, 18);
	flips_parse(a, db_text(st, 19));
	a->flapping = sqlite3_column_int(st, 20);
	a->card_at = sqlite3_column_int64(st, 21);
	a->card_dirty = sqlite3_column_int(st, 22);
	a->due_at = sqlite3_column_int64(st, 23);
	a->resolved_at = sqlite3_column_int64(st, 24);
	return 0;
}

int db_alert_live(struct db *db, int64_t store_id, int64_t till_id, const char *code,
		  struct alert *out)
{
	return db_query_one(db, "SELECT " COLUMNS " FROM alerts WHERE store_id = ?1"
			    " AND coalesce(till_id, 0) = ?2 AND code = ?3 AND state != 'resolved'",
			    DB_BINDS(DB_INT(store_id), DB_INT(till_id), DB_TEXT(code)), alert_row, out);
}

int db_alert_last(struct db *db, int64_t store_id, int64_t till_id, const char *code,
		  struct alert *out)
{
	return db_query_one(db, "SELECT " COLUMNS " FROM alerts WHERE store_id = ?1"
			    " AND coalesce(till_id, 0) = ?2 AND code = ?3 AND state = 'resolved'"
			    " ORDER BY id DESC LIMIT 1",
			    DB_BINDS(DB_INT(store_id), DB_INT(till_id), DB_TEXT(code)), alert_row, out);
}

int db_alert_get(struct db *db, int64_t id, struct alert *out)
{
	return db_query_one(db, "SELECT " COLUMNS " FROM alerts WHERE id = ?",
			    DB_BINDS(DB_INT(id)), alert_row, out);
}

int db_alert_of_ticket(struct db *db, int64_t ticket_id, struct alert *out)
{
	return db_query_one(db, "SELECT " COLUMNS " FROM alerts WHERE ticket_id = ?1"
			    " AND (storm_id IS NULL OR ticket_id IS NOT"
			    "  (SELECT ticket_id FROM storms WHERE id = storm_id))"
			    " ORDER BY state = 'resolved', id DESC LIMIT 1",
			    DB_BINDS(DB_INT(ticket_id)), alert_row, out);
}

/* Every field but id, as ?2.. for insert and save alike. */
#define FIELDS "store_id, till_id, code, check_name, state, severity, message, data, priority," \
	" ticket_id, storm_id, held_by, silence_id, opened_at, last_seen_at, count, ok_since," \
	" ok_count, flips, flapping, card_at, card_dirty, due_at, resolved_at"

static int alert_write(struct db *db, const char *sql, const struct alert *a, int64_t *id)
{
	char flips[ALERT_FLIPS_MAX * 21];
	flips_format(a, flips, sizeof(flips));
	const struct db_bind *binds = DB_BINDS(
		DB_INT(a->id), DB_INT(a->store_id), DB_ID(a->till_id), DB_TEXT(a->code),
		DB_TEXT(a->check), DB_TEXT(alert_state_name(a->state)),
		DB_TEXT(a->critical ? "critical" : "warning"), DB_TEXT(a->message ? a->message : ""),
		DB_TEXT(a->data), DB_INT(a->priority), DB_ID(a->ticket_id), DB_ID(a->storm_id),
		DB_ID(a->held_by), DB_ID(a->silence_id), DB_INT(a->opened_at), DB_INT(a->last_seen_at),
		DB_INT(a->count), DB_ID(a->ok_since), DB_INT(a->ok_count), DB_TEXT(flips),
		DB_INT(a->flapping), DB_INT(a->card_at), DB_INT(a->card_dirty), DB_ID(a->due_at),
		DB_ID(a->resolved_at));
	return id ? db_run_insert(db, sql, binds, id) : db_run(db, sql, binds);
}

int db_alert_insert(struct db *db, struct alert *a)
{
	return alert_write(db, "INSERT INTO alerts(" FIELDS ") VALUES (?2, ?3, ?4, ?5, ?6, ?7, ?8,"
			   " ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22,"
			   " ?23, ?24, ?25) -- ?1", a, &a->id);
}

int db_alert_save(struct db *db, const struct alert *a)
{
	return alert_write(db, "UPDATE alerts SET (" FIELDS ") = (?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
			   " ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23,"
			   " ?24, ?25) WHERE id = ?1", a, NULL);
}

/*
 * What a repeat changes: the columns no index holds, so that a fault
 * reported every pass costs one row's write and no index's.
 */
int db_alert_touch(struct db *db, const struct alert *a)
{
	char flips[ALERT_FLIPS_MAX * 21];
	flips_format(a, flips, sizeof(flips));
	return db_run(db, "UPDATE alerts SET severity = ?2, message = ?3, data = ?4, priority = ?5,"
		      " last_seen_at = ?6, count = ?7, ok_since = ?8, ok_count = ?9, flips = ?10,"
		      " flapping = ?11, card_at = ?12, card_dirty = ?13 WHERE id = ?1",
		      DB_BINDS(DB_INT(a->id), DB_TEXT(a->critical ? "critical" : "warning"),
			       DB_TEXT(a->message ? a->message : ""), DB_TEXT(a->data),
			       DB_INT(a->priority), DB_INT(a->last_seen_at), DB_INT(a->count),
			       DB_ID(a->ok_since), DB_INT(a->ok_count), DB_TEXT(flips),
			       DB_INT(a->flapping), DB_INT(a->card_at), DB_INT(a->card_dirty)));
}

static const char *const event_names[] = {
	[ALERT_EV_OPENED] = "opened",
	[ALERT_EV_RAISED] = "raised",
	[ALERT_EV_RECOVERING] = "recovering",
	[ALERT_EV_RELAPSED] = "relapsed",
	[ALERT_EV_RECOVERED] = "recovered",
	[ALERT_EV_FLAPPING] = "flapping",
	[ALERT_EV_SETTLED] = "settled",
	[ALERT_EV_SILENCED] = "silenced",
	[ALERT_EV_SILENCE_OVER] = "silence_over",
	[ALERT_EV_STORM] = "storm",
	[ALERT_EV_STORE_TOLD] = "store_told",
	[ALERT_EV_STALE] = "stale",
	[ALERT_EV_WITH_STORE] = "with_store",
};

const char *alert_event_name(enum alert_event_kind k)
{
	return (unsigned)k < ARRAY_SIZE(event_names) ? event_names[k] : NULL;
}

int db_alert_log(struct db *db, int64_t alert_id, int64_t at, enum alert_event_kind kind,
		 const char *body)
{
	return db_run(db, "INSERT INTO alert_events(alert_id, at, kind, body) VALUES (?, ?, ?, ?)",
		      DB_BINDS(DB_INT(alert_id), DB_INT(at), DB_TEXT(alert_event_name(kind)),
			       DB_TEXT(body)));
}

struct ids {
	int64_t *ids;
	size_t max, n;
};

static int id_row(sqlite3_stmt *st, void *arg)
{
	struct ids *l = arg;
	if (l->n < l->max)
		l->ids[l->n++] = sqlite3_column_int64(st, 0);
	return 0;
}

static int ids_query(struct db *db, const char *sql, const struct db_bind *binds, int64_t *ids,
		     size_t max, size_t *n)
{
	struct ids l = { ids, max, 0 };
	int rc = db_query_each(db, sql, binds, id_row, &l);
	*n = l.n;
	return rc;
}

struct pair {
	int64_t *a, *b;
};

static int pair_row(sqlite3_stmt *st, void *arg)
{
	struct pair *p = arg;
	*p->a = sqlite3_column_int64(st, 0);
	*p->b = sqlite3_column_int64(st, 1);
	return 0;
}

int db_alerts_due(struct db *db, int64_t now, int64_t *ids, size_t max, size_t *n)
{
	return ids_query(db, "SELECT id FROM alerts WHERE due_at <= ?1 ORDER BY due_at LIMIT ?2",
			 DB_BINDS(DB_INT(now), DB_INT((int64_t)max)), ids, max, n);
}

int db_alerts_live_on_ticket(struct db *db, int64_t ticket_id, int64_t except_id, int64_t *n)
{
	return db_query_int(db, "SELECT count(*) FROM alerts WHERE ticket_id = ?1 AND id != ?2"
			    " AND state != 'resolved'",
			    DB_BINDS(DB_INT(ticket_id), DB_INT(except_id)), n);
}

int db_alerts_held(struct db *db, int64_t held_by, int64_t *ids, size_t max, size_t *n)
{
	return ids_query(db, "SELECT id FROM alerts WHERE held_by = ?1 AND state != 'resolved'"
			 " ORDER BY id LIMIT ?2", DB_BINDS(DB_INT(held_by), DB_INT((int64_t)max)),
			 ids, max, n);
}

int db_alerts_of_silence(struct db *db, int64_t silence_id, int64_t *ids, size_t max, size_t *n)
{
	return ids_query(db, "SELECT id FROM alerts WHERE silence_id = ?1 AND state != 'resolved'"
			 " ORDER BY id LIMIT ?2", DB_BINDS(DB_INT(silence_id), DB_INT((int64_t)max)),
			 ids, max, n);
}

/* ---- storms ---- */

int db_alerts_recent(struct db *db, const char *code, int64_t since, int64_t *n)
{
	return db_query_int(db, "SELECT count(*) FROM alerts WHERE code = ?1 AND opened_at >= ?2"
			    " AND state != 'resolved' AND silence_id IS NULL",
			    DB_BINDS(DB_TEXT(code), DB_INT(since)), n);
}

struct storm_ref {
	int64_t *id, *ticket_id;
};

static int storm_row(sqlite3_stmt *st, void *arg)
{
	struct storm_ref *r = arg;
	*r->id = sqlite3_column_int64(st, 0);
	*r->ticket_id = sqlite3_column_int64(st, 1);
	return 0;
}

int db_storm_fresh(struct db *db, const char *code, int64_t since, int64_t *id,
		   int64_t *ticket_id)
{
	struct storm_ref r = { id, ticket_id };
	return db_query_one(db, "SELECT s.id, s.ticket_id FROM storms s"
			    " JOIN tickets t ON t.id = s.ticket_id AND t.status IN ('new', 'claimed')"
			    " WHERE s.code = ?1 AND s.closed_at IS NULL AND s.last_at >= ?2"
			    " ORDER BY s.id DESC LIMIT 1",
			    DB_BINDS(DB_TEXT(code), DB_INT(since)), storm_row, &r);
}

struct storm_state {
	int64_t *ticket_id, *last_at;
	bool *closed;
};

static int storm_state_row(sqlite3_stmt *st, void *arg)
{
	struct storm_state *s = arg;
	*s->ticket_id = sqlite3_column_int64(st, 0);
	*s->last_at = sqlite3_column_int64(st, 1);
	*s->closed = sqlite3_column_int(st, 2);
	return 0;
}

int db_storm_get(struct db *db, int64_t id, int64_t *ticket_id, int64_t *last_at, bool *closed)
{
	struct storm_state s = { ticket_id, last_at, closed };
	return db_query_one(db, "SELECT coalesce(ticket_id, 0), last_at, closed_at IS NOT NULL"
			    " FROM storms WHERE id = ?", DB_BINDS(DB_INT(id)), storm_state_row, &s);
}

int db_storm_insert(struct db *db, const char *code, int64_t now, int64_t *id)
{
	return db_run_insert(db, "INSERT INTO storms(code, opened_at, last_at) VALUES (?, ?, ?)",
			     DB_BINDS(DB_TEXT(code), DB_INT(now), DB_INT(now)), id);
}

int db_storm_set(struct db *db, int64_t id, int64_t ticket_id, int64_t last_at, int64_t closed_at)
{
	return db_run(db, "UPDATE storms SET ticket_id = ?2, last_at = ?3, closed_at = ?4 WHERE id = ?1",
		      DB_BINDS(DB_INT(id), DB_ID(ticket_id), DB_INT(last_at), DB_ID(closed_at)));
}

int db_storm_gather(struct db *db, int64_t id, const char *code, int64_t since, int64_t *moved)
{
	int rc = db_run(db, "UPDATE alerts SET storm_id = ?1 WHERE code = ?2 AND opened_at >= ?3"
			" AND state != 'resolved' AND storm_id IS NULL AND silence_id IS NULL",
			DB_BINDS(DB_INT(id), DB_TEXT(code), DB_INT(since)));
	*moved = rc ? 0 : sqlite3_changes(db->h);
	return rc;
}

struct codes {
	int (*fn)(const char *code, void *);
	void *arg;
};

static int code_row(sqlite3_stmt *st, void *arg)
{
	struct codes *c = arg;
	return c->fn(db_text(st, 0), c->arg);
}

/* What a silence's storm takes: its live alerts of code that nothing told of yet. */
#define SILENCED_QUIET "silence_id = ?1 AND state != 'resolved' AND held_by IS NULL" \
	" AND ticket_id IS NULL AND storm_id IS NULL"

int db_silence_storm_codes(struct db *db, int64_t silence_id, int64_t min,
			   int (*fn)(const char *code, void *), void *arg)
{
	struct codes c = { fn, arg };
	return db_query_each(db, "SELECT code FROM alerts WHERE " SILENCED_QUIET
			     " GROUP BY code HAVING count(*) >= ?2 ORDER BY code",
			     DB_BINDS(DB_INT(silence_id), DB_INT(min)), code_row, &c);
}

int db_storm_gather_silence(struct db *db, int64_t id, int64_t silence_id, const char *code,
			    int64_t *moved, int64_t *first)
{
	int rc = db_query_int(db, "SELECT min(id) FROM alerts WHERE " SILENCED_QUIET " AND code = ?2",
			      DB_BINDS(DB_INT(silence_id), DB_TEXT(code)), first);
	if (!rc)
		rc = db_run(db, "UPDATE alerts SET storm_id = ?3 WHERE " SILENCED_QUIET " AND code = ?2",
			    DB_BINDS(DB_INT(silence_id), DB_TEXT(code), DB_INT(id)));
	*moved = rc ? 0 : sqlite3_changes(db->h);
	return rc;
}

struct members {
	int (*fn)(const char *store, const char *till, bool live, void *);
	void *arg;
};

static int member_row(sqlite3_stmt *st, void *arg)
{
	struct members *m = arg;
	return m->fn(db_text(st, 0), db_text(st, 1), sqlite3_column_int(st, 2), m->arg);
}

int db_storm_members(struct db *db, int64_t id,
		     int (*fn)(const char *store, const char *till, bool live, void *), void *arg)
{
	struct members m = { fn, arg };
	return db_query_each(db, "SELECT s.name, coalesce(t.name, ''), a.state != 'resolved'"
			     " FROM alerts a JOIN stores s ON s.id = a.store_id"
			     " LEFT JOIN tills t ON t.id = a.till_id WHERE a.storm_id = ?"
			     " ORDER BY a.state = 'resolved', s.name, t.name",
			     DB_BINDS(DB_INT(id)), member_row, &m);
}

int db_storm_live(struct db *db, int64_t id, int64_t *n)
{
	return db_query_int(db, "SELECT count(*) FROM alerts WHERE storm_id = ? AND state != 'resolved'",
			    DB_BINDS(DB_INT(id)), n);
}

/* ---- offline ---- */

struct silent {
	int (*fn)(const struct silent_till *, void *);
	void *arg;
};

static int silent_row(sqlite3_stmt *st, void *arg)
{
	struct silent *s = arg;
	struct silent_till t = {
		.till_id = sqlite3_column_int64(st, 0),
		.store_id = sqlite3_column_int64(st, 1),
		.last_seen_at = sqlite3_column_int64(st, 2),
	};
	return s->fn(&t, s->arg);
}

int db_tills_silent(struct db *db, int64_t before, const char *code,
		    int (*fn)(const struct silent_till *, void *), void *arg)
{
	struct silent s = { fn, arg };
	return db_query_each(db, "SELECT t.id, t.store_id, t.last_seen_at FROM tills t"
			     " WHERE t.last_seen_at < ?1 AND NOT EXISTS (SELECT 1 FROM alerts a"
			     "  WHERE a.till_id = t.id AND a.code = ?2"
			     "  AND a.state != 'resolved')"
			     " ORDER BY t.last_seen_at, t.store_id, t.id",
			     DB_BINDS(DB_INT(before), DB_TEXT(code)), silent_row, &s);
}

int db_store_heard(struct db *db, int64_t store_id, int64_t *heard, int64_t *newest)
{
	struct pair p = { heard, newest };
	return db_query_one(db, "SELECT count(*), coalesce(max(last_seen_at), 0) FROM tills"
			    " WHERE store_id = ? AND last_seen_at IS NOT NULL",
			    DB_BINDS(DB_INT(store_id)), pair_row, &p);
}

int db_store_fading(struct db *db, int64_t store_id, int64_t except_till, int64_t from,
		    int64_t to, int64_t *n)
{
	return db_query_int(db, "SELECT count(*) FROM tills WHERE store_id = ?1 AND id != ?2"
			    " AND last_seen_at >= ?3 AND last_seen_at < ?4",
			    DB_BINDS(DB_INT(store_id), DB_INT(except_till), DB_INT(from), DB_INT(to)), n);
}

static int place_row(sqlite3_stmt *st, void *arg)
{
	struct alert_place *p = arg;
	p->store_id = sqlite3_column_int64(st, 0);
	utf8_snprintf(p->store, sizeof(p->store), "%s", db_text(st, 1));
	utf8_snprintf(p->till, sizeof(p->till), "%s", db_text(st, 2));
	snprintf(p->timezone, sizeof(p->timezone), "%s", db_text(st, 3));
	p->tell_store = sqlite3_column_int(st, 4);
	return 0;
}

int db_alert_place(struct db *db, int64_t till_id, int64_t store_id, struct alert_place *out)
{
	memset(out, 0, sizeof(*out));
	if (till_id)
		return db_query_one(db, "SELECT s.id, s.name, t.name, s.timezone, o.tell_store"
				    " FROM tills t JOIN stores s ON s.id = t.store_id"
				    " JOIN orgs o ON o.id = s.org_id WHERE t.id = ?",
				    DB_BINDS(DB_INT(till_id)), place_row, out);
	return db_query_one(db, "SELECT s.id, s.name, '', s.timezone, o.tell_store"
			    " FROM stores s JOIN orgs o ON o.id = s.org_id WHERE s.id = ?",
			    DB_BINDS(DB_INT(store_id)), place_row, out);
}

struct unit_out {
	char *serial, *expires;
	size_t serial_n, expires_n;
};

static int unit_row(sqlite3_stmt *st, void *arg)
{
	struct unit_out *u = arg;
	snprintf(u->serial, u->serial_n, "%s", db_text(st, 0));
	snprintf(u->expires, u->expires_n, "%s", db_text(st, 1));
	return 0;
}

int db_alert_unit(struct db *db, int64_t till_id, const char *kind, const char *model,
		  char *serial, size_t serial_n, char *expires, size_t expires_n)
{
	struct unit_out u = { serial, expires, serial_n, expires_n };
	serial[0] = expires[0] = '\0';
	int rc = db_query_one(db, "SELECT serial, coalesce(expires_on, '') FROM equipment"
			      " WHERE till_id = ?1 AND kind = ?2 AND (?3 IS NULL OR model = ?3)"
			      " ORDER BY id DESC LIMIT 1",
			      DB_BINDS(DB_INT(till_id), DB_TEXT(kind), DB_TEXT(model)), unit_row, &u);
	return rc == TD_ENOTFOUND ? 0 : rc;
}

struct chats {
	int (*fn)(int64_t chat, void *);
	void *arg;
};

static int chat_row(sqlite3_stmt *st, void *arg)
{
	struct chats *c = arg;
	return c->fn(sqlite3_column_int64(st, 0), c->arg);
}

int db_store_cashier_chats(struct db *db, int64_t store_id, int (*fn)(int64_t chat, void *),
			   void *arg)
{
	struct chats c = { fn, arg };
	return db_query_each(db, "SELECT tg_user_id FROM people WHERE store_id = ?"
			     " AND role = 'cashier' AND tg_user_id IS NOT NULL AND disabled_at IS NULL"
			     " AND blocked = 0 ORDER BY id", DB_BINDS(DB_INT(store_id)), chat_row, &c);
}

int db_alert_has_event(struct db *db, int64_t alert_id, enum alert_event_kind kind, bool *out)
{
	int64_t n = 0;
	int rc = db_query_int(db, "SELECT EXISTS (SELECT 1 FROM alert_events WHERE alert_id = ?"
			      " AND kind = ?)", DB_BINDS(DB_INT(alert_id), DB_TEXT(alert_event_name(kind))),
			      &n);
	*out = !rc && n;
	return rc;
}

int db_storm_dirty(struct db *db, int64_t id)
{
	return db_run(db, "UPDATE storms SET card_dirty = 1 WHERE id = ?", DB_BINDS(DB_INT(id)));
}

int db_storm_edited(struct db *db, int64_t ticket_id, int64_t now)
{
	return db_run(db, "UPDATE storms SET card_dirty = 0, card_at = ?2 WHERE ticket_id = ?1",
		      DB_BINDS(DB_INT(ticket_id), DB_INT(now)));
}

int db_storms_to_edit(struct db *db, int64_t before, int64_t *ids, size_t max, size_t *n)
{
	return ids_query(db, "SELECT ticket_id FROM storms WHERE card_dirty AND card_at <= ?1"
			 " AND ticket_id IS NOT NULL ORDER BY card_at LIMIT ?2",
			 DB_BINDS(DB_INT(before), DB_INT((int64_t)max)), ids, max, n);
}

int db_storm_counts(struct db *db, int64_t id, int64_t *tills, int64_t *stores)
{
	struct pair p = { tills, stores };
	return db_query_one(db, "SELECT count(*), count(DISTINCT store_id) FROM alerts"
			    " WHERE storm_id = ? AND state != 'resolved'", DB_BINDS(DB_INT(id)),
			    pair_row, &p);
}

int db_alerts_hold(struct db *db, int64_t store_id, const char *code, int64_t held_by)
{
	/* +code: by the store's few alerts, not by the code's (every till's, in an outage). */
	return db_run(db, "UPDATE alerts SET held_by = ?3 WHERE store_id = ?1 AND +code = ?2"
		      " AND state != 'resolved' AND held_by IS NULL AND till_id IS NOT NULL",
		      DB_BINDS(DB_INT(store_id), DB_TEXT(code), DB_INT(held_by)));
}

struct storm_code {
	int64_t *id;
	char *code;
	size_t n;
};

static int storm_code_row(sqlite3_stmt *st, void *arg)
{
	struct storm_code *s = arg;
	*s->id = sqlite3_column_int64(st, 0);
	snprintf(s->code, s->n, "%s", db_text(st, 1));
	return 0;
}

int db_storm_of_ticket(struct db *db, int64_t ticket_id, int64_t *id, char *code, size_t code_n)
{
	struct storm_code s = { id, code, code_n };
	return db_query_one(db, "SELECT id, code FROM storms WHERE ticket_id = ?",
			    DB_BINDS(DB_INT(ticket_id)), storm_code_row, &s);
}

int db_alerts_stale(struct db *db, int64_t till_id, int64_t before, int64_t *ids, size_t max,
		    size_t *n)
{
	return ids_query(db, "SELECT id FROM alerts WHERE till_id = ?1 AND state != 'resolved'"
			 " AND code != 'till.offline' AND last_seen_at < ?2"
			 " AND coalesce(ok_since, 0) < ?2 ORDER BY id LIMIT ?3",
			 DB_BINDS(DB_INT(till_id), DB_INT(before), DB_INT((int64_t)max)), ids, max, n);
}
