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
};

/* Inserts a letter and its recipients (addr, name pairs); TD_EEXISTS when its ref exists. */
int db_letter_add(struct db *db, int64_t *out, const struct letter_row_new *l,
		  const char *const *addrs, const char *const *names, size_t n, int64_t now);

/* Whether a letter with ref was queued, ever (so a pass need not build it again). */
int db_letter_exists(struct db *db, const char *ref, bool *out);
/* Whether a letter whose ref starts with prefix (under 255 bytes) was queued. */
int db_letter_exists_under(struct db *db, const char *prefix, bool *out);

#endif
