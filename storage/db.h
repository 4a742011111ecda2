/*
 * db.h - the tilldesk database: open, migrate, transactions, backup.
 *
 * storage/ is the only module that includes sqlite3.h. Every connection is
 * in WAL mode with foreign keys on and a busy timeout; writes go through
 * db_begin() (BEGIN IMMEDIATE) and db_commit(). Each thread opens its own
 * connection.
 */
#ifndef TD_DB_H
#define TD_DB_H

#include <sys/types.h>

#include "core/common.h"

struct db;

/* What db_check_files() found wrong with a database's files. */
enum db_file_fault {
	DB_FILE_OK,
	DB_FILE_SYMLINK,      /* a symbolic link: never followed */
	DB_FILE_WRONG_TYPE,   /* not a regular file (the directory: not a directory) */
	DB_FILE_FOREIGN,      /* owned by another account than uid */
	DB_FILE_UNCHECKABLE,  /* lstat or realpath failed: err holds errno */
};

struct db_file_check {
	enum db_file_fault fault;
	char path[4096];      /* the file at fault */
	uid_t owner;          /* its owner, for DB_FILE_FOREIGN */
	int err;              /* errno, for DB_FILE_UNCHECKABLE */
	char resolved[4096];  /* the database's path with its directory resolved */
};

/*
 * Checks, before SQLite opens anything, that the database's directory and
 * its files (the database, -wal and -shm, those that exist) belong to uid
 * and that none of them is a symbolic link, so that no other account can
 * make us write where it points. The directories above the database's own
 * are resolved (the admin's layout); out->resolved is the path to open.
 * Returns 0 when all is well, else TD_EINVAL with out->fault set.
 */
int db_check_files(struct db_file_check *out, const char *path, uid_t uid);

/*
 * Opens (creating if needed) the database at path and brings its schema to
 * the latest version. The files must pass db_check_files() for the
 * effective user, and no path component is followed through a link. On
 * failure writes a reason to err and returns TD_ERR.
 * Close with db_close().
 */
int db_open(struct db **out, const char *path, char *err, size_t errlen);
/* Opens without migrating (tests of migrations; "init" on an old file). */
int db_open_raw(struct db **out, const char *path, char *err, size_t errlen);
void db_close(struct db *db);

/*
 * Opens (creating if needed) a database of another schema than the
 * daemon's (the till agent's spool): its files checked as db_open() does,
 * no knowledge base, no migrations; schema (statements) runs once, in a
 * transaction, when the file's user_version is below version, which it
 * then becomes; a file whose version is above version (a newer program's)
 * is refused. Close with db_close().
 */
int db_open_schema(struct db **out, const char *path, const char *schema, int version,
		   char *err, size_t errlen);

/* The newest schema version this build knows. */
int db_schema_latest(void);
/* The file's version (PRAGMA user_version). */
int db_schema_version(struct db *db);
/* Applies migrations up to version (<= latest), each in its own transaction. */
int db_migrate(struct db *db, int version);

/*
 * From now on every connection of this process stops waiting for another
 * process's lock as soon as *flag is set (the daemon's stop flag, borrowed
 * for the life of the process): the statement fails with TD_EBUSY.
 */
void db_stop_on(const volatile int *flag);
/*
 * From now on this connection waits for the write lock through a stop
 * request too (still at most 5 s): for what must be recorded while the
 * daemon stops, e.g. calls Telegram answered during the sender's grace.
 */
void db_wait_through_stop(struct db *db);

/* BEGIN IMMEDIATE; nesting is not supported. TD_EBUSY past the busy timeout. */
int db_begin(struct db *db);

/* How long this connection's db_begin() calls waited for the write lock. */
struct db_waits {
	int64_t begins;      /* db_begin() calls */
	int64_t waited;      /* of them, those that took over 1 ms */
	int64_t total_us, max_us;
};
/* The figures so far (*out). */
void db_lock_waits(const struct db *db, struct db_waits *out);
/* Logs them (info), naming the thread who, at its end. */
void db_log_lock_waits(const struct db *db, const char *who);
int db_commit(struct db *db);
/* Safe to call when no transaction is open. */
void db_rollback(struct db *db);

/* The last error of this connection, for messages. Borrowed. */
const char *db_errmsg(struct db *db);

/*
 * Copies the whole database to path with SQLite's online backup API, as one
 * consistent snapshot even while other processes write. Writes path.tmp,
 * created exclusively with mode 0600 and never through a link, and renames
 * it, so path is either the complete copy or untouched. A symbolic link at
 * path is refused (TD_EINVAL).
 */
int db_backup(struct db *db, const char *path, char *err, size_t errlen);

/* Key-value settings kept in the database (e.g. what the bot learnt). */
int db_setting_get(struct db *db, const char *key, char *out, size_t n);
int db_setting_set(struct db *db, const char *key, const char *value);

/*
 * PRAGMA quick_check: 0 when the file is sound; else TD_ERR with SQLite's
 * first complaint (or the error that stopped the check) in out.
 */
int db_quick_check(struct db *db, char *out, size_t n);

/*
 * How the full-text index ("tilldesk" tokenizer) reads words. Defined by
 * kb/ (kb/text.c), so that the index and the questions read alike; every
 * connection registers it with SQLite (storage/kb.c). create() gives one
 * reader per connection (NULL: no memory); terms() calls fn for each term
 * of text[0..n) with where its word stands, and stops at fn's non-zero.
 */
struct db_fts_reader {
	void *(*create)(void);
	void (*destroy)(void *reader);
	int (*terms)(void *reader, const char *text, size_t n,
		     int (*fn)(void *arg, const char *term, size_t n, size_t start, size_t end),
		     void *arg);
};
extern const struct db_fts_reader db_fts_words;

/* Rows changed through this connection since it opened (to tell whether a transaction wrote). */
int64_t db_total_changes(struct db *db);

/*
 * Checkpoints: by default the connection whose commit takes the WAL past
 * 1,000 pages copies it into the database and syncs, inside that commit.
 * A busy writer (the agents' endpoint) turns that off for its connections
 * and checkpoints from another thread instead (PASSIVE: never waits for a
 * reader or a writer).
 */
int db_wal_autocheckpoint(struct db *db, bool on);
int db_wal_checkpoint(struct db *db);

#endif
