/*
 * sla_clock.c - SLA clock arithmetic: walk real time in stretches over which the
 * store stays open or stays closed.
 *
 * tz.h tells the offset at an instant but not when it next changes, so a
 * stretch ends at the next span edge of the wall clock or a day later,
 * whichever is sooner, and is cut short where the offset changes inside
 * it. No zone changes its offset twice within a day.
 */
#include "core/common.h"
#include "core/sla_clock.h"

#define DAY_MINUTES (24 * 60)
#define DAY_SECONDS ((int64_t)86400)
#define WEEK_SECONDS ((int64_t)HOURS_WEEK * 60)
/* Walks keep within +-2^50 s (35 million years), where sums cannot overflow. */
#define WALK_MAX ((int64_t)1 << 50)

static unsigned span_count(const struct hours *h)
{
	return h->n < HOURS_MAX_SPANS ? h->n : HOURS_MAX_SPANS;
}

static bool runs_always(const struct sla_calendar *cal)
{
	return cal->always || hours_always(cal->hours);
}

static bool never_open(const struct sla_calendar *cal)
{
	return !cal->always && span_count(cal->hours) == 0;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
	int64_t r = a % b;
	return r < 0 ? r + b : r;
}

/* start + SLA_HORIZON, saturated. */
static int64_t horizon(int64_t start)
{
	return start > INT64_MAX - SLA_HORIZON ? INT64_MAX : start + SLA_HORIZON;
}

/*
 * Whether the store is open at t (into *open) and the end of the stretch
 * from t over which that holds. Spans held as [x, HOURS_WEEK) and [0, y)
 * are one span over the week end. The calendar has spans and is not 24/7.
 */
static int64_t stretch_end(const struct sla_calendar *cal, int64_t t, bool *open)
{
	const struct hours *h = cal->hours;
	unsigned n = span_count(h);
	int32_t off = tz_offset(cal->tz, t);
	/* Seconds since local Monday 00:00; 1970-01-01 was a Thursday. */
	int64_t wall = floor_mod(t + off + 3 * DAY_SECONDS, WEEK_SECONDS);
	int64_t edge = WEEK_SECONDS + (int64_t)h->span[0].start * 60;

	*open = false;
	for (unsigned i = 0; i < n; i++) {
		int64_t s = (int64_t)h->span[i].start * 60, e = (int64_t)h->span[i].end * 60;
		if (wall < s) {
			edge = s;
			break;
		}
		if (wall < e) {
			*open = true;
			edge = e;
			if (e == WEEK_SECONDS && h->span[0].start == 0)
				edge += (int64_t)h->span[0].end * 60;
			break;
		}
	}

	int64_t step = edge - wall < DAY_SECONDS ? edge - wall : DAY_SECONDS;
	int64_t end = t + step;
	if (tz_offset(cal->tz, end - 1) == off)
		return end;
	/* The offset changes in [t, end): end the stretch where it does. */
	int64_t lo = t, hi = end - 1;
	while (hi - lo > 1) {
		int64_t mid = lo + (hi - lo) / 2;
		if (tz_offset(cal->tz, mid) == off)
			lo = mid;
		else
			hi = mid;
	}
	return hi;
}

int64_t sla_clock_add(const struct sla_calendar *cal, int64_t start, int64_t seconds)
{
	if (seconds <= 0)
		return start;
	if (never_open(cal))
		return SLA_NEVER;
	int64_t limit = horizon(start);
	if (seconds > limit - start)
		return SLA_NEVER;
	if (runs_always(cal))
		return start + seconds;
	if (start < -WALK_MAX || start > WALK_MAX)
		return SLA_NEVER;

	for (int64_t t = start; t < limit;) {
		bool open;
		int64_t end = stretch_end(cal, t, &open);
		if (open) {
			if (end - t >= seconds)
				return t + seconds;
			seconds -= end - t;
		}
		t = end;
	}
	return SLA_NEVER;
}

int64_t sla_clock_elapsed(const struct sla_calendar *cal, int64_t from, int64_t to)
{
	if (to <= from || never_open(cal))
		return 0;
	int64_t limit = horizon(from);
	if (to > limit)
		to = limit;
	if (runs_always(cal))
		return to - from;
	from = from > -WALK_MAX ? from : -WALK_MAX;
	to = to < WALK_MAX ? to : WALK_MAX;

	int64_t used = 0;
	for (int64_t t = from; t < to;) {
		bool open;
		int64_t end = stretch_end(cal, t, &open);
		if (end > to)
			end = to;
		if (open)
			used += end - t;
		t = end;
	}
	return used;
}

int64_t sla_clock_day_seconds(const struct sla_calendar *cal)
{
	if (runs_always(cal))
		return DAY_SECONDS;
	const struct hours *h = cal->hours;
	unsigned n = span_count(h);
	if (!n)
		return 0;

	bool wraps = n > 1 && h->span[0].start == 0 && h->span[n - 1].end == HOURS_WEEK;
	bool day[7] = { false };
	int64_t open = 0;
	for (unsigned i = 0; i < n; i++) {
		unsigned s = h->span[i].start, e = h->span[i].end;
		open += (int64_t)(e - s) * 60;
		if (i == 0 && wraps)
			continue; /* the Monday morning end of Sunday's span */
		if (i == n - 1 && wraps)
			e += h->span[0].end;
		day[s / DAY_MINUTES] = true;
		for (unsigned d = s / DAY_MINUTES + 1; (d + 1) * DAY_MINUTES <= e; d++)
			day[d % 7] = true;
	}
	int days = 0;
	for (int d = 0; d < 7; d++)
		days += day[d];
	return open / days;
}

int64_t sla_clock_deadline(const struct sla_calendar *cal, int64_t start, int64_t budget,
		     const struct sla_pause *pauses, size_t n)
{
	int64_t t = start, left = budget;

	if (left <= 0)
		return start;
	if (never_open(cal))
		return SLA_NEVER;
	for (size_t i = 0; i < n; i++) {
		const struct sla_pause *p = &pauses[i];
		if (p->to && p->to <= t)
			continue;
		if (p->from > t) {
			int64_t ran = sla_clock_elapsed(cal, t, p->from);
			if (ran >= left)
				return sla_clock_add(cal, t, left);
			left -= ran;
		}
		if (!p->to)
			return SLA_PAUSED;
		t = p->to;
	}
	return sla_clock_add(cal, t, left);
}

int64_t sla_clock_used(const struct sla_calendar *cal, int64_t start, int64_t now,
		 const struct sla_pause *pauses, size_t n)
{
	int64_t t = start, used = 0;

	for (size_t i = 0; i < n && t < now; i++) {
		int64_t from = pauses[i].from < now ? pauses[i].from : now;
		int64_t to = pauses[i].to && pauses[i].to < now ? pauses[i].to : now;
		if (to <= t)
			continue;
		used += sla_clock_elapsed(cal, t, from);
		t = to;
	}
	return used + sla_clock_elapsed(cal, t, now);
}
