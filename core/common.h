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

/* True when s is well-formed UTF-8 (no overlongs, no surrogates). */
bool utf8_valid(const char *s, size_t len);
/*
 * Decodes one code point at s (n > 0 bytes left) into *cp; returns its
 * length, or 0 when s does not start a well-formed sequence.
 */
size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

#include "core/banned.h"

#endif
