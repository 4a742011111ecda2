/* Unit tests: the log masker (secrets of any shape, masked before a line is cut) and the HTTP layer that never logs the token. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>
#include <cmocka.h>

#include "bot/telegram.h"
#include "core/common.h"
#include "core/log.h"

#define LINES_MAX 16

struct lines {
	char text[LINES_MAX][4096];
	int n;
};

static void lines_sink(const char *line, void *arg)
{
	struct lines *l = arg;
	if (l->n < LINES_MAX)
		snprintf(l->text[l->n++], sizeof(l->text[0]), "%s", line);
}

/* The part of a line after "tilldesk[pid]: level: ". */
static const char *message_of(const char *line)
{
	const char *p = strstr(line, ": ");
	p = p ? strstr(p + 2, ": ") : NULL;
	return p ? p + 2 : line;
}

/* Logs text and expects one line whose message is want. */
static void expect_line(struct lines *l, const char *text, const char *want)
{
	log_warn("%s", text);
	assert_int_equal(l->n, 1);
	assert_string_equal(message_of(l->text[0]), want);
}

static int setup(void **state)
{
	struct lines *l = xcalloc(1, sizeof(*l));
	log_set_sink(lines_sink, l);
	/* A masker that loops forever must fail the test, not hang it. */
	alarm(10);
	*state = l;
	return 0;
}

static int teardown(void **state)
{
	alarm(0);
	log_set_sink(NULL, NULL);
	log_clear_secrets();
	log_set_level(LOG_INFO);
	free(*state);
	return 0;
}

static void test_log__one_byte_secret_in_a_full_line_is_masked_without_overflow(void **state)
{
	char text[3000];
	memset(text, 'x', sizeof(text) - 1);
	text[0] = 'a';
	text[sizeof(text) - 2] = 'b';
	text[sizeof(text) - 1] = '\0';
	log_add_secret("x");
	expect_line(*state, text, "a***b");
}

static void test_log__the_tenth_rotated_token_is_still_masked(void **state)
{
	char old[32] = "", token[32], text[64];
	log_add_secret("bot-token");  /* the other secrets of the process stay */
	for (int i = 0; i < 10; i++) {
		snprintf(token, sizeof(token), "till-token-%02d", i);
		log_replace_secret(old, token);
		snprintf(old, sizeof(old), "%s", token);
	}
	snprintf(text, sizeof(text), "sent %s and bot-token", token);
	expect_line(*state, text, "sent *** and ***");
}

static void test_log__two_byte_secret_between_words(void **state)
{
	log_add_secret("pw");
	expect_line(*state, "smtp: login pw refused, pw again", "smtp: login *** refused, *** again");
}

static void test_log__repeated_secret_becomes_one_marker(void **state)
{
	log_add_secret("ab");
	expect_line(*state, "x ababab y ab", "x *** y ***");
}

static void test_log__a_star_secret_ends_and_is_masked(void **state)
{
	log_add_secret("*");
	expect_line(*state, "a*b**c", "a***b***c");
}

static void test_log__secrets_with_stars_inside(void **state)
{
	log_add_secret("**");
	log_add_secret("p*ss");
	expect_line(*state, "pin ** password p*ss end", "pin *** password *** end");
}

static void test_log__overlapping_secrets_leave_nothing_of_either(void **state)
{
	log_add_secret("abcd");
	log_add_secret("cdef");
	expect_line(*state, "[abcdef] [cdefab] [abcd]", "[***] [***ab] [***]");
}

static void test_log__a_secret_cut_by_the_line_limit_leaks_no_prefix(void **state)
{
	struct lines *l = *state;
	const char *token = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";
	char pad[2100];
	log_add_secret(token);
	/* Whatever the padding, the token must not show even in part. */
	for (size_t len = 1980; len < sizeof(pad); len += 7) {
		memset(pad, '.', len);
		pad[len] = '\0';
		l->n = 0;
		log_warn("%s%s", pad, token);
		assert_int_equal(l->n, 1);
		if (strstr(l->text[0], "123456789:"))
			fail_msg("padding %zu: the token's prefix is in the line", len);
		assert_true(strlen(l->text[0]) < 2048);
	}
}

static void test_log__a_cut_line_ends_in_a_whole_character(void **state)
{
	struct lines *l = *state;
	char text[3000] = "";
	for (size_t i = 0; i + 2 < sizeof(text); i += 2)
		memcpy(text + i, "ж", 3);  /* the NUL of "ж" is overwritten but the last */
	/* One byte more or less before it: the limit falls inside a character in one of them. */
	log_warn("%s", text);
	log_warn("x%s", text);
	assert_int_equal(l->n, 2);
	for (int i = 0; i < 2; i++)
		assert_true(utf8_valid(l->text[i], strlen(l->text[i])));
}

static void test_log__telegram_network_error_logs_the_method_not_the_token(void **state)
{
	struct lines *l = *state;
	const char *token = "4242:secret-token-of-the-bot";
	struct tg_result r;

	log_set_level(LOG_DEBUG);
	struct tg *tg = tg_new("http://127.0.0.1:1", token);
	/* Not relying on the masker: the token must never enter a log line. */
	log_clear_secrets();
	assert_int_equal(tg_call(tg, &r, "getMe", NULL, 2000, NULL), TD_ERR);
	tg_result_release(&r);
	tg_free(tg);
	assert_true(l->n > 0);
	bool method_named = false;
	for (int i = 0; i < l->n; i++) {
		if (strstr(l->text[i], "secret-token"))
			fail_msg("the token is in a log line: %s", l->text[i]);
		method_named |= strstr(l->text[i], "getMe") != NULL;
	}
	assert_true(method_named);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_log__one_byte_secret_in_a_full_line_is_masked_without_overflow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log__the_tenth_rotated_token_is_still_masked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log__two_byte_secret_between_words, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log__repeated_secret_becomes_one_marker, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log__a_star_secret_ends_and_is_masked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log__secrets_with_stars_inside, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log__overlapping_secrets_leave_nothing_of_either, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log__a_secret_cut_by_the_line_limit_leaks_no_prefix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log__a_cut_line_ends_in_a_whole_character, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log__telegram_network_error_logs_the_method_not_the_token, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
