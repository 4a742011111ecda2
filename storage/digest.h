/*
 * digest.h - the daily digest's queries (mail/digest.c computes and renders).
 *
 * A day is each store's own: the caller gives the windows as JSON text,
 * "[[store_id, from, to], ...]" (UTC seconds, from inclusive, to
 * exclusive), one per store of the organisation, and every query that
 * counts a day counts each store's rows in its store's window.
 */
#ifndef TD_STORAGE_DIGEST_H
#define TD_STORAGE_DIGEST_H

#include "storage/db.h"

/* What each query gives, one row at a time (columns in the comments below). */
enum digest_query {
	DQ_STORES,        /* ?2 org: store id, name, timezone (by id) */
	DQ_OPENED,        /* ?1 windows: store id, store name, tickets opened, of them from chats */
	DQ_RESOLVED,      /* ?1: tickets resolved (by an engineer or on their own), one row */
	DQ_OPEN_NOW,      /* ?2: tickets new or claimed now, one row */
	DQ_ARTICLES,      /* ?1: article title (or ""), tickets opened under it */
	DQ_CODES,         /* ?1: agent check code, alerts opened */
	DQ_ENGINEERS,     /* ?1: person id, name, 1 claimed / 0 resolved, reaction SLA seconds or -1 */
	DQ_EXPIRING,      /* ?2, ?3..?4 dates: store, till, kind, model, serial, expires_on */
	DQ_OFFLINE,       /* ?2: store, till ("" for a store), since */
	DQ_RATINGS,       /* ?1: ticket id, score, the cashier's next words or "" */
	DQ_KB,            /* ?1: problems solved by an article («Помогло»), one row */
	DQ_CREATED,       /* ?2, ?5..?6 times: store id, created_at of each ticket */
	DQ_COUNT
};

struct digest_args {
	const char *windows;     /* ?1, JSON as above; borrowed */
	int64_t org_id;          /* ?2 */
	const char *first, *last; /* ?3, ?4: dates YYYY-MM-DD */
	int64_t from, to;        /* ?5, ?6 */
};

#define DIGEST_COLUMNS 6

/* One row: each column as text (s, "" for NULL) and as an integer (i); borrowed for the call. */
struct digest_row {
	const char *s[DIGEST_COLUMNS];
	int64_t i[DIGEST_COLUMNS];
};

/* Runs query q with a, calling fn for each row; 0, fn's non-zero value or TD_*. */
int db_digest_rows(struct db *db, enum digest_query q, const struct digest_args *a,
		   int (*fn)(const struct digest_row *, void *), void *arg);

/* The organisation's zone: orgs.timezone, else its first store's; TD_ENOTFOUND for neither. */
int db_org_zone(struct db *db, int64_t org_id, char *out, size_t n);
/* Sets the organisation's zone (NULL: its first store's again). */
int db_org_set_zone(struct db *db, int64_t org_id, const char *zone);
/* The organisation's name into out. */
int db_org_name(struct db *db, int64_t org_id, char *out, size_t n);
/* Every organisation with at least one owner's address: fn(org id, arg). */
int db_digest_orgs(struct db *db, int (*fn)(int64_t org_id, void *), void *arg);

#endif
