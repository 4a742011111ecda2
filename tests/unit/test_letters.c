/*
 * Unit tests: letters to an organisation's owners (bot/letters.c). An SLA
 * breach the scheduler escalates queues one letter per breach and
 * language to the owners with breach letters on; a fiscal drive's or a
 * certificate's end queues reminders 30, 7 and 1 days ahead, in the
 * store's days, once each across passes and restarts, to the owners with
 * expiry letters on.
 *
 * The scheduler's passes run as the daemon runs them: one transaction,
 * the time from the settable clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "peek.h"
#define ROMASHKA_DIR "/tmp/tilldesk-letters-XXXXXX"
#include "romashka.h"
#include "bot/dialog.h"
#include "bot/engine.h"
#include "bot/letters.h"
#include "bot/sla_watch.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "core/token.h"
#include "core/tz.h"
#include "storage/chain.h"
#include "storage/owners.h"

#define ENGINEERS (-100)
#define OLGA_TG 3001


/* ---- reading what happened, through a second connection ---- */

static int64_t letters(void)
{
	return query_int("SELECT count(*) FROM letters WHERE ?1", 1);
}

/* The refs of the letters queued, in order, ' '-separated. */
static const char *refs(void)
{
	return query_text("SELECT coalesce(group_concat(ref, ' '), '') FROM"
			  " (SELECT ref FROM letters WHERE ?1 ORDER BY id)", 1);
}

/* A letter's recipients (by ref), by address, ' '-separated. */
static const char *rcpts_of(const char *ref)
{
	static char s[1024];
	sqlite3_stmt *st;
	s[0] = '\0';
	assert_int_equal(sqlite3_prepare_v2(peek, "SELECT group_concat(addr, ' ') FROM"
					    " (SELECT r.addr FROM letter_rcpts r JOIN letters l"
					    "  ON l.id = r.letter_id WHERE l.ref = ?1 ORDER BY r.addr)",
					    -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(s, sizeof(s), "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return s;
}

/* A column of the letter of ref. */
static const char *letter_field(const char *column, const char *ref)
{
	static char s[8192];
	char sql[128];
	sqlite3_stmt *st;
	s[0] = '\0';
	snprintf(sql, sizeof(sql), "SELECT %s FROM letters WHERE ref = ?1", column);
	assert_int_equal(sqlite3_prepare_v2(peek, sql, -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(s, sizeof(s), "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return s;
}

#define assert_contains(hay, needle) \
	do { if (!strstr((hay), (needle))) fail_msg("'%s' not in:\n%s", (needle), (hay)); } while (0)
#define assert_lacks(hay, needle) \
	do { if (strstr((hay), (needle))) fail_msg("'%s' in:\n%s", (needle), (hay)); } while (0)

/* ---- the desk ---- */

/*
 * Ромашка's owners: Ольга reads Russian, John English, Иван the config's
 * language (Russian), Пётр wants the daily digest alone, and one address
 * is no address a letter can go to.
 */
static int setup(void **state)
{
	(void)state;
	if (romashka_open("letters"))
		return -1;
	const struct owner_change petr = { .wants = { -1, 0, 0 } };
	assert_int_equal(db_owner_add(desk, org, "olga@romashka.ru", "Ольга Петрова", "ru"), 0);
	assert_int_equal(db_owner_add(desk, org, "john@romashka.ru", "John Smith", "en"), 0);
	assert_int_equal(db_owner_add(desk, org, "ivan@romashka.ru", NULL, NULL), 0);
	assert_int_equal(db_owner_add(desk, org, "petr@romashka.ru", "Пётр", "ru"), 0);
	assert_int_equal(db_owner_set(desk, org, "petr@romashka.ru", &petr), 0);
	/* Added before addresses were checked as letters need: left out, the others' letters go. */
	assert_int_equal(db_owner_add(desk, org, "ольга@ромашка.рф", NULL, "ru"), 0);
	enrol_owner(org, OLGA_TG, "Ольга");
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

static struct dialog dialog_now(void)
{
	return (struct dialog){ .db = desk, .engineers_chat = ENGINEERS, .now = clock_now(), .cfg = &cfg };
}

/* The scheduler's SLA pass at the clock's time, in its own transaction. */
static void sla_pass(void)
{
	struct dialog d = dialog_now();
	assert_int_equal(db_begin(desk), 0);
	assert_int_equal(sla_watch_tick(&d), 0);
	assert_int_equal(db_commit(desk), 0);
}

/* The scheduler's expiry pass at the clock's time, in its own transaction. */
static void expiry_pass(void)
{
	struct dialog d = dialog_now();
	assert_int_equal(db_begin(desk), 0);
	assert_int_equal(letters_expiry_tick(&d), 0);
	assert_int_equal(db_commit(desk), 0);
}

/* The daemon stops and starts again: a new connection to the same file. */
static void restart(void)
{
	char err[256];
	db_close(desk);
	assert_int_equal(db_open(&desk, path, err, sizeof(err)), 0);
}

/* A P1 ticket the till's agent opens now (15 min to react, 4 h to solve, round the clock). */
static int64_t agent_opens(const char *title)
{
	struct dialog d = dialog_now();
	const struct actor agent = { .kind = ACTOR_AGENT, .till_id = till };
	int64_t id = 0;
	const struct event_args a = { .title = title, .priority = 1, .store_id = store, .till_id = till,
				      .out_id = &id };
	assert_int_equal(db_begin(desk), 0);
	assert_int_equal(engine_apply(&d, EV_AGENT_OPEN, &agent, 0, &a), 0);
	assert_int_equal(db_commit(desk), 0);
	return id;
}

static int64_t unit(const char *kind, const char *model, const char *serial, const char *expires_on)
{
	int64_t id;
	assert_int_equal(db_begin(desk), 0);
	assert_int_equal(db_equipment_add(desk, &id, till, kind, model, serial, expires_on), 0);
	assert_int_equal(db_commit(desk), 0);
	return id;
}

static void owner_set(const char *email, enum owner_mail kind, int on)
{
	struct owner_change c = { .wants = { -1, -1, -1 } };
	c.wants[kind] = on;
	assert_int_equal(db_begin(desk), 0);
	assert_int_equal(db_owner_set(desk, org, email, &c), 0);
	assert_int_equal(db_commit(desk), 0);
}

/* ---- breaches ---- */

static void test_letters__a_breach_queues_one_letter_per_language_to_the_owners_with_breach_on(void **state)
{
	(void)state;
	char ref[64];
	int64_t t = agent_opens("ФН <ошибка 235> & касса стоит");
	clock_advance(14 * 60);
	sla_pass();  /* the warning alone: no letter */
	assert_int_equal(letters(), 0);
	clock_advance(60);
	sla_pass();  /* 15 minutes: reaction breached */
	snprintf(ref, sizeof(ref), "breach:%lld:reaction:ru", (long long)t);
	char want[128];
	snprintf(want, sizeof(want), "breach:%lld:reaction:ru breach:%lld:reaction:en", (long long)t,
		 (long long)t);
	assert_string_equal(refs(), want);
	/* Russian to Ольга and Иван (the config's language), English to John; none to Пётр. */
	assert_string_equal(rcpts_of(ref), "ivan@romashka.ru olga@romashka.ru");
	assert_string_equal(letter_field("kind", ref), "breach");
	assert_int_equal(query_int("SELECT org_id FROM letters WHERE ?1 = 1 LIMIT 1", 1), org);
	char subject[128];
	snprintf(subject, sizeof(subject), "Нарушен срок реакции: заявка №%lld, Ромашка на Ленина", (long long)t);
	assert_string_equal(letter_field("subject", ref), subject);
	const char *text = letter_field("text", ref);
	assert_contains(text, "Заявка: №");
	assert_contains(text, "ФН <ошибка 235> & касса стоит");
	assert_contains(text, "Магазин: Ромашка на Ленина");
	assert_contains(text, "Касса: Касса 1");
	assert_contains(text, "Приоритет: P1");
	assert_contains(text, "Нарушенный срок: реакция");
	assert_contains(text, "Срок был: 2026-12-14 09:15 (Europe/Moscow)");
	assert_contains(text, "Исполнитель: не назначен");
	const char *html = letter_field("html", ref);
	assert_contains(html, "ФН &lt;ошибка 235&gt; &amp; касса стоит");
	assert_lacks(html, "<ошибка");
	assert_contains(html, "<th align=\"left\" style=\"padding: 2px 12px 2px 0\">Касса</th><td>Касса 1</td>");

	snprintf(ref, sizeof(ref), "breach:%lld:reaction:en", (long long)t);
	assert_string_equal(rcpts_of(ref), "john@romashka.ru");
	assert_contains(letter_field("subject", ref), "SLA breached, reaction: ticket #");
	assert_contains(letter_field("text", ref), "Assignee: nobody yet");
	assert_string_equal(query_text("SELECT name FROM letter_rcpts WHERE addr = 'john@romashka.ru'"
				       " AND ?1", 1), "John Smith");

	/* The Telegram notice to the owner registered there is still sent. */
	assert_int_equal(query_int("SELECT count(*) FROM outbox WHERE chat_id = ?1", OLGA_TG), 1);

	/* Passes again, and after a restart, queue nothing more; the resolution breach its own two. */
	sla_pass();
	restart();
	clock_advance(60);
	sla_pass();
	assert_int_equal(letters(), 2);
	clock_advance(4 * 3600);
	sla_pass();
	sla_pass();
	assert_int_equal(letters(), 4);
	snprintf(ref, sizeof(ref), "breach:%lld:resolution:ru", (long long)t);
	assert_contains(letter_field("text", ref), "Нарушенный срок: решение");
	assert_int_equal(query_int("SELECT count(*) FROM outbox WHERE chat_id = ?1", OLGA_TG), 2);
}

static void test_letters__a_breach_goes_to_no_owner_who_turned_breach_letters_off(void **state)
{
	(void)state;
	owner_set("olga@romashka.ru", OWNER_MAIL_BREACH, 0);
	owner_set("ivan@romashka.ru", OWNER_MAIL_BREACH, 0);
	int64_t t = agent_opens("Касса не печатает чек");
	clock_advance(15 * 60);
	sla_pass();
	char want[64];
	snprintf(want, sizeof(want), "breach:%lld:reaction:en", (long long)t);
	assert_string_equal(refs(), want);
	owner_set("john@romashka.ru", OWNER_MAIL_BREACH, 0);
	agent_opens("Сканер не читает");
	clock_advance(15 * 60);
	sla_pass();
	assert_int_equal(letters(), 1);
	/* The breach itself is recorded and told in Telegram all the same. */
	assert_int_equal(query_int("SELECT count(*) FROM ticket_events WHERE kind = 'sla_breach' AND ?1", 1), 2);
}

/* ---- expiry ---- */

/* The expiry letters' refs for unit u's date, in order, with their steps. */
static const char *steps_of(int64_t u)
{
	return query_text("SELECT coalesce(group_concat(ref, ' '), '') FROM (SELECT ref FROM letters"
			  " WHERE ref LIKE 'expiry:' || ?1 || ':%' ORDER BY id)", u);
}

static void test_letters__a_drive_gets_reminders_30_7_and_1_days_ahead_once_each(void **state)
{
	(void)state;
	const char *ends = date_in(40);
	char date[16], want[512], ref[96];
	snprintf(date, sizeof(date), "%s", ends);
	int64_t fn = unit("fn", "ФН-1.2 15", "9999078900001234", date);
	int64_t pc = unit("pc", "Атол", "PC-1", date);  /* a PC's date is no reminder's */
	expiry_pass();
	clock_advance(9 * DAY);  /* 31 days left */
	expiry_pass();
	assert_int_equal(letters(), 0);

	clock_advance(DAY);      /* 30 days left */
	expiry_pass();
	snprintf(want, sizeof(want), "expiry:%lld:%s:30:ru expiry:%lld:%s:30:en", (long long)fn, date,
		 (long long)fn, date);
	assert_string_equal(steps_of(fn), want);
	snprintf(ref, sizeof(ref), "expiry:%lld:%s:30:ru", (long long)fn, date);
	assert_string_equal(rcpts_of(ref), "ivan@romashka.ru olga@romashka.ru");
	assert_string_equal(letter_field("kind", ref), "expiry");
	char subject[256];
	snprintf(subject, sizeof(subject), "Срок ФН заканчивается %s: Касса 1, Ромашка на Ленина", date);
	assert_string_equal(letter_field("subject", ref), subject);
	const char *text = letter_field("text", ref);
	assert_contains(text, "Через 30 дн.");
	assert_contains(text, "Оборудование: фискальный накопитель 9999078900001234");
	assert_contains(text, "Осталось дней: 30");
	snprintf(ref, sizeof(ref), "expiry:%lld:%s:30:en", (long long)fn, date);
	assert_string_equal(rcpts_of(ref), "john@romashka.ru");
	assert_contains(letter_field("text", ref), "Equipment: fiscal drive 9999078900001234");

	/* Again, after a restart, and on the days between: nothing more. */
	expiry_pass();
	restart();
	clock_advance(3600);
	expiry_pass();
	clock_advance(22 * DAY); /* 8 days left */
	expiry_pass();
	assert_int_equal(letters(), 2);

	clock_advance(DAY);      /* 7 days left */
	expiry_pass();
	expiry_pass();
	assert_int_equal(letters(), 4);
	clock_advance(6 * DAY);  /* 1 day left */
	expiry_pass();
	restart();
	expiry_pass();
	assert_int_equal(letters(), 6);
	clock_advance(DAY);      /* the day itself, and after */
	expiry_pass();
	clock_advance(DAY);
	expiry_pass();
	snprintf(want, sizeof(want), "expiry:%lld:%s:30:ru expiry:%lld:%s:30:en expiry:%lld:%s:7:ru"
		 " expiry:%lld:%s:7:en expiry:%lld:%s:1:ru expiry:%lld:%s:1:en", (long long)fn, date,
		 (long long)fn, date, (long long)fn, date, (long long)fn, date, (long long)fn, date,
		 (long long)fn, date);
	assert_string_equal(steps_of(fn), want);
	assert_string_equal(steps_of(pc), "");
	/* Пётр, whose expiry letters are off, got none. */
	assert_int_equal(query_int("SELECT count(*) FROM letter_rcpts WHERE addr = 'petr@romashka.ru'"
				   " AND ?1", 1), 0);
}

static void test_letters__a_step_missed_while_down_is_sent_late_but_never_one_a_nearer_step_replaced(void **state)
{
	(void)state;
	char date[16], want[256];
	snprintf(date, sizeof(date), "%s", date_in(5));
	/* The daemon was down 30 and 7 days ahead: at 5 days it sends the 7 days' reminder alone. */
	int64_t key = unit("key", "ГОСТ", "", date);
	expiry_pass();
	snprintf(want, sizeof(want), "expiry:%lld:%s:7:ru expiry:%lld:%s:7:en", (long long)key, date,
		 (long long)key, date);
	assert_string_equal(steps_of(key), want);
	char ref[96];
	snprintf(ref, sizeof(ref), "expiry:%lld:%s:7:ru", (long long)key, date);
	assert_contains(letter_field("subject", ref), "Срок сертификата заканчивается");
	assert_contains(letter_field("text", ref), "Оборудование: сертификат ГОСТ ключа ГОСТ");
	assert_contains(letter_field("text", ref), "Через 5 дн.");
	/* Down again until the day itself: the 1 day's reminder still goes, once. */
	clock_advance(5 * DAY);
	expiry_pass();
	expiry_pass();
	assert_int_equal(letters(), 4);
	snprintf(ref, sizeof(ref), "expiry:%lld:%s:1:en", (long long)key, date);
	assert_contains(letter_field("text", ref), "Today, ");
	assert_contains(letter_field("text", ref), "Equipment: GOST certificate of key ГОСТ");
}

static void test_letters__days_are_the_stores_own_and_expiry_off_gets_none(void **state)
{
	(void)state;
	int64_t east, box, far_unit, near_unit;
	assert_int_equal(db_begin(desk), 0);
	assert_int_equal(db_store_add(desk, &east, org, "Ромашка во Владивостоке", "", "Asia/Vladivostok",
				      "24/7"), 0);
	assert_int_equal(db_till_add(desk, &box, east, "Касса 2", "hash-2"), 0);
	assert_int_equal(db_commit(desk), 0);
	assert_int_equal(db_begin(desk), 0);
	assert_int_equal(db_equipment_add(desk, &far_unit, box, "fn", "", "1111", date_in(31)), 0);
	assert_int_equal(db_commit(desk), 0);
	near_unit = unit("fn", "", "2222", date_in(31));
	clock_advance(8 * 3600);  /* 14:00 UTC: in Vladivostok (+10) it is tomorrow already */
	expiry_pass();
	assert_int_equal(query_int("SELECT count(*) FROM letters WHERE ref LIKE 'expiry:' || ?1 || ':%'",
				   far_unit), 2);
	assert_string_equal(steps_of(near_unit), "");

	/* Nobody wants expiry letters: none. */
	owner_set("olga@romashka.ru", OWNER_MAIL_EXPIRY, 0);
	owner_set("ivan@romashka.ru", OWNER_MAIL_EXPIRY, 0);
	owner_set("john@romashka.ru", OWNER_MAIL_EXPIRY, 0);
	clock_advance(DAY);
	expiry_pass();
	assert_string_equal(steps_of(near_unit), "");
	assert_int_equal(letters(), 2);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_letters__a_breach_queues_one_letter_per_language_to_the_owners_with_breach_on),
		T(test_letters__a_breach_goes_to_no_owner_who_turned_breach_letters_off),
		T(test_letters__a_drive_gets_reminders_30_7_and_1_days_ahead_once_each),
		T(test_letters__a_step_missed_while_down_is_sent_late_but_never_one_a_nearer_step_replaced),
		T(test_letters__days_are_the_stores_own_and_expiry_off_gets_none),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
