/*
 * Unit tests: the SLA clock over working hours - deadlines, elapsed time,
 * working days and pauses, in zones with and without daylight saving.
 * Instants are written as the store's wall time, "YYYY-MM-DD HH:MM[:SS]".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/common.h"
#include "core/hours.h"
#include "core/sla_clock.h"
#include "core/tz.h"
#include "tests/unit/zones.h"

#define S(x) ((int64_t)(x))
#define M(x) ((int64_t)(x) * 60)
#define H(x) ((int64_t)(x) * 3600)

#define WEEKDAYS "Mon-Fri 09:00-18:00"


static struct hours parse_hours(const char *text)
{
	struct hours h;
	char err[256];
	if (hours_parse(&h, text, err, sizeof(err)))
		fail_msg("'%s' did not parse: %s", text, err);
	return h;
}

/* The instant of wall time "YYYY-MM-DD HH:MM[:SS]" in tz (the earlier one if it repeats). */
static int64_t at(const struct tz *tz, const char *wall)
{
	int y, mon, d, h, mi, s = 0;
	if (sscanf(wall, "%d-%d-%d %d:%d:%d", &y, &mon, &d, &h, &mi, &s) < 5)
		fail_msg("bad wall time '%s'", wall);
	return tz_mktime(tz, y, mon, d, h, mi, s);
}

/* t as wall time and offset, or the sentinel's name, for failure messages. */
static const char *show(const struct tz *tz, int64_t t, char *buf, size_t n)
{
	if (t == SLA_NEVER)
		return "SLA_NEVER";
	if (t == SLA_PAUSED)
		return "SLA_PAUSED";
	struct tm tm;
	tz_local(tz, t, &tm);
	snprintf(buf, n, "%04d-%02d-%02d %02d:%02d:%02d %s", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_zone);
	return buf;
}

static void assert_instant(const struct tz *tz, int64_t got, int64_t want, const char *what)
{
	char g[64], w[64];
	if (got != want)
		fail_msg("%s: got %s, want %s", what, show(tz, got, g, sizeof(g)),
			 show(tz, want, w, sizeof(w)));
}

/* sla_clock_add: one row per case; want NULL means SLA_NEVER. */

struct add_case {
	const char *zone, *hours;
	bool always;
	const char *start;
	int64_t seconds;
	const char *want;
};

static void check_add(const struct add_case *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct add_case *r = &rows[i];
		struct tz *tz = load(r->zone);
		struct hours h = parse_hours(r->hours);
		struct sla_calendar cal = { tz, &h, r->always };
		int64_t start = at(tz, r->start);
		int64_t want = r->want ? at(tz, r->want) : SLA_NEVER;
		int64_t got = sla_clock_add(&cal, start, r->seconds);
		char what[256];
		snprintf(what, sizeof(what), "%s [%s%s] from %s + %llds", r->zone, r->hours,
			 r->always ? ", always" : "", r->start, (long long)r->seconds);
		assert_instant(tz, got, want, what);
		if (r->want && r->seconds > 0) {
			int64_t back = sla_clock_elapsed(&cal, start, got);
			if (back != r->seconds)
				fail_msg("%s: sla_clock_elapsed back is %lld", what, (long long)back);
		}
		tz_free(tz);
	}
}

static void test_sla_clock__deadline_skips_nights_and_weekends(void **state)
{
	(void)state;
	static const struct add_case rows[] = {
		{ "Europe/Moscow", WEEKDAYS, false, "2025-01-13 10:00", H(2), "2025-01-13 12:00" },
		{ "Europe/Moscow", WEEKDAYS, false, "2025-01-13 16:00", H(4), "2025-01-14 11:00" },
		/* Friday 17:30 plus an hour is Monday 09:30. */
		{ "Europe/Moscow", WEEKDAYS, false, "2025-01-10 17:30", H(1), "2025-01-13 09:30" },
		{ "Europe/Moscow", WEEKDAYS, false, "2025-01-11 12:00", H(1), "2025-01-13 10:00" },
		{ "Europe/Moscow", WEEKDAYS, false, "2025-01-13 09:00", H(27), "2025-01-15 18:00" },
		{ "Europe/Moscow", WEEKDAYS, false, "2025-01-13 09:00", H(27) + M(1), "2025-01-16 09:01" },
		{ "Europe/Moscow", WEEKDAYS, false, "2025-01-10 12:00", H(45), "2025-01-17 12:00" },
		/* Working hours are wall-clock hours: daylight saving moves nothing here. */
		{ "Europe/Berlin", WEEKDAYS, false, "2025-03-28 17:00", H(2), "2025-03-31 10:00" },
		{ "Europe/Berlin", WEEKDAYS, false, "2025-10-24 17:00", H(2), "2025-10-27 10:00" },
	};
	check_add(rows, ARRAY_SIZE(rows));
}

static void test_sla_clock__deadline_at_the_edges_of_a_span(void **state)
{
	(void)state;
	static const struct add_case rows[] = {
		/* Before opening the clock waits for it. */
		{ "Europe/Moscow", WEEKDAYS, false, "2025-01-13 07:15", M(30), "2025-01-13 09:30" },
		{ "Europe/Moscow", WEEKDAYS, false, "2025-01-13 09:00", H(9), "2025-01-13 18:00" },
		/* Running out as the store closes is due at closing, not next morning. */
		{ "Europe/Moscow", WEEKDAYS, false, "2025-01-13 17:00", H(1), "2025-01-13 18:00" },
		/* Starting exactly at closing counts from the next opening. */
		{ "Europe/Moscow", WEEKDAYS, false, "2025-01-13 18:00", H(1), "2025-01-14 10:00" },
		/* Second precision. */
		{ "Europe/Moscow", WEEKDAYS, false, "2025-01-13 17:59:59", S(2), "2025-01-14 09:00:01" },
		{ "Europe/Moscow", WEEKDAYS, false, "2025-01-13 10:00:30", S(45), "2025-01-13 10:01:15" },
		{ "Europe/Moscow", WEEKDAYS, false, "2025-01-13 08:59:59", S(1), "2025-01-13 09:00:01" },
		/* Nothing left is due now, open or closed. */
		{ "Europe/Moscow", WEEKDAYS, false, "2025-01-11 12:00", 0, "2025-01-11 12:00" },
		{ "Europe/Moscow", WEEKDAYS, false, "2025-01-13 12:00", 0, "2025-01-13 12:00" },
		{ "Europe/Moscow", WEEKDAYS, false, "2025-01-13 12:00", -5, "2025-01-13 12:00" },
	};
	check_add(rows, ARRAY_SIZE(rows));
}

static void test_sla_clock__deadline_over_midnight_and_the_week_end(void **state)
{
	(void)state;
	static const struct add_case rows[] = {
		{ "Europe/Moscow", "Fri 22:00-02:00", false, "2025-01-10 21:00", H(1), "2025-01-10 23:00" },
		{ "Europe/Moscow", "Fri 22:00-02:00", false, "2025-01-10 23:00", H(2), "2025-01-11 01:00" },
		{ "Europe/Moscow", "Fri 22:00-02:00", false, "2025-01-10 23:00", H(3), "2025-01-11 02:00" },
		{ "Europe/Moscow", "Fri 22:00-02:00", false, "2025-01-10 23:00", H(4), "2025-01-17 23:00" },
		{ "Europe/Moscow", "Fri 22:00-02:00", false, "2025-01-11 01:30", H(1), "2025-01-17 22:30" },
		/* Sunday night runs into Monday: spans [Sun 22:00, week end) and [0, Mon 06:00). */
		{ "Europe/Moscow", "Sun 22:00-06:00", false, "2025-01-12 23:00", H(7), "2025-01-13 06:00" },
		{ "Europe/Moscow", "Sun 22:00-06:00", false, "2025-01-12 23:00", H(8), "2025-01-19 23:00" },
		{ "Europe/Moscow", "Sun 22:00-06:00", false, "2025-01-13 05:00", H(2), "2025-01-19 23:00" },
		{ "Europe/Moscow", "Sun 21:00-06:00", false, "2025-01-12 21:30", H(8) + M(29), "2025-01-13 05:59" },
		{ "Europe/Moscow", "Mon-Sun 22:00-06:00", false, "2025-01-12 23:00", H(8), "2025-01-13 23:00" },
	};
	check_add(rows, ARRAY_SIZE(rows));
}

static void test_sla_clock__deadline_skips_days_off(void **state)
{
	(void)state;
	static const struct add_case rows[] = {
		/* Wednesday and Sunday off. */
		{ "Europe/Moscow", "Mon-Tue 09:00-18:00, Thu-Sat 10:00-16:00", false, "2025-01-14 17:00",
		  H(2), "2025-01-16 11:00" },
		{ "Europe/Moscow", "Mon-Tue 09:00-18:00, Thu-Sat 10:00-16:00", false, "2025-01-15 12:00",
		  H(1), "2025-01-16 11:00" },
		{ "Europe/Moscow", "Mon-Tue 09:00-18:00, Thu-Sat 10:00-16:00", false, "2025-01-18 15:00",
		  H(2), "2025-01-20 10:00" },
		{ "Europe/Moscow", "Пн-Пт 9:00-18:00, Сб 10:00-16:00", false, "2025-01-11 15:00", H(2),
		  "2025-01-13 10:00" },
		/* Open one day a week. */
		{ "Europe/Moscow", "Wed 10:00-12:00", false, "2025-01-13 09:00", H(5), "2025-01-29 11:00" },
	};
	check_add(rows, ARRAY_SIZE(rows));
}

static void test_sla_clock__round_the_clock_counts_every_second(void **state)
{
	(void)state;
	static const struct add_case rows[] = {
		{ "Europe/Moscow", "24/7", false, "2025-01-10 17:30", H(1), "2025-01-10 18:30" },
		{ "Europe/Moscow", "24/7", false, "2025-01-11 03:00", H(49), "2025-01-13 04:00" },
		{ "Europe/Moscow", "круглосуточно", false, "2025-01-13 23:59:30", S(45), "2025-01-14 00:00:15" },
		/* The always flag overrides the hours. */
		{ "Europe/Moscow", WEEKDAYS, true, "2025-01-11 03:00", H(25), "2025-01-12 04:00" },
		/* Real seconds: an hour from 01:30 on the spring-forward night is 03:30. */
		{ "Europe/Berlin", "24/7", false, "2025-03-30 01:30", H(1), "2025-03-30 03:30" },
		{ "Europe/Berlin", WEEKDAYS, true, "2025-10-26 01:00", H(3), "2025-10-26 03:00" },
	};
	check_add(rows, ARRAY_SIZE(rows));
}

static void test_sla_clock__daylight_saving_nights_are_shorter_and_longer(void **state)
{
	(void)state;
	static const struct add_case rows[] = {
		/* Berlin, 2025-03-30: 02:00 CET -> 03:00 CEST; the night span lasts 5 hours. */
		{ "Europe/Berlin", "Sun 00:00-06:00", false, "2025-03-23 00:00", H(6), "2025-03-23 06:00" },
		{ "Europe/Berlin", "Sun 00:00-06:00", false, "2025-03-30 00:00", H(5), "2025-03-30 06:00" },
		{ "Europe/Berlin", "Sun 00:00-06:00", false, "2025-03-30 00:00", H(5) + M(1), "2025-04-06 00:01" },
		{ "Europe/Berlin", "Sun 00:00-06:00", false, "2025-03-30 01:30", H(1), "2025-03-30 03:30" },
		{ "Europe/Berlin", "Sun 00:00-06:00", false, "2025-03-23 00:00", H(11), "2025-03-30 06:00" },
		/* Berlin, 2025-10-26: 03:00 CEST -> 02:00 CET; the night span lasts 7 hours. */
		{ "Europe/Berlin", "Sun 00:00-06:00", false, "2025-10-26 00:00", H(2) + M(30), "2025-10-26 02:30" },
		{ "Europe/Berlin", "Sun 00:00-06:00", false, "2025-10-26 00:00", H(6), "2025-10-26 05:00" },
		{ "Europe/Berlin", "Sun 00:00-06:00", false, "2025-10-26 00:00", H(7), "2025-10-26 06:00" },
		{ "Europe/Berlin", "Sun 00:00-06:00", false, "2025-10-26 00:00", H(7) + M(1), "2025-11-02 00:01" },
		/* New York, 2025-03-09 02:00 EST -> 03:00 EDT and 2025-11-02 02:00 EDT -> 01:00 EST. */
		{ "America/New_York", "Sun 00:00-06:00", false, "2025-03-09 00:00", H(5), "2025-03-09 06:00" },
		{ "America/New_York", "Sun 00:00-06:00", false, "2025-03-09 01:00", H(1), "2025-03-09 03:00" },
		{ "America/New_York", "Sun 00:00-06:00", false, "2025-11-02 00:00", H(7) - 1, "2025-11-02 05:59:59" },
		{ "America/New_York", "Sun 00:00-06:00", false, "2025-11-02 00:00", H(7), "2025-11-02 06:00" },
		{ "America/New_York", "Sun 00:00-06:00", false, "2025-11-02 03:00", H(3), "2025-11-02 06:00" },
		/* Moscow keeps +3 all year: six hours every Sunday. */
		{ "Europe/Moscow", "Sun 00:00-06:00", false, "2025-03-30 00:00", H(6), "2025-03-30 06:00" },
		{ "Europe/Moscow", "Sun 00:00-06:00", false, "2025-10-26 00:00", H(6) + 1, "2025-11-02 00:00:01" },
	};
	check_add(rows, ARRAY_SIZE(rows));
}

static void test_sla_clock__repeated_hour_counts_twice(void **state)
{
	(void)state;
	struct tz *tz = load("Europe/Berlin");
	struct hours night = parse_hours("Sun 00:00-06:00");
	struct sla_calendar cal = { tz, &night, false };
	int64_t start = at(tz, "2025-10-26 00:00");

	/* 02:30 the second time, in CET. */
	assert_instant(tz, sla_clock_add(&cal, start, H(3) + M(30)), utc(2025, 10, 26, 1, 30, 0), "02:30 CET");
	assert_int_equal(sla_clock_elapsed(&cal, start, at(tz, "2025-10-27 00:00")), H(7));

	/* A span ending inside the repeated hour opens again when the clocks go back. */
	struct hours early = parse_hours("Sun 01:00-02:30");
	cal.hours = &early;
	start = at(tz, "2025-10-26 01:00");
	assert_int_equal(sla_clock_elapsed(&cal, at(tz, "2025-10-26 00:00"), at(tz, "2025-10-27 00:00")), H(2));
	assert_instant(tz, sla_clock_add(&cal, start, H(1) + M(30)), utc(2025, 10, 26, 0, 30, 0), "02:30 CEST");
	assert_instant(tz, sla_clock_add(&cal, start, H(1) + M(31)), utc(2025, 10, 26, 1, 1, 0), "02:01 CET");
	assert_instant(tz, sla_clock_add(&cal, start, H(2)), utc(2025, 10, 26, 1, 30, 0), "02:30 CET");
	assert_instant(tz, sla_clock_add(&cal, start, H(2) + 1), at(tz, "2025-11-02 01:00:01"), "next Sunday");
	tz_free(tz);
}

static void test_sla_clock__span_ending_in_a_skipped_hour_closes_at_the_jump(void **state)
{
	(void)state;
	struct tz *tz = load("Europe/Berlin");
	struct hours h = parse_hours("Sun 01:00-02:30");
	struct sla_calendar cal = { tz, &h, false };
	int64_t start = at(tz, "2025-03-30 01:00");

	/* The clocks jump from 02:00 to 03:00, past the span's end. */
	assert_int_equal(sla_clock_elapsed(&cal, at(tz, "2025-03-30 00:00"), at(tz, "2025-03-31 00:00")), H(1));
	assert_instant(tz, sla_clock_add(&cal, start, H(1)), at(tz, "2025-03-30 03:00"), "at the jump");
	assert_instant(tz, sla_clock_add(&cal, start, H(1) + 1), at(tz, "2025-04-06 01:00:01"), "next Sunday");
	tz_free(tz);
}

static void test_sla_clock__same_instant_in_vladivostok_and_kaliningrad(void **state)
{
	(void)state;
	struct tz *vvo = load("Asia/Vladivostok"), *kgd = load("Europe/Kaliningrad");
	struct hours h = parse_hours(WEEKDAYS);
	struct sla_calendar east = { vvo, &h, false }, west = { kgd, &h, false };
	int64_t t = utc(2025, 1, 13, 6, 0, 0);

	/* Monday 16:00 in Vladivostok is 08:00 in Kaliningrad. */
	assert_int_equal(t, at(vvo, "2025-01-13 16:00"));
	assert_int_equal(t, at(kgd, "2025-01-13 08:00"));
	assert_instant(vvo, sla_clock_add(&east, t, H(3)), at(vvo, "2025-01-14 10:00"), "Vladivostok");
	assert_instant(vvo, sla_clock_add(&east, t, H(3)), utc(2025, 1, 14, 0, 0, 0), "Vladivostok, UTC");
	assert_instant(kgd, sla_clock_add(&west, t, H(3)), at(kgd, "2025-01-13 12:00"), "Kaliningrad");
	assert_instant(kgd, sla_clock_add(&west, t, H(3)), utc(2025, 1, 13, 10, 0, 0), "Kaliningrad, UTC");
	assert_int_equal(sla_clock_elapsed(&east, t, utc(2025, 1, 13, 12, 0, 0)), H(2));
	assert_int_equal(sla_clock_elapsed(&west, t, utc(2025, 1, 13, 12, 0, 0)), H(5));
	tz_free(vvo);
	tz_free(kgd);
}

static void test_sla_clock__never_open_store_has_no_deadline(void **state)
{
	(void)state;
	struct tz *tz = load("Europe/Moscow");
	struct hours never = { .n = 0 };
	struct sla_calendar cal = { tz, &never, false };
	int64_t t = at(tz, "2025-01-13 10:00");
	const struct sla_pause open_pause = { t + H(1), 0 };

	assert_true(sla_clock_add(&cal, t, 1) == SLA_NEVER);
	assert_true(sla_clock_add(&cal, t, 0) == t);
	assert_int_equal(sla_clock_elapsed(&cal, t, t + H(1000)), 0);
	assert_int_equal(sla_clock_day_seconds(&cal), 0);
	assert_true(sla_clock_deadline(&cal, t, H(4), NULL, 0) == SLA_NEVER);
	assert_true(sla_clock_deadline(&cal, t, H(4), &open_pause, 1) == SLA_NEVER);
	assert_int_equal(sla_clock_used(&cal, t, t + H(100), &open_pause, 1), 0);

	/* The always flag needs no hours at all. */
	cal = (struct sla_calendar){ NULL, NULL, true };
	assert_true(sla_clock_add(&cal, t, H(1)) == t + H(1));
	assert_int_equal(sla_clock_day_seconds(&cal), 86400);
	tz_free(tz);
}

static void test_sla_clock__walks_stop_at_the_horizon(void **state)
{
	(void)state;
	struct tz *tz = load("Europe/Moscow");
	struct hours minute = parse_hours("Sun 12:00-12:01");
	struct sla_calendar cal = { tz, &minute, false }, always = { NULL, NULL, true };
	int64_t t = at(tz, "2025-01-13 10:00");

	/* A minute a week: a year holds about 52 of them, a century about 5218. */
	assert_instant(tz, sla_clock_add(&cal, t, M(52)), at(tz, "2026-01-11 12:01"), "52 Sundays");
	assert_true(sla_clock_add(&cal, t, M(6000)) == SLA_NEVER);
	assert_true(sla_clock_add(&always, t, SLA_HORIZON + 1) == SLA_NEVER);
	assert_true(sla_clock_add(&always, INT64_MAX - 10, 100) == SLA_NEVER);
	assert_int_equal(sla_clock_elapsed(&always, t, SLA_NEVER), SLA_HORIZON);
	assert_int_equal(sla_clock_elapsed(&always, INT64_MIN, INT64_MAX), SLA_HORIZON);
	assert_int_equal(sla_clock_elapsed(&cal, t, t - 1), 0);
	/* Absurd instants give no deadline and no overflow. */
	assert_true(sla_clock_add(&cal, INT64_MAX - 1000, 10) == SLA_NEVER);
	assert_true(sla_clock_add(&cal, INT64_MIN, 10) == SLA_NEVER);
	assert_int_equal(sla_clock_elapsed(&cal, INT64_MAX - 1000, INT64_MAX), 0);
	assert_int_equal(sla_clock_elapsed(&cal, INT64_MIN, INT64_MIN + H(1)), 0);
	tz_free(tz);
}

/* sla_clock_day_seconds */

static void test_sla_clock__working_day_length(void **state)
{
	(void)state;
	static const struct {
		const char *hours;
		bool always;
		int64_t want;
	} rows[] = {
		{ WEEKDAYS, false, H(9) },
		{ "Mon-Fri 09:00-18:00, Sat 10:00-16:00", false, (H(45) + H(6)) / 6 },
		{ "Mon 09:00-13:00, Mon 14:00-18:00", false, H(8) },
		{ "Mon 10:00-22:00, Wed 09:00-12:00", false, (H(12) + H(3)) / 2 },
		/* A span counts for the day it starts on. */
		{ "Fri 22:00-02:00", false, H(4) },
		{ "Sun 22:00-06:00", false, H(8) },
		{ "Mon-Sun 22:00-06:00", false, H(8) },
		/* Whole days it runs through count too. */
		{ "Mon-Fri 00:00-24:00", false, H(24) },
		{ "Sat 22:00-24:00, Sun 00:00-24:00, Mon 00:00-02:00", false, H(28) / 2 },
		{ "24/7", false, H(24) },
		{ WEEKDAYS, true, H(24) },
	};
	struct tz *tz = load("Europe/Moscow");
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		struct hours h = parse_hours(rows[i].hours);
		struct sla_calendar cal = { tz, &h, rows[i].always };
		int64_t got = sla_clock_day_seconds(&cal);
		if (got != rows[i].want)
			fail_msg("[%s%s]: %lld s a day, want %lld", rows[i].hours,
				 rows[i].always ? ", always" : "", (long long)got, (long long)rows[i].want);
	}
	tz_free(tz);
}

static void test_sla_clock__thirty_working_days_compute_fast(void **state)
{
	(void)state;
	struct tz *msk = load("Europe/Moscow"), *ber = load("Europe/Berlin");
	struct hours h = parse_hours(WEEKDAYS);
	struct sla_calendar cal = { msk, &h, false }, berlin = { ber, &h, false };
	int64_t budget = 30 * sla_clock_day_seconds(&cal);

	/* Six weeks; a slow walk shows in the test's run time. */
	for (int i = 0; i < 200; i++) {
		assert_instant(msk, sla_clock_add(&cal, at(msk, "2025-01-13 09:00"), budget),
			       at(msk, "2025-02-21 18:00"), "Moscow");
		assert_instant(msk, sla_clock_add(&cal, at(msk, "2025-01-11 12:00"), budget),
			       at(msk, "2025-02-21 18:00"), "Moscow, from Saturday");
		assert_instant(ber, sla_clock_add(&berlin, at(ber, "2025-03-03 09:00"), budget),
			       at(ber, "2025-04-11 18:00"), "Berlin, over the spring change");
	}
	assert_int_equal(sla_clock_elapsed(&cal, at(msk, "2025-01-13 00:00"), at(msk, "2025-02-22 00:00")), budget);
	tz_free(msk);
	tz_free(ber);
}

/* Pauses: wall times in Moscow, Mon-Fri 09:00-18:00; to NULL is a pause still open. */

struct pause_case {
	const char *what, *start;
	int64_t budget;
	const char *pause[3][2];
	const char *want; /* NULL: SLA_PAUSED */
};

static size_t make_pauses(const struct tz *tz, const char *const wall[3][2], struct sla_pause *out)
{
	size_t n = 0;
	for (; n < 3 && wall[n][0]; n++)
		out[n] = (struct sla_pause){ at(tz, wall[n][0]), wall[n][1] ? at(tz, wall[n][1]) : 0 };
	return n;
}

static void test_sla_clock__deadline_with_pauses(void **state)
{
	(void)state;
	static const struct pause_case rows[] = {
		{ "no pause", "2025-01-13 10:00", H(4), { { NULL } }, "2025-01-13 14:00" },
		{ "pause inside working hours", "2025-01-13 10:00", H(4),
		  { { "2025-01-13 11:00", "2025-01-13 12:30" } }, "2025-01-13 15:30" },
		{ "pause over the closed night", "2025-01-13 16:00", H(4),
		  { { "2025-01-13 17:00", "2025-01-14 10:00" } }, "2025-01-14 13:00" },
		{ "resumed while closed", "2025-01-13 17:00", H(2),
		  { { "2025-01-13 17:30", "2025-01-13 19:00" } }, "2025-01-14 10:30" },
		{ "pause over the week end only", "2025-01-10 17:00", H(2),
		  { { "2025-01-11 10:00", "2025-01-12 12:00" } }, "2025-01-13 10:00" },
		{ "still paused", "2025-01-13 10:00", H(4), { { "2025-01-13 11:00", NULL } }, NULL },
		{ "breach before the pause", "2025-01-13 10:00", H(1),
		  { { "2025-01-13 12:00", "2025-01-14 12:00" } }, "2025-01-13 11:00" },
		{ "breach before an open pause", "2025-01-13 10:00", H(1),
		  { { "2025-01-13 12:00", NULL } }, "2025-01-13 11:00" },
		{ "runs out as the pause begins", "2025-01-13 10:00", H(2),
		  { { "2025-01-13 12:00", NULL } }, "2025-01-13 12:00" },
		{ "pause from before the start", "2025-01-13 10:00", H(1),
		  { { "2025-01-13 09:30", "2025-01-13 10:30" } }, "2025-01-13 11:30" },
		{ "open pause from before the start", "2025-01-13 10:00", H(1),
		  { { "2025-01-13 09:00", NULL } }, NULL },
		{ "pause over before the start", "2025-01-13 10:00", H(1),
		  { { "2025-01-10 12:00", "2025-01-10 13:00" } }, "2025-01-13 11:00" },
		{ "pause after the deadline", "2025-01-13 10:00", H(1),
		  { { "2025-01-14 10:00", "2025-01-14 11:00" } }, "2025-01-13 11:00" },
		{ "two pauses", "2025-01-13 10:00", H(4),
		  { { "2025-01-13 11:00", "2025-01-13 12:00" }, { "2025-01-13 13:00", "2025-01-13 14:00" } },
		  "2025-01-13 16:00" },
		{ "two pauses, then a third still open", "2025-01-13 10:00", H(4),
		  { { "2025-01-13 11:00", "2025-01-13 12:00" }, { "2025-01-13 13:00", "2025-01-13 14:00" },
		    { "2025-01-13 15:00", NULL } },
		  NULL },
		{ "breach between pauses", "2025-01-13 10:00", H(2),
		  { { "2025-01-13 11:00", "2025-01-13 12:00" }, { "2025-01-13 13:30", NULL } },
		  "2025-01-13 13:00" },
		{ "nothing to spend", "2025-01-13 10:00", 0, { { "2025-01-13 09:00", NULL } },
		  "2025-01-13 10:00" },
	};
	struct tz *tz = load("Europe/Moscow");
	struct hours h = parse_hours(WEEKDAYS);
	struct sla_calendar cal = { tz, &h, false };
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		const struct pause_case *r = &rows[i];
		struct sla_pause p[3];
		size_t n = make_pauses(tz, r->pause, p);
		int64_t start = at(tz, r->start);
		int64_t got = sla_clock_deadline(&cal, start, r->budget, n ? p : NULL, n);
		assert_instant(tz, got, r->want ? at(tz, r->want) : SLA_PAUSED, r->what);
		if (r->want && sla_clock_used(&cal, start, got, p, n) != r->budget)
			fail_msg("%s: sla_clock_used to the deadline is %lld", r->what,
				 (long long)sla_clock_used(&cal, start, got, p, n));
	}
	tz_free(tz);
}

static void test_sla_clock__used_leaves_out_pauses(void **state)
{
	(void)state;
	static const struct {
		const char *what, *start, *now;
		const char *pause[3][2];
		int64_t want;
	} rows[] = {
		{ "no pause", "2025-01-13 10:00", "2025-01-14 12:00", { { NULL } }, H(8) + H(3) },
		{ "one pause", "2025-01-13 10:00", "2025-01-14 12:00",
		  { { "2025-01-13 11:00", "2025-01-13 12:30" } }, H(6) + M(30) + H(3) },
		{ "open pause runs to now", "2025-01-13 10:00", "2025-01-14 12:00",
		  { { "2025-01-14 10:00", NULL } }, H(8) + H(1) },
		{ "a pause, then an open one", "2025-01-13 10:00", "2025-01-14 12:00",
		  { { "2025-01-13 11:00", "2025-01-13 12:30" }, { "2025-01-14 10:00", NULL } },
		  H(6) + M(30) + H(1) },
		{ "pause after now", "2025-01-13 10:00", "2025-01-14 12:00",
		  { { "2025-01-14 13:00", "2025-01-14 14:00" } }, H(11) },
		{ "pause from before the start", "2025-01-13 10:00", "2025-01-14 12:00",
		  { { "2025-01-13 09:00", "2025-01-13 11:00" } }, H(7) + H(3) },
		{ "pause over now", "2025-01-13 10:00", "2025-01-14 12:00",
		  { { "2025-01-14 11:00", "2025-01-14 15:00" } }, H(8) + H(2) },
		{ "now before the start", "2025-01-13 10:00", "2025-01-13 09:00", { { NULL } }, 0 },
		{ "still closed", "2025-01-11 10:00", "2025-01-13 09:00", { { NULL } }, 0 },
	};
	struct tz *tz = load("Europe/Moscow");
	struct hours h = parse_hours(WEEKDAYS);
	struct sla_calendar cal = { tz, &h, false };
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		struct sla_pause p[3];
		size_t n = make_pauses(tz, rows[i].pause, p);
		int64_t got = sla_clock_used(&cal, at(tz, rows[i].start), at(tz, rows[i].now), p, n);
		if (got != rows[i].want)
			fail_msg("%s: used %lld s, want %lld", rows[i].what, (long long)got,
				 (long long)rows[i].want);
	}
	tz_free(tz);
}

/* Properties over many starts, across daylight-saving weeks. */

static const char *const prop_zones[] = { "Europe/Berlin", "America/New_York", "Europe/Moscow",
					  "Australia/Lord_Howe" };
static const char *const prop_hours[] = {
	WEEKDAYS, "Fri 22:00-02:00", "Sun 00:00-06:00", "Sun 01:00-02:30, Wed 10:00-11:00",
	"Mon-Sun 01:00-04:00, Sat 10:00-16:30", "Sun 22:00-06:00, Tue 12:00-13:00",
};

static void test_sla_clock__elapsed_undoes_add(void **state)
{
	(void)state;
	static const int64_t durations[] = { 1, 59, H(1) + 7, H(4) + 7, H(27) };
	static const struct {
		int y, mon, d;
	} from[] = { { 2025, 3, 1 }, { 2025, 9, 25 }, { 2025, 10, 20 } };
	for (size_t z = 0; z < ARRAY_SIZE(prop_zones); z++) {
		struct tz *tz = load(prop_zones[z]);
		for (size_t k = 0; k < ARRAY_SIZE(prop_hours); k++) {
			struct hours h = parse_hours(prop_hours[k]);
			struct sla_calendar cal = { tz, &h, false };
			for (size_t f = 0; f < ARRAY_SIZE(from); f++) {
				int64_t s0 = tz_mktime(tz, from[f].y, from[f].mon, from[f].d, 0, 0, 0);
				for (int64_t s = s0; s < s0 + 20 * 86400; s += H(7) + M(13) + 17) {
					for (size_t i = 0; i < ARRAY_SIZE(durations); i++) {
						int64_t d = durations[i], end = sla_clock_add(&cal, s, d);
						if (end <= s || sla_clock_elapsed(&cal, s, end) != d ||
						    sla_clock_elapsed(&cal, end - 1, end) != 1)
							fail_msg("%s [%s] from %lld + %lld: %lld, back %lld",
								 prop_zones[z], prop_hours[k], (long long)s,
								 (long long)d, (long long)end,
								 (long long)sla_clock_elapsed(&cal, s, end));
					}
				}
			}
		}
		tz_free(tz);
	}
}

/*
 * Against a minute-by-minute count with hours_open_at(): these zones'
 * offsets are whole minutes, so a UTC minute is open or closed throughout.
 */
static void test_sla_clock__agrees_with_counting_minutes(void **state)
{
	(void)state;
	enum { MINUTES = 5 * 24 * 60 };
	static const struct {
		const char *zone;
		int y, mon, d; /* UTC midnight a couple of days before a change */
	} windows[] = {
		{ "Europe/Berlin", 2025, 3, 28 }, { "Europe/Berlin", 2025, 10, 24 },
		{ "America/New_York", 2025, 3, 7 }, { "America/New_York", 2025, 10, 31 },
		{ "Australia/Lord_Howe", 2025, 4, 4 }, { "Australia/Lord_Howe", 2025, 10, 3 },
		{ "Europe/Moscow", 2025, 3, 28 },
	};
	static int64_t open[MINUTES + 1]; /* open minutes before minute i of the window */
	unsigned seed = 2025;
	for (size_t w = 0; w < ARRAY_SIZE(windows); w++) {
		struct tz *tz = load(windows[w].zone);
		int64_t base = utc(windows[w].y, windows[w].mon, windows[w].d, 0, 0, 0);
		for (size_t k = 0; k < ARRAY_SIZE(prop_hours); k++) {
			struct hours h = parse_hours(prop_hours[k]);
			struct sla_calendar cal = { tz, &h, false };
			open[0] = 0;
			for (int i = 0; i < MINUTES; i++)
				open[i + 1] = open[i] + hours_open_at(&h, tz_minute_of_week(tz, base + M(i)));
			for (int round = 0; round < 300; round++) {
				int i = (int)(rand_r(&seed) % MINUTES), j = (int)(rand_r(&seed) % MINUTES);
				if (i > j) {
					int x = i;
					i = j;
					j = x;
				}
				int64_t got = sla_clock_elapsed(&cal, base + M(i), base + M(j));
				if (got != M(open[j] - open[i]))
					fail_msg("%s [%s] minutes %d..%d: %lld s, want %lld", windows[w].zone,
						 prop_hours[k], i, j, (long long)got,
						 (long long)M(open[j] - open[i]));
				/* The deadline of d open minutes is the minute that completes them. */
				int64_t d = open[j] - open[i];
				if (!d)
					continue;
				int e = i;
				while (open[e] - open[i] < d)
					e++;
				int64_t end = sla_clock_add(&cal, base + M(i), M(d));
				if (end != base + M(e))
					fail_msg("%s [%s] minute %d + %lld min: %lld, want minute %d",
						 windows[w].zone, prop_hours[k], i, (long long)d,
						 (long long)(end - base) / 60, e);
			}
		}
		tz_free(tz);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sla_clock__deadline_skips_nights_and_weekends),
		cmocka_unit_test(test_sla_clock__deadline_at_the_edges_of_a_span),
		cmocka_unit_test(test_sla_clock__deadline_over_midnight_and_the_week_end),
		cmocka_unit_test(test_sla_clock__deadline_skips_days_off),
		cmocka_unit_test(test_sla_clock__round_the_clock_counts_every_second),
		cmocka_unit_test(test_sla_clock__daylight_saving_nights_are_shorter_and_longer),
		cmocka_unit_test(test_sla_clock__repeated_hour_counts_twice),
		cmocka_unit_test(test_sla_clock__span_ending_in_a_skipped_hour_closes_at_the_jump),
		cmocka_unit_test(test_sla_clock__same_instant_in_vladivostok_and_kaliningrad),
		cmocka_unit_test(test_sla_clock__never_open_store_has_no_deadline),
		cmocka_unit_test(test_sla_clock__walks_stop_at_the_horizon),
		cmocka_unit_test(test_sla_clock__working_day_length),
		cmocka_unit_test(test_sla_clock__thirty_working_days_compute_fast),
		cmocka_unit_test(test_sla_clock__deadline_with_pauses),
		cmocka_unit_test(test_sla_clock__used_leaves_out_pauses),
		cmocka_unit_test(test_sla_clock__elapsed_undoes_add),
		cmocka_unit_test(test_sla_clock__agrees_with_counting_minutes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
