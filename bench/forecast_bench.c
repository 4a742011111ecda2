/*
 * forecast_bench.c - the forecasts' scheduler pass over a large equipment
 * registry (issue 15 item 10).
 *
 * Fills a fresh database with N tills (default 10,000) in 1,000 stores
 * across four time zones, each with a fiscal drive and two key
 * certificates whose dates are spread from a month ago to 15 months
 * ahead. Then times:
 *
 *   - the first pass, which opens the planned ticket of every unit inside
 *     the window (a daemon started on an old registry);
 *   - the pass the scheduler then runs: nothing new to open;
 *   - for comparison, the same empty transaction with forecasts off;
 *   - the owners' expiry letters' pass (bot/letters.c) over the same
 *     registry, with three owners in two languages: the first pass
 *     (every unit whose step is in force gets its letters), then the
 *     pass the scheduler repeats once a minute (nothing new).
 *
 *   build/bench/forecast_bench [--tills N] [--passes N]
 */
#include <getopt.h>

#include "bench/timing.h"
#include "bot/dialog.h"
#include "bot/forecast.h"
#include "bot/letters.h"
#include "core/config.h"
#include "core/log.h"
#include "storage/chain.h"
#include "storage/db.h"
#include "storage/owners.h"
#include "storage/ticket.h"
#include "tests/unit/scratch.h"

#define NOW 1795000000
#define STORES 1000
#define DAY 86400

static void die(const char *what, struct db *db)
{
	fprintf(stderr, "forecast_bench: %s: %s\n", what, db ? db_errmsg(db) : "");
	exit(1);
}

static void fill(struct db *db, long tills)
{
	static const char *const zones[] = { "Europe/Kaliningrad", "Europe/Moscow", "Asia/Yekaterinburg",
					     "Asia/Vladivostok" };
	static const char *const kinds[][2] = { { "fn", "ФН-1.2" }, { "key", "RSA" }, { "key", "ГОСТ" } };
	int64_t org, stores[STORES];
	if (db_begin(db) || db_org_add(db, &org, "Bench", "standard", NULL))
		die("org", db);
	for (int i = 0; i < STORES; i++) {
		char name[32];
		snprintf(name, sizeof(name), "Store %d", i);
		if (db_store_add(db, &stores[i], org, name, "", zones[i % 4], "24/7"))
			die("store", db);
	}
	for (long i = 0; i < tills; i++) {
		char name[32], hash[32], serial[32], date[16];
		int64_t till, unit;
		snprintf(name, sizeof(name), "Till %ld", i);
		snprintf(hash, sizeof(hash), "hash-%ld", i);
		if (db_till_add(db, &till, stores[i % STORES], name, hash))
			die("till", db);
		for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
			/* From 30 days ago to 450 days ahead. */
			time_t t = NOW + (time_t)((i * 7919 + (long)k * 104729) % 480 - 30) * DAY;
			struct tm tm;
			gmtime_r(&t, &tm);
			strftime(date, sizeof(date), "%Y-%m-%d", &tm);
			snprintf(serial, sizeof(serial), "99990789%08ld", i);
			if (db_equipment_add(db, &unit, till, kinds[k][0], kinds[k][1],
					     k ? "" : serial, date))
				die("unit", db);
		}
	}
	if (db_commit(db))
		die("commit", db);
}

static int skip_row(const struct ticket_row *r, void *arg)
{
	(void)r;
	(void)arg;
	return 0;
}

struct pass {
	struct dialog d;
};

static int pass_once(void *arg)
{
	struct pass *p = arg;
	int rc = db_begin(p->d.db);
	if (!rc && !(rc = forecast_tick(&p->d)))
		rc = db_commit(p->d.db);
	if (rc)
		db_rollback(p->d.db);
	return rc;
}

static int letters_pass_once(void *arg)
{
	struct pass *p = arg;
	int rc = db_begin(p->d.db);
	if (!rc && !(rc = letters_expiry_tick(&p->d)))
		rc = db_commit(p->d.db);
	if (rc)
		db_rollback(p->d.db);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tills", required_argument, NULL, 't' },
		{ "passes", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	long long tills = 10000, passes = 1000;
	int opt;
	while ((opt = getopt_long(argc, argv, "t:p:", opts, NULL)) != -1) {
		if ((opt == 't' && parse_int(&tills, optarg, 1, 10000000)) ||
		    (opt == 'p' && parse_int(&passes, optarg, 10, 1000000)) || opt == '?') {
			fprintf(stderr, "usage: forecast_bench [--tills N] [--passes N]\n");
			return 2;
		}
	}

	char dir[64], path[96], err[256];
	struct config cfg;
	struct db *db;
	log_set_level(LOG_WARN);
	if (scratch_make(dir, sizeof(dir), "forecast-bench") || config_load(&cfg, NULL, err, sizeof(err)))
		return 1;
	snprintf(path, sizeof(path), "%s/bench.db", dir);
	if (db_open(&db, path, err, sizeof(err))) {
		fprintf(stderr, "forecast_bench: %s\n", err);
		return 1;
	}
	int64_t t0 = clock_mono_us();
	fill(db, tills);
	printf("%lld tills, %lld units, %d stores: filled in %.1f s\n", tills, tills * 3, STORES,
	       (double)(clock_mono_us() - t0) / 1e6);

	struct pass p = { { .db = db, .engineers_chat = -100, .now = NOW, .cfg = &cfg } };
	t0 = clock_mono_us();
	if (pass_once(&p))
		die("first pass", db);
	double first_ms = (double)(clock_mono_us() - t0) / 1000.0;
	int opened = 0;
	if (db_ticket_queue(db, 0, 1, &opened, skip_row, NULL))
		die("queue", db);
	printf("first pass: %d planned tickets opened in %.1f ms\n", opened, first_ms);

	struct timing t;
	if (timing_run((int)passes, pass_once, &p, &t))
		die("pass", db);
	printf("%-44s p50 %8.3f ms  p99 %8.3f ms  (%lld passes)\n", "scheduler pass, nothing to open",
	       t.p50, t.p99, passes);

	cfg.alerts_forecast_days = 0;
	if (timing_run((int)passes, pass_once, &p, &t))
		die("pass", db);
	printf("%-44s p50 %8.3f ms  p99 %8.3f ms  (%lld passes)\n", "the same transaction, forecasts off",
	       t.p50, t.p99, passes);

	/* The owners' expiry letters over the same registry. */
	if (db_begin(db) || db_owner_add(db, 1, "olga@bench.example", "Ольга", "ru") ||
	    db_owner_add(db, 1, "ivan@bench.example", NULL, NULL) ||
	    db_owner_add(db, 1, "john@bench.example", "John", "en") || db_commit(db))
		die("owners", db);
	int64_t rows = db_total_changes(db);
	t0 = clock_mono_us();
	if (letters_pass_once(&p))
		die("first letters pass", db);
	first_ms = (double)(clock_mono_us() - t0) / 1000.0;
	/* Each letter is its row and its recipients' (two Russian readers, one English). */
	printf("first letters pass: %lld rows (letters and recipients) written in %.1f ms\n",
	       (long long)(db_total_changes(db) - rows), first_ms);
	if (timing_run((int)passes, letters_pass_once, &p, &t))
		die("letters pass", db);
	printf("%-44s p50 %8.3f ms  p99 %8.3f ms  (%lld passes)\n", "expiry letters' pass, nothing new",
	       t.p50, t.p99, passes);

	db_close(db);
	config_release(&cfg);
	return scratch_remove(dir) ? 1 : 0;
}
