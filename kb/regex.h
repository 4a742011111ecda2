/*
 * regex.h - the knowledge base's regular expressions (PCRE2 behind one
 * wrapper; nothing else includes pcre2.h).
 *
 * Patterns are UTF-8, caseless, with Unicode properties (\w and \b know
 * Cyrillic), compiled by the JIT where it is available. Every match runs
 * under a match limit and a depth limit, so a catastrophic pattern fails
 * fast instead of burning the CPU. ё in a pattern is folded to е, as in
 * the text it is matched against.
 */
#ifndef TD_KB_REGEX_H
#define TD_KB_REGEX_H

#include "core/common.h"

struct kb_regex;

/* Backtracking steps one match may take before it is abandoned. */
#define KB_REGEX_MATCH_LIMIT 100000

/*
 * Compiles pattern. On failure writes the reason (with the offending
 * character's position) to err and returns TD_EINVAL. Free with
 * kb_regex_free().
 */
int kb_regex_compile(struct kb_regex **out, const char *pattern, char *err, size_t errlen);
/* Whether pattern compiles, with the same reasons in err; nothing is kept (no JIT). */
int kb_regex_check(const char *pattern, char *err, size_t errlen);
void kb_regex_free(struct kb_regex *re);

/* Why a match was abandoned (kb_regex_match's failures). */
enum {
	KB_REGEX_ELIMIT = -20,     /* the match or depth limit stopped it */
	KB_REGEX_EJITSTACK = -21,  /* the JIT's stack ran out (a long text, a deep pattern) */
};

/*
 * Matches re against text (already folded with kb_fold_yo()). Returns 1 for a
 * match, 0 for none, KB_REGEX_ELIMIT or KB_REGEX_EJITSTACK when a limit
 * stopped it, TD_ERR for any other PCRE2 failure. Callers count a failure
 * as no match and log it with kb_regex_strerror().
 */
int kb_regex_match(struct kb_regex *re, const char *text, size_t len);
/* What a failure of kb_regex_match() means, for a log line (static text). */
const char *kb_regex_strerror(int rc);

/*
 * Appends to out the literal text that every match of pattern contains, so
 * that a searcher can skip patterns that cannot match: for each top-level
 * alternative one line, holding that alternative's runs of literal
 * characters (Latin, Cyrillic, punctuation) lower-cased as kb_lower() does,
 * each run ended by a tab, the last by a newline. A run never spans an
 * optional or repeated piece, so text without some run of every line
 * cannot match. TD_ENOTFOUND (out untouched) when an alternative has no
 * literal or the pattern uses syntax this reading does not follow
 * (verbs, option settings, \Q and \E): such a pattern must always run.
 */
struct buf;
int kb_regex_literals(struct buf *out, const char *pattern);

#endif
