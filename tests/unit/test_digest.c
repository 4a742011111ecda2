/*
 * Unit tests: the owners' daily digest. A seeded day of an organisation
 * with a store in Moscow (UTC+3) and one in Vladivostok (UTC+10): each
 * figure checked against the rows that make it, each store's day its own;
 * the SLA figures equal to `report sla`'s for the same day; the letter
 * queued once a day at send_at in the organisation's zone, and on start
 * when that time passed while the daemon was down; `digest send` twice
 * queues one letter.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "peek.h"
#include "scratch.h"
#include "cli/cli.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "mail/digest.h"
#include "storage/chain.h"
#include "storage/digest.h"

#define H 3600
#define DAY 86400

static char dir[64];
static char path[256], cfg_path[256];
static struct config cfg;
static struct db *desk;
static int64_t t0;                 /* 2026-11-25 00:00 UTC */
static int64_t org, other, moscow, vlad, elsewhere;

#include "cli_run.h"

/* ---- seeding, through the second connection ---- */

static void exec(const char *fmt, ...)
{
	char sql[2048];
	char *err = NULL;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	if (sqlite3_exec(peek, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", sql, err);
}

static void ticket(int id, int64_t store, const char *source, int64_t at, const char *status,
		   int article)
{
	exec("INSERT INTO tickets(id, store_id, source, title, created_at, status, priority,"
	     " kb_article_id) VALUES (%d, %lld, '%s', 'fault', %lld, '%s', 2, %s)", id,
	     (long long)store, source, (long long)at, status, article ? (article == 1 ? "1" : "2") : "NULL");
	exec("INSERT INTO ticket_events(ticket_id, at, kind, status, priority)"
	     " VALUES (%d, %lld, 'opened', 'new', 2)", id, (long long)at);
}

static void event(int ticket_id, int64_t at, int actor, const char *kind, const char *body)
{
	exec("INSERT INTO ticket_events(ticket_id, at, actor_id, kind, status, priority, body)"
	     " VALUES (%d, %lld, %d, '%s', 'claimed', 2, %s%s%s)", ticket_id, (long long)at, actor,
	     kind, body ? "'" : "", body ? body : "NULL", body ? "'" : "");
}

/* A timer: met (with used) or not, breached or not. */
static void timer(int ticket_id, const char *kind, int64_t met_at, int64_t used, int64_t breached_at)
{
	exec("INSERT INTO sla_timers(ticket_id, kind, budget, started_at, due_at, met_at, used,"
	     " breached_at) VALUES (%d, '%s', 3600, %lld, %lld, %s, %lld, %s)", ticket_id, kind,
	     (long long)t0, (long long)t0 + H, met_at ? "1" : "NULL", (long long)used,
	     breached_at ? "1" : "NULL");
	if (met_at)
		exec("UPDATE sla_timers SET met_at = %lld WHERE ticket_id = %d AND kind = '%s'",
		     (long long)met_at, ticket_id, kind);
	if (breached_at)
		exec("UPDATE sla_timers SET breached_at = %lld WHERE ticket_id = %d AND kind = '%s'",
		     (long long)breached_at, ticket_id, kind);
}

static void alert(int64_t store, int till, const char *code, const char *state, int64_t opened_at)
{
	exec("INSERT INTO alerts(store_id, till_id, code, state, severity, priority, opened_at,"
	     " last_seen_at) VALUES (%lld, %s, '%s', '%s', 'critical', 2, %lld, %lld)",
	     (long long)store, till ? (till == 1 ? "1" : "2") : "NULL", code, state,
	     (long long)opened_at, (long long)opened_at);
}

/*
 * The day, 2026-11-25: Moscow's runs from 24th 21:00 UTC (t0 - 3h) to 25th
 * 21:00 UTC, Vladivostok's from 24th 14:00 UTC (t0 - 10h) to 25th 14:00.
 */
static void seed(void)
{
	exec("INSERT INTO people(id, name, role, store_id, org_id, created_at) VALUES"
	     " (1, 'Иван', 'engineer', NULL, NULL, 0), (2, 'Пётр', 'engineer', NULL, NULL, 0),"
	     " (3, 'Кассир М', 'cashier', %lld, NULL, 0), (4, 'Кассир В', 'cashier', %lld, NULL, 0)",
	     (long long)moscow, (long long)vlad);
	exec("INSERT INTO kb_articles(id, slug, title, category, priority, body, digest, generation,"
	     " updated_at) VALUES (1, 'ofd', 'Нет связи с ОФД', 'fiscal', 2, '', '', 1, 0),"
	     " (2, 'printer', 'Принтер не печатает', 'hardware', 3, '', '', 1, 0)");
	/* Opened in the day: 1, 2, 9 (Moscow), 4 (Vladivostok). */
	ticket(1, moscow, "telegram", t0 - 2 * H, "closed", 1);       /* 01:00 MSK */
	ticket(2, moscow, "telegram", t0 + 20 * H, "new", 2);         /* 23:00 MSK */
	ticket(3, moscow, "telegram", t0 + 22 * H, "new", 0);         /* 26th 01:00 MSK */
	ticket(4, vlad, "agent", t0 - 9 * H, "claimed", 1);           /* 01:00 VLAT */
	ticket(5, vlad, "agent", t0 + 15 * H, "new", 0);              /* 26th 01:00 VLAT */
	ticket(6, vlad, "agent", t0 - 11 * H, "resolved", 0);         /* 24th 23:00 VLAT */
	ticket(7, elsewhere, "telegram", t0, "new", 1);               /* another organisation */
	ticket(8, moscow, "telegram", t0 - 5 * DAY, "closed", 0);     /* 20th */
	ticket(9, moscow, "agent", t0 - H, "closed", 0);              /* 02:00 MSK, 24th in UTC */
	/* Claims and resolutions in the day: Иван claims 1 and 2, resolves 1; Пётр claims 4, resolves 6. */
	event(1, t0 - H, 1, "claimed", NULL);
	event(1, t0 + H, 1, "resolved", NULL);
	event(2, t0 + 20 * H + 1800, 1, "claimed", NULL);
	event(4, t0 - 8 * H, 2, "claimed", NULL);
	event(6, t0, 2, "resolved", NULL);
	event(8, t0 - 4 * DAY, 1, "resolved", NULL);
	timer(1, "reaction", t0 - H, 600, 0);
	timer(1, "resolution", t0 + H, 3600, 0);
	timer(2, "reaction", t0 + 20 * H + 1800, 1800, 0);
	timer(2, "resolution", 0, 0, 0);
	timer(4, "reaction", t0 - 8 * H, 300, t0 - 8 * H - 60);
	timer(4, "resolution", 0, 0, t0);
	event(4, t0 - 8 * H - 60, 0, "sla_breach", "reaction");
	event(4, t0, 0, "sla_breach", "resolution");
	/* Ratings: ticket 1's in the day, with the cashier's words after it; ticket 8's before. */
	event(1, t0 + 2 * H, 3, "rated", "5");
	event(1, t0 + 2 * H + 60, 3, "message", "Спасибо <b>быстро</b>");
	event(8, t0 - 4 * DAY, 3, "rated", "3");
	/* Faults by code: two ofd.unreachable and one fn.expiring in the day, one the next. */
	alert(moscow, 1, "fn.expiring", "resolved", t0);
	alert(vlad, 2, "ofd.unreachable", "resolved", t0 - 9 * H);
	alert(vlad, 2, "ofd.unreachable", "resolved", t0 - 8 * H);
	alert(vlad, 2, "ofd.unreachable", "firing", t0 + 16 * H);
	/* Offline now: Vladivostok's till; Moscow's store outage is over. */
	alert(vlad, 2, "till.offline", "firing", t0 - 3 * H);
	alert(moscow, 0, "store.offline", "resolved", t0 - 2 * H);
	/* The knowledge base: two «Помогло» in the day, one before; two cashiers' tickets. */
	exec("INSERT INTO kb_suggestions(article_id, person_id, query, confidence, shown_at, outcome,"
	     " decided_at) VALUES (1, 3, 'q', 0.9, %lld, 'helped', %lld),"
	     " (1, 3, 'q', 0.9, %lld, 'helped', %lld), (2, 4, 'q', 0.9, %lld, 'helped', %lld)",
	     (long long)t0, (long long)t0, (long long)(t0 - 3 * DAY), (long long)(t0 - 3 * DAY),
	     (long long)(t0 - 5 * H), (long long)(t0 - 5 * H));
	/* Equipment: a drive and a certificate within 30 days of the 26th, a drive later. */
	exec("INSERT INTO equipment(till_id, kind, model, serial, expires_on, created_at) VALUES"
	     " (1, 'fn', 'ФН-1.1М', '9999078900012345', '2026-12-10', 0),"
	     " (2, 'key', 'JaCarta', 'K-77', '2026-12-26', 0),"
	     " (2, 'fn', 'ФН-1.1М', '9999078900054321', '2027-02-01', 0)");
}

static int setup(void **state)
{
	(void)state;
	char err[256];
	long days;
	int64_t till;
	if (scratch_make(dir, sizeof(dir), "digest") || parse_date(&days, "2026-11-25"))
		return -1;
	t0 = (int64_t)days * DAY;
	clock_set(t0 + DAY + 2 * H);
	snprintf(path, sizeof(path), "%s/desk.db", dir);
	snprintf(cfg_path, sizeof(cfg_path), "%s/tilldesk.ini", dir);
	FILE *f = fopen(cfg_path, "w");
	if (!f)
		return -1;
	fprintf(f, "[general]\ndatabase = %s\nlanguage = ru\n", path);
	fclose(f);
	if (config_load(&cfg, cfg_path, err, sizeof(err)) || db_open(&desk, path, err, sizeof(err)) ||
	    msg_set_language("ru"))
		return -1;
	log_set_level(LOG_ERROR);
	const char *owners[] = { "olga@example.com", "boris@example.com", NULL };
	const char *none[] = { NULL };
	assert_int_equal(db_begin(desk), 0);
	assert_int_equal(db_org_add(desk, &org, "Ромашка", "standard", owners), 0);
	assert_int_equal(db_org_add(desk, &other, "Василёк", "standard", none), 0);
	assert_int_equal(db_store_add(desk, &moscow, org, "На Ленина", "", "Europe/Moscow", "24/7"), 0);
	assert_int_equal(db_store_add(desk, &vlad, org, "Во Владивостоке", "", "Asia/Vladivostok",
				      "24/7"), 0);
	assert_int_equal(db_store_add(desk, &elsewhere, other, "Другой", "", "Europe/Moscow", "24/7"), 0);
	assert_int_equal(db_till_add(desk, &till, moscow, "Касса 1", "hash-1"), 0);
	assert_int_equal(db_till_add(desk, &till, vlad, "Касса 2", "hash-2"), 0);
	assert_int_equal(db_commit(desk), 0);
	if (sqlite3_open(path, &peek) != SQLITE_OK)
		return -1;
	seed();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sqlite3_close(peek);
	db_close(desk);
	config_release(&cfg);
	clock_set(0);
	free(out_text);
	free(err_text);
	return scratch_remove(dir);
}


/* ---- the figures ---- */

static void test_digest__a_day_counts_each_store_in_its_own_day(void **state)
{
	(void)state;
	struct digest d;
	assert_int_equal(digest_build(&d, desk, org, "2026-11-25"), 0);
	assert_string_equal(d.org, "Ромашка");
	assert_string_equal(d.date, "2026-11-25");
	/*
	 * 1, 2, 9 and 4 opened in their stores' 25th; 3 and 5 on the 26th, 6 on
	 * the 24th, 7 elsewhere. (In UTC's day it would be 2, 3, 5.)
	 */
	assert_int_equal(d.opened, 4);
	assert_int_equal(d.opened, query_int("SELECT count(*) FROM tickets WHERE id IN (1, 2, 4, 9) AND ?1", 1));
	/* 1 by Иван at 04:00 MSK, 6 by Пётр at 10:00 VLAT; 8's was days before. */
	assert_int_equal(d.resolved, 2);
	/* New or claimed, of this organisation: 2, 3, 4, 5 (7 is another's). */
	assert_int_equal(d.open_now, 4);
	assert_int_equal(d.open_now, query_int("SELECT count(*) FROM tickets t JOIN stores s"
					       " ON s.id = t.store_id WHERE s.org_id = ?1"
					       " AND t.status IN ('new', 'claimed')", org));
	assert_int_equal(d.n_stores, 2);
	assert_string_equal(d.stores[0].name, "На Ленина");
	assert_int_equal(d.stores[0].n, 3);
	assert_string_equal(d.stores[1].name, "Во Владивостоке");
	assert_int_equal(d.stores[1].n, 1);
	digest_release(&d);
}

static void test_digest__sla_in_time_and_breaches_with_their_tickets(void **state)
{
	(void)state;
	struct digest d;
	assert_int_equal(digest_build(&d, desk, org, "2026-11-25"), 0);
	assert_int_equal(d.sla.tickets, 4);   /* 9 has no timers */
	/* Reaction: 1 and 2 in time, 4 met after its breach. */
	assert_int_equal(d.sla.in_time[0], 2);
	assert_int_equal(d.sla.decided[0], 3);
	/* Resolution: 1 in time, 4 breached, 2 still running. */
	assert_int_equal(d.sla.in_time[1], 1);
	assert_int_equal(d.sla.decided[1], 2);
	assert_int_equal(d.sla.breaches, 2);
	assert_int_equal(d.sla.n_breached, 1);
	assert_int_equal(d.sla.breached[0], 4);
	digest_release(&d);
}

static void test_digest__sla_figures_are_report_sla_s_for_the_same_day(void **state)
{
	(void)state;
	assert_int_equal(run("report", "sla", "--from", "2026-11-25", "--to", "2026-11-25", "--org",
			     "Ромашка", NULL), 0);
	char *report = xstrdup(out_text);
	/* The total section's header, then its one row. */
	char *total = strstr(report, "\nвсего");
	assert_non_null(total);
	total = strstr(total + 1, "\nвсего");
	assert_non_null(total);
	total++;
	*strchr(total, '\n') = '\0';
	assert_contains(total, "67% (2/3)");
	assert_contains(total, "50% (1/2)");
	assert_int_equal(run("digest", "show", "--org", "Ромашка", "--date", "2026-11-25", NULL), 0);
	assert_contains(out_text, "реакция в срок: 67% (2/3)");
	assert_contains(out_text, "решение в срок: 50% (1/2)");
	assert_contains(out_text, "нарушений: 2");
	assert_contains(out_text, "заявки с нарушением: #4");
	/* The report's total row: 4 tickets, 2 breaches at its end. */
	assert_non_null(strstr(total, " 4 "));
	assert_int_equal(total[strlen(total) - 1], '2');
	free(report);
}

static void test_digest__faults_by_article_and_by_agent_code(void **state)
{
	(void)state;
	struct digest d;
	assert_int_equal(digest_build(&d, desk, org, "2026-11-25"), 0);
	assert_int_equal(d.n_articles, 2);
	assert_string_equal(d.articles[0].name, "Нет связи с ОФД");
	assert_int_equal(d.articles[0].n, 2);
	assert_string_equal(d.articles[1].name, "Принтер не печатает");
	assert_int_equal(d.articles[1].n, 1);
	/* Alerts opened in their store's day, offline ones among them. */
	assert_int_equal(d.n_codes, 4);
	assert_string_equal(d.codes[0].name, "ofd.unreachable");
	assert_int_equal(d.codes[0].n, 2);
	assert_int_equal(query_int("SELECT count(*) FROM alerts WHERE code = 'ofd.unreachable'"
				   " AND opened_at < ?1", t0 + 14 * H), 2);
	digest_release(&d);
}

static void test_digest__engineers_claims_resolutions_and_median_reaction(void **state)
{
	(void)state;
	struct digest d;
	assert_int_equal(digest_build(&d, desk, org, "2026-11-25"), 0);
	assert_int_equal(d.n_engineers, 2);
	assert_string_equal(d.engineers[0].name, "Иван");
	assert_int_equal(d.engineers[0].claimed, 2);
	assert_int_equal(d.engineers[0].resolved, 1);
	assert_int_equal(d.engineers[0].median, 600);   /* of 600 and 1800, nearest rank */
	assert_string_equal(d.engineers[1].name, "Пётр");
	assert_int_equal(d.engineers[1].claimed, 1);
	assert_int_equal(d.engineers[1].resolved, 1);
	assert_int_equal(d.engineers[1].median, 300);
	digest_release(&d);
}

static void test_digest__equipment_offline_ratings_and_the_knowledge_base(void **state)
{
	(void)state;
	struct digest d;
	assert_int_equal(digest_build(&d, desk, org, "2026-11-25"), 0);
	assert_int_equal(d.n_expiring, 2);
	assert_string_equal(d.expiring[0].expires_on, "2026-12-10");
	assert_string_equal(d.expiring[0].serial, "9999078900012345");
	assert_string_equal(d.expiring[1].expires_on, "2026-12-26");
	assert_int_equal(d.n_offline, 1);
	assert_string_equal(d.offline[0].store, "Во Владивостоке");
	assert_string_equal(d.offline[0].till, "Касса 2");
	assert_int_equal(d.n_ratings, 1);
	assert_int_equal(d.ratings[0].ticket_id, 1);
	assert_int_equal(d.ratings[0].score, 5);
	assert_string_equal(d.ratings[0].comment, "Спасибо <b>быстро</b>");
	/* Two «Помогло» in the stores' day, two cashiers' tickets: half solved without a ticket. */
	assert_int_equal(d.kb_solved, 2);
	assert_int_equal(d.kb_problems, 4);
	digest_release(&d);
}

static void test_digest__fourteen_days_each_ticket_in_its_store_s_day(void **state)
{
	(void)state;
	struct digest d;
	assert_int_equal(digest_build(&d, desk, org, "2026-11-25"), 0);
	assert_string_equal(d.days[0], "2026-11-12");
	assert_string_equal(d.days[13], "2026-11-25");
	int64_t total = 0;
	for (int i = 0; i < DIGEST_DAYS; i++)
		total += d.per_day[i];
	assert_int_equal(d.per_day[13], 4);
	assert_int_equal(d.per_day[12], 1);   /* 6: the 24th in Vladivostok */
	assert_int_equal(d.per_day[8], 1);    /* 8: the 20th */
	assert_int_equal(total, 6);
	digest_release(&d);
}

static void test_digest__html_escapes_what_people_wrote_and_text_carries_the_same(void **state)
{
	(void)state;
	struct digest d;
	struct buf text = BUF_INIT(1 << 20), html = BUF_INIT(1 << 22);
	assert_int_equal(digest_build(&d, desk, org, "2026-11-25"), 0);
	assert_int_equal(digest_text(&text, &d), 0);
	assert_int_equal(digest_html(&html, &d), 0);
	assert_contains(buf_cstr(&html), "Спасибо &lt;b&gt;быстро&lt;/b&gt;");
	assert_null(strstr(buf_cstr(&html), "<b>быстро"));
	assert_contains(buf_cstr(&text), "Спасибо <b>быстро</b>");
	const char *both[] = { "67% (2/3)", "50% (1/2)", "#4", "Нет связи с ОФД", "ofd.unreachable",
			       "9999078900012345", "Касса 2", "50% (2/4)", "Иван", "10 мин" };
	for (size_t i = 0; i < ARRAY_SIZE(both); i++) {
		assert_contains(buf_cstr(&text), both[i]);
		assert_contains(buf_cstr(&html), both[i]);
	}
	/* The chart: the day's bar the longest, a cell of 300 pixels. */
	assert_contains(buf_cstr(&html), "width=\"300\" height=\"14\" bgcolor=");
	buf_release(&text);
	buf_release(&html);
	digest_release(&d);
}

static void test_digest__rendered_in_the_language_it_is_given(void **state)
{
	(void)state;
	struct digest d;
	struct buf text = BUF_INIT(1 << 20), subject = BUF_INIT(1024);
	assert_int_equal(digest_build(&d, desk, org, "2026-11-25"), 0);
	assert_int_equal(d.lang, LANG_RU);   /* the configured language */
	d.lang = LANG_EN;                    /* an owner's own */
	assert_int_equal(digest_subject(&subject, &d), 0);
	assert_int_equal(digest_text(&text, &d), 0);
	assert_string_equal(buf_cstr(&subject), "Ромашка: digest of 2026-11-25");
	assert_contains(buf_cstr(&text), "reaction in time: 67% (2/3)");
	assert_contains(buf_cstr(&text), "Иван | 2 | 1 | 10 min");
	assert_null(strstr(buf_cstr(&text), "реакция"));
	buf_release(&text);
	buf_release(&subject);
	digest_release(&d);
}

/* ---- the schedule ---- */

static int64_t letters(const char *ref)
{
	sqlite3_stmt *st;
	int64_t n = 0;
	assert_int_equal(sqlite3_prepare_v2(peek, "SELECT count(*) FROM letters WHERE ref = ?", -1,
					    &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* A pass of the scheduler at now, in its transaction, queueing at most max; how many it queued. */
static int tick_at_most(int64_t now, int max)
{
	int queued;
	assert_int_equal(db_begin(desk), 0);
	assert_int_equal(digest_tick(desk, &cfg, now, max, &queued, NULL), 0);
	assert_int_equal(db_commit(desk), 0);
	return queued;
}

static int tick(int64_t now)
{
	return tick_at_most(now, 8);
}

static void test_digest__queued_at_send_at_in_the_org_s_zone_once(void **state)
{
	(void)state;
	char ref[64];
	snprintf(ref, sizeof(ref), "digest:%lld:2026-11-25:ru", (long long)org);
	exec("DELETE FROM letter_rcpts; DELETE FROM letters");
	/* 07:59 in Moscow on the 26th (the first store's zone): not yet. */
	assert_int_equal(tick(t0 + DAY + 4 * H + 59 * 60), 0);
	assert_int_equal(letters(ref), 0);
	/* 08:00: the 25th's digest, to both owners; Василёк has none and gets nothing. */
	assert_int_equal(tick(t0 + DAY + 5 * H), 1);
	assert_int_equal(letters(ref), 1);
	assert_int_equal(query_int("SELECT count(*) FROM letter_rcpts r JOIN letters l"
				   " ON l.id = r.letter_id WHERE l.org_id = ?1", org), 2);
	assert_int_equal(query_int("SELECT count(*) FROM letters WHERE org_id = ?1", other), 0);
	/* Every minute after: nothing more. */
	assert_int_equal(tick(t0 + DAY + 5 * H + 60), 0);
	assert_int_equal(tick(t0 + DAY + 12 * H), 0);
	assert_int_equal(letters(ref), 1);
}

static void test_digest__a_daemon_down_at_send_at_sends_on_start(void **state)
{
	(void)state;
	char ref[64];
	snprintf(ref, sizeof(ref), "digest:%lld:2026-11-26:ru", (long long)org);
	/* Down from the 27th 07:00 to 15:00 Moscow: its first pass sends the 26th's digest. */
	db_close(desk);
	char err[256];
	assert_int_equal(db_open(&desk, path, err, sizeof(err)), 0);
	assert_int_equal(letters(ref), 0);
	assert_int_equal(tick(t0 + 2 * DAY + 12 * H), 1);
	assert_int_equal(letters(ref), 1);
	assert_int_equal(tick(t0 + 2 * DAY + 12 * H + 60), 0);
}

static void test_digest__follows_the_org_s_own_zone(void **state)
{
	(void)state;
	char ref[64];
	snprintf(ref, sizeof(ref), "digest:%lld:2026-11-27:ru", (long long)org);
	assert_int_equal(run("org", "set", "Ромашка", "--timezone", "Asia/Vladivostok", NULL), 0);
	/* 28th 07:59 in Vladivostok (27th 21:59 UTC): not yet; 08:00: the 27th's. */
	assert_int_equal(tick(t0 + 2 * DAY + 21 * H + 59 * 60), 0);
	assert_int_equal(tick(t0 + 2 * DAY + 22 * H), 1);
	assert_int_equal(letters(ref), 1);
	assert_int_equal(run("org", "set", "Ромашка", "--timezone", "Europe/Moscow", NULL), 0);
}

static void test_digest__a_pass_queues_at_most_its_batch(void **state)
{
	(void)state;
	exec("INSERT INTO org_owners(org_id, email) VALUES (%lld, 'vera@example.com')", (long long)other);
	/* 29th 08:00 in Moscow, both organisations due: one a pass, then none. */
	int64_t at = t0 + 4 * DAY + 5 * H;
	assert_int_equal(tick_at_most(at, 1), 1);
	assert_int_equal(tick_at_most(at + 1, 1), 1);
	assert_int_equal(tick_at_most(at + 2, 1), 0);
	assert_int_equal(query_int("SELECT count(*) FROM letters WHERE ref LIKE '%:2026-11-28:ru'"
				   " AND ?1", 1), 2);
	exec("DELETE FROM org_owners WHERE org_id = %lld", (long long)other);
}

static void test_digest__send_twice_queues_once(void **state)
{
	(void)state;
	char ref[64];
	snprintf(ref, sizeof(ref), "digest:%lld:2026-11-20:ru", (long long)org);
	assert_int_equal(run("digest", "send", "--org", "Ромашка", "--date", "2026-11-20", NULL), 0);
	assert_contains(out_text, "поставлена в очередь");
	assert_contains(out_text, "digest:1:2026-11-20");
	assert_int_equal(run("digest", "send", "--org", "Ромашка", "--date", "2026-11-20", NULL), 0);
	assert_contains(out_text, "уже была поставлена");
	assert_int_equal(letters(ref), 1);
	/* An organisation without owners: refused, nothing queued. */
	assert_int_equal(run("digest", "send", "--org", "Василёк", "--date", "2026-11-20", NULL), 1);
	assert_contains(err_text, "нет адресов владельцев");
}

static void test_digest__each_owner_reads_it_in_their_language_or_not_at_all(void **state)
{
	(void)state;
	exec("INSERT INTO org_owners(org_id, email, name, language) VALUES (%lld, 'ann@example.com',"
	     " 'Ann', 'en')", (long long)other);
	exec("INSERT INTO org_owners(org_id, email, digest) VALUES (%lld, 'off@example.com', 0)",
	     (long long)other);
	assert_int_equal(run("digest", "send", "--org", "Василёк", "--date", "2026-11-21", NULL), 0);
	char ref[64];
	snprintf(ref, sizeof(ref), "digest:%lld:2026-11-21:en", (long long)other);
	assert_int_equal(letters(ref), 1);
	assert_int_equal(query_int("SELECT count(*) FROM letters WHERE org_id = ?1 AND ref LIKE"
				   " '%:2026-11-21:ru'", other), 0);
	assert_int_equal(query_int("SELECT count(*) FROM letter_rcpts r JOIN letters l ON l.id ="
				   " r.letter_id WHERE l.org_id = ?1 AND r.addr = 'off@example.com'", other), 0);
	assert_int_equal(query_int("SELECT count(*) FROM letters WHERE org_id = ?1 AND ref LIKE"
				   " '%:2026-11-21:en' AND subject NOT LIKE '%сводка%'", other), 1);
	exec("DELETE FROM org_owners WHERE org_id = %lld", (long long)other);
}

static void test_digest__a_catch_up_goes_on_where_its_last_batch_stopped(void **state)
{
	(void)state;
	int queued;
	int64_t resume = 0;
	exec("INSERT INTO org_owners(org_id, email) VALUES (%lld, 'vera@example.com')", (long long)other);
	int64_t at = t0 + 6 * DAY + 5 * H;   /* the 31st's 08:00 in Moscow: both due */
	assert_int_equal(db_begin(desk), 0);
	assert_int_equal(digest_tick(desk, &cfg, at, 1, &queued, &resume), 0);
	assert_int_equal(queued, 1);
	assert_int_equal(resume, org < other ? org : other);
	/* The next pass starts after it: the other one, and the walk is over. */
	assert_int_equal(digest_tick(desk, &cfg, at, 1, &queued, &resume), 0);
	assert_int_equal(queued, 1);
	assert_int_equal(resume, 0);
	assert_int_equal(digest_tick(desk, &cfg, at, 1, &queued, &resume), 0);
	assert_int_equal(queued, 0);
	assert_int_equal(db_commit(desk), 0);
	exec("DELETE FROM org_owners WHERE org_id = %lld", (long long)other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_digest__a_day_counts_each_store_in_its_own_day),
		cmocka_unit_test(test_digest__sla_in_time_and_breaches_with_their_tickets),
		cmocka_unit_test(test_digest__sla_figures_are_report_sla_s_for_the_same_day),
		cmocka_unit_test(test_digest__faults_by_article_and_by_agent_code),
		cmocka_unit_test(test_digest__engineers_claims_resolutions_and_median_reaction),
		cmocka_unit_test(test_digest__equipment_offline_ratings_and_the_knowledge_base),
		cmocka_unit_test(test_digest__fourteen_days_each_ticket_in_its_store_s_day),
		cmocka_unit_test(test_digest__html_escapes_what_people_wrote_and_text_carries_the_same),
		cmocka_unit_test(test_digest__rendered_in_the_language_it_is_given),
		cmocka_unit_test(test_digest__queued_at_send_at_in_the_org_s_zone_once),
		cmocka_unit_test(test_digest__a_daemon_down_at_send_at_sends_on_start),
		cmocka_unit_test(test_digest__follows_the_org_s_own_zone),
		cmocka_unit_test(test_digest__a_pass_queues_at_most_its_batch),
		cmocka_unit_test(test_digest__send_twice_queues_once),
		cmocka_unit_test(test_digest__a_catch_up_goes_on_where_its_last_batch_stopped),
		cmocka_unit_test(test_digest__each_owner_reads_it_in_their_language_or_not_at_all),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
