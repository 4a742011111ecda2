/*
 * sla_clock.h - SLA clock arithmetic over a store's working hours.
 *
 * The SLA clock of a ticket runs only while the store is open: at an
 * instant t (Unix seconds, UTC) it runs when the store's local wall clock
 * at t (its zone's offset at t) falls in the store's weekly hours, or at
 * every instant when the calendar is 24/7. Working hours are wall-clock
 * hours, so on daylight-saving nights a span's real length changes: in
 * Europe/Berlin "Sun 00:00-06:00" lasts 5 hours on the spring-forward
 * night and 7 on the fall-back one. A span that ends inside a repeated
 * hour opens again when the clocks go back and the wall time returns to it.
 *
 * A budget ("reaction in 4 working hours") is a number of SLA seconds;
 * policies in working days convert with sla_clock_day_seconds(). A ticket's clock
 * may stand still during pauses (waiting for the cashier), which
 * sla_clock_deadline() and sla_clock_used() skip.
 *
 * Everything here is pure arithmetic: no state, no allocation, no errors.
 * Walks are span by span (and at most a day per step, to catch offset
 * changes), so months of SLA time take microseconds; they stop at
 * SLA_HORIZON past their start, and outside +-2^50 s of the epoch only a
 * 24/7 clock runs.
 */
#ifndef TD_SLA_CLOCK_H
#define TD_SLA_CLOCK_H

#include "core/common.h"
#include "core/hours.h"
#include "core/tz.h"

/* Deadline of a clock that never runs again (a store never open). */
#define SLA_NEVER INT64_MAX
/* Deadline unknown: the clock is paused with budget left. */
#define SLA_PAUSED (INT64_MAX - 1)
/* How far a walk looks: 100 years. Deadlines past it are SLA_NEVER. */
#define SLA_HORIZON ((int64_t)100 * 36525 * 864)

/*
 * When a store's SLA clock runs. Borrowed pointers: the caller keeps tz
 * and hours alive. always: round the clock whatever the hours say (a 24/7
 * policy); tz and hours are then not read and may be NULL. Hours for which
 * hours_always() holds mean the same without the flag.
 */
struct sla_calendar {
	const struct tz *tz;
	const struct hours *hours;
	bool always;
};

/* An interval when the ticket's clock stood still; to == 0: still paused. */
struct sla_pause {
	int64_t from, to;
};

/*
 * The instant at which seconds of SLA time have run from start. With
 * seconds <= 0 that is start itself (already due), even when closed. A
 * budget that runs out exactly as the store closes is due at the closing
 * instant, not at the next opening. SLA_NEVER when the store never opens
 * or the deadline lies past SLA_HORIZON.
 */
int64_t sla_clock_add(const struct sla_calendar *cal, int64_t start, int64_t seconds);

/*
 * SLA seconds that run in [from, to); 0 when to <= from. Counts no
 * further than SLA_HORIZON past from. For any start s and seconds d > 0
 * with a deadline, sla_clock_elapsed(cal, s, sla_clock_add(cal, s, d)) == d.
 */
int64_t sla_clock_elapsed(const struct sla_calendar *cal, int64_t from, int64_t to);

/*
 * The length of one working day in SLA seconds, for policies written in
 * days: 86400 for a 24/7 calendar; else the week's open time (by the wall
 * clock, ignoring daylight saving) divided by the number of weekdays it
 * opens on; 0 if never open. A span counts for the day it starts on
 * ("Fri 22:00-02:00" is a Friday), and a span running through whole days
 * counts for those too ("Mon-Fri 00:00-24:00" is five days of 86400).
 */
int64_t sla_clock_day_seconds(const struct sla_calendar *cal);

/*
 * The deadline of budget SLA seconds counted from start while the clock
 * stood still during pauses (n of them, sorted, not overlapping; a pause
 * may begin before start). A budget <= 0 is due at start. If the budget
 * runs out before a pause begins (or as it begins), that earlier instant
 * is the deadline and later pauses do not move it. SLA_PAUSED when the
 * last pause is still open (to == 0) and the budget was not used up when
 * it began; SLA_NEVER as for sla_clock_add(). pauses may be NULL when n is 0.
 */
int64_t sla_clock_deadline(const struct sla_calendar *cal, int64_t start, int64_t budget,
		     const struct sla_pause *pauses, size_t n);

/*
 * SLA seconds used from start to now, less the pauses (an open one runs
 * to now). sla_clock_used(cal, s, sla_clock_deadline(cal, s, b, p, n), p, n) == b
 * for b >= 0 whenever that deadline is an instant.
 */
int64_t sla_clock_used(const struct sla_calendar *cal, int64_t start, int64_t now,
		 const struct sla_pause *pauses, size_t n);

#endif
