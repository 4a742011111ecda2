/*
 * tz.c - a reader of compiled zone files (TZif, RFC 8536) and of the POSIX
 * TZ rule in their footer, so that each thread can convert times for any
 * store without setenv("TZ") and the global state of localtime_r().
 */
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/common.h"
#include "core/tz.h"

#define TZ_DEFAULT_DIR "/usr/share/zoneinfo"
#define TZ_NAME_MAX 255
#define TZ_FILE_MAX (1 << 20)           /* real zone files are a few KiB */
#define TZ_T_LIMIT 10000000000000000LL  /* instants are clamped to +-1e16 s */
#define ABBR_MAX 16
/* RFC 8536 bounds on a UT offset; they also bound the search in tz_mktime(). */
#define UTOFF_MIN (-89999)
#define UTOFF_MAX 93599
#define DAY_SECONDS 86400

struct tz_type {
	int32_t utoff;
	bool isdst;
	uint32_t abbr; /* index into tz->abbrs */
};

/* One end of daylight time in a POSIX TZ rule. */
struct tz_rule {
	enum { RULE_JULIAN1, RULE_ZERO, RULE_MONTH } kind; /* Jn, n, Mm.w.d */
	int day;       /* Jn: 1-365, n: 0-365, Mm.w.d: d, 0 = Sunday */
	int week;      /* Mm.w.d: 1-5, 5 = last */
	int month;     /* Mm.w.d: 1-12 */
	int32_t time;  /* local seconds after midnight, -167 h to 167 h */
};

/* The footer: the zone's rule after its last transition. */
struct tz_posix {
	bool present;
	bool has_dst;
	int32_t std_off, dst_off; /* east positive, unlike the TZ string */
	char std_name[ABBR_MAX], dst_name[ABBR_MAX];
	struct tz_rule start, end; /* when daylight time starts and ends */
};

struct tz {
	char *name;
	uint32_t ntrans, ntypes;
	int64_t *trans;       /* strictly ascending */
	uint8_t *trans_type;  /* index into types, per transition */
	struct tz_type *types;
	char *abbrs;          /* NUL-separated abbreviations */
	struct tz_posix footer;
};

/* What is in force at an instant, and until when. */
struct tz_info {
	int32_t off;
	bool isdst;
	const char *abbr;
	int64_t until; /* the next instant anything may change; INT64_MAX if never */
};

/* Calendar arithmetic, proleptic Gregorian, on 64-bit day numbers. */

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
	return a - floor_div(a, b) * b;
}

static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int64_t y, int m)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return mdays[m - 1] + (m == 2 && is_leap(y));
}

/*
 * Days from 1970-01-01 to y-m-d (m 1-12, d 1-31). Counts in 400-year eras
 * of 146097 days, each starting on 1 March so that the leap day ends it.
 */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t ys = m <= 2 ? y - 1 : y;               /* year starting in March */
	int64_t era = floor_div(ys, 400);
	int64_t yoe = ys - era * 400;                  /* 0-399 */
	int64_t mar = m <= 2 ? m + 9 : m - 3;          /* 0 = March */
	int64_t doy = (153 * mar + 2) / 5 + d - 1;     /* day of the March year */
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;            /* 719468: 0000-03-01 to 1970 */
}

static void civil_from_days(int64_t days, int64_t *y, int *m, int *d)
{
	int64_t z = days + 719468;
	int64_t era = floor_div(z, 146097);
	int64_t doe = z - era * 146097;                                    /* 0-146096 */
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* 0-399 */
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mar = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mar + 2) / 5 + 1);
	*m = (int)(mar < 10 ? mar + 3 : mar - 9);
	*y = era * 400 + yoe + (*m <= 2);
}

static int64_t clamp_t(int64_t t)
{
	return t < -TZ_T_LIMIT ? -TZ_T_LIMIT : t > TZ_T_LIMIT ? TZ_T_LIMIT : t;
}

/* The POSIX TZ string of the footer. */

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* An abbreviation: three or more letters, or <...> of letters, digits, + and -. */
static bool posix_name(const char **pp, char *out)
{
	const char *p = *pp, *start;
	size_t len;
	if (*p == '<') {
		start = ++p;
		while (is_alpha(*p) || is_digit(*p) || *p == '+' || *p == '-')
			p++;
		if (*p != '>')
			return false;
		len = (size_t)(p - start);
		p++;
	} else {
		start = p;
		while (is_alpha(*p))
			p++;
		len = (size_t)(p - start);
	}
	if (len < 3 || len >= ABBR_MAX)
		return false;
	memcpy(out, start, len);
	out[len] = '\0';
	*pp = p;
	return true;
}

static bool posix_number(const char **pp, int max_digits, int *out)
{
	const char *p = *pp;
	int v = 0, n = 0;
	while (is_digit(*p) && n < max_digits) {
		v = v * 10 + (*p++ - '0');
		n++;
	}
	if (!n || is_digit(*p))
		return false;
	*out = v;
	*pp = p;
	return true;
}

/* [+-]h[h[h]][:mm[:ss]] in seconds, hours at most max_hours. */
static bool posix_hms(const char **pp, int max_hours, int32_t *out)
{
	const char *p = *pp;
	int sign = 1, h, m = 0, s = 0;
	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	if (!posix_number(&p, 3, &h) || h > max_hours)
		return false;
	if (*p == ':') {
		p++;
		if (!posix_number(&p, 2, &m) || m > 59)
			return false;
		if (*p == ':') {
			p++;
			if (!posix_number(&p, 2, &s) || s > 59)
				return false;
		}
	}
	*out = sign * (h * 3600 + m * 60 + s);
	*pp = p;
	return true;
}

/* Jn, n or Mm.w.d, then an optional /time (RFC 8536 allows -167 to 167 h). */
static bool posix_rule(const char **pp, struct tz_rule *r)
{
	const char *p = *pp;
	memset(r, 0, sizeof(*r));
	if (*p == 'J') {
		p++;
		r->kind = RULE_JULIAN1;
		if (!posix_number(&p, 3, &r->day) || r->day < 1 || r->day > 365)
			return false;
	} else if (*p == 'M') {
		p++;
		r->kind = RULE_MONTH;
		if (!posix_number(&p, 2, &r->month) || r->month < 1 || r->month > 12 || *p++ != '.' ||
		    !posix_number(&p, 1, &r->week) || r->week < 1 || r->week > 5 || *p++ != '.' ||
		    !posix_number(&p, 1, &r->day) || r->day > 6)
			return false;
	} else {
		r->kind = RULE_ZERO;
		if (!posix_number(&p, 3, &r->day) || r->day > 365)
			return false;
	}
	r->time = 2 * 3600;
	if (*p == '/') {
		p++;
		if (!posix_hms(&p, 167, &r->time))
			return false;
	}
	*pp = p;
	return true;
}

/* std offset [dst [offset] [,start[/time],end[/time]]] */
static bool posix_parse(const char *s, struct tz_posix *out)
{
	const char *p = s;
	int32_t v;
	memset(out, 0, sizeof(*out));
	if (!posix_name(&p, out->std_name) || !posix_hms(&p, 24, &v))
		return false;
	out->std_off = -v; /* POSIX counts hours west of Greenwich */
	out->dst_off = out->std_off;
	out->present = true;
	if (!*p)
		return true;
	if (!posix_name(&p, out->dst_name))
		return false;
	out->has_dst = true;
	out->dst_off = out->std_off + 3600;
	if (*p && *p != ',') {
		if (!posix_hms(&p, 24, &v))
			return false;
		out->dst_off = -v;
	}
	/* Without a rule, the United States' one, as tzcode and glibc assume. */
	const char *rules = *p ? p : ",M3.2.0,M11.1.0";
	if (*rules++ != ',' || !posix_rule(&rules, &out->start) || *rules++ != ',' ||
	    !posix_rule(&rules, &out->end) || *rules)
		return false;
	return true;
}

/* Day of year y (0 = 1 January) on which rule r falls. */
static int64_t rule_yday(const struct tz_rule *r, int64_t y)
{
	switch (r->kind) {
	case RULE_JULIAN1: /* 1-365, 29 February never counted */
		return r->day - 1 + (is_leap(y) && r->day >= 60);
	case RULE_ZERO:
		return r->day;
	case RULE_MONTH:
	default: {
		int64_t first = days_from_civil(y, r->month, 1);
		int wday = (int)floor_mod(first + 4, 7); /* 1970-01-01 was a Thursday */
		int mday = 1 + (r->day - wday + 7) % 7 + (r->week - 1) * 7;
		while (mday > month_days(y, r->month))
			mday -= 7;
		return first - days_from_civil(y, 1, 1) + mday - 1;
	}
	}
}

/* The UTC instant rule r fires in year y, local time read with offset off. */
static int64_t rule_instant(const struct tz_rule *r, int64_t y, int32_t off)
{
	return (days_from_civil(y, 1, 1) + rule_yday(r, y)) * DAY_SECONDS + r->time - off;
}

static void posix_lookup(const struct tz_posix *ps, int64_t t, struct tz_info *out)
{
	out->off = ps->std_off;
	out->isdst = false;
	out->abbr = ps->std_name;
	out->until = INT64_MAX;
	if (!ps->has_dst)
		return;

	/*
	 * A rule's instants in year y fall within a week of that year, so the
	 * last one at or before t is among the years Y-2..Y+1 and the next one
	 * after t among Y-1..Y+2. On a tie the later year wins, then the later
	 * of the pair: DST all year ("J1/0,J365/25") ends and restarts at one
	 * instant and stays on.
	 */
	int64_t y0, best_t = INT64_MIN;
	int m, d;
	bool best_dst = false;
	civil_from_days(floor_div(t, DAY_SECONDS), &y0, &m, &d);
	for (int64_t y = y0 - 2; y <= y0 + 2; y++) {
		int64_t on = rule_instant(&ps->start, y, ps->std_off);
		int64_t off = rule_instant(&ps->end, y, ps->dst_off);
		int64_t ev[2] = { on <= off ? on : off, on <= off ? off : on };
		bool ev_dst[2] = { on <= off, on > off };
		for (int i = 0; i < 2; i++) {
			if (ev[i] <= t && ev[i] >= best_t) {
				best_t = ev[i];
				best_dst = ev_dst[i];
			} else if (ev[i] > t && ev[i] < out->until) {
				out->until = ev[i];
			}
		}
	}
	if (best_dst) {
		out->off = ps->dst_off;
		out->isdst = true;
		out->abbr = ps->dst_name;
	}
}

static void type_info(const struct tz *tz, unsigned type, struct tz_info *out)
{
	out->off = tz->types[type].utoff;
	out->isdst = tz->types[type].isdst;
	out->abbr = tz->abbrs + tz->types[type].abbr;
}

static void lookup(const struct tz *tz, int64_t t, struct tz_info *out)
{
	t = clamp_t(t);
	if (tz->footer.present && (!tz->ntrans || t >= tz->trans[tz->ntrans - 1])) {
		posix_lookup(&tz->footer, t, out);
		return;
	}
	if (!tz->ntrans || t < tz->trans[0]) {
		type_info(tz, 0, out); /* RFC 8536: type 0 before the first transition */
		out->until = tz->ntrans ? tz->trans[0] : INT64_MAX;
		return;
	}
	uint32_t lo = 0, hi = tz->ntrans; /* the last trans[i] <= t is in [lo, hi) */
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (tz->trans[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	type_info(tz, tz->trans_type[lo], out);
	out->until = lo + 1 < tz->ntrans ? tz->trans[lo + 1] : INT64_MAX;
}

/* Reading the file. */

struct tzif_header {
	char version;
	uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

static int32_t be32s(const unsigned char *p)
{
	uint32_t u = be32(p);
	return u <= INT32_MAX ? (int32_t)u : (int32_t)(u - 0x80000000u) + INT32_MIN;
}

#define TZIF_HEADER_SIZE 44

static bool read_header(const unsigned char *p, size_t len, struct tzif_header *h)
{
	if (len < TZIF_HEADER_SIZE || memcmp(p, "TZif", 4))
		return false;
	h->version = (char)p[4];
	h->isutcnt = be32(p + 20);
	h->isstdcnt = be32(p + 24);
	h->leapcnt = be32(p + 28);
	h->timecnt = be32(p + 32);
	h->typecnt = be32(p + 36);
	h->charcnt = be32(p + 40);
	return h->typecnt && h->charcnt && h->typecnt <= 256 &&
	       (!h->isutcnt || h->isutcnt == h->typecnt) &&
	       (!h->isstdcnt || h->isstdcnt == h->typecnt);
}

/* Bytes of the data block after h, with times of time_size bytes. */
static size_t block_size(const struct tzif_header *h, size_t time_size)
{
	return (size_t)h->timecnt * (time_size + 1) + (size_t)h->typecnt * 6 + h->charcnt +
	       (size_t)h->leapcnt * (time_size + 4) + h->isstdcnt + h->isutcnt;
}

/* Fills tz from the data block at p (block_size() bytes, checked). */
static bool read_block(struct tz *tz, const struct tzif_header *h, const unsigned char *p,
		       size_t time_size)
{
	/* Leap-second files (right/) count TAI-like seconds; not supported. */
	if (h->leapcnt)
		return false;
	tz->ntrans = h->timecnt;
	tz->ntypes = h->typecnt;
	tz->trans = xcalloc(h->timecnt, sizeof(*tz->trans));
	tz->trans_type = xcalloc(h->timecnt, 1);
	tz->types = xcalloc(h->typecnt, sizeof(*tz->types));
	tz->abbrs = xcalloc(h->charcnt + 1, 1);

	for (uint32_t i = 0; i < h->timecnt; i++, p += time_size) {
		tz->trans[i] = time_size == 8 ? be64(p) : be32s(p);
		if (i && tz->trans[i] <= tz->trans[i - 1])
			return false;
	}
	for (uint32_t i = 0; i < h->timecnt; i++, p++) {
		if (*p >= h->typecnt)
			return false;
		tz->trans_type[i] = *p;
	}
	for (uint32_t i = 0; i < h->typecnt; i++, p += 6) {
		struct tz_type *ty = &tz->types[i];
		ty->utoff = be32s(p);
		ty->isdst = p[4];
		ty->abbr = p[5];
		if (ty->utoff < UTOFF_MIN || ty->utoff > UTOFF_MAX || p[4] > 1 || p[5] >= h->charcnt)
			return false;
	}
	memcpy(tz->abbrs, p, h->charcnt); /* the extra NUL ends a last unterminated one */
	return true;
}

static bool parse_tzif(struct tz *tz, const unsigned char *data, size_t len)
{
	struct tzif_header h;
	if (!read_header(data, len, &h))
		return false;
	size_t off = TZIF_HEADER_SIZE, size = block_size(&h, 4);
	if (size > len - off)
		return false;
	if (h.version == '\0') /* version 1: 32-bit data only, no footer */
		return read_block(tz, &h, data + off, 4);

	off += size;
	if (!read_header(data + off, len - off, &h))
		return false;
	off += TZIF_HEADER_SIZE;
	size = block_size(&h, 8);
	if (size > len - off || !read_block(tz, &h, data + off, 8))
		return false;
	off += size;

	/* The footer: "\n" TZ string "\n"; an empty string means no rule. */
	if (off >= len || data[off] != '\n')
		return false;
	const unsigned char *start = data + off + 1;
	const unsigned char *end = memchr(start, '\n', len - off - 1);
	if (!end)
		return false;
	if (end == start)
		return true;
	char footer[128];
	size_t flen = (size_t)(end - start);
	if (flen >= sizeof(footer) || memchr(start, '\0', flen))
		return false;
	memcpy(footer, start, flen);
	footer[flen] = '\0';
	return posix_parse(footer, &tz->footer);
}

/* Reads the whole regular file at path into a malloc'd buffer. */
static int read_file(const char *path, unsigned char **out, size_t *out_len)
{
	int rc = TD_ENOTFOUND;
	unsigned char *data = NULL;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return TD_ENOTFOUND;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > TZ_FILE_MAX)
		goto done;
	size_t len = (size_t)st.st_size, got = 0;
	data = xmalloc(len);
	while (got < len) {
		ssize_t r = read(fd, data + got, len - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			goto done;
		got += (size_t)r;
	}
	*out = data;
	*out_len = len;
	data = NULL;
	rc = 0;
done:
	free(data);
	close(fd);
	return rc;
}

static bool name_ok(const char *name)
{
	size_t len = strlen(name);
	if (!len || len > TZ_NAME_MAX || name[0] == '/' || strstr(name, ".."))
		return false;
	for (const char *p = name; *p; p++)
		if (!is_alpha(*p) && !is_digit(*p) && !strchr("/_+-", *p))
			return false;
	return true;
}

int tz_load(struct tz **out, const char *name)
{
	char path[PATH_MAX];
	unsigned char *data = NULL;
	size_t len = 0;
	struct tz *tz = NULL;
	int rc;

	if (!name_ok(name))
		return TD_EINVAL;
	const char *dir = getenv("TZDIR");
	if (!dir || !*dir)
		dir = TZ_DEFAULT_DIR;
	int w = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (w < 0 || (size_t)w >= sizeof(path))
		return TD_ENOTFOUND;
	if ((rc = read_file(path, &data, &len)))
		goto done;
	tz = xcalloc(1, sizeof(*tz));
	if (!parse_tzif(tz, data, len)) {
		rc = TD_ENOTFOUND;
		goto done;
	}
	tz->name = xstrdup(name);
	*out = tz;
	tz = NULL;
done:
	tz_free(tz);
	free(data);
	return rc;
}

void tz_free(struct tz *tz)
{
	if (!tz)
		return;
	free(tz->name);
	free(tz->trans);
	free(tz->trans_type);
	free(tz->types);
	free(tz->abbrs);
	free(tz);
}

bool tz_valid(const char *name)
{
	struct tz *tz;
	if (tz_load(&tz, name))
		return false;
	tz_free(tz);
	return true;
}

const char *tz_name(const struct tz *tz)
{
	return tz->name;
}

int32_t tz_offset(const struct tz *tz, int64_t t)
{
	struct tz_info in;
	lookup(tz, t, &in);
	return in.off;
}

void tz_local(const struct tz *tz, int64_t t, struct tm *out)
{
	struct tz_info in;
	int64_t y;
	int m, d;

	t = clamp_t(t);
	lookup(tz, t, &in);
	int64_t local = t + in.off;
	int64_t days = floor_div(local, DAY_SECONDS);
	int64_t secs = local - days * DAY_SECONDS;
	civil_from_days(days, &y, &m, &d);

	memset(out, 0, sizeof(*out));
	out->tm_year = (int)(y - 1900);
	out->tm_mon = m - 1;
	out->tm_mday = d;
	out->tm_hour = (int)(secs / 3600);
	out->tm_min = (int)(secs / 60 % 60);
	out->tm_sec = (int)(secs % 60);
	out->tm_wday = (int)floor_mod(days + 4, 7);
	out->tm_yday = (int)(days - days_from_civil(y, 1, 1));
	out->tm_isdst = in.isdst;
	out->tm_gmtoff = in.off;
	out->tm_zone = in.abbr;
}

int64_t tz_mktime(const struct tz *tz, int y, int mon, int day, int h, int min, int s)
{
	int64_t ym = (int64_t)y * 12 + ((int64_t)mon - 1);
	int64_t yy = floor_div(ym, 12);
	int mm = (int)(ym - yy * 12) + 1;
	int64_t local = (days_from_civil(yy, mm, 1) + (int64_t)day - 1) * DAY_SECONDS +
			(int64_t)h * 3600 + (int64_t)min * 60 + s;
	local = clamp_t(local);

	/*
	 * Any answer t satisfies t + offset(t) == local, and offsets are bounded,
	 * so t lies in [local - UTOFF_MAX, local - UTOFF_MIN]. Walk the stretches
	 * of constant rule over that window: the first that maps onto local gives
	 * the earliest answer. If local falls between two stretches (a gap), read
	 * it with the earlier stretch's offset.
	 */
	struct tz_info in;
	int64_t seg = local - UTOFF_MAX, gap_answer = 0;
	bool past_end = false;
	for (int i = 0; i < 64 && seg <= local - UTOFF_MIN; i++) {
		lookup(tz, seg, &in);
		int64_t cand = local - in.off;
		if (cand >= seg && cand < in.until)
			return cand;
		if (cand < seg && past_end)
			return gap_answer;
		past_end = cand >= in.until;
		gap_answer = cand;
		if (in.until == INT64_MAX)
			break;
		seg = in.until;
	}
	return local - tz_offset(tz, local);
}

unsigned tz_minute_of_week(const struct tz *tz, int64_t t)
{
	t = clamp_t(t);
	int64_t local = t + tz_offset(tz, t);
	int64_t days = floor_div(local, DAY_SECONDS);
	int64_t monday0 = floor_mod(days + 3, 7); /* 1970-01-01 was a Thursday */
	return (unsigned)(monday0 * 24 * 60 + floor_mod(local, DAY_SECONDS) / 60);
}

long tz_day(const struct tz *tz, int64_t t)
{
	t = clamp_t(t);
	return (long)floor_div(t + (tz ? tz_offset(tz, t) : 0), DAY_SECONDS);
}

int tz_keep(struct tz_kept *k, const char *name)
{
	if (!strcmp(k->name, name))
		return 0;
	tz_free(k->tz);
	k->tz = NULL;
	snprintf(k->name, sizeof(k->name), "%s", name);
	return tz_load(&k->tz, name) ? TD_ENOTFOUND : 0;
}

void tz_kept_release(struct tz_kept *k)
{
	tz_free(k->tz);
	*k = (struct tz_kept){ 0 };
}
