/*
 * tz.h - IANA time zones read from the system's compiled zone files.
 *
 * The daemon's threads convert between UTC and each store's local time
 * without touching the process-wide TZ variable. A loaded zone is
 * immutable and may be shared between threads; nothing here keeps state.
 *
 * Zone files (TZif, RFC 8536) come from $TZDIR, else /usr/share/zoneinfo.
 * The 64-bit data block is used (the 32-bit one only for version 1 files),
 * and the POSIX TZ footer for instants after the last transition.
 * Instants are seconds since the epoch, UTC, and are clamped to about
 * +-10^16 s (hundreds of millions of years).
 */
#ifndef TD_TZ_H
#define TD_TZ_H

#include "core/common.h"

struct tz;

/*
 * Loads the zone called name ("Europe/Moscow") into *out, which is set
 * only on success; free it with tz_free(). $TZDIR is read at each call.
 * A name that is empty, too long, starts with '/', contains ".." or a
 * character outside [A-Za-z0-9/_+-] is refused with TD_EINVAL before any
 * file is opened. A missing, unreadable or malformed file (or
 * one with leap seconds, as under right/) gives TD_ENOTFOUND.
 */
int tz_load(struct tz **out, const char *name);
void tz_free(struct tz *tz);

/* True when name loads. */
bool tz_valid(const char *name);

/* The name the zone was loaded with; borrowed, lives as long as tz. */
const char *tz_name(const struct tz *tz);

/* The UTC offset in seconds (east positive) at instant t. */
int32_t tz_offset(const struct tz *tz, int64_t t);

/*
 * Fills out with the local time at t: every struct tm field, with tm_mon
 * 0-11, tm_year since 1900, tm_wday 0 = Sunday, tm_isdst 0 or 1, tm_gmtoff
 * the offset and tm_zone the abbreviation ("MSK", "+10"), which is
 * borrowed from tz.
 */
void tz_local(const struct tz *tz, int64_t t, struct tm *out);

/*
 * The instant at which the zone's clocks read y-mon-day h:min:s (mon 1-12).
 * Fields out of range carry over as in mktime() (day 32 is the next
 * month's 1st, h 24 the next day). A time skipped by a forward change
 * (02:30 when clocks go 02:00 -> 03:00) is read with the offset in force
 * before the change, so it lands as far after the change (03:30); a time
 * that occurs twice gives the earlier instant.
 */
int64_t tz_mktime(const struct tz *tz, int y, int mon, int day, int h, int min, int s);

/* Minutes since local Monday 00:00 at t, 0 to 7 * 24 * 60 - 1; for hours.h. */
unsigned tz_minute_of_week(const struct tz *tz, int64_t t);

/* The day (since 1970-01-01) that tz's clocks show at t; UTC's for NULL. */
long tz_day(const struct tz *tz, int64_t t);

/*
 * The zone in hand while rows come zone by zone (a pass over many stores):
 * loaded again only when the name changes. Start from { 0 }.
 */
struct tz_kept {
	struct tz *tz;   /* NULL: the zone named did not load (count it as UTC) */
	char name[64];
};
/* Makes k hold the zone called name; TD_ENOTFOUND, once per change, when it does not load. */
int tz_keep(struct tz_kept *k, const char *name);
void tz_kept_release(struct tz_kept *k);

#endif
