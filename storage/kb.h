/*
 * kb.h - the knowledge base in the database: articles, their full-text
 * index (FTS5 with tilldesk's Russian tokenizer), and every suggestion the
 * bot made with its outcome.
 *
 * Articles are keyed by their slug (the file's "id"); an article removed
 * from the directory is retired, not deleted, so suggestions and tickets
 * keep pointing at it.
 */
#ifndef TD_STORAGE_KB_H
#define TD_STORAGE_KB_H

#include "storage/db.h"

struct buf;

/*
 * An article as stored (kb/import.c fills it from a parsed file): its
 * columns, patterns and examples one per line, and what the full-text
 * index reads of it, aliases already applied.
 */
struct db_kb_article {
	const char *slug, *title, *category, *codes, *keywords, *patterns, *examples, *body;
	const char *digest;
	int priority;
	const char *indexed[5];   /* title, codes, keywords, examples, body as the index reads them */
};

/*
 * When slug is stored, active, with this digest: moves it to generation gen
 * and sets *unchanged; otherwise only clears *unchanged.
 */
int db_kb_keep(struct db *db, const char *slug, const char *digest, int64_t gen,
	       bool *unchanged);
/* Adds or rewrites the article (and its index row) as of generation gen; *added tells which. */
int db_kb_put(struct db *db, const struct db_kb_article *a, int64_t gen, int64_t now,
	      bool *added);
/* Forgets every digest, so that the next import indexes every article again. */
int db_kb_forget_digests(struct db *db);
/*
 * Retires the active articles not of generation gen (their index rows go)
 * and counts them in *retired; refreshes the terms' document frequencies.
 */
int db_kb_retire_others(struct db *db, int64_t gen, int64_t now, int *retired);

/*
 * Appends the aliases file's text of the last import to out ("" before
 * any, or when it had none).
 */
int db_kb_aliases(struct db *db, struct buf *out);

/* A number that changes whenever the articles change (0 before any import). */
int64_t db_kb_generation(struct db *db);

/* Calls fn for every pattern of every active article. */
int db_kb_patterns(struct db *db, int (*fn)(int64_t article_id, const char *pattern, void *arg),
		   void *arg);

/* How many articles are active. */
int db_kb_count(struct db *db, int64_t *out);

/* One article. Strings are owned by the caller's struct: kb_entry_release(). */
struct kb_entry {
	int64_t id;
	char *slug, *title, *category, *body;
	char **examples;
	size_t n_examples;
	int priority;
	bool retired;
};
int db_kb_get(struct db *db, int64_t id, struct kb_entry *out);
/* An article's category (retired ones too) in out; TD_ENOTFOUND when there is none. */
int db_kb_category(struct db *db, int64_t id, char *out, size_t n);
/* By slug (retired ones too). TD_ENOTFOUND when there is none. */
int db_kb_find(struct db *db, const char *slug, struct kb_entry *out);
void kb_entry_release(struct kb_entry *e);
/* Calls fn for each active article, by slug. */
int db_kb_each(struct db *db, int (*fn)(const struct kb_entry *, void *), void *arg);
/*
 * A full-text query. match is an FTS5 expression of quoted words; its
 * phrase i (in the order written) is the question's word phrase_word[i],
 * and a word may stand in several phrases, or -1 for a phrase that only
 * chooses rows. weight[w] is word w's inverse document frequency. Rows are
 * scored with bm25 (k1 1.2, no length normalisation; columns title 5,
 * codes 5, keywords 3, examples 3, body 1), each word counted once.
 */
#define KB_FTS_WORDS 32
struct kb_fts_query {
	const char *match;
	int64_t only;        /* when not 0, only this article's row */
	int n_phrases;
	int phrase_word[2 * KB_FTS_WORDS];
	double weight[KB_FTS_WORDS];
};

/*
 * The limit best rows of q by bm25 (negated: lower is better), each with the
 * words it holds: bit w for word w in the title, codes, keywords or
 * examples, bit 32 + w for word w in the body.
 */
struct kb_fts_hit {
	int64_t id;
	double bm25;
	uint64_t words;
};
int db_kb_fts(struct db *db, struct kb_fts_query *q, int limit, struct kb_fts_hit *out, int *n);
/* In how many active articles term (a stemmed term) occurs, as of the last import. */
int db_kb_doc_freq(struct db *db, const char *term, int64_t *out);

/* ---- suggestions and their outcomes ---- */

/* Records that article was shown to person for query; gives its id. */
int db_kb_suggest(struct db *db, int64_t *out, int64_t article_id, int64_t person_id,
		  const char *query, double confidence, int64_t now);
/*
 * Keeps the photo or document (Telegram file_ids, NULL: none) that the
 * suggestion's question came with, for the ticket it may open. TD_EINVAL
 * for a file_id of KB_FILE_ID_MAX bytes or more.
 */
#define KB_FILE_ID_MAX 512
int db_kb_suggest_file(struct db *db, int64_t id, const char *photo, const char *document);
struct kb_suggestion {
	int64_t id, article_id, person_id, ticket_id, shown_at;
	char query[4096];
	char outcome[16];        /* "" while undecided, "helped", "not_helped" */
	char photo[KB_FILE_ID_MAX], document[KB_FILE_ID_MAX]; /* file_ids, "" for none */
};
int db_kb_suggestion(struct db *db, int64_t id, struct kb_suggestion *out);
/* The last suggestion shown to person; TD_ENOTFOUND when none was. */
int db_kb_latest(struct db *db, int64_t person_id, struct kb_suggestion *out);
/*
 * Records the outcome, once: TD_EEXISTS when the suggestion already has
 * one. ticket_id is the ticket opened because it did not help, or 0.
 */
int db_kb_outcome(struct db *db, int64_t id, const char *outcome, int64_t ticket_id, int64_t now);

/* Per article: shown, helped, not helped (retired articles too, if shown). */
struct kb_stat {
	const char *slug, *title;
	int64_t shown, helped, not_helped;
};
int db_kb_stats(struct db *db, int (*fn)(const struct kb_stat *, void *), void *arg);
/* Problems reported (suggestions plus tickets opened without one) and those solved by an article. */
int db_kb_totals(struct db *db, int64_t *problems, int64_t *solved);

/* The article whose codes name code, active: its id, TD_ENOTFOUND for none. */
int db_kb_by_code(struct db *db, const char *code, int64_t *id);

#endif
