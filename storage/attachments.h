/*
 * attachments.h - files that came with letters, kept with their ticket
 * (schema 23). A notice names one by the file reference "att:ID"
 * (ATTACHMENT_REF) where a Telegram file_id would stand: the sender uploads
 * the kept bytes the first time and remembers Telegram's file_id.
 */
#ifndef TD_ATTACHMENTS_H
#define TD_ATTACHMENTS_H

#include "storage/db.h"

#define ATTACHMENT_REF "att:"

/*
 * Adds a file of size bytes to the ticket, in the caller's transaction;
 * data NULL keeps its name only (over the size cap). *out: its id.
 */
int db_attachment_add(struct db *db, int64_t ticket_id, const char *name, const char *mime,
		      const void *data, size_t size, int64_t now, int64_t *out);

#endif
