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

/* A kept file as read back; every pointer owned (attachment_release). */
struct attachment {
	int64_t id, ticket_id, size, created_at;
	char *name, *mime;
	bool kept;           /* its bytes are in the database (not over the cap) */
	void *data;          /* the bytes when asked for and kept, else NULL */
	char *file_id;       /* Telegram's once uploaded, else NULL */
	char *file_kind;     /* what file_id names: "photo" or "document"; NULL with it */
};

/*
 * Reads attachment id into out (released by the caller with
 * attachment_release() on success), its bytes too when with_data and it
 * was kept. A plain read: no transaction is taken, so a caller may read a
 * large file without holding up the writers. TD_ENOTFOUND when there is
 * none.
 */
int db_attachment_get(struct db *db, int64_t id, bool with_data, struct attachment *out);
void attachment_release(struct attachment *a);

/*
 * Remembers Telegram's file_id for attachment id and what it names
 * (kind "photo" or "document", borrowed), in the caller's transaction;
 * NULL for both forgets them (Telegram no longer knows the file_id).
 */
int db_attachment_set_file(struct db *db, int64_t id, const char *file_id, const char *kind);

/*
 * Calls fn for each attachment of the ticket, oldest first, without its
 * bytes (the struct and its strings borrowed for the call). fn's non-zero
 * result stops the walk and is returned.
 */
int db_attachments_each(struct db *db, int64_t ticket_id,
			int (*fn)(const struct attachment *a, void *arg), void *arg);

/*
 * The attachment id a file reference names ("att:42" → 42); false for a
 * Telegram file_id or anything else.
 */
bool attachment_ref_id(const char *ref, int64_t *out);

#endif
