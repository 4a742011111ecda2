#include <math.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "kb/alias.h"
#include "kb/regex.h"
#include "kb/search.h"
#include "kb/text.h"
#include "storage/kb.h"

#define QUERY_WORDS KB_FTS_WORDS /* words of a question that count; the rest are ignored */
#define FTS_CANDIDATES 8
/* Articles whose patterns matched that are ranked; more than a question ever names. */
#define PATTERN_HITS 16
#define CANDIDATES (PATTERN_HITS + FTS_CANDIDATES)
/* Rows the full-text query may score (an estimate: the chosen words' articles). */
#define ROW_BUDGET 500
#define TEXT_MAX (16u << 10)  /* bytes of a question that are searched */
/* A word no article has weighs this share of the rarest word's weight. */
#define UNKNOWN_WEIGHT 0.5
/*
 * A word found only in an article's body is weaker evidence than one in its
 * title, keywords or examples: bodies mention much in passing («документы
 * должны уйти в ОФД»).
 */
#define BODY_SHARE 0.5
/*
 * A hit resting on one word of a question of several (besides words in
 * its body) keeps this share of its confidence: «жду ответа» is not about
 * the article that says «ответ».
 */
#define LONE_WORD_SHARE 0.6
/* Matched words must weigh this much to single out an article (a word in ~1/20 of them). */
#define SPECIFIC_WEIGHT 2.5

/*
 * Patterns are compiled on first use. Most have literal text that any match
 * contains (kb_regex_literals); a search runs only those whose literals are
 * in the question, found through an index of each one's rarest run.
 */
struct kb_pattern {
	int64_t article_id;
	char *source;
	struct kb_regex *re;  /* NULL until first needed */
	bool always;          /* no literal to look for: runs on every search */
	bool broken;          /* did not compile: skipped */
	uint64_t seen;        /* the last search whose text holds its literals */
};

/* One top-level alternative of a pattern, filed under its key run's first 3 bytes. */
struct kb_literal {
	uint32_t key;
	uint32_t pattern;     /* index in kb->patterns */
	char *runs;           /* "key\trun\t...run": the key run first */
};

struct kb {
	struct kb_text *text;
	int64_t generation;
	bool loaded;
	int64_t n_articles;
	struct kb_pattern *patterns;
	size_t n_patterns;
	struct kb_literal *literals;  /* sorted by key */
	size_t n_literals;
	struct kb_aliases *aliases;   /* of the last import; NULL: none */
	uint64_t serial;              /* searches so far */
	struct kb_timing timing;
};

struct kb *kb_new(void)
{
	struct kb *kb = xcalloc(1, sizeof(*kb));
	kb->text = kb_text_new();
	if (!kb->text) {
		free(kb);
		return NULL;
	}
	return kb;
}

static void drop_patterns(struct kb *kb)
{
	for (size_t i = 0; i < kb->n_patterns; i++) {
		kb_regex_free(kb->patterns[i].re);
		free(kb->patterns[i].source);
	}
	for (size_t i = 0; i < kb->n_literals; i++)
		free(kb->literals[i].runs);
	free(kb->patterns);
	free(kb->literals);
	kb_aliases_free(kb->aliases);
	kb->aliases = NULL;
	kb->patterns = NULL;
	kb->literals = NULL;
	kb->n_patterns = kb->n_literals = 0;
}

void kb_free(struct kb *kb)
{
	if (!kb)
		return;
	drop_patterns(kb);
	kb_text_free(kb->text);
	free(kb);
}

const struct kb_timing *kb_last_timing(const struct kb *kb)
{
	return &kb->timing;
}

static uint32_t key_of(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	return (uint32_t)u[0] << 16 | (uint32_t)u[1] << 8 | u[2];
}

/* A run inside a literal's runs. */
struct run {
	const char *s;
	size_t n;
};

/* Calls fn for each tab-separated run of runs. */
#define EACH_RUN(r, runs) \
	for (struct run r = { (runs), strcspn((runs), "\t") }; *r.s; \
	     r.s += r.n + (r.s[r.n] != 0), r.n = strcspn(r.s, "\t"))

/* Files the pattern's alternatives, one line of runs each, as literals (key not yet chosen). */
static int add_literals(struct kb *kb, uint32_t pattern, char *lines)
{
	size_t first = kb->n_literals;
	for (char *line = lines, *nl; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		*nl = '\0';
		kb->literals = xrealloc(kb->literals, (kb->n_literals + 1) * sizeof(*kb->literals));
		kb->literals[kb->n_literals++] = (struct kb_literal){ .pattern = pattern,
								      .runs = xstrdup(line) };
	}
	/* An alternative without a run of 3 bytes cannot be looked up. */
	for (size_t i = first; i < kb->n_literals; i++) {
		bool keyed = false;
		EACH_RUN(r, kb->literals[i].runs)
			keyed |= r.n >= 3;
		if (!keyed) {
			while (kb->n_literals > first)
				free(kb->literals[--kb->n_literals].runs);
			return TD_ENOTFOUND;
		}
	}
	return 0;
}

static int add_pattern(int64_t article_id, const char *pattern, void *arg)
{
	struct kb *kb = arg;
	struct buf lines = BUF_INIT(64u << 10);
	uint32_t at = (uint32_t)kb->n_patterns;
	kb->patterns = xrealloc(kb->patterns, (kb->n_patterns + 1) * sizeof(*kb->patterns));
	kb->patterns[kb->n_patterns++] = (struct kb_pattern){ .article_id = article_id,
							      .source = xstrdup(pattern) };
	int rc = kb_regex_literals(&lines, pattern);
	if (rc == TD_ENOMEM)
		goto done;
	kb->patterns[at].always = rc || add_literals(kb, at, lines.data);
	rc = 0;
done:
	buf_release(&lines);
	return rc;
}

static int cmp_run(const void *x, const void *y)
{
	const struct run *a = x, *b = y;
	int c = memcmp(a->s, b->s, a->n < b->n ? a->n : b->n);
	return c ? c : (a->n > b->n) - (a->n < b->n);
}

static int cmp_literal(const void *x, const void *y)
{
	const struct kb_literal *a = x, *b = y;
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	return (a->pattern > b->pattern) - (a->pattern < b->pattern);
}

/* A run of some literal, for counting how many alternatives share it. */
struct shared_run {
	struct run r;
	size_t literal;
};

static int cmp_shared(const void *x, const void *y)
{
	return cmp_run(&((const struct shared_run *)x)->r, &((const struct shared_run *)y)->r);
}

/*
 * Gives each literal its key: of its runs of 3 bytes or more, the one the
 * fewest alternatives share (the longest among equals), moved to the front.
 * Then sorts the literals by key.
 */
static void choose_keys(struct kb *kb)
{
	struct shared_run *all = NULL;
	struct run *best = xcalloc(kb->n_literals + 1, sizeof(*best));
	size_t *best_count = xcalloc(kb->n_literals + 1, sizeof(*best_count)), n_all = 0, alloc = 0;
	for (size_t i = 0; i < kb->n_literals; i++) {
		best_count[i] = SIZE_MAX;
		EACH_RUN(r, kb->literals[i].runs) {
			if (r.n < 3)
				continue;
			if (n_all == alloc)
				all = xrealloc(all, (alloc = alloc * 2 + 64) * sizeof(*all));
			all[n_all++] = (struct shared_run){ r, i };
		}
	}
	if (n_all)
		qsort(all, n_all, sizeof(*all), cmp_shared);
	/* Each stretch of equal runs: every literal holding it sees the count. */
	for (size_t at = 0, end; at < n_all; at = end) {
		for (end = at + 1; end < n_all && !cmp_run(&all[end].r, &all[at].r); end++)
			;
		for (size_t k = at; k < end; k++) {
			size_t l = all[k].literal, count = end - at;
			if (count < best_count[l] || (count == best_count[l] && all[k].r.n > best[l].n)) {
				best[l] = all[k].r;
				best_count[l] = count;
			}
		}
	}
	free(all);
	/* best points into the runs: every key is chosen before any runs change. */
	for (size_t i = 0; i < kb->n_literals; i++) {
		struct kb_literal *l = &kb->literals[i];
		struct buf b = BUF_INIT(64u << 10);
		buf_add(&b, best[i].s, best[i].n);
		EACH_RUN(r, l->runs) {
			if (r.s != best[i].s) {
				buf_putc(&b, '\t');
				buf_add(&b, r.s, r.n);
			}
		}
		l->key = key_of(best[i].s);
		free(l->runs);
		l->runs = buf_detach(&b);
	}
	free(best);
	free(best_count);
	if (kb->n_literals)
		qsort(kb->literals, kb->n_literals, sizeof(*kb->literals), cmp_literal);
}

/* The aliases the index was built with, so that questions are read the same way. */
static int load_aliases(struct kb *kb, struct db *db)
{
	struct buf text = BUF_INIT(KB_ALIASES_MAX + 1), errors = BUF_INIT(4096);
	int rc = db_kb_aliases(db, &text);
	/* Import checked the file: one that fails now is left out, not fatal. */
	if (!rc && *buf_cstr(&text) &&
	    kb_aliases_parse(&kb->aliases, kb->text, "aliases", buf_cstr(&text), &errors))
		log_warn("kb: the aliases do not parse, searching without them: %s", buf_cstr(&errors));
	buf_release(&text);
	buf_release(&errors);
	return rc;
}

static int refresh(struct kb *kb, struct db *db)
{
	int64_t gen = db_kb_generation(db);
	int rc;
	if (kb->loaded && gen == kb->generation)
		return 0;
	drop_patterns(kb);
	if ((rc = db_kb_count(db, &kb->n_articles)) || (rc = db_kb_patterns(db, add_pattern, kb)) ||
	    (rc = load_aliases(kb, db)))
		return rc;
	choose_keys(kb);
	kb->generation = gen;
	kb->loaded = true;
	log_debug("kb: %lld articles, %zu patterns, %zu literals, %zu aliases (generation %lld)",
		  (long long)kb->n_articles, kb->n_patterns, kb->n_literals,
		  kb_aliases_count(kb->aliases), (long long)gen);
	return 0;
}

/* The question's distinct words (by stem), each with its weight. */
struct query {
	struct kb *kb;
	char words[QUERY_WORDS][KB_WORD_MAX + 1];
	char stems[QUERY_WORDS][KB_WORD_MAX + 1];
	double weight[QUERY_WORDS];
	int64_t df[QUERY_WORDS];     /* articles with the word */
	bool known[QUERY_WORDS];
	int n;
};

static int first_term(void *arg, const char *term, size_t n, size_t start, size_t end)
{
	(void)start, (void)end;
	snprintf(arg, KB_WORD_MAX + 1, "%.*s", (int)n, term);
	return 1;
}

static int add_word(void *arg, const char *word, size_t n, size_t start, size_t end)
{
	struct query *q = arg;
	char stem[KB_WORD_MAX + 1] = "";
	(void)start, (void)end;
	if (q->n == QUERY_WORDS)
		return 1;
	kb_text_terms(q->kb->text, word, n, first_term, stem);
	for (int i = 0; i < q->n; i++)
		if (!strcmp(q->stems[i], stem))
			return 0;
	snprintf(q->words[q->n], sizeof(q->words[0]), "%.*s", (int)n, word);
	snprintf(q->stems[q->n], sizeof(q->stems[0]), "%s", stem);
	q->n++;
	return 0;
}

/* bm25's inverse document frequency. */
static double idf(int64_t n_docs, int64_t df)
{
	return log(1.0 + ((double)n_docs - (double)df + 0.5) / ((double)df + 0.5));
}

static int weigh(struct query *q, struct db *db)
{
	double rarest = idf(q->kb->n_articles, 1);
	for (int i = 0; i < q->n; i++) {
		int64_t df;
		int rc = db_kb_doc_freq(db, q->stems[i], &df);
		if (rc)
			return rc;
		q->df[i] = df;
		q->known[i] = df > 0;
		q->weight[i] = df ? idf(q->kb->n_articles, df) : UNKNOWN_WEIGHT * rarest;
	}
	return 0;
}

/*
 * Scores the words of q that an article holds (bits, see db_kb_fts): the
 * share of the question's weight they cover, a word found only in the body
 * counting BODY_SHARE, scaled down when even the covered words are too
 * common to single out an article. A hit that rests on one such word is
 * weak: a word of thanks or chatter sharing a stem with an article's word
 * must not make a hint.
 */
static void score(const struct query *q, uint64_t words, struct kb_hit *h)
{
	double all = 0, covered = 0;
	int n_covered = 0, n_strong = 0;
	for (int i = 0; i < q->n; i++) {
		all += q->weight[i];
		if (words & (1ull << i)) {
			covered += q->weight[i];
			n_strong++;
		} else if (words & (1ull << (32 + i))) {
			covered += BODY_SHARE * q->weight[i];
		} else {
			continue;
		}
		n_covered++;
	}
	double specific = fmin(1.0, covered / SPECIFIC_WEIGHT);
	h->words = all > 0 ? covered / all * specific : 0;
	/*
	 * One word, however rare, does not outweigh the rest of a longer
	 * question; words the article only mentions in its body do not help it.
	 */
	if (n_strong <= 1 && q->n > 1)
		h->words *= LONE_WORD_SHARE;
	h->weak = !h->pattern && n_covered <= 1 && covered < SPECIFIC_WEIGHT;
	if (!h->pattern)
		h->confidence = h->words;
}

static bool listed(const struct kb_hit *out, int n, int64_t id)
{
	for (int i = 0; i < n; i++)
		if (out[i].article_id == id)
			return true;
	return false;
}

/* True when every run of l is in text, its key run at offset at. */
static bool literal_in(const struct kb_literal *l, const char *text, size_t len, size_t at)
{
	EACH_RUN(r, l->runs) {
		if (r.s == l->runs) {
			if (r.n > len - at || memcmp(text + at, r.s, r.n))
				return false;
		} else if (!memmem(text, len, r.s, r.n)) {
			return false;
		}
	}
	return true;
}

/* Marks as seen the patterns whose literals are all in text (lower-cased). */
static void prefilter(struct kb *kb, const char *text, size_t len)
{
	for (size_t i = 0; i + 3 <= len; i++) {
		uint32_t key = key_of(text + i);
		size_t lo = 0, hi = kb->n_literals;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (kb->literals[mid].key < key)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < kb->n_literals && kb->literals[lo].key == key; lo++) {
			struct kb_pattern *p = &kb->patterns[kb->literals[lo].pattern];
			if (p->seen != kb->serial && literal_in(&kb->literals[lo], text, len, i))
				p->seen = kb->serial;
		}
	}
}

/* The pattern, compiled on first use; NULL when it does not compile. */
static struct kb_regex *compiled(struct kb_pattern *p)
{
	char err[256];
	if (!p->re && !p->broken && kb_regex_compile(&p->re, p->source, err, sizeof(err))) {
		/* Import checked every pattern; one that fails now is skipped, not fatal. */
		log_warn("kb: article %lld: %s", (long long)p->article_id, err);
		p->broken = true;
	}
	return p->re;
}

static int pattern_hits(struct kb *kb, const char *text, struct kb_hit *out, int max, int *n)
{
	struct buf folded = BUF_INIT(TEXT_MAX * 2), lower = BUF_INIT(TEXT_MAX * 2);
	int rc = TD_ENOMEM;
	if (kb_fold_yo(&folded, text) || kb_lower(&lower, text, strlen(text)))
		goto done;
	kb->serial++;
	prefilter(kb, buf_cstr(&lower), lower.len);
	for (size_t i = 0; i < kb->n_patterns && *n < max; i++) {
		struct kb_pattern *p = &kb->patterns[i];
		if ((!p->always && p->seen != kb->serial) || listed(out, *n, p->article_id) ||
		    !compiled(p))
			continue;
		kb->timing.patterns_run++;
		int m = kb_regex_match(p->re, buf_cstr(&folded), folded.len);
		if (m < 0)
			log_warn("kb: a pattern of article %lld %s", (long long)p->article_id,
				 kb_regex_strerror(m));
		if (m == 1)
			out[(*n)++] = (struct kb_hit){ .article_id = p->article_id, .confidence = 1.0,
						       .pattern = true };
	}
	rc = 0;
done:
	buf_release(&folded);
	buf_release(&lower);
	return rc;
}

/*
 * Appends the words of q that take marks to match, as phrases joined by OR;
 * uncounted phrases do not score (their words are scored elsewhere).
 */
static void add_phrases(struct kb_fts_query *f, struct buf *match, const struct query *q,
			const bool *take, bool counted)
{
	bool first = true;
	for (int i = 0; i < q->n; i++) {
		if (!take[i])
			continue;
		buf_printf(match, "%s\"%s\"", first ? "" : " OR ", q->words[i]);
		f->phrase_word[f->n_phrases++] = counted ? i : -1;
		first = false;
	}
}

/*
 * The best articles for q's known words, scored by all of them. When
 * choose is given, only the rows holding one of those words are scored:
 * (chosen) AND (all words) matches just the chosen rows. With strong, only
 * those holding one in the title, codes, keywords or examples.
 */
static int fts(struct db *db, const struct query *q, const bool *choose, bool strong,
	       int64_t only, struct kb_fts_hit *hits, int *n_hits)
{
	struct kb_fts_query f = { .only = only };
	struct buf match = BUF_INIT(16384);
	if (choose) {
		buf_puts(&match, strong ? "{title codes keywords examples} : ((" : "((");
		add_phrases(&f, &match, q, choose, false);
		buf_puts(&match, ")) AND (");
	}
	add_phrases(&f, &match, q, q->known, true);
	if (choose)
		buf_puts(&match, ")");
	for (int i = 0; i < q->n; i++)
		f.weight[i] = q->weight[i];
	f.match = buf_cstr(&match);
	int rc = match.failed ? TD_ENOMEM : db_kb_fts(db, &f, FTS_CANDIDATES, hits, n_hits);
	buf_release(&match);
	return rc;
}

/* The known word of q with the fewest articles that take does not hold yet; -1: none. */
static int rarest_left(const struct query *q, const bool *take)
{
	int rarest = -1;
	for (int i = 0; i < q->n; i++)
		if (q->known[i] && !take[i] && (rarest < 0 || q->df[i] < q->df[rarest]))
			rarest = i;
	return rarest;
}

/*
 * Which words choose the rows the index scores: the rarest first, while
 * their articles add up to no more than ROW_BUDGET (at least the rarest).
 * Every row a query matches is scored before the best are kept, so a
 * question with common words («касса», «чек») would otherwise score most
 * of the base. Sets *rows to the chosen words' articles; returns true when
 * some known word was left out.
 */
static bool narrow(const struct query *q, bool *take, int64_t *rows)
{
	*rows = 0;
	for (;;) {
		int rarest = rarest_left(q, take);
		if (rarest < 0)
			return false;
		if (*rows && *rows + q->df[rarest] > ROW_BUDGET)
			return true;
		take[rarest] = true;
		*rows += q->df[rarest];
	}
}

static int text_hits(struct kb *kb, struct db *db, const char *text, struct kb_hit *out, int max,
		     int *n)
{
	struct query q = { .kb = kb };
	struct kb_fts_hit hits[FTS_CANDIDATES];
	bool take[QUERY_WORDS] = { false };
	int n_hits = 0, rc;
	int64_t start = clock_mono_us(), rows;

	kb_text_words(text, strlen(text), add_word, &q);
	rc = weigh(&q, db);
	kb->timing.words_ms = (double)(clock_mono_us() - start) / 1000;
	start = clock_mono_us();
	if (rc)
		goto done;
	/* Only words the index knows become phrases: the others cannot match. */
	bool narrowed = narrow(&q, take, &rows);
	kb->timing.fts_rows = rows;
	kb->timing.narrowed = narrowed;
	if (!rows)
		goto done;
	if (rows <= ROW_BUDGET) {
		rc = fts(db, &q, narrowed ? take : NULL, false, 0, hits, &n_hits);
	} else {
		/*
		 * Even the rarest word is common: the rows that hold it where it
		 * counts choose, and only when there are none, all its rows.
		 */
		kb->timing.strong = true;
		rc = fts(db, &q, take, true, 0, hits, &n_hits);
		if (!rc && !n_hits)
			rc = fts(db, &q, take, false, 0, hits, &n_hits);
	}
	if (rc)
		goto done;
	for (int i = 0; i < n_hits; i++) {
		int at;
		for (at = 0; at < *n && out[at].article_id != hits[i].id; at++)
			;
		if (at == *n) {
			if (*n == max)
				continue;
			out[(*n)++] = (struct kb_hit){ .article_id = hits[i].id };
		}
		out[at].bm25 = hits[i].bm25;
		score(&q, hits[i].words, &out[at]);  /* a pattern hit keeps its confidence */
	}
	/* A pattern hit the index did not rank still needs its words, to rank it among the others. */
	for (int i = 0; i < *n && !rc; i++) {
		int one = 0;
		if (!out[i].pattern || out[i].bm25 != 0)
			continue;
		rc = fts(db, &q, NULL, false, out[i].article_id, hits, &one);
		if (!rc && one) {
			out[i].bm25 = hits[0].bm25;
			score(&q, hits[0].words, &out[i]);
		}
	}
done:
	kb->timing.fts_ms = (double)(clock_mono_us() - start) / 1000;
	return rc;
}

int kb_hit_cmp(const void *x, const void *y)
{
	const struct kb_hit *a = x, *b = y;
	if (a->confidence != b->confidence)
		return a->confidence > b->confidence ? -1 : 1;
	if (a->pattern != b->pattern)
		return a->pattern ? -1 : 1;
	if (a->words != b->words)
		return a->words > b->words ? -1 : 1;
	/* bm25 is negative for a row the index scored, 0 for none. */
	if (a->bm25 != b->bm25)
		return a->bm25 < b->bm25 ? -1 : 1;
	return (a->article_id > b->article_id) - (a->article_id < b->article_id);
}

enum kb_use kb_hit_use(const struct kb_hit *h, long long threshold, long long hint)
{
	if (!h || h->weak)
		return KB_USE_NONE;
	if (100 * h->confidence >= (double)threshold)
		return KB_USE_ANSWER;
	return 100 * h->confidence >= (double)hint ? KB_USE_HINT : KB_USE_NONE;
}

int kb_search(struct kb *kb, struct db *db, const char *text, struct kb_hit *out, int max, int *n)
{
	struct kb_hit all[CANDIDATES];
	size_t len = strlen(text);
	int n_all = 0, rc;
	*n = 0;
	if (!utf8_valid(text, len))
		return TD_EINVAL;
	if (len > TEXT_MAX)
		return TD_EINVAL;
	memset(&kb->timing, 0, sizeof(kb->timing));
	if ((rc = refresh(kb, db)))
		return rc;
	int64_t start = clock_mono_us();
	struct buf read_as = BUF_INIT(TEXT_MAX * 4);
	bool changed;
	/* The patterns see the cashier's words and, when aliases changed them, the articles' too. */
	if ((rc = kb_aliases_apply(kb->aliases, kb->text, text, len, &read_as, &changed)) ||
	    (rc = pattern_hits(kb, text, all, PATTERN_HITS, &n_all)) ||
	    (changed && (rc = pattern_hits(kb, buf_cstr(&read_as), all, PATTERN_HITS, &n_all))))
		goto done;
	kb->timing.patterns_ms = (double)(clock_mono_us() - start) / 1000;
	if ((rc = text_hits(kb, db, buf_cstr(&read_as), all, CANDIDATES, &n_all)))
		goto done;
	qsort(all, (size_t)n_all, sizeof(*all), kb_hit_cmp);
	*n = n_all < max ? n_all : max;
	memcpy(out, all, (size_t)*n * sizeof(*out));
done:
	buf_release(&read_as);
	return rc;
}
