/*
 * alert_bench.c - the alerts' evaluation pass (alert_tick, issue 15) over
 * a database holding 10,000 firing alerts, and what alerting adds to the
 * ingest's batch transaction.
 *
 * Fills a fresh database with the shipped articles, 1,000 stores of 10
 * tills each, and one fault per till, stored and observed as the ingest
 * does (db_agent_store + alert_observe, one transaction each): 10,000
 * firing alerts, each with its ticket and card (storm_min is raised for
 * the fill, so that the ten codes do not storm). Then times:
 *
 *   - the fault's transaction (a new alert, its ticket and card), a repeat
 *     of it (counted only), a heartbeat of a code with no alert;
 *   - alert_tick with nothing due (the scheduler's every second);
 *   - alert_tick with --due alerts due: half of them a card to edit (a
 *     repeat 5 minutes ago), half a recovery held long enough. Each such
 *     pass is rolled back, so that every one finds the same work;
 *   - the chain's outage: every till silent past offline_after. The first
 *     passes open the tills' and the stores' offline alerts (PASS_MAX a
 *     pass); then the pass with 21,000 live alerts and nothing new.
 *
 *   build/bench/alert_bench [--tills N] [--passes N] [--due N]
 */
#include <getopt.h>

#include "bench/timing.h"
#include "bot/alert.h"
#include "core/config.h"
#include "core/log.h"
#include "core/msg.h"
#include "kb/article.h"
#include "storage/alert_view.h"
#include "storage/chain.h"
#include "storage/db.h"
#include "tests/unit/scratch.h"

#define NOW 1795000000
#define TILLS_PER_STORE 10

static const char *const codes[] = { "fn.blocked", "fn.expiring", "fn.unsent", "utm.down",
				     "utm.cert_rsa", "disk.space", "tcp.unreachable", "process.down",
				     "clock.skew", "ofd.unreachable" };

static void die(const char *what, struct db *db)
{
	fprintf(stderr, "alert_bench: %s: %s\n", what, db ? db_errmsg(db) : "");
	exit(1);
}

struct bench {
	struct dialog d;
	int64_t *tills;
	long n_tills;
	int serial;
	bool rollback;   /* a pass leaves nothing behind */
};

static const char *code_of(long i)
{
	return codes[(i % TILLS_PER_STORE) % ARRAY_SIZE(codes)];
}

/* Till i reports code in status at now, as the ingest stores and observes one event. */
static int report(struct bench *b, long i, const char *code, enum agent_status status,
		  enum agent_kind kind)
{
	char id[32];
	int accepted, duplicate;
	bool fresh[1];
	snprintf(id, sizeof(id), "e%d", ++b->serial);
	struct agent_event e = {
		.id = id, .check = "bench", .code = code, .kind = kind, .status = status,
		.message = status == AGENT_OK ? "норма" : "неисправность (бенчмарк)",
		.observed_at = b->d.now, .data = status == AGENT_OK ? NULL : "{\"days_left\":12}",
	};
	int rc = db_begin(b->d.db);
	if (!rc && !(rc = db_agent_store(b->d.db, b->tills[i], &e, 1, b->d.now, &accepted, &duplicate,
					 fresh)) &&
	    !(rc = alert_observe(&b->d, b->tills[i], &e, fresh, 1)))
		rc = db_commit(b->d.db);
	if (rc)
		db_rollback(b->d.db);
	return rc;
}

static void fill(struct bench *b)
{
	char name[48], hash[32];
	struct kb_set set;
	struct kb_import_stats st;
	struct buf errors = BUF_INIT(4096);
	int64_t org, store = 0;
	if (kb_set_load(&set, "kb/articles", &errors))
		die("kb/articles (run from the source tree)", NULL);
	if (db_begin(b->d.db) || kb_set_import(b->d.db, &set, NOW, &st) ||
	    db_org_add(b->d.db, &org, "Bench", "standard", NULL))
		die("org", b->d.db);
	for (long i = 0; i < b->n_tills; i++) {
		if (i % TILLS_PER_STORE == 0) {
			snprintf(name, sizeof(name), "Магазин %ld", i / TILLS_PER_STORE);
			if (db_store_add(b->d.db, &store, org, name, "", "Europe/Moscow", "24/7"))
				die("store", b->d.db);
		}
		snprintf(name, sizeof(name), "Касса %ld", i % TILLS_PER_STORE + 1);
		snprintf(hash, sizeof(hash), "hash-%ld", i);
		if (db_till_add(b->d.db, &b->tills[i], store, name, hash))
			die("till", b->d.db);
	}
	if (db_commit(b->d.db))
		die("commit", b->d.db);
	kb_set_release(&set);
	buf_release(&errors);
}

struct counts {
	long live, firing, held;
};

static int count_row(const struct alert_view *v, void *arg)
{
	struct counts *c = arg;
	c->live++;
	c->firing += !strcmp(v->state, "firing");
	c->held += v->held_by != 0;
	return 0;
}

static struct counts live_alerts(struct db *db)
{
	struct counts c = { 0, 0, 0 };
	const struct alert_view_filter f = { .live_only = true };
	if (db_alert_view_list(db, &f, NOW, count_row, &c))
		die("alert list", db);
	return c;
}

static int tick_once(void *arg)
{
	struct bench *b = arg;
	int rc = db_begin(b->d.db);
	if (!rc && !(rc = alert_tick(&b->d)) && !b->rollback)
		rc = db_commit(b->d.db);
	if (rc || b->rollback)
		db_rollback(b->d.db);
	return rc;
}

/* Times report() of each till in turn (round-robin from first), n times. */
struct reports {
	struct bench *b;
	long next, step;
	enum agent_status status;
	enum agent_kind kind;
	bool other_code;   /* a code the till has no alert of */
};

static int report_once(void *arg)
{
	struct reports *r = arg;
	long i = r->next % r->b->n_tills;
	r->next += r->step;
	return report(r->b, i, r->other_code ? "fn.state" : code_of(i), r->status, r->kind);
}

static void print_timing(const char *what, const struct timing *t, long passes)
{
	printf("%-58s p50 %8.3f ms  p99 %8.3f ms  (%ld)\n", what, t->p50, t->p99, passes);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tills", required_argument, NULL, 't' },
		{ "passes", required_argument, NULL, 'p' },
		{ "due", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	long long tills = 10000, passes = 500, due = 200;
	int opt;
	while ((opt = getopt_long(argc, argv, "t:p:d:", opts, NULL)) != -1) {
		if ((opt == 't' && parse_int(&tills, optarg, 20, 1000000)) ||
		    (opt == 'p' && parse_int(&passes, optarg, 10, 1000000)) ||
		    (opt == 'd' && parse_int(&due, optarg, 2, 512)) || opt == '?') {
			fprintf(stderr, "usage: alert_bench [--tills N] [--passes N] [--due N (2-512)]\n");
			return 2;
		}
	}
	due = due > tills ? tills : due;

	char dir[64], path[96], err[256];
	struct config cfg;
	struct db *db;
	struct timing t;
	log_set_level(LOG_WARN);
	if (scratch_make(dir, sizeof(dir), "alert-bench") || config_load(&cfg, NULL, err, sizeof(err)) ||
	    msg_set_language("ru"))
		return 1;
	snprintf(path, sizeof(path), "%s/bench.db", dir);
	if (db_open(&db, path, err, sizeof(err))) {
		fprintf(stderr, "alert_bench: %s\n", err);
		return 1;
	}
	struct bench b = { .d = { .db = db, .engineers_chat = -100, .now = NOW, .cfg = &cfg },
			   .tills = xcalloc((size_t)tills, sizeof(int64_t)), .n_tills = (long)tills };
	int64_t t0 = clock_mono_us();
	fill(&b);
	printf("%ld tills in %ld stores, %zu codes: made in %.1f s\n", b.n_tills,
	       (b.n_tills + TILLS_PER_STORE - 1) / TILLS_PER_STORE, ARRAY_SIZE(codes),
	       (double)(clock_mono_us() - t0) / 1e6);

	/* One fault per till, each timed: the fill. */
	int storm_min = cfg.alert_storm_min;
	cfg.alert_storm_min = 100000;
	double *ms = xcalloc((size_t)tills, sizeof(double));
	t0 = clock_mono_us();
	for (long i = 0; i < b.n_tills; i++) {
		int64_t t1 = clock_mono_us();
		if (report(&b, i, code_of(i), AGENT_WARNING, AGENT_CHANGE))
			die("fault", db);
		ms[i] = (double)(clock_mono_us() - t1) / 1000.0;
	}
	qsort(ms, (size_t)tills, sizeof(double), timing_cmp);
	t = (struct timing){ ms[tills / 2], ms[tills * 99 / 100] };
	free(ms);
	print_timing("a fault: event, alert, ticket, card (one transaction)", &t, b.n_tills);
	struct counts c = live_alerts(db);
	printf("%ld live alerts (%ld firing), made in %.1f s\n", c.live, c.firing,
	       (double)(clock_mono_us() - t0) / 1e6);
	cfg.alert_storm_min = storm_min;

	/* The same fault again, and a code the till has no alert of: both change no alert's state. */
	b.d.now = NOW + 1;
	struct reports r = { &b, 0, 7, AGENT_WARNING, AGENT_HEARTBEAT, false };
	if (timing_run((int)passes, report_once, &r, &t))
		die("repeats", db);
	print_timing("a repeat of a firing alert's fault (counted only)", &t, (long)passes);
	r = (struct reports){ &b, 1, 7, AGENT_OK, AGENT_HEARTBEAT, true };
	if (timing_run((int)passes, report_once, &r, &t))
		die("heartbeats", db);
	print_timing("an OK heartbeat of a code with no alert", &t, (long)passes);

	/* The repeats' quiet card edits fall due 5 minutes on: done, so that nothing is due after. */
	cfg.alert_offline_after = 86400;  /* no till silent for now */
	b.d.now = NOW + 1 + cfg.alert_card_every;
	for (int i = 0; i < 3; i++) {
		t0 = clock_mono_us();
		if (tick_once(&b))
			die("tick", db);
		printf("catch-up pass %d (the repeats' card edits, at most %d a pass) %8.3f ms\n", i + 1, 512,
		       (double)(clock_mono_us() - t0) / 1000.0);
	}

	b.d.now++;
	if (timing_run((int)passes, tick_once, &b, &t))
		die("tick", db);
	print_timing("alert_tick, nothing due", &t, (long)passes);

	/*
	 * Some due: due/2 alerts repeated (a card edit due card_every after
	 * their last), due/2 back to OK for recover_passes (a recovery due
	 * recover_after later).
	 */
	b.d.now++;
	int64_t from = b.d.now;
	long gap = b.n_tills / due;
	for (long i = 0; i < due / 2; i++)
		if (report(&b, i * 2 * gap + 3, code_of(i * 2 * gap + 3), AGENT_WARNING, AGENT_HEARTBEAT))
			die("repeat", db);
	for (long i = 0; i < due / 2; i++)
		for (int k = 0; k < cfg.alert_recover_passes; k++) {
			long till = (i * 2 + 1) * gap + 3;
			if (report(&b, till, code_of(till), AGENT_OK, AGENT_HEARTBEAT))
				die("ok", db);
		}
	b.d.now = from + (cfg.alert_card_every > cfg.alert_recover_after ? cfg.alert_card_every :
								 cfg.alert_recover_after);
	b.rollback = true;
	int due_passes = passes / 5 < 10 ? 10 : (int)passes / 5;
	if (timing_run(due_passes, tick_once, &b, &t))
		die("tick due", db);
	char what[160];
	snprintf(what, sizeof(what), "alert_tick, %lld due (%lld cards, %lld recoveries), rolled back",
		 due / 2 * 2, due / 2, due / 2);
	print_timing(what, &t, due_passes);
	b.rollback = false;
	t0 = clock_mono_us();
	if (tick_once(&b))
		die("tick due", db);
	printf("%-58s %8.3f ms\n", "the same pass, committed once", (double)(clock_mono_us() - t0) / 1000.0);
	b.d.now++;
	if (timing_run((int)passes, tick_once, &b, &t))
		die("tick", db);
	print_timing("alert_tick after it, nothing due", &t, (long)passes);

	/* The chain's outage: no till heard for offline_after. */
	cfg.alert_offline_after = 300;
	b.d.now += cfg.alert_offline_after + 10;
	int n_passes = 0;
	double worst = 0, sum = 0;
	for (long before = -1;; n_passes++) {
		c = live_alerts(db);
		if (c.live == before)
			break;
		before = c.live;
		t0 = clock_mono_us();
		if (tick_once(&b))
			die("offline tick", db);
		double took = (double)(clock_mono_us() - t0) / 1000.0;
		worst = took > worst ? took : worst;
		sum += took;
		b.d.now++;
	}
	printf("outage: offline alerts opened in %d passes, %.1f ms each on average, the longest %.1f ms\n",
	       n_passes - 1, sum / n_passes, worst);
	printf("%ld live alerts (%ld firing, %ld held under their store's)\n", c.live, c.firing, c.held);
	if (timing_run((int)passes, tick_once, &b, &t))
		die("tick", db);
	print_timing("alert_tick, every till offline, nothing new", &t, (long)passes);

	free(b.tills);
	db_close(db);
	config_release(&cfg);
	return scratch_remove(dir) ? 1 : 0;
}
