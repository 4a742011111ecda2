/*
 * checks.h - the agent's built-in kinds of check from the checks branch,
 * and the few helpers they share (agent/check_util.c).
 *
 * Each kind lives in agent/check_<kind>.c behind struct check_kind
 * (agent/check.h). Every kind takes the key "instance" first: the
 * section's instance name ("ofd" of [check.tcp ofd], the kind's own name
 * for a bare [check.tcp]). It names default codes ("ofd.unreachable") and,
 * for a plugin, the check itself.
 */
#ifndef TD_AGENT_CHECKS_H
#define TD_AGENT_CHECKS_H

#include "agent/check.h"
#include "core/msg.h"

extern const struct check_kind check_utm;
extern const struct check_kind check_tcp;
extern const struct check_kind check_disk;
extern const struct check_kind check_process;
extern const struct check_kind check_log;
extern const struct check_kind check_file_age;
extern const struct check_kind check_plugin;

/* An instance name: 1-32 of [a-z0-9_] (the wire's check name). TD_EINVAL + err. */
int check_set_instance(char out[33], const char *value, char *err, size_t errlen);
/* A code: 1-64 of [a-z0-9_.], as the wire wants. TD_EINVAL + err. */
int check_set_code(char out[65], const char *value, char *err, size_t errlen);
/* "<instance>.<suffix>", cut to a code's 64 bytes. */
void check_default_code(char out[65], const char *instance, const char *suffix);

/* What names the one code of a kind that watches one thing (tcp, process, file_age, plugin). */
struct check_naming {
	char instance[33];
	char code[65];
	bool code_set;            /* "code" was given; else ready() derives it */
};
/* The instance is the kind's name until "instance" says otherwise. */
void check_naming_init(struct check_naming *n, const char *kind);
/* Takes the keys "instance" and "code": 0 or TD_EINVAL; TD_ENOTFOUND for any other key. */
int check_naming_set(struct check_naming *n, const char *key, const char *value, char *err,
		     size_t errlen);
/* Unless "code" was given, the code is "<instance>.<suffix>". */
void check_naming_ready(struct check_naming *n, const char *suffix);
/* A duration ("10s", "5m", "30d") over 0 and at most max seconds, for key. */
int check_set_duration(int64_t *out, const char *key, const char *value, int64_t max, char *err,
		       size_t errlen);
/* "ok", "warning", "critical" or "unknown". TD_EINVAL otherwise. */
int check_parse_state(enum check_state *out, const char *s);
/* Writes "unknown key 'key' in a kind check" to err; returns TD_EINVAL. */
int check_unknown_key(const char *kind, const char *key, char *err, size_t errlen);

/* check_add() with a catalogue message as the summary (its printf arguments follow). */
struct check_result *check_addm(struct check_results *rs, const char *check, const char *code,
				enum check_state state, enum msg_id id, ...);

/*
 * Appends s[0..len) to out as one line of valid UTF-8: control characters
 * (newlines, tabs) become spaces, a byte that starts no character becomes
 * U+FFFD, runs of spaces at the ends go. For text from outside (a plugin's
 * output, a log line) about to become a summary.
 */
void check_one_line(struct buf *out, const char *s, size_t len);

/*
 * Parses Nagios perfdata ("'label'=value[UOM];[warn];[crit];[min];[max]"
 * separated by spaces) into r's perf, at most 16 items in all. An item
 * that does not parse is skipped, the rest still read. warn and crit are
 * kept when they are plain numbers (a range such as "10:20" or "@5" is
 * left out). Returns how many items were added.
 */
size_t check_plugin_perf_parse(struct check_result *r, const char *s);

/*
 * The utm check's reading of an answered /api/info/list (info[0..len)) and
 * of the /home page (NULL when it did not answer): every result but a
 * CRITICAL utm.down. self is a utm instance. Exposed for tests.
 */
void check_utm_judge(void *self, const struct check_ctx *ctx, const char *info, size_t len,
		     const char *home, struct check_results *out);

#endif
