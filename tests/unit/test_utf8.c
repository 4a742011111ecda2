/* Unit tests: the one UTF-8-safe cut and the places that cut user text into fixed buffers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <json-c/json.h>

#include "bot/update.h"
#include "core/common.h"
#include "core/hours.h"

#define EMOJI "\xF0\x9F\x98\x80" /* U+1F600, four bytes */

static void test_utf8__cut_drops_a_character_split_at_the_end(void **state)
{
	(void)state;
	const char *s = "aж€" EMOJI;  /* 1 + 2 + 3 + 4 bytes */
	static const size_t want[] = { 0, 1, 1, 3, 3, 3, 6, 6, 6, 6, 10 };
	for (size_t n = 0; n < ARRAY_SIZE(want); n++)
		if (utf8_cut(s, n) != want[n])
			fail_msg("cut at %zu: %zu, want %zu", n, utf8_cut(s, n), want[n]);
}

static void test_utf8__cut_leaves_ascii_and_stray_bytes_alone(void **state)
{
	(void)state;
	assert_int_equal(utf8_cut("abc", 2), 2);
	/* Not UTF-8 to begin with: nothing to protect, nothing dropped. */
	assert_int_equal(utf8_cut("a\x80\x80\x80\x80", 5), 5);
	assert_int_equal(utf8_cut("\x80", 1), 1);
}

static void test_utf8__snprintf_ends_at_a_whole_character(void **state)
{
	(void)state;
	char out[8];
	/* "тест" is 8 bytes: 7 fit, so the fourth letter goes whole. */
	assert_int_equal(utf8_snprintf(out, sizeof(out), "%s", "тест"), 8);
	assert_string_equal(out, "тес");
	assert_int_equal(utf8_snprintf(out, sizeof(out), "x%s", "тест"), 9);
	assert_string_equal(out, "xтес");
	assert_int_equal(utf8_snprintf(out, sizeof(out), "%s", "тес"), 6);
	assert_string_equal(out, "тес");
}

static void test_utf8__encode_round_trips_through_decode(void **state)
{
	(void)state;
	char enc[4];
	uint32_t cp;
	for (uint32_t c = 1; c <= 0x10FFFF; c += c < 0x800 ? 1 : 37) {
		size_t n = utf8_encode(enc, c);
		if (c >= 0xD800 && c <= 0xDFFF) {
			assert_int_equal(n, 0);
			continue;
		}
		assert_true(n > 0);
		assert_int_equal(utf8_decode((const unsigned char *)enc, n, &cp), n);
		assert_int_equal(cp, c);
	}
	assert_int_equal(utf8_encode(enc, 0x110000), 0);
}

/* A Telegram user whose names fill from_name: the cut must fall between letters. */
static void test_utf8__a_long_telegram_name_is_cut_between_letters(void **state)
{
	(void)state;
	char first[200] = "x", last[200] = "";
	for (int i = 0; i < 60; i++) {
		memcpy(first + 1 + 2 * i, "Я", 3);
		memcpy(last + 2 * i, "ё", 3);
	}
	/* With and without a leading "x", so that the limit falls inside a letter once. */
	for (int shift = 0; shift < 2; shift++) {
		json_object *u = json_object_new_object(), *m = json_object_new_object();
		json_object *chat = json_object_new_object(), *from = json_object_new_object();
		json_object_object_add(chat, "id", json_object_new_int64(5));
		json_object_object_add(chat, "type", json_object_new_string("private"));
		json_object_object_add(from, "id", json_object_new_int64(5));
		json_object_object_add(from, "first_name", json_object_new_string(first + shift));
		json_object_object_add(from, "last_name", json_object_new_string(last));
		json_object_object_add(m, "message_id", json_object_new_int64(1));
		json_object_object_add(m, "chat", chat);
		json_object_object_add(m, "from", from);
		json_object_object_add(u, "update_id", json_object_new_int64(1));
		json_object_object_add(u, "message", m);
		struct tg_update out;
		assert_int_equal(update_decode(&out, u), 0);
		assert_true(strlen(out.from_name) > 100);
		assert_true(utf8_valid(out.from_name, strlen(out.from_name)));
		json_object_put(u);
	}
}

/* A working-hours error quotes the admin's text and Cyrillic day names. */
static void test_utf8__an_hours_error_cut_short_stays_utf8(void **state)
{
	(void)state;
	struct hours h;
	char err[128];
	for (size_t n = 2; n <= sizeof(err); n++) {
		assert_int_equal(hours_parse(&h, "Понедельник 09:00-18:00", err, n), TD_EINVAL);
		if (!utf8_valid(err, strlen(err)))
			fail_msg("error cut to %zu bytes is not UTF-8: %s", n, err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8__cut_drops_a_character_split_at_the_end),
		cmocka_unit_test(test_utf8__cut_leaves_ascii_and_stray_bytes_alone),
		cmocka_unit_test(test_utf8__snprintf_ends_at_a_whole_character),
		cmocka_unit_test(test_utf8__encode_round_trips_through_decode),
		cmocka_unit_test(test_utf8__a_long_telegram_name_is_cut_between_letters),
		cmocka_unit_test(test_utf8__an_hours_error_cut_short_stays_utf8),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
