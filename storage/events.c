#include "core/log.h"
#include "storage/events.h"
#include "storage/internal.h"

static const char *const kind_names[] = { [AGENT_CHANGE] = "change", [AGENT_HEARTBEAT] = "heartbeat" };
static const char *const status_names[] = {
	[AGENT_OK] = "ok", [AGENT_WARNING] = "warning", [AGENT_CRITICAL] = "critical",
	[AGENT_UNKNOWN] = "unknown",
};

const char *agent_kind_name(enum agent_kind k)
{
	return (unsigned)k < ARRAY_SIZE(kind_names) ? kind_names[k] : NULL;
}

const char *agent_status_name(enum agent_status s)
{
	return (unsigned)s < ARRAY_SIZE(status_names) ? status_names[s] : NULL;
}

static int parse_name(int *out, const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(names[i], s)) {
			*out = (int)i;
			return 0;
		}
	}
	return TD_EINVAL;
}

int agent_kind_parse(enum agent_kind *out, const char *s)
{
	int v;
	if (parse_name(&v, kind_names, ARRAY_SIZE(kind_names), s))
		return TD_EINVAL;
	*out = (enum agent_kind)v;
	return 0;
}

int agent_status_parse(enum agent_status *out, const char *s)
{
	int v;
	if (parse_name(&v, status_names, ARRAY_SIZE(status_names), s))
		return TD_EINVAL;
	*out = (enum agent_status)v;
	return 0;
}

struct till_hash {
	int64_t id;
	char *hash;
};

static int till_hash_row(sqlite3_stmt *st, void *arg)
{
	struct till_hash *t = arg;
	t->id = sqlite3_column_int64(st, 0);
	snprintf(t->hash, 65, "%s", db_text(st, 1));
	return 0;
}

int db_agent_till(struct db *db, const char *token_hash, int64_t *till_id, char stored_hash[65])
{
	struct till_hash t = { 0, stored_hash };
	int rc = db_query_one(db, "SELECT id, token_hash FROM tills WHERE token_hash = ?",
			      DB_BINDS(DB_TEXT(token_hash)), till_hash_row, &t);
	if (!rc)
		*till_id = t.id;
	return rc;
}

/*
 * The till's unit of kind (of that model, when model is given) that a fact
 * names: the one with the same serial, else the newest. A unit found is
 * brought to the fact (only when it differs: heartbeats repeat facts every
 * minute); none found, one is added. A replaced drive thus takes its
 * predecessor's row, so the registry never lists a drive that left.
 */
static int fact_unit(struct db *db, int64_t till_id, const char *kind, const char *model,
		     const char *serial, const char *expires_on, int64_t now)
{
	long days;
	int64_t id;
	if (parse_date(&days, expires_on)) {
		log_debug("ingest: till %lld: %s date '%s' ignored", (long long)till_id, kind, expires_on);
		return 0;
	}
	int rc = db_query_int(db, "SELECT id FROM equipment WHERE till_id = ?1 AND kind = ?2"
			      " AND (?3 IS NULL OR model = ?3)"
			      " ORDER BY serial = coalesce(?4, serial) DESC, id DESC LIMIT 1",
			      DB_BINDS(DB_INT(till_id), DB_TEXT(kind), DB_TEXT(model), DB_TEXT(serial)),
			      &id);
	if (rc == TD_ENOTFOUND)
		return db_run(db, "INSERT INTO equipment(till_id, kind, model, serial, expires_on,"
			      "  created_at) VALUES (?, ?, ?, ?, ?, ?)",
			      DB_BINDS(DB_INT(till_id), DB_TEXT(kind), DB_TEXT(model ? model : ""),
				       DB_TEXT(serial ? serial : ""), DB_TEXT(expires_on), DB_INT(now)));
	if (rc)
		return rc;
	return db_run(db, "UPDATE equipment SET serial = coalesce(?2, serial), expires_on = ?3"
		      " WHERE id = ?1 AND (serial IS NOT coalesce(?2, serial) OR expires_on IS NOT ?3)",
		      DB_BINDS(DB_INT(id), DB_TEXT(serial), DB_TEXT(expires_on)));
}

static int store_facts(struct db *db, int64_t till_id, const struct agent_event *e, int64_t now)
{
	int rc = 0;
	if (e->fn_serial && e->fn_valid_until)
		rc = fact_unit(db, till_id, "fn", NULL, e->fn_serial, e->fn_valid_until, now);
	if (!rc && e->utm_rsa_until)
		rc = fact_unit(db, till_id, "key", "RSA", NULL, e->utm_rsa_until, now);
	if (!rc && e->utm_gost_until)
		rc = fact_unit(db, till_id, "key", "ГОСТ", NULL, e->utm_gost_until, now);
	return rc;
}

/*
 * The latest event to arrive wins. A till's agent sends its spool oldest
 * first, so arrival is the order it observed in; its clock is not a safe
 * order (a till whose clock battery died reboots into the past, and one
 * stray year 2100 would freeze the code). last_seen_at is the agent's time,
 * shown, not compared. (The right-hand sides read the row before the
 * update.)
 */
static const char upsert_state[] =
	"INSERT INTO check_states(till_id, code, check_name, status, message,"
	" first_seen_at, last_seen_at, count) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, 1)"
	" ON CONFLICT(till_id, code) DO UPDATE SET"
	"  check_name = excluded.check_name,"
	"  first_seen_at = CASE WHEN status = excluded.status THEN first_seen_at"
	"                  ELSE excluded.first_seen_at END,"
	"  count = CASE WHEN status = excluded.status THEN count + 1 ELSE 1 END,"
	"  status = excluded.status,"
	"  message = excluded.message,"
	"  last_seen_at = excluded.last_seen_at";

int db_agent_store(struct db *db, int64_t till_id, const struct agent_event *events, size_t n,
		   int64_t now, int *accepted, int *duplicate, bool *fresh)
{
	int rc = 0;
	*accepted = *duplicate = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		const struct agent_event *e = &events[i];
		bool change = e->kind == AGENT_CHANGE;
		rc = db_run(db, "INSERT INTO agent_events(till_id, event_id, kind, check_name, code,"
			    " status, message, data, observed_at, received_at)"
			    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
			    DB_BINDS(DB_INT(till_id), DB_TEXT(e->id), DB_TEXT(agent_kind_name(e->kind)),
				     DB_TEXT(e->check), DB_TEXT(e->code),
				     DB_TEXT(agent_status_name(e->status)),
				     DB_TEXT(change ? e->message : NULL), DB_TEXT(change ? e->data : NULL),
				     DB_INT(e->observed_at), DB_INT(now)));
		if (rc)
			break;
		if (fresh)
			fresh[i] = sqlite3_changes(db->h) > 0;
		if (!sqlite3_changes(db->h)) {
			(*duplicate)++;
			continue;
		}
		(*accepted)++;
		rc = db_run(db, upsert_state,
			    DB_BINDS(DB_INT(till_id), DB_TEXT(e->code), DB_TEXT(e->check),
				     DB_TEXT(agent_status_name(e->status)), DB_TEXT(e->message),
				     DB_INT(e->observed_at)));
		if (!rc)
			rc = store_facts(db, till_id, e, now);
	}
	if (!rc)
		rc = db_run(db, "UPDATE tills SET last_seen_at = ?2 WHERE id = ?1"
			    " AND coalesce(last_seen_at, 0) < ?2",
			    DB_BINDS(DB_INT(till_id), DB_INT(now)));
	return rc;
}

int db_agent_prune(struct db *db, int64_t before, int limit, int *deleted)
{
	int rc = db_run(db, "DELETE FROM agent_events WHERE (till_id, event_id) IN"
			" (SELECT till_id, event_id FROM agent_events"
			"  WHERE kind = 'heartbeat' AND received_at < ?1 LIMIT ?2)",
			DB_BINDS(DB_INT(before), DB_INT(limit)));
	*deleted = rc ? 0 : sqlite3_changes(db->h);
	return rc;
}

int db_till_set_token(struct db *db, int64_t till_id, const char *token_hash)
{
	int rc = db_run(db, "UPDATE tills SET token_hash = ?2 WHERE id = ?1",
			DB_BINDS(DB_INT(till_id), DB_TEXT(token_hash)));
	return rc ? rc : sqlite3_changes(db->h) ? 0 : TD_ENOTFOUND;
}

struct state_rows {
	int (*fn)(const struct check_state_row *, void *);
	void *arg;
};

static int state_row(sqlite3_stmt *st, void *arg)
{
	struct state_rows *rows = arg;
	struct check_state_row r = {
		.till_id = sqlite3_column_int64(st, 0),
		.check = db_text(st, 1),
		.code = db_text(st, 2),
		.status = db_text(st, 3),
		.message = db_text(st, 4),
		.first_seen_at = sqlite3_column_int64(st, 5),
		.last_seen_at = sqlite3_column_int64(st, 6),
		.count = sqlite3_column_int64(st, 7),
	};
	return rows->fn(&r, rows->arg);
}

int db_check_state_list(struct db *db, int64_t till_id,
			int (*fn)(const struct check_state_row *, void *), void *arg)
{
	struct state_rows rows = { fn, arg };
	return db_query_each(db, "SELECT till_id, check_name, code, status, message, first_seen_at,"
			     " last_seen_at, count FROM check_states"
			     " WHERE ?1 = 0 OR till_id = ?1 ORDER BY till_id, code",
			     DB_BINDS(DB_INT(till_id)), state_row, &rows);
}
