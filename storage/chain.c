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

struct found {
	int64_t *out;
	int n;
};

static int find_one(sqlite3_stmt *st, void *arg)
{
	struct found *f = arg;
	if (f->n++)
		return TD_EAMBIGUOUS;
	*f->out = sqlite3_column_int64(st, 0);
	return 0;
}

/* Runs a "find by id or name" query; ?1 = id or NULL, ?2 = name, ?3 = scope id. */
static int find_ref(struct db *db, int64_t *out, const char *sql, int64_t scope, const char *ref)
{
	struct found f = { out, 0 };
	long long id;
	int rc = db_query_each(db, sql, DB_BINDS(DB_ID(parse_int(&id, ref, 1, INT64_MAX) ? 0 : id),
						 DB_TEXT(ref), DB_INT(scope)), find_one, &f);
	return rc ? rc : f.n ? 0 : TD_ENOTFOUND;
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
	int rc = db_run_insert(db, "INSERT INTO orgs(name, tier, created_at) VALUES (?, ?, ?)",
			       DB_BINDS(DB_TEXT(name), DB_TEXT(tier), DB_INT(clock_now())), out);
	for (; !rc && owners && *owners; owners++)
		rc = db_run(db, "INSERT OR IGNORE INTO org_owners(org_id, email) VALUES (?, ?)",
			    DB_BINDS(DB_INT(*out), DB_TEXT(*owners)));
	return rc;
}

struct org_rows {
	int (*fn)(const struct org_row *, void *);
	void *arg;
};

static int org_row(sqlite3_stmt *st, void *arg)
{
	struct org_rows *rows = arg;
	struct org_row r = {
		.id = sqlite3_column_int64(st, 0),
		.name = db_text(st, 1),
		.tier = db_text(st, 2),
		.owners = db_text(st, 3),
		.stores = sqlite3_column_int64(st, 4),
		.tell_store = sqlite3_column_int64(st, 5) != 0,
	};
	return rows->fn(&r, rows->arg);
}

int db_org_list(struct db *db, int (*fn)(const struct org_row *, void *), void *arg)
{
	struct org_rows rows = { fn, arg };
	return db_query_each(db, "SELECT o.id, o.name, o.tier,"
			     " (SELECT coalesce(group_concat(email, ', '), '') FROM"
			     "   (SELECT email FROM org_owners WHERE org_id = o.id ORDER BY email)),"
			     " (SELECT count(*) FROM stores WHERE org_id = o.id), o.tell_store"
			     " FROM orgs o ORDER BY o.id", DB_NO_BINDS, org_row, &rows);
}

int db_org_set_tell_store(struct db *db, int64_t org_id, bool on)
{
	int64_t id;
	return db_query_int(db, "UPDATE orgs SET tell_store = ?2 WHERE id = ?1 RETURNING id",
			    DB_BINDS(DB_INT(org_id), DB_INT(on)), &id);
}

int db_org_tell_store(struct db *db, int64_t store_id, bool *out)
{
	int64_t v;
	int rc = db_query_int(db, "SELECT o.tell_store FROM stores s JOIN orgs o ON o.id = s.org_id"
			      " WHERE s.id = ?", DB_BINDS(DB_INT(store_id)), &v);
	if (!rc)
		*out = v != 0;
	return rc;
}

int db_store_add(struct db *db, int64_t *out, int64_t org_id, const char *name,
		 const char *address, const char *timezone, const char *hours)
{
	return db_run_insert(db, "INSERT INTO stores(org_id, name, address, timezone, hours, created_at)"
			     " VALUES (?, ?, ?, ?, ?, ?)",
			     DB_BINDS(DB_INT(org_id), DB_TEXT(name), DB_TEXT(address ? address : ""),
				      DB_TEXT(timezone), DB_TEXT(hours), DB_INT(clock_now())), out);
}

#define STORE_SELECT \
	"SELECT s.id, s.org_id, o.name, s.name, s.address, s.timezone, s.hours," \
	" (SELECT count(*) FROM tills WHERE store_id = s.id), coalesce(s.email, '')" \
	" FROM stores s JOIN orgs o ON o.id = s.org_id "

struct store_rows {
	int (*fn)(const struct store_row *, void *);
	void *arg;
};

static int store_row(sqlite3_stmt *st, void *arg)
{
	struct store_rows *rows = arg;
	struct store_row r = {
		.id = sqlite3_column_int64(st, 0),
		.org_id = sqlite3_column_int64(st, 1),
		.org = db_text(st, 2),
		.name = db_text(st, 3),
		.address = db_text(st, 4),
		.timezone = db_text(st, 5),
		.hours = db_text(st, 6),
		.tills = sqlite3_column_int64(st, 7),
		.email = db_text(st, 8),
	};
	return rows->fn(&r, rows->arg);
}

int db_store_get(struct db *db, int64_t id, int (*fn)(const struct store_row *, void *), void *arg)
{
	struct store_rows rows = { fn, arg };
	return db_query_each(db, STORE_SELECT "WHERE s.id = ?1", DB_BINDS(DB_INT(id)), store_row,
			     &rows);
}

int db_store_list(struct db *db, int64_t org_id,
		  int (*fn)(const struct store_row *, void *), void *arg)
{
	struct store_rows rows = { fn, arg };
	return db_query_each(db, STORE_SELECT "WHERE ?1 = 0 OR s.org_id = ?1 ORDER BY s.id",
			     DB_BINDS(DB_INT(org_id)), store_row, &rows);
}

int db_till_add(struct db *db, int64_t *out, int64_t store_id, const char *name,
		const char *token_hash)
{
	return db_run_insert(db, "INSERT INTO tills(store_id, name, token_hash, created_at)"
			     " VALUES (?, ?, ?, ?)",
			     DB_BINDS(DB_INT(store_id), DB_TEXT(name), DB_TEXT(token_hash),
				      DB_INT(clock_now())), out);
}

struct till_rows {
	int (*fn)(const struct till_row *, void *);
	void *arg;
};

static int till_row(sqlite3_stmt *st, void *arg)
{
	struct till_rows *rows = arg;
	struct till_row r = {
		.id = sqlite3_column_int64(st, 0),
		.store_id = sqlite3_column_int64(st, 1),
		.org = db_text(st, 2),
		.store = db_text(st, 3),
		.name = db_text(st, 4),
		.last_seen_at = sqlite3_column_int64(st, 5),
		.equipment = sqlite3_column_int64(st, 6),
	};
	return rows->fn(&r, rows->arg);
}

int db_till_list(struct db *db, int64_t store_id,
		 int (*fn)(const struct till_row *, void *), void *arg)
{
	struct till_rows rows = { fn, arg };
	return db_query_each(db, "SELECT t.id, t.store_id, o.name, s.name, t.name,"
			     " coalesce(t.last_seen_at, 0),"
			     " (SELECT count(*) FROM equipment WHERE till_id = t.id)"
			     " FROM tills t JOIN stores s ON s.id = t.store_id"
			     " JOIN orgs o ON o.id = s.org_id"
			     " WHERE ?1 = 0 OR t.store_id = ?1 ORDER BY t.id",
			     DB_BINDS(DB_INT(store_id)), till_row, &rows);
}

int db_till_by_token(struct db *db, int64_t *out, const char *token_hash)
{
	return db_query_int(db, "SELECT id FROM tills WHERE token_hash = ?",
			    DB_BINDS(DB_TEXT(token_hash)), out);
}

int db_equipment_add(struct db *db, int64_t *out, int64_t till_id, const char *kind,
		     const char *model, const char *serial, const char *expires_on)
{
	return db_run_insert(db, "INSERT INTO equipment(till_id, kind, model, serial, expires_on,"
			     " created_at) VALUES (?, ?, ?, ?, ?, ?)",
			     DB_BINDS(DB_INT(till_id), DB_TEXT(kind), DB_TEXT(model ? model : ""),
				      DB_TEXT(serial ? serial : ""), DB_TEXT(expires_on),
				      DB_INT(clock_now())), out);
}

struct equipment_rows {
	int (*fn)(const struct equipment_row *, void *);
	void *arg;
};

static int equipment_row(sqlite3_stmt *st, void *arg)
{
	struct equipment_rows *rows = arg;
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
	return rows->fn(&r, rows->arg);
}

int db_equipment_list(struct db *db, int64_t till_id, const char *until,
		      int (*fn)(const struct equipment_row *, void *), void *arg)
{
	struct equipment_rows rows = { fn, arg };
	return db_query_each(db, "SELECT e.id, e.till_id, s.name, t.name, e.kind, e.model, e.serial,"
			     " coalesce(e.expires_on, '')"
			     " FROM equipment e JOIN tills t ON t.id = e.till_id"
			     " JOIN stores s ON s.id = t.store_id"
			     " WHERE (?1 = 0 OR e.till_id = ?1)"
			     "   AND (?2 IS NULL OR (e.expires_on IS NOT NULL AND e.expires_on <= ?2))"
			     " ORDER BY CASE WHEN ?2 IS NULL THEN e.id END, e.expires_on, e.id",
			     DB_BINDS(DB_INT(till_id), DB_TEXT(until && *until ? until : NULL)),
			     equipment_row, &rows);
}

int db_invite_add(struct db *db, int64_t *out, const char *code_hash, const char *role,
		  int64_t store_id, int64_t org_id, int64_t expires_at)
{
	return db_run_insert(db, "INSERT INTO invites(code_hash, role, store_id, org_id, created_at,"
			     " expires_at) VALUES (?, ?, ?, ?, ?, ?)",
			     DB_BINDS(DB_TEXT(code_hash), DB_TEXT(role), DB_ID(store_id), DB_ID(org_id),
				      DB_INT(clock_now()), DB_INT(expires_at)), out);
}

int db_invite_redeem(struct db *db, int64_t *out_person, const char *code_hash,
		     int64_t tg_user_id, const char *name, int64_t now)
{
	int64_t invite, one;
	int rc;

	/* A revoked person stays out, whatever link they hold; the link stays unused. */
	rc = db_query_int(db, "SELECT 1 FROM people WHERE tg_user_id = ? AND disabled_at IS NOT NULL",
			  DB_BINDS(DB_INT(tg_user_id)), &one);
	if (rc != TD_ENOTFOUND)
		return rc ? rc : TD_EDENIED;
	if ((rc = db_query_int(db, "SELECT id FROM invites WHERE code_hash = ? AND used_at IS NULL"
			       " AND expires_at > ?", DB_BINDS(DB_TEXT(code_hash), DB_INT(now)),
			       &invite)))
		return rc;
	/* A person re-invited (moved store, promoted) keeps their id and history. */
	/* An invite is opened in the private chat with the bot: they have one (private_at). */
	if ((rc = db_query_int(db, "INSERT INTO people(tg_user_id, name, role, store_id, org_id,"
			       " created_at, private_at) SELECT ?1, ?2, role, store_id, org_id, ?3, ?3"
			       " FROM invites WHERE id = ?4"
			       " ON CONFLICT(tg_user_id) DO UPDATE SET name = excluded.name,"
			       " role = excluded.role, store_id = excluded.store_id,"
			       " org_id = excluded.org_id, blocked = 0,"
			       " private_at = coalesce(people.private_at, excluded.private_at)"
			       " RETURNING id",
			       DB_BINDS(DB_INT(tg_user_id), DB_TEXT(name), DB_INT(now), DB_INT(invite)),
			       out_person)))
		return rc == TD_ENOTFOUND ? TD_ERR : rc;
	return db_run(db, "UPDATE invites SET used_at = ?, used_by = ? WHERE id = ?",
		      DB_BINDS(DB_INT(now), DB_INT(*out_person), DB_INT(invite)));
}

#define PERSON_SELECT \
	"SELECT p.id, coalesce(p.tg_user_id, 0), coalesce(p.store_id, 0)," \
	" coalesce(p.org_id, s.org_id, 0), p.name, p.role, coalesce(s.name, '')," \
	" coalesce(o.name, ''), p.blocked, coalesce(p.disabled_at, 0)," \
	" coalesce(p.last_seen_at, 0), coalesce(p.email, ''), coalesce(p.mailbox_of, 0)," \
	" coalesce(p.private_at, 0)" \
	" FROM people p LEFT JOIN stores s ON s.id = p.store_id" \
	" LEFT JOIN orgs o ON o.id = coalesce(p.org_id, s.org_id) "

struct person_rows {
	int (*fn)(const struct person_row *, void *);
	void *arg;
};

static int person_row(sqlite3_stmt *st, void *arg)
{
	struct person_rows *rows = arg;
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
		.email = db_text(st, 11),
		.mailbox_of = sqlite3_column_int64(st, 12),
		.private_at = sqlite3_column_int64(st, 13),
	};
	return rows->fn(&r, rows->arg);
}

int db_person_by_tg(struct db *db, int64_t tg_user_id,
		    int (*fn)(const struct person_row *, void *), void *arg)
{
	struct person_rows rows = { fn, arg };
	return db_query_each(db, PERSON_SELECT "WHERE p.tg_user_id = ?1",
			     DB_BINDS(DB_INT(tg_user_id)), person_row, &rows);
}

int db_person_get(struct db *db, int64_t id, int (*fn)(const struct person_row *, void *),
		  void *arg)
{
	struct person_rows rows = { fn, arg };
	return db_query_each(db, PERSON_SELECT "WHERE p.id = ?1", DB_BINDS(DB_INT(id)), person_row,
			     &rows);
}

int db_person_list(struct db *db, const struct person_filter *f,
		   int (*fn)(const struct person_row *, void *), void *arg)
{
	static const struct person_filter all = { 0 };
	struct person_rows rows = { fn, arg };
	if (!f)
		f = &all;
	return db_query_each(db, PERSON_SELECT "WHERE (?1 = 0 OR coalesce(p.org_id, s.org_id) = ?1)"
			     " AND (?2 = 0 OR p.store_id = ?2) AND (?3 IS NULL OR p.role = ?3)"
			     " ORDER BY p.id",
			     DB_BINDS(DB_INT(f->org_id), DB_INT(f->store_id), DB_TEXT(f->role)),
			     person_row, &rows);
}

int db_person_set_disabled(struct db *db, int64_t id, int64_t at)
{
	return db_run(db, "UPDATE people SET disabled_at = ?2 WHERE id = ?1",
		      DB_BINDS(DB_INT(id), DB_ID(at)));
}

int db_person_move(struct db *db, int64_t id, int64_t store_id, int64_t org_id)
{
	return db_run(db, "UPDATE people SET store_id = ?2, org_id = ?3 WHERE id = ?1",
		      DB_BINDS(DB_INT(id), DB_ID(store_id), DB_ID(org_id)));
}

int db_person_event(struct db *db, int64_t id, int64_t now, enum person_event_kind kind,
		    const char *actor, const char *msg_key, const char *args)
{
	return db_run(db, "INSERT INTO person_events(person_id, at, kind, actor, msg_key, args)"
		      " VALUES (?, ?, ?, ?, ?, ?)",
		      DB_BINDS(DB_INT(id), DB_INT(now), DB_TEXT(person_event_kind_name(kind)),
			       DB_TEXT(actor), DB_TEXT(msg_key), DB_TEXT(msg_key ? args : NULL)));
}

int db_state_set(struct db *db, int64_t person_id, const char *kind, int64_t ticket_id,
		 int64_t now)
{
	return db_run(db, "INSERT OR REPLACE INTO person_state(person_id, kind, ticket_id, since)"
		      " VALUES (?, ?, ?, ?)",
		      DB_BINDS(DB_INT(person_id), DB_TEXT(kind), DB_ID(ticket_id), DB_INT(now)));
}

struct state_out {
	char *kind;
	size_t kind_len;
	int64_t *ticket_id;
};

static int state_row(sqlite3_stmt *st, void *arg)
{
	struct state_out *o = arg;
	snprintf(o->kind, o->kind_len, "%s", db_text(st, 0));
	*o->ticket_id = sqlite3_column_int64(st, 1);
	return 0;
}

int db_state_get(struct db *db, int64_t person_id, char *kind, size_t kind_len,
		 int64_t *ticket_id)
{
	struct state_out o = { kind, kind_len, ticket_id };
	return db_query_one(db, "SELECT kind, coalesce(ticket_id, 0) FROM person_state"
			    " WHERE person_id = ?", DB_BINDS(DB_INT(person_id)), state_row, &o);
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
	return db_run(db, "UPDATE people SET last_seen_at = ?2,"
		      " blocked = CASE WHEN ?3 THEN 0 ELSE blocked END,"
		      " private_at = CASE WHEN ?3 THEN coalesce(private_at, ?2) ELSE private_at END"
		      " WHERE tg_user_id = ?1",
		      DB_BINDS(DB_INT(tg_user_id), DB_INT(now), DB_INT(wrote_privately)));
}

int db_person_hint_once(struct db *db, int64_t id, int64_t now, bool *first)
{
	int64_t unused;
	int rc = db_query_int(db, "UPDATE people SET relay_hint_at = ?2"
			      " WHERE id = ?1 AND relay_hint_at IS NULL RETURNING id",
			      DB_BINDS(DB_INT(id), DB_INT(now)), &unused);
	*first = !rc;
	return rc == TD_ENOTFOUND ? 0 : rc;
}

/* ---- addresses letters come from ---- */

/* Whether a person or a store other than the one being set has email. */
static int email_taken(struct db *db, const char *email, int64_t person_id, int64_t store_id)
{
	int64_t unused;
	int rc = db_query_int(db, "SELECT 1 FROM people WHERE email = ?1 AND id != ?2 UNION ALL"
			      " SELECT 1 FROM stores WHERE email = ?1 AND id != ?3 LIMIT 1",
			      DB_BINDS(DB_TEXT(email), DB_INT(person_id), DB_INT(store_id)), &unused);
	return rc == TD_ENOTFOUND ? 0 : rc ? rc : TD_EEXISTS;
}

int db_person_add(struct db *db, int64_t *out, const char *name, const char *role,
		  int64_t store_id, int64_t org_id, int64_t tg_user_id, const char *email)
{
	int rc = email ? email_taken(db, email, 0, 0) : 0;
	if (rc)
		return rc;
	return db_run_insert(db, "INSERT INTO people(tg_user_id, name, role, store_id, org_id, email,"
			     " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
			     DB_BINDS(DB_ID(tg_user_id), DB_TEXT(name), DB_TEXT(role), DB_ID(store_id),
				      DB_ID(org_id), DB_TEXT(email), DB_INT(clock_now())), out);
}

int db_person_set_email(struct db *db, int64_t id, const char *email)
{
	int rc = email ? email_taken(db, email, id, 0) : 0;
	if (rc)
		return rc;
	return db_run(db, "UPDATE people SET email = ?2 WHERE id = ?1", DB_BINDS(DB_INT(id), DB_TEXT(email)));
}

int db_store_set_email(struct db *db, int64_t id, const char *email)
{
	int rc = email ? email_taken(db, email, 0, id) : 0;
	if (rc)
		return rc;
	return db_run(db, "UPDATE stores SET email = ?2 WHERE id = ?1", DB_BINDS(DB_INT(id), DB_TEXT(email)));
}

int db_person_by_email(struct db *db, const char *email, int64_t *out)
{
	return db_query_int(db, "SELECT id FROM people WHERE email = ?", DB_BINDS(DB_TEXT(email)), out);
}

int db_store_by_email(struct db *db, const char *email, int64_t *out)
{
	return db_query_int(db, "SELECT id FROM stores WHERE email = ?", DB_BINDS(DB_TEXT(email)), out);
}

int db_store_mailbox(struct db *db, int64_t store_id, int64_t now, int64_t *out)
{
	int rc = db_query_int(db, "SELECT id FROM people WHERE mailbox_of = ?", DB_BINDS(DB_INT(store_id)), out);
	if (rc != TD_ENOTFOUND)
		return rc;
	return db_run_insert(db, "INSERT INTO people(name, role, store_id, org_id, mailbox_of, created_at)"
			     " SELECT name, 'cashier', id, org_id, id, ? FROM stores WHERE id = ?",
			     DB_BINDS(DB_INT(now), DB_INT(store_id)), out);
}
