#include <limits.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "storage/internal.h"

#define BUSY_TIMEOUT_MS 5000

/* The daemon's stop flag (db_stop_on); NULL in the admin commands. */
static const volatile int *stop_flag;

void db_stop_on(const volatile int *flag)
{
	stop_flag = flag;
}

/*
 * SQLite's own busy timeout sleeps through a stop request for up to 5 s.
 * This one waits the same 5 s in short naps (the steps SQLite uses, capped
 * at 50 ms) and gives up at once when the daemon is stopping: the caller
 * sees TD_EBUSY and, like for any busy database, commits nothing.
 */
static int busy_wait(void *arg, int count)
{
	static const int steps[] = { 1, 2, 5, 10, 15, 20, 25, 25, 25, 50 };
	const struct db *db = arg;
	bool stopping = stop_flag && *stop_flag && !db->through_stop;
	int waited = 0, step;
	if (stopping)
		return 0;
	for (int i = 0; i < count; i++)
		waited += i < (int)ARRAY_SIZE(steps) ? steps[i] : 50;
	if (waited >= BUSY_TIMEOUT_MS)
		return 0;
	step = count < (int)ARRAY_SIZE(steps) ? steps[count] : 50;
	sqlite3_sleep(step < BUSY_TIMEOUT_MS - waited ? step : BUSY_TIMEOUT_MS - waited);
	return !(stop_flag && *stop_flag && !db->through_stop);
}

void db_wait_through_stop(struct db *db)
{
	db->through_stop = true;
}

int db_map(struct db *db, int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_CONSTRAINT:
		if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
			return TD_EEXISTS;
		log_debug("database: %s", sqlite3_errmsg(db->h));
		return TD_EINVAL;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		log_warn("database busy: %s", sqlite3_errmsg(db->h));
		return TD_EBUSY;
	case SQLITE_NOMEM:
		return TD_ENOMEM;
	default:
		log_error("database: %s", sqlite3_errmsg(db->h));
		return TD_ERR;
	}
}

static struct db_cached *cache_slot(struct db *db, const char *sql)
{
	size_t h = (size_t)((uintptr_t)sql * 0x9E3779B97F4A7C15ull >> 40) % DB_STMT_CACHE;
	for (size_t i = 0; i < DB_STMT_CACHE; i++) {
		struct db_cached *c = &db->cache[(h + i) % DB_STMT_CACHE];
		if (!c->sql || c->sql == sql)
			return c;
	}
	return NULL;
}

int db_prepare(struct db *db, sqlite3_stmt **out, const char *sql)
{
	struct db_cached *c = cache_slot(db, sql);
	/* A text built in a reused buffer has the same address but other words. */
	if (c && c->sql && !c->busy && !strcmp(sqlite3_sql(c->st), sql)) {
		c->busy = true;
		*out = c->st;
		return 0;
	}
	bool keep = c && !c->sql;
	int rc = sqlite3_prepare_v3(db->h, sql, -1, keep ? SQLITE_PREPARE_PERSISTENT : 0, out, NULL);
	if (rc != SQLITE_OK) {
		log_error("database: cannot prepare: %s", sqlite3_errmsg(db->h));
		*out = NULL;
		return TD_ERR;
	}
	if (keep)
		*c = (struct db_cached){ .sql = sql, .st = *out, .busy = true };
	return 0;
}

void db_finish(struct db *db, sqlite3_stmt *st)
{
	for (size_t i = 0; i < DB_STMT_CACHE; i++) {
		struct db_cached *c = &db->cache[i];
		if (c->st == st && c->busy) {
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			c->busy = false;
			return;
		}
	}
	sqlite3_finalize(st);
}

int db_exec(struct db *db, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db->h, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		int mapped = db_map(db, rc);
		sqlite3_free(msg);
		return mapped ? mapped : TD_ERR;
	}
	return 0;
}

void db_bind_text(sqlite3_stmt *st, int idx, const char *s)
{
	if (s)
		sqlite3_bind_text(st, idx, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, idx);
}

void db_bind_id(sqlite3_stmt *st, int idx, int64_t v)
{
	if (v)
		sqlite3_bind_int64(st, idx, v);
	else
		sqlite3_bind_null(st, idx);
}

static int bind_all(struct db *db, const char *sql, const struct db_bind *binds,
		    sqlite3_stmt **out)
{
	if (db_prepare(db, out, sql))
		return TD_ERR;
	for (int i = 0; binds[i].type != DB_BIND_END; i++) {
		const struct db_bind *b = &binds[i];
		if (b->type == DB_BIND_INT)
			sqlite3_bind_int64(*out, i + 1, b->i);
		else if (b->type == DB_BIND_ID)
			db_bind_id(*out, i + 1, b->i);
		else if (b->type == DB_BIND_BLOB && b->s)
			sqlite3_bind_blob64(*out, i + 1, b->s, (sqlite3_uint64)b->i, SQLITE_STATIC);
		else
			db_bind_text(*out, i + 1, b->s);
	}
	return 0;
}

/* Steps st through at most max rows into map; *rows counts them. Finishes st. */
static int query_rows(struct db *db, sqlite3_stmt *st, db_map_fn *map, void *arg, int max,
		      int *rows)
{
	int step = SQLITE_DONE, rc = 0;
	while (!rc && *rows < max && (step = sqlite3_step(st)) == SQLITE_ROW) {
		(*rows)++;
		rc = map ? map(st, arg) : 0;
	}
	if (!rc && step != SQLITE_ROW && step != SQLITE_DONE)
		rc = db_map(db, step);
	db_finish(db, st);
	return rc;
}

int db_query_each(struct db *db, const char *sql, const struct db_bind *binds, db_map_fn *map,
		  void *arg)
{
	sqlite3_stmt *st;
	int rows = 0;
	if (bind_all(db, sql, binds, &st))
		return TD_ERR;
	return query_rows(db, st, map, arg, INT_MAX, &rows);
}

int db_query_one(struct db *db, const char *sql, const struct db_bind *binds, db_map_fn *map,
		 void *arg)
{
	sqlite3_stmt *st;
	int rows = 0, rc;
	if (bind_all(db, sql, binds, &st))
		return TD_ERR;
	rc = query_rows(db, st, map, arg, 1, &rows);
	return rc ? rc : rows ? 0 : TD_ENOTFOUND;
}

static int map_int(sqlite3_stmt *st, void *arg)
{
	if (sqlite3_column_type(st, 0) == SQLITE_NULL)
		return TD_ENOTFOUND;
	*(int64_t *)arg = sqlite3_column_int64(st, 0);
	return 0;
}

int db_query_int(struct db *db, const char *sql, const struct db_bind *binds, int64_t *out)
{
	return db_query_one(db, sql, binds, map_int, out);
}

struct text_out {
	char *out;
	size_t n;
};

static int text_row(sqlite3_stmt *st, void *arg)
{
	struct text_out *o = arg;
	snprintf(o->out, o->n, "%s", db_text(st, 0));
	return 0;
}

int db_query_text(struct db *db, const char *sql, const struct db_bind *binds, char *out, size_t n)
{
	struct text_out o = { out, n };
	return db_query_one(db, sql, binds, text_row, &o);
}

int db_run(struct db *db, const char *sql, const struct db_bind *binds)
{
	sqlite3_stmt *st;
	if (bind_all(db, sql, binds, &st))
		return TD_ERR;
	return db_step_done(db, st);
}

int db_run_insert(struct db *db, const char *sql, const struct db_bind *binds, int64_t *out)
{
	sqlite3_stmt *st;
	if (bind_all(db, sql, binds, &st))
		return TD_ERR;
	return db_insert(db, st, out);
}

const char *db_text(sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);
	return s ? (const char *)s : "";
}

int db_step_done(struct db *db, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	int mapped = rc == SQLITE_DONE ? 0 : db_map(db, rc);
	if (rc == SQLITE_ROW)
		mapped = 0;
	db_finish(db, st);
	return mapped;
}

int db_exec_id(struct db *db, const char *sql, int64_t id)
{
	return db_run(db, sql, DB_BINDS(DB_INT(id)));
}

int db_insert(struct db *db, sqlite3_stmt *st, int64_t *out)
{
	int rc = db_step_done(db, st);
	if (!rc)
		*out = sqlite3_last_insert_rowid(db->h);
	return rc;
}

static int file_fault(struct db_file_check *out, enum db_file_fault fault, const char *path,
		      uid_t owner, int err)
{
	out->fault = fault;
	snprintf(out->path, sizeof(out->path), "%s", path);
	out->owner = owner;
	out->err = err;
	return TD_EINVAL;
}

/* lstat()s path: 0 when it is absent or a regular file (a directory when dir) of uid. */
static int check_one(struct db_file_check *out, const char *path, uid_t uid, bool dir)
{
	struct stat st;
	if (lstat(path, &st))
		return errno == ENOENT && !dir ? 0 : file_fault(out, DB_FILE_UNCHECKABLE, path, 0, errno);
	if (S_ISLNK(st.st_mode))
		return file_fault(out, DB_FILE_SYMLINK, path, st.st_uid, 0);
	if (dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
		return file_fault(out, DB_FILE_WRONG_TYPE, path, st.st_uid, 0);
	if (st.st_uid != uid)
		return file_fault(out, DB_FILE_FOREIGN, path, st.st_uid, 0);
	return 0;
}

int db_check_files(struct db_file_check *out, const char *path, uid_t uid)
{
	static const char *const suffixes[] = { "", "-wal", "-shm" };
	char dir[4096], real[PATH_MAX], file[4096 + 8];
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;

	memset(out, 0, sizeof(*out));
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if ((size_t)(slash - path) >= sizeof(dir))
		return file_fault(out, DB_FILE_UNCHECKABLE, path, 0, ENAMETOOLONG);
	else
		snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	if (!*base)
		return file_fault(out, DB_FILE_WRONG_TYPE, path, 0, 0);
	/* The database's own directory is checked as named; those above it are resolved. */
	if (check_one(out, dir, uid, true))
		return TD_EINVAL;
	if (!realpath(dir, real))
		return file_fault(out, DB_FILE_UNCHECKABLE, dir, 0, errno);
	int n = snprintf(out->resolved, sizeof(out->resolved), "%s%s%s", real,
			 strcmp(real, "/") ? "/" : "", base);
	if (n < 0 || (size_t)n >= sizeof(out->resolved) - 8)
		return file_fault(out, DB_FILE_UNCHECKABLE, path, 0, ENAMETOOLONG);
	for (size_t i = 0; i < ARRAY_SIZE(suffixes); i++) {
		snprintf(file, sizeof(file), "%s%s", out->resolved, suffixes[i]);
		if (check_one(out, file, uid, false))
			return TD_EINVAL;
	}
	return 0;
}

int db_connect(struct db **out, const char *path, char *err, size_t errlen)
{
	struct db_file_check chk;
	bool in_memory = !strcmp(path, ":memory:");  /* no file to check */
	if (!in_memory && db_check_files(&chk, path, geteuid())) {
		snprintf(err, errlen, "%s: %s", chk.path,
			 chk.fault == DB_FILE_SYMLINK ? "a symbolic link, not followed" :
			 chk.fault == DB_FILE_WRONG_TYPE ? "not a regular file or directory" :
			 chk.fault == DB_FILE_FOREIGN ? "belongs to another account" :
			 strerror(chk.err));
		return TD_EINVAL;
	}
	struct db *db = xcalloc(1, sizeof(*db));
	/* NOFOLLOW: a link planted after the check is refused, not followed. */
	int rc = sqlite3_open_v2(in_memory ? path : chk.resolved, &db->h,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				 SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path,
			 db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_busy_handler(db->h, busy_wait, db);
	sqlite3_extended_result_codes(db->h, 1);
	/* journal_mode answers a row; sqlite3_exec ignores it. */
	/* A 1 MiB page cache per connection keeps the daemon small; the hot set is tiny. */
	if (db_exec(db, "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;"
		    "PRAGMA synchronous=NORMAL; PRAGMA cache_size=-1024;"
		    /* A checkpointed WAL is cut back to 4 MiB rather than kept at its peak. */
		    "PRAGMA journal_size_limit=4194304;")) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db->h));
		goto fail;
	}
	*out = db;
	return 0;
fail:
	sqlite3_close(db->h);
	free(db);
	return TD_ERR;
}

int db_open_schema(struct db **out, const char *path, const char *schema, int version,
		   char *err, size_t errlen)
{
	struct db *db;
	char bump[64];
	if (db_connect(&db, path, err, errlen))
		return TD_ERR;
	int have = db_schema_version(db);
	/* A newer program's file: its rows may mean what this one cannot know. */
	if (have > version) {
		snprintf(err, errlen, "%s: schema version %d is newer than this program's (%d)",
			 path, have, version);
		db_close(db);
		return TD_ERR;
	}
	if (have == version)
		goto ok;
	snprintf(bump, sizeof(bump), "PRAGMA user_version = %d;", version);
	if (have < 0 || db_begin(db) || db_exec(db, schema) || db_exec(db, bump) || db_commit(db)) {
		snprintf(err, errlen, "%s: cannot create the schema: %s", path, sqlite3_errmsg(db->h));
		db_close(db);
		return TD_ERR;
	}
ok:
	*out = db;
	return 0;
}

void db_close(struct db *db)
{
	if (!db)
		return;
	if (db->in_tx)
		db_rollback(db);
	for (size_t i = 0; i < DB_STMT_CACHE; i++)
		sqlite3_finalize(db->cache[i].st);
	sqlite3_close(db->h);
	free(db);
}

int db_schema_version(struct db *db)
{
	int64_t v;
	return db_query_int(db, "PRAGMA user_version", DB_NO_BINDS, &v) ? -1 : (int)v;
}

int db_begin(struct db *db)
{
	int64_t t0 = clock_mono_us();
	int rc = db_exec(db, "BEGIN IMMEDIATE");
	int64_t us = clock_mono_us() - t0;
	db->waits.begins++;
	db->waits.waited += us > 1000;
	db->waits.total_us += us;
	if (us > db->waits.max_us)
		db->waits.max_us = us;
	if (!rc)
		db->in_tx = true;
	return rc;
}

void db_lock_waits(const struct db *db, struct db_waits *out)
{
	*out = db->waits;
}

void db_log_lock_waits(const struct db *db, const char *who)
{
	const struct db_waits *w = &db->waits;
	log_info("%s: %lld transactions waited %.1f ms in all for the write lock"
		 " (%lld over 1 ms, the longest %.1f ms)", who, (long long)w->begins,
		 (double)w->total_us / 1000.0, (long long)w->waited, (double)w->max_us / 1000.0);
}

int db_commit(struct db *db)
{
	int rc = db_exec(db, "COMMIT");
	if (rc)
		db_rollback(db);
	db->in_tx = false;
	return rc;
}

void db_rollback(struct db *db)
{
	if (!sqlite3_get_autocommit(db->h))
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	db->in_tx = false;
}

const char *db_errmsg(struct db *db)
{
	return sqlite3_errmsg(db->h);
}

int db_backup(struct db *db, const char *path, char *err, size_t errlen)
{
	char tmp[4096];
	sqlite3 *dest = NULL;
	sqlite3_backup *bk = NULL;
	int rc = TD_ERR;

	struct stat st;
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", path);
		return TD_EINVAL;
	}
	if (!lstat(path, &st) && S_ISLNK(st.st_mode)) {
		snprintf(err, errlen, "%s: a symbolic link, not followed", path);
		return TD_EINVAL;
	}
	/* A leftover of a failed backup goes (a link: itself, not its target). */
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return TD_ERR;
	}
	close(fd);
	if (sqlite3_open_v2(tmp, &dest, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL)) {
		snprintf(err, errlen, "%s: %s", tmp, dest ? sqlite3_errmsg(dest) : "cannot open");
		goto done;
	}
	bk = sqlite3_backup_init(dest, "main", db->h, "main");
	if (!bk) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(dest));
		goto done;
	}
	/*
	 * One step copies every page inside a single read transaction of the
	 * source: a consistent snapshot, and in WAL mode writers go on meanwhile.
	 */
	int step;
	while ((step = sqlite3_backup_step(bk, -1)) == SQLITE_BUSY || step == SQLITE_LOCKED)
		sqlite3_sleep(50);
	sqlite3_backup_finish(bk);
	bk = NULL;
	if (step != SQLITE_DONE || sqlite3_errcode(dest) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(dest));
		goto done;
	}
	/* A backup is a single file: no WAL beside it. */
	if (sqlite3_exec(dest, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(dest));
		goto done;
	}
	sqlite3_close(dest);
	dest = NULL;
	if (rename(tmp, path)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto done;
	}
	rc = 0;
done:
	if (bk)
		sqlite3_backup_finish(bk);
	if (dest)
		sqlite3_close(dest);
	if (rc)
		unlink(tmp);
	return rc;
}

int db_setting_get(struct db *db, const char *key, char *out, size_t n)
{
	return db_query_text(db, "SELECT value FROM settings WHERE key = ?", DB_BINDS(DB_TEXT(key)),
			     out, n);
}

int db_setting_set(struct db *db, const char *key, const char *value)
{
	return db_run(db, "INSERT INTO settings(key, value) VALUES (?, ?) "
		      "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
		      DB_BINDS(DB_TEXT(key), DB_TEXT(value)));
}

int db_quick_check(struct db *db, char *out, size_t n)
{
	sqlite3_stmt *st;
	int rc = TD_ERR;
	if (db_prepare(db, &st, "PRAGMA quick_check(1)"))
		goto done;
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(out, n, "%s", db_text(st, 0));
		rc = strcmp(out, "ok") ? TD_ERR : 0;
	} else {
		snprintf(out, n, "%s", sqlite3_errmsg(db->h));
	}
	db_finish(db, st);
done:
	if (rc && !*out)
		snprintf(out, n, "%s", sqlite3_errmsg(db->h));
	return rc;
}

int64_t db_total_changes(struct db *db)
{
	return sqlite3_total_changes64(db->h);
}

int db_wal_autocheckpoint(struct db *db, bool on)
{
	return db_exec(db, on ? "PRAGMA wal_autocheckpoint=1000" : "PRAGMA wal_autocheckpoint=0");
}

int db_wal_checkpoint(struct db *db)
{
	return db_map(db, sqlite3_wal_checkpoint_v2(db->h, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL));
}
