/*
 * Unit tests: agents' events into alerts and tickets (bot/alert.c), over a
 * scratch database with the shipped articles, the clock set by hand. What
 * the engineers and the cashiers would receive is read from the outbox.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <time.h>
#include "peek.h"
#include "scratch.h"
#include "bot/alert.h"
#include "bot/forecast.h"
#include "core/config.h"
#include "core/log.h"
#include "core/msg.h"
#include "kb/article.h"
#include "storage/chain.h"

#define NOW 1795000000
#define ENGINEERS (-100)
#define TILLS 12

static char dir[] = "/tmp/tilldesk-alert-XXXXXX";
static struct db *desk;
static struct config cfg;
static struct dialog dlg;
static int64_t org, store, other_store, tills[TILLS], now;
static int serial;

static int64_t outbox(void)
{
	return query_int("SELECT count(*) FROM outbox", 0);
}

/* One event of till i, in its own transaction, as the ingest stores it. */
static void report(int i, const char *code, enum agent_status status, const char *message)
{
	char id[32];
	int accepted, duplicate;
	bool fresh[1];
	snprintf(id, sizeof(id), "e%d", ++serial);
	struct agent_event e = {
		.id = id, .check = "fn", .code = code, .message = message, .kind = AGENT_CHANGE,
		.status = status, .observed_at = now, .data = "{\"days_left\":12}",
	};
	dlg.now = now;
	assert_int_equal(db_begin(desk), 0);
	assert_int_equal(db_agent_store(desk, tills[i], &e, 1, now, &accepted, &duplicate, fresh), 0);
	assert_int_equal(alert_observe(&dlg, tills[i], &e, fresh, 1), 0);
	assert_int_equal(db_commit(desk), 0);
}

static void tick(void)
{
	dlg.now = now;
	assert_int_equal(db_begin(desk), 0);
	assert_int_equal(alert_tick(&dlg), 0);
	assert_int_equal(db_commit(desk), 0);
}

static int setup(void **state)
{
	(void)state;
	char path[256], err[256], name[32], hash[32];
	struct kb_set set;
	struct kb_import_stats st;
	struct buf errors = BUF_INIT(4096);
	if (scratch_make(dir, sizeof(dir), "alert"))
		return -1;
	snprintf(path, sizeof(path), "%s/desk.db", dir);
	if (db_open(&desk, path, err, sizeof(err)) || msg_set_language("ru") ||
	    config_load(&cfg, NULL, err, sizeof(err)))
		return -1;
	log_set_level(LOG_ERROR);
	cfg.alert_recover_after = 60;
	cfg.alert_offline_after = 86400;   /* the tests that are not about it move the clock */
	cfg.alert_recover_passes = 2;
	if (kb_set_load(&set, "kb/articles", &errors))
		return -1;
	assert_int_equal(db_begin(desk), 0);
	assert_int_equal(kb_set_import(desk, &set, NOW, &st), 0);
	assert_int_equal(db_org_add(desk, &org, "Ромашка", "standard", NULL), 0);
	assert_int_equal(db_store_add(desk, &store, org, "Магазин 1", "", "Europe/Moscow", "24/7"), 0);
	assert_int_equal(db_store_add(desk, &other_store, org, "Магазин 2", "", "Europe/Moscow", "24/7"), 0);
	for (int i = 0; i < TILLS; i++) {
		snprintf(name, sizeof(name), "Касса %d", i + 1);
		snprintf(hash, sizeof(hash), "hash-%d", i);
		/* Tills 0-2 in store 1, the rest in store 2. */
		assert_int_equal(db_till_add(desk, &tills[i], i < 3 ? store : other_store, name, hash), 0);
	}
	assert_int_equal(db_commit(desk), 0);
	kb_set_release(&set);
	buf_release(&errors);
	dlg = (struct dialog){ .db = desk, .engineers_chat = ENGINEERS, .now = NOW, .cfg = &cfg };
	return sqlite3_open(path, &peek) == SQLITE_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	sqlite3_close(peek);
	db_close(desk);
	config_release(&cfg);
	return scratch_remove(dir);
}

/* Each test starts from no alerts, no tickets, every till heard just now. */
static int fresh_desk(void **state)
{
	(void)state;
	now += 100000;
	dlg.listening_since = 0;
	char sql[128];
	assert_int_equal(sqlite3_exec(peek, "DELETE FROM alert_events; DELETE FROM alerts;"
				      " UPDATE storms SET closed_at = 1; DELETE FROM silences;"
				      " DELETE FROM outbox;", NULL, NULL, NULL), SQLITE_OK);
	snprintf(sql, sizeof(sql), "UPDATE tills SET last_seen_at = %lld", (long long)now);
	assert_int_equal(sqlite3_exec(peek, sql, NULL, NULL, NULL), SQLITE_OK);
	return 0;
}

static int64_t ticket_of_last_alert(void)
{
	return query_int("SELECT coalesce(ticket_id, 0) FROM alerts ORDER BY id DESC LIMIT 1", 0);
}

static void test_alert__a_fault_opens_one_ticket_with_the_article_on_its_card(void **state)
{
	(void)state;
	report(0, "fn.expiring", AGENT_WARNING, "ФН: до конца срока 12 дней");
	int64_t t = ticket_of_last_alert();
	assert_true(t > 0);
	char sql[256];
	snprintf(sql, sizeof(sql), "SELECT priority FROM ticket_state WHERE id = %lld", (long long)t);
	assert_int_equal(query_int(sql, 0), 3);
	/* The card, in the engineers' chat, carries the article that names fn.expiring. */
	assert_int_equal(query_int("SELECT count(*) FROM outbox WHERE chat_id = -100 AND args LIKE"
				   " '%ALERT_CARD_RECOMMEND%' AND args LIKE '%fn.expiring%'", 0), 1);
	assert_int_equal(outbox(), 1);
}

static void test_alert__repeats_only_count(void **state)
{
	(void)state;
	report(0, "fn.unsent", AGENT_WARNING, "3 дня не отправлено");
	int64_t sent = outbox();
	for (int i = 0; i < 100; i++) {
		now += 1;
		report(0, "fn.unsent", AGENT_WARNING, "3 дня не отправлено");
		tick();
	}
	assert_int_equal(outbox(), sent);
	assert_int_equal(query_int("SELECT count FROM alerts", 0), 101);
	assert_int_equal(query_int("SELECT count(*) FROM tickets t JOIN alerts a ON a.ticket_id = t.id", 0), 1);
	/* A count alone never edits the card. */
	now += cfg.alert_card_every;
	tick();
	assert_int_equal(outbox(), sent);
	/* A new summary does, once, when card_every has passed since the card was last touched. */
	report(0, "fn.unsent", AGENT_WARNING, "4 дня не отправлено");
	tick();
	assert_int_equal(outbox(), sent + 1);
	assert_int_equal(query_int("SELECT count(*) FROM outbox WHERE kind = 'edit'", 0), 1);
	report(0, "fn.unsent", AGENT_WARNING, "5 дней не отправлено");
	tick();
	assert_int_equal(outbox(), sent + 1);
}

static void test_alert__an_hour_of_unchanged_faults_edits_no_card(void **state)
{
	(void)state;
	int saved = (int)cfg.alert_storm_min;
	cfg.alert_storm_min = 1000;
	for (int i = 0; i < TILLS; i++)
		report(i, "fn.expiring", AGENT_WARNING, "ФН: 20 дней");
	int64_t sent = outbox();
	for (int m = 0; m < 60; m++) {
		now += 60;
		for (int i = 0; i < TILLS; i++)
			report(i, "fn.expiring", AGENT_WARNING, "ФН: 20 дней");
		tick();
	}
	cfg.alert_storm_min = saved;
	assert_int_equal(outbox(), sent);
}

static void test_alert__worse_raises_the_priority_once(void **state)
{
	(void)state;
	report(0, "fn.unsent", AGENT_WARNING, "3 дня не отправлено");
	int64_t t = ticket_of_last_alert(), sent = outbox();
	char sql[256];
	now += 60;
	report(0, "fn.unsent", AGENT_CRITICAL, "7 дней не отправлено");
	snprintf(sql, sizeof(sql), "SELECT priority FROM ticket_state WHERE id = %lld", (long long)t);
	assert_int_equal(query_int(sql, 0), 2);
	assert_true(outbox() > sent);
	sent = outbox();
	now += 60;
	report(0, "fn.unsent", AGENT_CRITICAL, "7 дней не отправлено");
	assert_int_equal(outbox(), sent);
}

static void test_alert__recovery_waits_then_closes_an_unclaimed_ticket(void **state)
{
	(void)state;
	report(1, "utm.down", AGENT_CRITICAL, "УТМ не отвечает");
	int64_t t = ticket_of_last_alert();
	char sql[256];
	snprintf(sql, sizeof(sql), "SELECT status FROM ticket_state WHERE id = %lld", (long long)t);
	now += 10;
	report(1, "utm.down", AGENT_OK, "УТМ отвечает");
	tick();
	assert_int_equal(query_int("SELECT count(*) FROM alerts WHERE state = 'recovering'", 0), 1);
	/* A second OK pass, but not yet recover_after: still waiting. */
	now += 10;
	report(1, "utm.down", AGENT_OK, "УТМ отвечает");
	tick();
	assert_int_equal(query_int("SELECT count(*) FROM alerts WHERE state = 'resolved'", 0), 0);
	now += 60;
	tick();
	assert_int_equal(query_int("SELECT count(*) FROM alerts WHERE state = 'resolved'", 0), 1);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM ticket_state WHERE id = %lld AND status = 'closed'",
		 (long long)t);
	assert_int_equal(query_int(sql, 0), 1);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM ticket_events WHERE ticket_id = %lld AND"
		 " kind IN ('recovered', 'auto_resolved')", (long long)t);
	assert_int_equal(query_int(sql, 0), 2);
}

static void test_alert__a_relapse_while_recovering_keeps_the_ticket(void **state)
{
	(void)state;
	report(1, "utm.down", AGENT_CRITICAL, "УТМ не отвечает");
	int64_t sent = outbox();
	now += 10;
	report(1, "utm.down", AGENT_OK, "ok");
	now += 10;
	report(1, "utm.down", AGENT_CRITICAL, "УТМ не отвечает");
	assert_int_equal(outbox(), sent);
	assert_int_equal(query_int("SELECT count(*) FROM alerts", 0), 1);
	assert_int_equal(query_int("SELECT count(*) FROM alerts WHERE state = 'firing'", 0), 1);
}

static void test_alert__a_flapping_check_gets_one_notice(void **state)
{
	(void)state;
	report(2, "clock.skew", AGENT_WARNING, "часы спешат");
	int64_t sent = outbox();
	for (int i = 0; i < 10; i++) {
		now += 5;
		report(2, "clock.skew", i % 2 ? AGENT_WARNING : AGENT_OK, "часы");
		tick();
	}
	assert_int_equal(query_int("SELECT count(*) FROM alerts", 0), 1);
	assert_int_equal(query_int("SELECT flapping FROM alerts", 0), 1);
	assert_int_equal(outbox(), sent + 1);
	assert_int_equal(query_int("SELECT count(*) FROM outbox WHERE args LIKE '%ALERT_FLAPPING%'", 0), 1);
}

static void set_seen(int i, int64_t at)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "UPDATE tills SET last_seen_at = %lld WHERE id = %lld",
		 (long long)at, (long long)tills[i]);
	assert_int_equal(sqlite3_exec(peek, sql, NULL, NULL, NULL), SQLITE_OK);
}

static void test_alert__one_silent_till_is_one_alert(void **state)
{
	(void)state;
	set_seen(0, now - cfg.alert_offline_after - 1);
	tick();
	assert_int_equal(query_int("SELECT count(*) FROM alerts WHERE code = 'till.offline'", 0), 1);
	assert_int_equal(query_int("SELECT count(*) FROM alerts WHERE code = 'store.offline'", 0), 0);
	assert_true(ticket_of_last_alert() > 0);
	/* Heard again: it recovers at once. */
	report(0, "fn.state", AGENT_OK, "ok");
	assert_int_equal(query_int("SELECT count(*) FROM alerts WHERE state != 'resolved'", 0), 0);
}

static void test_alert__a_whole_store_silent_is_one_store_alert(void **state)
{
	(void)state;
	/* The link fails: the tills stop within a heartbeat of each other. */
	set_seen(0, now - cfg.alert_offline_after - 1);
	set_seen(1, now - cfg.alert_offline_after + 30);
	set_seen(2, now - cfg.alert_offline_after + 50);
	tick();
	assert_int_equal(outbox(), 0);   /* the others are fading: wait */
	now += 60;
	tick();
	assert_int_equal(query_int("SELECT count(*) FROM alerts WHERE code = 'store.offline'", 0), 1);
	assert_int_equal(query_int("SELECT count(*) FROM alerts WHERE code = 'till.offline'"
				   " AND held_by IS NOT NULL AND ticket_id IS NULL", 0), 3);
	assert_int_equal(query_int("SELECT count(*) FROM tickets t JOIN alerts a ON a.ticket_id = t.id", 0), 1);
	assert_int_equal(outbox(), 1);
	/* One till heard: the store alert and those under it end. */
	report(1, "fn.state", AGENT_OK, "ok");
	assert_int_equal(query_int("SELECT count(*) FROM alerts WHERE state != 'resolved'", 0), 0);
}

/* A store's link is back: its agents return each at its next try, not at once. */
static void test_alert__a_store_back_gives_its_tills_offline_after_to_return(void **state)
{
	(void)state;
	for (int i = 0; i < 3; i++)
		set_seen(i, now - cfg.alert_offline_after - 1);
	tick();
	assert_int_equal(query_int("SELECT count(*) FROM alerts WHERE code = 'store.offline'", 0), 1);
	report(1, "fn.state", AGENT_OK, "ok");
	tick();
	assert_int_equal(query_int("SELECT count(*) FROM alerts WHERE state != 'resolved'", 0), 0);
	now += cfg.alert_offline_after - 1;
	report(1, "fn.state", AGENT_OK, "ok");
	tick();
	assert_int_equal(query_int("SELECT count(*) FROM alerts WHERE state != 'resolved'", 0), 0);
	/* The other two never came back: each is a till alert of its own now. */
	now += 2;
	report(1, "fn.state", AGENT_OK, "ok");
	tick();
	assert_int_equal(query_int("SELECT count(*) FROM alerts WHERE state != 'resolved'"
				   " AND code = 'till.offline' AND held_by IS NULL AND ticket_id > 0", 0), 2);
}

/* The daemon was down longer than offline_after: its first ticks find every till silent. */
static void test_alert__the_daemons_own_absence_makes_no_till_offline(void **state)
{
	(void)state;
	for (int i = 0; i < 3; i++)
		set_seen(i, now - 2 * cfg.alert_offline_after);
	dlg.listening_since = now;
	tick();
	now += cfg.alert_offline_after - 1;
	tick();
	assert_int_equal(query_int("SELECT count(*) FROM alerts", 0), 0);
	/* Listened for offline_after and still not heard: silent indeed. */
	now += 1;
	tick();
	assert_int_equal(query_int("SELECT count(*) FROM alerts WHERE code = 'store.offline'", 0), 1);
}

static void test_alert__a_silenced_alert_tells_no_one_until_the_silence_ends(void **state)
{
	(void)state;
	char sql[256];
	snprintf(sql, sizeof(sql), "INSERT INTO silences(id, till_id, starts_at, ends_at, comment,"
		 " created_by, created_at) VALUES (7, %lld, %lld, %lld, 'работы', 'root', %lld)",
		 (long long)tills[0], (long long)now - 1, (long long)now + 600, (long long)now);
	assert_int_equal(sqlite3_exec(peek, sql, NULL, NULL, NULL), SQLITE_OK);
	report(0, "disk.space", AGENT_CRITICAL, "диск полон");
	assert_int_equal(outbox(), 0);
	assert_int_equal(query_int("SELECT silence_id FROM alerts", 0), 7);
	now += 601;
	report(0, "disk.space", AGENT_CRITICAL, "диск полон");
	tick();
	assert_int_equal(query_int("SELECT count(*) FROM outbox WHERE msg_key = 'ALERT_SILENCE_OVER'", 0), 1);
	assert_true(ticket_of_last_alert() > 0);
	assert_int_equal(outbox(), 2);
	tick();
	assert_int_equal(outbox(), 2);
}

static void test_alert__many_tills_with_one_code_make_one_storm(void **state)
{
	(void)state;
	for (int i = 0; i < TILLS; i++)
		report(i, "ofd.unreachable", AGENT_WARNING, "ОФД не отвечает");
	/* The first few have their own tickets; from storm_min on, one for all. */
	assert_int_equal(query_int("SELECT count(DISTINCT ticket_id) FROM alerts", 0), cfg.alert_storm_min);
	assert_int_equal(query_int("SELECT count(*) FROM storms WHERE closed_at IS NULL", 0), 1);
	assert_int_equal(query_int("SELECT count(*) FROM alerts WHERE storm_id IS NOT NULL", 0), TILLS);
	/* The cards of the first few and one storm message; later tills edit it, at most every storm_every. */
	assert_int_equal(outbox(), cfg.alert_storm_min);
	now += cfg.alert_storm_every;
	tick();
	tick();
	assert_int_equal(outbox(), cfg.alert_storm_min + 1);
	/* All fine again: the storm ends and its ticket closes. */
	for (int i = 0; i < TILLS; i++)
		for (int k = 0; k < 2; k++)
			report(i, "ofd.unreachable", AGENT_OK, "ok");
	now += cfg.alert_recover_after;
	tick();
	assert_int_equal(query_int("SELECT count(*) FROM storms WHERE closed_at IS NULL", 0), 0);
	assert_int_equal(query_int("SELECT count(*) FROM ticket_state WHERE status != 'closed'"
				   " AND id IN (SELECT ticket_id FROM alerts)", 0), 0);
}

static void test_alert__an_expiring_drive_joins_its_planned_ticket(void **state)
{
	(void)state;
	char day[16];
	int64_t unit;
	time_t in20 = (time_t)(now + 20 * 86400);
	struct tm tm;
	gmtime_r(&in20, &tm);
	strftime(day, sizeof(day), "%Y-%m-%d", &tm);
	dlg.now = now;
	assert_int_equal(db_begin(desk), 0);
	assert_int_equal(db_equipment_add(desk, &unit, tills[1], "fn", "", "9999078900001234", day), 0);
	assert_int_equal(forecast_tick(&dlg), 0);
	assert_int_equal(db_commit(desk), 0);
	int64_t planned = query_int("SELECT ticket_id FROM forecasts ORDER BY opened_at DESC LIMIT 1", 0);
	assert_true(planned > 0);
	report(1, "fn.expiring", AGENT_WARNING, "ФН: до конца срока 20 дней");
	assert_int_equal(ticket_of_last_alert(), planned);
	assert_int_equal(query_int("SELECT count(*) FROM outbox WHERE msg_key IS NULL AND args LIKE '%CARD_HEAD%'", 0), 1);
}

static void test_alert__a_check_that_keeps_coming_back_opens_flapping(void **state)
{
	(void)state;
	int64_t t0 = now;
	report(4, "disk.space", AGENT_WARNING, "диск");
	now = t0 + 10; report(4, "disk.space", AGENT_OK, "ok");
	now = t0 + 20; report(4, "disk.space", AGENT_OK, "ok");
	now = t0 + 80; tick();
	now = t0 + 90; report(4, "disk.space", AGENT_WARNING, "диск");
	now = t0 + 100; report(4, "disk.space", AGENT_OK, "ok");
	now = t0 + 110; report(4, "disk.space", AGENT_OK, "ok");
	now = t0 + 100 + cfg.alert_flap_settle + 1; tick();
	assert_int_equal(query_int("SELECT count(*) FROM alerts WHERE state != 'resolved'", 0), 0);
	/* The fifth change within flap_window: the new alert opens flapping (report() asserts it works). */
	now += 60;
	report(4, "disk.space", AGENT_WARNING, "диск");
	assert_int_equal(query_int("SELECT flapping FROM alerts ORDER BY id DESC LIMIT 1", 0), 1);
	assert_int_equal(query_int("SELECT count(*) FROM alert_events WHERE kind = 'flapping' AND alert_id ="
				   " (SELECT max(id) FROM alerts)", 0), 1);
}

static void test_alert__a_silence_ending_over_many_tills_makes_one_storm(void **state)
{
	(void)state;
	char sql[256];
	snprintf(sql, sizeof(sql), "INSERT INTO silences(id, code, starts_at, ends_at, comment,"
		 " created_by, created_at) VALUES (9, 'ofd.*', %lld, %lld, 'работы ОФД', 'root', %lld)",
		 (long long)now - 1, (long long)now + 7200, (long long)now);
	assert_int_equal(sqlite3_exec(peek, sql, NULL, NULL, NULL), SQLITE_OK);
	for (int i = 0; i < TILLS; i++)
		report(i, "ofd.unreachable", AGENT_WARNING, "ОФД не отвечает");
	assert_int_equal(outbox(), 0);
	now += 7201;
	tick();
	assert_int_equal(query_int("SELECT count(DISTINCT ticket_id) FROM alerts", 0), 1);
	assert_int_equal(query_int("SELECT count(*) FROM alerts WHERE storm_id IS NULL", 0), 0);
	/* The silence's end, then one storm message. */
	assert_int_equal(outbox(), 2);
}

static void test_alert__a_storm_done_with_takes_no_later_fault(void **state)
{
	(void)state;
	for (int i = 0; i < TILLS; i++)
		report(i, "ofd.unreachable", AGENT_WARNING, "ОФД не отвечает");
	for (int i = 0; i < TILLS - 1; i++)
		for (int k = 0; k < 2; k++)
			report(i, "ofd.unreachable", AGENT_OK, "ok");
	now += cfg.alert_recover_after;
	tick();
	/* One till stays broken; the engineers close the storm's ticket; hours later till 0 fails again. */
	assert_int_equal(sqlite3_exec(peek, "UPDATE tickets SET status = 'closed' WHERE id ="
				      " (SELECT ticket_id FROM storms WHERE closed_at IS NULL)", NULL, NULL, NULL),
			 SQLITE_OK);
	int64_t sent = query_int("SELECT count(*) FROM outbox WHERE kind != 'edit'", 0);
	now += 6 * 3600;
	report(0, "ofd.unreachable", AGENT_CRITICAL, "ОФД не отвечает");
	assert_int_equal(query_int("SELECT count(*) FROM outbox WHERE kind != 'edit'", 0), sent + 1);
	assert_int_equal(query_int("SELECT storm_id IS NULL FROM alerts ORDER BY id DESC LIMIT 1", 0), 1);
}

static void test_alert__a_resolved_ticket_of_a_till_closes_on_recovery_and_is_not_joined(void **state)
{
	(void)state;
	char sql[256];
	report(3, "utm.down", AGENT_CRITICAL, "УТМ не отвечает");
	int64_t t = ticket_of_last_alert();
	snprintf(sql, sizeof(sql), "UPDATE tickets SET status = 'resolved' WHERE id = %lld", (long long)t);
	assert_int_equal(sqlite3_exec(peek, sql, NULL, NULL, NULL), SQLITE_OK);
	report(3, "utm.down", AGENT_CRITICAL, "УТМ не отвечает");
	for (int k = 0; k < 2; k++)
		report(3, "utm.down", AGENT_OK, "ok");
	now += cfg.alert_recover_after;
	tick();
	snprintf(sql, sizeof(sql), "SELECT status = 'closed' FROM tickets WHERE id = %lld", (long long)t);
	assert_int_equal(query_int(sql, 0), 1);
	now += 7 * 86400;
	report(3, "utm.down", AGENT_CRITICAL, "УТМ не отвечает");
	assert_true(ticket_of_last_alert() != t);
}

static void test_alert__a_check_gone_quiet_ends_as_stale(void **state)
{
	(void)state;
	report(5, "pos.vat", AGENT_WARNING, "НДС");
	now += cfg.alert_offline_after + 1;
	report(5, "fn.state", AGENT_OK, "ok");   /* the till is heard, pos.vat said nothing */
	assert_int_equal(query_int("SELECT count(*) FROM alerts WHERE state != 'resolved'", 0), 0);
	assert_int_equal(query_int("SELECT count(*) FROM alert_events WHERE kind = 'stale'", 0), 1);
}

static void test_alert__a_silence_added_while_it_fires_quiets_the_raise(void **state)
{
	(void)state;
	char sql[256];
	report(6, "fn.unsent", AGENT_WARNING, "3 дня");
	int64_t sent = outbox();
	snprintf(sql, sizeof(sql), "INSERT INTO silences(id, till_id, starts_at, ends_at, comment,"
		 " created_by, created_at) VALUES (11, %lld, %lld, %lld, 'работы', 'root', %lld)",
		 (long long)tills[6], (long long)now, (long long)now + 600, (long long)now);
	assert_int_equal(sqlite3_exec(peek, sql, NULL, NULL, NULL), SQLITE_OK);
	now += 1;
	report(6, "fn.unsent", AGENT_CRITICAL, "7 дней");
	assert_int_equal(outbox(), sent);
	assert_int_equal(query_int("SELECT silence_id FROM alerts", 0), 11);
}

static void test_alert__a_store_back_gives_its_still_silent_tills_a_grace(void **state)
{
	(void)state;
	/* Store 2 has tills 3..11: silence them all but keep store 1 heard. */
	for (int i = 3; i < TILLS; i++)
		set_seen(i, now - cfg.alert_offline_after - 1);
	tick();
	assert_int_equal(query_int("SELECT count(*) FROM alerts WHERE code = 'store.offline'", 0), 1);
	assert_int_equal(query_int("SELECT priority FROM alerts WHERE code = 'store.offline'", 0), 1);
	/* One till is back: the store alert ends; the others wait a grace before alerts of their own. */
	report(3, "fn.state", AGENT_OK, "ok");
	tick();
	assert_int_equal(query_int("SELECT count(*) FROM alerts WHERE state != 'resolved'", 0), 0);
	now += cfg.alert_offline_after + 1;
	for (int i = 0; i < 4; i++)   /* store 1's tills and till 3 are heard */
		set_seen(i, now);
	tick();
	assert_int_equal(query_int("SELECT count(*) FROM alerts WHERE state != 'resolved'"
				   " AND code = 'till.offline'", 0), TILLS - 4);
}

int main(void)
{
	now = NOW;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_alert__a_fault_opens_one_ticket_with_the_article_on_its_card, fresh_desk),
		cmocka_unit_test_setup(test_alert__repeats_only_count, fresh_desk),
		cmocka_unit_test_setup(test_alert__worse_raises_the_priority_once, fresh_desk),
		cmocka_unit_test_setup(test_alert__recovery_waits_then_closes_an_unclaimed_ticket, fresh_desk),
		cmocka_unit_test_setup(test_alert__a_relapse_while_recovering_keeps_the_ticket, fresh_desk),
		cmocka_unit_test_setup(test_alert__a_flapping_check_gets_one_notice, fresh_desk),
		cmocka_unit_test_setup(test_alert__one_silent_till_is_one_alert, fresh_desk),
		cmocka_unit_test_setup(test_alert__a_whole_store_silent_is_one_store_alert, fresh_desk),
		cmocka_unit_test_setup(test_alert__a_store_back_gives_its_tills_offline_after_to_return, fresh_desk),
		cmocka_unit_test_setup(test_alert__the_daemons_own_absence_makes_no_till_offline, fresh_desk),
		cmocka_unit_test_setup(test_alert__a_silenced_alert_tells_no_one_until_the_silence_ends, fresh_desk),
		cmocka_unit_test_setup(test_alert__many_tills_with_one_code_make_one_storm, fresh_desk),
		cmocka_unit_test_setup(test_alert__an_expiring_drive_joins_its_planned_ticket, fresh_desk),
		cmocka_unit_test_setup(test_alert__an_hour_of_unchanged_faults_edits_no_card, fresh_desk),
		cmocka_unit_test_setup(test_alert__a_check_that_keeps_coming_back_opens_flapping, fresh_desk),
		cmocka_unit_test_setup(test_alert__a_silence_ending_over_many_tills_makes_one_storm, fresh_desk),
		cmocka_unit_test_setup(test_alert__a_storm_done_with_takes_no_later_fault, fresh_desk),
		cmocka_unit_test_setup(test_alert__a_resolved_ticket_of_a_till_closes_on_recovery_and_is_not_joined, fresh_desk),
		cmocka_unit_test_setup(test_alert__a_check_gone_quiet_ends_as_stale, fresh_desk),
		cmocka_unit_test_setup(test_alert__a_silence_added_while_it_fires_quiets_the_raise, fresh_desk),
		cmocka_unit_test_setup(test_alert__a_store_back_gives_its_still_silent_tills_a_grace, fresh_desk),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
