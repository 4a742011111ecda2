/*
 * check.h - what every check of tilldesk-agent is: one small module behind
 * one interface.
 *
 * A check is configured from its INI section, then run once per pass. A
 * pass of one check yields one result per code it watches (the fiscal
 * drive check yields fn.expiring, fn.unsent, fn.shift ... each with its own
 * state), because the server keeps one alert per (till, code). A check
 * never blocks longer than its own timeout and never exits the process;
 * whatever goes wrong becomes an UNKNOWN result that says why.
 */
#ifndef TD_AGENT_CHECK_H
#define TD_AGENT_CHECK_H

#include "core/common.h"

/* Ordered by gravity, as plugins' exit codes are (0 OK ... 3 UNKNOWN). */
enum check_state { CHECK_OK, CHECK_WARNING, CHECK_CRITICAL, CHECK_UNKNOWN };

/* "ok", "warning", "critical", "unknown": the wire text (doc/AGENT-API.md). */
const char *check_state_name(enum check_state s);
/* The worse of two states: CRITICAL > WARNING > UNKNOWN > OK. */
enum check_state check_state_worst(enum check_state a, enum check_state b);

#define CHECK_PERF_WARN 0x01u
#define CHECK_PERF_CRIT 0x02u
#define CHECK_PERF_MIN  0x04u
#define CHECK_PERF_MAX  0x08u

struct check_perf {
	char label[64];
	char uom[8];
	double value, warn, crit, min, max;
	unsigned has;             /* CHECK_PERF_* of the optional fields present */
};

/* One code's state after a pass. Strings owned; free with check_result_release. */
struct check_result {
	char check[33];           /* the check's name, [a-z0-9_] */
	char code[65];            /* stable, e.g. "fn.expiring" */
	enum check_state state;
	char *summary;            /* one line, Russian, valid UTF-8, <= 512 bytes */
	size_t n_details;
	struct { char *key, *value; } *details;
	size_t n_perf;
	struct check_perf *perf;
};

/* A growing list of results, what a pass of every check yields. */
struct check_results {
	struct check_result *v;
	size_t n, cap;
};

/*
 * Appends a result for code with state and a printf summary (cut at 512
 * bytes on a character boundary); returns it so details and perf can be
 * added. check is the check's name.
 */
struct check_result *check_add(struct check_results *rs, const char *check, const char *code,
			       enum check_state state, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/*
 * check_add with the summary from the message catalogue (core/messages.def)
 * in Russian, the language of the wire (doc/AGENT-API.md), whatever the
 * process's language: every text users see lives in the catalogue.
 */
struct check_result *check_add_msg(struct check_results *rs, const char *check, const char *code,
				   enum check_state state, int msg_id, ...);
void check_detail(struct check_result *r, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void check_perf_add(struct check_result *r, const struct check_perf *p);
void check_results_release(struct check_results *rs);

/* What a pass knows besides a check's own settings. */
struct check_ctx {
	int64_t now;              /* the agent's clock, Unix seconds (core/clock.h) */
	int64_t server_skew_ms;   /* server time minus ours at the last answer; */
	bool server_skew_known;   /* false until the server has answered once */
	const char *state_dir;    /* where a check may keep state (the log check's offsets) */
	const char *fsrar_id;     /* the store's ФСРАР ID from the config, "" when none */
};

/*
 * A kind of check. set() is called for each key of the check's INI section
 * (returns TD_EINVAL with a message for an unknown key or a bad value; the
 * caller adds "file:line: "), ready() once after the section (a missing
 * required key), run() once per pass, appending its results. Each check
 * section of the config makes one instance; a kind may be configured
 * several times ([check.tcp ofd], [check.tcp bank]). Before the
 * section's keys, set() gets the key "instance" with the section's
 * instance name ("ofd" of [check.tcp ofd]; nothing is sent for a bare
 * [check.tcp], whose instance is the kind's name): it names default codes
 * (ofd.unreachable) and a plugin check's name on the wire.
 *
 * commit() (optional, NULL for most kinds) is for a check that consumes
 * its input, as the log check its new lines: the agent calls it once the
 * last run()'s results are stored in the spool, and only then may that
 * input count as read (the log check saves its position here). When the
 * spool refuses them, or for `tilldesk-agent check`, nothing commits and
 * the next run() sees the same input again. A hook rather than a position
 * carried in the results: results stay plain data, and what "consumed"
 * means stays inside the one kind that has it.
 */
struct check_kind {
	const char *name;
	void *(*create)(void);
	int (*set)(void *self, const char *key, const char *value, char *err, size_t errlen);
	int (*ready)(void *self, char *err, size_t errlen);
	void (*run)(void *self, const struct check_ctx *ctx, struct check_results *out);
	void (*commit)(void *self, const struct check_ctx *ctx);
	void (*destroy)(void *self);
	/* Its section for the agent's example config: comment lines and keys. */
	const char *example;
};

/* The key set() gets first with the section's instance name (see above). */
#define CHECK_KEY_INSTANCE "instance"

/* The built-in kinds, by name; NULL when there is none. */
const struct check_kind *check_kind_find(const char *name);
/* The i-th built-in kind (the example config lists them); NULL past the last. */
const struct check_kind *check_kind_at(size_t i);

/* The state called name ("ok", "warning" ...): 0, or TD_EINVAL. */
int check_state_parse(enum check_state *out, const char *name);

#endif
