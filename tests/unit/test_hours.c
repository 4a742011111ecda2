/* Unit tests: a store's working hours - parsing, canonical text, queries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/common.h"
#include "core/hours.h"

#define DAY (24 * 60)
#define MON 0
#define TUE 1
#define WED 2
#define THU 3
#define FRI 4
#define SAT 5
#define SUN 6
/* Minute of the week of day d at hh:mm. */
#define AT(d, hh, mm) ((unsigned)((d) * DAY + (hh) * 60 + (mm)))

static struct hours parse_ok(const char *text)
{
	struct hours h;
	char err[256];
	int rc = hours_parse(&h, text, err, sizeof(err));
	if (rc)
		fail_msg("'%s' did not parse: %s", text, err);
	return h;
}

static void assert_parse_error(const char *text, const char *piece)
{
	struct hours h = { .n = 7 };
	char err[256];
	assert_int_equal(hours_parse(&h, text, err, sizeof(err)), TD_EINVAL);
	if (!strstr(err, piece))
		fail_msg("'%s': reason '%s' does not mention '%s'", text, err, piece);
	assert_int_equal(h.n, 7); /* untouched */
}

static void assert_spans(const struct hours *h, unsigned n, const struct hours_span *want)
{
	if (h->n != n)
		fail_msg("%u spans, want %u", h->n, n);
	for (unsigned i = 0; i < n; i++)
		if (h->span[i].start != want[i].start || h->span[i].end != want[i].end)
			fail_msg("span %u is [%u, %u), want [%u, %u)", i, h->span[i].start,
				 h->span[i].end, want[i].start, want[i].end);
}

static bool same_hours(const struct hours *a, const struct hours *b)
{
	if (a->n != b->n)
		return false;
	for (unsigned i = 0; i < a->n; i++)
		if (a->span[i].start != b->span[i].start || a->span[i].end != b->span[i].end)
			return false;
	return true;
}

static void assert_same(const char *a, const char *b)
{
	struct hours ha = parse_ok(a), hb = parse_ok(b);
	if (!same_hours(&ha, &hb))
		fail_msg("'%s' and '%s' differ", a, b);
}

static void assert_format(const char *text, const char *want)
{
	struct hours h = parse_ok(text);
	char out[HOURS_TEXT_MAX];
	assert_int_equal(hours_format(&h, out, sizeof(out)), 0);
	if (strcmp(out, want))
		fail_msg("'%s' formats as '%s', want '%s'", text, out, want);
}

static void test_hours__weekdays_and_saturday(void **state)
{
	(void)state;
	struct hours h = parse_ok("Mon-Fri 09:00-21:00, Sat 10:00-18:00");
	const struct hours_span want[] = {
		{ AT(MON, 9, 0), AT(MON, 21, 0) }, { AT(TUE, 9, 0), AT(TUE, 21, 0) },
		{ AT(WED, 9, 0), AT(WED, 21, 0) }, { AT(THU, 9, 0), AT(THU, 21, 0) },
		{ AT(FRI, 9, 0), AT(FRI, 21, 0) }, { AT(SAT, 10, 0), AT(SAT, 18, 0) },
	};
	assert_spans(&h, ARRAY_SIZE(want), want);
	assert_false(hours_always(&h));
}

static void test_hours__one_digit_hour_and_loose_spacing(void **state)
{
	(void)state;
	assert_same("Mon 9:00-18:00", "Mon 09:00-18:00");
	assert_same("  Mon - Fri  09:00 - 18:00 ,Sat 10:00-18:00  ", "Mon-Fri 09:00-18:00, Sat 10:00-18:00");
	assert_same("Mon\xE2\x80\x93" "Fri 09:00\xE2\x80\x93" "18:00", "Mon-Fri 09:00-18:00");
	assert_same("mon-FRI 09:00-18:00, sAt 10:00-11:00", "Mon-Fri 09:00-18:00, Sat 10:00-11:00");
}

static void test_hours__end_at_24_00_closes_the_day(void **state)
{
	(void)state;
	struct hours h = parse_ok("Tue 20:00-24:00");
	const struct hours_span want[] = { { AT(TUE, 20, 0), AT(WED, 0, 0) } };
	assert_spans(&h, 1, want);
	assert_same("Tue 20:00-00:00", "Tue 20:00-24:00");
}

static void test_hours__whole_day_is_00_00_to_24_00(void **state)
{
	(void)state;
	struct hours h = parse_ok("Wed 00:00-24:00");
	const struct hours_span want[] = { { AT(WED, 0, 0), AT(THU, 0, 0) } };
	assert_spans(&h, 1, want);
}

static void test_hours__overnight_span_wraps_into_next_day(void **state)
{
	(void)state;
	struct hours h = parse_ok("Fri 22:00-02:00");
	const struct hours_span want[] = { { AT(FRI, 22, 0), AT(SAT, 2, 0) } };
	assert_spans(&h, 1, want);
	assert_true(hours_open_at(&h, AT(SAT, 1, 59)));
	assert_false(hours_open_at(&h, AT(SAT, 2, 0)));
}

static void test_hours__sunday_overnight_wraps_into_monday(void **state)
{
	(void)state;
	struct hours h = parse_ok("Sun 22:00-06:00");
	const struct hours_span want[] = { { 0, AT(MON, 6, 0) }, { AT(SUN, 22, 0), HOURS_WEEK } };
	assert_spans(&h, 2, want);
	assert_true(hours_open_at(&h, 0));
	assert_true(hours_open_at(&h, HOURS_WEEK - 1));
	assert_false(hours_open_at(&h, AT(MON, 6, 0)));
}

static void test_hours__day_range_wraps_over_the_week_end(void **state)
{
	(void)state;
	struct hours h = parse_ok("Fri-Mon 10:00-18:00");
	const struct hours_span want[] = {
		{ AT(MON, 10, 0), AT(MON, 18, 0) }, { AT(FRI, 10, 0), AT(FRI, 18, 0) },
		{ AT(SAT, 10, 0), AT(SAT, 18, 0) }, { AT(SUN, 10, 0), AT(SUN, 18, 0) },
	};
	assert_spans(&h, ARRAY_SIZE(want), want);
	assert_same("Wed-Wed 10:00-18:00", "Wed 10:00-18:00");
}

static void test_hours__overlapping_and_touching_items_merge(void **state)
{
	(void)state;
	struct hours h = parse_ok("Mon 09:00-13:00, Mon 12:00-18:00, Mon 18:00-19:00");
	const struct hours_span want[] = { { AT(MON, 9, 0), AT(MON, 19, 0) } };
	assert_spans(&h, 1, want);
	assert_same("Mon-Fri 09:00-18:00, Wed 08:00-10:00", "Mon-Fri 09:00-18:00, Wed 08:00-09:00");
	/* Overnight into a day that opens at midnight. */
	h = parse_ok("Mon 22:00-02:00, Tue 00:00-12:00");
	const struct hours_span want2[] = { { AT(MON, 22, 0), AT(TUE, 12, 0) } };
	assert_spans(&h, 1, want2);
}

static void test_hours__russian_day_names(void **state)
{
	(void)state;
	assert_same("Пн-Пт 9:00-21:00, Сб 10:00-18:00", "Mon-Fri 09:00-21:00, Sat 10:00-18:00");
	assert_same("Пн 1:00-2:00, Вт 1:00-2:00, Ср 1:00-2:00, Чт 1:00-2:00, Пт 1:00-2:00, "
		    "Сб 1:00-2:00, Вс 1:00-2:00",
		    "Mon-Sun 01:00-02:00");
	assert_same("пн-пт 9:00-21:00", "Mon-Fri 09:00-21:00");
	assert_same("ПН-ПТ 9:00-21:00", "Mon-Fri 09:00-21:00");
	assert_same("Сб-Вс 10:00-16:00", "Sat-Sun 10:00-16:00");
	assert_same("Пн 9:00-18:00, Sat 10:00-12:00", "Mon 09:00-18:00, Sat 10:00-12:00");
}

static void test_hours__round_the_clock(void **state)
{
	(void)state;
	const char *texts[] = { "24/7", "  24/7 ", "круглосуточно", "Круглосуточно", "КРУГЛОСУТОЧНО",
				"Mon-Sun 00:00-24:00", "Mon 00:00-24:00, Tue-Sun 00:00-24:00",
				"Mon-Sun 12:00-12:01, Mon-Sun 12:01-12:00" };
	for (size_t i = 0; i < ARRAY_SIZE(texts); i++) {
		struct hours h = parse_ok(texts[i]);
		if (!hours_always(&h))
			fail_msg("'%s' is not 24/7", texts[i]);
		char out[HOURS_TEXT_MAX];
		assert_int_equal(hours_format(&h, out, sizeof(out)), 0);
		assert_string_equal(out, "24/7");
		assert_int_equal(hours_next_open(&h, 1234), 0);
	}
}

static void test_hours__empty_text_is_refused(void **state)
{
	(void)state;
	assert_parse_error("", "no hours");
	assert_parse_error("   ", "no hours");
}

static void test_hours__unknown_day_is_named(void **state)
{
	(void)state;
	assert_parse_error("Mo 09:00-18:00", "unknown day 'Mo'");
	assert_parse_error("Monday 09:00-18:00", "unknown day 'Monday'");
	assert_parse_error("Mon-Fry 09:00-18:00", "unknown day 'Fry'");
	assert_parse_error("Пнд 09:00-18:00", "unknown day 'Пнд'");
	assert_parse_error("09:00-18:00", "expected a day name at '09:00-18:00'");
	assert_parse_error("Mon- 09:00-18:00", "expected a day name at '09:00-18:00'");
	assert_parse_error("Mon-", "missing day name");
}

static void test_hours__bad_times_are_named(void **state)
{
	(void)state;
	assert_parse_error("Mon 25:00-26:00", "bad start time '25:00'");
	assert_parse_error("Mon 09:00-25:00", "bad end time '25:00'");
	assert_parse_error("Mon 10:60-11:00", "bad start time '10:60'");
	assert_parse_error("Mon 9-18", "bad start time '9'");
	assert_parse_error("Mon 009:00-10:00", "'009:00'");
	assert_parse_error("Mon 9:5-10:00", "'9:5'");
	assert_parse_error("Mon 09:00-18:0O", "'18:0O'");
	assert_parse_error("Mon 24:00-02:00", "'24:00' (24:00 can only end a span)");
	assert_parse_error("Mon 10:00-24:30", "bad end time '24:30'");
	assert_parse_error("Mon :30-10:00", "':30'");
}

static void test_hours__equal_start_and_end_is_an_error(void **state)
{
	(void)state;
	assert_parse_error("Mon 10:00-10:00", "empty span '10:00-10:00': the end equals the start");
	assert_parse_error("Sat 00:00-00:00", "'00:00-00:00'");
	assert_parse_error("Sat 00:00-24:00, Sun 9:00 - 09:00", "'9:00 - 09:00'");
}

static void test_hours__missing_pieces_are_refused(void **state)
{
	(void)state;
	assert_parse_error("Mon", "'Mon' needs hours");
	assert_parse_error("Mon-Fri, Sat 10:00-18:00", "'Mon-Fri' needs hours");
	assert_parse_error("Mon 09:00", "missing end time in 'Mon 09:00'");
	assert_parse_error("Mon 09:00-, Tue 10:00-12:00", "missing end time in 'Mon 09:00-'");
	assert_parse_error("Mon 09:00-", "missing end time in 'Mon 09:00-'");
	assert_parse_error("Mon 09:00 18:00", "missing end time in 'Mon 09:00 18:00'");
}

static void test_hours__trailing_garbage_is_named(void **state)
{
	(void)state;
	assert_parse_error("Mon 09:00-18:00 xyz", "unexpected 'xyz' after 'Mon 09:00-18:00'");
	assert_parse_error("Mon 09:00-18:00 ; Sat 10:00-12:00", "unexpected '; Sat 10:00-12:00'");
	assert_parse_error("Mon 09:00-18:00; Sat 10:00-12:00", "bad end time '18:00;'");
	assert_parse_error("Mon 09:00-18:00,", "nothing after the last ','");
	assert_parse_error("Mon 09:00-18:00, ,Sat 10:00-12:00", "stray ',' before 'Sat 10:00-12:00'");
	assert_parse_error(",Mon 09:00-18:00", "stray ',' before 'Mon 09:00-18:00'");
	assert_parse_error("24/7, Mon 09:00-18:00", "expected a day name at '24/7'");
}

static void test_hours__too_many_spans_are_refused(void **state)
{
	(void)state;
	char text[2048];
	size_t len = 0;
	/* 32 spans fit: 16 on Monday, 16 on Tuesday. */
	for (int i = 0; i < HOURS_MAX_SPANS; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%s%s %02d:00-%02d:30",
					i ? ", " : "", i < 16 ? "Mon" : "Tue", i % 16, i % 16);
	struct hours h = parse_ok(text);
	assert_int_equal(h.n, HOURS_MAX_SPANS);
	char out[HOURS_TEXT_MAX];
	assert_int_equal(hours_format(&h, out, sizeof(out)), 0);
	struct hours back = parse_ok(out);
	assert_true(same_hours(&h, &back));

	snprintf(text + len, sizeof(text) - len, ", Wed 10:00-11:00");
	assert_parse_error(text, "too many spans at 'Wed 10:00-11:00'");
	/* An item that adds nothing new is fine. */
	snprintf(text + len, sizeof(text) - len, ", Mon 00:10-00:20");
	h = parse_ok(text);
	assert_int_equal(h.n, HOURS_MAX_SPANS);
}

static void test_hours__error_buffer_is_optional(void **state)
{
	(void)state;
	struct hours h;
	char err[8];
	assert_int_equal(hours_parse(&h, "Mo 09:00-18:00", NULL, 0), TD_EINVAL);
	assert_int_equal(hours_parse(&h, "Mo 09:00-18:00", err, sizeof(err)), TD_EINVAL);
	assert_int_equal(strlen(err), sizeof(err) - 1); /* truncated, terminated */
	assert_int_equal(hours_parse(&h, "Mon 09:00-18:00", err, sizeof(err)), 0);
	assert_string_equal(err, "");
}

static void test_hours__format_is_canonical(void **state)
{
	(void)state;
	assert_format("Sat 10:00-18:00, Mon-Fri 09:00-21:00", "Mon-Fri 09:00-21:00, Sat 10:00-18:00");
	assert_format("Пн-Пт 9:00-21:00", "Mon-Fri 09:00-21:00");
	assert_format("Fri 22:00-02:00", "Fri 22:00-02:00");
	assert_format("Sun 22:00-06:00", "Sun 22:00-06:00");
	assert_format("Fri-Mon 10:00-18:00", "Mon 10:00-18:00, Fri-Sun 10:00-18:00");
	assert_format("Mon 00:00-24:00", "Mon 00:00-24:00");
	assert_format("Tue 20:00-00:00", "Tue 20:00-24:00");
	assert_format("Mon-Fri 00:00-24:00", "Mon-Fri 00:00-24:00");
	assert_format("Mon 09:00-13:00, Mon 14:00-18:00, Tue 09:00-13:00, Tue 14:00-18:00",
		      "Mon-Tue 09:00-13:00, Mon-Tue 14:00-18:00");
	/* 24 hours from 10:00 cannot be written "10:00-10:00". */
	assert_format("Fri 10:00-24:00, Sat 00:00-10:00", "Fri 10:00-24:00, Sat 00:00-10:00");
	/* A whole day then a morning stays two items. */
	assert_format("Sat 00:00-24:00, Sun 00:00-06:00", "Sat 00:00-24:00, Sun 00:00-06:00");
	assert_format("Mon-Sun 22:00-06:00", "Mon-Sun 22:00-06:00");
	assert_format("Mon-Fri 22:00-06:00", "Mon-Fri 22:00-06:00");
	assert_format("Mon 22:00-06:00, Tue 00:00-12:00", "Mon 22:00-12:00");
}

static void test_hours__format_refuses_a_short_buffer(void **state)
{
	(void)state;
	struct hours h = parse_ok("Mon-Fri 09:00-21:00");
	char out[64];
	assert_int_equal(hours_format(&h, out, 10), TD_EINVAL);
	assert_string_equal(out, "");
	assert_int_equal(hours_format(&h, out, strlen("Mon-Fri 09:00-21:00")), TD_EINVAL);
	assert_int_equal(hours_format(&h, out, strlen("Mon-Fri 09:00-21:00") + 1), 0);
	assert_int_equal(hours_format(&h, NULL, 0), TD_EINVAL);
	struct hours never = { 0 };
	assert_int_equal(hours_format(&never, out, sizeof(out)), 0);
	assert_string_equal(out, "");
}

static void assert_round_trip(const char *text)
{
	struct hours h = parse_ok(text);
	char out[HOURS_TEXT_MAX], again[HOURS_TEXT_MAX];
	assert_int_equal(hours_format(&h, out, sizeof(out)), 0);
	struct hours back = parse_ok(out);
	if (!same_hours(&h, &back))
		fail_msg("'%s' -> '%s' parses differently", text, out);
	assert_int_equal(hours_format(&back, again, sizeof(again)), 0);
	assert_string_equal(out, again);
}

static void test_hours__format_round_trips(void **state)
{
	(void)state;
	const char *texts[] = {
		"Mon-Fri 09:00-21:00, Sat 10:00-18:00",
		"Fri 22:00-02:00", "Sun 22:00-06:00", "Sun 23:59-00:01", "Fri-Mon 10:00-03:00",
		"Mon 00:00-24:00, Tue 00:00-23:59", "Mon 00:01-24:00, Tue 00:00-00:01",
		"Sat 12:00-12:01", "Mon-Sun 00:00-23:59", "Mon-Sun 00:01-24:00",
		"Mon 10:00-09:00", "Sun 10:00-09:00",
	};
	for (size_t i = 0; i < ARRAY_SIZE(texts); i++)
		assert_round_trip(texts[i]);

	/* Random weeks, from a fixed seed. */
	static const char *const days[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
	unsigned seed = 12345;
	for (int round = 0; round < 2000; round++) {
		char text[512];
		size_t len = 0;
		int items = 1 + (int)(rand_r(&seed) % 6);
		for (int i = 0; i < items; i++) {
			int d1 = (int)(rand_r(&seed) % 7), d2 = (int)(rand_r(&seed) % 7);
			int s = (int)(rand_r(&seed) % 48) * 30, e = (int)(rand_r(&seed) % 49) * 30;
			if (s == e)
				e = (s + 90) % DAY;
			len += (size_t)snprintf(text + len, sizeof(text) - len, "%s%s-%s %02d:%02d-%02d:%02d",
						i ? ", " : "", days[d1], days[rand_r(&seed) % 2 ? d2 : d1],
						s / 60, s % 60, e / 60, e % 60);
		}
		struct hours h;
		char err[256];
		if (hours_parse(&h, text, err, sizeof(err))) {
			if (strstr(err, "too many spans"))
				continue;
			fail_msg("'%s': %s", text, err);
		}
		assert_round_trip(text);
	}
}

static void test_hours__open_at_and_next_open_on_weekdays(void **state)
{
	(void)state;
	struct hours h = parse_ok("Mon-Fri 09:00-18:00");
	assert_false(hours_open_at(&h, AT(MON, 8, 59)));
	assert_true(hours_open_at(&h, AT(MON, 9, 0)));
	assert_true(hours_open_at(&h, AT(MON, 17, 59)));
	assert_false(hours_open_at(&h, AT(MON, 18, 0)));
	assert_false(hours_open_at(&h, AT(SAT, 12, 0)));
	assert_int_equal(hours_next_open(&h, AT(MON, 8, 0)), 60);
	assert_int_equal(hours_next_open(&h, AT(MON, 12, 0)), 0);
	assert_int_equal(hours_next_open(&h, AT(MON, 18, 0)), 15 * 60);
	assert_int_equal(hours_next_open(&h, AT(MON, 23, 59)), 9 * 60 + 1);
	/* Friday evening waits over the week end for Monday. */
	assert_int_equal(hours_next_open(&h, AT(FRI, 18, 0)), (6 + 48 + 9) * 60);
	assert_int_equal(hours_next_open(&h, AT(SUN, 23, 59)), 9 * 60 + 1);
	/* Minutes past the week wrap around. */
	assert_true(hours_open_at(&h, HOURS_WEEK + AT(MON, 9, 0)));
	assert_int_equal(hours_next_open(&h, HOURS_WEEK + AT(MON, 8, 0)), 60);
}

static void test_hours__open_at_and_next_open_around_midnight(void **state)
{
	(void)state;
	struct hours h = parse_ok("Sun 22:00-06:00, Wed 20:00-02:00");
	assert_true(hours_open_at(&h, AT(MON, 0, 0)));
	assert_true(hours_open_at(&h, AT(MON, 5, 59)));
	assert_false(hours_open_at(&h, AT(MON, 6, 0)));
	assert_true(hours_open_at(&h, AT(SUN, 23, 59)));
	assert_true(hours_open_at(&h, AT(WED, 23, 59)));
	assert_true(hours_open_at(&h, AT(THU, 0, 0)));
	assert_false(hours_open_at(&h, AT(THU, 2, 0)));
	assert_int_equal(hours_next_open(&h, AT(SUN, 21, 0)), 60);
	assert_int_equal(hours_next_open(&h, AT(SUN, 23, 0)), 0);
	assert_int_equal(hours_next_open(&h, AT(MON, 6, 0)), 2 * DAY + 14 * 60);
	assert_int_equal(hours_next_open(&h, AT(THU, 2, 0)), 3 * DAY + 20 * 60);
}

static void test_hours__never_open(void **state)
{
	(void)state;
	struct hours h = { 0 };
	assert_false(hours_open_at(&h, 0));
	assert_false(hours_always(&h));
	assert_int_equal(hours_next_open(&h, 0), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hours__weekdays_and_saturday),
		cmocka_unit_test(test_hours__one_digit_hour_and_loose_spacing),
		cmocka_unit_test(test_hours__end_at_24_00_closes_the_day),
		cmocka_unit_test(test_hours__whole_day_is_00_00_to_24_00),
		cmocka_unit_test(test_hours__overnight_span_wraps_into_next_day),
		cmocka_unit_test(test_hours__sunday_overnight_wraps_into_monday),
		cmocka_unit_test(test_hours__day_range_wraps_over_the_week_end),
		cmocka_unit_test(test_hours__overlapping_and_touching_items_merge),
		cmocka_unit_test(test_hours__russian_day_names),
		cmocka_unit_test(test_hours__round_the_clock),
		cmocka_unit_test(test_hours__empty_text_is_refused),
		cmocka_unit_test(test_hours__unknown_day_is_named),
		cmocka_unit_test(test_hours__bad_times_are_named),
		cmocka_unit_test(test_hours__equal_start_and_end_is_an_error),
		cmocka_unit_test(test_hours__missing_pieces_are_refused),
		cmocka_unit_test(test_hours__trailing_garbage_is_named),
		cmocka_unit_test(test_hours__too_many_spans_are_refused),
		cmocka_unit_test(test_hours__error_buffer_is_optional),
		cmocka_unit_test(test_hours__format_is_canonical),
		cmocka_unit_test(test_hours__format_refuses_a_short_buffer),
		cmocka_unit_test(test_hours__format_round_trips),
		cmocka_unit_test(test_hours__open_at_and_next_open_on_weekdays),
		cmocka_unit_test(test_hours__open_at_and_next_open_around_midnight),
		cmocka_unit_test(test_hours__never_open),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
