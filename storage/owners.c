/* owners.c - an organisation's owners and their letters; see owners.h. */
#include "storage/internal.h"
#include "storage/owners.h"

/* Each kind's name is also its column in org_owners. */
static const char *const mail_names[OWNER_MAIL_COUNT] = {
	[OWNER_MAIL_DIGEST] = "digest", [OWNER_MAIL_BREACH] = "breach", [OWNER_MAIL_EXPIRY] = "expiry",
};

const char *owner_mail_name(enum owner_mail kind)
{
	return (unsigned)kind < OWNER_MAIL_COUNT ? mail_names[kind] : "";
}

int owner_mail_parse(enum owner_mail *out, const char *name)
{
	for (int k = 0; k < OWNER_MAIL_COUNT; k++)
		if (!strcmp(mail_names[k], name)) {
			*out = (enum owner_mail)k;
			return 0;
		}
	return TD_EINVAL;
}

int db_owner_add(struct db *db, int64_t org_id, const char *email, const char *name,
		 const char *language)
{
	return db_run(db, "INSERT INTO org_owners(org_id, email, name, language) VALUES (?, ?, ?, ?)",
		      DB_BINDS(DB_INT(org_id), DB_TEXT(email), DB_TEXT(name ? name : ""),
			       DB_TEXT(language)));
}

int db_owner_set(struct db *db, int64_t org_id, const char *email, const struct owner_change *c)
{
	int64_t unused;
	/* -1 keeps a switch: coalesce(NULL, column). */
	return db_query_int(db, "UPDATE org_owners SET name = coalesce(?3, name),"
			    " language = coalesce(?4, language),"
			    " digest = coalesce(nullif(?5, -1), digest),"
			    " breach = coalesce(nullif(?6, -1), breach),"
			    " expiry = coalesce(nullif(?7, -1), expiry)"
			    " WHERE org_id = ?1 AND email = ?2 RETURNING 1",
			    DB_BINDS(DB_INT(org_id), DB_TEXT(email), DB_TEXT(c->name),
				     DB_TEXT(c->language), DB_INT(c->wants[OWNER_MAIL_DIGEST]),
				     DB_INT(c->wants[OWNER_MAIL_BREACH]), DB_INT(c->wants[OWNER_MAIL_EXPIRY])),
			    &unused);
}

int db_owner_remove(struct db *db, int64_t org_id, const char *email)
{
	int64_t unused;
	return db_query_int(db, "DELETE FROM org_owners WHERE org_id = ?1 AND email = ?2 RETURNING 1",
			    DB_BINDS(DB_INT(org_id), DB_TEXT(email)), &unused);
}

struct owner_rows {
	int (*fn)(const struct owner_row *, void *);
	void *arg;
};

static int owner_row(sqlite3_stmt *st, void *arg)
{
	struct owner_rows *rows = arg;
	struct owner_row r = {
		.org_id = sqlite3_column_int64(st, 0),
		.email = db_text(st, 1),
		.name = db_text(st, 2),
		.language = db_text(st, 3),
	};
	for (int k = 0; k < OWNER_MAIL_COUNT; k++)
		r.wants[k] = sqlite3_column_int64(st, 4 + k) != 0;
	return rows->fn(&r, rows->arg);
}

#define OWNER_SELECT "SELECT org_id, email, name, language, digest, breach, expiry FROM org_owners "

int db_owner_list(struct db *db, int64_t org_id, int (*fn)(const struct owner_row *, void *),
		  void *arg)
{
	struct owner_rows rows = { fn, arg };
	return db_query_each(db, OWNER_SELECT "WHERE org_id = ?1 ORDER BY email",
			     DB_BINDS(DB_INT(org_id)), owner_row, &rows);
}

int db_org_mail_recipients(struct db *db, int64_t org_id, enum owner_mail kind,
			   int (*fn)(const struct owner_row *, void *), void *arg)
{
	struct owner_rows rows = { fn, arg };
	if ((unsigned)kind >= OWNER_MAIL_COUNT)
		return TD_EINVAL;
	/* The switch is chosen by the kind: one statement each, all cached. */
	static const char *const sql[OWNER_MAIL_COUNT] = {
		[OWNER_MAIL_DIGEST] = OWNER_SELECT "WHERE org_id = ?1 AND digest"
				      " ORDER BY coalesce(language, ''), email",
		[OWNER_MAIL_BREACH] = OWNER_SELECT "WHERE org_id = ?1 AND breach"
				      " ORDER BY coalesce(language, ''), email",
		[OWNER_MAIL_EXPIRY] = OWNER_SELECT "WHERE org_id = ?1 AND expiry"
				      " ORDER BY coalesce(language, ''), email",
	};
	return db_query_each(db, sql[kind], DB_BINDS(DB_INT(org_id)), owner_row, &rows);
}
