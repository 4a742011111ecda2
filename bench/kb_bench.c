/*
 * kb_bench.c - the knowledge-base search benchmark (issue 4).
 *
 * Mode "shipped": imports kb/articles into a fresh database and times 1,000
 * searches built from the articles' own examples, variations of them
 * (a word dropped, the words shuffled, a filler word added) and questions
 * that no article answers.
 *
 * Mode "generated": writes N (10,000) generated articles as .md files,
 * times their parse and import, measures the database, then times 1,000
 * searches: generated examples (as written and varied), error codes
 * («ошибка 12345») and the same unanswerable questions.
 *
 * Every search is timed alone with CLOCK_MONOTONIC, after a warm-up; the
 * first search of a mode (which loads and compiles every pattern) is timed
 * apart. bench/kb_run.sh builds and runs it; bench/RESULTS.md records the
 * figures.
 *
 *   build/bench/kb_bench [--only shipped|generated] [--articles N]
 *                        [--queries N] [--seed N] [--kb DIR] [--json FILE]
 *                        [--keep]
 *
 * Each search's stages (patterns, words, the full-text query) come from
 * kb_last_timing(), which kb_search() fills as it goes.
 */
#include <dirent.h>
#include <getopt.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "kb/article.h"
#include "kb/regex.h"
#include "kb/search.h"
#include "kb/text.h"
#include "storage/db.h"
#include "storage/kb.h"

#define HITS 5
#define THRESHOLD 0.5      /* the default [kb] threshold (50%): what the bot answers */
#define WARMUP 100         /* untimed searches before the timed ones */
#define CODE_BASE 10000    /* generated error codes are 10000..99999 */
#define CODE_SPAN 90000
#define CODE_STEP 7919     /* prime to CODE_SPAN: i -> code is one-to-one */

/* ---- small helpers ---- */

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t rng_seed_value = 1;

/* Each mode starts from the seed, so a mode draws the same with or without the other. */
static void rng_start(uint64_t mode)
{
	rng = 0x9E3779B97F4A7C15ull ^ (rng_seed_value * 0xD1B54A32D192ED03ull) ^ (mode << 32);
	if (!rng)
		rng = 1;
}

/* xorshift64*: the same queries and articles for the same seed. */
static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1Dull;
}

static size_t rnd_below(size_t n)
{
	return (size_t)(rnd() % n);
}

static size_t rnd_between(size_t lo, size_t hi)
{
	return lo + rnd_below(hi - lo + 1);
}

static double rnd_unit(void)
{
	return (double)(rnd() >> 11) / 9007199254740992.0;
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static double ms_since(int64_t t0)
{
	return (double)(now_ns() - t0) / 1e6;
}

/* A growable list of owned strings. */
struct strv {
	char **v;
	size_t n;
};

static void strv_push(struct strv *s, char *owned)
{
	s->v = xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
	s->v[s->n++] = owned;
}

static void strv_release(struct strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Sorts and drops duplicates. */
static void strv_unique(struct strv *s)
{
	size_t k = 0;
	if (!s->n)
		return;
	qsort(s->v, s->n, sizeof(*s->v), cmp_str);
	for (size_t i = 1; i < s->n; i++) {
		if (!strcmp(s->v[i], s->v[k]))
			free(s->v[i]);
		else
			s->v[++k] = s->v[i];
	}
	s->n = k + 1;
}

/* Splits s at spaces into words (owned copies). */
static void split_words(struct strv *out, const char *s)
{
	while (*s) {
		size_t n = strcspn(s, " ");
		if (n) {
			char *w = xmalloc(n + 1);
			memcpy(w, s, n);
			w[n] = '\0';
			strv_push(out, w);
		}
		s += n;
		s += strspn(s, " ");
	}
}

static char *join_words(char *const *w, size_t n)
{
	struct buf b = BUF_INIT(1u << 16);
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "%s%s", i ? " " : "", w[i]);
	buf_puts(&b, "");
	return buf_detach(&b);
}

/* Reads "Key:   123 kB" from /proc/self/status; -1 when absent. */
static long proc_status_kb(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;
	size_t n = strlen(key);
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':') {
			kb = strtol(line + n + 1, NULL, 10);
			break;
		}
	fclose(f);
	return kb;
}

static long long file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) ? 0 : (long long)st.st_size;
}

/* dir/name into out; a path too long for the bench is a fatal error. */
static void join_path(char *out, size_t n, const char *dir, const char *name)
{
	int len = snprintf(out, n, "%s/%s", dir, name);
	if (len < 0 || (size_t)len >= n) {
		fprintf(stderr, "kb_bench: path too long: %s/%s\n", dir, name);
		exit(1);
	}
}

static bool keep_files;    /* --keep: leave the articles and databases for a look */

/* Removes dir's files (not subdirectories) and dir itself. */
static void remove_dir(const char *dir)
{
	DIR *d = keep_files ? NULL : opendir(dir);
	struct dirent *e;
	if (!d)
		return;
	while ((e = readdir(d))) {
		char path[4096];
		if (e->d_name[0] == '.')
			continue;
		join_path(path, sizeof(path), dir, e->d_name);
		if (unlink(path))
			fprintf(stderr, "kb_bench: cannot remove %s: %s\n", path, strerror(errno));
	}
	closedir(d);
	rmdir(dir);
}

/* ---- queries and their timing ---- */

enum kind { Q_EXAMPLE, Q_DROP, Q_SHUFFLE, Q_FILLER, Q_CODE, Q_NEGATIVE, Q_KINDS };

static const char *const kind_names[Q_KINDS] = {
	"example", "word dropped", "shuffled", "filler added", "error code", "no answer",
};

struct query {
	char *text;
	enum kind kind;
	int64_t expect;  /* the article that should come first; 0 for none */
};

struct queries {
	struct query *q;
	size_t n;
};

static void queries_push(struct queries *qs, char *owned, enum kind kind, int64_t expect)
{
	qs->q = xrealloc(qs->q, (qs->n + 1) * sizeof(*qs->q));
	qs->q[qs->n++] = (struct query){ owned, kind, expect };
}

static void queries_release(struct queries *qs)
{
	for (size_t i = 0; i < qs->n; i++)
		free(qs->q[i].text);
	free(qs->q);
	qs->q = NULL;
	qs->n = 0;
}

static void queries_shuffle(struct queries *qs)
{
	for (size_t i = qs->n; i > 1; i--) {
		size_t j = rnd_below(i);
		struct query t = qs->q[i - 1];
		qs->q[i - 1] = qs->q[j];
		qs->q[j] = t;
	}
}

/* Questions no article answers: a correct search is silent (below the threshold). */
static const char *const negatives[] = {
	"сколько стоит молоко", "привет как дела", "когда придет зарплата",
	"где ключи от склада", "хочу в отпуск с понедельника", "во сколько сегодня обед",
	"как пройти в бухгалтерию", "закажите воду в офис", "у кого есть зарядка для телефона",
	"спасибо все получилось", "кто сегодня работает на второй кассе", "можно уйти пораньше",
};

/* What cashiers add around the question itself. */
static const char *const fillers[] = {
	"срочно", "помогите", "пожалуйста", "что делать", "опять", "с утра", "не работает",
	"у нас", "очень срочно", "касса 2",
};

static char *vary_drop(const char *text)
{
	struct strv w = { 0 };
	split_words(&w, text);
	if (w.n > 1) {
		size_t k = rnd_below(w.n);
		free(w.v[k]);
		memmove(&w.v[k], &w.v[k + 1], (w.n - k - 1) * sizeof(*w.v));
		w.n--;
	}
	char *out = join_words(w.v, w.n);
	strv_release(&w);
	return out;
}

static char *vary_shuffle(const char *text)
{
	struct strv w = { 0 };
	split_words(&w, text);
	for (size_t i = w.n; i > 1; i--) {
		size_t j = rnd_below(i);
		char *t = w.v[i - 1];
		w.v[i - 1] = w.v[j];
		w.v[j] = t;
	}
	char *out = join_words(w.v, w.n);
	strv_release(&w);
	return out;
}

static char *vary_filler(const char *text)
{
	struct buf b = BUF_INIT(1u << 16);
	const char *f = fillers[rnd_below(ARRAY_SIZE(fillers))];
	if (rnd() & 1)
		buf_printf(&b, "%s %s", f, text);
	else
		buf_printf(&b, "%s, %s", text, f);
	return buf_detach(&b);
}

static char *varied(const char *text, enum kind kind)
{
	switch (kind) {
	case Q_DROP:
		return vary_drop(text);
	case Q_SHUFFLE:
		return vary_shuffle(text);
	case Q_FILLER:
		return vary_filler(text);
	default:
		return xstrdup(text);
	}
}

struct kind_stats {
	size_t n, any, confident, top_ok, expected;
	int64_t *ns;
};

enum { ST_PATTERNS, ST_WORDS, ST_FTS, STAGES };

static const char *const stage_names[STAGES] = {
	"patterns (prefilter + those it let through)",
	"words (stems, document frequencies)",
	"full-text query (bm25)",
};

struct timing {
	size_t n;
	int64_t *ns;            /* each search, sorted after the run */
	int64_t *stage_ns[STAGES];
	int64_t *rows;          /* articles of the words that chose the rows scored */
	size_t patterns_run, narrowed, strong;
	double first_ms;        /* the mode's first search: loads the patterns */
	long rss_before_kb;     /* VmRSS before the first search, and after it */
	long rss_first_kb;
	size_t any, confident, top_ok, expected, pattern_top;
	struct kind_stats kind[Q_KINDS];
};

static int cmp_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
	return a < b ? -1 : a > b;
}

/* Nearest-rank percentile of sorted v, in milliseconds. */
static double pct_ms(const int64_t *v, size_t n, double p)
{
	if (!n)
		return 0;
	size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return (double)v[rank - 1] / 1e6;
}

static double mean_ms(const int64_t *v, size_t n)
{
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += (double)v[i];
	return n ? s / (double)n / 1e6 : 0;
}

static int search_one(struct kb *kb, struct db *db, const char *text, struct kb_hit *hits, int *n)
{
	int rc = kb_search(kb, db, text, hits, HITS, n);
	if (rc)
		fprintf(stderr, "kb_bench: kb_search(\"%s\"): %d (%s)\n", text, rc, db_errmsg(db));
	return rc;
}

/*
 * Times the first search (which loads the patterns), WARMUP untimed ones
 * from warm, then each query of qs alone.
 */
static int time_searches(struct timing *out, struct kb *kb, struct db *db,
			 const struct queries *warm, const struct queries *qs)
{
	struct kb_hit hits[HITS];
	int n, rc;
	memset(out, 0, sizeof(*out));
	out->rss_before_kb = proc_status_kb("VmRSS");
	int64_t t0 = now_ns();
	if ((rc = search_one(kb, db, warm->q[0].text, hits, &n)))
		return rc;
	out->first_ms = ms_since(t0);
	out->rss_first_kb = proc_status_kb("VmRSS");
	for (size_t i = 1; i < warm->n && i < WARMUP; i++)
		if ((rc = search_one(kb, db, warm->q[i].text, hits, &n)))
			return rc;

	out->n = qs->n;
	out->ns = xcalloc(qs->n, sizeof(*out->ns));
	out->rows = xcalloc(qs->n, sizeof(*out->rows));
	for (int s = 0; s < STAGES; s++)
		out->stage_ns[s] = xcalloc(qs->n, sizeof(int64_t));
	for (int k = 0; k < Q_KINDS; k++)
		out->kind[k].ns = xcalloc(qs->n, sizeof(int64_t));
	for (size_t i = 0; i < qs->n; i++) {
		const struct query *q = &qs->q[i];
		t0 = now_ns();
		rc = kb_search(kb, db, q->text, hits, HITS, &n);
		int64_t dt = now_ns() - t0;
		if (rc) {
			fprintf(stderr, "kb_bench: kb_search(\"%s\"): %d (%s)\n", q->text, rc,
				db_errmsg(db));
			return rc;
		}
		const struct kb_timing *st = kb_last_timing(kb);
		out->stage_ns[ST_PATTERNS][i] = (int64_t)(st->patterns_ms * 1e6);
		out->stage_ns[ST_WORDS][i] = (int64_t)(st->words_ms * 1e6);
		out->stage_ns[ST_FTS][i] = (int64_t)(st->fts_ms * 1e6);
		out->rows[i] = st->fts_rows;
		out->patterns_run += st->patterns_run;
		out->narrowed += st->narrowed;
		out->strong += st->strong;
		struct kind_stats *ks = &out->kind[q->kind];
		out->ns[i] = dt;
		ks->ns[ks->n++] = dt;
		bool any = n > 0, confident = any && hits[0].confidence >= THRESHOLD;
		bool top_ok = confident && q->expect && hits[0].article_id == q->expect;
		out->any += any;
		ks->any += any;
		out->confident += confident;
		ks->confident += confident;
		out->top_ok += top_ok;
		ks->top_ok += top_ok;
		out->expected += q->expect != 0;
		ks->expected += q->expect != 0;
		out->pattern_top += any && hits[0].pattern;
	}
	qsort(out->ns, out->n, sizeof(*out->ns), cmp_i64);
	qsort(out->rows, out->n, sizeof(*out->rows), cmp_i64);
	for (int s = 0; s < STAGES; s++)
		qsort(out->stage_ns[s], out->n, sizeof(int64_t), cmp_i64);
	for (int k = 0; k < Q_KINDS; k++)
		qsort(out->kind[k].ns, out->kind[k].n, sizeof(int64_t), cmp_i64);
	return 0;
}

static void timing_release(struct timing *t)
{
	free(t->ns);
	free(t->rows);
	for (int s = 0; s < STAGES; s++)
		free(t->stage_ns[s]);
	for (int k = 0; k < Q_KINDS; k++)
		free(t->kind[k].ns);
	memset(t, 0, sizeof(*t));
}

static void print_timing(const struct timing *t)
{
	printf("  first search (loads and compiles the patterns): %.1f ms\n", t->first_ms);
	printf("  %zu searches:  p50 %.3f  p90 %.3f  p99 %.3f  max %.3f  mean %.3f ms\n", t->n,
	       pct_ms(t->ns, t->n, 50), pct_ms(t->ns, t->n, 90), pct_ms(t->ns, t->n, 99),
	       pct_ms(t->ns, t->n, 100), mean_ms(t->ns, t->n));
	printf("  answers: %zu with a hit, %zu above the %.0f%% threshold (%zu by a pattern);"
	       " the right article first and above it for %zu of %zu that have one\n",
	       t->any, t->confident, THRESHOLD * 100, t->pattern_top, t->top_ok, t->expected);
	printf("  %-13s %5s %5s %6s %9s %8s %8s\n", "kind", "n", "hit", ">thr", "right", "p50 ms",
	       "p99 ms");
	for (int k = 0; k < Q_KINDS; k++) {
		const struct kind_stats *ks = &t->kind[k];
		char right[32];
		if (!ks->n)
			continue;
		if (ks->expected)
			snprintf(right, sizeof(right), "%zu/%zu", ks->top_ok, ks->expected);
		else
			snprintf(right, sizeof(right), "-");
		printf("  %-13s %5zu %5zu %6zu %9s %8.3f %8.3f\n", kind_names[k], ks->n, ks->any,
		       ks->confident, right, pct_ms(ks->ns, ks->n, 50), pct_ms(ks->ns, ks->n, 99));
	}
	printf("  stages, as kb_search() timed them:\n");
	printf("    %-45s %8s %8s %8s\n", "stage", "p50 ms", "p99 ms", "mean ms");
	for (int s = 0; s < STAGES; s++)
		printf("    %-45s %8.3f %8.3f %8.3f\n", stage_names[s],
		       pct_ms(t->stage_ns[s], t->n, 50), pct_ms(t->stage_ns[s], t->n, 99),
		       mean_ms(t->stage_ns[s], t->n));
	printf("    patterns run per search: %.1f on average; common words left out of the"
	       " row choice in %zu of %zu searches,\n"
	       "    only titles, codes, keywords and examples chose in %zu;\n"
	       "    articles of the words choosing the rows: p50 %lld, p99 %lld, max %lld\n",
	       t->n ? (double)t->patterns_run / (double)t->n : 0, t->narrowed, t->n, t->strong,
	       (long long)t->rows[t->n / 2], (long long)t->rows[t->n * 99 / 100],
	       (long long)t->rows[t->n - 1]);
}

/* ---- what a mode measured ---- */

struct mode_result {
	const char *name;
	bool ran;
	size_t articles, patterns, examples;
	double parse_ms, import_ms;
	long long db_bytes;
	long rss_kb, hwm_kb;     /* after the searches (generated mode) */
	struct timing t;
};

static void print_mode(const struct mode_result *r)
{
	const struct timing *t = &r->t;
	printf("  %zu articles, %zu patterns, %zu examples\n", r->articles, r->patterns, r->examples);
	printf("  parse %.1f ms, import %.1f ms (one transaction), total %.1f ms; database %.1f MiB\n",
	       r->parse_ms, r->import_ms, r->parse_ms + r->import_ms, (double)r->db_bytes / 1048576.0);
	print_timing(t);
	if (r->rss_kb > 0)
		printf("  VmRSS %.1f MiB before the first search, %.1f MiB after it (the compiled"
		       " patterns), %.1f MiB after the searches; VmHWM %.1f MiB\n",
		       (double)t->rss_before_kb / 1024.0, (double)t->rss_first_kb / 1024.0,
		       (double)r->rss_kb / 1024.0, (double)r->hwm_kb / 1024.0);
}

/* Opens a fresh database in dir. */
static int open_db(struct db **out, const char *dir)
{
	char path[4096], err[256];
	join_path(path, sizeof(path), dir, "kb.db");
	if (db_open(out, path, err, sizeof(err))) {
		fprintf(stderr, "kb_bench: %s: %s\n", path, err);
		return TD_ERR;
	}
	return 0;
}

/* Parses dir into set (timed into parse_ms) and imports it in one transaction (import_ms). */
static int load_and_import(struct mode_result *r, struct db *db, const char *dir, struct kb_set *set)
{
	struct buf errors = BUF_INIT(1u << 20);
	struct kb_import_stats st;
	int64_t t0 = now_ns();
	if (kb_set_load(set, dir, &errors)) {
		fprintf(stderr, "kb_bench: %s", buf_cstr(&errors));
		buf_release(&errors);
		return TD_ERR;
	}
	buf_release(&errors);
	r->parse_ms = ms_since(t0);
	t0 = now_ns();
	if (db_begin(db) || kb_set_import(db, set, clock_now(), &st) || db_commit(db)) {
		fprintf(stderr, "kb_bench: import: %s\n", db_errmsg(db));
		db_rollback(db);
		kb_set_release(set);
		return TD_ERR;
	}
	r->import_ms = ms_since(t0);
	r->articles = set->n;
	for (size_t i = 0; i < set->n; i++) {
		r->patterns += set->a[i].n_patterns;
		r->examples += set->a[i].n_examples;
	}
	return 0;
}

/*
 * Closes db (the last connection folds the WAL into the file) to weigh the
 * database, then opens it again.
 */
static int weigh_db(struct mode_result *r, struct db **db, const char *dir)
{
	char path[4096];
	db_close(*db);
	*db = NULL;
	join_path(path, sizeof(path), dir, "kb.db");
	r->db_bytes = file_size(path);
	join_path(path, sizeof(path), dir, "kb.db-wal");
	r->db_bytes += file_size(path);
	return open_db(db, dir);
}

/* ---- mode A: the shipped articles ---- */

struct example {
	char *text;
	int64_t article_id;
};

struct examples {
	struct example *e;
	size_t n;
};

static int collect_example(const struct kb_entry *e, void *arg)
{
	struct examples *ex = arg;
	for (size_t i = 0; i < e->n_examples; i++) {
		ex->e = xrealloc(ex->e, (ex->n + 1) * sizeof(*ex->e));
		ex->e[ex->n++] = (struct example){ xstrdup(e->examples[i]), e->id };
	}
	return 0;
}

/*
 * Every example, then the unanswerable questions, then each example with a
 * word dropped, shuffled and with a filler: cycled to n queries, shuffled.
 */
static void shipped_queries(struct queries *out, const struct examples *ex, size_t n)
{
	struct queries pool = { 0 };
	for (size_t i = 0; i < ex->n; i++)
		queries_push(&pool, xstrdup(ex->e[i].text), Q_EXAMPLE, ex->e[i].article_id);
	for (size_t i = 0; i < ARRAY_SIZE(negatives); i++)
		queries_push(&pool, xstrdup(negatives[i]), Q_NEGATIVE, 0);
	for (enum kind k = Q_DROP; k <= Q_FILLER; k++)
		for (size_t i = 0; i < ex->n; i++) {
			if (k != Q_FILLER && !strchr(ex->e[i].text, ' '))
				continue;
			queries_push(&pool, varied(ex->e[i].text, k), k, ex->e[i].article_id);
		}
	for (size_t i = 0; i < n; i++) {
		const struct query *p = &pool.q[i % pool.n];
		queries_push(out, xstrdup(p->text), p->kind, p->expect);
	}
	queries_shuffle(out);
	queries_release(&pool);
}

static int run_shipped(struct mode_result *r, const char *tmp, const char *kb_dir, size_t n_queries)
{
	struct db *db = NULL;
	struct kb *kb = NULL;
	struct kb_set set = { 0 };
	struct examples ex = { 0 };
	struct queries qs = { 0 }, warm = { 0 };
	char dir[4096];
	int rc = TD_ERR;

	r->name = "shipped";
	rng_start(1);
	join_path(dir, sizeof(dir), tmp, "shipped");
	if (mkdir(dir, 0700)) {
		fprintf(stderr, "kb_bench: %s: %s\n", dir, strerror(errno));
		return TD_ERR;
	}
	if (open_db(&db, dir) || load_and_import(r, db, kb_dir, &set))
		goto done;
	kb_set_release(&set);
	if (weigh_db(r, &db, dir) || db_kb_each(db, collect_example, &ex))
		goto done;
	shipped_queries(&qs, &ex, n_queries);
	shipped_queries(&warm, &ex, WARMUP);
	if (!(kb = kb_new()))
		goto done;
	if ((rc = time_searches(&r->t, kb, db, &warm, &qs)))
		goto done;
	r->ran = true;
	print_mode(r);
done:
	kb_free(kb);
	db_close(db);
	queries_release(&qs);
	queries_release(&warm);
	for (size_t i = 0; i < ex.n; i++)
		free(ex.e[i].text);
	free(ex.e);
	remove_dir(dir);
	return rc;
}

/* ---- mode B: generated articles ---- */

/* Stems with the endings they take: plausible shop-floor Russian. */
static const char *const masc_stems[] = {
	"чек", "принтер", "сканер", "терминал", "документ", "отчет", "кабинет", "договор",
	"сервер", "драйвер", "провод", "разъем", "порт", "роутер", "логин", "товар", "склад",
	"возврат", "расчет", "налог", "режим", "статус", "сбой", "запрос", "ответ", "сигнал",
	"индикатор", "датчик", "рулон", "корпус", "блок", "адаптер", "монитор", "экран",
	"штрихкод", "номер", "магазин", "кассир", "администратор", "инженер", "оператор",
	"клиент", "сертификат", "файл", "архив", "журнал", "лимит", "остаток", "прайс", "ценник",
	"акциз", "маркер", "реестр", "справочник", "счетчик", "пакет", "канал", "доступ", "обмен",
	"формат", "шаблон", "вход", "выход", "запуск", "перезапуск", "сброс", "фильтр", "контакт",
	"аккумулятор", "регламент", "тариф", "период", "интервал", "процесс",
};
static const char *const masc_endings[] = {
	"", "а", "у", "ом", "е", "ы", "ов", "ам", "ами", "ах",
};

static const char *const fem_stems[] = {
	"касс", "смен", "лент", "бумаг", "крышк", "ошибк", "прошивк", "программ", "настройк",
	"сет", "карт", "оплат", "скидк", "марк", "упаковк", "коробк", "кнопк", "розетк",
	"батарейк", "плат", "сумм", "цен", "строк", "заявк", "проверк", "загрузк", "выгрузк",
	"отправк", "поддержк", "витрин", "полк", "клавиатур", "систем", "служб", "точк",
	"групп", "форм", "схем", "дат", "минут", "наценк", "накладк", "отметк",
};
static const char *const fem_endings[] = { "а", "ы", "е", "у", "ой", "ам", "ами", "ах" };

static const char *const verb_stems[] = {
	"печата", "пробива", "отправля", "загружа", "выгружа", "подключа", "отключа", "обновля",
	"считыва", "открыва", "закрыва", "включа", "выключа", "показыва", "зависа", "мига",
	"отвеча", "работа", "принима", "списыва", "начина", "заканчива", "проверя", "меня",
};
static const char *const verb_endings[] = {
	"ет", "ют", "ть", "л", "ла", "ли", "ется", "ются", "ю", "ем",
};

static const char *const adj_stems[] = {
	"фискальн", "чеков", "кассов", "сетев", "нов", "стар", "красн", "зелен", "пуст", "полн",
	"нужн", "ошибочн", "неверн", "верн", "основн", "резервн", "личн", "налогов", "сервисн",
	"торгов", "розничн", "электронн", "бумажн", "ночн", "бел", "черн", "тепл",
};
static const char *const adj_endings[] = {
	"ый", "ая", "ое", "ые", "ого", "ой", "ую", "ых", "ым", "ыми",
};

/* After к, г, х, ж, ч, ш, щ Russian writes и, not ы. */
static bool hushing_end(const char *stem)
{
	static const char *const soft[] = { "к", "г", "х", "ж", "ч", "ш", "щ" };
	size_t n = strlen(stem);
	for (size_t i = 0; i < ARRAY_SIZE(soft); i++)
		if (n >= 2 && !strcmp(stem + n - 2, soft[i]))
			return true;
	return false;
}

static void add_forms(struct strv *v, const char *const *stems, size_t n_stems,
		      const char *const *endings, size_t n_endings)
{
	for (size_t s = 0; s < n_stems; s++)
		for (size_t e = 0; e < n_endings; e++) {
			const char *end = endings[e];
			if (!strcmp(end, "ы") && hushing_end(stems[s]))
				end = "и";
			struct buf b = BUF_INIT(256);
			buf_printf(&b, "%s%s", stems[s], end);
			strv_push(v, buf_detach(&b));
		}
}

/* Lower-cases the Cyrillic letter at p (2 bytes) into out; false if it is not one. */
static bool cyr_lower(const unsigned char *p, unsigned char *out)
{
	if (p[0] == 0xD0 && p[1] >= 0x90 && p[1] <= 0x9F) {
		out[0] = 0xD0, out[1] = (unsigned char)(p[1] + 0x20);
	} else if (p[0] == 0xD0 && p[1] >= 0xA0 && p[1] <= 0xAF) {
		out[0] = 0xD1, out[1] = (unsigned char)(p[1] - 0x20);
	} else if (p[0] == 0xD0 && p[1] == 0x81) {
		out[0] = 0xD1, out[1] = 0x91;
	} else if ((p[0] == 0xD0 && p[1] >= 0xB0 && p[1] <= 0xBF) ||
		   (p[0] == 0xD1 && p[1] >= 0x80 && p[1] <= 0x8F) || (p[0] == 0xD1 && p[1] == 0x91)) {
		out[0] = p[0], out[1] = p[1];
	} else {
		return false;
	}
	return true;
}

/* Adds the Cyrillic words of text (3 to 30 letters, lower-cased) to v. */
static void harvest(struct strv *v, const char *text)
{
	const unsigned char *p = (const unsigned char *)text;
	unsigned char word[64];
	size_t n = 0;
	for (;;) {
		unsigned char low[2];
		if (p[0] && p[1] && cyr_lower(p, low)) {
			if (n + 2 < sizeof(word)) {
				word[n++] = low[0];
				word[n++] = low[1];
			}
			p += 2;
			continue;
		}
		if (n >= 6 && n + 2 < sizeof(word)) {
			word[n] = '\0';
			strv_push(v, xstrdup((const char *)word));
		}
		n = 0;
		if (!*p)
			break;
		p++;
	}
}

/* The generator's vocabulary, and a Zipf distribution over it (rank 1 commonest). */
struct vocab {
	struct strv w;
	double *cdf;
};

static void vocab_build(struct vocab *v, const struct kb_set *shipped)
{
	memset(v, 0, sizeof(*v));
	add_forms(&v->w, masc_stems, ARRAY_SIZE(masc_stems), masc_endings, ARRAY_SIZE(masc_endings));
	add_forms(&v->w, fem_stems, ARRAY_SIZE(fem_stems), fem_endings, ARRAY_SIZE(fem_endings));
	add_forms(&v->w, verb_stems, ARRAY_SIZE(verb_stems), verb_endings, ARRAY_SIZE(verb_endings));
	add_forms(&v->w, adj_stems, ARRAY_SIZE(adj_stems), adj_endings, ARRAY_SIZE(adj_endings));
	for (size_t i = 0; i < shipped->n; i++) {
		harvest(&v->w, shipped->a[i].title);
		harvest(&v->w, shipped->a[i].body);
	}
	strv_unique(&v->w);
	/* Ranks at random, so the common words are a mix of both sources. */
	for (size_t i = v->w.n; i > 1; i--) {
		size_t j = rnd_below(i);
		char *t = v->w.v[i - 1];
		v->w.v[i - 1] = v->w.v[j];
		v->w.v[j] = t;
	}
	v->cdf = xcalloc(v->w.n, sizeof(*v->cdf));
	double sum = 0;
	for (size_t i = 0; i < v->w.n; i++)
		v->cdf[i] = (sum += 1.0 / (double)(i + 1));
	for (size_t i = 0; i < v->w.n; i++)
		v->cdf[i] /= sum;
}

static void vocab_release(struct vocab *v)
{
	strv_release(&v->w);
	free(v->cdf);
}

/* A word as text has them: Zipf's law, s = 1. */
static const char *word_common(const struct vocab *v)
{
	double u = rnd_unit();
	size_t lo = 0, hi = v->w.n - 1;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (v->cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return v->w.v[lo];
}

/* Any word alike: what makes a title or keyword specific. */
static const char *word_any(const struct vocab *v)
{
	return v->w.v[rnd_below(v->w.n)];
}

/* Appends w with its first letter upper-cased. */
static void put_capitalized(struct buf *b, const char *w)
{
	const unsigned char *p = (const unsigned char *)w;
	unsigned char up[2] = { p[0], p[1] };
	if (p[0] == 0xD0 && p[1] >= 0xB0 && p[1] <= 0xBF)
		up[1] = (unsigned char)(p[1] - 0x20);
	else if (p[0] == 0xD1 && p[1] >= 0x80 && p[1] <= 0x8F)
		up[0] = 0xD0, up[1] = (unsigned char)(p[1] + 0x20);
	else if (p[0] == 0xD1 && p[1] == 0x91)
		up[0] = 0xD0, up[1] = 0x81;
	else {
		buf_puts(b, w);
		return;
	}
	buf_add(b, up, 2);
	buf_puts(b, w + 2);
}

static unsigned gen_code(size_t i)
{
	return (unsigned)(CODE_BASE + (i * CODE_STEP) % CODE_SPAN);
}

/* Writes one sentence of n words: capitalized, with a full stop. */
static void put_sentence(struct buf *b, const struct vocab *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *w = word_common(v);
		if (!i)
			put_capitalized(b, w);
		else
			buf_printf(b, " %s", w);
	}
	buf_puts(b, ".");
}

/*
 * Article i: a title of 5-10 words, 3-6 keywords, a unique error code with
 * its pattern, 4 examples drawn from its title and keywords, and a body of
 * 60-150 words (an opening sentence, numbered steps, what not to do).
 */
static void gen_article(struct buf *b, const struct vocab *v, size_t i)
{
	unsigned code = gen_code(i);
	struct strv title = { 0 }, kw = { 0 };
	size_t n_title = rnd_between(5, 10), n_kw = rnd_between(3, 6);

	for (size_t k = 0; k < n_title; k++)
		strv_push(&title, xstrdup(k % 2 ? word_common(v) : word_any(v)));
	for (size_t k = 0; k < n_kw; k++) {
		struct buf w = BUF_INIT(256);
		buf_puts(&w, word_any(v));
		if (rnd() & 1)
			buf_printf(&w, " %s", word_any(v));
		strv_push(&kw, buf_detach(&w));
	}

	buf_printf(b, "---\nid: gen-%05zu\ntitle: ", i);
	for (size_t k = 0; k < title.n; k++) {
		if (!k)
			put_capitalized(b, title.v[k]);
		else
			buf_printf(b, " %s", title.v[k]);
	}
	if (i % 2)
		buf_printf(b, " (ошибка %u)", code);
	buf_printf(b, "\ncategory: %s\npriority: P%zu\ncodes: %u\nkeywords: ",
		   kb_categories[rnd_below(11)].name, rnd_between(1, 4), code);
	for (size_t k = 0; k < kw.n; k++)
		buf_printf(b, "%s%s", k ? ", " : "", kw.v[k]);
	buf_printf(b, "\npattern: ошибк\\w*\\s+(атол\\s*)?[:№-]?\\s*%u\\b\n", code);
	for (int e = 0; e < 4; e++) {
		struct strv w = { 0 };
		size_t from_title = rnd_between(1, 3);
		for (size_t k = 0; k < from_title; k++)
			strv_push(&w, xstrdup(title.v[rnd_below(title.n)]));
		strv_push(&w, xstrdup(kw.v[rnd_below(kw.n)]));
		size_t common = rnd_between(0, 2);
		for (size_t k = 0; k < common; k++)
			strv_push(&w, xstrdup(word_common(v)));
		char *text = join_words(w.v, w.n);
		char *shuffled = vary_shuffle(text);
		/* A quarter of the articles have an example quoting their code. */
		if (e == 3 && i % 4 == 0)
			buf_printf(b, "example: %s ошибка %u\n", shuffled, code);
		else
			buf_printf(b, "example: %s\n", shuffled);
		free(text);
		free(shuffled);
		strv_release(&w);
	}
	buf_puts(b, "---\n");

	size_t budget = rnd_between(60, 150), n = rnd_between(8, 14), step = 1;
	put_sentence(b, v, n);
	buf_puts(b, "\n\n");
	budget -= n;
	while (budget > 10) {
		n = rnd_between(6, 12);
		if (n > budget)
			n = budget;
		buf_printf(b, "%zu. ", step++);
		put_sentence(b, v, n);
		buf_puts(b, "\n");
		budget -= n;
	}
	buf_puts(b, "\n**Не делайте:** ");
	put_sentence(b, v, budget ? budget : 1);
	buf_puts(b, "\n");
	strv_release(&title);
	strv_release(&kw);
}

static int write_articles(const char *dir, const struct vocab *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct buf b = BUF_INIT(KB_FILE_MAX);
		char path[4096];
		gen_article(&b, v, i);
		char name[32];
		snprintf(name, sizeof(name), "gen-%05zu.md", i);
		join_path(path, sizeof(path), dir, name);
		FILE *f = fopen(path, "wb");
		bool ok = f && !b.failed && fwrite(b.data, 1, b.len, f) == b.len;
		if (f && fclose(f))
			ok = false;
		buf_release(&b);
		if (!ok) {
			fprintf(stderr, "kb_bench: cannot write %s: %s\n", path, strerror(errno));
			return TD_ERR;
		}
	}
	return 0;
}

/* Copies the shipped aliases beside the generated articles, so searches pay for them too. */
static int copy_aliases(const char *kb_dir, const char *dir)
{
	char from[4096], to[4096], chunk[8192];
	size_t n;
	join_path(from, sizeof(from), kb_dir, "aliases.txt");
	join_path(to, sizeof(to), dir, "aliases.txt");
	FILE *in = fopen(from, "rb");
	if (!in)
		return errno == ENOENT ? 0 : TD_ERR;
	FILE *out = fopen(to, "wb");
	bool ok = out != NULL;
	while (ok && (n = fread(chunk, 1, sizeof(chunk), in)) > 0)
		ok = fwrite(chunk, 1, n, out) == n;
	ok &= !ferror(in);
	fclose(in);
	if (out && fclose(out))
		ok = false;
	if (!ok)
		fprintf(stderr, "kb_bench: cannot copy %s to %s\n", from, to);
	return ok ? 0 : TD_ERR;
}

/* One query of the generated mode: 70% examples (half varied), 20% codes, 10% none. */
static void gen_query(struct queries *out, struct db *db, const struct kb_set *set)
{
	size_t roll = rnd_below(10);
	if (roll == 0) {
		queries_push(out, xstrdup(negatives[rnd_below(ARRAY_SIZE(negatives))]), Q_NEGATIVE, 0);
		return;
	}
	size_t i = rnd_below(set->n);
	const struct kb_article *a = &set->a[i];
	struct kb_entry e;
	int64_t id = 0;
	if (!db_kb_find(db, a->slug, &e)) {
		id = e.id;
		kb_entry_release(&e);
	}
	if (roll <= 2) {
		struct buf b = BUF_INIT(256);
		size_t form = rnd_below(3);
		if (form == 0)
			buf_printf(&b, "ошибка %u", gen_code(i));
		else if (form == 1)
			buf_printf(&b, "атол ошибка %u не пробивает чек", gen_code(i));
		else
			buf_printf(&b, "касса пишет ошибка %u что делать", gen_code(i));
		queries_push(out, buf_detach(&b), Q_CODE, id);
		return;
	}
	const char *ex = a->examples[rnd_below(a->n_examples)];
	enum kind k = roll <= 6 ? Q_EXAMPLE : (enum kind)(Q_DROP + rnd_below(3));
	queries_push(out, varied(ex, k), k, id);
}

static int run_generated(struct mode_result *r, const char *tmp, const char *kb_dir, size_t n_articles,
			 size_t n_queries)
{
	struct db *db = NULL;
	struct kb *kb = NULL;
	struct kb_set shipped = { 0 }, set = { 0 };
	struct vocab v = { 0 };
	struct queries qs = { 0 }, warm = { 0 };
	struct buf errors = BUF_INIT(1u << 20);
	char dir[4096], articles[4096];
	int rc = TD_ERR;

	r->name = "generated";
	rng_start(2);
	join_path(dir, sizeof(dir), tmp, "generated");
	join_path(articles, sizeof(articles), tmp, "generated/articles");
	if (mkdir(dir, 0700) || mkdir(articles, 0700)) {
		fprintf(stderr, "kb_bench: %s: %s\n", articles, strerror(errno));
		goto done;
	}
	if (kb_set_load(&shipped, kb_dir, &errors)) {
		fprintf(stderr, "kb_bench: %s", buf_cstr(&errors));
		goto done;
	}
	vocab_build(&v, &shipped);
	kb_set_release(&shipped);
	int64_t t0 = now_ns();
	if (write_articles(articles, &v, n_articles) || copy_aliases(kb_dir, articles))
		goto done;
	printf("  wrote %zu articles in %.0f ms (vocabulary: %zu words)\n", n_articles, ms_since(t0),
	       v.w.n);
	vocab_release(&v);

	if (open_db(&db, dir) || load_and_import(r, db, articles, &set))
		goto done;
	if (weigh_db(r, &db, dir))
		goto done;
	for (size_t i = 0; i < n_queries; i++)
		gen_query(&qs, db, &set);
	for (size_t i = 0; i < WARMUP; i++)
		gen_query(&warm, db, &set);
	kb_set_release(&set);

	if (!(kb = kb_new()))
		goto done;
	if ((rc = time_searches(&r->t, kb, db, &warm, &qs)))
		goto done;
	r->ran = true;
	r->rss_kb = proc_status_kb("VmRSS");
	r->hwm_kb = proc_status_kb("VmHWM");
	print_mode(r);
done:
	kb_free(kb);
	db_close(db);
	kb_set_release(&set);
	queries_release(&qs);
	queries_release(&warm);
	buf_release(&errors);
	remove_dir(articles);
	remove_dir(dir);
	return rc;
}

/* ---- output ---- */

static void print_table(const struct mode_result *m, size_t n)
{
	printf("\n%-10s %8s %9s %9s %7s %8s %8s %8s %8s %8s %8s\n", "kb", "articles", "parse ms",
	       "import ms", "db MiB", "first ms", "p50 ms", "p90 ms", "p99 ms", "max ms", "mean ms");
	for (size_t i = 0; i < n; i++) {
		const struct mode_result *r = &m[i];
		const struct timing *t = &r->t;
		if (!r->ran)
			continue;
		printf("%-10s %8zu %9.1f %9.1f %7.1f %8.1f %8.3f %8.3f %8.3f %8.3f %8.3f\n", r->name,
		       r->articles, r->parse_ms, r->import_ms, (double)r->db_bytes / 1048576.0,
		       t->first_ms, pct_ms(t->ns, t->n, 50), pct_ms(t->ns, t->n, 90),
		       pct_ms(t->ns, t->n, 99), pct_ms(t->ns, t->n, 100), mean_ms(t->ns, t->n));
	}
}

static int write_json(const char *path, const struct mode_result *m, size_t n)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "kb_bench: %s: %s\n", path, strerror(errno));
		return TD_ERR;
	}
	fprintf(f, "{");
	bool first = true;
	for (size_t i = 0; i < n; i++) {
		const struct mode_result *r = &m[i];
		const struct timing *t = &r->t;
		if (!r->ran)
			continue;
		fprintf(f, "%s\n  \"%s\": {\"articles\": %zu, \"patterns\": %zu, \"examples\": %zu,"
			" \"parse_ms\": %.3f, \"import_ms\": %.3f, \"db_bytes\": %lld,"
			" \"first_search_ms\": %.3f, \"queries\": %zu, \"p50_ms\": %.4f,"
			" \"p90_ms\": %.4f, \"p99_ms\": %.4f, \"max_ms\": %.4f, \"mean_ms\": %.4f,"
			" \"hits\": %zu, \"confident\": %zu, \"right_first\": %zu, \"expected\": %zu,"
			" \"vmrss_kb\": %ld, \"vmhwm_kb\": %ld}",
			first ? "" : ",", r->name, r->articles, r->patterns, r->examples, r->parse_ms,
			r->import_ms, r->db_bytes, t->first_ms, t->n, pct_ms(t->ns, t->n, 50),
			pct_ms(t->ns, t->n, 90), pct_ms(t->ns, t->n, 99), pct_ms(t->ns, t->n, 100),
			mean_ms(t->ns, t->n), t->any, t->confident, t->top_ok, t->expected, r->rss_kb,
			r->hwm_kb);
		first = false;
	}
	fprintf(f, "\n}\n");
	return fclose(f) ? TD_ERR : 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: kb_bench [--only shipped|generated] [--articles N] [--queries N]\n"
		   "                [--seed N] [--kb DIR] [--json FILE] [--keep]\n");
}

static int parse_size(size_t *out, const char *s, long long min, long long max)
{
	long long v;
	if (parse_int(&v, s, min, max))
		return TD_EINVAL;
	*out = (size_t)v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "only", required_argument, NULL, 'o' },
		{ "articles", required_argument, NULL, 'a' },
		{ "queries", required_argument, NULL, 'q' },
		{ "seed", required_argument, NULL, 's' },
		{ "kb", required_argument, NULL, 'k' },
		{ "json", required_argument, NULL, 'j' },
		{ "keep", no_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *only = NULL, *json = NULL, *kb_dir = "kb/articles";
	size_t n_articles = 10000, n_queries = 1000, seed = 1;
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			only = optarg;
			break;
		case 'a':
			if (parse_size(&n_articles, optarg, 1, CODE_SPAN))
				goto bad;
			break;
		case 'q':
			if (parse_size(&n_queries, optarg, 1, 10000000))
				goto bad;
			break;
		case 's':
			if (parse_size(&seed, optarg, 1, INT32_MAX))
				goto bad;
			break;
		case 'k':
			kb_dir = optarg;
			break;
		case 'j':
			json = optarg;
			break;
		case 'K':
			keep_files = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto bad;
		}
	}
	if (optind != argc || (only && strcmp(only, "shipped") && strcmp(only, "generated")))
		goto bad;
	rng_seed_value = seed;

	const char *base = getenv("TMPDIR");
	char tmp[4096];
	join_path(tmp, sizeof(tmp), base && *base ? base : "/tmp", "kb_bench.XXXXXX");
	if (!mkdtemp(tmp)) {
		fprintf(stderr, "kb_bench: %s: %s\n", tmp, strerror(errno));
		return 1;
	}
	printf("kb_bench: %zu queries per mode, seed %zu, in %s\n", n_queries, seed, tmp);

	struct mode_result m[2];
	int rc = 0;
	memset(m, 0, sizeof(m));
	if (!only || !strcmp(only, "shipped")) {
		printf("\n== shipped articles (%s)\n", kb_dir);
		rc = run_shipped(&m[0], tmp, kb_dir, n_queries);
	}
	if (!rc && (!only || !strcmp(only, "generated"))) {
		printf("\n== %zu generated articles\n", n_articles);
		rc = run_generated(&m[1], tmp, kb_dir, n_articles, n_queries);
	}
	if (!rc) {
		print_table(m, ARRAY_SIZE(m));
		if (json)
			rc = write_json(json, m, ARRAY_SIZE(m));
	}
	for (size_t i = 0; i < ARRAY_SIZE(m); i++)
		timing_release(&m[i].t);
	if (!keep_files)
		rmdir(tmp);
	return rc ? 1 : 0;
bad:
	usage(stderr);
	return 2;
}
