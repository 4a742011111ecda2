/* Unit tests: the message catalogue. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/common.h"
#include "core/msg.h"

/* Writes the printf conversions of fmt ("%s%lld%d") into out. */
static void conversions(const char *fmt, char *out, size_t n)
{
	size_t len = 0;
	out[0] = '\0';
	for (const char *p = fmt; *p; p++) {
		if (*p != '%')
			continue;
		p++;
		if (*p == '%')
			continue;
		const char *start = p;
		while (*p && !strchr("diouxXeEfgGcsp", *p))
			p++;
		len += (size_t)snprintf(out + len, n - len, "%%%.*s;", (int)(p - start + 1), start);
		if (!*p)
			break;
	}
}

static void test_msg__languages_take_the_same_arguments(void **state)
{
	(void)state;
	for (int id = 0; id < MSG__COUNT; id++) {
		char ru[256], en[256];
		conversions(msg_in(LANG_RU, (enum msg_id)id), ru, sizeof(ru));
		conversions(msg_in(LANG_EN, (enum msg_id)id), en, sizeof(en));
		if (strcmp(ru, en))
			fail_msg("%s: Russian takes %s, English %s", msg_key((enum msg_id)id), ru, en);
	}
}

static void test_msg__every_text_is_translated_and_utf8(void **state)
{
	(void)state;
	for (int id = 0; id < MSG__COUNT; id++) {
		for (int lang = LANG_RU; lang <= LANG_EN; lang++) {
			const char *t = msg_in((enum msg_lang)lang, (enum msg_id)id);
			if (!*t || !utf8_valid(t, strlen(t)))
				fail_msg("%s: empty or not UTF-8", msg_key((enum msg_id)id));
		}
	}
}

static void test_msg__language_is_chosen_by_code(void **state)
{
	(void)state;
	struct buf b = BUF_INIT(1024);
	assert_int_equal(msg_set_language("en"), 0);
	msg_buf(&b, MSG_CLI_BAD_OPTION, "--x");
	assert_string_equal(buf_cstr(&b), "unknown option '--x'");
	buf_reset(&b);
	assert_int_equal(msg_set_language("ru"), 0);
	msg_buf(&b, MSG_CLI_BAD_OPTION, "--x");
	assert_string_equal(buf_cstr(&b), "неизвестный параметр «--x»");
	assert_int_equal(msg_set_language("de"), TD_EINVAL);
	assert_int_equal(msg_language(), LANG_RU);
	buf_release(&b);
}

static void test_msg__spans_show_their_two_largest_units(void **state)
{
	(void)state;
	static const struct { int64_t s; const char *ru, *en; } cases[] = {
		{ -5, "0 с", "0 s" },
		{ 0, "0 с", "0 s" },
		{ 59, "59 с", "59 s" },
		{ 90, "1 мин 30 с", "1 min 30 s" },
		{ 3600, "1 ч", "1 h" },
		{ 3605, "1 ч", "1 h" },            /* a gap stops it: not "1 ч 5 с" */
		{ 3 * 3600 + 25 * 60 + 7, "3 ч 25 мин", "3 h 25 min" },
		{ 86400 + 7200, "1 д 2 ч", "1 d 2 h" },
		{ 8 * 86400 + 59, "8 д", "8 d" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct buf b = BUF_INIT(64);
		assert_int_equal(msg_set_language("ru"), 0);
		msg_span(&b, cases[i].s);
		assert_string_equal(buf_cstr(&b), cases[i].ru);
		buf_reset(&b);
		assert_int_equal(msg_set_language("en"), 0);
		msg_span(&b, cases[i].s);
		assert_string_equal(buf_cstr(&b), cases[i].en);
		buf_release(&b);
	}
	msg_set_language("ru");
}

static void test_buf__cap_frees_and_fails_for_good(void **state)
{
	(void)state;
	struct buf b = BUF_INIT(10);
	assert_int_equal(buf_puts(&b, "12345"), 0);
	assert_int_equal(buf_printf(&b, "%d", 6789), 0);
	assert_string_equal(buf_cstr(&b), "123456789");
	assert_int_equal(buf_puts(&b, "ab"), TD_ENOMEM);
	assert_true(b.failed);
	assert_null(b.data);
	assert_int_equal(buf_puts(&b, "a"), TD_ENOMEM);
	buf_reset(&b);
	assert_int_equal(buf_puts(&b, "0123456789"), 0);
	char *s = buf_detach(&b);
	assert_string_equal(s, "0123456789");
	free(s);
	buf_release(&b);
}

static void test_util__utf8_validation(void **state)
{
	(void)state;
	assert_true(utf8_valid("Касса работает? ё", strlen("Касса работает? ё")));
	assert_true(utf8_valid("\xf0\x9f\x98\x80", 4));
	assert_false(utf8_valid("\xc0\xaf", 2));          /* overlong '/' */
	assert_false(utf8_valid("\xed\xa0\x80", 3));      /* surrogate */
	assert_false(utf8_valid("\xd0", 1));              /* truncated */
	assert_false(utf8_valid("\xf4\x90\x80\x80", 4));  /* above U+10FFFF */
	assert_false(utf8_valid("a\xffz", 3));
	assert_false(utf8_valid("\xe0\x80\xaf", 3));      /* overlong, 3 bytes */
	assert_false(utf8_valid("\xf0\x80\x80\xaf", 4));  /* overlong, 4 bytes */
	assert_false(utf8_valid("\xe2\x82", 2));          /* truncated, 3 bytes */
	assert_true(utf8_valid("\xef\xbf\xbd\xf4\x8f\xbf\xbf", 7));  /* U+FFFD, U+10FFFF */
}

static void test_util__dates_and_integers(void **state)
{
	(void)state;
	long days;
	long long v;
	assert_int_equal(parse_date(&days, "1970-01-01"), 0);
	assert_int_equal(days, 0);
	assert_int_equal(parse_date(&days, "2028-02-29"), 0);
	assert_int_equal(days, 21243);
	assert_int_equal(parse_date(&days, "2027-02-29"), TD_EINVAL);
	assert_int_equal(parse_date(&days, "2027-13-01"), TD_EINVAL);
	assert_int_equal(parse_date(&days, "2027-1-01"), TD_EINVAL);
	assert_int_equal(parse_date(&days, "27-01-2027"), TD_EINVAL);
	assert_int_equal(parse_int(&v, "42", 1, 100), 0);
	assert_int_equal(v, 42);
	assert_int_equal(parse_int(&v, "0", 1, 100), TD_EINVAL);
	assert_int_equal(parse_int(&v, "4 2", 1, 100), TD_EINVAL);
	assert_int_equal(parse_int(&v, "", 1, 100), TD_EINVAL);
	assert_int_equal(parse_int(&v, "99999999999999999999", 1, INT64_MAX), TD_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_msg__languages_take_the_same_arguments),
		cmocka_unit_test(test_msg__every_text_is_translated_and_utf8),
		cmocka_unit_test(test_msg__language_is_chosen_by_code),
		cmocka_unit_test(test_msg__spans_show_their_two_largest_units),
		cmocka_unit_test(test_buf__cap_frees_and_fails_for_good),
		cmocka_unit_test(test_util__utf8_validation),
		cmocka_unit_test(test_util__dates_and_integers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
