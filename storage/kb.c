/*
 * kb.c - the knowledge base's tables, and the FTS5 tokenizer and ranking
 * helper that every connection registers.
 */
#include "core/buf.h"
#include "storage/internal.h"
#include "storage/kb.h"


/*
 * ---- the FTS5 tokenizer "tilldesk": db_fts_words' terms ----
 *
 * The words come from kb/ (db_fts_words, declared in storage/db.h), so
 * that storage/ includes nothing of kb/: registering with SQLite is done
 * here and only here.
 */

static int tok_create(void *ctx, const char **argv, int argc, Fts5Tokenizer **out)
{
	(void)ctx, (void)argv, (void)argc;
	void *t = db_fts_words.create();
	if (!t)
		return SQLITE_NOMEM;
	*out = (Fts5Tokenizer *)t;
	return SQLITE_OK;
}

static void tok_delete(Fts5Tokenizer *t)
{
	db_fts_words.destroy(t);
}

struct tok_call {
	void *ctx;
	int (*token)(void *, int, const char *, int, int, int);
};

static int tok_term(void *arg, const char *term, size_t n, size_t start, size_t end)
{
	struct tok_call *c = arg;
	return c->token(c->ctx, 0, term, (int)n, (int)start, (int)end);
}

static int tok_tokenize(Fts5Tokenizer *t, void *ctx, int flags, const char *text, int n,
			int (*token)(void *, int, const char *, int, int, int))
{
	(void)flags;
	struct tok_call c = { ctx, token };
	return db_fts_words.terms(t, text, n > 0 ? (size_t)n : 0, tok_term, &c);
}

/* kb_fts's columns (title, codes, keywords, examples, body) and their bm25 weights. */
#define KB_FTS_BODY 4
static const double column_weight[] = { 5.0, 5.0, 3.0, 3.0, 1.0 };
/*
 * bm25's term-frequency saturation. Lengths are not normalised (b = 0):
 * articles are short and of a size (bodies stop at 3,000 characters), and
 * reading each row's length from FTS5 was 45% of a search.
 */
#define BM25_K1 1.2

static struct kb_fts_query *query_arg(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct kb_fts_query *q = argc == 1 ? sqlite3_value_pointer(argv[0], "kb_fts_query") : NULL;
	if (!q)
		sqlite3_result_error(ctx, "kb: the query is not bound", -1);
	return q;
}

/*
 * Each word's weighted count in this row: a word standing in several
 * phrases counts as the most any of them found (they are the same word).
 * Also sets the words' bits as kb_words() gives them.
 */
static int word_counts(const Fts5ExtensionApi *api, Fts5Context *fts,
		       const struct kb_fts_query *q, double *count, uint64_t *bits)
{
	for (int p = 0; p < q->n_phrases && p < api->xPhraseCount(fts); p++) {
		Fts5PhraseIter it;
		int col, off, w = q->phrase_word[p];
		double c = 0;
		if (w < 0)
			continue;
		if (api->xPhraseFirst(fts, p, &it, &col, &off) != SQLITE_OK)
			return SQLITE_ERROR;
		for (; col >= 0; api->xPhraseNext(fts, &it, &col, &off)) {
			c += column_weight[col < KB_FTS_BODY ? col : KB_FTS_BODY];
			*bits |= 1ull << (col == KB_FTS_BODY ? 32 + w : w);
		}
		if (c > count[w])
			count[w] = c;
	}
	return SQLITE_OK;
}

/* Reads the row's words for an auxiliary function; false (the error set) when it cannot. */
static bool read_row(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx,
		     int argc, sqlite3_value **argv, struct kb_fts_query **q, double *count,
		     uint64_t *bits)
{
	*q = query_arg(ctx, argc, argv);
	if (!*q)
		return false;
	if (word_counts(api, fts, *q, count, bits) != SQLITE_OK) {
		sqlite3_result_error(ctx, "kb: cannot read the row's phrases", -1);
		return false;
	}
	return true;
}

/* kb_score(kb_fts, query): the row's bm25, negated (lower is better). */
static void aux_score(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx,
		      int argc, sqlite3_value **argv)
{
	struct kb_fts_query *q;
	double count[KB_FTS_WORDS] = { 0 }, score = 0;
	uint64_t bits = 0;
	if (!read_row(api, fts, ctx, argc, argv, &q, count, &bits))
		return;
	for (int w = 0; w < KB_FTS_WORDS; w++)
		if (count[w] > 0)
			score += q->weight[w] * count[w] * (BM25_K1 + 1) / (count[w] + BM25_K1);
	sqlite3_result_double(ctx, -score);
}

/* kb_words(kb_fts, query): which of the query's words the row holds, as bits. */
static void aux_words(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx,
		      int argc, sqlite3_value **argv)
{
	struct kb_fts_query *q;
	double count[KB_FTS_WORDS] = { 0 };
	uint64_t bits = 0;
	if (read_row(api, fts, ctx, argc, argv, &q, count, &bits))
		sqlite3_result_int64(ctx, (sqlite3_int64)bits);
}

int db_kb_register(struct db *db)
{
	fts5_api *api = NULL;
	sqlite3_stmt *st;
	/* The documented way to reach FTS5's API: a pointer passed through SQL. */
	if (sqlite3_prepare_v2(db->h, "SELECT fts5(?1)", -1, &st, NULL) != SQLITE_OK)
		return TD_ERR;
	sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
	sqlite3_step(st);
	sqlite3_finalize(st);
	if (!api || api->iVersion < 2)
		return TD_ERR;
	static fts5_tokenizer tok = { tok_create, tok_delete, tok_tokenize };
	if (api->xCreateTokenizer(api, "tilldesk", NULL, &tok, NULL) != SQLITE_OK ||
	    api->xCreateFunction(api, "kb_score", NULL, aux_score, NULL) != SQLITE_OK ||
	    api->xCreateFunction(api, "kb_words", NULL, aux_words, NULL) != SQLITE_OK)
		return TD_ERR;
	return 0;
}

/* ---- import (kb/import.c decides; these write) ---- */

int db_kb_keep(struct db *db, const char *slug, const char *digest, int64_t gen,
	       bool *unchanged)
{
	int64_t id;
	int rc = db_query_int(db, "SELECT id FROM kb_articles WHERE slug = ?1 AND digest = ?2"
			      " AND retired_at IS NULL", DB_BINDS(DB_TEXT(slug), DB_TEXT(digest)), &id);
	*unchanged = !rc;
	if (rc)
		return rc == TD_ENOTFOUND ? 0 : rc;
	return db_run(db, "UPDATE kb_articles SET generation = ? WHERE id = ?",
		      DB_BINDS(DB_INT(gen), DB_INT(id)));
}

int db_kb_put(struct db *db, const struct db_kb_article *a, int64_t gen, int64_t now,
	      bool *added)
{
	int64_t id, new_id;
	int rc = db_query_int(db, "SELECT id FROM kb_articles WHERE slug = ?",
			      DB_BINDS(DB_TEXT(a->slug)), &id);
	if (rc && rc != TD_ENOTFOUND)
		return rc;
	*added = rc == TD_ENOTFOUND;
	/* A stored article keeps its id (suggestions and tickets point at it). */
	rc = db_run_insert(db, "INSERT INTO kb_articles(slug, title, category, priority, codes,"
			   " keywords, patterns, examples, body, digest, generation, updated_at)"
			   " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
			   " ON CONFLICT(slug) DO UPDATE SET title = ?2, category = ?3, priority = ?4,"
			   " codes = ?5, keywords = ?6, patterns = ?7, examples = ?8, body = ?9,"
			   " digest = ?10, generation = ?11, updated_at = ?12, retired_at = NULL",
			   DB_BINDS(DB_TEXT(a->slug), DB_TEXT(a->title), DB_TEXT(a->category),
				    DB_INT(a->priority), DB_TEXT(a->codes), DB_TEXT(a->keywords),
				    DB_TEXT(a->patterns), DB_TEXT(a->examples), DB_TEXT(a->body),
				    DB_TEXT(a->digest), DB_INT(gen), DB_INT(now)), &new_id);
	if (rc)
		return rc;
	if (*added)
		id = new_id;
	else if ((rc = db_exec_id(db, "DELETE FROM kb_fts WHERE rowid = ?", id)))
		return rc;
	return db_run(db, "INSERT INTO kb_fts(rowid, title, codes, keywords, examples, body)"
		      " VALUES (?, ?, ?, ?, ?, ?)",
		      DB_BINDS(DB_INT(id), DB_TEXT(a->indexed[0]), DB_TEXT(a->indexed[1]),
			       DB_TEXT(a->indexed[2]), DB_TEXT(a->indexed[3]), DB_TEXT(a->indexed[4])));
}

int db_kb_forget_digests(struct db *db)
{
	return db_exec(db, "UPDATE kb_articles SET digest = ''");
}

int db_kb_retire_others(struct db *db, int64_t gen, int64_t now, int *retired)
{
	int rc;
	if ((rc = db_exec_id(db, "DELETE FROM kb_fts WHERE rowid IN (SELECT id FROM kb_articles"
			     " WHERE retired_at IS NULL AND generation != ?)", gen)) ||
	    (rc = db_run(db, "UPDATE kb_articles SET retired_at = ?2"
			 " WHERE retired_at IS NULL AND generation != ?1",
			 DB_BINDS(DB_INT(gen), DB_INT(now)))))
		return rc;
	*retired = sqlite3_changes(db->h);
	/* Document frequencies, read once here rather than from the index's doclists per search. */
	return db_exec(db, KB_TERMS_REFRESH);
}

static int append_text(sqlite3_stmt *st, void *arg)
{
	buf_puts(arg, db_text(st, 0));
	return 0;
}

int db_kb_aliases(struct db *db, struct buf *out)
{
	int rc = db_query_each(db, "SELECT value FROM settings WHERE key = 'kb_aliases'", DB_NO_BINDS,
			       append_text, out);
	return rc ? rc : out->failed ? TD_ENOMEM : 0;
}

int64_t db_kb_generation(struct db *db)
{
	char value[32];
	long long gen;
	if (db_setting_get(db, "kb_generation", value, sizeof(value)) ||
	    parse_int(&gen, value, 0, INT64_MAX))
		return 0;
	return gen;
}

struct pattern_rows {
	int (*fn)(int64_t article_id, const char *pattern, void *arg);
	void *arg;
};

static int pattern_row(sqlite3_stmt *st, void *arg)
{
	struct pattern_rows *rows = arg;
	int64_t id = sqlite3_column_int64(st, 0);
	char *all = xstrdup(db_text(st, 1));
	int rc = 0;
	for (char *p = all, *nl; !rc && p; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		rc = rows->fn(id, p, rows->arg);
	}
	free(all);
	return rc;
}

int db_kb_patterns(struct db *db, int (*fn)(int64_t article_id, const char *pattern, void *arg),
		   void *arg)
{
	struct pattern_rows rows = { fn, arg };
	return db_query_each(db, "SELECT id, patterns FROM kb_articles"
			     " WHERE retired_at IS NULL AND patterns != '' ORDER BY id", DB_NO_BINDS,
			     pattern_row, &rows);
}

int db_kb_count(struct db *db, int64_t *out)
{
	return db_query_int(db, "SELECT count(*) FROM kb_articles WHERE retired_at IS NULL",
			    DB_NO_BINDS, out);
}

#define ENTRY_COLUMNS "id, slug, title, category, body, examples, priority, retired_at IS NOT NULL"

static void entry_of(sqlite3_stmt *st, struct kb_entry *e)
{
	e->id = sqlite3_column_int64(st, 0);
	e->slug = xstrdup(db_text(st, 1));
	e->title = xstrdup(db_text(st, 2));
	e->category = xstrdup(db_text(st, 3));
	e->body = xstrdup(db_text(st, 4));
	char *all = xstrdup(db_text(st, 5));
	e->n_examples = 0;
	e->examples = NULL;
	for (char *p = all, *nl; p && *p; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		e->examples = xrealloc(e->examples, (e->n_examples + 1) * sizeof(*e->examples));
		e->examples[e->n_examples++] = xstrdup(p);
	}
	free(all);
	e->priority = sqlite3_column_int(st, 6);
	e->retired = sqlite3_column_int(st, 7);
}

static int entry_row(sqlite3_stmt *st, void *arg)
{
	entry_of(st, arg);
	return 0;
}

int db_kb_get(struct db *db, int64_t id, struct kb_entry *out)
{
	return db_query_one(db, "SELECT " ENTRY_COLUMNS " FROM kb_articles WHERE id = ?",
			    DB_BINDS(DB_INT(id)), entry_row, out);
}

int db_kb_category(struct db *db, int64_t id, char *out, size_t n)
{
	return db_query_text(db, "SELECT category FROM kb_articles WHERE id = ?", DB_BINDS(DB_INT(id)),
			     out, n);
}

int db_kb_find(struct db *db, const char *slug, struct kb_entry *out)
{
	return db_query_one(db, "SELECT " ENTRY_COLUMNS " FROM kb_articles WHERE slug = ?",
			    DB_BINDS(DB_TEXT(slug)), entry_row, out);
}

void kb_entry_release(struct kb_entry *e)
{
	free(e->slug);
	free(e->title);
	free(e->category);
	free(e->body);
	for (size_t i = 0; i < e->n_examples; i++)
		free(e->examples[i]);
	free(e->examples);
	memset(e, 0, sizeof(*e));
}

struct entry_rows {
	int (*fn)(const struct kb_entry *, void *);
	void *arg;
};

static int each_entry(sqlite3_stmt *st, void *arg)
{
	struct entry_rows *rows = arg;
	struct kb_entry e;
	entry_of(st, &e);
	int rc = rows->fn(&e, rows->arg);
	kb_entry_release(&e);
	return rc;
}

int db_kb_each(struct db *db, int (*fn)(const struct kb_entry *, void *), void *arg)
{
	struct entry_rows rows = { fn, arg };
	return db_query_each(db, "SELECT " ENTRY_COLUMNS " FROM kb_articles"
			     " WHERE retired_at IS NULL ORDER BY slug", DB_NO_BINDS, each_entry, &rows);
}

int db_kb_fts(struct db *db, struct kb_fts_query *q, int limit, struct kb_fts_hit *out, int *n)
{
	sqlite3_stmt *st;
	int step, rc;
	*n = 0;
	for (int p = 0; p < q->n_phrases; p++)
		if (q->phrase_word[p] < -1 || q->phrase_word[p] >= KB_FTS_WORDS)
			return TD_EINVAL;
	/* The functions run only on rows the expression matches; the limit keeps a heap. */
	if (db_prepare(db, &st, "SELECT rowid, kb_score(kb_fts, ?1) AS score, kb_words(kb_fts, ?1)"
			       " FROM kb_fts WHERE kb_fts MATCH ?2 AND (?4 = 0 OR rowid = ?4)"
			       " ORDER BY score LIMIT ?3"))
		return TD_ERR;
	sqlite3_bind_int64(st, 4, q->only);
	sqlite3_bind_pointer(st, 1, q, "kb_fts_query", NULL);
	sqlite3_bind_text(st, 2, q->match, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, limit);
	while ((step = sqlite3_step(st)) == SQLITE_ROW && *n < limit) {
		out[*n] = (struct kb_fts_hit){
			.id = sqlite3_column_int64(st, 0),
			.bm25 = sqlite3_column_double(st, 1),
			.words = (uint64_t)sqlite3_column_int64(st, 2),
		};
		(*n)++;
	}
	rc = step == SQLITE_DONE || step == SQLITE_ROW ? 0 : db_map(db, step);
	db_finish(db, st);
	return rc;
}

int db_kb_doc_freq(struct db *db, const char *term, int64_t *out)
{
	int rc = db_query_int(db, "SELECT docs FROM kb_terms WHERE term = ?", DB_BINDS(DB_TEXT(term)),
			      out);
	if (rc == TD_ENOTFOUND)
		*out = 0;
	return rc == TD_ENOTFOUND ? 0 : rc;
}

/* ---- suggestions ---- */

int db_kb_suggest(struct db *db, int64_t *out, int64_t article_id, int64_t person_id,
		  const char *query, double confidence, int64_t now)
{
	sqlite3_stmt *st;
	if (db_prepare(db, &st, "INSERT INTO kb_suggestions(article_id, person_id, query, confidence,"
			       " shown_at) VALUES (?, ?, ?, ?, ?)"))
		return TD_ERR;
	sqlite3_bind_int64(st, 1, article_id);
	db_bind_id(st, 2, person_id);
	sqlite3_bind_text(st, 3, query, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 4, confidence);
	sqlite3_bind_int64(st, 5, now);
	return db_insert(db, st, out);
}

int db_kb_suggest_file(struct db *db, int64_t id, const char *photo, const char *document)
{
	if ((photo && strlen(photo) >= KB_FILE_ID_MAX) || (document && strlen(document) >= KB_FILE_ID_MAX))
		return TD_EINVAL;
	return db_run(db, "UPDATE kb_suggestions SET photo = ?2, document = ?3 WHERE id = ?1",
		      DB_BINDS(DB_INT(id), DB_TEXT(photo), DB_TEXT(document)));
}

#define SUGGESTION_SELECT \
	"SELECT id, article_id, coalesce(person_id, 0), coalesce(ticket_id, 0), query," \
	" coalesce(outcome, ''), shown_at, coalesce(photo, ''), coalesce(document, '')" \
	" FROM kb_suggestions WHERE "

static int suggestion_row(sqlite3_stmt *st, void *arg)
{
	struct kb_suggestion *out = arg;
	out->id = sqlite3_column_int64(st, 0);
	out->article_id = sqlite3_column_int64(st, 1);
	out->person_id = sqlite3_column_int64(st, 2);
	out->ticket_id = sqlite3_column_int64(st, 3);
	snprintf(out->query, sizeof(out->query), "%s", db_text(st, 4));
	snprintf(out->outcome, sizeof(out->outcome), "%s", db_text(st, 5));
	out->shown_at = sqlite3_column_int64(st, 6);
	snprintf(out->photo, sizeof(out->photo), "%s", db_text(st, 7));
	snprintf(out->document, sizeof(out->document), "%s", db_text(st, 8));
	return 0;
}

int db_kb_suggestion(struct db *db, int64_t id, struct kb_suggestion *out)
{
	return db_query_one(db, SUGGESTION_SELECT "id = ?", DB_BINDS(DB_INT(id)), suggestion_row,
			    out);
}

int db_kb_latest(struct db *db, int64_t person_id, struct kb_suggestion *out)
{
	return db_query_one(db, SUGGESTION_SELECT "person_id = ? ORDER BY id DESC LIMIT 1",
			    DB_BINDS(DB_INT(person_id)), suggestion_row, out);
}

int db_kb_outcome(struct db *db, int64_t id, const char *outcome, int64_t ticket_id, int64_t now)
{
	int rc = db_run(db, "UPDATE kb_suggestions SET outcome = ?2, ticket_id = ?3, decided_at = ?4"
			" WHERE id = ?1 AND outcome IS NULL",
			DB_BINDS(DB_INT(id), DB_TEXT(outcome), DB_ID(ticket_id), DB_INT(now)));
	if (rc)
		return rc;
	return sqlite3_changes(db->h) ? 0 : TD_EEXISTS;
}

struct stat_rows {
	int (*fn)(const struct kb_stat *, void *);
	void *arg;
};

static int stat_row(sqlite3_stmt *st, void *arg)
{
	struct stat_rows *rows = arg;
	struct kb_stat s = {
		.slug = db_text(st, 0), .title = db_text(st, 1),
		.shown = sqlite3_column_int64(st, 2), .helped = sqlite3_column_int64(st, 3),
		.not_helped = sqlite3_column_int64(st, 4),
	};
	return rows->fn(&s, rows->arg);
}

int db_kb_stats(struct db *db, int (*fn)(const struct kb_stat *, void *), void *arg)
{
	struct stat_rows rows = { fn, arg };
	return db_query_each(db, "SELECT a.slug, a.title, count(s.id),"
			     " count(s.id) FILTER (WHERE s.outcome = 'helped'),"
			     " count(s.id) FILTER (WHERE s.outcome = 'not_helped')"
			     " FROM kb_articles a LEFT JOIN kb_suggestions s ON s.article_id = a.id"
			     " GROUP BY a.id HAVING a.retired_at IS NULL OR count(s.id) > 0"
			     " ORDER BY count(s.id) DESC, a.slug", DB_NO_BINDS, stat_row, &rows);
}

static int totals_row(sqlite3_stmt *st, void *arg)
{
	int64_t **out = arg;
	*out[0] = sqlite3_column_int64(st, 0);
	*out[1] = *out[0] + sqlite3_column_int64(st, 1);
	return 0;
}

int db_kb_totals(struct db *db, int64_t *problems, int64_t *solved)
{
	int64_t *out[] = { solved, problems };
	*solved = *problems = 0;
	/* A problem either ended with «Помогло» or became a cashier's ticket. */
	return db_query_each(db, "SELECT (SELECT count(*) FROM kb_suggestions WHERE outcome = 'helped'),"
			     " (SELECT count(*) FROM tickets WHERE source = 'telegram')", DB_NO_BINDS,
			     totals_row, out);
}

int db_kb_by_code(struct db *db, const char *code, int64_t *id)
{
	/* codes are "a, b, c": an exact name between commas, no LIKE (an _ is a wildcard there). */
	return db_query_int(db, "SELECT id FROM kb_articles WHERE retired_at IS NULL"
			    " AND instr(',' || replace(codes, ' ', '') || ',', ',' || ?1 || ',') > 0"
			    " ORDER BY id LIMIT 1", DB_BINDS(DB_TEXT(code)), id);
}
