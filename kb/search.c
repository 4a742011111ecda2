#include <math.h>

#include "core/buf.h"
#include "core/log.h"
#include "kb/regex.h"
#include "kb/search.h"
#include "kb/text.h"
#include "storage/kb.h"

#define QUERY_WORDS 32        /* words of a question that count; the rest are ignored */
#define FTS_CANDIDATES 8
#define TEXT_MAX (16u << 10)  /* bytes of a question that are searched */
/* A word no article has weighs this share of the rarest word's weight. */
#define UNKNOWN_WEIGHT 0.5
/* Matched words must weigh this much to single out an article (a word in ~1/20 of them). */
#define SPECIFIC_WEIGHT 2.5

struct kb_pattern {
	int64_t article_id;
	struct kb_regex *re;
};

struct kb {
	struct kb_text *text;
	int64_t generation;
	bool loaded;
	int64_t n_articles;
	struct kb_pattern *patterns;
	size_t n_patterns;
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
	for (size_t i = 0; i < kb->n_patterns; i++)
		kb_regex_free(kb->patterns[i].re);
	free(kb->patterns);
	kb->patterns = NULL;
	kb->n_patterns = 0;
}

void kb_free(struct kb *kb)
{
	if (!kb)
		return;
	drop_patterns(kb);
	kb_text_free(kb->text);
	free(kb);
}

static int add_pattern(int64_t article_id, const char *pattern, void *arg)
{
	struct kb *kb = arg;
	struct kb_regex *re;
	char err[256];
	/* Import checked every pattern; one that fails now is skipped, not fatal. */
	if (kb_regex_compile(&re, pattern, err, sizeof(err))) {
		log_warn("kb: article %lld: %s", (long long)article_id, err);
		return 0;
	}
	kb->patterns = xrealloc(kb->patterns, (kb->n_patterns + 1) * sizeof(*kb->patterns));
	kb->patterns[kb->n_patterns++] = (struct kb_pattern){ article_id, re };
	return 0;
}

static int refresh(struct kb *kb, struct db *db)
{
	int64_t gen = db_kb_generation(db);
	int rc;
	if (kb->loaded && gen == kb->generation)
		return 0;
	drop_patterns(kb);
	if ((rc = db_kb_count(db, &kb->n_articles)) || (rc = db_kb_patterns(db, add_pattern, kb)))
		return rc;
	kb->generation = gen;
	kb->loaded = true;
	log_debug("kb: %lld articles, %zu patterns (generation %lld)", (long long)kb->n_articles,
		  kb->n_patterns, (long long)gen);
	return 0;
}

/* The question's distinct words (by stem), each with its weight. */
struct query {
	struct kb *kb;
	char words[QUERY_WORDS][KB_WORD_MAX + 1];
	char stems[QUERY_WORDS][KB_WORD_MAX + 1];
	double weight[QUERY_WORDS];
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
		q->known[i] = df > 0;
		q->weight[i] = df ? idf(q->kb->n_articles, df) : UNKNOWN_WEIGHT * rarest;
	}
	return 0;
}

/* Share of the question's weight that phrases (bits over known words) cover. */
static double confidence(const struct query *q, const int *phrase_word, uint64_t phrases)
{
	double all = 0, covered = 0;
	for (int i = 0; i < q->n; i++)
		all += q->weight[i];
	for (int p = 0; p < 64 && phrase_word[p] >= 0; p++)
		if (phrases & (1ull << p))
			covered += q->weight[phrase_word[p]];
	if (all <= 0)
		return 0;
	double specific = fmin(1.0, covered / SPECIFIC_WEIGHT);
	return covered / all * specific;
}

static bool listed(const struct kb_hit *out, int n, int64_t id)
{
	for (int i = 0; i < n; i++)
		if (out[i].article_id == id)
			return true;
	return false;
}

static int pattern_hits(struct kb *kb, const char *text, struct kb_hit *out, int max, int *n)
{
	struct buf folded = BUF_INIT(TEXT_MAX * 2);
	if (kb_fold_yo(&folded, text)) {
		buf_release(&folded);
		return TD_ENOMEM;
	}
	for (size_t i = 0; i < kb->n_patterns && *n < max; i++) {
		const struct kb_pattern *p = &kb->patterns[i];
		if (listed(out, *n, p->article_id))
			continue;
		int m = kb_regex_match(p->re, buf_cstr(&folded), folded.len);
		if (m == TD_ERR)
			log_warn("kb: a pattern of article %lld hit its match limit", (long long)p->article_id);
		if (m == 1)
			out[(*n)++] = (struct kb_hit){ .article_id = p->article_id, .confidence = 1.0,
						       .pattern = true };
	}
	buf_release(&folded);
	return 0;
}

static int text_hits(struct kb *kb, struct db *db, const char *text, struct kb_hit *out, int max,
		     int *n)
{
	struct query q = { .kb = kb };
	struct buf match = BUF_INIT(8192);
	struct kb_fts_hit hits[FTS_CANDIDATES];
	int phrase_word[65], n_phrases = 0, n_hits = 0, rc;

	kb_text_words(text, strlen(text), add_word, &q);
	if ((rc = weigh(&q, db)))
		goto done;
	/* Only words the index knows become phrases: the others cannot match. */
	for (int i = 0; i < q.n; i++) {
		if (!q.known[i])
			continue;
		buf_printf(&match, "%s\"%s\"", n_phrases ? " OR " : "", q.words[i]);
		phrase_word[n_phrases++] = i;
	}
	phrase_word[n_phrases] = -1;
	if (!n_phrases)
		goto done;
	if ((rc = db_kb_fts(db, buf_cstr(&match), FTS_CANDIDATES, hits, &n_hits)))
		goto done;
	for (int i = 0; i < n_hits; i++) {
		double c = confidence(&q, phrase_word, hits[i].phrases);
		int at;
		for (at = 0; at < *n && out[at].article_id != hits[i].id; at++)
			;
		if (at < *n) {
			out[at].bm25 = hits[i].bm25;  /* a pattern hit keeps its confidence */
		} else if (*n < max) {
			out[(*n)++] = (struct kb_hit){ .article_id = hits[i].id, .confidence = c,
						       .bm25 = hits[i].bm25 };
		}
	}
done:
	buf_release(&match);
	return rc;
}

/* Pattern hits first (those the index also ranks before the others), then by bm25. */
static int cmp_hit(const void *x, const void *y)
{
	const struct kb_hit *a = x, *b = y;
	if (a->pattern != b->pattern)
		return a->pattern ? -1 : 1;
	if (a->pattern && (a->bm25 != 0) != (b->bm25 != 0))
		return a->bm25 != 0 ? -1 : 1;
	return a->bm25 < b->bm25 ? -1 : a->bm25 > b->bm25;
}

int kb_search(struct kb *kb, struct db *db, const char *text, struct kb_hit *out, int max, int *n)
{
	size_t len = strlen(text);
	int rc;
	*n = 0;
	if (!utf8_valid(text, len))
		return TD_EINVAL;
	if (len > TEXT_MAX)
		return TD_EINVAL;
	if ((rc = refresh(kb, db)) || (rc = pattern_hits(kb, text, out, max, n)) ||
	    (rc = text_hits(kb, db, text, out, max, n)))
		return rc;
	qsort(out, (size_t)*n, sizeof(*out), cmp_hit);
	return 0;
}
