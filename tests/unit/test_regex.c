/* Unit tests: the kb's regex wrapper tells a JIT stack overflow from a match limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/common.h"
#include "kb/regex.h"

static int match_repeated(const char *pattern, char ch, size_t n)
{
	struct kb_regex *re;
	char err[256];
	char *text = xmalloc(n + 1);
	memset(text, ch, n);
	text[n] = '\0';
	assert_int_equal(kb_regex_compile(&re, pattern, err, sizeof(err)), 0);
	int rc = kb_regex_match(re, text, n);
	kb_regex_free(re);
	free(text);
	return rc;
}

/*
 * A group repeated over a long text needs a JIT stack frame per repeat: the
 * JIT's default stack runs out long before any match limit. That is its
 * own failure, not a match limit.
 */
static void test_regex__jit_stack_overflow_is_not_reported_as_a_match_limit(void **state)
{
	(void)state;
	int rc = match_repeated("^(a|b)*$", 'a', 60000);
	assert_int_equal(rc, KB_REGEX_EJITSTACK);
	assert_non_null(strstr(kb_regex_strerror(rc), "JIT stack"));
	assert_null(strstr(kb_regex_strerror(rc), "match limit"));

	/* (test_kb's catastrophic patterns still stop at KB_REGEX_ELIMIT.) */
	assert_non_null(strstr(kb_regex_strerror(KB_REGEX_ELIMIT), "match limit"));
	/* The same pattern on a short text simply matches. */
	assert_int_equal(match_repeated("^(a|b)*$", 'a', 100), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regex__jit_stack_overflow_is_not_reported_as_a_match_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
