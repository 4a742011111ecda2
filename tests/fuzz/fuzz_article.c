/*
 * fuzz_article.c - the knowledge-base article parser (kb/article.c).
 *
 * A refused file must say why ("fuzz.md:LINE: reason" lines); an accepted
 * one must hold what article.h promises: a valid id, a priority 1 to 4,
 * a title and at least one example, patterns that compile.
 */
#include "core/buf.h"
#include "kb/article.h"
#include "kb/regex.h"
#include "tests/fuzz/fuzz.h"

static bool slug_ok(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-");
	return n >= 1 && n <= 64 && !s[n];
}

static void check(const struct kb_article *a)
{
	char err[256];
	if (!slug_ok(a->slug) || a->priority < 1 || a->priority > 4 || !a->title || !*a->title ||
	    !a->category || !a->codes || !a->keywords || !a->body || !*a->body ||
	    a->n_examples < 1 || strlen(a->digest) != 64)
		fuzz_fail("accepted article breaks article.h (id '%s')", a->slug ? a->slug : "(null)");
	for (size_t i = 0; i < a->n_examples; i++)
		(void)strlen(a->examples[i]);
	for (size_t i = 0; i < a->n_patterns; i++)
		if (kb_regex_check(a->patterns[i], err, sizeof(err)))
			fuzz_fail("accepted pattern '%s' does not compile: %s", a->patterns[i], err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kb_article a;
	struct buf errors = BUF_INIT(1u << 20);
	static bool once;

	if (!once) {
		fuzz_quiet_log();
		once = true;
	}
	if (size > KB_FILE_MAX)
		return 0;
	if (kb_article_parse(&a, "fuzz.md", (const char *)data, size, &errors)) {
		if (strncmp(buf_cstr(&errors), "fuzz.md:", 8))
			fuzz_fail("refused without a 'file:line: reason': '%s'", buf_cstr(&errors));
	} else {
		if (errors.len)
			fuzz_fail("accepted with errors: '%s'", buf_cstr(&errors));
		check(&a);
		kb_article_release(&a);
	}
	buf_release(&errors);
	return 0;
}
