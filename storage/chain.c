#include "core/clock.h"
#include "core/ticket_enums.h"
#include "storage/chain.h"
#include "storage/internal.h"

const char *const equipment_kinds[] = {
	"kkt", "fn", "pc", "printer", "scanner", "scales", "acquiring", "key", "utm", "other", NULL,
};

static bool in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (!strcmp(*list, s))
			return true;
	return false;
}

bool equipment_kind_valid(const char *kind)
{
	return in_list(equipment_kinds, kind);
}

bool role_valid(const char *role)
{
	enum person_role unused;
	return !person_role_parse(&unused, role);
}

/* Runs a "find by id or name" query; ?1 = id or NULL, ?2 = name, ?3 = scope id. */
static int find_ref(struct db *db, int64_t *out, const char *sql, int64_t scope, const char *ref)
{
	sqlite3_stmt *st;
	long long id;
	int rc = TD_ENOTFOUND;

	if (db_prepare(db, &st, sql))
		return TD_ERR;
	if (!parse_int(&id, ref, 1, INT64_MAX))
		sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, ref, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, scope);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (rc == 0) {
			rc = TD_EAMBIGUOUS;
			break;
		}
		*out = sqlite3_column_int64(st, 0);
		rc = 0;
	}
	db_finish(db, st);
	return rc;
}

int db_org_find(struct db *db, int64_t *out, const char *ref)
{
	return find_ref(db, out, "SELECT id FROM orgs WHERE id = ?1 OR (?1 IS NULL AND name = ?2)"
			" AND ?3 = ?3", 0, ref);
}

int db_store_find(struct db *db, int64_t *out, int64_t org_id, const char *ref)
{
	return find_ref(db, out, "SELECT id FROM stores WHERE (id = ?1 OR (?1 IS NULL AND name = ?2))"
			" AND (?3 = 0 OR org_id = ?3)", org_id, ref);
}

int db_till_find(struct db *db, int64_t *out, int64_t store_id, const char *ref)
{
	return find_ref(db, out, "SELECT id FROM tills WHERE (id = ?1 OR (?1 IS NULL AND name = ?2))"
			" AND (?3 = 0 OR store_id = ?3)", store_id, ref);
}

int db_person_find(struct db *db, int64_t *out, const char *ref)
{
	return find_ref(db, out, "SELECT id FROM people WHERE (id = ?1 OR (?1 IS NULL AND name = ?2))"
			" AND ?3 = ?3", 0, ref);
}

int db_org_add(struct db *db, int64_t *out, const char *name, const char *tier,
	       const char *const *owners)
{
	sqlite3_stmt *st;
	int rc;

	if (db_prepare(db, &st, "INSERT INTO orgs(name, tier, created_at) VALUES (?, ?, ?)"))
		return TD_ERR;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, tier, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, clock_now());
	if ((rc = db_step_done(db, st)))
		return rc;
	*out = sqlite3_last_insert_rowid(db->h);
	for (; owners && *owners; owners++) {
		if (db_prepare(db, &st, "INSERT OR IGNORE INTO org_owners(org_id, email) VALUES (?, ?)"))
			return TD_ERR;
		sqlite3_bind_int64(st, 1, *out);
		sqlite3_bind_text(st, 2, *owners, -1, SQLITE_STATIC);
		if ((rc = db_step_done(db, st)))
			return rc;
	}
	return 0;
}

int db_org_list(struct db *db, int (*fn)(const struct org_row *, void *), void *arg)
{
	sqlite3_stmt *st;
	int rc = 0;
	if (db_prepare(db, &st,
		       "SELECT o.id, o.name, o.tier,"
		       " (SELECT coalesce(group_concat(email, ', '), '') FROM"
		       "   (SELECT email FROM org_owners WHERE org_id = o.id ORDER BY email)),"
		       " (SELECT count(*) FROM stores WHERE org_id = o.id)"
		       " FROM orgs o ORDER BY o.id"))
		return TD_ERR;
	while (!rc && sqlite3_step(st) == SQLITE_ROW) {
		struct org_row r = {
			.id = sqlite3_column_int64(st, 0),
			.name = db_text(st, 1),
			.tier = db_text(st, 2),
			.owners = db_text(st, 3),
			.stores = sqlite3_column_int64(st, 4),
		};
		rc = fn(&r, arg);
	}
	db_finish(db, st);
	return rc;
}

int db_store_add(struct db *db, int64_t *out, int64_t org_id, const char *name,
		 const char *address, const char *timezone, const char *hours)
{
	sqlite3_stmt *st;
	if (db_prepare(db, &st, "INSERT INTO stores(org_id, name, address, timezone, hours, created_at)"
			       " VALUES (?, ?, ?, ?, ?, ?)"))
		return TD_ERR;
	sqlite3_bind_int64(st, 1, org_id);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, address ? address : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, timezone, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, hours, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, clock_now());
	return db_insert(db, st, out);
}

static int store_query(struct db *db, const char *where, int64_t arg_id,
		       int (*fn)(const struct store_row *, void *), void *arg)
{
	char sql[512];
	sqlite3_stmt *st;
	int rc = 0;
	snprintf(sql, sizeof(sql),
		 "SELECT s.id, s.org_id, o.name, s.name, s.address, s.timezone, s.hours,"
		 " (SELECT count(*) FROM tills WHERE store_id = s.id)"
		 " FROM stores s JOIN orgs o ON o.id = s.org_id WHERE %s ORDER BY s.id", where);
	if (db_prepare(db, &st, sql))
		return TD_ERR;
	sqlite3_bind_int64(st, 1, arg_id);
	while (!rc && sqlite3_step(st) == SQLITE_ROW) {
		struct store_row r = {
			.id = sqlite3_column_int64(st, 0),
			.org_id = sqlite3_column_int64(st, 1),
			.org = db_text(st, 2),
			.name = db_text(st, 3),
			.address = db_text(st, 4),
			.timezone = db_text(st, 5),
			.hours = db_text(st, 6),
			.tills = sqlite3_column_int64(st, 7),
		};
		rc = fn(&r, arg);
	}
	db_finish(db, st);
	return rc;
}

int db_store_get(struct db *db, int64_t id, int (*fn)(const struct store_row *, void *), void *arg)
{
	return store_query(db, "s.id = ?1", id, fn, arg);
}

int db_store_list(struct db *db, int64_t org_id,
		  int (*fn)(const struct store_row *, void *), void *arg)
{
	return store_query(db, "(?1 = 0 OR s.org_id = ?1)", org_id, fn, arg);
}

int db_till_add(struct db *db, int64_t *out, int64_t store_id, const char *name,
		const char *token_hash)
{
	sqlite3_stmt *st;
	if (db_prepare(db, &st, "INSERT INTO tills(store_id, name, token_hash, created_at)"
			       " VALUES (?, ?, ?, ?)"))
		return TD_ERR;
	sqlite3_bind_int64(st, 1, store_id);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, token_hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, clock_now());
	return db_insert(db, st, out);
}

int db_till_list(struct db *db, int64_t store_id,
		 int (*fn)(const struct till_row *, void *), void *arg)
{
	sqlite3_stmt *st;
	int rc = 0;
	if (db_prepare(db, &st,
		       "SELECT t.id, t.store_id, o.name, s.name, t.name, coalesce(t.last_seen_at, 0),"
		       " (SELECT count(*) FROM equipment WHERE till_id = t.id)"
		       " FROM tills t JOIN stores s ON s.id = t.store_id JOIN orgs o ON o.id = s.org_id"
		       " WHERE ?1 = 0 OR t.store_id = ?1 ORDER BY t.id"))
		return TD_ERR;
	sqlite3_bind_int64(st, 1, store_id);
	while (!rc && sqlite3_step(st) == SQLITE_ROW) {
		struct till_row r = {
			.id = sqlite3_column_int64(st, 0),
			.store_id = sqlite3_column_int64(st, 1),
			.org = db_text(st, 2),
			.store = db_text(st, 3),
			.name = db_text(st, 4),
			.last_seen_at = sqlite3_column_int64(st, 5),
			.equipment = sqlite3_column_int64(st, 6),
		};
		rc = fn(&r, arg);
	}
	db_finish(db, st);
	return rc;
}

int db_till_by_token(struct db *db, int64_t *out, const char *token_hash)
{
	sqlite3_stmt *st;
	int rc = TD_ENOTFOUND;
	if (db_prepare(db, &st, "SELECT id FROM tills WHERE token_hash = ?"))
		return TD_ERR;
	sqlite3_bind_text(st, 1, token_hash, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = 0;
	}
	db_finish(db, st);
	return rc;
}

int db_equipment_add(struct db *db, int64_t *out, int64_t till_id, const char *kind,
		     const char *model, const char *serial, const char *expires_on)
{
	sqlite3_stmt *st;
	if (db_prepare(db, &st, "INSERT INTO equipment(till_id, kind, model, serial, expires_on,"
			       " created_at) VALUES (?, ?, ?, ?, ?, ?)"))
		return TD_ERR;
	sqlite3_bind_int64(st, 1, till_id);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, model ? model : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, serial ? serial : "", -1, SQLITE_STATIC);
	db_bind_text(st, 5, expires_on);
	sqlite3_bind_int64(st, 6, clock_now());
	return db_insert(db, st, out);
}

int db_equipment_list(struct db *db, int64_t till_id, const char *until,
		      int (*fn)(const struct equipment_row *, void *), void *arg)
{
	sqlite3_stmt *st;
	int rc = 0;
	if (db_prepare(db, &st,
		       "SELECT e.id, e.till_id, s.name, t.name, e.kind, e.model, e.serial,"
		       " coalesce(e.expires_on, '')"
		       " FROM equipment e JOIN tills t ON t.id = e.till_id"
		       " JOIN stores s ON s.id = t.store_id"
		       " WHERE (?1 = 0 OR e.till_id = ?1)"
		       "   AND (?2 IS NULL OR (e.expires_on IS NOT NULL AND e.expires_on <= ?2))"
		       " ORDER BY CASE WHEN ?2 IS NULL THEN e.id END, e.expires_on, e.id"))
		return TD_ERR;
	sqlite3_bind_int64(st, 1, till_id);
	db_bind_text(st, 2, until && *until ? until : NULL);
	while (!rc && sqlite3_step(st) == SQLITE_ROW) {
		struct equipment_row r = {
			.id = sqlite3_column_int64(st, 0),
			.till_id = sqlite3_column_int64(st, 1),
			.store = db_text(st, 2),
			.till = db_text(st, 3),
			.kind = db_text(st, 4),
			.model = db_text(st, 5),
			.serial = db_text(st, 6),
			.expires_on = db_text(st, 7),
		};
		rc = fn(&r, arg);
	}
	db_finish(db, st);
	return rc;
}

int db_invite_add(struct db *db, int64_t *out, const char *code_hash, const char *role,
		  int64_t store_id, int64_t org_id, int64_t expires_at)
{
	sqlite3_stmt *st;
	if (db_prepare(db, &st, "INSERT INTO invites(code_hash, role, store_id, org_id, created_at,"
			       " expires_at) VALUES (?, ?, ?, ?, ?, ?)"))
		return TD_ERR;
	sqlite3_bind_text(st, 1, code_hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, role, -1, SQLITE_STATIC);
	db_bind_id(st, 3, store_id);
	db_bind_id(st, 4, org_id);
	sqlite3_bind_int64(st, 5, clock_now());
	sqlite3_bind_int64(st, 6, expires_at);
	return db_insert(db, st, out);
}

int db_invite_redeem(struct db *db, int64_t *out_person, const char *code_hash,
		     int64_t tg_user_id, const char *name, int64_t now)
{
	sqlite3_stmt *st;
	int64_t invite;
	int rc;

	/* A revoked person stays out, whatever link they hold; the link stays unused. */
	if (db_prepare(db, &st, "SELECT 1 FROM people WHERE tg_user_id = ? AND disabled_at IS NOT NULL"))
		return TD_ERR;
	sqlite3_bind_int64(st, 1, tg_user_id);
	rc = sqlite3_step(st) == SQLITE_ROW ? TD_EDENIED : 0;
	db_finish(db, st);
	if (rc)
		return rc;

	if (db_prepare(db, &st, "SELECT id FROM invites WHERE code_hash = ? AND used_at IS NULL"
			       " AND expires_at > ?"))
		return TD_ERR;
	sqlite3_bind_text(st, 1, code_hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	rc = sqlite3_step(st) == SQLITE_ROW ? 0 : TD_ENOTFOUND;
	invite = rc ? 0 : sqlite3_column_int64(st, 0);
	db_finish(db, st);
	if (rc)
		return rc;

	/* A person re-invited (moved store, promoted) keeps their id and history. */
	if (db_prepare(db, &st,
		       "INSERT INTO people(tg_user_id, name, role, store_id, org_id, created_at)"
		       " SELECT ?1, ?2, role, store_id, org_id, ?3 FROM invites WHERE id = ?4"
		       " ON CONFLICT(tg_user_id) DO UPDATE SET name = excluded.name,"
		       " role = excluded.role, store_id = excluded.store_id,"
		       " org_id = excluded.org_id, blocked = 0"
		       " RETURNING id"))
		return TD_ERR;
	sqlite3_bind_int64(st, 1, tg_user_id);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_int64(st, 4, invite);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out_person = sqlite3_column_int64(st, 0);
	rc = rc == SQLITE_ROW ? 0 : db_map(db, rc);
	db_finish(db, st);
	if (rc)
		return rc;

	if (db_prepare(db, &st, "UPDATE invites SET used_at = ?, used_by = ? WHERE id = ?"))
		return TD_ERR;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, *out_person);
	sqlite3_bind_int64(st, 3, invite);
	return db_step_done(db, st);
}

/* ?1 and ?2 are a and b, ?3 is role; a binding the where clause does not use is ignored. */
static int person_query(struct db *db, const char *where, int64_t a, int64_t b, const char *role,
			int (*fn)(const struct person_row *, void *), void *arg)
{
	char sql[768];
	sqlite3_stmt *st;
	int rc = 0;
	snprintf(sql, sizeof(sql),
		 "SELECT p.id, coalesce(p.tg_user_id, 0), coalesce(p.store_id, 0),"
		 " coalesce(p.org_id, s.org_id, 0), p.name, p.role, coalesce(s.name, ''),"
		 " coalesce(o.name, ''), p.blocked, coalesce(p.disabled_at, 0),"
		 " coalesce(p.last_seen_at, 0)"
		 " FROM people p LEFT JOIN stores s ON s.id = p.store_id"
		 " LEFT JOIN orgs o ON o.id = coalesce(p.org_id, s.org_id)"
		 " WHERE %s ORDER BY p.id", where);
	if (db_prepare(db, &st, sql))
		return TD_ERR;
	sqlite3_bind_int64(st, 1, a);
	sqlite3_bind_int64(st, 2, b);
	db_bind_text(st, 3, role);
	while (!rc && sqlite3_step(st) == SQLITE_ROW) {
		struct person_row r = {
			.id = sqlite3_column_int64(st, 0),
			.tg_user_id = sqlite3_column_int64(st, 1),
			.store_id = sqlite3_column_int64(st, 2),
			.org_id = sqlite3_column_int64(st, 3),
			.name = db_text(st, 4),
			.role = db_text(st, 5),
			.store = db_text(st, 6),
			.org = db_text(st, 7),
			.blocked = sqlite3_column_int(st, 8),
			.disabled_at = sqlite3_column_int64(st, 9),
			.last_seen_at = sqlite3_column_int64(st, 10),
		};
		rc = fn(&r, arg);
	}
	db_finish(db, st);
	return rc;
}

int db_person_by_tg(struct db *db, int64_t tg_user_id,
		    int (*fn)(const struct person_row *, void *), void *arg)
{
	return person_query(db, "p.tg_user_id = ?1", tg_user_id, 0, NULL, fn, arg);
}

int db_person_get(struct db *db, int64_t id, int (*fn)(const struct person_row *, void *),
		  void *arg)
{
	return person_query(db, "p.id = ?1", id, 0, NULL, fn, arg);
}

int db_person_list(struct db *db, const struct person_filter *f,
		   int (*fn)(const struct person_row *, void *), void *arg)
{
	static const struct person_filter all = { 0 };
	if (!f)
		f = &all;
	return person_query(db, "(?1 = 0 OR coalesce(p.org_id, s.org_id) = ?1)"
			    " AND (?2 = 0 OR p.store_id = ?2) AND (?3 IS NULL OR p.role = ?3)",
			    f->org_id, f->store_id, f->role, fn, arg);
}

int db_person_set_disabled(struct db *db, int64_t id, int64_t at)
{
	sqlite3_stmt *st;
	if (db_prepare(db, &st, "UPDATE people SET disabled_at = ?2 WHERE id = ?1"))
		return TD_ERR;
	sqlite3_bind_int64(st, 1, id);
	db_bind_id(st, 2, at);
	return db_step_done(db, st);
}

int db_person_move(struct db *db, int64_t id, int64_t store_id, int64_t org_id)
{
	sqlite3_stmt *st;
	if (db_prepare(db, &st, "UPDATE people SET store_id = ?2, org_id = ?3 WHERE id = ?1"))
		return TD_ERR;
	sqlite3_bind_int64(st, 1, id);
	db_bind_id(st, 2, store_id);
	db_bind_id(st, 3, org_id);
	return db_step_done(db, st);
}

int db_person_event(struct db *db, int64_t id, int64_t now, const char *kind, const char *actor,
		    const char *body)
{
	sqlite3_stmt *st;
	if (db_prepare(db, &st, "INSERT INTO person_events(person_id, at, kind, actor, body)"
			       " VALUES (?, ?, ?, ?, ?)"))
		return TD_ERR;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, actor, -1, SQLITE_STATIC);
	db_bind_text(st, 5, body);
	return db_step_done(db, st);
}

int db_state_set(struct db *db, int64_t person_id, const char *kind, int64_t ticket_id,
		 int64_t now)
{
	sqlite3_stmt *st;
	if (db_prepare(db, &st, "INSERT OR REPLACE INTO person_state(person_id, kind, ticket_id, since)"
			       " VALUES (?, ?, ?, ?)"))
		return TD_ERR;
	sqlite3_bind_int64(st, 1, person_id);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	db_bind_id(st, 3, ticket_id);
	sqlite3_bind_int64(st, 4, now);
	return db_step_done(db, st);
}

int db_state_get(struct db *db, int64_t person_id, char *kind, size_t kind_len,
		 int64_t *ticket_id)
{
	sqlite3_stmt *st;
	int rc = TD_ENOTFOUND;
	if (db_prepare(db, &st, "SELECT kind, coalesce(ticket_id, 0) FROM person_state"
			       " WHERE person_id = ?"))
		return TD_ERR;
	sqlite3_bind_int64(st, 1, person_id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(kind, kind_len, "%s", db_text(st, 0));
		*ticket_id = sqlite3_column_int64(st, 1);
		rc = 0;
	}
	db_finish(db, st);
	return rc;
}

int db_state_clear(struct db *db, int64_t person_id)
{
	return db_exec_id(db, "DELETE FROM person_state WHERE person_id = ?", person_id);
}

int db_person_blocked_tg(struct db *db, int64_t tg_user_id)
{
	return db_exec_id(db, "UPDATE people SET blocked = 1 WHERE tg_user_id = ?", tg_user_id);
}

int db_person_seen_tg(struct db *db, int64_t tg_user_id, int64_t now, bool wrote_privately)
{
	sqlite3_stmt *st;
	if (db_prepare(db, &st, "UPDATE people SET last_seen_at = ?2,"
			       " blocked = CASE WHEN ?3 THEN 0 ELSE blocked END WHERE tg_user_id = ?1"))
		return TD_ERR;
	sqlite3_bind_int64(st, 1, tg_user_id);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int(st, 3, wrote_privately);
	return db_step_done(db, st);
}
