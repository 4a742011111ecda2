/*
 * Unit tests: time zones from TZif files, checked against known instants,
 * hand-made zone files, and glibc's localtime_r() (setenv("TZ") is fine
 * in a test, never in the daemon).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/common.h"
#include "core/hours.h"
#include "core/tz.h"
#include "tests/unit/zones.h"

#define HOUR 3600
#define DAY_S 86400


static void assert_local(const struct tz *tz, int64_t t, const char *want_wall, long off,
			 int isdst, const char *abbr)
{
	struct tm tm;
	char wall[64];
	tz_local(tz, t, &tm);
	snprintf(wall, sizeof(wall), "%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (strcmp(wall, want_wall) || tm.tm_gmtoff != off || tm.tm_isdst != isdst ||
	    strcmp(tm.tm_zone, abbr))
		fail_msg("%s at %lld: %s %+ld dst=%d %s, want %s %+ld dst=%d %s", tz_name(tz),
			 (long long)t, wall, tm.tm_gmtoff, tm.tm_isdst, tm.tm_zone, want_wall, off,
			 isdst, abbr);
	assert_int_equal(tz_offset(tz, t), off);
}

/* Hand-made zone files, in a temporary TZDIR. */

static char tzdir[] = "/tmp/tilldesk-tz-XXXXXX";
static char written[32][256];
static size_t nwritten;

static int tzdir_setup(void **state)
{
	(void)state;
	char sub[300];
	snprintf(tzdir, sizeof(tzdir), "/tmp/tilldesk-tz-XXXXXX");
	if (!mkdtemp(tzdir))
		return -1;
	snprintf(sub, sizeof(sub), "%s/Test", tzdir);
	if (mkdir(sub, 0700))
		return -1;
	nwritten = 0;
	setenv("TZDIR", tzdir, 1);
	return 0;
}

static int tzdir_teardown(void **state)
{
	(void)state;
	char sub[300];
	for (size_t i = 0; i < nwritten; i++)
		unlink(written[i]);
	snprintf(sub, sizeof(sub), "%s/Test", tzdir);
	rmdir(sub);
	rmdir(tzdir);
	unsetenv("TZDIR");
	return 0;
}

static void write_raw(const char *name, const void *data, size_t len)
{
	assert_true(nwritten < ARRAY_SIZE(written));
	char *path = written[nwritten++];
	snprintf(path, sizeof(written[0]), "%s/%s", tzdir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

struct ttype {
	int32_t off;
	uint8_t isdst, abbr;
};

struct zone_file {
	char version;             /* '\0' for version 1, else '2', '3', '4' */
	size_t ntrans;
	const int64_t *trans;
	const uint8_t *idx;
	size_t ntypes;
	const struct ttype *types;
	const char *abbrs;        /* NUL-separated */
	size_t abbrlen;
	uint32_t leapcnt;         /* leap records, all zero */
	const char *footer;       /* the TZ string; v2+ only */
	bool no_footer_newline;
};

struct bytes {
	unsigned char d[4096];
	size_t len;
};

static void put(struct bytes *b, const void *p, size_t n)
{
	if (!n)
		return;
	assert_true(b->len + n <= sizeof(b->d));
	memcpy(b->d + b->len, p, n);
	b->len += n;
}

static void put_be(struct bytes *b, uint64_t v, int size)
{
	for (int i = size - 1; i >= 0; i--) {
		unsigned char c = (unsigned char)(v >> (i * 8));
		put(b, &c, 1);
	}
}

static void put_block(struct bytes *b, const struct zone_file *z, int time_size)
{
	unsigned char zero[15] = { 0 };
	put(b, "TZif", 4);
	put(b, &z->version, 1);
	put(b, zero, 15);
	put_be(b, 0, 4);                /* isutcnt */
	put_be(b, 0, 4);                /* isstdcnt */
	put_be(b, z->leapcnt, 4);
	put_be(b, z->ntrans, 4);
	put_be(b, z->ntypes, 4);
	put_be(b, z->abbrlen, 4);
	for (size_t i = 0; i < z->ntrans; i++)
		put_be(b, (uint64_t)z->trans[i], time_size);
	put(b, z->idx, z->ntrans);
	for (size_t i = 0; i < z->ntypes; i++) {
		put_be(b, (uint32_t)z->types[i].off, 4);
		put(b, &z->types[i].isdst, 1);
		put(b, &z->types[i].abbr, 1);
	}
	put(b, z->abbrs, z->abbrlen);
	for (uint32_t i = 0; i < z->leapcnt; i++)
		put(b, zero, (size_t)time_size + 4);
}

static void write_zone(const char *name, const struct zone_file *z)
{
	struct bytes b = { .len = 0 };
	put_block(&b, z, 4);
	if (z->version) {
		put_block(&b, z, 8);
		put(&b, "\n", 1);
		put(&b, z->footer, strlen(z->footer));
		if (!z->no_footer_newline)
			put(&b, "\n", 1);
	}
	write_raw(name, b.d, b.len);
}

/* A version 2 file of no transitions whose footer is rule. */
static void write_footer_zone(const char *name, const char *rule, int32_t std_off,
			      const char *std_abbr)
{
	struct ttype type = { std_off, 0, 0 };
	struct zone_file z = { .version = '2', .ntypes = 1, .types = &type, .abbrs = std_abbr,
			       .abbrlen = strlen(std_abbr) + 1, .footer = rule };
	write_zone(name, &z);
}

/* Comparison with glibc. */

static void libc_zone(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset(); /* localtime_r() need not read TZ again */
}

static long libc_offset(int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;
	localtime_r(&tt, &tm);
	return tm.tm_gmtoff;
}

static void compare_at(const struct tz *tz, int64_t t, const char *what)
{
	struct tm a, b;
	time_t tt = (time_t)t;
	tz_local(tz, t, &a);
	assert_non_null(localtime_r(&tt, &b));
	if (a.tm_year != b.tm_year || a.tm_mon != b.tm_mon || a.tm_mday != b.tm_mday ||
	    a.tm_hour != b.tm_hour || a.tm_min != b.tm_min || a.tm_sec != b.tm_sec ||
	    a.tm_wday != b.tm_wday || a.tm_yday != b.tm_yday || a.tm_isdst != b.tm_isdst ||
	    a.tm_gmtoff != b.tm_gmtoff || strcmp(a.tm_zone, b.tm_zone))
		fail_msg("%s at %lld: ours %04d-%02d-%02d %02d:%02d:%02d w%d y%d %+ld dst=%d %s, "
			 "libc %04d-%02d-%02d %02d:%02d:%02d w%d y%d %+ld dst=%d %s", what,
			 (long long)t, a.tm_year + 1900, a.tm_mon + 1, a.tm_mday, a.tm_hour,
			 a.tm_min, a.tm_sec, a.tm_wday, a.tm_yday, a.tm_gmtoff, a.tm_isdst,
			 a.tm_zone, b.tm_year + 1900, b.tm_mon + 1, b.tm_mday, b.tm_hour, b.tm_min,
			 b.tm_sec, b.tm_wday, b.tm_yday, b.tm_gmtoff, b.tm_isdst, b.tm_zone);
	if (tz_offset(tz, t) != b.tm_gmtoff)
		fail_msg("%s at %lld: tz_offset disagrees with tz_local", what, (long long)t);
	unsigned mow = (unsigned)(((b.tm_wday + 6) % 7) * 1440 + b.tm_hour * 60 + b.tm_min);
	if (tz_minute_of_week(tz, t) != mow)
		fail_msg("%s at %lld: minute of week %u, want %u", what, (long long)t,
			 tz_minute_of_week(tz, t), mow);

	/* The wall time maps back to t, or to an earlier instant showing it. */
	int64_t r = tz_mktime(tz, a.tm_year + 1900, a.tm_mon + 1, a.tm_mday, a.tm_hour, a.tm_min,
			      a.tm_sec);
	if (r != t) {
		struct tm c;
		tz_local(tz, r, &c);
		if (r > t || c.tm_mday != a.tm_mday || c.tm_hour != a.tm_hour ||
		    c.tm_min != a.tm_min || c.tm_sec != a.tm_sec)
			fail_msg("%s: tz_mktime of the wall time at %lld gives %lld", what,
				 (long long)t, (long long)r);
	}
}

/*
 * Compares tz with glibc (TZ already set) every step seconds over [from, to),
 * and at each change of offset glibc shows, at the exact second it happens.
 */
static void compare_range(const struct tz *tz, int64_t from, int64_t to, int64_t step,
			  const char *what)
{
	long prev = libc_offset(from);
	for (int64_t t = from; t < to; t += step) {
		compare_at(tz, t, what);
		long now = libc_offset(t);
		if (now != prev) {
			int64_t lo = t - step, hi = t; /* offset changes in (lo, hi] */
			while (hi - lo > 1) {
				int64_t mid = lo + (hi - lo) / 2;
				if (libc_offset(mid) == now)
					hi = mid;
				else
					lo = mid;
			}
			compare_at(tz, hi - 1, what);
			compare_at(tz, hi, what);
		}
		prev = now;
	}
}

/* The tests. */

static void test_tz__bad_names_are_refused_before_any_file(void **state)
{
	(void)state;
	struct tz *tz = NULL;
	const char *bad[] = { "../etc/passwd", "/etc/localtime", "Europe/../../etc/passwd", "",
			      "Europe/Mos cow", "Europe\\Moscow", "Europe/Moscow;ls", "Europe/Moscow\n",
			      "Europe/./Moscow", "Москва" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (tz_load(&tz, bad[i]) != TD_EINVAL)
			fail_msg("'%s' was not refused", bad[i]);
		assert_false(tz_valid(bad[i]));
	}
	char longname[300];
	memset(longname, 'A', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(tz_load(&tz, longname), TD_EINVAL);
	assert_null(tz);
}

static void test_tz__unknown_zone_is_not_found(void **state)
{
	(void)state;
	struct tz *tz = NULL;
	assert_int_equal(tz_load(&tz, "Not/AZone"), TD_ENOTFOUND);
	assert_int_equal(tz_load(&tz, "Europe"), TD_ENOTFOUND); /* a directory */
	assert_null(tz);
	assert_false(tz_valid("Not/AZone"));
	assert_true(tz_valid("Europe/Moscow"));
	assert_true(tz_valid("Etc/GMT+5"));
	assert_true(tz_valid("America/Port-au-Prince"));
	assert_true(tz_valid("UTC"));
}

static void test_tz__moscow_is_plus_3_all_of_2025(void **state)
{
	(void)state;
	struct tz *tz = load("Europe/Moscow");
	assert_string_equal(tz_name(tz), "Europe/Moscow");
	for (int64_t t = utc(2025, 1, 1, 0, 0, 0); t < utc(2026, 1, 1, 0, 0, 0); t += 5 * HOUR + 7)
		assert_int_equal(tz_offset(tz, t), 3 * HOUR);
	assert_local(tz, utc(2025, 6, 1, 21, 30, 0), "2025-06-02 00:30:00", 3 * HOUR, 0, "MSK");
	/* 2014: Moscow left +4 for +3 at 02:00 local on 26 October. */
	assert_local(tz, utc(2014, 10, 25, 21, 59, 59), "2014-10-26 01:59:59", 4 * HOUR, 0, "MSK");
	assert_local(tz, utc(2014, 10, 25, 22, 0, 0), "2014-10-26 01:00:00", 3 * HOUR, 0, "MSK");
	tz_free(tz);
}

static void test_tz__vladivostok_and_kaliningrad(void **state)
{
	(void)state;
	struct tz *vl = load("Asia/Vladivostok"), *kl = load("Europe/Kaliningrad");
	assert_local(vl, utc(2025, 1, 1, 0, 0, 0), "2025-01-01 10:00:00", 10 * HOUR, 0, "+10");
	assert_local(vl, utc(2025, 7, 1, 14, 0, 0), "2025-07-02 00:00:00", 10 * HOUR, 0, "+10");
	assert_local(kl, utc(2025, 1, 1, 0, 0, 0), "2025-01-01 02:00:00", 2 * HOUR, 0, "EET");
	assert_local(kl, utc(2025, 7, 1, 22, 0, 0), "2025-07-02 00:00:00", 2 * HOUR, 0, "EET");
	/* Far past the data: the footer rule. */
	assert_int_equal(tz_offset(vl, utc(2300, 1, 1, 0, 0, 0)), 10 * HOUR);

	struct tm tm;
	tz_local(vl, utc(2025, 1, 1, 0, 0, 0), &tm);
	assert_int_equal(tm.tm_wday, 3); /* Wednesday */
	assert_int_equal(tm.tm_yday, 0);
	tz_local(vl, utc(2024, 12, 31, 14, 0, 0), &tm);
	assert_int_equal(tm.tm_yday, 0);
	tz_local(vl, utc(2024, 12, 31, 13, 59, 59), &tm);
	assert_int_equal(tm.tm_yday, 365); /* 2024 is a leap year */
	tz_free(vl);
	tz_free(kl);
}

static void test_tz__berlin_switches_at_the_exact_second(void **state)
{
	(void)state;
	struct tz *tz = load("Europe/Berlin");
	assert_local(tz, utc(2030, 1, 15, 12, 0, 0), "2030-01-15 13:00:00", HOUR, 0, "CET");
	assert_local(tz, utc(2030, 7, 15, 12, 0, 0), "2030-07-15 14:00:00", 2 * HOUR, 1, "CEST");
	assert_local(tz, utc(2030, 3, 31, 0, 59, 59), "2030-03-31 01:59:59", HOUR, 0, "CET");
	assert_local(tz, utc(2030, 3, 31, 1, 0, 0), "2030-03-31 03:00:00", 2 * HOUR, 1, "CEST");
	assert_local(tz, utc(2030, 10, 27, 0, 59, 59), "2030-10-27 02:59:59", 2 * HOUR, 1, "CEST");
	assert_local(tz, utc(2030, 10, 27, 1, 0, 0), "2030-10-27 02:00:00", HOUR, 0, "CET");
	tz_free(tz);
}

static void test_tz__berlin_after_the_last_transition_follows_the_footer(void **state)
{
	(void)state;
	/* Debian's files list transitions up to 2037; later years need the footer. */
	struct tz *tz = load("Europe/Berlin");
	assert_local(tz, utc(2045, 3, 26, 0, 59, 59), "2045-03-26 01:59:59", HOUR, 0, "CET");
	assert_local(tz, utc(2045, 3, 26, 1, 0, 0), "2045-03-26 03:00:00", 2 * HOUR, 1, "CEST");
	assert_local(tz, utc(2045, 10, 29, 0, 59, 59), "2045-10-29 02:59:59", 2 * HOUR, 1, "CEST");
	assert_local(tz, utc(2045, 10, 29, 1, 0, 0), "2045-10-29 02:00:00", HOUR, 0, "CET");
	assert_local(tz, utc(2100, 3, 28, 1, 0, 0), "2100-03-28 03:00:00", 2 * HOUR, 1, "CEST");
	assert_local(tz, utc(2100, 10, 31, 1, 0, 0), "2100-10-31 02:00:00", HOUR, 0, "CET");
	tz_free(tz);
}

static void test_tz__footer_alone_carries_berlin_in_2030(void **state)
{
	(void)state;
	/* A "slim" file: no transitions, everything from the footer. */
	write_footer_zone("Test/Slim", "CET-1CEST,M3.5.0,M10.5.0/3", HOUR, "CET");
	struct tz *slim = load("Test/Slim");
	unsetenv("TZDIR");
	struct tz *fat = load("Europe/Berlin");
	setenv("TZDIR", tzdir, 1);

	assert_local(slim, utc(2030, 1, 15, 12, 0, 0), "2030-01-15 13:00:00", HOUR, 0, "CET");
	assert_local(slim, utc(2030, 7, 15, 12, 0, 0), "2030-07-15 14:00:00", 2 * HOUR, 1, "CEST");
	assert_local(slim, utc(2030, 3, 31, 0, 59, 59), "2030-03-31 01:59:59", HOUR, 0, "CET");
	assert_local(slim, utc(2030, 3, 31, 1, 0, 0), "2030-03-31 03:00:00", 2 * HOUR, 1, "CEST");
	assert_local(slim, utc(2030, 10, 27, 0, 59, 59), "2030-10-27 02:59:59", 2 * HOUR, 1, "CEST");
	assert_local(slim, utc(2030, 10, 27, 1, 0, 0), "2030-10-27 02:00:00", HOUR, 0, "CET");
	/* The rule agrees with the file's own transitions since 1996. */
	for (int64_t t = utc(1996, 1, 1, 0, 0, 0); t < utc(2060, 1, 1, 0, 0, 0); t += 3 * HOUR + 1)
		if (tz_offset(slim, t) != tz_offset(fat, t))
			fail_msg("at %lld: slim %d, fat %d", (long long)t, tz_offset(slim, t),
				 tz_offset(fat, t));
	tz_free(slim);
	tz_free(fat);
}

static void test_tz__footer_rules_match_glibc(void **state)
{
	(void)state;
	static const struct {
		const char *rule;
		int32_t std_off;
		const char *std_abbr;
	} rules[] = {
		{ "CET-1CEST,M3.5.0,M10.5.0/3", HOUR, "CET" },
		{ "EST5EDT,M3.2.0,M11.1.0", -5 * HOUR, "EST" },
		{ "AEST-10AEDT,M10.1.0,M4.1.0/3", 10 * HOUR, "AEST" },         /* south */
		{ "<-02>2<-01>,M3.5.0/-1,M10.5.0/0", -2 * HOUR, "-02" },       /* negative time */
		{ "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", 37800, "+1030" },    /* half-hour DST */
		{ "IST-2IDT,M3.4.4/26,M10.5.0", 2 * HOUR, "IST" },              /* past midnight */
		{ "<-04>4<-03>,M9.1.6/24,M4.1.6/24", -4 * HOUR, "-04" },
		{ "NZST-12NZDT,M9.5.0,M4.1.0/3", 12 * HOUR, "NZST" },
		{ "XXX3YYY,J60/2,J300/2", -3 * HOUR, "XXX" },                   /* 1-based, no leap day */
		{ "XXX3YYY,59/2,299/2", -3 * HOUR, "XXX" },                     /* 0-based, leap day */
		{ "<+0545>-5:45", 20700, "+0545" },
		{ "<+10>-10", 10 * HOUR, "+10" },
		{ "UTC0", 0, "UTC" },
		{ "AAA+3:30:15BBB2,M5.5.0/1:02:03,M9.5.6/23:59:59", -12615, "AAA" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(rules); i++) {
		char name[32];
		snprintf(name, sizeof(name), "Test/Rule%zu", i);
		write_footer_zone(name, rules[i].rule, rules[i].std_off, rules[i].std_abbr);
		struct tz *tz = load(name);
		libc_zone(rules[i].rule);
		compare_range(tz, utc(1970, 1, 1, 0, 0, 0), utc(2101, 1, 1, 0, 0, 0), 7 * HOUR + 13,
			      rules[i].rule);
		tz_free(tz);
	}
	unsetenv("TZ");
	tzset();
}

static void test_tz__daylight_time_all_year(void **state)
{
	(void)state;
	/* RFC 8536: DST from 1 January 00:00 to 31 December 25:00 never ends. */
	write_footer_zone("Test/AllYear", "EST5EDT,0/0,J365/25", -5 * HOUR, "EST");
	struct tz *tz = load("Test/AllYear");
	for (int64_t t = utc(2020, 1, 1, 0, 0, 0); t < utc(2030, 1, 1, 0, 0, 0); t += HOUR + 1)
		if (tz_offset(tz, t) != -4 * HOUR)
			fail_msg("at %lld: %d", (long long)t, tz_offset(tz, t));
	assert_local(tz, utc(2024, 12, 31, 23, 0, 0), "2024-12-31 19:00:00", -4 * HOUR, 1, "EDT");
	assert_local(tz, utc(2025, 1, 1, 4, 0, 0), "2025-01-01 00:00:00", -4 * HOUR, 1, "EDT");
	assert_int_equal(tz_mktime(tz, 2025, 1, 1, 0, 0, 0), utc(2025, 1, 1, 4, 0, 0));
	tz_free(tz);
}

static void test_tz__rule_without_dates_follows_the_united_states(void **state)
{
	(void)state;
	write_footer_zone("Test/NoDates", "EST5EDT", -5 * HOUR, "EST");
	struct tz *tz = load("Test/NoDates");
	assert_int_equal(tz_offset(tz, utc(2030, 3, 10, 6, 59, 59)), -5 * HOUR);
	assert_int_equal(tz_offset(tz, utc(2030, 3, 10, 7, 0, 0)), -4 * HOUR);
	assert_int_equal(tz_offset(tz, utc(2030, 11, 3, 5, 59, 59)), -4 * HOUR);
	assert_int_equal(tz_offset(tz, utc(2030, 11, 3, 6, 0, 0)), -5 * HOUR);
	tz_free(tz);
}

static void test_tz__transitions_then_footer(void **state)
{
	(void)state;
	const int64_t trans[] = { utc(1950, 1, 1, 0, 0, 0), utc(2000, 1, 1, 0, 0, 0) };
	const uint8_t idx[] = { 1, 2 };
	const struct ttype types[] = { { 1234, 0, 0 }, { 2 * HOUR, 0, 4 }, { 5 * HOUR, 0, 8 } };
	struct zone_file z = { .version = '3', .ntrans = 2, .trans = trans, .idx = idx,
			       .ntypes = 3, .types = types, .abbrs = "LMT\0AAA\0+05",
			       .abbrlen = 12, .footer = "<+05>-5" };
	write_zone("Test/Steps", &z);
	struct tz *tz = load("Test/Steps");
	assert_local(tz, utc(1900, 1, 1, 0, 0, 0), "1900-01-01 00:20:34", 1234, 0, "LMT");
	assert_local(tz, utc(1949, 12, 31, 23, 59, 59), "1950-01-01 00:20:33", 1234, 0, "LMT");
	assert_local(tz, utc(1950, 1, 1, 0, 0, 0), "1950-01-01 02:00:00", 2 * HOUR, 0, "AAA");
	assert_local(tz, utc(2000, 1, 1, 0, 0, 0), "2000-01-01 05:00:00", 5 * HOUR, 0, "+05");
	assert_local(tz, utc(2200, 1, 1, 0, 0, 0), "2200-01-01 05:00:00", 5 * HOUR, 0, "+05");
	tz_free(tz);
}

static void test_tz__version_1_file_uses_the_32_bit_data(void **state)
{
	(void)state;
	const int64_t trans[] = { utc(2001, 1, 1, 0, 0, 0) };
	const uint8_t idx[] = { 1 };
	const struct ttype types[] = { { HOUR, 0, 0 }, { 3 * HOUR, 0, 4 } };
	struct zone_file z = { .version = '\0', .ntrans = 1, .trans = trans, .idx = idx,
			       .ntypes = 2, .types = types, .abbrs = "ONE\0TRE", .abbrlen = 8 };
	write_zone("Test/Old", &z);
	struct tz *tz = load("Test/Old");
	assert_int_equal(tz_offset(tz, utc(2000, 6, 1, 0, 0, 0)), HOUR);
	assert_local(tz, utc(2001, 1, 1, 0, 0, 0), "2001-01-01 03:00:00", 3 * HOUR, 0, "TRE");
	assert_int_equal(tz_offset(tz, utc(2100, 1, 1, 0, 0, 0)), 3 * HOUR); /* last type */
	tz_free(tz);
}

static void test_tz__malformed_files_are_not_found(void **state)
{
	(void)state;
	struct tz *tz = NULL;
	const int64_t trans[] = { 1000, 500 };
	const uint8_t idx[] = { 0, 0 }, bad_idx[] = { 0, 7 };
	const struct ttype types[] = { { HOUR, 0, 0 } }, far[] = { { 30 * HOUR, 0, 0 } },
			   bad_abbr[] = { { HOUR, 0, 9 } };
	struct zone_file good = { .version = '2', .ntypes = 1, .types = types, .abbrs = "CET",
				  .abbrlen = 4, .footer = "CET-1" };
	struct zone_file z;

	write_zone("Test/Good", &good);
	assert_true(tz_valid("Test/Good"));

	write_raw("Test/Empty", "", 0);
	write_raw("Test/Text", "Europe/Berlin\n", 14);
	struct bytes b = { .len = 0 };
	put_block(&b, &good, 4);
	write_raw("Test/Truncated", b.d, b.len - 1);
	write_raw("Test/NoV2", b.d, b.len); /* claims version 2, has only the v1 block */
	b.d[0] = 'X';
	write_raw("Test/Magic", b.d, b.len);

	z = good;
	z.footer = "CET";
	write_zone("Test/BadFooter", &z);
	z = good;
	z.footer = "CET-1CEST,M3.5.0";
	write_zone("Test/HalfRule", &z);
	z = good;
	z.footer = "CET-1CEST,M13.5.0,M10.5.0";
	write_zone("Test/Month13", &z);
	z = good;
	z.no_footer_newline = true;
	write_zone("Test/Unterminated", &z);
	z = good;
	z.ntrans = 2, z.trans = trans, z.idx = idx;
	write_zone("Test/Unsorted", &z);
	z = good;
	z.ntrans = 2, z.trans = (const int64_t[]){ 1, 2 }, z.idx = bad_idx;
	write_zone("Test/BadIndex", &z);
	z = good;
	z.types = far;
	write_zone("Test/FarOffset", &z);
	z = good;
	z.types = bad_abbr;
	write_zone("Test/BadAbbr", &z);
	z = good;
	z.leapcnt = 1;
	write_zone("Test/Leap", &z);

	const char *names[] = { "Test/Empty", "Test/Text", "Test/Truncated", "Test/NoV2", "Test/Magic",
				"Test/BadFooter", "Test/HalfRule", "Test/Month13", "Test/Unterminated",
				"Test/Unsorted", "Test/BadIndex", "Test/FarOffset", "Test/BadAbbr",
				"Test/Leap", "Test" };
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (tz_load(&tz, names[i]) != TD_ENOTFOUND)
			fail_msg("%s loaded", names[i]);
	assert_null(tz);
}

static void test_tz__mktime_round_trips(void **state)
{
	(void)state;
	struct tz *tz = load("Europe/Berlin");
	assert_int_equal(tz_mktime(tz, 2030, 1, 15, 13, 0, 0), utc(2030, 1, 15, 12, 0, 0));
	assert_int_equal(tz_mktime(tz, 2030, 7, 15, 14, 0, 0), utc(2030, 7, 15, 12, 0, 0));
	assert_int_equal(tz_mktime(tz, 2045, 7, 15, 14, 0, 0), utc(2045, 7, 15, 12, 0, 0));
	/* Fields carry over like mktime(). */
	assert_int_equal(tz_mktime(tz, 2030, 1, 32, 0, 0, 0), tz_mktime(tz, 2030, 2, 1, 0, 0, 0));
	assert_int_equal(tz_mktime(tz, 2030, 13, 1, 0, 0, 0), tz_mktime(tz, 2031, 1, 1, 0, 0, 0));
	assert_int_equal(tz_mktime(tz, 2030, 0, 1, 0, 0, 0), tz_mktime(tz, 2029, 12, 1, 0, 0, 0));
	assert_int_equal(tz_mktime(tz, 2030, 5, 1, 24, 0, 0), tz_mktime(tz, 2030, 5, 2, 0, 0, 0));
	assert_int_equal(tz_mktime(tz, 2030, 5, 1, 0, 0, -1), tz_mktime(tz, 2030, 4, 30, 23, 59, 59));
	tz_free(tz);

	tz = load("Asia/Vladivostok");
	assert_int_equal(tz_mktime(tz, 2025, 1, 1, 10, 0, 0), utc(2025, 1, 1, 0, 0, 0));
	tz_free(tz);
}

static void test_tz__mktime_in_a_gap_moves_forward(void **state)
{
	(void)state;
	struct tz *tz = load("Europe/Berlin");
	/* 2030-03-31 02:30 never shows in Berlin; read as CET it is 03:30 CEST. */
	int64_t t = tz_mktime(tz, 2030, 3, 31, 2, 30, 0);
	assert_int_equal(t, utc(2030, 3, 31, 1, 30, 0));
	assert_local(tz, t, "2030-03-31 03:30:00", 2 * HOUR, 1, "CEST");
	assert_int_equal(tz_mktime(tz, 2030, 3, 31, 2, 0, 0), utc(2030, 3, 31, 1, 0, 0));
	assert_int_equal(tz_mktime(tz, 2030, 3, 31, 1, 59, 59), utc(2030, 3, 31, 0, 59, 59));
	assert_int_equal(tz_mktime(tz, 2030, 3, 31, 3, 0, 0), utc(2030, 3, 31, 1, 0, 0));
	/* The same after the file's last transition. */
	assert_int_equal(tz_mktime(tz, 2045, 3, 26, 2, 30, 0), utc(2045, 3, 26, 1, 30, 0));
	tz_free(tz);

	tz = load("America/New_York");
	assert_int_equal(tz_mktime(tz, 2030, 3, 10, 2, 30, 0), utc(2030, 3, 10, 7, 30, 0));
	tz_free(tz);

	/* Samoa skipped 30 December 2011 whole, from -10 to +14. */
	tz = load("Pacific/Apia");
	t = tz_mktime(tz, 2011, 12, 30, 12, 0, 0);
	assert_int_equal(t, utc(2011, 12, 30, 22, 0, 0));
	assert_local(tz, t, "2011-12-31 12:00:00", 14 * HOUR, 1, "+14");
	tz_free(tz);
}

static void test_tz__mktime_in_an_overlap_takes_the_earlier(void **state)
{
	(void)state;
	struct tz *tz = load("Europe/Berlin");
	/* 2030-10-27 02:30 happens in CEST, then again in CET. */
	assert_int_equal(tz_mktime(tz, 2030, 10, 27, 2, 30, 0), utc(2030, 10, 27, 0, 30, 0));
	assert_int_equal(tz_mktime(tz, 2030, 10, 27, 3, 0, 0), utc(2030, 10, 27, 2, 0, 0));
	assert_int_equal(tz_mktime(tz, 2045, 10, 29, 2, 30, 0), utc(2045, 10, 29, 0, 30, 0));
	tz_free(tz);

	tz = load("Europe/Moscow");
	assert_int_equal(tz_mktime(tz, 2014, 10, 26, 1, 30, 0), utc(2014, 10, 25, 21, 30, 0));
	assert_int_equal(tz_mktime(tz, 2014, 10, 26, 2, 0, 0), utc(2014, 10, 25, 23, 0, 0));
	tz_free(tz);
}

static void test_tz__minute_of_week_starts_on_local_monday(void **state)
{
	(void)state;
	struct tz *tz = load("Europe/Moscow");
	/* 2025-01-06 is a Monday; 00:00 in Moscow is 21:00 UTC the day before. */
	assert_int_equal(tz_minute_of_week(tz, utc(2025, 1, 5, 21, 0, 0)), 0);
	assert_int_equal(tz_minute_of_week(tz, utc(2025, 1, 5, 20, 59, 59)), HOURS_WEEK - 1);
	assert_int_equal(tz_minute_of_week(tz, utc(2025, 1, 6, 6, 30, 0)), 9 * 60 + 30);
	tz_free(tz);

	tz = load("Asia/Vladivostok");
	struct hours h;
	assert_int_equal(hours_parse(&h, "Mon-Fri 09:00-21:00", NULL, 0), 0);
	/* 23:30 UTC on Sunday is Monday 09:30 in Vladivostok. */
	assert_true(hours_open_at(&h, tz_minute_of_week(tz, utc(2025, 1, 5, 23, 30, 0))));
	assert_false(hours_open_at(&h, tz_minute_of_week(tz, utc(2025, 1, 5, 22, 30, 0))));
	tz_free(tz);
}

static void test_tz__extreme_instants_do_not_overflow(void **state)
{
	(void)state;
	struct tz *tz = load("Europe/Berlin");
	struct tm tm;
	tz_local(tz, INT64_MAX, &tm);
	tz_local(tz, INT64_MIN, &tm);
	assert_int_equal(tz_offset(tz, INT64_MAX), tz_offset(tz, INT64_MAX - 1));
	(void)tz_minute_of_week(tz, INT64_MIN);
	(void)tz_mktime(tz, INT32_MAX, INT32_MAX, INT32_MAX, INT32_MAX, INT32_MAX, INT32_MAX);
	(void)tz_mktime(tz, INT32_MIN, INT32_MIN, INT32_MIN, INT32_MIN, INT32_MIN, INT32_MIN);
	tz_free(tz);
}

static const char *const cross_zones[] = {
	"Europe/Moscow", "Europe/Berlin", "Asia/Vladivostok", "Europe/Kaliningrad",
	"America/New_York", "Australia/Sydney", "Australia/Lord_Howe", "America/Sao_Paulo",
	"Asia/Kolkata", "Asia/Kathmandu", "Pacific/Chatham", "America/St_Johns",
	"Europe/Dublin", "Africa/Casablanca", "Antarctica/Troll", "Pacific/Apia",
	"Asia/Tehran", "America/Nuuk", "Asia/Gaza", "Europe/Samara", "Asia/Magadan", "UTC",
};

static void test_tz__agrees_with_glibc_1990_to_2040(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cross_zones); i++) {
		struct tz *tz = load(cross_zones[i]);
		libc_zone(cross_zones[i]);
		compare_range(tz, utc(1990, 1, 1, 0, 0, 0), utc(2040, 1, 1, 0, 0, 0), 7 * HOUR + 1,
			      cross_zones[i]);
		tz_free(tz);
	}
	unsetenv("TZ");
	tzset();
}

static void test_tz__agrees_with_glibc_1900_to_2200(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cross_zones); i++) {
		struct tz *tz = load(cross_zones[i]);
		libc_zone(cross_zones[i]);
		compare_range(tz, utc(1900, 1, 1, 0, 0, 0), utc(2200, 1, 1, 0, 0, 0),
			      3 * DAY_S + 7 * HOUR + 11, cross_zones[i]);
		tz_free(tz);
	}
	unsetenv("TZ");
	tzset();
}

/* One zone shared by threads that convert at once. */

struct worker {
	const struct tz *tz;
	const int32_t *want;
	size_t n;
	int64_t from, step;
	size_t bad;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	for (int round = 0; round < 5; round++)
		for (size_t i = 0; i < w->n; i++) {
			int64_t t = w->from + (int64_t)i * w->step;
			struct tm tm;
			tz_local(w->tz, t, &tm);
			if (tz_offset(w->tz, t) != w->want[i] || tm.tm_gmtoff != w->want[i])
				w->bad++;
		}
	return NULL;
}

static void test_tz__one_zone_is_shared_by_threads(void **state)
{
	(void)state;
	enum { N = 20000, THREADS = 4 };
	struct tz *tz = load("Europe/Berlin");
	int32_t *want = xcalloc(N, sizeof(*want));
	int64_t from = utc(2000, 1, 1, 0, 0, 0), step = 5 * HOUR + 3;
	for (size_t i = 0; i < N; i++)
		want[i] = tz_offset(tz, from + (int64_t)i * step);
	pthread_t th[THREADS];
	struct worker w[THREADS];
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ tz, want, N, from, step, 0 };
		assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(w[i].bad, 0);
	}
	free(want);
	tz_free(tz);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tz__bad_names_are_refused_before_any_file),
		cmocka_unit_test(test_tz__unknown_zone_is_not_found),
		cmocka_unit_test(test_tz__moscow_is_plus_3_all_of_2025),
		cmocka_unit_test(test_tz__vladivostok_and_kaliningrad),
		cmocka_unit_test(test_tz__berlin_switches_at_the_exact_second),
		cmocka_unit_test(test_tz__berlin_after_the_last_transition_follows_the_footer),
		cmocka_unit_test_setup_teardown(test_tz__footer_alone_carries_berlin_in_2030,
						tzdir_setup, tzdir_teardown),
		cmocka_unit_test_setup_teardown(test_tz__footer_rules_match_glibc, tzdir_setup,
						tzdir_teardown),
		cmocka_unit_test_setup_teardown(test_tz__daylight_time_all_year, tzdir_setup,
						tzdir_teardown),
		cmocka_unit_test_setup_teardown(test_tz__rule_without_dates_follows_the_united_states,
						tzdir_setup, tzdir_teardown),
		cmocka_unit_test_setup_teardown(test_tz__transitions_then_footer, tzdir_setup,
						tzdir_teardown),
		cmocka_unit_test_setup_teardown(test_tz__version_1_file_uses_the_32_bit_data,
						tzdir_setup, tzdir_teardown),
		cmocka_unit_test_setup_teardown(test_tz__malformed_files_are_not_found, tzdir_setup,
						tzdir_teardown),
		cmocka_unit_test(test_tz__mktime_round_trips),
		cmocka_unit_test(test_tz__mktime_in_a_gap_moves_forward),
		cmocka_unit_test(test_tz__mktime_in_an_overlap_takes_the_earlier),
		cmocka_unit_test(test_tz__minute_of_week_starts_on_local_monday),
		cmocka_unit_test(test_tz__extreme_instants_do_not_overflow),
		cmocka_unit_test(test_tz__agrees_with_glibc_1990_to_2040),
		cmocka_unit_test(test_tz__agrees_with_glibc_1900_to_2200),
		cmocka_unit_test(test_tz__one_zone_is_shared_by_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
