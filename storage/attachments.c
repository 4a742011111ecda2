/* attachments.c - files kept with tickets; see attachments.h. */
#include "storage/attachments.h"
#include "storage/internal.h"

int db_attachment_add(struct db *db, int64_t ticket_id, const char *name, const char *mime,
		      const void *data, size_t size, int64_t now, int64_t *out)
{
	return db_run_insert(db, "INSERT INTO attachments(ticket_id, name, mime, size, data, created_at)"
			     " VALUES (?, ?, ?, ?, ?, ?)",
			     DB_BINDS(DB_INT(ticket_id), DB_TEXT(name), DB_TEXT(mime),
				      DB_INT((int64_t)size), DB_BLOB(data, size), DB_INT(now)), out);
}
