/*
 * Every code the agent can send (agent/codes.c) has exactly one article in
 * kb/articles naming it in its codes: the one the alerting attaches to the
 * agent's ticket as the recommendation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "agent/codes.h"
#include "core/buf.h"
#include "kb/article.h"

static void test_kb_agent_codes__each_code_has_exactly_one_article(void **state)
{
	(void)state;
	struct kb_set set;
	struct buf errors = BUF_INIT(1 << 16), problems = BUF_INIT(1 << 16);
	if (kb_set_load(&set, "kb/articles", &errors))
		fail_msg("%s", buf_cstr(&errors));
	for (const struct agent_code *c = agent_codes; c->code; c++) {
		const char *first = NULL;
		for (size_t i = 0; i < set.n; i++) {
			if (!kb_codes_name(set.a[i].codes, c->code))
				continue;
			if (first)
				buf_printf(&problems, "%s: named by %s and %s\n", c->code, first,
					   set.a[i].slug);
			else
				first = set.a[i].slug;
		}
		if (!first)
			buf_printf(&problems, "%s (check %s): no article names it in codes:\n",
				   c->code, c->kind);
	}
	if (problems.len)
		fail_msg("\n%s", buf_cstr(&problems));
	buf_release(&problems);
	buf_release(&errors);
	kb_set_release(&set);
}

static void test_kb_agent_codes__every_code_is_written_as_the_agent_sends_it(void **state)
{
	(void)state;
	size_t n = 0;
	for (const struct agent_code *c = agent_codes; c->code; c++, n++)
		assert_true(kb_code_is_agent(c->code));
	/* The six of the fn check at least, and the others of CHECKS.md. */
	assert_true(n >= 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kb_agent_codes__each_code_has_exactly_one_article),
		cmocka_unit_test(test_kb_agent_codes__every_code_is_written_as_the_agent_sends_it),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
