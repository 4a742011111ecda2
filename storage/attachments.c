/* attachments.c - files kept with tickets; see attachments.h. */
#include <errno.h>

#include "storage/attachments.h"
#include "storage/internal.h"

#define ATTACHMENT_COLUMNS "id, ticket_id, name, mime, size, data IS NOT NULL, file_id, file_kind, created_at"

int db_attachment_add(struct db *db, int64_t ticket_id, const char *name, const char *mime,
		      const void *data, size_t size, int64_t now, int64_t *out)
{
	return db_run_insert(db, "INSERT INTO attachments(ticket_id, name, mime, size, data, created_at)"
			     " VALUES (?, ?, ?, ?, ?, ?)",
			     DB_BINDS(DB_INT(ticket_id), DB_TEXT(name), DB_TEXT(mime),
				      DB_INT((int64_t)size), DB_BLOB(data, size), DB_INT(now)), out);
}

static char *text_or_null(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? NULL : xstrdup(db_text(st, col));
}

/* Maps ATTACHMENT_COLUMNS, then the bytes in the next column when there is one. */
static int attachment_row(sqlite3_stmt *st, void *arg)
{
	struct attachment *a = arg;
	*a = (struct attachment){
		.id = sqlite3_column_int64(st, 0),
		.ticket_id = sqlite3_column_int64(st, 1),
		.name = xstrdup(db_text(st, 2)),
		.mime = xstrdup(db_text(st, 3)),
		.size = sqlite3_column_int64(st, 4),
		.kept = sqlite3_column_int(st, 5) != 0,
		.file_id = text_or_null(st, 6),
		.file_kind = text_or_null(st, 7),
		.created_at = sqlite3_column_int64(st, 8),
	};
	if (sqlite3_column_count(st) > 9 && sqlite3_column_type(st, 9) == SQLITE_BLOB) {
		int n = sqlite3_column_bytes(st, 9);
		a->data = xmalloc(n ? (size_t)n : 1);
		memcpy(a->data, sqlite3_column_blob(st, 9), (size_t)n);
		/* The bytes say how many there are, whatever the size column says. */
		a->size = n;
	}
	return 0;
}

int db_attachment_get(struct db *db, int64_t id, bool with_data, struct attachment *out)
{
	return db_query_one(db, "SELECT " ATTACHMENT_COLUMNS ", CASE WHEN ?2 THEN data END"
			    " FROM attachments WHERE id = ?1",
			    DB_BINDS(DB_INT(id), DB_INT(with_data)), attachment_row, out);
}

void attachment_release(struct attachment *a)
{
	free(a->name);
	free(a->mime);
	free(a->data);
	free(a->file_id);
	free(a->file_kind);
	memset(a, 0, sizeof(*a));
}

int db_attachment_set_file(struct db *db, int64_t id, const char *file_id, const char *kind)
{
	return db_run(db, "UPDATE attachments SET file_id = ?, file_kind = ? WHERE id = ?",
		      DB_BINDS(DB_TEXT(file_id), DB_TEXT(kind), DB_INT(id)));
}

struct each {
	int (*fn)(const struct attachment *a, void *arg);
	void *arg;
};

static int each_row(sqlite3_stmt *st, void *arg)
{
	struct each *e = arg;
	struct attachment a;
	attachment_row(st, &a);
	int rc = e->fn(&a, e->arg);
	attachment_release(&a);
	return rc;
}

int db_attachments_each(struct db *db, int64_t ticket_id,
			int (*fn)(const struct attachment *a, void *arg), void *arg)
{
	struct each e = { fn, arg };
	return db_query_each(db, "SELECT " ATTACHMENT_COLUMNS " FROM attachments"
			     " WHERE ticket_id = ? ORDER BY id",
			     DB_BINDS(DB_INT(ticket_id)), each_row, &e);
}

bool attachment_ref_id(const char *ref, int64_t *out)
{
	size_t n = strlen(ATTACHMENT_REF);
	char *end;
	if (!ref || strncmp(ref, ATTACHMENT_REF, n) || ref[n] < '0' || ref[n] > '9')
		return false;
	errno = 0;
	long long id = strtoll(ref + n, &end, 10);
	if (errno || *end || id <= 0)
		return false;
	*out = id;
	return true;
}
