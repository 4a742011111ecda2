/*
 * article.h - knowledge-base articles: one Markdown file each, a header of
 * "key: value" lines between two "---" lines, then the body. The format
 * is described in kb/FORMAT.md.
 */
#ifndef TD_KB_ARTICLE_H
#define TD_KB_ARTICLE_H

#include "core/common.h"
#include "core/ticket_enums.h"

struct buf;

#define KB_TITLE_MAX 200
#define KB_BODY_MAX 3000     /* characters */
#define KB_FILE_MAX (64u << 10)

struct kb_article {
	char *slug;          /* the header's id: [a-z0-9-]{1,64} */
	char *title, *category;
	int priority;        /* 1..4 */
	char *codes;         /* as written, comma-separated ("" for none) */
	char *keywords;      /* as written, comma-separated ("" for none) */
	char **patterns;     /* n_patterns regular expressions */
	size_t n_patterns;
	char **examples;     /* n_examples phrases, at least one */
	size_t n_examples;
	char *body;
	char digest[65];     /* SHA-256 of the file, to tell a changed article */
	char *file;          /* where it came from, for messages */
	int slug_line;       /* the line of "id:" */
};

struct kb_aliases;

/* All articles of a directory, sorted by file name, and its aliases. */
struct kb_set {
	struct kb_article *a;
	size_t n;
	char *aliases_text;           /* aliases.txt as read ("" when there is none) */
	struct kb_aliases *aliases;   /* parsed; NULL when there is none */
};

/*
 * Parses one file's contents. Every problem found is appended to errors
 * as "file:line: reason\n"; returns 0 when there was none, else TD_EINVAL
 * (out is then released). Release a parsed article with
 * kb_article_release().
 */
int kb_article_parse(struct kb_article *out, const char *file, const char *data, size_t len,
		     struct buf *errors);
void kb_article_release(struct kb_article *a);

/*
 * Reads and parses every *.md file of dir, and checks that ids are unique;
 * reads dir/aliases.txt too when there is one (kb/alias.h).
 * Returns 0 with every article in out, or TD_EINVAL with every problem in
 * errors (and out empty). Release with kb_set_release().
 */
int kb_set_load(struct kb_set *out, const char *dir, struct buf *errors);
void kb_set_release(struct kb_set *s);

struct db;

struct kb_import_stats {
	int added, updated, unchanged, retired;
};

/*
 * Makes the active articles exactly those of set, in the caller's
 * transaction: new ones added, changed ones (by digest) updated, missing
 * ones retired, and the index rebuilt for what changed (kb/import.c). Bumps
 * the generation that searchers watch.
 */
int kb_set_import(struct db *db, const struct kb_set *set, int64_t now,
		  struct kb_import_stats *out);

/*
 * An agent's check code ("fn.unsent", agent/codes.h) among an article's
 * codes: 1-64 of [a-z0-9_.] holding a dot. Cashiers quote numbers; only
 * the alerting looks an article up by such a code.
 */
bool kb_code_is_agent(const char *code);
/* Whether the comma-separated codes (an article's) name code exactly. */
bool kb_codes_name(const char *codes, const char *code);
/*
 * Appends to out the codes a cashier may quote (all but the agent's),
 * comma-separated: what the full-text index reads of the codes, so that
 * "fn.unsent" does not weigh as the word "fn" (ФН) in cashiers' searches.
 */
void kb_codes_for_cashiers(const char *codes, struct buf *out);

/*
 * The categories an article may name ("ФН", "ОФД", ...), each with the
 * [routing] group whose engineers get its tickets: the one table of both.
 * Ends with a row whose name is NULL.
 */
struct kb_category {
	const char *name;
	enum route_group group;
};
extern const struct kb_category kb_categories[];

/* The routing group of a category; TD_ENOTFOUND for a category there is not. */
int kb_category_route(enum route_group *out, const char *category);

#endif
