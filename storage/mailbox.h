/*
 * mailbox.h - how far the desk has read its IMAP mailbox (schema 23's
 * mailbox_state): per imap.url, the mailbox's UIDVALIDITY and the last
 * UID whose letter was taken. mail/intake.c moves it in the transaction
 * of what the letters did, so that each letter is taken exactly once.
 */
#ifndef TD_STORAGE_MAILBOX_H
#define TD_STORAGE_MAILBOX_H

#include "storage/db.h"

/* The state of url into *uidvalidity and *last_uid; TD_ENOTFOUND when the mailbox was never read. */
int db_mailbox_get(struct db *db, const char *url, int64_t *uidvalidity, int64_t *last_uid);
/* Sets the state of url (a new row, or the old one replaced), in the caller's transaction. */
int db_mailbox_set(struct db *db, const char *url, int64_t uidvalidity, int64_t last_uid, int64_t now);

#endif
