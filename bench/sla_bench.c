/*
 * sla_bench.c - the SLA scheduler's pass and /queue over many open tickets
 * (issue 5).
 *
 * Fills a fresh database with N open tickets (default 100,000) in 100
 * stores, each with a reaction and a resolution timer as the dialog would
 * set them: deadlines spread over the next days, a tenth of the reactions
 * already met, a tenth of the warnings already sent. Then times, each
 * alone with CLOCK_MONOTONIC after a warm-up:
 *
 *   - the scheduler's due query (db_sla_due) when nothing is due, which is
 *     what it runs every second nearly always;
 *   - the same when 100 warnings and 100 breaches are due;
 *   - the /queue query (db_ticket_queue: every open ticket, nearest
 *     deadline first), which the bot runs on /queue and /mine.
 *
 *   build/bench/sla_bench [--tickets N] [--passes N] [--keep]
 */
#include <getopt.h>
#include <unistd.h>

#include "bench/timing.h"
#include "core/clock.h"
#include "storage/chain.h"
#include "storage/db.h"
#include "storage/sla.h"
#include "storage/ticket.h"

#define NOW 1795000000
#define STORES 100
#define DUE 100

static int count_notice(const struct sla_timer *t, enum sla_notice what, void *arg)
{
	(void)t;
	(void)what;
	(*(long *)arg)++;
	return 0;
}

static int count_row(const struct ticket_row *r, void *arg)
{
	(void)r;
	(*(long *)arg)++;
	return 0;
}

static void die(const char *what, struct db *db)
{
	fprintf(stderr, "sla_bench: %s: %s\n", what, db ? db_errmsg(db) : "");
	exit(1);
}

/* Fills the database: DUE breaches and DUE warnings are due at NOW, nothing before. */
static void fill(struct db *db, long tickets)
{
	int64_t org, stores[STORES];
	if (db_begin(db) || db_org_add(db, &org, "Bench", "standard", NULL))
		die("org", db);
	for (int i = 0; i < STORES; i++) {
		char name[32];
		snprintf(name, sizeof(name), "Store %d", i);
		if (db_store_add(db, &stores[i], org, name, "", "Europe/Moscow", "24/7"))
			die("store", db);
	}
	for (long i = 0; i < tickets; i++) {
		int64_t id;
		struct ticket_new t = { .store_id = stores[i % STORES], .source = "cli",
					.title = "Касса не печатает чек", .priority = 3 };
		int64_t opened = NOW - 3600 + i % 3600;
		if (db_ticket_open(db, &id, &t, opened))
			die("ticket", db);
		/* Deadlines spread over the next three days; the last 2 * DUE are due now. */
		int64_t due = i >= tickets - DUE ? NOW - 1 : NOW + 700 + (i * 7919) % (3 * 86400);
		int64_t warn = i >= tickets - 2 * DUE && i < tickets - DUE ? NOW - 1 : due - 600;
		if (i >= tickets - 2 * DUE && i < tickets - DUE)
			due = NOW + 600;
		struct sla_timer r = { id, SLA_REACTION, 4 * 3600, opened, due, warn, 0, 0, 0, 0 };
		struct sla_timer z = { id, SLA_RESOLUTION, 3 * 43200, opened, due + 86400, due + 43200,
				       0, 0, 0, 0 };
		if (db_sla_set(db, &r) || db_sla_set(db, &z))
			die("timer", db);
		if (i % 10 == 1 && i < tickets - 2 * DUE && db_sla_met(db, id, SLA_REACTION, NOW - 5, 60))
			die("met", db);
		if (i % 10 == 2 && i < tickets - 2 * DUE &&
		    db_sla_noticed(db, id, SLA_REACTION, SLA_WARNING, NOW - 5))
			die("warned", db);
	}
	if (db_commit(db))
		die("commit", db);
}

struct query {
	struct db *db;
	int64_t now;
	bool queue;   /* /queue, else the scheduler's due notices */
	long rows;
};

static int query_once(void *arg)
{
	struct query *q = arg;
	int total;
	q->rows = 0;
	return q->queue ? db_ticket_queue(q->db, 0, 0, &total, count_row, &q->rows)
			: db_sla_due(q->db, q->now, count_notice, &q->rows);
}

/* Times passes runs of one query; prints p50, p99 and the rows it gave. */
static void timed(struct db *db, const char *what, int passes, int64_t now, bool queue)
{
	struct query q = { db, now, queue, 0 };
	struct timing t;
	if (timing_run(passes, query_once, &q, &t))
		die(what, db);
	printf("%-44s p50 %8.3f ms  p99 %8.3f ms  (%ld rows, %d passes)\n", what, t.p50, t.p99,
	       q.rows, passes);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tickets", required_argument, NULL, 't' },
		{ "passes", required_argument, NULL, 'p' },
		{ "keep", no_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	long long tickets = 100000, passes = 1000;
	bool keep = false;
	int opt;
	while ((opt = getopt_long(argc, argv, "t:p:k", opts, NULL)) != -1) {
		if ((opt == 't' && parse_int(&tickets, optarg, 2 * DUE + 10, 10000000)) ||
		    (opt == 'p' && parse_int(&passes, optarg, 10, 1000000)) || opt == '?') {
			fprintf(stderr, "usage: sla_bench [--tickets N] [--passes N] [--keep]\n");
			return 2;
		}
		keep |= opt == 'k';
	}

	char dir[] = "/tmp/tilldesk-sla-bench-XXXXXX", path[64], err[256];
	struct db *db;
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/bench.db", dir);
	if (db_open(&db, path, err, sizeof(err))) {
		fprintf(stderr, "sla_bench: %s\n", err);
		return 1;
	}
	int64_t t0 = clock_mono_us();
	fill(db, tickets);
	printf("%lld open tickets, %d stores: filled in %.1f s\n", tickets, STORES,
	       (double)(clock_mono_us() - t0) / 1e6);

	timed(db, "scheduler pass, nothing due", (int)passes, NOW - 3600, false);
	timed(db, "scheduler pass, 100 warnings + 100 breaches", (int)passes, NOW, false);
	timed(db, "/queue query (every open ticket)", (int)(passes / 50 > 10 ? passes / 50 : 10),
	      NOW, true);
	db_close(db);
	if (keep) {
		printf("kept %s\n", path);
	} else {
		unlink(path);
		char side[96];
		snprintf(side, sizeof(side), "%s-wal", path);
		unlink(side);
		snprintf(side, sizeof(side), "%s-shm", path);
		unlink(side);
		rmdir(dir);
	}
	return 0;
}
