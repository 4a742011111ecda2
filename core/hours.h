/*
 * hours.h - a store's working hours over one week of local time.
 *
 * Text form, as typed by an admin (day names in English or Russian):
 *
 *   24/7                              (or "круглосуточно")
 *   Mon-Fri 09:00-21:00, Sat 10:00-18:00
 *   Пн-Пт 9:00-21:00, Сб 10:00-18:00
 *   Fri 22:00-02:00                   (ends on Saturday at 02:00)
 *   Fri-Mon 10:00-24:00               (day ranges may wrap over Sunday)
 *
 * Items are separated by commas; each is DAYS START-END, where DAYS is a day
 * or a range of days (a range from a day to itself is that one day), and
 * times are H:MM or HH:MM. 24:00 may end a span. An end at or before the
 * start means the span runs into the next day; Sunday wraps into Monday of
 * the same week. Overlapping items merge; unlisted days are closed.
 *
 * The parsed form is a list of minute spans since Monday 00:00. Spans are
 * linear over [0, HOURS_WEEK): one that runs over the week end is held as
 * two, [start, HOURS_WEEK) and [0, end).
 */
#ifndef TD_HOURS_H
#define TD_HOURS_H

#include "core/common.h"

#define HOURS_WEEK (7 * 24 * 60) /* minutes in a week, Monday 00:00 = 0 */
#define HOURS_MAX_SPANS 32
/* Enough for hours_format() of any struct hours. */
#define HOURS_TEXT_MAX 1024

struct hours_span {
	uint16_t start, end; /* [start, end) minutes since Monday 00:00, local */
};

struct hours {
	unsigned n; /* 0: never open */
	struct hours_span span[HOURS_MAX_SPANS]; /* sorted, merged, disjoint */
};

/*
 * Parses text into out. On failure returns TD_EINVAL, leaves out untouched
 * and writes an English reason naming the offending piece into err
 * ("unknown day 'Mo'", "bad time '25:00'"); err may be NULL.
 */
int hours_parse(struct hours *out, const char *text, char *err, size_t errlen);

/*
 * Writes the canonical text of h into out: "24/7", or items in week order
 * with consecutive days of identical hours joined into ranges ("Mon-Fri
 * 09:00-21:00, Sat 10:00-18:00"). Parsing it gives h back. A struct with no
 * spans formats as "". Returns 0, or TD_EINVAL when n bytes are too few
 * (HOURS_TEXT_MAX always suffice).
 */
int hours_format(const struct hours *h, char *out, size_t n);

/* True when h is open the whole week. */
bool hours_always(const struct hours *h);

/* True when h is open at minute_of_week (taken modulo HOURS_WEEK). */
bool hours_open_at(const struct hours *h, unsigned minute_of_week);

/*
 * Minutes from minute_of_week (modulo HOURS_WEEK) until h next opens: 0 if
 * open now, -1 if never open. Looks past the week end into next Monday.
 */
int hours_next_open(const struct hours *h, unsigned minute_of_week);

#endif
