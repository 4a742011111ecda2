/*
 * hours.c - parse, format and query a store's weekly working hours.
 *
 * The parser paints each item onto a bitmap of the week's minutes, so
 * overlaps and adjacent items merge for free, then reads the spans back.
 */
#include "core/common.h"
#include "core/hours.h"

#define DAY_MINUTES (24 * 60)
#define WEEK_WORDS ((HOURS_WEEK + 63) / 64)

static const char *const day_en[7] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
/* Lower case, as fold_word() leaves them. */
static const char *const day_en_lower[7] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };
static const char *const day_ru_lower[7] = { "пн", "вт", "ср", "чт", "пт", "сб", "вс" };

struct parser {
	uint64_t week[WEEK_WORDS]; /* bit m set: open at minute m */
	char *err;
	size_t errlen;
};

static int fail(struct parser *ps, const char *fmt, ...) TD_PRINTF(2, 3);

static int fail(struct parser *ps, const char *fmt, ...)
{
	if (ps->err && ps->errlen) {
		va_list ap;
		va_start(ap, fmt);
		utf8_vsnprintf(ps->err, ps->errlen, fmt, ap);
		va_end(ap);
	}
	return TD_EINVAL;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static const char *skip_space(const char *p)
{
	while (is_space(*p))
		p++;
	return p;
}

/* Length of the dash at p: '-', or an en or em dash typed by a phone. */
static size_t dash_len(const char *p)
{
	if (*p == '-')
		return 1;
	if (!strncmp(p, "\xE2\x80\x93", 3) || !strncmp(p, "\xE2\x80\x94", 3))
		return 3;
	return 0;
}

/* Length of the piece at p to quote in an error: up to a space, comma or dash. */
static int token_len(const char *p)
{
	const char *q = p;
	while (*q && !is_space(*q) && *q != ',' && !dash_len(q))
		q++;
	return (int)(q - p);
}

/* Length of the rest of the item at p, trailing spaces dropped. */
static int item_len(const char *p)
{
	const char *q = p + strcspn(p, ",");
	while (q > p && is_space(q[-1]))
		q--;
	return (int)(q - p);
}

/* Letters of a word: ASCII letters and any UTF-8 multibyte character but a dash. */
static size_t word_len(const char *p)
{
	size_t n = 0;
	for (;;) {
		unsigned char c = (unsigned char)p[n];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= 0x80 && !dash_len(p + n)))
			n++;
		else
			return n;
	}
}

/*
 * Copies len bytes of s into out, lower-casing ASCII and the Russian
 * alphabet (UTF-8). Returns false when out is too small.
 */
static bool fold_word(const char *s, size_t len, char *out, size_t outlen)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = p[i], c2 = i + 1 < len ? p[i + 1] : 0;
		if (o + 3 > outlen)
			return false;
		if (c >= 'A' && c <= 'Z') {
			out[o++] = (char)(c - 'A' + 'a');
		} else if (c == 0xD0 && c2 >= 0x90 && c2 <= 0x9F) { /* А-П */
			out[o++] = (char)0xD0;
			out[o++] = (char)(c2 + 0x20);
			i++;
		} else if (c == 0xD0 && c2 >= 0xA0 && c2 <= 0xAF) { /* Р-Я */
			out[o++] = (char)0xD1;
			out[o++] = (char)(c2 - 0x20);
			i++;
		} else if (c == 0xD0 && c2 == 0x81) { /* Ё */
			out[o++] = (char)0xD1;
			out[o++] = (char)0x91;
			i++;
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
	return true;
}

static bool word_is(const char *s, size_t len, const char *lower)
{
	char folded[64];
	return fold_word(s, len, folded, sizeof(folded)) && !strcmp(folded, lower);
}

static int day_lookup(const char *s, size_t len)
{
	for (int d = 0; d < 7; d++)
		if (word_is(s, len, day_en_lower[d]) || word_is(s, len, day_ru_lower[d]))
			return d;
	return -1;
}

/* Parses one day name at *pp; advances *pp past it. */
static int parse_day(struct parser *ps, const char **pp, int *out)
{
	const char *p = *pp;
	size_t len = word_len(p);
	if (!len) {
		if (!*p)
			return fail(ps, "missing day name at the end");
		return fail(ps, "expected a day name at '%.*s'", item_len(p), p);
	}
	int d = day_lookup(p, len);
	if (d < 0)
		return fail(ps, "unknown day '%.*s' (use Mon..Sun or Пн..Вс)", (int)len, p);
	*out = d;
	*pp = p + len;
	return 0;
}

/* Parses DAYS at *pp: a day or a range of days. */
static int parse_days(struct parser *ps, const char **pp, int *first, int *last)
{
	const char *p = *pp;
	int rc = parse_day(ps, &p, first);
	if (rc)
		return rc;
	*last = *first;
	const char *q = skip_space(p);
	size_t dl = dash_len(q);
	if (dl) {
		q = skip_space(q + dl);
		if ((rc = parse_day(ps, &q, last)))
			return rc;
		p = q;
	}
	*pp = p;
	return 0;
}

/*
 * Parses H:MM or HH:MM at *pp into minutes of the day. 24:00 is allowed
 * only when is_end. what names the time in errors ("start", "end"), item
 * is the whole item.
 */
static int parse_time(struct parser *ps, const char **pp, const char *item, bool is_end,
		      const char *what, int *out)
{
	const char *p = *pp;
	int tl = token_len(p);
	if (!tl)
		return fail(ps, "missing %s time in '%.*s'", what, item_len(item), item);

	int h = 0, m = 0, hd = 0;
	while (hd < 3 && p[hd] >= '0' && p[hd] <= '9') {
		h = h * 10 + (p[hd] - '0');
		hd++;
	}
	bool ok = hd >= 1 && hd <= 2 && p[hd] == ':' &&
		  p[hd + 1] >= '0' && p[hd + 1] <= '9' && p[hd + 2] >= '0' && p[hd + 2] <= '9';
	if (ok) {
		m = (p[hd + 1] - '0') * 10 + (p[hd + 2] - '0');
		ok = tl == hd + 3 && m < 60 && (h < 24 || (h == 24 && m == 0));
	}
	if (!ok)
		return fail(ps, "bad %s time '%.*s' (use HH:MM, 00:00 to 24:00)", what, tl, p);
	if (h == 24 && !is_end)
		return fail(ps, "bad start time '%.*s' (24:00 can only end a span)", tl, p);
	*out = h * 60 + m;
	*pp = p + tl;
	return 0;
}

static void week_set(struct parser *ps, unsigned from, unsigned to)
{
	for (unsigned m = from; m < to; m++) {
		unsigned w = m % HOURS_WEEK;
		ps->week[w / 64] |= (uint64_t)1 << (w % 64);
	}
}

static bool week_get(const struct parser *ps, unsigned m)
{
	return ps->week[m / 64] >> (m % 64) & 1;
}

/* Reads the bitmap back as spans; returns how many there are (may exceed max). */
static unsigned week_spans(const struct parser *ps, struct hours_span *span, unsigned max)
{
	unsigned n = 0;
	for (unsigned m = 0; m < HOURS_WEEK;) {
		if (!week_get(ps, m)) {
			m++;
			continue;
		}
		unsigned start = m;
		while (m < HOURS_WEEK && week_get(ps, m))
			m++;
		if (span && n < max)
			span[n] = (struct hours_span){ (uint16_t)start, (uint16_t)m };
		n++;
	}
	return n;
}

/* Parses one item "DAYS START-END" at *pp and paints it. */
static int parse_item(struct parser *ps, const char **pp)
{
	const char *item = *pp, *p = *pp;
	int first, last, start, end, rc;

	if ((rc = parse_days(ps, &p, &first, &last)))
		return rc;
	p = skip_space(p);
	if (!*p || *p == ',')
		return fail(ps, "'%.*s' needs hours, like '%.*s 09:00-18:00'", item_len(item), item,
			    item_len(item), item);
	const char *times = p;
	if ((rc = parse_time(ps, &p, item, false, "start", &start)))
		return rc;
	p = skip_space(p);
	size_t dl = dash_len(p);
	if (!dl)
		return fail(ps, "missing end time in '%.*s' (write START-END)", item_len(item), item);
	p = skip_space(p + dl);
	if ((rc = parse_time(ps, &p, item, true, "end", &end)))
		return rc;
	if (start == end)
		return fail(ps, "empty span '%.*s': the end equals the start", (int)(p - times), times);

	const char *rest = skip_space(p);
	if (*rest && *rest != ',')
		return fail(ps, "unexpected '%.*s' after '%.*s'", item_len(rest), rest,
			    (int)(p - item), item);

	/* An end at or before the start is on the next day. */
	unsigned len = (unsigned)(end > start ? end - start : DAY_MINUTES - start + end);
	for (int d = first;; d = (d + 1) % 7) {
		unsigned from = (unsigned)(d * DAY_MINUTES + start);
		week_set(ps, from, from + len);
		if (d == last)
			break;
	}
	if (week_spans(ps, NULL, 0) > HOURS_MAX_SPANS)
		return fail(ps, "too many spans at '%.*s' (at most %d over the week)",
			    item_len(item), item, HOURS_MAX_SPANS);
	*pp = rest;
	return 0;
}

static bool is_always_word(const char *text)
{
	const char *p = skip_space(text);
	size_t len = strlen(p);
	while (len && is_space(p[len - 1]))
		len--;
	return (len == 4 && !strncmp(p, "24/7", 4)) || word_is(p, len, "круглосуточно");
}

int hours_parse(struct hours *out, const char *text, char *err, size_t errlen)
{
	struct parser ps = { .err = err, .errlen = errlen };
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (is_always_word(text)) {
		out->n = 1;
		out->span[0] = (struct hours_span){ 0, HOURS_WEEK };
		return 0;
	}
	const char *p = skip_space(text);
	if (!*p)
		return fail(&ps, "no hours given (write e.g. 'Mon-Fri 09:00-18:00' or '24/7')");
	for (;;) {
		p = skip_space(p);
		if (!*p)
			return fail(&ps, "nothing after the last ','");
		if (*p == ',')
			return fail(&ps, "empty item: a stray ',' before '%.*s'",
				    item_len(skip_space(p + 1)), skip_space(p + 1));
		if ((rc = parse_item(&ps, &p)))
			return rc;
		if (!*p)
			break;
		p++; /* the comma */
	}
	out->n = week_spans(&ps, out->span, HOURS_MAX_SPANS);
	return 0;
}

/* Formatting. */

struct piece {
	uint16_t start, end; /* minutes of the day; end <= start: into the next day */
};

struct day_pieces {
	unsigned n;
	struct piece p[HOURS_MAX_SPANS + 1];
};

struct out {
	char *s;
	size_t n, len;
	bool overflow;
};

static void out_printf(struct out *o, const char *fmt, ...) TD_PRINTF(2, 3);

static void out_printf(struct out *o, const char *fmt, ...)
{
	if (o->overflow)
		return;
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(o->s + o->len, o->n - o->len, fmt, ap);
	va_end(ap);
	if (w < 0 || (size_t)w >= o->n - o->len)
		o->overflow = true;
	else
		o->len += (size_t)w;
}

/* Cuts the spans at midnights, then rejoins a piece ending at 24:00 with
 * one starting the next day at 00:00 as an overnight "22:00-02:00" when
 * that text means the same. */
static void split_days(const struct hours *h, struct day_pieces day[7])
{
	for (int d = 0; d < 7; d++)
		day[d].n = 0;
	for (unsigned i = 0; i < h->n && i < HOURS_MAX_SPANS; i++) {
		unsigned s = h->span[i].start, e = h->span[i].end;
		if (e > HOURS_WEEK)
			e = HOURS_WEEK;
		for (unsigned d = s / DAY_MINUTES; s < e && d < 7; d++) {
			unsigned from = s > d * DAY_MINUTES ? s : d * DAY_MINUTES;
			unsigned to = e < (d + 1) * DAY_MINUTES ? e : (d + 1) * DAY_MINUTES;
			if (from < to && day[d].n < ARRAY_SIZE(day[d].p))
				day[d].p[day[d].n++] = (struct piece){ (uint16_t)(from - d * DAY_MINUTES),
								       (uint16_t)(to - d * DAY_MINUTES) };
		}
	}
	for (int d = 0; d < 7; d++) {
		struct day_pieces *a = &day[d], *b = &day[(d + 1) % 7];
		if (!a->n || !b->n)
			continue;
		struct piece *last = &a->p[a->n - 1], *first = &b->p[0];
		if (last->end != DAY_MINUTES || first->start != 0 || first->end >= last->start)
			continue;
		last->end = first->end;
		memmove(&b->p[0], &b->p[1], (b->n - 1) * sizeof(b->p[0]));
		b->n--;
	}
}

static bool same_pieces(const struct day_pieces *a, const struct day_pieces *b)
{
	if (a->n != b->n)
		return false;
	for (unsigned i = 0; i < a->n; i++)
		if (a->p[i].start != b->p[i].start || a->p[i].end != b->p[i].end)
			return false;
	return true;
}

int hours_format(const struct hours *h, char *out, size_t n)
{
	struct out o = { out, n, 0, n == 0 };
	struct day_pieces day[7];

	if (hours_always(h)) {
		out_printf(&o, "24/7");
	} else {
		split_days(h, day);
		for (int d = 0; d < 7;) {
			int e = d;
			while (e + 1 < 7 && same_pieces(&day[e + 1], &day[d]))
				e++;
			for (unsigned i = 0; i < day[d].n; i++) {
				const struct piece *pc = &day[d].p[i];
				out_printf(&o, "%s%s", o.len ? ", " : "", day_en[d]);
				if (e > d)
					out_printf(&o, "-%s", day_en[e]);
				out_printf(&o, " %02u:%02u-%02u:%02u", pc->start / 60u, pc->start % 60u,
					   pc->end / 60u, pc->end % 60u);
			}
			d = e + 1;
		}
		if (!o.len && n)
			out[0] = '\0';
	}
	if (o.overflow) {
		if (n)
			out[0] = '\0';
		return TD_EINVAL;
	}
	return 0;
}

bool hours_always(const struct hours *h)
{
	return h->n == 1 && h->span[0].start == 0 && h->span[0].end == HOURS_WEEK;
}

bool hours_open_at(const struct hours *h, unsigned minute_of_week)
{
	unsigned m = minute_of_week % HOURS_WEEK;
	for (unsigned i = 0; i < h->n && i < HOURS_MAX_SPANS; i++)
		if (m >= h->span[i].start && m < h->span[i].end)
			return true;
	return false;
}

int hours_next_open(const struct hours *h, unsigned minute_of_week)
{
	unsigned m = minute_of_week % HOURS_WEEK;
	unsigned n = h->n < HOURS_MAX_SPANS ? h->n : HOURS_MAX_SPANS;
	if (!n)
		return -1;
	for (unsigned i = 0; i < n; i++) {
		if (m < h->span[i].end)
			return m >= h->span[i].start ? 0 : (int)(h->span[i].start - m);
	}
	return (int)(HOURS_WEEK - m + h->span[0].start);
}
