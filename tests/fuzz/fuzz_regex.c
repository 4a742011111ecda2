/*
 * fuzz_regex.c - the regex literal extractor (kb_regex_literals in
 * kb/regex.c) against PCRE2 itself.
 *
 * The input is a pattern, a newline, and a cashier's text. The extractor
 * promises that a text matching the pattern contains, lower-cased, every
 * run of at least one of its lines; the searcher skips a pattern whose
 * runs are missing (kb/search.c), so a broken promise is an article the
 * bot never finds. The check runs the pattern as the searcher does: on
 * the text with ё folded, runs looked up in kb_lower() of the text.
 */
#include "core/buf.h"
#include "kb/regex.h"
#include "kb/text.h"
#include "tests/fuzz/fuzz.h"

#define FUZZ_REGEX_CAP (1u << 20)

/* True when every tab-ended run of line (up to its newline) is in text. */
static bool line_in(const char *line, const char *text, size_t len)
{
	for (const char *r = line;; r = strchr(r, '\t') + 1) {
		size_t n = strcspn(r, "\t\n");
		if (!memmem(text, len, r, n))
			return false;
		if (r[n] != '\t')
			return true;
	}
}

static void check_lines(const char *lines, const char *pattern)
{
	size_t len = strlen(lines);
	if (!len || lines[len - 1] != '\n')
		fuzz_fail("'%s': literals do not end a line: '%s'", pattern, lines);
	for (const char *p = lines; *p; p++)
		if ((*p == '\t' || *p == '\n') && (p == lines || p[-1] == '\t' || p[-1] == '\n'))
			fuzz_fail("'%s': an empty run in '%s'", pattern, lines);
}

static void check_match(const char *lines, const char *pattern, const char *text)
{
	struct buf folded = BUF_INIT(FUZZ_REGEX_CAP), lower = BUF_INIT(FUZZ_REGEX_CAP);
	struct kb_regex *re;
	char err[256];

	if (!utf8_valid(text, strlen(text)) || kb_regex_compile(&re, pattern, err, sizeof(err)))
		return;
	if (kb_fold_yo(&folded, text) || kb_lower(&lower, text, strlen(text)))
		goto done;
	if (kb_regex_match(re, buf_cstr(&folded), folded.len) != 1)
		goto done;
	for (const char *l = lines; *l; l = strchr(l, '\n') + 1)
		if (line_in(l, buf_cstr(&lower), lower.len))
			goto done;
	fuzz_fail("'%s' matches '%s', whose lower case '%s' holds no line of runs '%s'",
		  pattern, text, buf_cstr(&lower), lines);
done:
	kb_regex_free(re);
	buf_release(&folded);
	buf_release(&lower);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool once;
	if (!once) {
		fuzz_quiet_log();
		once = true;
	}
	const uint8_t *nl = memchr(data, '\n', size);
	size_t plen = nl ? (size_t)(nl - data) : size;
	char *pattern = fuzz_cstr(data, plen);
	char *text = nl ? fuzz_cstr(nl + 1, size - plen - 1) : fuzz_cstr(NULL, 0);
	struct buf lines = BUF_INIT(FUZZ_REGEX_CAP);

	if (strlen(pattern) == plen && kb_regex_literals(&lines, pattern) == 0) {
		check_lines(buf_cstr(&lines), pattern);
		check_match(buf_cstr(&lines), pattern, text);
	}
	buf_release(&lines);
	free(pattern);
	free(text);
	return 0;
}
