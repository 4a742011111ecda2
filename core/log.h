/*
 * log.h - one line per event on stderr, fit for journald.
 *
 * Lines look like "tilldesk[1234]: warn: sender: 429 from Telegram, retry in 3s".
 * Every registered secret (bot token, passwords) is masked in each line
 * before it is written and before a long line is cut: each run of bytes
 * covered by secrets becomes one "***". Masking is the last line of
 * defence, not a licence: code never puts a secret into a string that may
 * be logged (the HTTP layer logs the Bot API method, never the URL).
 */
#ifndef TD_LOG_H
#define TD_LOG_H

#include "core/common.h"

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* The name lines start with ("tilldesk" unless told); the string must live on. */
void log_set_program(const char *name);
void log_set_level(enum log_level level);
/* Parses "debug", "info", "warn", "error". 0 or TD_EINVAL. */
int log_level_parse(enum log_level *out, const char *name);

/* Registers a secret to mask; the string is copied. Empty strings are ignored. */
void log_add_secret(const char *secret);
/*
 * Masks secret instead of old (a token after its rotation): old's slot is
 * wiped and freed, so any number of rotations keeps the newest masked.
 */
void log_replace_secret(const char *old, const char *secret);
void log_clear_secrets(void);

/* Sends lines to fn instead of stderr (tests); NULL restores stderr. */
void log_set_sink(void (*fn)(const char *line, void *arg), void *arg);

void log_msg(enum log_level level, const char *fmt, ...) TD_PRINTF(2, 3);
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

/* For start-up failures only: logs and exits(1). */
_Noreturn void fatal(const char *fmt, ...) TD_PRINTF(1, 2);

#endif
