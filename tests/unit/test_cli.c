/*
 * Unit tests: each admin command's effect on the database, and what bad
 * arguments do (a clear message, a non-zero exit, nothing written).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "core/token.h"
#include "storage/chain.h"
#include "storage/ticket.h"

static char dir[] = "/tmp/tilldesk-cli-XXXXXX";
static char cfg_path[256], db_path[256];
static char *out_text, *err_text;

static void write_config(const char *extra)
{
	FILE *f = fopen(cfg_path, "w");
	fprintf(f, "[general]\nlanguage = en\ndatabase = %s\n[telegram]\nbot_username = till_help_bot\n%s",
		db_path, extra);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/tilldesk-cli-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(cfg_path, sizeof(cfg_path), "%s/tilldesk.ini", dir);
	snprintf(db_path, sizeof(db_path), "%s/desk.db", dir);
	write_config("");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	free(out_text);
	free(err_text);
	out_text = err_text = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

/* Runs "tilldesk -c CFG args..." in-process; output lands in out_text/err_text. */
static int run(const char *first, ...)
{
	char *argv[32] = { "tilldesk", "-c", cfg_path };
	int argc = 3;
	va_list ap;
	va_start(ap, first);
	for (const char *a = first; a && argc < 31; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;

	size_t on, en;
	free(out_text);
	free(err_text);
	FILE *out = open_memstream(&out_text, &on);
	FILE *err = open_memstream(&err_text, &en);
	int rc = cli_main(argc, argv, out, err);
	fclose(out);
	fclose(err);
	return rc;
}

#define assert_contains(hay, needle) \
	do { if (!strstr((hay), (needle))) fail_msg("'%s' not in:\n%s", (needle), (hay)); } while (0)

static struct db *open_db(void)
{
	struct db *db;
	char err[256];
	assert_int_equal(db_open(&db, db_path, err, sizeof(err)), 0);
	return db;
}

static int count_org(const struct org_row *r, void *arg) { (void)r; (*(int *)arg)++; return 0; }
static int count_store(const struct store_row *r, void *arg) { (void)r; (*(int *)arg)++; return 0; }
static int count_till(const struct till_row *r, void *arg) { (void)r; (*(int *)arg)++; return 0; }

static int orgs(void)
{
	int n = 0;
	struct db *db = open_db();
	db_org_list(db, count_org, &n);
	db_close(db);
	return n;
}

static int stores(void)
{
	int n = 0;
	struct db *db = open_db();
	db_store_list(db, 0, count_store, &n);
	db_close(db);
	return n;
}

/* A chain to work on: org Ромашка, store Ромашка-1, till Касса 1. */
static void make_chain(void)
{
	assert_int_equal(run("org", "add", "Ромашка", "--tier", "gold", "--owner", "boss@romashka.ru", NULL), 0);
	assert_int_equal(run("store", "add", "Ромашка-1", "--org", "Ромашка", "--tz", "Asia/Vladivostok",
			     "--hours", "Mon-Fri 09:00-21:00, Sat 10:00-18:00", "--address", "ул. Светланская, 1",
			     NULL), 0);
	assert_int_equal(run("till", "add", "Касса 1", "--store", "Ромашка-1", NULL), 0);
}

static void test_cli__init_creates_the_database(void **state)
{
	(void)state;
	assert_int_equal(run("init", NULL), 0);
	assert_contains(out_text, db_path);
	struct db *db = open_db();
	assert_int_equal(db_schema_version(db), db_schema_latest());
	db_close(db);
	assert_int_equal(run("init", NULL), 0);
}

static int grab_org(const struct org_row *r, void *arg)
{
	snprintf(arg, 512, "%s|%s|%s", r->name, r->tier, r->owners);
	return 0;
}

static void test_cli__org_add_stores_tier_and_owners(void **state)
{
	(void)state;
	char got[512] = "";
	assert_int_equal(run("org", "add", "Ромашка", "--tier", "gold", "--owner", "a@x.ru",
			     "--owner", "b@x.ru", NULL), 0);
	assert_contains(out_text, "Organisation #1 'Ромашка' added");
	struct db *db = open_db();
	db_org_list(db, grab_org, got);
	db_close(db);
	assert_string_equal(got, "Ромашка|gold|a@x.ru, b@x.ru");
	assert_int_equal(run("org", "list", NULL), 0);
	assert_contains(out_text, "Ромашка");
}

static void test_cli__org_add_twice_is_refused(void **state)
{
	(void)state;
	assert_int_equal(run("org", "add", "Ромашка", NULL), 0);
	assert_int_equal(run("org", "add", "Ромашка", NULL), EXIT_FAIL);
	assert_contains(err_text, "exists already");
	assert_int_equal(orgs(), 1);
}

static void test_cli__org_add_bad_arguments_write_nothing(void **state)
{
	(void)state;
	assert_int_equal(run("org", "add", "X", "--owner", "not-an-email", NULL), EXIT_USAGE);
	assert_contains(err_text, "'not-an-email' is not an e-mail address");
	assert_int_equal(run("org", "add", "X", "--tier", "Gold Plus", NULL), EXIT_USAGE);
	assert_int_equal(run("org", "add", "", NULL), EXIT_USAGE);
	assert_int_equal(run("org", "add", "bad\xff", NULL), EXIT_USAGE);
	assert_contains(err_text, "UTF-8");
	assert_int_equal(run("org", "add", "a\tb", NULL), EXIT_USAGE);
	assert_int_equal(run("org", "add", NULL), EXIT_USAGE);
	assert_int_equal(run("org", "add", "X", "--bogus", NULL), EXIT_USAGE);
	assert_contains(err_text, "unknown option '--bogus'");
	assert_int_equal(run("org", "add", "X", "--tier", NULL), EXIT_USAGE);
	assert_contains(err_text, "needs a value");
	assert_int_equal(orgs(), 0);
}

static void test_cli__sql_metacharacters_are_just_text(void **state)
{
	(void)state;
	const char *name = "Ромашка'); DROP TABLE orgs; --";
	char got[512] = "";
	assert_int_equal(run("org", "add", name, NULL), 0);
	struct db *db = open_db();
	db_org_list(db, grab_org, got);
	db_close(db);
	assert_string_equal(got, "Ромашка'); DROP TABLE orgs; --|standard|");
	assert_int_equal(run("store", "list", "--org", name, NULL), 0);
}

static int grab_store(const struct store_row *r, void *arg)
{
	snprintf(arg, 512, "%s|%s|%s|%s", r->name, r->timezone, r->hours, r->address);
	return 0;
}

static void test_cli__store_add_keeps_zone_and_canonical_hours(void **state)
{
	(void)state;
	char got[512] = "";
	assert_int_equal(run("org", "add", "Ромашка", NULL), 0);
	assert_int_equal(run("store", "add", "Ночной", "--org", "1", "--tz", "Europe/Kaliningrad",
			     "--hours", "пн-пт 9:00-21:00, Fri 22:00-02:00", NULL), 0);
	struct db *db = open_db();
	db_store_list(db, 0, grab_store, got);
	db_close(db);
	assert_contains(got, "Ночной|Europe/Kaliningrad|");
	assert_contains(got, "Fri 22:00-02:00");
}

static void test_cli__store_add_bad_zone_or_hours_writes_nothing(void **state)
{
	(void)state;
	assert_int_equal(run("org", "add", "Ромашка", NULL), 0);
	assert_int_equal(run("store", "add", "S", "--org", "Ромашка", "--tz", "Europe/Mosc0w",
			     "--hours", "24/7", NULL), EXIT_USAGE);
	assert_contains(err_text, "time zone 'Europe/Mosc0w'");
	assert_int_equal(run("store", "add", "S", "--org", "Ромашка", "--tz", "../../etc/passwd",
			     "--hours", "24/7", NULL), EXIT_USAGE);
	assert_int_equal(run("store", "add", "S", "--org", "Ромашка", "--tz", "Europe/Moscow",
			     "--hours", "Mon-Fri 25:00-26:00", NULL), EXIT_USAGE);
	assert_contains(err_text, "working hours 'Mon-Fri 25:00-26:00'");
	assert_int_equal(run("store", "add", "S", "--org", "Нет такой", "--tz", "Europe/Moscow",
			     "--hours", "24/7", NULL), EXIT_FAIL);
	assert_contains(err_text, "organisation 'Нет такой' not found");
	assert_int_equal(run("store", "add", "S", "--org", "Ромашка", "--hours", "24/7", NULL), EXIT_USAGE);
	assert_int_equal(stores(), 0);
}

static void test_cli__till_add_prints_the_token_once_and_stores_its_hash(void **state)
{
	(void)state;
	char hash[65];
	int64_t till;
	make_chain();
	const char *token = strstr(out_text, "tdk_");
	assert_non_null(token);
	char tok[128];
	snprintf(tok, sizeof(tok), "%.*s", (int)strcspn(token, "\n"), token);
	token_hash(hash, tok);
	struct db *db = open_db();
	assert_int_equal(db_till_by_token(db, &till, hash), 0);
	assert_int_equal(db_till_by_token(db, &till, tok), TD_ENOTFOUND);
	db_close(db);
	/* The token is nowhere in the file. */
	FILE *f = fopen(db_path, "rb");
	static char file[1 << 20];
	size_t n = fread(file, 1, sizeof(file), f);
	fclose(f);
	assert_null(memmem(file, n, tok, strlen(tok)));
	/* And never printed again. */
	assert_int_equal(run("till", "list", NULL), 0);
	assert_null(strstr(out_text, "tdk_"));
	assert_contains(out_text, "Касса 1");
}

static void test_cli__till_add_needs_an_existing_store(void **state)
{
	(void)state;
	int n = 0;
	assert_int_equal(run("till", "add", "K", "--store", "Нет", NULL), EXIT_FAIL);
	assert_int_equal(run("till", "add", "K", NULL), EXIT_USAGE);
	make_chain();
	assert_int_equal(run("till", "add", "Касса 1", "--store", "Ромашка-1", NULL), EXIT_FAIL);
	assert_contains(err_text, "has a till 'Касса 1' already");
	struct db *db = open_db();
	db_till_list(db, 0, count_till, &n);
	db_close(db);
	assert_int_equal(n, 1);
}

static void test_cli__equipment_add_and_expiring_list(void **state)
{
	(void)state;
	make_chain();
	clock_set(1798761600); /* 2027-01-01 */
	assert_int_equal(run("equipment", "add", "--till", "Касса 1", "--kind", "fn", "--model", "ФН-1.1М 15",
			     "--serial", "7380440700123456", "--expires", "2027-01-20", NULL), 0);
	assert_int_equal(run("equipment", "add", "--till", "Касса 1", "--kind", "kkt", "--model", "АТОЛ 30Ф",
			     NULL), 0);
	assert_int_equal(run("equipment", "add", "--till", "Касса 1", "--kind", "key", "--expires",
			     "2027-06-01", NULL), 0);
	assert_int_equal(run("equipment", "list", "--expiring-within", "30d", NULL), 0);
	assert_contains(out_text, "7380440700123456");
	assert_null(strstr(out_text, "АТОЛ 30Ф"));
	assert_null(strstr(out_text, "2027-06-01"));
	assert_int_equal(run("equipment", "list", NULL), 0);
	assert_contains(out_text, "АТОЛ 30Ф");
	assert_contains(out_text, "2027-06-01");
	clock_set(0);

	assert_int_equal(run("equipment", "add", "--till", "Касса 1", "--kind", "toaster", NULL), EXIT_USAGE);
	assert_int_equal(run("equipment", "add", "--till", "Касса 1", "--kind", "fn", "--expires",
			     "2027-02-30", NULL), EXIT_USAGE);
	assert_contains(err_text, "YYYY-MM-DD");
	assert_int_equal(run("equipment", "add", "--till", "Касса 9", "--kind", "fn", NULL), EXIT_FAIL);
	assert_int_equal(run("equipment", "list", NULL), 0);
	assert_null(strstr(out_text, "toaster"));
}

static void test_cli__invite_prints_a_one_time_link(void **state)
{
	(void)state;
	char hash[65], code[64];
	int64_t person;
	make_chain();
	clock_set(1798761600);
	assert_int_equal(run("invite", "--role", "cashier", "--store", "Ромашка-1", "--ttl", "1h", NULL), 0);
	const char *prefix = "https://t.me/till_help_bot?start=";
	const char *link = strstr(out_text, prefix);
	assert_non_null(link);
	link += strlen(prefix);
	snprintf(code, sizeof(code), "%.*s", (int)strcspn(link, "\n"), link);
	assert_true(strlen(code) >= 16 && strlen(code) <= 64);
	token_hash(hash, code);

	struct db *db = open_db();
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_invite_redeem(db, &person, hash, 777, "Анна", clock_now() + 3601), TD_ENOTFOUND);
	assert_int_equal(db_invite_redeem(db, &person, hash, 777, "Анна", clock_now() + 60), 0);
	assert_int_equal(db_invite_redeem(db, &person, hash, 778, "Борис", clock_now() + 60), TD_ENOTFOUND);
	assert_int_equal(db_commit(db), 0);
	db_close(db);
	clock_set(0);
}

static void test_cli__invite_bad_arguments(void **state)
{
	(void)state;
	make_chain();
	assert_int_equal(run("invite", "--role", "cashier", NULL), EXIT_USAGE);
	assert_contains(err_text, "needs a store");
	assert_int_equal(run("invite", "--role", "king", NULL), EXIT_USAGE);
	assert_int_equal(run("invite", "--role", "owner", NULL), EXIT_USAGE);
	assert_int_equal(run("invite", "--store", "Ромашка-1", "--ttl", "soon", NULL), EXIT_USAGE);
	assert_int_equal(run("invite", "--role", "engineer", NULL), 0);
	assert_contains(out_text, "start=");
}

static void test_cli__ticket_list_and_show(void **state)
{
	(void)state;
	int64_t store, ticket;
	make_chain();
	struct db *db = open_db();
	assert_int_equal(db_store_find(db, &store, 0, "Ромашка-1"), 0);
	assert_int_equal(db_begin(db), 0);
	struct ticket_new t = { .store_id = store, .source = "cli", .title = "Ошибка ФН 235", .priority = 1 };
	assert_int_equal(db_ticket_open(db, &ticket, &t, 1798761600), 0);
	assert_int_equal(db_commit(db), 0);
	db_close(db);

	assert_int_equal(run("ticket", "list", "--open", NULL), 0);
	assert_contains(out_text, "Ошибка ФН 235");
	assert_int_equal(run("ticket", "show", "1", NULL), 0);
	assert_contains(out_text, "Ticket #1: Ошибка ФН 235");
	/* Opened 2027-01-01 00:00 UTC is 10:00 in Vladivostok. */
	assert_contains(out_text, "2027-01-01 10:00");
	assert_contains(out_text, "opened");
	assert_int_equal(run("ticket", "show", "#1", NULL), 0);
	assert_int_equal(run("ticket", "show", "99", NULL), EXIT_FAIL);
	assert_contains(err_text, "ticket '99' not found");
	assert_int_equal(run("ticket", "show", "1; DROP TABLE tickets", NULL), EXIT_USAGE);
	assert_int_equal(run("ticket", "list", "--store", "Ромашка-2", NULL), EXIT_FAIL);
}

static void test_cli__backup_is_a_complete_database(void **state)
{
	(void)state;
	char copy[300], err[256];
	struct db *db;
	int n = 0;
	make_chain();
	snprintf(copy, sizeof(copy), "%s/copy.db", dir);
	assert_int_equal(run("backup", copy, NULL), 0);
	assert_int_equal(db_open(&db, copy, err, sizeof(err)), 0);
	db_till_list(db, 0, count_till, &n);
	db_close(db);
	assert_int_equal(n, 1);
	assert_int_equal(run("backup", "/nonexistent-dir/x.db", NULL), EXIT_FAIL);
	assert_contains(err_text, "backup failed");
}

static void test_cli__unknown_commands_and_help(void **state)
{
	(void)state;
	assert_int_equal(run("frobnicate", NULL), EXIT_USAGE);
	assert_contains(err_text, "unknown command 'frobnicate'");
	assert_int_equal(run("org", "remove", NULL), EXIT_USAGE);
	assert_contains(err_text, "'org' has no subcommand 'remove'");
	const char *cmds[][3] = {
		{ "org", "add", "--help" }, { "store", "add", "--help" }, { "till", "add", "--help" },
		{ "equipment", "add", "--help" }, { "invite", "--help", NULL }, { "ticket", "list", "--help" },
		{ "backup", "--help", NULL }, { "init", "--help", NULL }, { "config", "--help", NULL },
	};
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		assert_int_equal(run(cmds[i][0], cmds[i][1], cmds[i][2], NULL), 0);
		assert_contains(out_text, "Usage: tilldesk");
	}
	assert_int_equal(run("--help", NULL), 0);
	assert_contains(out_text, "Commands:");
}

static void test_cli__config_typo_stops_with_file_and_line(void **state)
{
	(void)state;
	write_config("tokne = x\n");
	assert_int_equal(run("org", "list", NULL), EXIT_FAIL);
	char want[300];
	snprintf(want, sizeof(want), "%s:6: unknown key 'tokne' in [telegram]", cfg_path);
	assert_contains(err_text, want);
	write_config("[smtp]\nport = 99999\n");
	assert_int_equal(run("org", "list", NULL), EXIT_FAIL);
	snprintf(want, sizeof(want), "%s:7: smtp.port: '99999' is not an integer", cfg_path);
	assert_contains(err_text, want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cli__init_creates_the_database, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cli__org_add_stores_tier_and_owners, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cli__org_add_twice_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cli__org_add_bad_arguments_write_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cli__sql_metacharacters_are_just_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cli__store_add_keeps_zone_and_canonical_hours, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cli__store_add_bad_zone_or_hours_writes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cli__till_add_prints_the_token_once_and_stores_its_hash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cli__till_add_needs_an_existing_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cli__equipment_add_and_expiring_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cli__invite_prints_a_one_time_link, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cli__invite_bad_arguments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cli__ticket_list_and_show, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cli__backup_is_a_complete_database, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cli__unknown_commands_and_help, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cli__config_typo_stops_with_file_and_line, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
