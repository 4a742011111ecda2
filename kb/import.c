/*
 * import.c - a directory's articles into the database: which are new,
 * changed or gone, and what the full-text index reads of each (its aliases
 * read as their canonical words). storage/kb.c writes what this decides.
 */
#include "core/buf.h"
#include "kb/alias.h"
#include "kb/article.h"
#include "kb/text.h"
#include "storage/kb.h"

/* items joined by newlines; the caller frees it. */
static char *joined(char *const *items, size_t n)
{
	struct buf b = BUF_INIT(1u << 20);
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_putc(&b, '\n');
		buf_puts(&b, items[i]);
	}
	buf_puts(&b, "");
	return buf_detach(&b);
}

/* What an import indexes with: the set's aliases, read by one stemmer. */
struct indexer {
	const struct kb_aliases *aliases;
	struct kb_text *text;
};

/* Adds or refreshes one article; counts what happened in out. */
static int import_one(struct db *db, const struct indexer *ix, const struct kb_article *a,
		      int64_t gen, int64_t now, struct kb_import_stats *out)
{
	struct db_kb_article row = {
		.slug = a->slug, .title = a->title, .category = a->category, .codes = a->codes,
		.keywords = a->keywords, .body = a->body, .digest = a->digest,
		.priority = a->priority,
	};
	struct buf text[ARRAY_SIZE(row.indexed)];
	bool unchanged, added;
	int rc;

	if ((rc = db_kb_keep(db, a->slug, a->digest, gen, &unchanged)) || unchanged) {
		out->unchanged += !rc;
		return rc;
	}
	row.patterns = joined(a->patterns, a->n_patterns);
	row.examples = joined(a->examples, a->n_examples);
	struct buf codes = BUF_INIT(KB_FILE_MAX);
	kb_codes_for_cashiers(a->codes, &codes);
	const char *columns[] = { a->title, buf_cstr(&codes), a->keywords, row.examples, a->body };
	for (size_t i = 0; i < ARRAY_SIZE(text); i++)
		buf_init(&text[i], KB_FILE_MAX * 2);
	rc = TD_ENOMEM;
	for (size_t i = 0; i < ARRAY_SIZE(columns); i++) {
		bool changed;
		if (kb_aliases_apply(ix->aliases, ix->text, columns[i], strlen(columns[i]), &text[i],
				     &changed))
			goto done;
		row.indexed[i] = buf_cstr(&text[i]);
	}
	if (!(rc = db_kb_put(db, &row, gen, now, &added))) {
		out->added += added;
		out->updated += !added;
	}
done:
	for (size_t i = 0; i < ARRAY_SIZE(text); i++)
		buf_release(&text[i]);
	buf_release(&codes);
	free((char *)row.patterns);
	free((char *)row.examples);
	return rc;
}

/*
 * When the aliases or the way words are read changed since the last import,
 * every article is indexed again: its digest is forgotten, so it counts as
 * changed.
 */
static int index_anew_if_words_changed(struct db *db, const struct kb_set *set)
{
	struct buf old = BUF_INIT(KB_ALIASES_MAX + 1);
	char version[32], old_version[32] = "";
	int rc;
	snprintf(version, sizeof(version), "%d", KB_TEXT_VERSION);
	if ((rc = db_kb_aliases(db, &old)))
		goto done;
	db_setting_get(db, "kb_text_version", old_version, sizeof(old_version));
	if (!strcmp(buf_cstr(&old), set->aliases_text ? set->aliases_text : "") &&
	    !strcmp(old_version, version))
		goto done;
	if (!(rc = db_kb_forget_digests(db)) &&
	    !(rc = db_setting_set(db, "kb_aliases", set->aliases_text ? set->aliases_text : "")))
		rc = db_setting_set(db, "kb_text_version", version);
done:
	buf_release(&old);
	return rc;
}

int kb_set_import(struct db *db, const struct kb_set *set, int64_t now,
		  struct kb_import_stats *out)
{
	int64_t gen = db_kb_generation(db) + 1;
	struct indexer ix = { .aliases = set->aliases };
	char value[32];
	int rc;
	memset(out, 0, sizeof(*out));
	snprintf(value, sizeof(value), "%lld", (long long)gen);
	if ((rc = db_setting_set(db, "kb_generation", value)) ||
	    (rc = index_anew_if_words_changed(db, set)))
		return rc;
	if (!(ix.text = kb_text_new()))
		return TD_ENOMEM;
	for (size_t i = 0; i < set->n && !rc; i++)
		rc = import_one(db, &ix, &set->a[i], gen, now, out);
	kb_text_free(ix.text);
	/* What this import did not mention is retired. */
	return rc ? rc : db_kb_retire_others(db, gen, now, &out->retired);
}
