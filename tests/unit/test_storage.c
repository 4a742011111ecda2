/* Unit tests: opening, migrating and protecting the database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <time.h>
#include <limits.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scratch.h"
#include "storage/attachments.h"
#include "core/buf.h"
#include "storage/chain.h"
#include "storage/db.h"
#include "storage/outbox.h"
#include "storage/sla.h"
#include "storage/ticket.h"

static char dir[] = "/tmp/tilldesk-storage-XXXXXX";

static void path_of(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", dir, name);
}

static int setup(void **state)
{
	(void)state;
	return scratch_make(dir, sizeof(dir), "storage");
}

static int teardown(void **state)
{
	(void)state;
	return scratch_remove(dir);
}

/* The schema as text (tables, indexes, triggers, views), to compare files. */
static void schema_of(const char *path, struct buf *out)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, "SELECT type, name, sql FROM sqlite_master"
					    " ORDER BY type, name", -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW)
		buf_printf(out, "%s %s %s\n", sqlite3_column_text(st, 0), sqlite3_column_text(st, 1),
			   sqlite3_column_text(st, 2) ? (const char *)sqlite3_column_text(st, 2) : "");
	sqlite3_finalize(st);
	sqlite3_close(h);
}

static void test_db__empty_file_migrates_to_latest(void **state)
{
	(void)state;
	char path[256], err[256];
	struct db *db;
	path_of(path, sizeof(path), "fresh.db");
	assert_int_equal(db_open(&db, path, err, sizeof(err)), 0);
	assert_int_equal(db_schema_version(db), db_schema_latest());
	assert_true(db_schema_latest() >= 2);
	db_close(db);
	/* Opening again changes nothing. */
	struct buf before = BUF_INIT(1 << 20), after = BUF_INIT(1 << 20);
	schema_of(path, &before);
	assert_int_equal(db_open(&db, path, err, sizeof(err)), 0);
	db_close(db);
	schema_of(path, &after);
	assert_string_equal(buf_cstr(&before), buf_cstr(&after));
	buf_release(&before);
	buf_release(&after);
}

static void test_db__every_earlier_version_migrates_to_the_same_schema(void **state)
{
	(void)state;
	char fresh[256], path[256], err[256];
	struct buf want = BUF_INIT(1 << 20), got = BUF_INIT(1 << 20);
	struct db *db;
	path_of(fresh, sizeof(fresh), "reference.db");
	assert_int_equal(db_open(&db, fresh, err, sizeof(err)), 0);
	db_close(db);
	schema_of(fresh, &want);

	for (int v = 0; v < db_schema_latest(); v++) {
		char name[32];
		snprintf(name, sizeof(name), "from-%d.db", v);
		path_of(path, sizeof(path), name);
		assert_int_equal(db_open_raw(&db, path, err, sizeof(err)), 0);
		assert_int_equal(db_migrate(db, v), 0);
		assert_int_equal(db_schema_version(db), v);
		db_close(db);
		assert_int_equal(db_open(&db, path, err, sizeof(err)), 0);
		assert_int_equal(db_schema_version(db), db_schema_latest());
		db_close(db);
		buf_reset(&got);
		schema_of(path, &got);
		assert_string_equal(buf_cstr(&want), buf_cstr(&got));
	}
	buf_release(&want);
	buf_release(&got);
}

static void test_db__newer_schema_is_refused(void **state)
{
	(void)state;
	char path[256], err[256];
	struct db *db;
	sqlite3 *h;
	path_of(path, sizeof(path), "future.db");
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "PRAGMA user_version = 999", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	assert_int_equal(db_open(&db, path, err, sizeof(err)), TD_ERR);
	assert_non_null(strstr(err, "newer"));
}

static void test_db__a_spool_of_a_newer_agent_is_refused(void **state)
{
	(void)state;
	char path[256], err[256] = "";
	struct db *db;
	path_of(path, sizeof(path), "newer-spool.db");
	assert_int_equal(db_open_schema(&db, path, "CREATE TABLE t (x);", 2, err, sizeof(err)), 0);
	db_close(db);
	/* An older agent (version 1) opening the newer one's file. */
	assert_int_not_equal(db_open_schema(&db, path, "CREATE TABLE t (x);", 1, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "newer"));
	/* Its own version still opens. */
	assert_int_equal(db_open_schema(&db, path, "CREATE TABLE t (x);", 2, err, sizeof(err)), 0);
	db_close(db);
}

static void test_db__wal_and_foreign_keys_are_on(void **state)
{
	(void)state;
	char path[256], err[256];
	struct db *db;
	int64_t id;
	path_of(path, sizeof(path), "fk.db");
	assert_int_equal(db_open(&db, path, err, sizeof(err)), 0);
	assert_int_equal(db_begin(db), 0);
	/* A store of an organisation that does not exist. */
	assert_int_equal(db_store_add(db, &id, 12345, "x", "", "Europe/Moscow", "24/7"), TD_EINVAL);
	db_rollback(db);
	db_close(db);
	char wal[300];
	snprintf(wal, sizeof(wal), "%s-wal", path);
	sqlite3 *h;
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	sqlite3_prepare_v2(h, "PRAGMA journal_mode", -1, &st, NULL);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	sqlite3_close(h);
}

static int count_events(const struct ticket_event_row *e, void *arg)
{
	(void)e;
	(*(int *)arg)++;
	return 0;
}

static void test_db__ticket_history_is_append_only(void **state)
{
	(void)state;
	char path[256], err[256];
	struct db *db;
	int64_t org, store, ticket;
	path_of(path, sizeof(path), "history.db");
	assert_int_equal(db_open(&db, path, err, sizeof(err)), 0);
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_org_add(db, &org, "Ромашка", "standard", NULL), 0);
	assert_int_equal(db_store_add(db, &store, org, "Ромашка-1", "", "Europe/Moscow", "24/7"), 0);
	struct ticket_new t = { .store_id = store, .source = "cli", .title = "Не печатает", .priority = 2 };
	assert_int_equal(db_ticket_open(db, &ticket, &t, 1000), 0);
	assert_int_equal(db_ticket_event(db, ticket, 1060, 0, HISTORY_CLAIMED, TICKET_CLAIMED, 2, 0, NULL), 0);
	assert_int_equal(db_commit(db), 0);
	db_close(db);

	sqlite3 *h;
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(h, "UPDATE ticket_events SET status = 'closed'", NULL, NULL, NULL), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(h, "DELETE FROM ticket_events", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);

	assert_int_equal(db_open(&db, path, err, sizeof(err)), 0);
	int n = 0;
	assert_int_equal(db_ticket_history(db, ticket, count_events, &n), 0);
	assert_int_equal(n, 2);
	db_close(db);
}

static int list_attachment(const struct attachment *a, void *arg)
{
	struct buf *b = arg;
	buf_printf(b, "%lld %s %lld %s %s|", (long long)a->id, a->name, (long long)a->size,
		   a->kept ? "kept" : "named", a->data ? "bytes" : "-");
	return 0;
}

static void test_attachments__bytes_only_when_asked_and_the_file_id_remembered(void **state)
{
	(void)state;
	char path[256], err[256];
	struct db *db;
	struct attachment a;
	struct buf listed = BUF_INIT(1024);
	int64_t org, store, ticket, kept, named, id;
	path_of(path, sizeof(path), "attachments.db");
	assert_int_equal(db_open(&db, path, err, sizeof(err)), 0);
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_org_add(db, &org, "Ромашка", "standard", NULL), 0);
	assert_int_equal(db_store_add(db, &store, org, "Ромашка-1", "", "Europe/Moscow", "24/7"), 0);
	struct ticket_new t = { .store_id = store, .source = "email", .title = "Чек", .priority = 3 };
	assert_int_equal(db_ticket_open(db, &ticket, &t, 1000), 0);
	assert_int_equal(db_attachment_add(db, ticket, "чек.jpg", "image/jpeg", "\xff\xd8\0\xff", 4,
					   1000, &kept), 0);
	assert_int_equal(db_attachment_add(db, ticket, "big.zip", "application/zip", NULL, 1u << 30,
					   1000, &named), 0);
	assert_int_equal(db_commit(db), 0);

	assert_int_equal(db_attachment_get(db, kept, false, &a), 0);
	assert_true(a.kept);
	assert_null(a.data);
	assert_null(a.file_id);
	attachment_release(&a);
	assert_int_equal(db_attachment_get(db, kept, true, &a), 0);
	assert_int_equal(a.size, 4);
	assert_memory_equal(a.data, "\xff\xd8\0\xff", 4);
	attachment_release(&a);
	assert_int_equal(db_attachment_get(db, named, true, &a), 0);
	assert_false(a.kept);
	assert_null(a.data);
	assert_int_equal(a.size, 1 << 30);
	attachment_release(&a);
	assert_int_equal(db_attachment_get(db, 999, false, &a), TD_ENOTFOUND);

	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_attachment_set_file(db, kept, "AgAC-big", "photo"), 0);
	assert_int_equal(db_commit(db), 0);
	assert_int_equal(db_attachment_get(db, kept, false, &a), 0);
	assert_string_equal(a.file_id, "AgAC-big");
	assert_string_equal(a.file_kind, "photo");
	attachment_release(&a);

	assert_int_equal(db_attachments_each(db, ticket, list_attachment, &listed), 0);
	char want[128];
	snprintf(want, sizeof(want), "%lld чек.jpg 4 kept -|%lld big.zip 1073741824 named -|",
		 (long long)kept, (long long)named);
	assert_string_equal(buf_cstr(&listed), want);
	buf_release(&listed);
	db_close(db);

	assert_true(attachment_ref_id("att:42", &id));
	assert_int_equal(id, 42);
	assert_false(attachment_ref_id("AgACAgIAAxkBAA", &id));
	assert_false(attachment_ref_id("att:", &id));
	assert_false(attachment_ref_id("att:4x", &id));
	assert_false(attachment_ref_id("att:-1", &id));
	assert_false(attachment_ref_id(NULL, &id));
}

static void test_db__settings_round_trip(void **state)
{
	(void)state;
	char path[256], err[256], v[64];
	struct db *db;
	path_of(path, sizeof(path), "settings.db");
	assert_int_equal(db_open(&db, path, err, sizeof(err)), 0);
	assert_int_equal(db_setting_get(db, "bot_username", v, sizeof(v)), TD_ENOTFOUND);
	assert_int_equal(db_setting_set(db, "bot_username", "till_bot"), 0);
	assert_int_equal(db_setting_set(db, "bot_username", "desk_bot"), 0);
	assert_int_equal(db_setting_get(db, "bot_username", v, sizeof(v)), 0);
	assert_string_equal(v, "desk_bot");
	db_close(db);
}

struct due_seen {
	int64_t id[16], chat[16];
	int n;
};

static int due_seen(const struct outbox_row *r, void *arg)
{
	struct due_seen *s = arg;
	s->id[s->n] = r->id;
	s->chat[s->n++] = r->n.chat_id;
	return 0;
}

static void add_row(struct db *db, int64_t chat)
{
	struct outbox_new m = { .n = { .kind = NOTICE_SAY, .chat_id = chat } };
	assert_int_equal(db_outbox_add(db, &m, 100), 0);
}

struct nested {
	struct db *db;
	int outer, inner;
};

static int count_row(const struct outbox_row *r, void *arg)
{
	(void)r;
	(*(int *)arg)++;
	return 0;
}

/* Runs the same query again while the outer statement is still stepping. */
static int due_again(const struct outbox_row *r, void *arg)
{
	struct nested *n = arg;
	(void)r;
	n->outer++;
	return db_outbox_due(n->db, 100, 16, count_row, &n->inner);
}

/* Each chat's oldest pending row, oldest chat first; rows without a chat each stand alone. */
static void test_outbox__due_gives_the_head_of_each_chat(void **state)
{
	(void)state;
	char path[256], err[256];
	struct db *db;
	struct due_seen s = { .n = 0 };
	path_of(path, sizeof(path), "due.db");
	assert_int_equal(db_open(&db, path, err, sizeof(err)), 0);
	/* ids 1..9: chats 7, -5, 7, 0 (none), 9, -5, 0, 7, 9 */
	static const int64_t chats[] = { 7, -5, 7, 0, 9, -5, 0, 7, 9 };
	for (size_t i = 0; i < ARRAY_SIZE(chats); i++)
		add_row(db, chats[i]);
	assert_int_equal(db_outbox_due(db, 100, 16, due_seen, &s), 0);
	assert_int_equal(s.n, 5);
	static const int64_t want_id[] = { 1, 2, 4, 5, 7 }, want_chat[] = { 7, -5, 0, 9, 0 };
	for (int i = 0; i < 5; i++) {
		assert_int_equal(s.id[i], want_id[i]);
		assert_int_equal(s.chat[i], want_chat[i]);
	}
	/* Sent, failed or waiting heads give way to the next row of their chat, or hold it. */
	assert_int_equal(db_outbox_sent(db, 1, 0, 100), 0);
	assert_int_equal(db_outbox_failed(db, 2, "gone"), 0);
	assert_int_equal(db_outbox_retry(db, 5, 200, "429"), 0);
	s.n = 0;
	assert_int_equal(db_outbox_due(db, 100, 16, due_seen, &s), 0);
	static const int64_t want2[] = { 3, 4, 6, 7 };
	assert_int_equal(s.n, 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(s.id[i], want2[i]);
	/* The limit counts rows. */
	s.n = 0;
	assert_int_equal(db_outbox_due(db, 100, 2, due_seen, &s), 0);
	assert_int_equal(s.n, 2);
	db_close(db);
}

/* A statement handed back is reused; one still in use is not handed out twice. */
static void test_db__statements_are_reused_and_nest(void **state)
{
	(void)state;
	char path[256], err[256], v[64];
	struct db *db;
	path_of(path, sizeof(path), "cache.db");
	assert_int_equal(db_open(&db, path, err, sizeof(err)), 0);
	for (int i = 0; i < 1000; i++) {
		char value[16];
		snprintf(value, sizeof(value), "%d", i);
		assert_int_equal(db_setting_set(db, "k", value), 0);
		assert_int_equal(db_setting_get(db, "k", v, sizeof(v)), 0);
		assert_string_equal(v, value);
	}
	struct nested n = { .db = db };
	add_row(db, 1);
	add_row(db, 2);
	assert_int_equal(db_outbox_due(db, 100, 16, due_again, &n), 0);
	assert_int_equal(n.outer, 2);
	assert_int_equal(n.inner, 4);
	/* And the cached statement still works afterwards. */
	n.outer = n.inner = 0;
	assert_int_equal(db_outbox_due(db, 100, 16, due_again, &n), 0);
	assert_int_equal(n.outer, 2);
	db_close(db);
}

static volatile int stopping;

static void *stop_soon(void *arg)
{
	(void)arg;
	usleep(100 * 1000);
	stopping = 1;
	return NULL;
}

/* The daemon's stop must not wait out the 5 s busy timeout behind another process's lock. */
static void test_db__a_stop_ends_the_wait_for_a_lock_held_elsewhere(void **state)
{
	(void)state;
	char path[256], err[256];
	struct db *holder, *waiter;
	struct timespec t0, t1;
	pthread_t th;
	path_of(path, sizeof(path), "busy.db");
	assert_int_equal(db_open(&holder, path, err, sizeof(err)), 0);
	assert_int_equal(db_open(&waiter, path, err, sizeof(err)), 0);
	assert_int_equal(db_begin(holder), 0);
	stopping = 0;
	db_stop_on(&stopping);
	pthread_create(&th, NULL, stop_soon, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(db_begin(waiter), TD_EBUSY);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_join(th, NULL);
	double took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_true(took >= 0.09 && took < 0.5);
	db_stop_on(NULL);
	db_rollback(holder);
	assert_int_equal(db_begin(waiter), 0);  /* without a stop, the lock is simply taken */
	db_rollback(waiter);
	db_close(waiter);
	db_close(holder);
}

static int count_ticket(const struct ticket_row *r, void *arg)
{
	(void)r;
	(*(int *)arg)++;
	return 0;
}

static int tickets_listed(struct db *db, struct ticket_filter f)
{
	int n = 0;
	assert_int_equal(db_ticket_list(db, &f, count_ticket, &n), 0);
	return n;
}

static void test_db__ticket_list_covers_every_store_only_when_told(void **state)
{
	(void)state;
	char path[256], err[256];
	struct db *db;
	int64_t org, one, two, ticket;
	path_of(path, sizeof(path), "filter.db");
	assert_int_equal(db_open(&db, path, err, sizeof(err)), 0);
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_org_add(db, &org, "Ромашка", "standard", NULL), 0);
	assert_int_equal(db_store_add(db, &one, org, "Ромашка-1", "", "Europe/Moscow", "24/7"), 0);
	assert_int_equal(db_store_add(db, &two, org, "Ромашка-2", "", "Europe/Moscow", "24/7"), 0);
	struct ticket_new t = { .store_id = one, .source = "cli", .title = "Не печатает", .priority = 2 };
	assert_int_equal(db_ticket_open(db, &ticket, &t, 1000), 0);
	t.store_id = two;
	assert_int_equal(db_ticket_open(db, &ticket, &t, 1000), 0);
	assert_int_equal(db_commit(db), 0);

	/* A person with no store (0) sees no store's tickets, not every store's. */
	assert_int_equal(tickets_listed(db, (struct ticket_filter){ .store_id = 0, .all_orgs = true }), 0);
	assert_int_equal(tickets_listed(db, (struct ticket_filter){ .store_id = one, .all_orgs = true }), 1);
	assert_int_equal(tickets_listed(db, (struct ticket_filter){ .all_stores = true, .org_id = org }), 2);
	assert_int_equal(tickets_listed(db, (struct ticket_filter){ .all_stores = true, .org_id = 0 }), 0);
	assert_int_equal(tickets_listed(db, (struct ticket_filter){ .all_stores = true, .all_orgs = true }), 2);
	db_close(db);
}

/* An empty file another account might point a link at: SQLite would make it a database. */
static void precious(char *out, size_t n, const char *name)
{
	path_of(out, n, name);
	FILE *f = fopen(out, "w");
	assert_non_null(f);
	fclose(f);
}

static off_t size_of(const char *path)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

static void test_db__a_link_at_the_database_is_refused_not_followed(void **state)
{
	(void)state;
	char target[256], path[256], err[256];
	struct db_file_check chk;
	struct db *db;
	precious(target, sizeof(target), "precious-1");
	path_of(path, sizeof(path), "linked.db");
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(db_check_files(&chk, path, geteuid()), TD_EINVAL);
	assert_int_equal(chk.fault, DB_FILE_SYMLINK);
	assert_string_equal(chk.path, path);
	assert_int_not_equal(db_open(&db, path, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "symbolic link"));
	assert_int_equal(size_of(target), 0);
}

static void test_db__a_link_at_the_wal_is_refused_not_followed(void **state)
{
	(void)state;
	char target[256], path[256], wal[256], err[256];
	struct db_file_check chk;
	struct db *db;
	precious(target, sizeof(target), "precious-2");
	path_of(path, sizeof(path), "wal-linked.db");
	path_of(wal, sizeof(wal), "wal-linked.db-wal");
	assert_int_equal(symlink(target, wal), 0);
	assert_int_equal(db_check_files(&chk, path, geteuid()), TD_EINVAL);
	assert_int_equal(chk.fault, DB_FILE_SYMLINK);
	assert_string_equal(chk.path, wal);
	assert_int_not_equal(db_open(&db, path, err, sizeof(err)), 0);
	assert_int_equal(size_of(target), 0);
}

static void test_db__files_of_another_account_are_refused(void **state)
{
	(void)state;
	char path[256];
	struct db_file_check chk;
	path_of(path, sizeof(path), "theirs.db");
	/* The directory is ours; for any other account it is foreign. */
	assert_int_equal(db_check_files(&chk, path, geteuid() + 1), TD_EINVAL);
	assert_int_equal(chk.fault, DB_FILE_FOREIGN);
	assert_string_equal(chk.path, dir);
	assert_int_equal(chk.owner, geteuid());
}

static void test_db__our_own_files_pass_and_the_path_is_resolved(void **state)
{
	(void)state;
	char path[256], linkdir[256], via[300], want[PATH_MAX + 16], real[PATH_MAX];
	struct db_file_check chk;
	struct db *db;
	char err[256];
	path_of(path, sizeof(path), "ours.db");
	assert_int_equal(db_open(&db, path, err, sizeof(err)), 0);
	assert_int_equal(db_check_files(&chk, path, geteuid()), 0);
	assert_int_equal(chk.fault, DB_FILE_OK);
	/* Directories above the database's own are the admin's layout: resolved. */
	snprintf(linkdir, sizeof(linkdir), "%s-link", dir);
	assert_int_equal(symlink("/tmp", linkdir), 0);
	snprintf(via, sizeof(via), "%s/%s/ours.db", linkdir, strrchr(dir, '/') + 1);
	assert_int_equal(db_check_files(&chk, via, geteuid()), 0);
	assert_non_null(realpath(dir, real));
	snprintf(want, sizeof(want), "%s/ours.db", real);
	assert_string_equal(chk.resolved, want);
	/* The database's own directory as a link is refused. */
	snprintf(via, sizeof(via), "%s/ours.db", linkdir);
	unlink(linkdir);
	assert_int_equal(symlink(dir, linkdir), 0);
	assert_int_equal(db_check_files(&chk, via, geteuid()), TD_EINVAL);
	assert_int_equal(chk.fault, DB_FILE_SYMLINK);
	unlink(linkdir);
	db_close(db);
}

static void test_db__a_backup_is_its_owners_alone_and_never_written_through_a_link(void **state)
{
	(void)state;
	char path[256], copy[256], target[256], link[256], err[256];
	struct stat st;
	struct db *db;
	mode_t old = umask(022);
	path_of(path, sizeof(path), "source.db");
	path_of(copy, sizeof(copy), "copy.db");
	assert_int_equal(db_open(&db, path, err, sizeof(err)), 0);
	assert_int_equal(db_backup(db, copy, err, sizeof(err)), 0);
	assert_int_equal(stat(copy, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);

	precious(target, sizeof(target), "precious-3");
	path_of(link, sizeof(link), "link.db");
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(db_backup(db, link, err, sizeof(err)), TD_EINVAL);
	assert_non_null(strstr(err, "symbolic link"));
	assert_int_equal(size_of(target), 0);
	db_close(db);
	umask(old);
}

/* ---- people and their access ---- */

/* A chain with one store, a cashier (tg 11) and engineers X (tg 21) and Y (tg 22). */
static struct db *people_db(const char *name, int64_t *store, int64_t *x, int64_t *y)
{
	char path[256], err[256], hash[65];
	struct db *db;
	int64_t org, invite, cashier;
	path_of(path, sizeof(path), name);
	assert_int_equal(db_open(&db, path, err, sizeof(err)), 0);
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_org_add(db, &org, "Ромашка", "standard", NULL), 0);
	assert_int_equal(db_store_add(db, store, org, "Магазин", "", "Europe/Moscow", "24/7"), 0);
	const struct { const char *code, *role; int64_t tg, *out; } who[] = {
		{ "c", "cashier", 11, &cashier }, { "x", "engineer", 21, x }, { "y", "engineer", 22, y },
	};
	for (size_t i = 0; i < ARRAY_SIZE(who); i++) {
		memset(hash, who[i].code[0], 64);
		hash[64] = '\0';
		assert_int_equal(db_invite_add(db, &invite, hash, who[i].role,
					       strcmp(who[i].role, "cashier") ? 0 : *store, org, 1000), 0);
		assert_int_equal(db_invite_redeem(db, who[i].out, hash, who[i].tg, who[i].code, 100), 0);
	}
	assert_int_equal(db_commit(db), 0);
	return db;
}

static void open_ticket(struct db *db, int64_t store, int64_t *out)
{
	struct ticket_new t = { .store_id = store, .source = "cli", .title = "касса", .priority = 3 };
	assert_int_equal(db_ticket_open(db, out, &t, 100), 0);
}

static int disabled_at_of(const struct person_row *r, void *arg)
{
	*(int64_t *)arg = r->disabled_at;
	return 0;
}

static void test_person__disabled_person_cannot_redeem_an_invite(void **state)
{
	(void)state;
	int64_t store, x, y, invite, who, at = -1;
	char hash[65];
	struct db *db = people_db("redeem.db", &store, &x, &y);
	memset(hash, 'n', 64);
	hash[64] = '\0';
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_person_set_disabled(db, x, 150), 0);
	assert_int_equal(db_invite_add(db, &invite, hash, "admin", 0, 0, 1000), 0);
	assert_int_equal(db_invite_redeem(db, &who, hash, 21, "X", 200), TD_EDENIED);
	assert_int_equal(db_person_get(db, x, disabled_at_of, &at), 0);
	assert_int_equal(at, 150);
	/* The link is still good for someone allowed in. */
	assert_int_equal(db_invite_redeem(db, &who, hash, 31, "Z", 200), 0);
	assert_int_equal(db_commit(db), 0);
	db_close(db);
}

struct flags_seen {
	bool blocked;
	int64_t disabled_at, last_seen_at;
};

static int flags_of(const struct person_row *r, void *arg)
{
	struct flags_seen *f = arg;
	f->blocked = r->blocked;
	f->disabled_at = r->disabled_at;
	f->last_seen_at = r->last_seen_at;
	return 0;
}

static void test_person__a_private_message_clears_blocked_never_disabled(void **state)
{
	(void)state;
	int64_t store, x, y;
	struct flags_seen f;
	struct db *db = people_db("blocked.db", &store, &x, &y);
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_person_blocked_tg(db, 21), 0);
	assert_int_equal(db_person_set_disabled(db, x, 150), 0);
	/* In the group: seen, still blocked. */
	assert_int_equal(db_person_seen_tg(db, 21, 160, false), 0);
	assert_int_equal(db_person_get(db, x, flags_of, &f), 0);
	assert_true(f.blocked);
	assert_int_equal(f.last_seen_at, 160);
	/* In private: no longer blocked; still disabled. */
	assert_int_equal(db_person_seen_tg(db, 21, 170, true), 0);
	assert_int_equal(db_person_get(db, x, flags_of, &f), 0);
	assert_false(f.blocked);
	assert_int_equal(f.disabled_at, 150);
	assert_int_equal(f.last_seen_at, 170);
	assert_int_equal(db_commit(db), 0);
	db_close(db);
}

static int count_person(const struct person_row *r, void *arg)
{
	(void)r;
	(*(int *)arg)++;
	return 0;
}

static void test_person__list_filters_by_org_store_and_role(void **state)
{
	(void)state;
	int64_t store, x, y, org2, store2;
	int n;
	struct db *db = people_db("list.db", &store, &x, &y);
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_org_add(db, &org2, "Лютик", "standard", NULL), 0);
	assert_int_equal(db_store_add(db, &store2, org2, "Лютик-1", "", "Europe/Moscow", "24/7"), 0);
	assert_int_equal(db_commit(db), 0);
	const struct { struct person_filter f; int want; } cases[] = {
		{ { 0 }, 3 },
		{ { .role = "engineer" }, 2 },
		{ { .store_id = store }, 1 },
		{ { .org_id = 1 }, 3 },  /* an invite gives engineers the org it was made for */
		{ { .org_id = org2 }, 0 },
		{ { .store_id = store2 }, 0 },
		{ { .store_id = store, .role = "engineer" }, 0 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		n = 0;
		assert_int_equal(db_person_list(db, &cases[i].f, count_person, &n), 0);
		assert_int_equal(n, cases[i].want);
	}
	db_close(db);
}

static bool has_column(const char *path, const char *table, const char *column)
{
	char sql[128];
	sqlite3 *h;
	sqlite3_stmt *st;
	bool found = false;
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	snprintf(sql, sizeof(sql), "SELECT 1 FROM pragma_table_info('%s') WHERE name = '%s'", table,
		 column);
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	sqlite3_close(h);
	return found;
}

/* A person marked inactive by a 403 before the split is "blocked" after it, and enabled. */
static void test_person__migration_keeps_blocked_and_enables_everyone(void **state)
{
	(void)state;
	char path[256], err[256];
	struct db *db;
	bool added = false;
	path_of(path, sizeof(path), "split.db");
	assert_int_equal(db_open_raw(&db, path, err, sizeof(err)), 0);
	for (int v = 1; v <= db_schema_latest(); v++) {
		assert_int_equal(db_migrate(db, v), 0);
		if (!added && has_column(path, "people", "active")) {
			sqlite3 *h;
			assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
			assert_int_equal(sqlite3_exec(h, "INSERT INTO people(tg_user_id, name, role, active,"
						      " created_at) VALUES (5, 'Анна', 'cashier', 0, 1),"
						      " (6, 'Борис', 'cashier', 1, 1)", NULL, NULL, NULL),
					 SQLITE_OK);
			sqlite3_close(h);
			added = true;
		}
	}
	assert_true(added);
	assert_false(has_column(path, "people", "active"));
	struct flags_seen f;
	assert_int_equal(db_person_by_tg(db, 5, flags_of, &f), 0);
	assert_true(f.blocked);
	assert_int_equal(f.disabled_at, 0);
	assert_int_equal(db_person_by_tg(db, 6, flags_of, &f), 0);
	assert_false(f.blocked);
	db_close(db);
}

static void test_person__history_is_append_only(void **state)
{
	(void)state;
	int64_t store, x, y;
	char path[256];
	sqlite3 *h;
	struct db *db = people_db("phist.db", &store, &x, &y);
	assert_int_equal(db_begin(db), 0);
	/* Each kind's stored text is one the schema takes, and reads back as that kind. */
	for (int k = 0; k < PERSON_EVENT_KIND_COUNT; k++) {
		enum person_event_kind back;
		assert_int_equal(db_person_event(db, x, 150 + k, (enum person_event_kind)k, "root", NULL,
						 NULL), 0);
		assert_int_equal(person_event_kind_parse(&back, person_event_kind_name((enum person_event_kind)k)), 0);
		assert_int_equal(back, k);
	}
	assert_int_equal(db_commit(db), 0);
	db_close(db);
	path_of(path, sizeof(path), "phist.db");
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	/* A kind the enum does not have does not compile; the schema refuses it from anyone else. */
	assert_int_not_equal(sqlite3_exec(h, "INSERT INTO person_events(person_id, at, kind, actor)"
					  " VALUES (1, 160, 'fired', 'root')", NULL, NULL, NULL), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(h, "UPDATE person_events SET actor = 'nobody'", NULL, NULL,
					  NULL), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(h, "DELETE FROM person_events", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
}

/* ---- a ticket's stored state ---- */

/*
 * Replays every history row, oldest first, into the state it leaves, and
 * asserts that each ticket holds exactly that state and that the counts per
 * status agree. Read through SQLite itself: the storage API is under test.
 */
static void assert_state_is_the_replay(const char *path)
{
	enum { MAX_TICKETS = 64 };
	struct { char status[16]; int priority; int64_t assignee; bool seen; } want[MAX_TICKETS] = { 0 };
	sqlite3 *h;
	sqlite3_stmt *st;
	int tickets = 0;
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, "SELECT ticket_id, status, priority,"
					    " coalesce(assignee_id, 0) FROM ticket_events ORDER BY id",
					    -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		assert_in_range(id, 1, MAX_TICKETS - 1);
		snprintf(want[id].status, sizeof(want[id].status), "%s", sqlite3_column_text(st, 1));
		want[id].priority = sqlite3_column_int(st, 2);
		want[id].assignee = sqlite3_column_int64(st, 3);
		want[id].seen = true;
	}
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_prepare_v2(h, "SELECT id, coalesce(status, ''), priority,"
					    " coalesce(assignee_id, 0) FROM tickets", -1, &st, NULL),
			 SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		assert_true(want[id].seen);
		assert_string_equal(sqlite3_column_text(st, 1), want[id].status);
		assert_int_equal(sqlite3_column_int(st, 2), want[id].priority);
		assert_int_equal(sqlite3_column_int64(st, 3), want[id].assignee);
		tickets++;
	}
	sqlite3_finalize(st);
	assert_true(tickets > 0);
	/* The counts per status are those of the tickets. */
	assert_int_equal(sqlite3_prepare_v2(h, "SELECT count(*) FROM (SELECT status, count(*) AS n"
					    " FROM tickets GROUP BY status EXCEPT"
					    " SELECT status, n FROM ticket_counts WHERE n > 0)", -1, &st,
					    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
}

static void test_ticket__stored_state_is_the_replay_of_its_history(void **state)
{
	(void)state;
	int64_t store, x, y, t[6];
	char path[256];
	struct db *db = people_db("replay.db", &store, &x, &y);
	assert_int_equal(db_begin(db), 0);
	for (int i = 0; i < 6; i++)
		open_ticket(db, store, &t[i]);
	assert_int_equal(db_ticket_event(db, t[0], 110, x, HISTORY_CLAIMED, TICKET_CLAIMED, 2, x, NULL), 0);
	assert_int_equal(db_ticket_event(db, t[1], 111, y, HISTORY_CLAIMED, TICKET_CLAIMED, 3, y, NULL), 0);
	assert_int_equal(db_ticket_event(db, t[1], 112, y, HISTORY_RESOLVED, TICKET_RESOLVED, 3, y, "ok"), 0);
	assert_int_equal(db_ticket_event(db, t[2], 113, x, HISTORY_CLAIMED, TICKET_CLAIMED, 1, x, NULL), 0);
	assert_int_equal(db_ticket_event(db, t[3], 114, y, HISTORY_RESOLVED, TICKET_RESOLVED, 3, y, NULL), 0);
	assert_int_equal(db_ticket_event(db, t[3], 115, 0, HISTORY_CONFIRMED, TICKET_CLOSED, 3, y, NULL), 0);
	assert_int_equal(db_ticket_event(db, t[4], 116, 0, HISTORY_PRIORITY, TICKET_NEW, 1, 0, NULL), 0);
	assert_int_equal(db_commit(db), 0);
	/* X's claimed tickets go back to the queue, as the engine requeues them. */
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_ticket_event(db, t[0], 120, 0, HISTORY_REQUEUED, TICKET_NEW, 2, 0, "access revoked"), 0);
	assert_int_equal(db_ticket_event(db, t[2], 120, 0, HISTORY_REQUEUED, TICKET_NEW, 1, 0, "access revoked"), 0);
	assert_int_equal(db_ticket_event(db, t[5], 121, y, HISTORY_CLAIMED, TICKET_CLAIMED, 4, y, NULL), 0);
	assert_int_equal(db_commit(db), 0);
	db_close(db);
	path_of(path, sizeof(path), "replay.db");
	assert_state_is_the_replay(path);
}

/*
 * The schema version that adds column to table, found by migrating a
 * scratch file one version at a time (the lead may renumber migrations).
 */
static int version_adding(const char *table, const char *column)
{
	char path[256], err[256], sql[256];
	struct db *db;
	sqlite3 *h;
	int64_t has = 0;
	path_of(path, sizeof(path), "versions.db");
	assert_int_equal(db_open_raw(&db, path, err, sizeof(err)), 0);
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM pragma_table_info('%s') WHERE name = '%s'",
		 table, column);
	int v;
	for (v = 1; v <= db_schema_latest(); v++) {
		assert_int_equal(db_migrate(db, v), 0);
		sqlite3_stmt *st;
		assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		has = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		if (has)
			break;
	}
	sqlite3_close(h);
	db_close(db);
	assert_true(has);
	return v;
}

static void test_ticket__migration_stores_the_state_of_existing_tickets(void **state)
{
	(void)state;
	char path[256], err[256];
	struct db *db;
	sqlite3 *h;
	int stored_state = version_adding("tickets", "status");
	path_of(path, sizeof(path), "backfill.db");
	assert_int_equal(db_open_raw(&db, path, err, sizeof(err)), 0);
	assert_int_equal(db_migrate(db, stored_state - 1), 0);
	db_close(db);
	/* Tickets written before the state was stored: only their history knows it. */
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h,
		"INSERT INTO orgs(id, name, created_at) VALUES (1, 'Ромашка', 1);"
		"INSERT INTO stores(id, org_id, name, timezone, hours, created_at)"
		" VALUES (1, 1, 'Магазин', 'Europe/Moscow', '24/7', 1);"
		"INSERT INTO people(id, tg_user_id, name, role, created_at) VALUES (7, 21, 'X', 'engineer', 1);"
		"INSERT INTO tickets(id, store_id, source, title, created_at) VALUES"
		" (1, 1, 'cli', 'a', 100), (2, 1, 'cli', 'b', 100), (3, 1, 'cli', 'c', 100);"
		"INSERT INTO ticket_events(ticket_id, at, actor_id, kind, status, priority, assignee_id) VALUES"
		" (1, 100, NULL, 'opened', 'new', 3, NULL), (2, 100, NULL, 'opened', 'new', 3, NULL),"
		" (3, 100, NULL, 'opened', 'new', 2, NULL), (2, 110, 7, 'claimed', 'claimed', 3, 7),"
		" (3, 111, 7, 'claimed', 'claimed', 1, 7), (3, 112, 7, 'resolved', 'resolved', 1, 7),"
		" (1, 113, 7, 'claimed', 'claimed', 4, 7), (3, 114, NULL, 'closed', 'closed', 1, 7),"
		" (1, 115, NULL, 'requeued', 'new', 4, NULL);", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	assert_int_equal(db_open(&db, path, err, sizeof(err)), 0);
	db_close(db);
	assert_state_is_the_replay(path);
}

static int last_words(const struct ticket_event_row *e, void *arg)
{
	char *out = arg;
	snprintf(out, 256, "%s|%s|%s", e->body, e->msg_key, e->args);
	return 0;
}

static void test_ticket__history_keeps_the_desks_words_as_a_key_and_a_persons_as_text(void **state)
{
	(void)state;
	int64_t store, x, y, t;
	char words[256];
	struct db *db = people_db("words.db", &store, &x, &y);
	const struct history_words revoked = { .msg_key = "HISTORY_ACCESS_REVOKED", .args = "t1:X," };
	assert_int_equal(db_begin(db), 0);
	open_ticket(db, store, &t);
	assert_int_equal(db_ticket_history(db, t, last_words, words), 0);
	assert_string_equal(words, "касса||");
	assert_int_equal(db_ticket_event_words(db, t, 110, 0, HISTORY_REQUEUED, TICKET_NEW, 3, 0,
					       &revoked), 0);
	assert_int_equal(db_ticket_history(db, t, last_words, words), 0);
	assert_string_equal(words, "|HISTORY_ACCESS_REVOKED|t1:X,");
	/* Written before rows kept keys: the text as it was. */
	assert_int_equal(db_ticket_event(db, t, 120, 0, HISTORY_REQUEUED, TICKET_NEW, 3, 0,
					 "доступ отключён: X"), 0);
	assert_int_equal(db_ticket_history(db, t, last_words, words), 0);
	assert_string_equal(words, "доступ отключён: X||");
	assert_int_equal(db_commit(db), 0);
	db_close(db);
}

static int queue_id(const struct ticket_row *r, void *arg)
{
	int64_t *ids = arg;
	while (*ids)
		ids++;
	*ids = r->id;
	return 0;
}

static void test_ticket__queue_gives_the_nearest_deadlines_then_the_oldest_and_counts_all(void **state)
{
	(void)state;
	int64_t store, x, y, t[6], got[8] = { 0 };
	int total = -1;
	struct db *db = people_db("queue.db", &store, &x, &y);
	assert_int_equal(db_begin(db), 0);
	for (int i = 0; i < 6; i++)
		open_ticket(db, store, &t[i]);
	/* t0: due at 900 (its reaction met, its resolution later); t1: 500; t3: 700 and 600. */
	const struct { int i; enum sla_kind kind; int64_t due; } timers[] = {
		{ 0, SLA_REACTION, 300 }, { 0, SLA_RESOLUTION, 900 }, { 1, SLA_RESOLUTION, 500 },
		{ 3, SLA_REACTION, 700 }, { 3, SLA_RESOLUTION, 600 }, { 4, SLA_REACTION, 400 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(timers); i++) {
		struct sla_timer tm = { t[timers[i].i], timers[i].kind, 3600, 100, timers[i].due,
					timers[i].due - 60, 0, 0, 0, 0 };
		assert_int_equal(db_sla_set(db, &tm), 0);
	}
	assert_int_equal(db_sla_met(db, t[0], SLA_REACTION, 150, 50), 0);
	/* t4 is resolved: out of the queue; t2 and t5 have no deadline; X holds t3 and t5. */
	assert_int_equal(db_ticket_event(db, t[4], 120, y, HISTORY_RESOLVED, TICKET_RESOLVED, 3, y, NULL), 0);
	assert_int_equal(db_ticket_event(db, t[3], 121, x, HISTORY_CLAIMED, TICKET_CLAIMED, 3, x, NULL), 0);
	assert_int_equal(db_ticket_event(db, t[5], 122, x, HISTORY_CLAIMED, TICKET_CLAIMED, 3, x, NULL), 0);
	assert_int_equal(db_commit(db), 0);

	assert_int_equal(db_ticket_queue(db, 0, 0, &total, queue_id, got), 0);
	int64_t all[] = { t[1], t[3], t[0], t[2], t[5], 0 };
	assert_memory_equal(got, all, sizeof(all));
	assert_int_equal(total, 5);
	/* The head only, yet every open ticket counted. */
	memset(got, 0, sizeof(got));
	assert_int_equal(db_ticket_queue(db, 0, 2, &total, queue_id, got), 0);
	int64_t head[] = { t[1], t[3], 0 };
	assert_memory_equal(got, head, sizeof(head));
	assert_int_equal(total, 5);
	/* One with a deadline, then past the deadlines: the oldest without one. */
	memset(got, 0, sizeof(got));
	assert_int_equal(db_ticket_queue(db, 0, 4, &total, queue_id, got), 0);
	int64_t four[] = { t[1], t[3], t[0], t[2], 0 };
	assert_memory_equal(got, four, sizeof(four));
	/* X's own. */
	memset(got, 0, sizeof(got));
	assert_int_equal(db_ticket_queue(db, x, 30, &total, queue_id, got), 0);
	int64_t mine[] = { t[3], t[5], 0 };
	assert_memory_equal(got, mine, sizeof(mine));
	assert_int_equal(total, 2);
	db_close(db);
}

static void test_ticket__a_routed_queue_lists_and_counts_its_routes_or_all_but_them(void **state)
{
	(void)state;
	static const char *const routes[] = { "fiscal", "egais", NULL, "fiscal", "later-group", "pos" };
	int64_t store, x, y, t[6], got[8] = { 0 };
	int total = -1;
	struct db *db = people_db("routes.db", &store, &x, &y);
	assert_int_equal(db_begin(db), 0);
	for (int i = 0; i < 6; i++) {
		struct ticket_new n = { .store_id = store, .source = "cli", .title = "касса", .priority = 3,
					.route = routes[i] };
		assert_int_equal(db_ticket_open(db, &t[i], &n, 100 + i), 0);
	}
	/* The last fiscal one is resolved: out of every queue. */
	assert_int_equal(db_ticket_event(db, t[3], 120, y, HISTORY_RESOLVED, TICKET_RESOLVED, 3, y, NULL), 0);
	assert_int_equal(db_commit(db), 0);
	char route[32];
	assert_int_equal(db_ticket_route(db, t[0], route, sizeof(route)), 0);
	assert_string_equal(route, "fiscal");
	assert_int_equal(db_ticket_route(db, t[2], route, sizeof(route)), 0);
	assert_string_equal(route, "");

	const struct ticket_routes fiscal_egais = { 1u << ROUTE_FISCAL | 1u << ROUTE_EGAIS, false };
	assert_int_equal(db_ticket_queue_routed(db, 0, &fiscal_egais, 30, &total, queue_id, got), 0);
	int64_t theirs[] = { t[0], t[1], 0 };
	assert_memory_equal(got, theirs, sizeof(theirs));
	assert_int_equal(total, 2);
	/* All but them: no route, a route this build does not know, pos. Counted the same. */
	const struct ticket_routes rest = { 1u << ROUTE_FISCAL | 1u << ROUTE_EGAIS, true };
	memset(got, 0, sizeof(got));
	assert_int_equal(db_ticket_queue_routed(db, 0, &rest, 1, &total, queue_id, got), 0);
	int64_t first[] = { t[2], 0 };
	assert_memory_equal(got, first, sizeof(first));
	assert_int_equal(total, 3);
	memset(got, 0, sizeof(got));
	assert_int_equal(db_ticket_queue_routed(db, 0, &rest, 30, &total, queue_id, got), 0);
	int64_t others[] = { t[2], t[4], t[5], 0 };
	assert_memory_equal(got, others, sizeof(others));
	/* No routes: every open ticket. */
	memset(got, 0, sizeof(got));
	assert_int_equal(db_ticket_queue_routed(db, 0, NULL, 30, &total, queue_id, got), 0);
	assert_int_equal(total, 5);
	db_close(db);
}

static void test_ticket__an_agent_finds_its_unfinished_ticket_by_till_and_check(void **state)
{
	(void)state;
	int64_t store, x, y, till, other, first, second, found = 0;
	struct db *db = people_db("agent.db", &store, &x, &y);
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_till_add(db, &till, store, "Касса 1", "hash-1"), 0);
	assert_int_equal(db_till_add(db, &other, store, "Касса 2", "hash-2"), 0);
	struct ticket_new t = { .store_id = store, .till_id = till, .source = "agent",
				.title = "ФН заполнен", .priority = 2, .agent_check = "fiscal_drive" };
	assert_int_equal(db_ticket_open(db, &first, &t, 100), 0);
	assert_int_equal(db_commit(db), 0);

	assert_int_equal(db_ticket_open_for_check(db, till, "fiscal_drive", &found), 0);
	assert_int_equal(found, first);
	assert_int_equal(db_ticket_open_for_check(db, till, "printer", &found), TD_ENOTFOUND);
	assert_int_equal(db_ticket_open_for_check(db, other, "fiscal_drive", &found), TD_ENOTFOUND);
	/* Resolved, it is still the one to update; closed, it is not. */
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_ticket_event(db, first, 110, x, HISTORY_RESOLVED, TICKET_RESOLVED, 2, x, NULL), 0);
	assert_int_equal(db_commit(db), 0);
	assert_int_equal(db_ticket_open_for_check(db, till, "fiscal_drive", &found), 0);
	assert_int_equal(found, first);
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_ticket_event(db, first, 120, 0, HISTORY_CONFIRMED, TICKET_CLOSED, 2, x, NULL), 0);
	assert_int_equal(db_commit(db), 0);
	assert_int_equal(db_ticket_open_for_check(db, till, "fiscal_drive", &found), TD_ENOTFOUND);
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_ticket_open(db, &second, &t, 130), 0);
	assert_int_equal(db_commit(db), 0);
	assert_int_equal(db_ticket_open_for_check(db, till, "fiscal_drive", &found), 0);
	assert_int_equal(found, second);
	db_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_db__empty_file_migrates_to_latest),
		cmocka_unit_test(test_db__every_earlier_version_migrates_to_the_same_schema),
		cmocka_unit_test(test_db__newer_schema_is_refused),
		cmocka_unit_test(test_db__a_spool_of_a_newer_agent_is_refused),
		cmocka_unit_test(test_db__wal_and_foreign_keys_are_on),
		cmocka_unit_test(test_db__ticket_history_is_append_only),
		cmocka_unit_test(test_db__settings_round_trip),
		cmocka_unit_test(test_attachments__bytes_only_when_asked_and_the_file_id_remembered),
		cmocka_unit_test(test_outbox__due_gives_the_head_of_each_chat),
		cmocka_unit_test(test_db__statements_are_reused_and_nest),
		cmocka_unit_test(test_db__a_stop_ends_the_wait_for_a_lock_held_elsewhere),
		cmocka_unit_test(test_db__ticket_list_covers_every_store_only_when_told),
		cmocka_unit_test(test_db__a_link_at_the_database_is_refused_not_followed),
		cmocka_unit_test(test_db__a_link_at_the_wal_is_refused_not_followed),
		cmocka_unit_test(test_db__files_of_another_account_are_refused),
		cmocka_unit_test(test_db__our_own_files_pass_and_the_path_is_resolved),
		cmocka_unit_test(test_db__a_backup_is_its_owners_alone_and_never_written_through_a_link),
		cmocka_unit_test(test_person__disabled_person_cannot_redeem_an_invite),
		cmocka_unit_test(test_person__a_private_message_clears_blocked_never_disabled),
		cmocka_unit_test(test_person__list_filters_by_org_store_and_role),
		cmocka_unit_test(test_person__migration_keeps_blocked_and_enables_everyone),
		cmocka_unit_test(test_person__history_is_append_only),
		cmocka_unit_test(test_ticket__stored_state_is_the_replay_of_its_history),
		cmocka_unit_test(test_ticket__migration_stores_the_state_of_existing_tickets),
		cmocka_unit_test(test_ticket__history_keeps_the_desks_words_as_a_key_and_a_persons_as_text),
		cmocka_unit_test(test_ticket__queue_gives_the_nearest_deadlines_then_the_oldest_and_counts_all),
		cmocka_unit_test(test_ticket__a_routed_queue_lists_and_counts_its_routes_or_all_but_them),
		cmocka_unit_test(test_ticket__an_agent_finds_its_unfinished_ticket_by_till_and_check),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
