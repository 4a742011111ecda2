/*
 * queue_bench.c - /queue and /mine over many open tickets (issue 12, item 4).
 *
 * Fills a fresh database through the storage API, as the dialog writes it,
 * with N open tickets (default 100,000; every one open, the worst case for
 * /queue) in 100 stores, a reaction and a resolution timer each (deadlines
 * spread over three days, a tenth of the reactions met), a quarter claimed
 * by one of 20 engineers, and a tenth opened by a till agent for a check.
 * Then times, each call alone with CLOCK_MONOTONIC after a tenth as many
 * untimed calls (percentiles nearest-rank):
 *
 *   - /queue as the bot asks it: the 30 nearest deadlines and the count;
 *   - /mine for one engineer (N / 80 open tickets of theirs);
 *   - /queue in a [routing] group's chat, whose tickets are one in twenty
 *     (the walk by deadline passes the others by), and in the default
 *     chat, which lists the other nineteen;
 *   - the agent's "open ticket for this till and check" lookup.
 *
 * Built against main for the "before" column with -DQUEUE_BENCH_OLD_API:
 * there db_ticket_queue gave every open ticket and the bot counted them,
 * and the lookup did not exist.
 *
 *   make build/bench/queue_bench
 *   build/bench/queue_bench [--tickets N] [--passes N] [--keep]
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
#define ENGINEERS 20
#define SHOWN 30    /* what the bot shows of /queue (bot/engineer.c) */

static int64_t tills[STORES], engineers[ENGINEERS];

static int count_row(const struct ticket_row *r, void *arg)
{
	(void)r;
	(*(int *)arg)++;
	return 0;
}

static void die(const char *what, struct db *db)
{
	fprintf(stderr, "queue_bench: %s: %s\n", what, db ? db_errmsg(db) : "");
	exit(1);
}

static void fill_chain(struct db *db, int64_t *stores)
{
	int64_t org, invite, person;
	char name[32], hash[32];
	if (db_org_add(db, &org, "Bench", "standard", NULL))
		die("org", db);
	for (int i = 0; i < STORES; i++) {
		snprintf(name, sizeof(name), "Store %d", i);
		snprintf(hash, sizeof(hash), "till-%d", i);
		if (db_store_add(db, &stores[i], org, name, "", "Europe/Moscow", "24/7") ||
		    db_till_add(db, &tills[i], stores[i], "Till 1", hash))
			die("store", db);
	}
	for (int i = 0; i < ENGINEERS; i++) {
		snprintf(name, sizeof(name), "Engineer %d", i);
		snprintf(hash, sizeof(hash), "invite-%d", i);
		if (db_invite_add(db, &invite, hash, "engineer", 0, 0, NOW + 86400) ||
		    db_invite_redeem(db, &person, hash, 1000 + i, name, NOW - 7200))
			die("engineer", db);
		engineers[i] = person;
	}
}

static void fill(struct db *db, long tickets)
{
	int64_t stores[STORES];
	if (db_begin(db))
		die("begin", db);
	fill_chain(db, stores);
	for (long i = 0; i < tickets; i++) {
		int64_t id;
		char check[32];
		struct ticket_new t = { .store_id = stores[i % STORES], .source = "cli",
					.title = "Касса не печатает чек", .priority = 3 };
#ifndef QUEUE_BENCH_OLD_API
		if (i % 10 == 0) {
			snprintf(check, sizeof(check), "check-%ld", i / STORES % 50);
			t.till_id = tills[i % STORES];
			t.source = "agent";
			t.agent_check = check;
		}
		if (i % 20 == 3)
			t.route = "fiscal";
#else
		(void)check;
#endif
		int64_t opened = NOW - 3600 + i % 3600;
		if (db_ticket_open(db, &id, &t, opened))
			die("ticket", db);
#ifdef QUEUE_BENCH_OLD_API
#define CLAIMED "claimed"
#else
#define CLAIMED HISTORY_CLAIMED
#endif
		if (i % 4 == 1 && db_ticket_event(db, id, opened + 60, engineers[i / 4 % ENGINEERS],
						  CLAIMED, TICKET_CLAIMED, 3,
						  engineers[i / 4 % ENGINEERS], NULL))
			die("claim", db);
		int64_t due = NOW + 700 + (i * 7919) % (3 * 86400);
		struct sla_timer r = { id, SLA_REACTION, 4 * 3600, opened, due, due - 600, 0, 0, 0, 0 };
		struct sla_timer z = { id, SLA_RESOLUTION, 3 * 43200, opened, due + 86400, due + 43200,
				       0, 0, 0, 0 };
		if (db_sla_set(db, &r) || db_sla_set(db, &z))
			die("timer", db);
		if (i % 10 == 1 && db_sla_met(db, id, SLA_REACTION, NOW - 5, 60))
			die("met", db);
	}
	if (db_commit(db))
		die("commit", db);
}

enum what { QUEUE, MINE, CHECK, QUEUE_ROUTED, QUEUE_DEFAULT };

/* One call as the bot (or the agent) makes it; gives the rows it read. */
static int once(struct db *db, enum what w, int *rows, int *total)
{
	int64_t assignee = w == MINE ? engineers[1] : 0;
	*rows = *total = 0;
#ifdef QUEUE_BENCH_OLD_API
	if (w == CHECK)
		return 0;
	int rc = db_ticket_queue(db, assignee, count_row, total);
	*rows = *total < SHOWN ? *total : SHOWN;
	return rc;
#else
	if (w == CHECK) {
		int64_t id;
		*rows = 1;
		return db_ticket_open_for_check(db, tills[10], "check-0", &id);
	}
	if (w == QUEUE_ROUTED || w == QUEUE_DEFAULT) {
		const struct ticket_routes fiscal = { 1u << ROUTE_FISCAL, w == QUEUE_DEFAULT };
		return db_ticket_queue_routed(db, 0, &fiscal, SHOWN, total, count_row, rows);
	}
	return db_ticket_queue(db, assignee, SHOWN, total, count_row, rows);
#endif
}

struct call {
	struct db *db;
	enum what w;
	int rows, total;
};

static int call_once(void *arg)
{
	struct call *c = arg;
	return once(c->db, c->w, &c->rows, &c->total);
}

static void timed(struct db *db, const char *label, enum what w, int passes)
{
	struct call c = { db, w, 0, 0 };
	struct timing t;
	if (timing_run(passes, call_once, &c, &t))
		die(label, db);
	printf("%-36s p50 %9.3f ms  p99 %9.3f ms  (%d shown of %d, %d passes)\n", label,
	       t.p50, t.p99, c.rows, c.total, passes);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tickets", required_argument, NULL, 't' },
		{ "passes", required_argument, NULL, 'p' },
		{ "keep", no_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	long long tickets = 100000, passes = 200;
	bool keep = false;
	int opt;
	while ((opt = getopt_long(argc, argv, "t:p:k", opts, NULL)) != -1) {
		if ((opt == 't' && parse_int(&tickets, optarg, 100, 10000000)) ||
		    (opt == 'p' && parse_int(&passes, optarg, 10, 1000000)) || opt == '?') {
			fprintf(stderr, "usage: queue_bench [--tickets N] [--passes N] [--keep]\n");
			return 2;
		}
		keep |= opt == 'k';
	}

	char dir[] = "/tmp/tilldesk-queue-bench-XXXXXX", path[64], side[96], err[256];
	struct db *db;
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/bench.db", dir);
	if (db_open(&db, path, err, sizeof(err))) {
		fprintf(stderr, "queue_bench: %s\n", err);
		return 1;
	}
	int64_t t0 = clock_mono_us();
	fill(db, tickets);
	printf("%lld open tickets, %d stores, %d engineers: filled in %.1f s\n", tickets, STORES,
	       ENGINEERS, (double)(clock_mono_us() - t0) / 1e6);
	timed(db, "/queue (30 nearest deadlines + count)", QUEUE, (int)passes);
	timed(db, "/mine (one engineer's)", MINE, (int)passes);
#ifndef QUEUE_BENCH_OLD_API
	timed(db, "open ticket for till and check", CHECK, (int)passes);
	timed(db, "/queue in a routed chat (1 in 20)", QUEUE_ROUTED, (int)passes);
	timed(db, "/queue in the default chat (19 in 20)", QUEUE_DEFAULT, (int)passes);
#endif
	db_close(db);
	if (keep) {
		printf("kept %s\n", path);
		return 0;
	}
	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
	rmdir(dir);
	return 0;
}
