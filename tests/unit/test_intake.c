/*
 * Unit tests: updates into the dialog the way the poller hands them over
 * (raw getUpdates elements through intake_update), and what happens to one
 * that cannot be handled. The fault is injected from outside the code: a
 * trigger in the database refuses any ticket whose title says POISON, as a
 * bug or a corrupt row would refuse one particular update.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <json-c/json.h>
#include <sqlite3.h>
#include <unistd.h>

#include "scratch.h"
#include "bot/intake.h"
#include "core/config.h"
#include "core/log.h"
#include "core/msg.h"
#include "core/token.h"
#include "storage/chain.h"
#include "storage/failed.h"

#define ENGINEERS (-100)
#define ANNA 1001
#define BORIS 1002

static char dir[] = "/tmp/tilldesk-intake-XXXXXX";
static struct db *desk;
static sqlite3 *peek;         /* a second connection: the fault, and what was committed */
static struct config cfg;
static struct intake in;
static int64_t next_update = 500;

static void sql(const char *q)
{
	char *err = NULL;
	if (sqlite3_exec(peek, q, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", q, err);
}

static int64_t count(const char *q)
{
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(peek, q, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int64_t n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static void poison_tickets(bool on)
{
	sql(on ? "CREATE TRIGGER poison BEFORE INSERT ON tickets WHEN NEW.title LIKE '%POISON%'"
		 " BEGIN SELECT RAISE(ABORT, 'injected fault'); END"
	       : "DROP TRIGGER poison");
}

/* A private message from user as getUpdates gives it; returns its update_id. */
static json_object *message(int64_t user, const char *text, int64_t *update_id)
{
	char json[1024];
	*update_id = next_update++;
	snprintf(json, sizeof(json),
		 "{\"update_id\":%lld,\"message\":{\"message_id\":%lld,\"date\":1795000000,"
		 "\"from\":{\"id\":%lld,\"is_bot\":false,\"first_name\":\"U%lld\"},"
		 "\"chat\":{\"id\":%lld,\"type\":\"private\"},\"text\":\"%s\"}}",
		 (long long)*update_id, (long long)*update_id, (long long)user, (long long)user,
		 (long long)user, text);
	json_object *o = json_tokener_parse(json);
	assert_non_null(o);
	return o;
}

/* The poller hands over one update; returns intake_update's answer. */
static int arrives(int64_t user, const char *text, int64_t *update_id)
{
	json_object *o = message(user, text, update_id);
	int rc = intake_update(&in, o);
	json_object_put(o);
	return rc;
}

/* Telegram sends the same update again (it was not confirmed). */
static int arrives_again(int64_t user, const char *text, int64_t update_id)
{
	int64_t unused;
	next_update = update_id;
	json_object *o = message(user, text, &unused);
	int rc = intake_update(&in, o);
	json_object_put(o);
	next_update = update_id + 1;
	return rc;
}

static void invite(const char *code)
{
	char hash[SHA256_HEX_LEN + 1];
	int64_t org, store, id;
	token_hash(hash, code);
	if (db_org_find(desk, &org, "Ромашка")) {
		assert_int_equal(db_org_add(desk, &org, "Ромашка", "standard", NULL), 0);
		assert_int_equal(db_store_add(desk, &store, org, "Магазин", "ул. Ленина, 1",
					      "Europe/Moscow", "24/7"), 0);
	}
	assert_int_equal(db_store_find(desk, &store, org, "Магазин"), 0);
	assert_int_equal(db_invite_add(desk, &id, hash, "cashier", store, org, INT64_MAX), 0);
}

static int setup(void **state)
{
	(void)state;
	char path[256], err[256];
	int64_t u;
	if (scratch_make(dir, sizeof(dir), "intake"))
		return -1;
	snprintf(path, sizeof(path), "%s/desk.db", dir);
	if (config_load(&cfg, NULL, err, sizeof(err)) || msg_set_language("ru") ||
	    db_open(&desk, path, err, sizeof(err)) || sqlite3_open(path, &peek) != SQLITE_OK)
		return -1;
	log_set_level(LOG_ERROR);
	cfg.tg_engineers_chat = ENGINEERS;
	assert_int_equal(db_begin(desk), 0);
	invite("anna-code");
	invite("boris-code");
	assert_int_equal(db_commit(desk), 0);
	intake_init(&in, desk, NULL, &cfg);
	assert_int_equal(arrives(ANNA, "/start anna-code", &u), 0);
	assert_int_equal(arrives(BORIS, "/start boris-code", &u), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sqlite3_close(peek);
	db_close(desk);
	config_release(&cfg);
	return scratch_remove(dir);
}

static int64_t stored_offset(void)
{
	return count("SELECT value FROM settings WHERE key = 'tg_offset'");
}

struct seen {
	int n;
	struct failed_update f;
	char error[256], raw[1024];
};

static int keep(const struct failed_update *f, void *arg)
{
	struct seen *s = arg;
	s->f = *f;
	snprintf(s->error, sizeof(s->error), "%s", f->error);
	snprintf(s->raw, sizeof(s->raw), "%s", f->raw);
	s->f.error = s->error;
	s->f.raw = s->raw;
	s->n++;
	return 0;
}

static void test_intake__a_poisoned_update_is_set_aside_after_three_tries_and_the_next_goes_on(void **state)
{
	(void)state;
	int64_t poisoned, next;
	poison_tickets(true);
	/* The poller hands it over, fails, naps and gets it again from Telegram. */
	assert_int_not_equal(arrives(ANNA, "Касса POISON не печатает", &poisoned), 0);
	assert_int_equal(in.offset, poisoned);
	assert_int_not_equal(arrives_again(ANNA, "Касса POISON не печатает", poisoned), 0);
	assert_int_equal(count("SELECT count(*) FROM failed_updates"), 0);
	/* The third failure sets it aside, with the offset past it, in one transaction. */
	assert_int_equal(arrives_again(ANNA, "Касса POISON не печатает", poisoned), 0);
	assert_int_equal(in.offset, poisoned + 1);
	assert_int_equal(stored_offset(), poisoned + 1);

	struct seen s = { 0 };
	assert_int_equal(db_failed_list(desk, keep, &s), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.f.update_id, poisoned);
	assert_int_equal(s.f.tries, INTAKE_TRIES);
	assert_non_null(strstr(s.error, "injected fault"));
	assert_non_null(strstr(s.raw, "Касса POISON не печатает"));
	assert_int_equal(count("SELECT count(*) FROM tickets"), 0);

	/* Another chat's message is handled at once. */
	assert_int_equal(arrives(BORIS, "Сканер не читает коды", &next), 0);
	assert_int_equal(stored_offset(), next + 1);
	assert_int_equal(count("SELECT count(*) FROM tickets"), 1);
	/* Telegram repeating the set-aside update changes nothing. */
	assert_int_equal(arrives_again(ANNA, "Касса POISON не печатает", poisoned), 0);
	assert_int_equal(count("SELECT count(*) FROM failed_updates"), 1);
}

static void test_intake__a_retry_fails_while_the_fault_lasts_then_opens_the_ticket(void **state)
{
	(void)state;
	int64_t poisoned;
	char why[256];
	poison_tickets(true);
	for (int i = 0; i < INTAKE_TRIES; i++)
		if (i == 0)
			arrives(ANNA, "POISON: ФН не найден", &poisoned);
		else
			arrives_again(ANNA, "POISON: ФН не найден", poisoned);
	int64_t id = count("SELECT id FROM failed_updates");

	assert_int_equal(intake_retry(&in, id, why, sizeof(why)), TD_ERR);
	assert_non_null(strstr(why, "injected fault"));
	struct seen s = { 0 };
	assert_int_equal(db_failed_get(desk, id, keep, &s), 0);
	assert_int_equal(s.f.tries, INTAKE_TRIES + 1);
	assert_int_equal(count("SELECT count(*) FROM outbox"), 2);  /* the two welcomes */

	poison_tickets(false);
	assert_int_equal(intake_retry(&in, id, why, sizeof(why)), 0);
	assert_int_equal(count("SELECT count(*) FROM failed_updates"), 0);
	assert_int_equal(count("SELECT count(*) FROM tickets WHERE title = 'POISON: ФН не найден'"), 1);
	/* Its effects: the cashier is told, the engineers get the card. */
	/* (The stored notice holds the catalogue message and the ticket's number, core/notice.h.) */
	assert_int_equal(count("SELECT count(*) FROM outbox WHERE chat_id = 1001"
			       " AND args LIKE '%BOT_TICKET_OPENED|t1:1,%'"), 1);
	assert_int_equal(count("SELECT count(*) FROM outbox WHERE chat_id = -100"), 1);
	/* Once handled it is gone: a second retry finds nothing. */
	assert_int_equal(intake_retry(&in, id, why, sizeof(why)), TD_ENOTFOUND);
	assert_int_equal(count("SELECT count(*) FROM tickets"), 1);
}

static void test_intake__a_busy_database_is_not_counted_as_a_try(void **state)
{
	(void)state;
	int64_t u;
	poison_tickets(true);
	json_object *o = message(ANNA, "Касса POISON не печатает", &u);
	sql("BEGIN IMMEDIATE");   /* another process holds the write lock past the busy timeout */
	assert_int_equal(intake_update(&in, o), TD_EBUSY);
	sql("COMMIT");
	/* Two real failures after the busy one: not yet the third try. */
	assert_int_not_equal(intake_update(&in, o), 0);
	assert_int_not_equal(intake_update(&in, o), 0);
	assert_int_equal(count("SELECT count(*) FROM failed_updates"), 0);
	assert_int_equal(in.offset, u);
	assert_int_equal(intake_update(&in, o), 0);
	assert_int_equal(count("SELECT count(*) FROM failed_updates"), 1);
	json_object_put(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_intake__a_poisoned_update_is_set_aside_after_three_tries_and_the_next_goes_on,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_intake__a_retry_fails_while_the_fault_lasts_then_opens_the_ticket,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_intake__a_busy_database_is_not_counted_as_a_try,
						setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
