/*
 * letters.h - the letters' rows (mail/mail.h): queued, attempted, each
 * recipient's outcome. In the caller's transaction.
 */
#ifndef TD_LETTERS_H
#define TD_LETTERS_H

#include "storage/db.h"

struct letter_row_new {
	const char *ref, *kind, *subject, *text, *html, *message_id;
	int64_t org_id;
	int64_t ticket_id;                    /* 0: none */
	const char *in_reply_to, *references; /* NULL: none */
};

/* Inserts a letter and its recipients (addr, name pairs); TD_EEXISTS when its ref exists. */
int db_letter_add(struct db *db, int64_t *out, const struct letter_row_new *l,
		  const char *const *addrs, const char *const *names, size_t n, int64_t now);

/* Whether a letter with ref was queued, ever (so a pass need not build it again). */
int db_letter_exists(struct db *db, const char *ref, bool *out);
/* Whether a letter whose ref starts with prefix (under 255 bytes) was queued. */
int db_letter_exists_under(struct db *db, const char *prefix, bool *out);
/* A letter as stored; strings borrowed for the callback. */
struct letter_row {
	int64_t id;
	const char *ref, *kind, *subject, *text, *html;  /* html NULL: none */
	const char *message_id;
	int64_t created_at;
	bool done;               /* no recipient waits */
	int attempts;
	int64_t next_at;
	const char *last_error;  /* "" when none */
	const char *in_reply_to, *references;  /* "" when none */
};

/* One recipient of a letter as stored; strings borrowed for the callback. */
struct letter_rcpt_row {
	const char *addr, *name;
	const char *state;       /* "pending", "sent" or "failed" */
	int status;              /* the server's last code; 0: none yet */
	const char *reply;       /* "" when none */
	int64_t at;              /* when sent or failed for good; 0: pending */
};

/* Calls fn for the letters due at now (pending, next_at <= now), oldest due first, at most limit. */
int db_letter_due(struct db *db, int64_t now, int limit,
		  int (*fn)(const struct letter_row *, void *), void *arg);
/*
 * Calls fn for the letters that wait or have a recipient failed, or for
 * every letter when all, newest first.
 */
int db_letter_list(struct db *db, bool all, int (*fn)(const struct letter_row *, void *), void *arg);
/* Calls fn for each recipient of letter id, by address. */
int db_letter_rcpts(struct db *db, int64_t id, int (*fn)(const struct letter_rcpt_row *, void *),
		    void *arg);
/* Records a recipient's outcome: state "pending" (tried, to try again), "sent" or "failed". */
int db_letter_rcpt_set(struct db *db, int64_t id, const char *addr, const char *state, int status,
		       const char *reply, int64_t now);
/*
 * Records an attempt at letter id: done when no recipient waits any more,
 * else the next attempt at next_at; last_error NULL: none.
 */
int db_letter_attempted(struct db *db, int64_t id, int64_t next_at, const char *last_error);

#endif
