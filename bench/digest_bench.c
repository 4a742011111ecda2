/*
 * digest_bench.c - the owners' daily digest of an organisation with a long
 * history (issue 16: 1,000,000 tickets built in under a second).
 *
 * Fills a fresh database (through SQLite directly, as the unit tests seed
 * theirs) with one organisation of 50 stores in four zones and N tickets
 * (default 1,000,000) spread evenly over 1,000 days: each with its
 * opening, claim and resolution in the history, both SLA timers (one in
 * twenty breached, with its sla_breach row), a rating for one in five; one
 * alert per ten tickets, three «Помогло» per ten, a fiscal drive per till.
 * Then times the digest of the last day, built (every query) and rendered
 * as text and HTML, as `digest show` and the scheduler make it:
 *
 *   build/bench/digest_bench [--tickets N] [--passes N] [--no-indexes] [--keep]
 *
 * --no-indexes drops the digest's migration's indexes first, to show
 * what they are for; --keep leaves the database (its path printed).
 */
#include <getopt.h>
#include <sqlite3.h>

#include "bench/timing.h"
#include "core/log.h"
#include "core/msg.h"
#include "mail/digest.h"
#include "storage/db.h"
#include "tests/unit/scratch.h"

#define DAY 86400
#define DAYS 1000
#define STORES 50
#define END 1795046400   /* 2026-11-18 00:00 UTC: the history ends here */

static void die(const char *what, const char *err)
{
	fprintf(stderr, "digest_bench: %s: %s\n", what, err ? err : "");
	exit(1);
}

static void exec(sqlite3 *h, const char *sql)
{
	char *err = NULL;
	if (sqlite3_exec(h, sql, NULL, NULL, &err) != SQLITE_OK)
		die(sql, err);
}

static void fill(const char *path, long long tickets, bool no_indexes)
{
	static const char *const zones[] = { "Europe/Kaliningrad", "Europe/Moscow",
					     "Asia/Yekaterinburg", "Asia/Vladivostok" };
	sqlite3 *h;
	char sql[4096];
	if (sqlite3_open(path, &h) != SQLITE_OK)
		die("open", path);
	exec(h, "PRAGMA synchronous = OFF; BEGIN;"
	     "INSERT INTO orgs(id, name, created_at) VALUES (1, 'Bench', 0);"
	     "INSERT INTO org_owners(org_id, email) VALUES (1, 'owner@example.com');");
	for (int s = 1; s <= STORES; s++) {
		snprintf(sql, sizeof(sql), "INSERT INTO stores(id, org_id, name, timezone, hours, created_at)"
			 " VALUES (%d, 1, 'Store %d', '%s', '24/7', 0);"
			 "INSERT INTO tills(id, store_id, name, token_hash, created_at)"
			 " VALUES (%d, %d, 'Till %d', 'hash-%d', 0);"
			 "INSERT INTO people(id, name, role, store_id, created_at)"
			 " VALUES (%d, 'Cashier %d', 'cashier', %d, 0);"
			 "INSERT INTO equipment(till_id, kind, model, serial, expires_on, created_at)"
			 " VALUES (%d, 'fn', 'ФН-1.2', 'SN%d', date(%d, 'unixepoch', '+%d days'), 0);",
			 s, s, zones[s % 4], s, s, s, s, 100 + s, s, s, s, s, END, s);
		exec(h, sql);
	}
	exec(h, "WITH RECURSIVE g(value) AS (SELECT 0 UNION ALL SELECT value + 1 FROM g WHERE value < 9)"
	     " INSERT INTO people(id, name, role, created_at) SELECT 10 + value,"
	     " 'Engineer ' || value, 'engineer', 0 FROM g;");
	for (int a = 1; a <= 5; a++) {
		snprintf(sql, sizeof(sql), "INSERT INTO kb_articles(id, slug, title, category, priority,"
			 " body, digest, generation, updated_at) VALUES (%d, 'a%d', 'Article %d',"
			 " 'fiscal', 2, '', '', 1, 0);", a, a, a);
		exec(h, sql);
	}
	/* Ticket i: store i % 50, opened at an even step over the days, the newest two days open. */
	snprintf(sql, sizeof(sql),
		 "CREATE TEMP TABLE n AS WITH RECURSIVE g(value) AS (SELECT 1 UNION ALL"
		 " SELECT value + 1 FROM g WHERE value < %lld)"
		 " SELECT value AS i, %lld - %d * %d + (value - 1) * %d * %d / %lld AS at FROM g;"
		 "INSERT INTO tickets(id, store_id, till_id, source, title, created_at, status, priority,"
		 " assignee_id, kb_article_id)"
		 " SELECT i, i %% %d + 1, i %% %d + 1, CASE WHEN i %% 2 THEN 'telegram' ELSE 'agent' END,"
		 " 'fault', at, CASE WHEN at > %lld THEN 'claimed' ELSE 'closed' END, 2, 10 + i %% 10,"
		 " CASE WHEN i %% 7 THEN i %% 5 + 1 END FROM n;"
		 "INSERT INTO ticket_events(ticket_id, at, kind, status, priority)"
		 " SELECT i, at, 'opened', 'new', 2 FROM n;"
		 "INSERT INTO ticket_events(ticket_id, at, actor_id, kind, status, priority, assignee_id)"
		 " SELECT i, at + 600, 10 + i %% 10, 'claimed', 'claimed', 2, 10 + i %% 10 FROM n;"
		 "INSERT INTO ticket_events(ticket_id, at, actor_id, kind, status, priority, assignee_id)"
		 " SELECT i, at + 3600, 10 + i %% 10, 'resolved', 'resolved', 2, 10 + i %% 10 FROM n"
		 " WHERE at <= %lld;"
		 "INSERT INTO ticket_events(ticket_id, at, actor_id, kind, status, priority, body)"
		 " SELECT i, at + 7200, 100 + i %% %d, 'rated', 'closed', 2, i %% 5 + 1 FROM n"
		 " WHERE i %% 5 = 0 AND at <= %lld;"
		 "INSERT INTO ticket_events(ticket_id, at, kind, status, priority, body)"
		 " SELECT i, at + 1800, 'sla_breach', 'claimed', 2, 'resolution' FROM n WHERE i %% 20 = 0;"
		 "INSERT INTO sla_timers(ticket_id, kind, budget, started_at, due_at, met_at, used)"
		 " SELECT i, 'reaction', 900, at, at + 900, at + 600, 600 + i %% 300 FROM n;"
		 "INSERT INTO sla_timers(ticket_id, kind, budget, started_at, due_at, met_at, used,"
		 " breached_at) SELECT i, 'resolution', 1800, at, at + 1800,"
		 " CASE WHEN at <= %lld THEN at + 3600 END, 3600,"
		 " CASE WHEN i %% 20 = 0 THEN at + 1800 END FROM n;"
		 "INSERT INTO alerts(store_id, till_id, code, state, severity, priority, opened_at,"
		 " last_seen_at, resolved_at) SELECT i %% %d + 1, i %% %d + 1,"
		 " 'code.' || (i / 10 %% 6), 'resolved', 'critical', 2, at, at, at + 600 FROM n"
		 " WHERE i %% 10 = 0;"
		 "INSERT INTO kb_suggestions(article_id, person_id, query, confidence, shown_at, outcome,"
		 " decided_at) SELECT i %% 5 + 1, 100 + i %% %d, 'q', 0.9, at, 'helped', at + 60 FROM n"
		 " WHERE i %% 10 < 3;"
		 "COMMIT;",
		 tickets, (long long)END, DAYS, DAY, DAYS, DAY, tickets, STORES, STORES,
		 (long long)END - 2 * DAY, (long long)END - 2 * DAY, STORES, (long long)END - 2 * DAY,
		 (long long)END - 2 * DAY, STORES, STORES, STORES);
	exec(h, sql);
	exec(h, "ANALYZE;");
	if (no_indexes)
		exec(h, "DROP INDEX tickets_store_created; DROP INDEX ticket_events_kind_at;"
		     " DROP INDEX alerts_opened; DROP INDEX kb_suggestions_helped;");
	sqlite3_close(h);
}

struct pass {
	struct db *db;
	const char *date;
	size_t bytes;
	int64_t opened;
};

static int build_once(void *arg)
{
	struct pass *p = arg;
	struct digest d;
	struct buf text = BUF_INIT(1 << 20), html = BUF_INIT(4 << 20);
	int rc = digest_build(&d, p->db, 1, p->date);
	if (!rc && !(rc = digest_text(&text, &d)) && !(rc = digest_html(&html, &d))) {
		p->bytes = text.len + html.len;
		p->opened = d.opened;
		digest_release(&d);
	}
	buf_release(&text);
	buf_release(&html);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tickets", required_argument, NULL, 't' },
		{ "passes", required_argument, NULL, 'p' },
		{ "no-indexes", no_argument, NULL, 'n' },
		{ "keep", no_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	long long tickets = 1000000, passes = 20;
	bool no_indexes = false, keep = false;
	char dir[64], path[128], err[256];
	int opt;
	while ((opt = getopt_long(argc, argv, "t:p:nk", opts, NULL)) != -1) {
		if (opt == 't' && !parse_int(&tickets, optarg, 1000, 100000000))
			continue;
		if (opt == 'p' && !parse_int(&passes, optarg, 1, 100000))
			continue;
		if (opt == 'n' || opt == 'k') {
			*(opt == 'n' ? &no_indexes : &keep) = true;
			continue;
		}
		fprintf(stderr, "usage: digest_bench [--tickets N] [--passes N] [--no-indexes] [--keep]\n");
		return 2;
	}
	log_set_level(LOG_WARN);
	msg_set_language("ru");
	struct db *db;
	if (scratch_make(dir, sizeof(dir), "digest-bench"))
		die("scratch", dir);
	snprintf(path, sizeof(path), "%s/bench.db", dir);
	if (db_open(&db, path, err, sizeof(err)))
		die("open", err);
	db_close(db);
	int64_t t0 = clock_mono_us();
	fill(path, tickets, no_indexes);
	printf("%lld tickets over %d days in %d stores, 4 zones: filled in %.1f s%s\n", tickets, DAYS,
	       STORES, (double)(clock_mono_us() - t0) / 1e6, no_indexes ? " (digest indexes dropped)" : "");
	if (db_open(&db, path, err, sizeof(err)))
		die("open", err);
	struct pass p = { .db = db, .date = "2026-11-17" };
	struct timing t;
	t0 = clock_mono_us();
	if (build_once(&p))
		die("digest", db_errmsg(db));
	printf("first digest (cold caches of this connection): %.1f ms; %lld tickets in the day, %zu bytes\n",
	       (double)(clock_mono_us() - t0) / 1000.0, (long long)p.opened, p.bytes);
	if (timing_run((int)passes, build_once, &p, &t))
		die("digest", db_errmsg(db));
	printf("%-44s p50 %8.3f ms  p99 %8.3f ms  (%lld passes)\n", "digest built, text and HTML", t.p50,
	       t.p99, passes);
	db_close(db);
	if (keep) {
		printf("kept: %s\n", path);
		return 0;
	}
	return scratch_remove(dir) ? 1 : 0;
}
