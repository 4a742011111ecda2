/*
 * cmd_kb.c - the knowledge base for its authors: import, search, test,
 * stats.
 */
#include <getopt.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "core/clock.h"
#include "kb/article.h"
#include "kb/search.h"
#include "storage/kb.h"

#define HITS 5

static int kb_import(struct cli *c, int argc, char **argv)
{
	struct buf errors = BUF_INIT(1u << 20);
	struct kb_set set;
	struct kb_import_stats st;
	int rc;
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
		return cli_usage(c, MSG_HELP_KB_IMPORT, true);
	if (argc != 2)
		return cli_usage(c, MSG_HELP_KB_IMPORT, false);
	if (kb_set_load(&set, argv[1], &errors)) {
		fputs(buf_cstr(&errors), c->err);
		buf_release(&errors);
		return cli_fail(c, EXIT_FAIL, MSG_CLI_KB_NOTHING_IMPORTED);
	}
	buf_release(&errors);
	if (!cli_db(c)) {
		kb_set_release(&set);
		return EXIT_FAIL;
	}
	if (db_begin(c->db)) {
		kb_set_release(&set);
		return cli_fail(c, EXIT_FAIL, MSG_CLI_DB_ERROR, db_errmsg(c->db));
	}
	rc = kb_set_import(c->db, &set, clock_now(), &st);
	if (rc || db_commit(c->db)) {
		db_rollback(c->db);
		kb_set_release(&set);
		return cli_fail(c, EXIT_FAIL, MSG_CLI_DB_ERROR, db_errmsg(c->db));
	}
	cli_say(c, MSG_CLI_KB_IMPORTED, (int)set.n, st.added, st.updated, st.unchanged, st.retired);
	kb_set_release(&set);
	return EXIT_OK;
}

static const int search_cols[] = { 3, 28, 8, 8, 0 };

/* Searches text and prints the hits in the bot's order; ✓ marks the one it would answer with. */
static int print_hits(struct cli *c, struct kb *kb, const char *text)
{
	struct kb_hit hits[HITS];
	int n, rc = kb_search(kb, c->db, text, hits, HITS, &n);
	if (rc == TD_EINVAL)
		return cli_fail(c, EXIT_USAGE, MSG_CLI_KB_BAD_TEXT);
	if (rc)
		return cli_fail(c, EXIT_FAIL, MSG_CLI_DB_ERROR, db_errmsg(c->db));
	if (!n) {
		cli_say(c, MSG_CLI_KB_NO_HITS);
		return EXIT_OK;
	}
	cli_header(c, search_cols, ARRAY_SIZE(search_cols), MSG_CLI_KB_SEARCH_HEADER);
	for (int i = 0; i < n; i++) {
		struct kb_entry e;
		char rank[16], conf[16], score[32], title[512];
		if (db_kb_get(c->db, hits[i].article_id, &e))
			continue;
		snprintf(rank, sizeof(rank), "%d", i + 1);
		bool answer = i == 0 && kb_hit_use(&hits[0], c->cfg.kb_threshold, c->cfg.kb_hint) ==
						KB_USE_ANSWER;
		snprintf(conf, sizeof(conf), "%.0f%%%s", 100 * hits[i].confidence, answer ? " ✓" : "");
		if (hits[i].bm25 != 0)
			snprintf(score, sizeof(score), "%.2f", hits[i].bm25);
		else
			snprintf(score, sizeof(score), "-");
		utf8_snprintf(title, sizeof(title), "%s%s", hits[i].pattern ? msg(MSG_CLI_KB_BY_PATTERN) : "",
			 e.title);
		cli_row(c, search_cols, ARRAY_SIZE(search_cols),
			(const char *[]){ rank, e.slug, conf, score, title });
		kb_entry_release(&e);
	}
	return EXIT_OK;
}

static int kb_search_cmd(struct cli *c, int argc, char **argv)
{
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
		return cli_usage(c, MSG_HELP_KB_SEARCH, true);
	if (argc < 2)
		return cli_usage(c, MSG_HELP_KB_SEARCH, false);
	struct buf text = BUF_INIT(16u << 10);
	for (int i = 1; i < argc; i++)
		buf_printf(&text, "%s%s", i > 1 ? " " : "", argv[i]);
	struct kb *kb = NULL;
	int rc = EXIT_FAIL;
	if (text.failed) {
		rc = cli_fail(c, EXIT_USAGE, MSG_CLI_KB_BAD_TEXT);
		goto done;
	}
	if (!cli_db(c) || !(kb = kb_new()))
		goto done;
	rc = print_hits(c, kb, buf_cstr(&text));
done:
	kb_free(kb);
	buf_release(&text);
	return rc;
}

struct test_run {
	struct cli *c;
	struct kb *kb;
	int examples, top, confident;
	bool verbose;
};

static int test_article(const struct kb_entry *e, void *arg)
{
	struct test_run *t = arg;
	for (size_t i = 0; i < e->n_examples; i++) {
		struct kb_hit hits[HITS];
		int n;
		int rc = kb_search(t->kb, t->c->db, e->examples[i], hits, HITS, &n);
		if (rc && rc != TD_EINVAL)
			return rc;
		bool top = !rc && n > 0 && hits[0].article_id == e->id;
		bool confident = top && kb_hit_use(&hits[0], t->c->cfg.kb_threshold, t->c->cfg.kb_hint) ==
						KB_USE_ANSWER;
		t->examples++;
		t->top += top;
		t->confident += confident;
		if (confident && !t->verbose)
			continue;
		struct kb_entry found = { 0 };
		if (n > 0)
			db_kb_get(t->c->db, hits[0].article_id, &found);
		cli_say(t->c, confident ? MSG_CLI_KB_TEST_OK : top ? MSG_CLI_KB_TEST_UNSURE : MSG_CLI_KB_TEST_MISS,
			e->slug, e->examples[i], found.slug ? found.slug : "-",
			n > 0 ? 100 * hits[0].confidence : 0.0);
		kb_entry_release(&found);
	}
	return 0;
}

struct test_args {
	long long min;   /* percent of examples that must find their article; -1: the default */
	bool verbose;
	const char *eval;  /* an evaluation file, or NULL for the articles' examples */
};

/* Counts of an evaluation run. */
struct eval_run {
	int phrases, first, confident;  /* on-topic phrases; their article first; and confidently */
	int off_topic, answered;        /* off-topic messages; those that got a confident answer */
};

/*
 * Searches one line's phrase and counts it. expected is the article's id,
 * or 0 for an off-topic message.
 */
static int eval_phrase(struct cli *c, struct kb *kb, const char *expected_slug, int64_t expected,
		       const char *phrase, bool verbose, struct eval_run *r)
{
	struct kb_hit hit;
	struct kb_entry found = { 0 };
	int n, rc = kb_search(kb, c->db, phrase, &hit, 1, &n);
	if (rc && rc != TD_EINVAL)
		return rc;
	if (rc)
		n = 0;
	bool answer = n && kb_hit_use(&hit, c->cfg.kb_threshold, c->cfg.kb_hint) == KB_USE_ANSWER;
	if (n)
		db_kb_get(c->db, hit.article_id, &found);
	const char *slug = found.slug ? found.slug : "-";
	double conf = n ? 100 * hit.confidence : 0.0;
	if (!expected) {
		r->off_topic++;
		r->answered += answer;
		if (answer)
			cli_say(c, MSG_CLI_KB_EVAL_OFF_TOPIC, phrase, slug, conf);
	} else {
		bool first = n && hit.article_id == expected;
		r->phrases++;
		r->first += first;
		r->confident += first && answer;
		if (!first || verbose)
			cli_say(c, first ? answer ? MSG_CLI_KB_TEST_OK : MSG_CLI_KB_TEST_UNSURE : MSG_CLI_KB_TEST_MISS,
				expected_slug, phrase, slug, conf);
	}
	kb_entry_release(&found);
	return 0;
}

/*
 * Runs an evaluation file: each line "ARTICLE PHRASE" or "- PHRASE"; blank
 * lines and lines starting with # are skipped. A line naming no article
 * stops the run before any search, so a typo cannot pass as a miss.
 */
static int kb_eval(struct cli *c, const struct test_args *a)
{
	struct eval_run r = { 0 };
	struct kb *kb = NULL;
	char *line = NULL;
	size_t cap = 0;
	int rc = EXIT_FAIL, lineno = 0;
	FILE *f = fopen(a->eval, "r");
	if (!f)
		return cli_fail(c, EXIT_FAIL, MSG_CLI_KB_EVAL_CANNOT_READ, a->eval, strerror(errno));
	if (!cli_db(c) || !(kb = kb_new()))
		goto done;
	for (int pass = 0; pass < 2; pass++) {
		rewind(f);
		lineno = 0;
		while (getline(&line, &cap, f) >= 0) {
			lineno++;
			line[strcspn(line, "\r\n")] = '\0';
			if (!*line || *line == '#')
				continue;
			char *space = strchr(line, ' ');
			const char *phrase = space ? space + strspn(space, " ") : "";
			if (!space || !*phrase) {
				rc = cli_fail(c, EXIT_USAGE, MSG_CLI_KB_EVAL_BAD_LINE, a->eval, lineno);
				goto done;
			}
			*space = '\0';
			struct kb_entry e = { 0 };
			int64_t expected = 0;
			if (strcmp(line, "-")) {
				if (db_kb_find(c->db, line, &e) || e.retired) {
					kb_entry_release(&e);
					rc = cli_fail(c, EXIT_USAGE, MSG_CLI_KB_EVAL_NO_ARTICLE, a->eval, lineno, line);
					goto done;
				}
				expected = e.id;
				kb_entry_release(&e);
			}
			if (pass == 1 && eval_phrase(c, kb, line, expected, phrase, a->verbose, &r)) {
				rc = cli_fail(c, EXIT_FAIL, MSG_CLI_DB_ERROR, db_errmsg(c->db));
				goto done;
			}
		}
	}
	if (!r.phrases && !r.off_topic) {
		rc = cli_fail(c, EXIT_FAIL, MSG_CLI_KB_EVAL_EMPTY, a->eval);
		goto done;
	}
	double share = r.phrases ? 100.0 * r.first / r.phrases : 100.0;
	cli_say(c, MSG_CLI_KB_EVAL_SUMMARY, r.first, r.phrases, share, r.confident, r.answered,
		r.off_topic, a->min);
	rc = share >= (double)a->min && !r.answered ? EXIT_OK : EXIT_FAIL;
done:
	free(line);
	kb_free(kb);
	fclose(f);
	return rc;
}

static int test_opt(struct cli *c, int opt, const char *val, void *arg)
{
	struct test_args *a = arg;
	switch (opt) {
	case 'm':
		if (parse_int(&a->min, val, 0, 100))
			return cli_fail(c, EXIT_USAGE, MSG_CLI_BAD_NUMBER, val);
		return 0;
	case 'v':
		a->verbose = true;
		return 0;
	case 'e':
		a->eval = val;
		return 0;
	}
	return EXIT_USAGE;
}

static int kb_test(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "min", required_argument, NULL, 'm' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "eval", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct test_args a = { .min = -1 };
	bool done;
	int rc = cli_options(c, &argc, &argv, "m:ve:h", opts, MSG_HELP_KB_TEST, test_opt, &a, &done);
	if (done || rc)
		return rc;
	if (argc != 0)
		return cli_usage(c, MSG_HELP_KB_TEST, false);
	if (a.min < 0)
		a.min = a.eval ? 95 : 90;
	if (a.eval)
		return kb_eval(c, &a);
	struct test_run t = { .c = c, .verbose = a.verbose };
	if (!cli_db(c) || !(t.kb = kb_new()))
		return EXIT_FAIL;
	rc = db_kb_each(c->db, test_article, &t);
	kb_free(t.kb);
	if (rc)
		return cli_fail(c, EXIT_FAIL, MSG_CLI_DB_ERROR, db_errmsg(c->db));
	if (!t.examples)
		return cli_fail(c, EXIT_FAIL, MSG_CLI_KB_EMPTY);
	double share = 100.0 * t.confident / t.examples;
	cli_say(c, MSG_CLI_KB_TEST_SUMMARY, t.confident, t.examples, share, t.top,
		(long long)c->cfg.kb_threshold);
	return share >= (double)a.min ? EXIT_OK : EXIT_FAIL;
}

static const int stats_cols[] = { 28, 8, 8, 10, 0 };

static int print_stat(const struct kb_stat *s, void *arg)
{
	struct cli *c = arg;
	char shown[24], helped[24], not_helped[24];
	snprintf(shown, sizeof(shown), "%lld", (long long)s->shown);
	snprintf(helped, sizeof(helped), "%lld", (long long)s->helped);
	snprintf(not_helped, sizeof(not_helped), "%lld", (long long)s->not_helped);
	cli_row(c, stats_cols, ARRAY_SIZE(stats_cols),
		(const char *[]){ s->slug, shown, helped, not_helped, s->title });
	return 0;
}

static int kb_stats(struct cli *c, int argc, char **argv)
{
	int64_t problems, solved;
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
		return cli_usage(c, MSG_HELP_KB_STATS, true);
	if (argc != 1)
		return cli_usage(c, MSG_HELP_KB_STATS, false);
	if (!cli_db(c))
		return EXIT_FAIL;
	cli_header(c, stats_cols, ARRAY_SIZE(stats_cols), MSG_CLI_KB_STATS_HEADER);
	if (db_kb_stats(c->db, print_stat, c) || db_kb_totals(c->db, &problems, &solved))
		return cli_fail(c, EXIT_FAIL, MSG_CLI_DB_ERROR, db_errmsg(c->db));
	cli_say(c, MSG_CLI_KB_STATS_TOTAL, (long long)solved, (long long)problems,
		problems ? 100.0 * (double)solved / (double)problems : 0.0);
	return EXIT_OK;
}

int cmd_kb(struct cli *c, int argc, char **argv)
{
	static const struct cli_sub subs[] = {
		{ "import", kb_import }, { "search", kb_search_cmd }, { "test", kb_test },
		{ "stats", kb_stats }, { NULL, NULL },
	};
	return cli_dispatch(c, argc, argv, subs, MSG_HELP_KB);
}
