/*
 * owners.h - an organisation's owners: the e-mail addresses its letters go
 * to (the daily digest, SLA breaches, expiry reminders), each with a
 * display name, a language and which kinds of letter they want.
 *
 * Writers take a struct db with a transaction open (the caller commits).
 * Listers call fn once per row with a row whose strings are borrowed for
 * the call; fn returning non-zero stops and becomes the lister's result.
 */
#ifndef TD_STORAGE_OWNERS_H
#define TD_STORAGE_OWNERS_H

#include "storage/db.h"

/* The kinds of letter an owner may turn on or off. */
enum owner_mail { OWNER_MAIL_DIGEST, OWNER_MAIL_BREACH, OWNER_MAIL_EXPIRY, OWNER_MAIL_COUNT };
/* "digest", "breach", "expiry": the stored, letter and command-line name. */
const char *owner_mail_name(enum owner_mail kind);
/* TD_EINVAL for a name that is none of them. */
int owner_mail_parse(enum owner_mail *out, const char *name);

struct owner_row {
	int64_t org_id;
	const char *email;
	const char *name;       /* "" for none */
	const char *language;   /* "ru", "en", or "" for general.language */
	bool wants[OWNER_MAIL_COUNT];
};

/* What `org owner set` changes: NULL or -1 leaves a field as it is. */
struct owner_change {
	const char *name;
	const char *language;             /* "ru" or "en" */
	int wants[OWNER_MAIL_COUNT];      /* 1 on, 0 off, -1 as it is */
};

/* Adds an owner, every kind of letter on. name, language: NULL for none. TD_EEXISTS when there. */
int db_owner_add(struct db *db, int64_t org_id, const char *email, const char *name,
		 const char *language);
/* TD_ENOTFOUND when the organisation has no such owner. */
int db_owner_set(struct db *db, int64_t org_id, const char *email, const struct owner_change *c);
int db_owner_remove(struct db *db, int64_t org_id, const char *email);
/* The organisation's owners by address. */
int db_owner_list(struct db *db, int64_t org_id, int (*fn)(const struct owner_row *, void *),
		  void *arg);
/*
 * The owners of the organisation who want letters of kind, by language
 * ("" first: general.language's), then address: what a letter's
 * recipients are made of.
 */
int db_org_mail_recipients(struct db *db, int64_t org_id, enum owner_mail kind,
			   int (*fn)(const struct owner_row *, void *), void *arg);

#endif
