/*
 * alias.h - how cashiers name things, read as the articles name them.
 *
 * An aliases file (kb/articles/aliases.txt, described in kb/FORMAT.md)
 * has lines "CANONICAL = VARIANT, VARIANT, ...": each variant, a word or
 * a phrase, is read as the canonical words wherever it stands, in the
 * articles when they are indexed and in the questions when they are
 * searched. Variants match by stem and skip stop words, so «комп не видит
 * кассу» also matches «компа не видит касса». Both sides go through the
 * same rewrite, so a brand written as heard (атол, atol, атолл) or a fault
 * named by what the cashier sees finds the article's own words.
 */
#ifndef TD_KB_ALIAS_H
#define TD_KB_ALIAS_H

#include "core/common.h"

struct buf;
struct kb_text;
struct kb_aliases;

#define KB_ALIASES_MAX (64u << 10)  /* bytes of an aliases file */

/*
 * Parses an aliases file's text; t stems the variants. Every problem is
 * appended to errors as "file:line: reason\n"; returns 0 when there was
 * none (with *out set, to be freed with kb_aliases_free()), else TD_EINVAL.
 */
int kb_aliases_parse(struct kb_aliases **out, struct kb_text *t, const char *file,
		     const char *text, struct buf *errors);
void kb_aliases_free(struct kb_aliases *a);

/* How many variants a holds (0 for NULL). */
size_t kb_aliases_count(const struct kb_aliases *a);

/*
 * Appends s[0..len) to out with every variant replaced by its canonical
 * words; the longest variant wins where several start at one word, and the
 * rest of s (stop words, punctuation) is kept. Sets *changed when a
 * variant was replaced. a may be NULL (s is copied). TD_ENOMEM when out
 * fills.
 */
int kb_aliases_apply(const struct kb_aliases *a, struct kb_text *t, const char *s, size_t len,
		     struct buf *out, bool *changed);

#endif
