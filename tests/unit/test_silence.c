/*
 * Unit tests: what a silence covers and when (storage/silence.h), when it
 * is over, the admin's add / list / remove, and the read-only alert views
 * behind `tilldesk alert list|show` (storage/alert_view.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "scratch.h"
#include "storage/alert_view.h"
#include "storage/chain.h"
#include "storage/silence.h"

#define T0 1800000000LL
#define HOUR 3600

static char dir[] = "/tmp/tilldesk-silence-XXXXXX";
static char db_path[256];
static struct db *db;
/* Two stores: A with tills A1 and A2, B with B1. */
static int64_t store_a, store_b, till_a1, till_a2, till_b1;

static int setup(void **state)
{
	(void)state;
	char err[256];
	int64_t org;
	if (scratch_make(dir, sizeof(dir), "silence"))
		return -1;
	snprintf(db_path, sizeof(db_path), "%s/desk.db", dir);
	if (db_open(&db, db_path, err, sizeof(err)))
		return -1;
	return db_org_add(db, &org, "Ромашка", "standard", NULL) ||
	       db_store_add(db, &store_a, org, "A", "", "Europe/Moscow", "24/7") ||
	       db_store_add(db, &store_b, org, "B", "", "Asia/Vladivostok", "24/7") ||
	       db_till_add(db, &till_a1, store_a, "A1", "hash-a1") ||
	       db_till_add(db, &till_a2, store_a, "A2", "hash-a2") ||
	       db_till_add(db, &till_b1, store_b, "B1", "hash-b1") ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	db_close(db);
	db = NULL;
	return scratch_remove(dir);
}

/* A silence of till / store / code (0 / NULL: any) for [from, to). */
static int64_t silence(int64_t till, int64_t store, const char *code, int64_t from, int64_t to)
{
	struct silence_new s = {
		.match = { .till_id = till, .store_id = store, .code = code },
		.starts_at = from, .ends_at = to, .comment = "работы", .created_by = "admin",
	};
	int64_t id;
	assert_int_equal(db_silence_add(db, &id, &s, from), 0);
	return id;
}

/* The silence db_silence_find() names for an alert at now (0: none). */
static int64_t found(int64_t store, int64_t till, const char *code, int64_t now)
{
	int64_t id = -1;
	assert_int_equal(db_silence_find(db, store, till, code, now, &id), 0);
	return id;
}

/* Runs SQL through a connection of its own: alert rows as the alerting would write them. */
static void sql(const char *text)
{
	sqlite3 *h;
	char *err = NULL;
	assert_int_equal(sqlite3_open(db_path, &h), SQLITE_OK);
	if (sqlite3_exec(h, text, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", text, err);
	sqlite3_close(h);
}

static void test_silence__a_till_covers_its_own_alerts_only(void **state)
{
	(void)state;
	int64_t id = silence(till_a1, 0, NULL, T0, T0 + HOUR);
	assert_int_equal(found(store_a, till_a1, "fn.expiring", T0 + 1), id);
	assert_int_equal(found(store_a, till_a1, "utm.down", T0 + 1), id);
	assert_int_equal(found(store_a, till_a2, "fn.expiring", T0 + 1), 0);
	/* The store's own alert ("store.offline", no till) is not the till's. */
	assert_int_equal(found(store_a, 0, "store.offline", T0 + 1), 0);
}

static void test_silence__a_store_covers_its_tills_and_its_own_alert(void **state)
{
	(void)state;
	int64_t id = silence(0, store_a, NULL, T0, T0 + HOUR);
	assert_int_equal(found(store_a, till_a1, "fn.expiring", T0), id);
	assert_int_equal(found(store_a, till_a2, "utm.down", T0), id);
	assert_int_equal(found(store_a, 0, "store.offline", T0), id);
	assert_int_equal(found(store_b, till_b1, "fn.expiring", T0), 0);
	assert_int_equal(found(store_b, 0, "store.offline", T0), 0);
}

static void test_silence__a_code_matches_exactly_or_as_a_prefix_with_a_star(void **state)
{
	(void)state;
	int64_t utm = silence(0, 0, "utm.down", T0, T0 + HOUR);
	assert_int_equal(found(store_a, till_a1, "utm.down", T0), utm);
	assert_int_equal(found(store_b, till_b1, "utm.down", T0), utm);
	assert_int_equal(found(store_a, till_a1, "utm.down2", T0), 0);
	assert_int_equal(found(store_a, till_a1, "utm.cert_rsa", T0), 0);

	int64_t fn = silence(0, 0, "fn.*", T0, T0 + HOUR);
	assert_int_equal(found(store_a, till_a1, "fn.expiring", T0), fn);
	assert_int_equal(found(store_b, till_b1, "fn.blocked", T0), fn);
	assert_int_equal(found(store_a, till_a1, "fn", T0), 0);
	assert_int_equal(found(store_a, till_a1, "fnx.state", T0), 0);
	/* A '_' or '%' in a code is a character, not a LIKE wildcard. */
	silence(0, 0, "a_b*", T0, T0 + HOUR);
	assert_int_equal(found(store_a, till_a1, "axb.c", T0), 0);
}

static void test_silence__every_field_set_must_match(void **state)
{
	(void)state;
	int64_t id = silence(0, store_a, "fn.*", T0, T0 + HOUR);
	assert_int_equal(found(store_a, till_a2, "fn.expiring", T0), id);
	assert_int_equal(found(store_a, till_a2, "utm.down", T0), 0);
	assert_int_equal(found(store_b, till_b1, "fn.expiring", T0), 0);
	int64_t both = silence(till_b1, store_b, "clock.skew", T0, T0 + HOUR);
	assert_int_equal(found(store_b, till_b1, "clock.skew", T0), both);
	assert_int_equal(found(store_b, till_b1, "disk.space", T0), 0);
}

static void test_silence__live_from_its_start_to_before_its_end_unless_removed(void **state)
{
	(void)state;
	int64_t id = silence(till_a1, 0, NULL, T0 + HOUR, T0 + 2 * HOUR);
	assert_int_equal(found(store_a, till_a1, "fn.state", T0), 0);             /* scheduled */
	assert_int_equal(found(store_a, till_a1, "fn.state", T0 + HOUR), id);      /* its start */
	assert_int_equal(found(store_a, till_a1, "fn.state", T0 + 2 * HOUR - 1), id);
	assert_int_equal(found(store_a, till_a1, "fn.state", T0 + 2 * HOUR), 0);   /* its end */
	assert_int_equal(db_silence_remove(db, id, T0 + HOUR + 60), 0);
	assert_int_equal(found(store_a, till_a1, "fn.state", T0 + HOUR + 61), 0);
}

static void test_silence__find_names_the_newest_of_several(void **state)
{
	(void)state;
	silence(0, store_a, NULL, T0, T0 + 3 * HOUR);
	int64_t newer = silence(till_a1, 0, "fn.*", T0, T0 + HOUR);
	assert_int_equal(found(store_a, till_a1, "fn.state", T0 + 10), newer);
	/* The newer one ends: the older still covers. */
	assert_int_not_equal(found(store_a, till_a1, "fn.state", T0 + HOUR), 0);
	assert_int_not_equal(found(store_a, till_a1, "fn.state", T0 + HOUR), newer);
}

struct over_calls {
	int64_t ids[8];
	int n;
	int64_t now;
};

/* As the scheduler does: note each one and mark it handled at once. */
static int note_over(int64_t id, void *arg)
{
	struct over_calls *c = arg;
	c->ids[c->n++] = id;
	assert_int_equal(db_silence_ended(db, id, c->now), 0);
	return 0;
}

static void test_silence__over_reports_each_ended_or_removed_silence_once(void **state)
{
	(void)state;
	int64_t later = silence(till_a1, 0, NULL, T0, T0 + 2 * HOUR);
	int64_t sooner = silence(0, store_b, NULL, T0, T0 + HOUR);
	int64_t live = silence(0, 0, "utm.down", T0, T0 + 5 * HOUR);
	int64_t removed = silence(0, 0, "fn.*", T0, T0 + 5 * HOUR);
	int64_t scheduled = silence(0, 0, "disk.*", T0 + 4 * HOUR, T0 + 5 * HOUR);
	struct over_calls c = { .now = T0 + 30 };
	assert_int_equal(db_silences_over(db, c.now, note_over, &c), 0);
	assert_int_equal(c.n, 0);

	assert_int_equal(db_silence_remove(db, removed, T0 + HOUR + 30 * 60), 0);
	assert_int_equal(db_silence_remove(db, scheduled, T0 + HOUR + 40 * 60), 0);
	c = (struct over_calls){ .now = T0 + 2 * HOUR };
	assert_int_equal(db_silences_over(db, c.now, note_over, &c), 0);
	/* Oldest first, by when each stopped: at its end or when it was removed. */
	assert_int_equal(c.n, 4);
	assert_int_equal(c.ids[0], sooner);
	assert_int_equal(c.ids[1], removed);
	assert_int_equal(c.ids[2], scheduled);
	assert_int_equal(c.ids[3], later);

	c = (struct over_calls){ .now = T0 + 3 * HOUR };
	assert_int_equal(db_silences_over(db, c.now, note_over, &c), 0);
	assert_int_equal(c.n, 0);
	c = (struct over_calls){ .now = T0 + 5 * HOUR };
	assert_int_equal(db_silences_over(db, c.now, note_over, &c), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.ids[0], live);
}

static int stop_at_first(int64_t id, void *arg)
{
	(void)id;
	(*(int *)arg)++;
	return 7;
}

static void test_silence__over_stops_at_the_callers_error(void **state)
{
	(void)state;
	silence(till_a1, 0, NULL, T0, T0 + 10);
	silence(till_a2, 0, NULL, T0, T0 + 20);
	int calls = 0;
	assert_int_equal(db_silences_over(db, T0 + HOUR, stop_at_first, &calls), 7);
	assert_int_equal(calls, 1);
}

static void test_silence__remove_refuses_unknown_removed_and_expired(void **state)
{
	(void)state;
	int64_t id = silence(0, store_a, NULL, T0, T0 + HOUR);
	assert_int_equal(db_silence_remove(db, id + 100, T0 + 10), TD_ENOTFOUND);
	assert_int_equal(db_silence_remove(db, id, T0 + 10), 0);
	assert_int_equal(db_silence_remove(db, id, T0 + 20), TD_EEXISTS);
	int64_t old = silence(0, store_a, NULL, T0, T0 + 60);
	assert_int_equal(db_silence_remove(db, old, T0 + 60), TD_EEXISTS);
}

struct seen_silences {
	int64_t ids[8];
	enum silence_state states[8];
	char text[512];
	int n;
};

static int note_silence(const struct silence_row *r, void *arg)
{
	struct seen_silences *s = arg;
	s->states[s->n] = r->state;
	s->ids[s->n++] = r->id;
	size_t len = strlen(s->text);
	snprintf(s->text + len, sizeof(s->text) - len, "%s|%s|%s|%s|%s;", r->store, r->till, r->code,
		 r->timezone, r->created_by);
	return 0;
}

static void test_silence__list_shows_live_ones_or_all_with_their_state(void **state)
{
	(void)state;
	int64_t active = silence(till_b1, 0, NULL, T0, T0 + HOUR);
	int64_t scheduled = silence(0, store_a, NULL, T0 + HOUR, T0 + 2 * HOUR);
	int64_t expired = silence(0, 0, "fn.*", T0 - HOUR, T0 - 60);
	int64_t removed = silence(0, 0, "utm.down", T0 - 60, T0 + HOUR);
	assert_int_equal(db_silence_remove(db, removed, T0), 0);

	struct seen_silences s = { 0 };
	assert_int_equal(db_silence_list(db, false, T0 + 1, note_silence, &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.ids[0], active);
	assert_int_equal(s.states[0], SILENCE_ACTIVE);
	assert_int_equal(s.ids[1], scheduled);
	assert_int_equal(s.states[1], SILENCE_SCHEDULED);
	/* A till's silence names the till's store and reads its clock; codes alone: UTC. */
	assert_string_equal(s.text, "B|B1||Asia/Vladivostok|admin;A|||Europe/Moscow|admin;");

	s = (struct seen_silences){ 0 };
	assert_int_equal(db_silence_list(db, true, T0 + 1, note_silence, &s), 0);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.ids[0], expired);
	assert_int_equal(s.states[0], SILENCE_EXPIRED);
	assert_int_equal(s.ids[1], removed);
	assert_int_equal(s.states[1], SILENCE_REMOVED);

	s = (struct seen_silences){ 0 };
	assert_int_equal(db_silence_get(db, expired, T0, note_silence, &s), 0);
	assert_string_equal(s.text, "||fn.*||admin;");
	assert_int_equal(db_silence_get(db, removed + 100, T0, note_silence, &s), TD_ENOTFOUND);
}

static void test_silence__zone_is_the_stores_or_utc_for_codes(void **state)
{
	(void)state;
	char zone[64];
	struct silence_match m = { .till_id = till_b1 };
	assert_int_equal(db_silence_zone(db, &m, zone, sizeof(zone)), 0);
	assert_string_equal(zone, "Asia/Vladivostok");
	m = (struct silence_match){ .store_id = store_a, .code = "fn.*" };
	assert_int_equal(db_silence_zone(db, &m, zone, sizeof(zone)), 0);
	assert_string_equal(zone, "Europe/Moscow");
	m = (struct silence_match){ .code = "fn.*" };
	assert_int_equal(db_silence_zone(db, &m, zone, sizeof(zone)), 0);
	assert_string_equal(zone, "");
}

static void test_silence__covering_lists_those_in_force_during_the_alert(void **state)
{
	(void)state;
	silence(till_a1, 0, NULL, T0 - 2 * HOUR, T0 - HOUR);        /* over before it */
	int64_t during = silence(0, store_a, NULL, T0 - 60, T0 + 60);
	silence(0, store_b, NULL, T0, T0 + HOUR);                   /* another store */
	int64_t removed_early = silence(0, 0, "fn.*", T0, T0 + HOUR);
	assert_int_equal(db_silence_remove(db, removed_early, T0 - HOUR), 0);
	int64_t code = silence(0, 0, "fn.*", T0 + 60, T0 + HOUR);
	struct seen_silences s = { 0 };
	assert_int_equal(db_silences_covering(db, store_a, till_a1, "fn.state", T0, T0 + 2 * HOUR,
					      T0 + 2 * HOUR, note_silence, &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.ids[0], during);
	assert_int_equal(s.ids[1], code);
	assert_int_equal(s.states[1], SILENCE_EXPIRED);
}

/* ---- the alert views ---- */

/* Alerts as the alerting writes them: A1 and A2 of store A, the store alert of A, B1. */
static void some_alerts(void)
{
	char text[4096];
	snprintf(text, sizeof(text),
		 "INSERT INTO alerts(id, store_id, till_id, code, check_name, state, severity, message,"
		 " priority, opened_at, last_seen_at, count, flapping, held_by, resolved_at, ok_since) VALUES"
		 " (1, %lld, %lld, 'fn.expiring', 'fn', 'firing', 'warning', 'ФН: 20 дней', 3, %lld, %lld, 12, 0, NULL, NULL, NULL),"
		 " (2, %lld, NULL, 'store.offline', 'heartbeat', 'firing', 'critical', 'нет связи', 1, %lld, %lld, 1, 0, NULL, NULL, NULL),"
		 " (3, %lld, %lld, 'utm.down', 'utm', 'recovering', 'critical', 'УТМ', 2, %lld, %lld, 40, 1, NULL, NULL, %lld),"
		 " (4, %lld, %lld, 'clock.skew', 'clock', 'resolved', 'warning', 'часы', 3, %lld, %lld, 3, 0, NULL, %lld, %lld),"
		 " (5, %lld, %lld, 'disk.space', 'disk', 'resolved', 'warning', 'диск', 4, %lld, %lld, 2, 0, NULL, %lld, %lld),"
		 " (6, %lld, %lld, 'fn.state', 'fn', 'firing', 'critical', 'ФН', 3, %lld, %lld, 1, 0, 2, NULL, NULL);"
		 "INSERT INTO alert_events(alert_id, at, kind, body) VALUES"
		 " (1, %lld, 'opened', 'warning P3'), (3, %lld, 'opened', NULL), (1, %lld, 'repeat', '12');",
		 (long long)store_a, (long long)till_a1, T0 - HOUR, T0,
		 (long long)store_a, T0 - 600, T0,
		 (long long)store_b, (long long)till_b1, T0 - 2 * HOUR, T0 - 100, T0 - 100,
		 (long long)store_a, (long long)till_a2, T0 - 10 * HOUR, T0 - 9 * HOUR, T0 - 8 * HOUR, T0 - 9 * HOUR,
		 (long long)store_a, (long long)till_a1, T0 - 7 * HOUR, T0 - 6 * HOUR, T0 - 5 * HOUR, T0 - 6 * HOUR,
		 (long long)store_a, (long long)till_a2, T0 - 300, T0,
		 T0 - HOUR, T0 - 2 * HOUR, T0 - 60);
	sql(text);
}

struct seen_alerts {
	int64_t ids[8];
	char marks[8][8];
	int n;
	struct alert_view first;
	char text[512];
};

static int note_alert(const struct alert_view *a, void *arg)
{
	struct seen_alerts *s = arg;
	snprintf(s->marks[s->n], sizeof(s->marks[0]), "%s%s%s", a->silenced ? "S" : "",
		 a->held_by ? "H" : "", a->flapping ? "F" : "");
	if (!s->n)
		s->first = *a;
	s->ids[s->n++] = a->id;
	size_t len = strlen(s->text);
	snprintf(s->text + len, sizeof(s->text) - len, "%s|%s|%s|%s|%s|%s|%s;", a->store, a->till,
		 a->timezone, a->code, a->state, a->severity, a->message);
	return 0;
}

static void test_alert_view__list_puts_firing_first_by_priority_then_resolved_newest(void **state)
{
	(void)state;
	some_alerts();
	struct seen_alerts s = { 0 };
	assert_int_equal(db_alert_view_list(db, NULL, T0, note_alert, &s), 0);
	assert_int_equal(s.n, 6);
	/* Firing: P1, then the two P3 oldest first; recovering; resolved newest first, whatever their priority. */
	int64_t order[] = { 2, 1, 6, 3, 5, 4 };
	for (int i = 0; i < 6; i++)
		assert_int_equal(s.ids[i], order[i]);
	assert_int_equal(s.first.till_id, 0);
	assert_int_equal(s.first.priority, 1);
	assert_int_equal(s.first.count, 1);
	assert_int_equal(s.first.opened_at, T0 - 600);
	const char *want = "A||Europe/Moscow|store.offline|firing|critical|нет связи;"
			   "A|A1|Europe/Moscow|fn.expiring|firing|warning|ФН: 20 дней;";
	assert_memory_equal(s.text, want, strlen(want));
}

static void test_alert_view__list_narrows_to_live_alerts_and_a_store(void **state)
{
	(void)state;
	some_alerts();
	struct seen_alerts s = { 0 };
	struct alert_view_filter f = { .live_only = true };
	assert_int_equal(db_alert_view_list(db, &f, T0, note_alert, &s), 0);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.ids[3], 3);

	s = (struct seen_alerts){ 0 };
	f = (struct alert_view_filter){ .store_id = store_b };
	assert_int_equal(db_alert_view_list(db, &f, T0, note_alert, &s), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.ids[0], 3);

	s = (struct seen_alerts){ 0 };
	f = (struct alert_view_filter){ .store_id = store_a, .limit = 2 };
	assert_int_equal(db_alert_view_list(db, &f, T0, note_alert, &s), 0);
	assert_int_equal(s.n, 2);
}

static void test_alert_view__marks_silenced_held_and_flapping(void **state)
{
	(void)state;
	some_alerts();
	/* Store A silenced from now on; a silence of B1 that has already ended. */
	silence(0, store_a, NULL, T0, T0 + HOUR);
	silence(till_b1, 0, NULL, T0 - HOUR, T0 - 1);
	struct seen_alerts s = { 0 };
	assert_int_equal(db_alert_view_list(db, NULL, T0, note_alert, &s), 0);
	assert_string_equal(s.marks[0], "S");    /* 2: the store alert */
	assert_string_equal(s.marks[1], "S");    /* 1 */
	assert_string_equal(s.marks[2], "SH");   /* 6: held under 2 */
	assert_string_equal(s.marks[3], "F");    /* 3: B1, its silence over */
	assert_string_equal(s.marks[4], "");     /* resolved: no longer silenced */
	/* Before the silence began nothing was. */
	s = (struct seen_alerts){ 0 };
	assert_int_equal(db_alert_view_list(db, NULL, T0 - 1, note_alert, &s), 0);
	assert_string_equal(s.marks[0], "");
}

struct seen_events {
	char text[512];
	int n;
};

static int note_event(const struct alert_event_view *e, void *arg)
{
	struct seen_events *s = arg;
	size_t len = strlen(s->text);
	snprintf(s->text + len, sizeof(s->text) - len, "%lld %s %s;", (long long)(e->at - T0), e->kind,
		 e->body);
	s->n++;
	return 0;
}

static void test_alert_view__get_and_history_oldest_first(void **state)
{
	(void)state;
	some_alerts();
	struct seen_alerts s = { 0 };
	assert_int_equal(db_alert_view_get(db, 3, T0, note_alert, &s), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.first.ok_since, T0 - 100);
	assert_string_equal(s.text, "B|B1|Asia/Vladivostok|utm.down|recovering|critical|УТМ;");
	assert_int_equal(db_alert_view_get(db, 99, T0, note_alert, &s), TD_ENOTFOUND);

	struct seen_events e = { .n = 0 };
	assert_int_equal(db_alert_view_history(db, 1, note_event, &e), 0);
	assert_string_equal(e.text, "-3600 opened warning P3;-60 repeat 12;");
	e = (struct seen_events){ .n = 0 };
	assert_int_equal(db_alert_view_history(db, 3, note_event, &e), 0);
	assert_string_equal(e.text, "-7200 opened ;");
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_silence__a_till_covers_its_own_alerts_only),
		TEST(test_silence__a_store_covers_its_tills_and_its_own_alert),
		TEST(test_silence__a_code_matches_exactly_or_as_a_prefix_with_a_star),
		TEST(test_silence__every_field_set_must_match),
		TEST(test_silence__live_from_its_start_to_before_its_end_unless_removed),
		TEST(test_silence__find_names_the_newest_of_several),
		TEST(test_silence__over_reports_each_ended_or_removed_silence_once),
		TEST(test_silence__over_stops_at_the_callers_error),
		TEST(test_silence__remove_refuses_unknown_removed_and_expired),
		TEST(test_silence__list_shows_live_ones_or_all_with_their_state),
		TEST(test_silence__zone_is_the_stores_or_utc_for_codes),
		TEST(test_silence__covering_lists_those_in_force_during_the_alert),
		TEST(test_alert_view__list_puts_firing_first_by_priority_then_resolved_newest),
		TEST(test_alert_view__list_narrows_to_live_alerts_and_a_store),
		TEST(test_alert_view__marks_silenced_held_and_flapping),
		TEST(test_alert_view__get_and_history_oldest_first),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
