/*
 * internal.h - what storage/ files share: the connection and statement
 * helpers. Nothing outside storage/ includes this (or sqlite3.h).
 */
#ifndef TD_STORAGE_INTERNAL_H
#define TD_STORAGE_INTERNAL_H

#include <sqlite3.h>

#include "core/common.h"
#include "storage/db.h"

#define DB_STMT_CACHE 96

struct db {
	sqlite3 *h;
	bool in_tx;
	bool through_stop;       /* db_wait_through_stop(): waits ignore a stop request */
	struct db_waits waits;   /* how long db_begin() waited for the write lock */
	/*
	 * Compiled statements, kept for the life of the connection: compiling
	 * SQL was half of the cost of handling an update.
	 */
	struct db_cached {
		const char *sql;     /* the caller's text, compared by address then content */
		sqlite3_stmt *st;
		bool busy;
	} cache[DB_STMT_CACHE];
};

/*
 * Opens (creating if needed) the SQLite file at path, its files checked as
 * db_check_files() does, in WAL mode with the busy handler: what every
 * database of ours shares, before its own tokenizers and schema.
 */
int db_connect(struct db **out, const char *path, char *err, size_t errlen);

/*
 * Gives a statement for sql, from the connection's cache when it has one
 * that is not in use; logs and returns TD_ERR on failure. Hand it back with
 * db_finish() (or db_step_done(), which finishes it).
 */
int db_prepare(struct db *db, sqlite3_stmt **out, const char *sql);
/* Returns a statement from db_prepare(): reset into the cache, or finalized. */
void db_finish(struct db *db, sqlite3_stmt *st);
/* Runs one or more statements without results. */
int db_exec(struct db *db, const char *sql);

/* Rewrites kb_terms from the full-text index (migration 6 and every import). */
#define KB_TERMS_REFRESH \
	"DELETE FROM kb_terms;" \
	"INSERT INTO kb_terms(term, docs) SELECT term, doc FROM kb_vocab;"
/* Maps an SQLite result code to TD_* (constraint → TD_EEXISTS, busy → TD_EBUSY). */
int db_map(struct db *db, int rc);

/* Binds s (borrowed, not copied: step before it goes), or NULL when s is NULL. */
void db_bind_text(sqlite3_stmt *st, int idx, const char *s);
/* Binds v, or NULL when v == 0 (for optional foreign keys and times). */
void db_bind_id(sqlite3_stmt *st, int idx, int64_t v);

/*
 * A statement's parameters, in order (?1, ?2, ...), as a list ended by
 * DB_END: DB_BINDS(DB_INT(id), DB_TEXT(name)). Strings are borrowed until
 * the statement is finished.
 */
enum db_bind_type {
	DB_BIND_END,
	DB_BIND_INT,    /* an integer */
	DB_BIND_ID,     /* an integer, NULL when 0 (db_bind_id) */
	DB_BIND_TEXT,   /* a string, NULL when NULL (db_bind_text) */
	DB_BIND_BLOB,   /* i bytes at s, NULL when s is NULL */
};
struct db_bind {
	enum db_bind_type type;
	int64_t i;
	const char *s;
};
#define DB_INT(v) ((struct db_bind){ .type = DB_BIND_INT, .i = (v) })
#define DB_ID(v) ((struct db_bind){ .type = DB_BIND_ID, .i = (v) })
#define DB_TEXT(v) ((struct db_bind){ .type = DB_BIND_TEXT, .s = (v) })
#define DB_BLOB(p, n) ((struct db_bind){ .type = DB_BIND_BLOB, .i = (int64_t)(n), .s = (const char *)(p) })
#define DB_BINDS(...) ((const struct db_bind[]){ __VA_ARGS__, { .type = DB_BIND_END } })
#define DB_NO_BINDS ((const struct db_bind[]){ { .type = DB_BIND_END } })

/* Maps the current row of st for db_query_each(): 0 goes on, anything else stops and is returned. */
typedef int db_map_fn(sqlite3_stmt *st, void *arg);

/*
 * The one loop of storage/: prepares sql (from the cache), binds binds,
 * calls map for each row and finishes the statement on every path. Returns
 * 0, map's non-zero result, or a TD_* error of preparing or stepping.
 */
int db_query_each(struct db *db, const char *sql, const struct db_bind *binds, db_map_fn *map,
		  void *arg);
/* The same for a query of at most one row: TD_ENOTFOUND when it gives none. */
int db_query_one(struct db *db, const char *sql, const struct db_bind *binds, db_map_fn *map,
		 void *arg);
/* The first column of the first row as an integer: TD_ENOTFOUND for no row or NULL. */
int db_query_int(struct db *db, const char *sql, const struct db_bind *binds, int64_t *out);
/* The first column of the first row as text into out (n bytes, cut): TD_ENOTFOUND for no row. */
int db_query_text(struct db *db, const char *sql, const struct db_bind *binds, char *out, size_t n);
/* Runs a statement without results (INSERT, UPDATE, DELETE) with binds. */
int db_run(struct db *db, const char *sql, const struct db_bind *binds);
/* Runs an INSERT with binds and gives the new row's id. */
int db_run_insert(struct db *db, const char *sql, const struct db_bind *binds, int64_t *out);
/* Column text, "" for NULL. Borrowed until the next step. */
const char *db_text(sqlite3_stmt *st, int col);

/* Registers the knowledge base's FTS5 tokenizer and functions on a new connection. */
int db_kb_register(struct db *db);

/* Runs st expecting no row (INSERT/UPDATE/DELETE); finalizes it. */
int db_step_done(struct db *db, sqlite3_stmt *st);
/* Runs one statement whose only parameter is id. */
int db_exec_id(struct db *db, const char *sql, int64_t id);
/* Runs an INSERT like db_step_done() and gives the new row's id. */
int db_insert(struct db *db, sqlite3_stmt *st, int64_t *out);

#endif
