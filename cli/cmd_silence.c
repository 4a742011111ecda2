/*
 * cmd_silence.c - silence add, list and remove: making the alerts of a
 * till, a store or a check code quiet for a while.
 *
 * Times are read and shown by the clock of the silence's store (its till's
 * store), UTC for a silence of codes alone, and always name their zone.
 */
#include <getopt.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/conftab.h"
#include "core/tz.h"
#include "storage/chain.h"
#include "storage/silence.h"

#define COMMENT_MAX_BYTES 500
#define CODE_MAX_BYTES 64

/* ---- time, by the silence's clock ---- */

/* The local time at t in tz (NULL: UTC). */
static void local_tm(const struct tz *tz, int64_t t, struct tm *out)
{
	if (tz) {
		tz_local(tz, t, out);
		return;
	}
	time_t tt = (time_t)t;
	gmtime_r(&tt, out);
}

/* "2026-11-26 22:00 – 02:00 MSK": the end's date only when it differs. */
static void format_period(struct buf *b, int64_t from, int64_t to, const char *zone)
{
	struct tz *tz = NULL;
	struct tm a, z;
	char start[32], end[32];
	if (zone && *zone)
		tz_load(&tz, zone);
	local_tm(tz, from, &a);
	local_tm(tz, to, &z);
	strftime(start, sizeof(start), "%Y-%m-%d %H:%M", &a);
	bool same_day = a.tm_year == z.tm_year && a.tm_yday == z.tm_yday;
	strftime(end, sizeof(end), same_day ? "%H:%M" : "%Y-%m-%d %H:%M", &z);
	buf_printf(b, "%s – %s %s", start, end, tz ? z.tm_zone : "UTC");
	tz_free(tz);
}

/* "2026-11-26 22:00 MSK". */
static void format_at(char *out, size_t n, int64_t t, const char *zone)
{
	struct tz *tz = NULL;
	struct tm tm;
	char day[32];
	if (zone && *zone)
		tz_load(&tz, zone);
	local_tm(tz, t, &tm);
	strftime(day, sizeof(day), "%Y-%m-%d %H:%M", &tm);
	snprintf(out, n, "%s %s", day, tz ? tm.tm_zone : "UTC");
	tz_free(tz);
}

/*
 * --from: a delay from now ("30m"), or "YYYY-MM-DD HH:MM" (a 'T' also
 * parts them) by zone's clock (NULL or "": UTC). 0 or TD_EINVAL.
 */
static int parse_start(int64_t *out, const char *s, int64_t now, const char *zone)
{
	int64_t delay;
	unsigned y, mon, d, h, min;
	long days;
	int n = 0;
	char date[11];
	if (!config_parse_duration(&delay, s)) {
		*out = now + delay;
		return 0;
	}
	if (strlen(s) != 16 || (s[10] != ' ' && s[10] != 'T'))
		return TD_EINVAL;
	snprintf(date, sizeof(date), "%.10s", s);
	if (parse_date(&days, date) || sscanf(s + 11, "%2u:%2u%n", &h, &min, &n) != 2 || n != 5 ||
	    s[13] != ':' || h > 23 || min > 59)
		return TD_EINVAL;
	if (!zone || !*zone) {
		*out = (int64_t)days * 86400 + h * 3600 + min * 60;
		return 0;
	}
	struct tz *tz;
	if (tz_load(&tz, zone))
		return TD_EINVAL;
	sscanf(date, "%4u-%2u-%2u", &y, &mon, &d);
	*out = tz_mktime(tz, (int)y, (int)mon, (int)d, (int)h, (int)min, 0);
	tz_free(tz);
	return 0;
}

/* ---- what a silence covers ---- */

/* An agent's code ([a-z0-9_.], as the endpoint takes them), or such a prefix and '*'. */
static bool code_pattern_valid(const char *s)
{
	size_t n = strlen(s);
	if (n && s[n - 1] == '*')
		n--;
	if (!n || n > CODE_MAX_BYTES)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		      s[i] == '.'))
			return false;
	return true;
}

/* "till 'Ромашка-1/Касса 1', code fn.*". */
static void format_covers(struct buf *b, const struct silence_row *r)
{
	size_t before = b->len;
	if (r->till_id)
		msg_buf(b, MSG_CLI_SILENCE_COVERS_TILL, r->store, r->till);
	else if (r->store_id)
		msg_buf(b, MSG_CLI_SILENCE_COVERS_STORE, r->store);
	if (*r->code) {
		if (b->len > before)
			buf_puts(b, ", ");
		msg_buf(b, MSG_CLI_SILENCE_COVERS_CODE, r->code);
	}
}

static const char *state_name(enum silence_state s)
{
	static const enum msg_id names[] = {
		[SILENCE_SCHEDULED] = MSG_CLI_SILENCE_SCHEDULED,
		[SILENCE_ACTIVE] = MSG_CLI_SILENCE_ACTIVE,
		[SILENCE_EXPIRED] = MSG_CLI_SILENCE_EXPIRED,
		[SILENCE_REMOVED] = MSG_CLI_SILENCE_REMOVED_STATE,
	};
	return msg(names[s]);
}

static const int silence_cols[] = { 4, 10, 34, 40, 12, 0 };

void cli_silence_header(struct cli *c)
{
	cli_header(c, silence_cols, ARRAY_SIZE(silence_cols), MSG_CLI_SILENCE_HEADER);
}

int cli_silence_print(const struct silence_row *r, void *arg)
{
	struct cli *c = arg;
	struct buf covers = BUF_INIT(4096), when = BUF_INIT(256);
	char id[24];
	snprintf(id, sizeof(id), "%lld", (long long)r->id);
	format_covers(&covers, r);
	format_period(&when, r->starts_at, r->ends_at, r->timezone);
	cli_row(c, silence_cols, ARRAY_SIZE(silence_cols),
		(const char *[]){ id, state_name(r->state), buf_cstr(&covers), buf_cstr(&when),
				  r->created_by, r->comment });
	buf_release(&covers);
	buf_release(&when);
	return 0;
}

/* ---- silence add ---- */

struct add_args {
	const char *till, *store, *code, *length, *from, *comment;
};

static int add_opt(struct cli *c, int opt, const char *val, void *arg)
{
	struct add_args *a = arg;
	(void)c;
	switch (opt) {
	case 't': a->till = val; return 0;
	case 's': a->store = val; return 0;
	case 'k': a->code = val; return 0;
	case 'f': a->length = val; return 0;
	case 'F': a->from = val; return 0;
	case 'm': a->comment = val; return 0;
	}
	return EXIT_USAGE;
}

/*
 * The till named by ref within store_id (0: any): an id or a name as
 * everywhere, else "STORE/TILL" split at any '/' that names both (store
 * and till names may hold '/' themselves).
 */
static int find_till(struct cli *c, int64_t *out, int64_t store_id, const char *ref)
{
	int rc = db_till_find(c->db, out, store_id, ref);
	for (const char *slash = ref; rc == TD_ENOTFOUND && (slash = strchr(slash, '/')); slash++) {
		char *store = xstrdup(ref);
		int64_t sid;
		store[slash - ref] = '\0';
		if (!db_store_find(c->db, &sid, 0, store) && (!store_id || sid == store_id))
			rc = db_till_find(c->db, out, sid, slash + 1);
		free(store);
	}
	if (rc == TD_EAMBIGUOUS)
		return cli_fail(c, EXIT_FAIL, MSG_CLI_SILENCE_TILL_AMBIGUOUS, ref);
	return cli_found(c, rc, MSG_NOUN_TILL, ref);
}

/* Checks the arguments that need no database; 0 or an exit status, reported. */
static int check_add_args(struct cli *c, const struct add_args *a, int64_t *length)
{
	int rc;
	if (!a->till && !a->store && !a->code)
		return cli_fail(c, EXIT_USAGE, MSG_CLI_SILENCE_NO_SCOPE);
	if (!a->length)
		return cli_fail(c, EXIT_USAGE, MSG_CLI_SILENCE_NEEDS_FOR);
	if (config_parse_duration(length, a->length))
		return cli_fail(c, EXIT_USAGE, MSG_CLI_BAD_DURATION, a->length);
	if (*length <= 0)
		return cli_fail(c, EXIT_USAGE, MSG_CLI_SILENCE_FOR_ZERO, a->length);
	if (!a->comment)
		return cli_fail(c, EXIT_USAGE, MSG_CLI_SILENCE_NEEDS_COMMENT);
	if ((rc = cli_check_text(c, MSG_NOUN_COMMENT, a->comment, COMMENT_MAX_BYTES)))
		return rc;
	if (a->code && !code_pattern_valid(a->code))
		return cli_fail(c, EXIT_USAGE, MSG_CLI_SILENCE_BAD_CODE, a->code);
	return 0;
}

static int print_added(const struct silence_row *r, void *arg)
{
	struct cli *c = arg;
	struct buf covers = BUF_INIT(4096), when = BUF_INIT(256);
	format_covers(&covers, r);
	format_period(&when, r->starts_at, r->ends_at, r->timezone);
	cli_say(c, MSG_CLI_SILENCE_ADDED, (long long)r->id, buf_cstr(&covers), buf_cstr(&when));
	buf_release(&covers);
	buf_release(&when);
	return 0;
}

static int silence_add(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "till", required_argument, NULL, 't' },
		{ "store", required_argument, NULL, 's' },
		{ "code", required_argument, NULL, 'k' },
		{ "for", required_argument, NULL, 'f' },
		{ "from", required_argument, NULL, 'F' },
		{ "comment", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct add_args a = { 0 };
	struct silence_new s = { .match = { 0 } };
	char admin[256], zone[64], end[64];
	int64_t length, id, now = clock_now();
	bool done;
	int rc = cli_options(c, &argc, &argv, "t:s:k:f:F:m:h", opts, MSG_HELP_SILENCE_ADD, add_opt,
			     &a, &done);
	if (done || rc)
		return rc;
	if (argc != 0)
		return cli_usage(c, MSG_HELP_SILENCE_ADD, false);
	if ((rc = check_add_args(c, &a, &length)))
		return rc;
	if (!cli_db(c))
		return EXIT_FAIL;
	if (a.store && (rc = cli_found(c, db_store_find(c->db, &s.match.store_id, 0, a.store),
				       MSG_NOUN_STORE, a.store)))
		return rc;
	if (a.till && (rc = find_till(c, &s.match.till_id, s.match.store_id, a.till)))
		return rc;
	s.match.code = a.code;
	if (db_silence_zone(c->db, &s.match, zone, sizeof(zone)))
		return cli_fail(c, EXIT_FAIL, MSG_CLI_DB_ERROR, db_errmsg(c->db));
	s.starts_at = now;
	if (a.from && parse_start(&s.starts_at, a.from, now, zone))
		return cli_fail(c, EXIT_USAGE, MSG_CLI_SILENCE_BAD_FROM, a.from);
	s.ends_at = s.starts_at + length;
	if (s.ends_at <= now) {
		format_at(end, sizeof(end), s.ends_at, zone);
		return cli_fail(c, EXIT_USAGE, MSG_CLI_SILENCE_IN_PAST, end);
	}
	cli_admin_login(admin, sizeof(admin));
	s.comment = a.comment;
	s.created_by = admin;
	if ((rc = cli_begin(c)))
		return rc;
	if ((rc = db_silence_add(c->db, &id, &s, now)))
		rc = cli_fail(c, EXIT_FAIL, MSG_CLI_DB_ERROR, db_errmsg(c->db));
	if ((rc = cli_finish(c, rc)))
		return rc;
	return db_silence_get(c->db, id, now, print_added, c) ? EXIT_FAIL : EXIT_OK;
}

/* ---- silence list ---- */

static int list_opt(struct cli *c, int opt, const char *val, void *arg)
{
	(void)c;
	(void)val;
	if (opt == 'a') {
		*(bool *)arg = true;
		return 0;
	}
	return EXIT_USAGE;
}

static int silence_list(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool all = false, done;
	int rc = cli_options(c, &argc, &argv, "ah", opts, MSG_HELP_SILENCE_LIST, list_opt, &all,
			     &done);
	if (done || rc)
		return rc;
	if (argc != 0)
		return cli_usage(c, MSG_HELP_SILENCE_LIST, false);
	if (!cli_db(c))
		return EXIT_FAIL;
	cli_silence_header(c);
	return db_silence_list(c->db, all, clock_now(), cli_silence_print, c) ? EXIT_FAIL : EXIT_OK;
}

/* ---- silence remove ---- */

struct removal {
	enum silence_state state;
	char at[64];            /* when it was removed or ended, for a refusal */
	struct buf covers;
};

static int removal_of(const struct silence_row *r, void *arg)
{
	struct removal *m = arg;
	m->state = r->state;
	format_at(m->at, sizeof(m->at), r->removed_at ? r->removed_at : r->ends_at, r->timezone);
	buf_reset(&m->covers);
	format_covers(&m->covers, r);
	return 0;
}

static int silence_remove(struct cli *c, int argc, char **argv)
{
	struct removal m = { .covers = BUF_INIT(4096) };
	long long id;
	int64_t now = clock_now();
	int rc = cli_id_arg(c, argc, argv, MSG_HELP_SILENCE_REMOVE, &id);
	if (rc >= 0)
		return rc;
	if (!cli_db(c))
		return EXIT_FAIL;
	if ((rc = cli_found(c, db_silence_get(c->db, id, now, removal_of, &m), MSG_NOUN_SILENCE,
			    argv[1])) || (rc = cli_begin(c)))
		goto done;
	/* Asked again inside the transaction: the daemon may have ended it meanwhile. */
	rc = db_silence_remove(c->db, id, now);
	if (rc == TD_EEXISTS) {
		db_silence_get(c->db, id, now, removal_of, &m);
		rc = cli_fail(c, EXIT_FAIL, m.state == SILENCE_REMOVED ? MSG_CLI_SILENCE_ALREADY_REMOVED :
			      MSG_CLI_SILENCE_ALREADY_OVER, id, m.at);
	} else if (rc) {
		rc = cli_fail(c, EXIT_FAIL, MSG_CLI_DB_ERROR, db_errmsg(c->db));
	}
	if ((rc = cli_finish(c, rc)))
		goto done;
	cli_say(c, MSG_CLI_SILENCE_REMOVED, id, buf_cstr(&m.covers));
done:
	buf_release(&m.covers);
	return rc;
}

int cmd_silence(struct cli *c, int argc, char **argv)
{
	static const struct cli_sub subs[] = {
		{ "add", silence_add }, { "list", silence_list }, { "remove", silence_remove },
		{ NULL, NULL },
	};
	return cli_dispatch(c, argc, argv, subs, MSG_HELP_SILENCE);
}
