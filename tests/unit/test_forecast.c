/*
 * Unit tests: forecasts. Equipment whose end of life is known opens one
 * planned P3 ticket forecast_days ahead (in its store's days), with the
 * knowledge base's article on the replacement, its card in the engineers'
 * chat and a notice to the organisation's owners; once per unit and date,
 * across restarts and repeated reports; a new date, a new ticket.
 *
 * The scheduler's pass is run as the daemon runs it: one transaction, the
 * time from the settable clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "peek.h"
#define ROMASHKA_DIR "/tmp/tilldesk-forecast-XXXXXX"
#include "romashka.h"
#include "bot/dialog.h"
#include "bot/forecast.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "core/token.h"
#include "kb/article.h"
#include "storage/chain.h"
#include "storage/events.h"

#define ENGINEERS (-100)
#define OLGA 3001   /* the owner of Ромашка */


/* ---- reading what happened, through a second connection ---- */

static int64_t tickets(void)
{
	return query_int("SELECT count(*) FROM tickets WHERE ?1", 1);
}

static int64_t newest_ticket(void)
{
	return query_int("SELECT coalesce(max(id), 0) FROM tickets WHERE ?1", 1);
}

static int64_t messages_to(int64_t chat)
{
	return query_int("SELECT count(*) FROM outbox WHERE chat_id = ?1", chat);
}

/* ---- the desk ---- */

static void import_articles(void)
{
	struct kb_set set;
	struct kb_import_stats st;
	struct buf errors = BUF_INIT(1 << 16);
	if (kb_set_load(&set, "kb/articles", &errors))
		fail_msg("%s", buf_cstr(&errors));
	assert_int_equal(kb_set_import(desk, &set, today, &st), 0);
	kb_set_release(&set);
	buf_release(&errors);
}

static int setup(void **state)
{
	(void)state;
	if (romashka_open("forecast"))
		return -1;
	enrol_owner(org, OLGA, "Ольга");
	import_articles();
	assert_int_equal(db_commit(desk), 0);
	return sqlite3_open(path, &peek) == SQLITE_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	sqlite3_close(peek);
	db_close(desk);
	config_release(&cfg);
	clock_set(0);
	return scratch_remove(dir);
}

/* One scheduler pass at the clock's time, in its own transaction. */
static void pass(void)
{
	struct dialog d = { .db = desk, .engineers_chat = ENGINEERS, .now = clock_now(), .cfg = &cfg };
	assert_int_equal(db_begin(desk), 0);
	assert_int_equal(forecast_tick(&d), 0);
	assert_int_equal(db_commit(desk), 0);
}

/* The daemon stops and starts again: a new connection to the same file. */
static void restart(void)
{
	char err[256];
	db_close(desk);
	assert_int_equal(db_open(&desk, path, err, sizeof(err)), 0);
}

static int64_t unit(int64_t till_id, const char *kind, const char *model, const char *serial,
		    const char *expires_on)
{
	int64_t id;
	assert_int_equal(db_begin(desk), 0);
	assert_int_equal(db_equipment_add(desk, &id, till_id, kind, model, serial, expires_on), 0);
	assert_int_equal(db_commit(desk), 0);
	return id;
}

/* The till's agent reports its fiscal drive, as a heartbeat's facts do. */
static void agent_reports_drive(const char *event_id, const char *serial, const char *until)
{
	const struct agent_event e = {
		.id = event_id, .check = "fn", .code = "fn.expiring", .message = "",
		.kind = AGENT_HEARTBEAT, .status = AGENT_OK, .observed_at = clock_now(),
		.fn_serial = serial, .fn_valid_until = until,
	};
	int accepted, duplicate;
	assert_int_equal(db_begin(desk), 0);
	assert_int_equal(db_agent_store(desk, till, &e, 1, clock_now(), &accepted, &duplicate, NULL), 0);
	assert_int_equal(db_commit(desk), 0);
}

/* DD.MM.YYYY of a YYYY-MM-DD date, as titles say it. */
static const char *russian(const char *date)
{
	static char s[16];
	snprintf(s, sizeof(s), "%.2s.%.2s.%.4s", date + 8, date + 5, date);
	return s;
}

/* ---- the tests ---- */

static void test_forecast__a_drive_ending_in_29_days_opens_one_planned_ticket_and_tells_the_owner(void **state)
{
	(void)state;
	char title[256];
	const char *ends = date_in(29);
	unit(till, "fn", "ФН-1.2 15", "9999078900001234", ends);
	snprintf(title, sizeof(title), "Плановая замена ФН 9999078900001234 (Касса 1): срок до %s",
		 russian(ends));

	pass();
	assert_int_equal(tickets(), 1);
	int64_t id = newest_ticket();
	assert_string_equal(query_text("SELECT title FROM tickets WHERE id = ?1", id), title);
	assert_int_equal(query_int("SELECT priority FROM tickets WHERE id = ?1", id), 3);
	assert_string_equal(query_text("SELECT status FROM tickets WHERE id = ?1", id), "new");
	assert_int_equal(query_int("SELECT till_id FROM tickets WHERE id = ?1", id), till);
	assert_string_equal(query_text("SELECT a.slug FROM tickets t JOIN kb_articles a"
				       " ON a.id = t.kb_article_id WHERE t.id = ?1", id), "fn-replace");
	assert_string_equal(query_text("SELECT group_concat(kind) FROM ticket_events"
				       " WHERE ticket_id = ?1", id), "opened");
	/* Planned work still has its deadlines. */
	assert_int_equal(query_int("SELECT count(*) FROM sla_timers WHERE ticket_id = ?1", id), 2);
	/* The card in the engineers' chat, the notice to the owner. */
	assert_int_equal(messages_to(ENGINEERS), 1);
	assert_string_equal(query_text("SELECT link_role FROM outbox WHERE chat_id = ?1", ENGINEERS),
			    "card");
	assert_int_equal(messages_to(OLGA), 1);
	const char *told = query_text("SELECT args FROM outbox WHERE chat_id = ?1", OLGA);
	if (!strstr(told, "FORECAST_OWNER") || !strstr(told, "9999078900001234") ||
	    !strstr(told, "Ромашка на Ленина"))
		fail_msg("the owner's notice: %s", told);

	/* The next pass, and the next after a restart, open nothing more. */
	pass();
	restart();
	clock_advance(3600);
	pass();
	assert_int_equal(tickets(), 1);
	assert_int_equal(messages_to(ENGINEERS), 1);
	assert_int_equal(messages_to(OLGA), 1);
}

static void test_forecast__a_drive_ending_in_40_days_waits_until_30_days_ahead(void **state)
{
	(void)state;
	unit(till, "fn", "", "7380440700123456", date_in(40));
	pass();
	clock_advance(9 * DAY);  /* 31 days left */
	pass();
	assert_int_equal(tickets(), 0);
	assert_int_equal(messages_to(ENGINEERS) + messages_to(OLGA), 0);
	clock_advance(DAY);      /* 30 days left */
	pass();
	assert_int_equal(tickets(), 1);
	assert_int_equal(messages_to(OLGA), 1);
}

static void test_forecast__a_new_date_for_the_same_unit_opens_a_new_ticket(void **state)
{
	(void)state;
	const char *first = date_in(20), *second = date_in(20 + 470);
	agent_reports_drive("1", "9999078900001234", first);
	pass();
	assert_int_equal(tickets(), 1);
	/* The same date reported again is the same forecast. */
	agent_reports_drive("2", "9999078900001234", first);
	pass();
	assert_int_equal(tickets(), 1);
	/* The drive is replaced: the new one takes the row, with its own date. */
	clock_advance(15 * DAY);
	agent_reports_drive("3", "9999078900005678", second);
	pass();
	assert_int_equal(tickets(), 1);
	assert_int_equal(query_int("SELECT count(*) FROM equipment WHERE ?1", 1), 1);
	clock_advance((20 + 470 - 15 - 30) * DAY);  /* 30 days before the new drive's end */
	pass();
	assert_int_equal(tickets(), 2);
	if (!strstr(query_text("SELECT title FROM tickets WHERE id = ?1", newest_ticket()),
		    "9999078900005678"))
		fail_msg("the second ticket: %s", query_text("SELECT title FROM tickets WHERE id = ?1",
							     newest_ticket()));
	assert_int_equal(messages_to(OLGA), 2);
}

static void test_forecast__an_organisation_without_owners_gets_the_ticket_and_no_notice(void **state)
{
	(void)state;
	int64_t lonely, shop, box;
	assert_int_equal(db_begin(desk), 0);
	assert_int_equal(db_org_add(desk, &lonely, "Лютик", "standard", NULL), 0);
	assert_int_equal(db_store_add(desk, &shop, lonely, "Лютик-1", "", "Europe/Moscow", "24/7"), 0);
	assert_int_equal(db_till_add(desk, &box, shop, "Касса 7", "hash-7"), 0);
	assert_int_equal(db_commit(desk), 0);
	unit(box, "fn", "", "9999078900009999", date_in(10));
	pass();
	assert_int_equal(tickets(), 1);
	assert_int_equal(messages_to(ENGINEERS), 1);
	/* Ромашка's owner hears nothing of Лютик, and nobody else is told. */
	assert_int_equal(query_int("SELECT count(*) FROM outbox WHERE ?1", 1), 1);
}

static void test_forecast__a_certificate_ending_opens_its_renewal_with_the_utm_article(void **state)
{
	(void)state;
	char title[256];
	const char *ends = date_in(5);
	unit(till, "key", "ГОСТ", "", ends);
	pass();
	assert_int_equal(tickets(), 1);
	int64_t id = newest_ticket();
	snprintf(title, sizeof(title), "Продление сертификата ГОСТ (Касса 1): срок до %s", russian(ends));
	assert_string_equal(query_text("SELECT title FROM tickets WHERE id = ?1", id), title);
	assert_string_equal(query_text("SELECT a.slug FROM tickets t JOIN kb_articles a"
				       " ON a.id = t.kb_article_id WHERE t.id = ?1", id),
			    "utm-certificate-expiring");
}

static void test_forecast__days_are_the_stores_own(void **state)
{
	(void)state;
	int64_t east, box;
	assert_int_equal(db_begin(desk), 0);
	assert_int_equal(db_store_add(desk, &east, org, "Ромашка во Владивостоке", "", "Asia/Vladivostok",
				      "24/7"), 0);
	assert_int_equal(db_till_add(desk, &box, east, "Касса 2", "hash-2"), 0);
	assert_int_equal(db_commit(desk), 0);
	/* 31 days ahead by UTC's (and Moscow's) date. */
	unit(box, "fn", "", "1111", date_in(31));
	unit(till, "fn", "", "2222", date_in(31));
	clock_advance(8 * 3600);  /* 14:00 UTC: in Vladivostok (+10) it is tomorrow already */
	pass();
	assert_int_equal(tickets(), 1);
	assert_int_equal(query_int("SELECT till_id FROM tickets WHERE id = ?1", newest_ticket()), box);
	/* A date already past is the agent's alert, not a plan. */
	unit(till, "fn", "", "3333", date_in(-1));
	pass();
	assert_int_equal(tickets(), 1);
}

static void test_forecast__forecast_days_0_opens_nothing(void **state)
{
	(void)state;
	unit(till, "fn", "", "9999078900001234", date_in(3));
	cfg.alerts_forecast_days = 0;
	pass();
	assert_int_equal(tickets(), 0);
	cfg.alerts_forecast_days = 30;
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_forecast__a_drive_ending_in_29_days_opens_one_planned_ticket_and_tells_the_owner),
		T(test_forecast__a_drive_ending_in_40_days_waits_until_30_days_ahead),
		T(test_forecast__a_new_date_for_the_same_unit_opens_a_new_ticket),
		T(test_forecast__an_organisation_without_owners_gets_the_ticket_and_no_notice),
		T(test_forecast__a_certificate_ending_opens_its_renewal_with_the_utm_article),
		T(test_forecast__days_are_the_stores_own),
		T(test_forecast__forecast_days_0_opens_nothing),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
