/*
 * Unit tests: each admin command's effect on the database, and what bad
 * arguments do (a clear message, a non-zero exit, nothing written).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "scratch.h"
#include "cli/cli.h"
#include "core/clock.h"
#include "core/token.h"
#include "storage/chain.h"
#include "storage/owners.h"
#include "storage/sla.h"
#include "storage/ticket.h"

static char dir[] = "/tmp/tilldesk-cli-XXXXXX";
static char cfg_path[256], db_path[256];

#include "cli_run.h"

static void write_config_in(const char *language, const char *extra)
{
	FILE *f = fopen(cfg_path, "w");
	fprintf(f, "[general]\nlanguage = %s\ndatabase = %s\n[telegram]\nbot_username = till_help_bot\n%s",
		language, db_path, extra);
	fclose(f);
}

static void write_config(const char *extra)
{
	write_config_in("en", extra);
}

static int setup(void **state)
{
	(void)state;
	if (scratch_make(dir, sizeof(dir), "cli"))
		return -1;
	snprintf(cfg_path, sizeof(cfg_path), "%s/tilldesk.ini", dir);
	snprintf(db_path, sizeof(db_path), "%s/desk.db", dir);
	write_config("");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(out_text);
	free(err_text);
	out_text = err_text = NULL;
	return scratch_remove(dir);
}


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

/* What the alerting asks when a fault opens at a store: does its organisation tell the store? */
static bool store_is_told(const char *store)
{
	int64_t id;
	bool on = true;
	struct db *db = open_db();
	assert_int_equal(db_store_find(db, &id, 0, store), 0);
	assert_int_equal(db_org_tell_store(db, id, &on), 0);
	db_close(db);
	return on;
}

static void test_cli__org_set_tell_store_switches_what_the_stores_are_told(void **state)
{
	(void)state;
	make_chain();
	assert_false(store_is_told("Ромашка-1"));
	assert_int_equal(run("org", "list", NULL), 0);
	assert_contains(out_text, "tell store");
	assert_contains(out_text, "gold       1        no");

	assert_int_equal(run("org", "set", "Ромашка", "--tell-store", "yes", NULL), 0);
	assert_contains(out_text, "Organisation #1: tell a store's cashiers of its P1 and P2 faults — yes.");
	assert_true(store_is_told("Ромашка-1"));
	assert_int_equal(run("org", "list", NULL), 0);
	assert_contains(out_text, "gold       1        yes");

	/* Bad arguments change nothing. */
	assert_int_equal(run("org", "set", "Ромашка", "--tell-store", "maybe", NULL), EXIT_USAGE);
	assert_contains(err_text, "'maybe': use yes or no");
	assert_int_equal(run("org", "set", "Ромашка", NULL), EXIT_USAGE);
	assert_int_equal(run("org", "set", "Лютик", "--tell-store", "no", NULL), EXIT_FAIL);
	assert_true(store_is_told("Ромашка-1"));

	assert_int_equal(run("org", "set", "1", "--tell-store", "no", NULL), 0);
	assert_false(store_is_told("Ромашка-1"));

	/* Set when the organisation is added. */
	assert_int_equal(run("org", "add", "Лютик", "--tell-store", "yes", NULL), 0);
	assert_int_equal(run("store", "add", "Лютик-1", "--org", "Лютик", "--tz", "Europe/Moscow",
			     "--hours", "24/7", NULL), 0);
	assert_true(store_is_told("Лютик-1"));
	assert_int_equal(run("org", "set", "--help", NULL), 0);
	assert_contains(out_text, "Usage: tilldesk org set ORG [--tell-store yes|no] [--timezone ZONE]");
}

static int grab_owner(const struct owner_row *r, void *arg)
{
	char *s = arg;
	size_t n = strlen(s);
	snprintf(s + n, 1024 - n, "%s|%s|%s|%d%d%d;", r->email, r->name, r->language,
		 r->wants[OWNER_MAIL_DIGEST], r->wants[OWNER_MAIL_BREACH], r->wants[OWNER_MAIL_EXPIRY]);
	return 0;
}

/* The organisation's owners as stored: "email|name|language|digest breach expiry;" each. */
static const char *owners_of(int64_t org_id)
{
	static char s[1024];
	s[0] = '\0';
	struct db *db = open_db();
	assert_int_equal(db_owner_list(db, org_id, grab_owner, s), 0);
	db_close(db);
	return s;
}

static void test_cli__org_owner_commands_set_each_owners_letters_and_refuse_bad_input(void **state)
{
	(void)state;
	make_chain();
	/* An owner given to org add has every letter, in the config's language. */
	assert_string_equal(owners_of(1), "boss@romashka.ru|||111;");
	assert_int_equal(run("org", "owner", "add", "Ромашка", "olga@romashka.ru", "--name", "Ольга Петрова",
			     "--lang", "ru", NULL), 0);
	assert_contains(out_text, "Organisation #1: owner olga@romashka.ru added.");
	assert_int_equal(run("org", "owner", "set", "Ромашка", "boss@romashka.ru", "--breach", "off",
			     "--lang", "en", "--name", "Boss", NULL), 0);
	assert_contains(out_text, "Organisation #1: owner boss@romashka.ru changed.");
	assert_int_equal(run("org", "owner", "set", "1", "olga@romashka.ru", "--expiry", "off",
			     "--digest", "off", NULL), 0);
	const char *want = "boss@romashka.ru|Boss|en|101;olga@romashka.ru|Ольга Петрова|ru|010;";
	assert_string_equal(owners_of(1), want);
	assert_int_equal(run("org", "owner", "list", "Ромашка", NULL), 0);
	assert_contains(out_text, "address                        name                 language");
	assert_contains(out_text, "olga@romashka.ru               Ольга Петрова        ru               off      on         off");

	/* Refusals: each says why, and nothing changes. */
	struct { const char *args[8]; int rc; const char *why; } bad[] = {
		{ { "org", "owner", "add", "Лютик", "x@lutik.ru" }, EXIT_FAIL, "organisation 'Лютик' not found" },
		{ { "org", "owner", "add", "Ромашка", "not-an-address" }, EXIT_USAGE,
		  "'not-an-address' is not an e-mail address" },
		{ { "org", "owner", "add", "Ромашка", "ольга@ромашка.рф" }, EXIT_USAGE, "is not an e-mail address" },
		{ { "org", "owner", "add", "Ромашка", "olga@romashka.ru" }, EXIT_FAIL,
		  "organisation #1 has owner olga@romashka.ru already" },
		{ { "org", "owner", "add", "Ромашка", "new@romashka.ru", "--lang", "de" }, EXIT_USAGE,
		  "'de': use ru or en" },
		{ { "org", "owner", "set", "Ромашка", "olga@romashka.ru", "--sms", "on" }, EXIT_USAGE,
		  "unknown option '--sms'" },
		{ { "org", "owner", "set", "Ромашка", "olga@romashka.ru", "--breach", "maybe" }, EXIT_USAGE,
		  "'maybe': use on or off" },
		{ { "org", "owner", "set", "Ромашка", "olga@romashka.ru" }, EXIT_USAGE, "Usage: tilldesk org owner set" },
		{ { "org", "owner", "set", "Ромашка", "nobody@romashka.ru", "--digest", "off" }, EXIT_FAIL,
		  "organisation #1 has no owner nobody@romashka.ru" },
		{ { "org", "owner", "remove", "Ромашка", "nobody@romashka.ru" }, EXIT_FAIL,
		  "organisation #1 has no owner nobody@romashka.ru" },
		{ { "org", "owner", "forget", "Ромашка" }, EXIT_USAGE, "has no subcommand 'forget'" },
		{ { "org", "owner", "list" }, EXIT_USAGE, "Usage: tilldesk org owner list ORG" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		const char *const *a = bad[i].args;
		assert_int_equal(run(a[0], a[1], a[2], a[3], a[4], a[5], a[6], NULL), bad[i].rc);
		assert_contains(err_text, bad[i].why);
		assert_string_equal(owners_of(1), want);
	}

	/* An owner added before addresses were checked as letters need can still be removed. */
	struct db *db = open_db();
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_owner_add(db, 1, "ольга@ромашка.рф", NULL, NULL), 0);
	assert_int_equal(db_commit(db), 0);
	db_close(db);
	assert_int_equal(run("org", "owner", "remove", "Ромашка", "ольга@ромашка.рф", NULL), 0);
	assert_string_equal(owners_of(1), want);

	assert_int_equal(run("org", "owner", "remove", "Ромашка", "boss@romashka.ru", NULL), 0);
	assert_contains(out_text, "Organisation #1: owner boss@romashka.ru removed.");
	assert_string_equal(owners_of(1), "olga@romashka.ru|Ольга Петрова|ru|010;");
	assert_int_equal(run("org", "owner", "--help", NULL), 0);
	assert_contains(out_text, "Usage: tilldesk org owner add|set|remove|list");
	assert_int_equal(run("org", "--help", NULL), 0);
	assert_contains(out_text, "owner add|set|remove|list ORG");
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

/* ---- report sla ---- */

#define NOV18 1794960000   /* 2026-11-18 00:00 UTC */

struct timed {
	int64_t budget, used, breached_at;  /* used 0: not met */
	bool none;                          /* no such timer */
};
#define TIMED(budget, used, breached_at) ((struct timed){ budget, used, breached_at, false })

/*
 * A ticket as the dialog would leave it: opened at, assigned to engineer
 * (0: nobody), its two timers, and a sla_breach history row per breach.
 */
static void ticket_with(struct db *db, int64_t store, int priority, int64_t at, int64_t engineer,
			struct timed reaction, struct timed resolution)
{
	int64_t id;
	struct ticket_new t = { .store_id = store, .source = "cli", .title = "Сбой", .priority = priority };
	assert_int_equal(db_ticket_open(db, &id, &t, at), 0);
	if (engineer)
		assert_int_equal(db_ticket_event(db, id, at + 1, engineer, HISTORY_CLAIMED, TICKET_CLAIMED,
						 priority, engineer, NULL), 0);
	const struct timed *timers[] = { &reaction, &resolution };
	for (int k = 0; k < 2; k++) {
		const struct timed *x = timers[k];
		if (x->none)
			continue;
		struct sla_timer st = { .ticket_id = id, .kind = (enum sla_kind)k, .budget = x->budget,
					.started_at = at, .due_at = at + x->budget };
		assert_int_equal(db_sla_set(db, &st), 0);
		if (x->used)
			assert_int_equal(db_sla_met(db, id, (enum sla_kind)k, at + x->used, x->used), 0);
		if (x->breached_at) {
			assert_int_equal(db_sla_noticed(db, id, (enum sla_kind)k, SLA_BREACH, x->breached_at), 0);
			assert_int_equal(db_ticket_event(db, id, x->breached_at, 0, HISTORY_SLA_BREACH,
							 engineer ? TICKET_CLAIMED : TICKET_NEW, priority,
							 engineer, sla_kind_name((enum sla_kind)k)), 0);
		}
	}
}

static int64_t engineer_named(const char *name)
{
	sqlite3 *h;
	char sql[256];
	assert_int_equal(sqlite3_open(db_path, &h), SQLITE_OK);
	snprintf(sql, sizeof(sql), "INSERT INTO people(name, role, created_at) VALUES ('%s', 'engineer', 0)",
		 name);
	assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	int64_t id = sqlite3_last_insert_rowid(h);
	sqlite3_close(h);
	return id;
}

/* The CSV line that starts with prefix, without its CRLF. */
static const char *csv_line(const char *prefix)
{
	static char line[512];
	for (const char *p = out_text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, prefix, strlen(prefix)))
			continue;
		size_t n = strcspn(p, "\r\n");
		assert_true(n < sizeof(line));
		memcpy(line, p, n);
		line[n] = '\0';
		assert_int_equal(p[n], '\r');
		return line;
	}
	fail_msg("no line '%s' in:\n%s", prefix, out_text);
	return NULL;
}

/*
 * Five tickets in two organisations: the report's counts, nearest-rank
 * medians and 90th percentiles, in-time shares and breaches per group;
 * the period is the store's dates; --org keeps one organisation.
 */
static void test_cli__report_sla_figures_per_group(void **state)
{
	(void)state;
	int64_t moscow, vladivostok, other, org2;
	assert_int_equal(run("init", NULL), 0);
	int64_t ivan = engineer_named("Иван"), petr = engineer_named("Пётр");
	struct db *db = open_db();
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_org_add(db, &org2, "Ромашка", "standard", NULL), 0);
	assert_int_equal(db_store_add(db, &moscow, org2, "Москва-1", "", "Europe/Moscow", "24/7"), 0);
	assert_int_equal(db_store_add(db, &vladivostok, org2, "Владивосток-1", "", "Asia/Vladivostok",
				      "24/7"), 0);
	assert_int_equal(db_org_add(db, &org2, "=Лютик, \"ООО\"", "standard", NULL), 0);
	assert_int_equal(db_store_add(db, &other, org2, "Лютик-1", "", "Europe/Moscow", "24/7"), 0);
	struct timed none = { .none = true };
	ticket_with(db, moscow, 3, NOV18 + 3600, ivan, TIMED(900, 60, 0),
		    TIMED(14400, 600, 0));
	ticket_with(db, moscow, 3, NOV18 + 7200, ivan, TIMED(120, 300, NOV18 + 7320),
		    TIMED(14400, 1200, 0));
	/* 2026-11-17 15:00 UTC is the 18th, 01:00, in Vladivostok: in the period. */
	ticket_with(db, vladivostok, 1, NOV18 - 9 * 3600, petr, TIMED(900, 30, 0),
		    TIMED(600, 0, NOV18 - 9 * 3600 + 600));
	ticket_with(db, other, 4, NOV18 + 3600, 0, none, none);
	/* The 30th, 20:00 UTC, is December 1st in Vladivostok: out of it. */
	ticket_with(db, vladivostok, 3, NOV18 + 12 * 86400 + 20 * 3600, petr,
		    TIMED(900, 60, 0), none);
	assert_int_equal(db_commit(db), 0);
	db_close(db);

	assert_int_equal(run("report", "sla", "--from", "2026-11-18", "--to", "2026-11-30",
			     "--format", "csv", NULL), 0);
	assert_string_equal(csv_line("section,"), "section,group,tickets,reaction_median_s,reaction_p90_s,"
			    "reaction_in_time,reaction_counted,resolution_median_s,resolution_p90_s,"
			    "resolution_in_time,resolution_counted,breaches");
	/* Reaction used 30, 60, 300 s: median 60, p90 300; 300 was a breach. */
	assert_string_equal(csv_line("total,"), "total,total,4,60,300,2,3,600,1200,2,3,2");
	assert_string_equal(csv_line("organisation,Ромашка,"),
			    "organisation,Ромашка,3,60,300,2,3,600,1200,2,3,2");
	assert_string_equal(csv_line("organisation,\""),
			    "organisation,\"'=Лютик, \"\"ООО\"\"\",1,,,0,0,,,0,0,0");
	assert_string_equal(csv_line("store,Ромашка · Москва-1,"),
			    "store,Ромашка · Москва-1,2,60,300,1,2,600,1200,2,2,1");
	assert_string_equal(csv_line("store,Ромашка · Владивосток-1,"),
			    "store,Ромашка · Владивосток-1,1,30,30,1,1,,,0,1,1");
	assert_string_equal(csv_line("priority,P1,"), "priority,P1,1,30,30,1,1,,,0,1,1");
	assert_string_equal(csv_line("priority,P3,"), "priority,P3,2,60,300,1,2,600,1200,2,2,1");
	assert_string_equal(csv_line("engineer,Иван,"), "engineer,Иван,2,60,300,1,2,600,1200,2,2,1");
	assert_string_equal(csv_line("engineer,(not taken),"), "engineer,(not taken),1,,,0,0,,,0,0,0");

	assert_int_equal(run("report", "sla", "--from", "2026-11-18", "--to", "2026-11-30", NULL), 0);
	assert_contains(out_text, "67% (2/3)");
	assert_contains(out_text, "1 min");
	assert_contains(out_text, "20 min");

	assert_int_equal(run("report", "sla", "--from", "2026-11-18", "--to", "2026-12-01",
			     "--org", "Ромашка", "--format", "csv", NULL), 0);
	assert_string_equal(csv_line("total,"), "total,total,4,60,300,3,4,600,1200,2,3,2");
	assert_null(strstr(out_text, "Лютик"));

	assert_int_equal(run("report", "sla", "--from", "2025-01-01", "--to", "2025-01-31", NULL), 0);
	assert_contains(out_text, "No tickets in this period.");
}

static void test_cli__report_sla_bad_arguments(void **state)
{
	(void)state;
	assert_int_equal(run("init", NULL), 0);
	const char *bad[][8] = {
		{ "report", "sla", "--from", "2026-11-01", NULL },
		{ "report", "sla", "--from", "2026-11-31", "--to", "2026-12-01", NULL },
		{ "report", "sla", "--from", "2026-12-02", "--to", "2026-12-01", NULL },
		{ "report", "sla", "--from", "2026-11-01", "--to", "2026-12-01", "--format", "xls" },
		{ "report", "sla", "--from", "'; DROP TABLE tickets; --", "--to", "2026-12-01", NULL },
		{ "report", "sla", "extra", "--from", "2026-11-01", "--to", "2026-12-01", NULL },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(run(bad[i][0], bad[i][1], bad[i][2], bad[i][3], bad[i][4], bad[i][5],
				     bad[i][6], bad[i][7], NULL), EXIT_USAGE);
		assert_string_equal(out_text, "");
		assert_true(*err_text);
	}
	assert_int_equal(run("report", "sla", "--from", "2026-11-01", "--to", "2026-12-01",
			     "--org", "Нет такой", NULL), EXIT_FAIL);
	assert_contains(err_text, "not found");
	assert_int_equal(run("report", "--help", NULL), 0);
	assert_contains(out_text, "report sla");
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


/* Registers a person as their invite would (Telegram id tg); returns their id. */
static int64_t joins(struct db *db, const char *name, const char *role, int64_t store, int64_t tg)
{
	char hash[65];
	int64_t invite, person;
	snprintf(hash, sizeof(hash), "%064lld", (long long)tg);
	assert_int_equal(db_invite_add(db, &invite, hash, role, store, 0, clock_now() + 3600), 0);
	assert_int_equal(db_invite_redeem(db, &person, hash, tg, name, clock_now()), 0);
	return person;
}

static void test_cli__person_disable_requeues_and_enable_restores(void **state)
{
	(void)state;
	int64_t store, ticket, ivan;
	write_config("engineers_chat = -100\n");
	make_chain();
	struct db *db = open_db();
	assert_int_equal(db_store_find(db, &store, 0, "Ромашка-1"), 0);
	assert_int_equal(db_begin(db), 0);
	joins(db, "Анна", "cashier", store, 11);
	ivan = joins(db, "Иван", "engineer", 0, 21);
	joins(db, "Иван", "engineer", 0, 22);
	struct ticket_new t = { .store_id = store, .source = "cli", .title = "чек", .priority = 3 };
	assert_int_equal(db_ticket_open(db, &ticket, &t, clock_now()), 0);
	assert_int_equal(db_ticket_event(db, ticket, clock_now(), ivan, HISTORY_CLAIMED, TICKET_CLAIMED, 3,
					 ivan, NULL), 0);
	assert_int_equal(db_commit(db), 0);
	db_close(db);

	assert_int_equal(run("person", "list", NULL), 0);
	assert_contains(out_text, "Анна");
	assert_contains(out_text, "Ромашка-1");
	assert_contains(out_text, "enabled");
	assert_int_equal(run("person", "list", "--role", "cashier", NULL), 0);
	assert_null(strstr(out_text, "Иван"));
	assert_int_equal(run("person", "list", "--store", "Ромашка-1", NULL), 0);
	assert_null(strstr(out_text, "Иван"));
	assert_contains(out_text, "Анна");

	/* Two Ivans: the name asks for the id. */
	assert_int_equal(run("person", "disable", "Иван", NULL), EXIT_FAIL);
	assert_contains(err_text, "person 'Иван' matches several; give its id");
	char id[24];
	snprintf(id, sizeof(id), "%lld", (long long)ivan);
	assert_int_equal(run("person", "disable", id, NULL), 0);
	assert_contains(out_text, "Tickets put back into the queue: 1");
	assert_int_equal(run("person", "list", "--role", "engineer", NULL), 0);
	assert_contains(out_text, "disabled");
	assert_int_equal(run("person", "disable", id, NULL), 0);
	assert_contains(out_text, "already revoked");

	sqlite3 *h;
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_open(db_path, &h), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, "SELECT (SELECT status || ':' || coalesce(assignee_id, 0)"
					    " FROM ticket_state), (SELECT count(*) FROM outbox WHERE chat_id = -100),"
					    " (SELECT group_concat(kind) FROM person_events WHERE actor <> '')",
					    -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "new:0");
	assert_int_equal(sqlite3_column_int(st, 1), 2);  /* the card's edit and the notice */
	assert_string_equal((const char *)sqlite3_column_text(st, 2), "disabled");
	sqlite3_finalize(st);
	sqlite3_close(h);

	assert_int_equal(run("person", "enable", id, NULL), 0);
	assert_contains(out_text, "restored");
	assert_int_equal(run("person", "enable", id, NULL), 0);
	assert_contains(out_text, "has access already");
}

static void test_cli__ticket_history_speaks_the_readers_language(void **state)
{
	(void)state;
	int64_t store, ticket, ivan;
	write_config_in("ru", "engineers_chat = -100\n");
	make_chain();
	struct db *db = open_db();
	assert_int_equal(db_store_find(db, &store, 0, "Ромашка-1"), 0);
	assert_int_equal(db_begin(db), 0);
	ivan = joins(db, "Иван", "engineer", 0, 21);
	struct ticket_new t = { .store_id = store, .source = "cli", .title = "чек", .priority = 3 };
	assert_int_equal(db_ticket_open(db, &ticket, &t, clock_now()), 0);
	assert_int_equal(db_ticket_event(db, ticket, clock_now(), ivan, HISTORY_CLAIMED, TICKET_CLAIMED, 3,
					 ivan, NULL), 0);
	/* A row written before history kept keys: its text, in the language of its day. */
	assert_int_equal(db_ticket_event(db, ticket, clock_now(), ivan, HISTORY_NOTE, TICKET_CLAIMED, 3,
					 ivan, "доступ отключён: Пётр"), 0);
	assert_int_equal(db_commit(db), 0);
	db_close(db);
	assert_int_equal(run("person", "disable", "Иван", NULL), 0);  /* the desk speaks Russian */

	write_config_in("en", "engineers_chat = -100\n");
	assert_int_equal(run("ticket", "show", "1", NULL), 0);
	assert_contains(out_text, "requeued");
	assert_contains(out_text, "access revoked: Иван");
	assert_null(strstr(out_text, "доступ отключён: Иван"));
	assert_contains(out_text, "доступ отключён: Пётр");
	write_config_in("ru", "engineers_chat = -100\n");
	assert_int_equal(run("ticket", "show", "1", NULL), 0);
	assert_contains(out_text, "доступ отключён: Иван");
}

static void test_cli__person_move_and_bad_arguments(void **state)
{
	(void)state;
	int64_t store;
	make_chain();
	assert_int_equal(run("store", "add", "Ромашка-2", "--org", "Ромашка", "--tz", "Europe/Moscow",
			     "--hours", "24/7", NULL), 0);
	struct db *db = open_db();
	assert_int_equal(db_store_find(db, &store, 0, "Ромашка-1"), 0);
	assert_int_equal(db_begin(db), 0);
	joins(db, "Анна", "cashier", store, 11);
	joins(db, "Иван", "engineer", 0, 21);
	assert_int_equal(db_commit(db), 0);
	db_close(db);

	assert_int_equal(run("person", "move", "Анна", "--store", "Ромашка-2", NULL), 0);
	assert_contains(out_text, "moved to the store 'Ромашка-2'");
	assert_int_equal(run("person", "list", "--store", "Ромашка-2", NULL), 0);
	assert_contains(out_text, "Анна");
	assert_int_equal(run("person", "move", "Анна", "--store", "Ромашка-2", NULL), 0);
	assert_contains(out_text, "already at the store");

	assert_int_equal(run("person", "move", "Иван", "--store", "Ромашка-2", NULL), EXIT_USAGE);
	assert_contains(err_text, "not a cashier");
	assert_int_equal(run("person", "move", "Анна", NULL), EXIT_USAGE);
	assert_int_equal(run("person", "move", "Анна", "--store", "Нет такого", NULL), EXIT_FAIL);
	assert_int_equal(run("person", "disable", NULL), EXIT_USAGE);
	assert_int_equal(run("person", "disable", "Анна", "Иван", NULL), EXIT_USAGE);
	assert_int_equal(run("person", "disable", "Анна", "--store", "Ромашка-2", NULL), EXIT_USAGE);
	assert_int_equal(run("person", "enable", "Анна", "--org", "Ромашка", NULL), EXIT_USAGE);
	assert_int_equal(run("person", "disable", "Никто", NULL), EXIT_FAIL);
	assert_contains(err_text, "person 'Никто' not found");
	assert_int_equal(run("person", "list", "--role", "king", NULL), EXIT_USAGE);
	assert_int_equal(run("person", "list", "extra", NULL), EXIT_USAGE);
	assert_int_equal(run("person", "fire", "Анна", NULL), EXIT_USAGE);
	/* Nothing changed by the refusals. */
	assert_int_equal(run("person", "list", "--role", "cashier", NULL), 0);
	assert_null(strstr(out_text, "disabled"));
}

/*
 * Addresses letters come from: a cashier enrolled by hand who writes by
 * e-mail only, kept in lower case and listed; a store's own address; no
 * address twice, none that is no address; "none" takes one away.
 */
static void test_cli__person_and_store_addresses_for_letters(void **state)
{
	(void)state;
	make_chain();
	assert_int_equal(run("person", "add", "Анна", "--store", "Ромашка-1", "--email", "Anna@Romashka.RU", NULL), 0);
	assert_contains(out_text, "role cashier, address anna@romashka.ru");
	assert_int_equal(run("person", "list", NULL), 0);
	assert_contains(out_text, "anna@romashka.ru");
	assert_int_equal(run("store", "set", "Ромашка-1", "--email", "Shop1@romashka.ru", NULL), 0);
	assert_int_equal(run("store", "list", NULL), 0);
	assert_contains(out_text, "shop1@romashka.ru");
	/* Taken by a person or a store, whatever its case. */
	assert_int_equal(run("person", "add", "Ольга", "--store", "Ромашка-1", "--email", "ANNA@romashka.ru", NULL),
			 EXIT_FAIL);
	assert_contains(err_text, "anna@romashka.ru or Telegram id - belongs to someone else");
	assert_int_equal(run("person", "add", "Ольга", "--store", "Ромашка-1", "--email", "shop1@romashka.ru", NULL),
			 EXIT_FAIL);
	assert_int_equal(run("store", "set", "Ромашка-1", "--email", "anna@romashka.ru", NULL), EXIT_FAIL);
	assert_int_equal(run("person", "add", "Ольга", "--store", "Ромашка-1", "--email", "not an address", NULL),
			 EXIT_USAGE);
	assert_int_equal(run("person", "add", "Ольга", "--store", "Ромашка-1", NULL), EXIT_USAGE);
	assert_int_equal(run("person", "add", "Ольга", "--email", "olga@romashka.ru", NULL), EXIT_USAGE);
	assert_int_equal(run("person", "set", "Анна", "--email", "none", "--store", "x", NULL), EXIT_USAGE);
	assert_int_equal(run("person", "set", "Анна", "--email", "none", NULL), 0);
	assert_int_equal(run("person", "add", "Ольга", "--store", "Ромашка-1", "--email", "anna@romashka.ru", NULL), 0);
	assert_int_equal(run("person", "set", "Анна", "--email", "anna.k@romashka.ru", NULL), 0);
	struct db *db = open_db();
	int64_t id, shop;
	assert_int_equal(db_person_by_email(db, "anna.k@romashka.ru", &id), 0);
	assert_int_equal(db_store_by_email(db, "shop1@romashka.ru", &shop), 0);
	db_close(db);
	assert_int_equal(run("store", "set", "Ромашка-1", "--email", "none", NULL), 0);
	db = open_db();
	assert_int_equal(db_store_by_email(db, "shop1@romashka.ru", &shop), TD_ENOTFOUND);
	db_close(db);
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
		{ "person", "--help", NULL }, { "person", "list", "--help" }, { "person", "disable", "--help" },
		{ "person", "enable", "--help" }, { "person", "move", "--help" }, { "person", "add", "--help" },
		{ "person", "set", "--help" }, { "store", "set", "--help" },
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
		cmocka_unit_test_setup_teardown(test_cli__person_and_store_addresses_for_letters, setup, teardown),
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
		cmocka_unit_test_setup_teardown(test_cli__report_sla_figures_per_group, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cli__report_sla_bad_arguments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cli__backup_is_a_complete_database, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cli__person_disable_requeues_and_enable_restores, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cli__ticket_history_speaks_the_readers_language, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cli__person_move_and_bad_arguments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cli__unknown_commands_and_help, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cli__config_typo_stops_with_file_and_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cli__org_set_tell_store_switches_what_the_stores_are_told,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_cli__org_owner_commands_set_each_owners_letters_and_refuse_bad_input, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
