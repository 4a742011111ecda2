/* Unit tests: opening, migrating and protecting the database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <unistd.h>

#include "core/buf.h"
#include "storage/chain.h"
#include "storage/db.h"
#include "storage/ticket.h"

static char dir[] = "/tmp/tilldesk-storage-XXXXXX";

static void path_of(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", dir, name);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/tilldesk-storage-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
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
	assert_int_equal(db_ticket_event(db, ticket, 1060, 0, "claimed", TICKET_CLAIMED, 2, 0, NULL), 0);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_db__empty_file_migrates_to_latest),
		cmocka_unit_test(test_db__every_earlier_version_migrates_to_the_same_schema),
		cmocka_unit_test(test_db__newer_schema_is_refused),
		cmocka_unit_test(test_db__wal_and_foreign_keys_are_on),
		cmocka_unit_test(test_db__ticket_history_is_append_only),
		cmocka_unit_test(test_db__settings_round_trip),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
