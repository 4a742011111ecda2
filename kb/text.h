/*
 * text.h - words of Russian (and English) text for the knowledge base:
 * splitting, folding and stemming.
 *
 * A word is a run of letters and digits (Latin, Cyrillic). Words are
 * folded (lower case, ё as е) and stemmed with Snowball's Russian or English
 * stemmer, so «Чеки», «чеков» and «чек» are one term. Common function words
 * («и», «что», «пожалуйста») are dropped. The same words serve the index
 * (storage's FTS5 tokenizer) and the questions, so both sides agree.
 *
 * libstemmer is not thread-safe: each thread (each database connection)
 * uses its own struct kb_text.
 */
#ifndef TD_KB_TEXT_H
#define TD_KB_TEXT_H

#include "core/common.h"

struct buf;
struct kb_text;

/*
 * Changes whenever the terms kb_text gives for a text change (stop words,
 * folding): the index is then rebuilt at the next import.
 */
#define KB_TEXT_VERSION 3

/* Longest word kept, in bytes after folding; longer runs are skipped. */
#define KB_WORD_MAX 96

struct kb_text *kb_text_new(void);
void kb_text_free(struct kb_text *t);

/*
 * Calls fn for each term of s[0..len): the stemmed term, and where its word
 * stands in s (byte offsets). The term is borrowed for the call. Stops and
 * returns fn's value when it is not 0. Invalid UTF-8 separates words.
 */
typedef int (*kb_term_fn)(void *arg, const char *term, size_t n, size_t start, size_t end);
int kb_text_terms(struct kb_text *t, const char *s, size_t len, kb_term_fn fn, void *arg);

/*
 * Calls fn for each word of s that kb_text_terms() would keep, folded but
 * not stemmed: what a search query quotes, so that the index's tokenizer
 * stems it exactly once.
 */
int kb_text_words(const char *s, size_t len, kb_term_fn fn, void *arg);

/* Appends s with ё and Ё folded to е and Е (patterns match caselessly). */
int kb_fold_yo(struct buf *out, const char *s);

/*
 * Appends s[0..len) lower-cased for the pattern prefilter: Latin and
 * Cyrillic letters in lower case, ё as е, and the few other characters that
 * caseless matching takes for one of those letters (the Kelvin sign for k,
 * long s for s, old Cyrillic letter forms) replaced by it. Other bytes are
 * copied.
 */
int kb_lower(struct buf *out, const char *s, size_t len);

#endif
