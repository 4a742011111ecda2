/*
 * common.h - the few things every tilldesk source file wants.
 */
#ifndef TD_COMMON_H
#define TD_COMMON_H

/* System headers come first: banned.h, included last, renames functions. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define TD_UNUSED __attribute__((unused))
#define TD_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* Error codes: 0 is success, these are the expected failures. */
enum {
	TD_OK = 0,
	TD_ERR = -1,        /* generic failure, already reported */
	TD_ENOTFOUND = -2,  /* the thing asked for does not exist */
	TD_EEXISTS = -3,    /* it exists already (unique name, used code) */
	TD_EINVAL = -4,     /* bad input from a user */
	TD_ENOMEM = -5,
	TD_EBUSY = -6,      /* database locked past the busy timeout */
	TD_EAMBIGUOUS = -7, /* a name matched more than one row */
	TD_EDENIED = -8,    /* refused: the person's access is revoked */
};

/* Aborts on allocation failure: a daemon out of memory cannot do better. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/*
 * Parses a whole decimal integer in [min, max]. Leading/trailing spaces and
 * anything else are refused. Returns 0, or TD_EINVAL.
 */
int parse_int(long long *out, const char *s, long long min, long long max);

/* Parses "YYYY-MM-DD" into days since 1970-01-01 (UTC). 0 or TD_EINVAL. */
int parse_date(long *out_days, const char *s);
/* Writes a day since 1970-01-01 as "YYYY-MM-DD" (n >= 11). */
void format_date(char *out, size_t n, long day);

/* True when s is well-formed UTF-8 (no overlongs, no surrogates). */
bool utf8_valid(const char *s, size_t len);
/*
 * Decodes one code point at s (n > 0 bytes left) into *cp; returns its
 * length, or 0 when s does not start a well-formed sequence.
 */
size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);
/*
 * Writes code point cp (at most U+10FFFF, not a surrogate) as UTF-8 into
 * out (4 bytes of room) and returns its length; 0 for anything else.
 */
size_t utf8_encode(char out[4], uint32_t cp);

/*
 * The one UTF-8-safe cut: the length of s[0..n) without the incomplete
 * character at its end, if the end falls inside one (nothing past s[n-1]
 * is read). Text cut to a byte size goes through here, so that a fixed
 * buffer, a log line or a title never ends in half a character.
 */
size_t utf8_cut(const char *s, size_t n);

/*
 * snprintf for user text into a fixed buffer: when the result does not fit
 * in size bytes it ends at a whole character (utf8_cut()), never in the
 * middle of one. Returns what snprintf returns.
 */
int utf8_snprintf(char *out, size_t size, const char *fmt, ...) TD_PRINTF(3, 4);
int utf8_vsnprintf(char *out, size_t size, const char *fmt, va_list ap) TD_PRINTF(3, 0);

#include "core/banned.h"

#endif
