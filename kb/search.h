/*
 * search.h - answering a cashier's words from the knowledge base.
 *
 * First the articles' regular expressions (error codes, exact error texts):
 * a match ranks first, with full confidence. Then the full-text index,
 * ranked by bm25. A full-text hit's confidence is the share of the
 * question's information the article covers: each word weighs its inverse
 * document frequency (a word every article has says little, a word no
 * article has counts against), scaled down when even the covered words are
 * too common to single out an article. Callers answer only above a
 * threshold, so a vague question gets no answer rather than a wrong one.
 *
 * One ranking serves everyone: the bot's answer and hint, /kb, `kb search`
 * and `kb test` all take kb_search()'s order, which is kb_hit_cmp()'s, and
 * ask kb_hit_use() what the bot does with the first hit.
 */
#ifndef TD_KB_SEARCH_H
#define TD_KB_SEARCH_H

#include "core/common.h"

struct db;
struct kb;

struct kb_hit {
	int64_t article_id;
	double confidence;   /* 0..1 */
	double bm25;         /* the full-text score (lower is better); 0 when not a full-text hit */
	bool pattern;        /* one of the article's patterns matched */
	double words;        /* the share of the question's words covered (the full-text confidence) */
	bool weak;           /* rests on one common word and no pattern: never answered nor hinted */
};

/*
 * The ranking, best first: by confidence, then a pattern hit before a
 * word hit, then by the words covered (so of two articles whose patterns
 * both match, the one the rest of the question is about), then by bm25,
 * then by id. A qsort comparator of struct kb_hit.
 */
int kb_hit_cmp(const void *a, const void *b);

/* What the bot does with a search's first hit. */
enum kb_use {
	KB_USE_NONE,     /* nothing: a ticket without a hint */
	KB_USE_HINT,     /* a hint on the engineers' card */
	KB_USE_ANSWER,   /* the article goes to the cashier */
};

/* For the first hit h (NULL: none), with the thresholds in percent. */
enum kb_use kb_hit_use(const struct kb_hit *h, long long threshold, long long hint);

/* Where the last search's time went, for the benchmark. */
struct kb_timing {
	double patterns_ms;     /* prefilter and the patterns it let through */
	double words_ms;        /* splitting, stemming, document frequencies */
	double fts_ms;          /* the full-text queries */
	unsigned patterns_run;  /* patterns matched against the text */
	int64_t fts_rows;       /* articles of the words that chose the rows scored */
	bool narrowed;          /* common words were left out of that choice */
	bool strong;            /* even the rarest was common: only its title... rows chose */
};

/* A searcher for one thread; it loads the articles on first use. */
struct kb *kb_new(void);
void kb_free(struct kb *kb);

/*
 * Fills out with up to max hits for text, best first (kb_hit_cmp), and sets
 * *n. Every candidate is ranked before the first max are kept, so max 1
 * gives the first row of a longer search.
 * Reloads the patterns when the articles changed since the last call.
 * TD_EINVAL for text that is not UTF-8; a database error otherwise.
 */
int kb_search(struct kb *kb, struct db *db, const char *text, struct kb_hit *out, int max, int *n);

/* The stages of the last kb_search(); borrowed from kb. */
const struct kb_timing *kb_last_timing(const struct kb *kb);

#endif
