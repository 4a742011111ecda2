/*
 * check_fn.c - the fiscal drive (ФН): validity, unsent documents, the
 * shift, warning flags, mode, and how fresh the state is. The POS software
 * (or a vendor script) writes the state as JSON (agent/FN-STATE.md); this
 * check reads it from a file, or from a command that prints it.
 */
#include <sys/stat.h>

#include "agent/check_fn.h"
#include "agent/codes.h"
#include "agent/exec.h"
#include "core/clock.h"
#include "core/conftab.h"
#include "core/json.h"
#include "core/msg.h"

#define DAY 86400LL
/* The OFD blocks the drive after 30 days without an answer (ФН error 0x15). */
#define UNSENT_BLOCK_DAYS 30
#define STATE_MAX (64 * 1024)

struct fn_check {
	char *file, *command;
	int64_t timeout;
	struct fn_limits lim;
};

/* "YYYY-MM-DDTHH:MM[:SS](Z|+HH:MM|-HH:MM)" or Unix seconds: 0, or TD_EINVAL. */
static int parse_time(int64_t *out, json_object *v)
{
	int64_t i;
	long days;
	unsigned h, m, s = 0, oh = 0, om = 0;
	int n = 0;
	char date[11];
	const char *str;

	if (json_object_is_type(v, json_type_int)) {
		*out = json_object_get_int64(v);
		return 0;
	}
	if (json_object_is_type(v, json_type_null)) {
		*out = 0;
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return TD_EINVAL;
	str = json_object_get_string(v);
	if (strlen(str) < 16 || (str[10] != 'T' && str[10] != ' '))
		return TD_EINVAL;
	memcpy(date, str, 10);
	date[10] = '\0';
	if (parse_date(&days, date) || sscanf(str + 11, "%2u:%2u%n", &h, &m, &n) != 2 || n != 5)
		return TD_EINVAL;
	const char *p = str + 16;
	if (*p == ':') {
		if (sscanf(p, ":%2u%n", &s, &n) != 1 || n != 3)
			return TD_EINVAL;
		p += 3;
	}
	if (*p == '.')  /* fractions of a second: ignored */
		p += 1 + strspn(p + 1, "0123456789");
	i = days * DAY + h * 3600 + m * 60 + s;
	if (*p == 'Z' && !p[1]) {
		*out = i;
	} else if ((*p == '+' || *p == '-') &&
		   (sscanf(p + 1, "%2u:%2u%n", &oh, &om, &n) == 2 || sscanf(p + 1, "%2u%2u%n", &oh, &om, &n) == 2) &&
		   !p[1 + n] && oh < 24 && om < 60) {
		int64_t off = oh * 3600 + om * 60;
		*out = *p == '+' ? i - off : i + off;
	} else {
		return TD_EINVAL;  /* a time without its zone is ambiguous */
	}
	if (h > 23 || m > 59 || s > 60)
		return TD_EINVAL;
	return 0;
}

/* Member key as a time; absent is 0. */
static int get_time(json_object *o, const char *key, int64_t *out, char *err, size_t errlen)
{
	json_object *v;
	*out = 0;
	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	if (parse_time(out, v)) {
		snprintf(err, errlen, "%s: not a time (2026-11-26T10:00:00+03:00 or Unix seconds)", key);
		return TD_EINVAL;
	}
	return 0;
}

int fn_state_parse(struct fn_state *out, const char *text, size_t len, int64_t now, char *err,
		   size_t errlen)
{
	json_tokener *tok = json_tokener_new();
	json_object *o = json_tokener_parse_ex(tok, text, (int)len);
	const char *s;
	int64_t i;
	int rc = TD_EINVAL;

	memset(out, 0, sizeof(*out));
	out->valid_until = -1;
	if (!o || !json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "not a JSON object");
		goto done;
	}
	if ((s = json_get_str(o, "serial")))
		utf8_snprintf(out->serial, sizeof(out->serial), "%s", s);
	if ((s = json_get_str(o, "valid_until")) && parse_date(&out->valid_until, s)) {
		snprintf(err, errlen, "valid_until: not a date YYYY-MM-DD");
		goto done;
	}
	if (json_get_int(o, "unsent_count", &i))
		out->unsent_count = i;
	if (json_get_int(o, "flags", &i))
		out->flags = (unsigned)i;
	if ((s = json_get_str(o, "mode")))
		utf8_snprintf(out->mode, sizeof(out->mode), "%s", s);
	if (get_time(o, "first_unsent_at", &out->first_unsent_at, err, errlen) ||
	    get_time(o, "last_sent_at", &out->last_sent_at, err, errlen) ||
	    get_time(o, "shift_opened_at", &out->shift_opened_at, err, errlen) ||
	    get_time(o, "written_at", &out->written_at, err, errlen))
		goto done;
	/* The drive answers 1970 or garbage when nothing is unsent: none. */
	if (out->first_unsent_at < 365 * DAY || out->first_unsent_at > now)
		out->first_unsent_at = 0;
	rc = 0;
done:
	json_object_put(o);
	json_tokener_free(tok);
	return rc;
}

static void format_day(char *out, size_t n, long days)
{
	time_t t = (time_t)(days * DAY);
	struct tm tm;
	strftime(out, n, "%d.%m.%Y", gmtime_r(&t, &tm));
}

static void perf(struct check_result *r, const char *label, double value, const char *uom,
		 double warn, double crit)
{
	struct check_perf p = { .value = value, .warn = warn, .crit = crit,
				.has = CHECK_PERF_WARN | CHECK_PERF_CRIT };
	snprintf(p.label, sizeof(p.label), "%s", label);
	snprintf(p.uom, sizeof(p.uom), "%s", uom);
	check_perf_add(r, &p);
}

static void eval_expiry(const struct fn_state *st, const struct fn_limits *lim, int64_t now,
			struct check_results *out)
{
	struct check_result *r;
	char day[16], iso[16];
	if (st->valid_until < 0) {
		r = check_add_msg(out, "fn", "fn.expiring", CHECK_UNKNOWN, MSG_AGENT_FN_NO_VALIDITY);
		return;
	}
	long long left = st->valid_until - now / DAY;
	enum check_state s = left * DAY <= lim->expiry_crit ? CHECK_CRITICAL :
			     left * DAY <= lim->expiry_warn ? CHECK_WARNING : CHECK_OK;
	format_day(day, sizeof(day), st->valid_until);
	if (left < 0)
		r = check_add_msg(out, "fn", "fn.expiring", CHECK_CRITICAL, MSG_AGENT_FN_EXPIRED,
				  st->serial, day);
	else if (s != CHECK_OK)
		r = check_add_msg(out, "fn", "fn.expiring", s, MSG_AGENT_FN_EXPIRING, st->serial,
				  left, day);
	else
		r = check_add_msg(out, "fn", "fn.expiring", s, MSG_AGENT_FN_VALID, st->serial, day,
				  left);
	time_t t = (time_t)(st->valid_until * DAY);
	struct tm tm;
	strftime(iso, sizeof(iso), "%Y-%m-%d", gmtime_r(&t, &tm));
	/* The facts that keep the server's equipment registry current. */
	if (st->serial[0])
		check_detail(r, "fn.serial", "%s", st->serial);
	check_detail(r, "fn.valid_until", "%s", iso);
	check_detail(r, "days_left", "%lld", left);
	perf(r, "days_left", (double)left, "d", (double)(lim->expiry_warn / DAY),
	     (double)(lim->expiry_crit / DAY));
}

static void eval_unsent(const struct fn_state *st, const struct fn_limits *lim, int64_t now,
			struct check_results *out)
{
	struct check_result *r;
	if (!st->first_unsent_at) {
		r = check_add_msg(out, "fn", "fn.unsent", CHECK_OK, MSG_AGENT_FN_UNSENT_NONE);
	} else {
		int64_t age = now - st->first_unsent_at;
		long long days = age / DAY;
		if (age >= lim->unsent_block)
			r = check_add_msg(out, "fn", "fn.unsent", CHECK_CRITICAL, MSG_AGENT_FN_UNSENT_BLOCKS,
					  st->unsent_count, days,
					  (long long)(UNSENT_BLOCK_DAYS - days > 0 ? UNSENT_BLOCK_DAYS - days : 0));
		else if (age >= lim->unsent_warn)
			r = check_add_msg(out, "fn", "fn.unsent",
					  age >= lim->unsent_crit ? CHECK_CRITICAL : CHECK_WARNING,
					  MSG_AGENT_FN_UNSENT_OLD, st->unsent_count, days);
		else
			r = check_add_msg(out, "fn", "fn.unsent", CHECK_OK, MSG_AGENT_FN_UNSENT_FRESH,
					  st->unsent_count, days);
		check_detail(r, "first_unsent_age_days", "%lld", days);
	}
	check_detail(r, "unsent_count", "%lld", st->unsent_count);
	if (st->last_sent_at) {
		char when[24];
		clock_format_utc(when, sizeof(when), st->last_sent_at);
		check_detail(r, "fn.last_sent_at", "%s", when);
	}
	perf(r, "unsent", (double)st->unsent_count, "", 0, 0);
	r->perf[r->n_perf - 1].has = 0;
}

static void eval_shift(const struct fn_state *st, const struct fn_limits *lim, int64_t now,
		       struct check_results *out)
{
	if (!st->shift_opened_at) {
		check_add_msg(out, "fn", "fn.shift", CHECK_OK, MSG_AGENT_FN_SHIFT_CLOSED);
		return;
	}
	int64_t open = now > st->shift_opened_at ? now - st->shift_opened_at : 0;
	enum check_state s = open >= lim->shift_crit ? CHECK_CRITICAL :
			     open >= lim->shift_warn ? CHECK_WARNING : CHECK_OK;
	struct check_result *r = check_add_msg(out, "fn", "fn.shift", s,
					       s == CHECK_OK ? MSG_AGENT_FN_SHIFT_OPEN : MSG_AGENT_FN_SHIFT_LONG,
					       (long long)(open / 3600), (long long)(open % 3600 / 60));
	perf(r, "shift_hours", (double)open / 3600.0, "h", (double)lim->shift_warn / 3600.0,
	     (double)lim->shift_crit / 3600.0);
}

static void eval_flags(const struct fn_state *st, struct check_results *out)
{
	static const struct { unsigned bit; enum check_state state; int msg; } bits[] = {
		{ FN_FLAG_REPLACE, CHECK_CRITICAL, MSG_AGENT_FN_FLAG_REPLACE },
		{ FN_FLAG_RESOURCE, CHECK_WARNING, MSG_AGENT_FN_FLAG_RESOURCE },
		{ FN_FLAG_ARCHIVE, CHECK_WARNING, MSG_AGENT_FN_FLAG_ARCHIVE },
		{ FN_FLAG_OFD, CHECK_WARNING, MSG_AGENT_FN_FLAG_OFD },
		{ FN_FLAG_CRITICAL, CHECK_CRITICAL, MSG_AGENT_FN_FLAG_CRITICAL },
	};
	enum check_state s = CHECK_OK;
	char list[400] = "";
	size_t used = 0;
	for (size_t i = 0; i < ARRAY_SIZE(bits); i++) {
		if (!(st->flags & bits[i].bit))
			continue;
		s = check_state_worst(s, bits[i].state);
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", used ? "; " : "",
					 msg_in(LANG_RU, (enum msg_id)bits[i].msg));
		if (used >= sizeof(list))
			used = sizeof(list) - 1;
	}
	struct check_result *r = s == CHECK_OK ?
		check_add_msg(out, "fn", "fn.flags", s, MSG_AGENT_FN_FLAGS_NONE) :
		check_add_msg(out, "fn", "fn.flags", s, MSG_AGENT_FN_FLAGS, list);
	check_detail(r, "flags", "0x%02x", st->flags);
}

static void eval_mode(const struct fn_state *st, struct check_results *out)
{
	/* fiscal: selling; setup: not yet registered; post_fiscal, archive: closed. */
	enum check_state s = !strcmp(st->mode, "fiscal") ? CHECK_OK :
			     !strcmp(st->mode, "setup") ? CHECK_WARNING :
			     !strcmp(st->mode, "post_fiscal") || !strcmp(st->mode, "archive") ?
			     CHECK_CRITICAL : CHECK_UNKNOWN;
	check_add_msg(out, "fn", "fn.state", s, MSG_AGENT_FN_STATE, st->mode[0] ? st->mode : "?");
}

static void eval_stale(const struct fn_state *st, const struct fn_limits *lim, int64_t now,
		       struct check_results *out)
{
	int64_t age = st->written_at && now > st->written_at ? now - st->written_at : 0;
	enum check_state s = age > lim->stale ? CHECK_WARNING : CHECK_OK;
	struct check_result *r = check_add_msg(out, "fn", "fn.stale", s,
					       s == CHECK_OK ? MSG_AGENT_FN_FRESH : MSG_AGENT_FN_STALE,
					       (long long)(age / 60));
	perf(r, "age", (double)age, "s", (double)lim->stale, 0);
	r->perf[r->n_perf - 1].has = CHECK_PERF_WARN;
}

void fn_evaluate(const struct fn_state *st, const struct fn_limits *lim, int64_t now,
		 struct check_results *out)
{
	eval_expiry(st, lim, now, out);
	eval_unsent(st, lim, now, out);
	eval_shift(st, lim, now, out);
	eval_flags(st, out);
	eval_mode(st, out);
	eval_stale(st, lim, now, out);
}

/* Every code of the check UNKNOWN for the same reason: none keeps a stale state. */
static void all_unknown(const char *reason, struct check_results *out)
{
	for (const struct agent_code *c = agent_codes; c->code; c++)
		if (!strcmp(c->kind, "fn"))
			check_add_msg(out, "fn", c->code, CHECK_UNKNOWN, MSG_AGENT_FN_UNREADABLE, reason);
}

/* Reads the state text from the file (its mtime as written_at) or the command. */
static int read_state(struct fn_check *c, struct buf *text, int64_t *mtime, char *err,
		      size_t errlen)
{
	if (c->command) {
		/* Through sh -c: a vendor's line may use pipes and variables (a plugin's may not). */
		char *argv[] = { "/bin/sh", "-c", c->command, NULL };
		struct agent_exec_result res;
		int code = 0;
		if (agent_exec_argv(&res, argv, (long)(c->timeout * 1000), STATE_MAX, text) ||
		    res.exec_errno)
			snprintf(err, errlen, "command failed to run: %s",
				 strerror(res.exec_errno ? res.exec_errno : EAGAIN));
		else if (res.timed_out)
			snprintf(err, errlen, "command ran past %llds", (long long)c->timeout);
		else if (res.truncated)
			snprintf(err, errlen, "command printed more than %d bytes", STATE_MAX);
		else if ((code = agent_exec_exit_code(&res)))
			snprintf(err, errlen, "command exited with %d", code);
		else
			return 0;
		return TD_ERR;
	}
	FILE *f = fopen(c->file, "r");
	struct stat st;
	char chunk[4096];
	size_t n;
	if (!f) {
		snprintf(err, errlen, "%s: %s", c->file, strerror(errno));
		return TD_ERR;
	}
	if (!fstat(fileno(f), &st))
		*mtime = st.st_mtime;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(text, chunk, n);
	fclose(f);
	if (text->failed) {
		snprintf(err, errlen, "%s: larger than %d bytes", c->file, STATE_MAX);
		return TD_ENOMEM;
	}
	return 0;
}

static void fn_run(void *self, const struct check_ctx *ctx, struct check_results *out)
{
	struct fn_check *c = self;
	struct buf text = BUF_INIT(STATE_MAX);
	struct fn_state st;
	char err[300];
	int64_t mtime = 0;

	if (read_state(c, &text, &mtime, err, sizeof(err)) ||
	    fn_state_parse(&st, buf_cstr(&text), text.len, ctx->now, err, sizeof(err))) {
		all_unknown(err, out);
		goto done;
	}
	if (!st.written_at)
		st.written_at = c->command ? ctx->now : mtime;
	fn_evaluate(&st, &c->lim, ctx->now, out);
done:
	buf_release(&text);
}

static void *fn_create(void)
{
	struct fn_check *c = xcalloc(1, sizeof(*c));
	c->timeout = 10;
	c->lim = (struct fn_limits){
		.expiry_warn = 30 * DAY, .expiry_crit = 3 * DAY,
		.unsent_warn = 3 * DAY, .unsent_crit = 7 * DAY, .unsent_block = 20 * DAY,
		.shift_warn = 23 * 3600, .shift_crit = 24 * 3600,
		.stale = 30 * 60,
	};
	return c;
}

static int fn_set(void *self, const char *key, const char *value, char *err, size_t errlen)
{
	struct fn_check *c = self;
	/* The name only tells two sections apart: each reports the fn.* codes. */
	if (!strcmp(key, CHECK_KEY_INSTANCE))
		return 0;
	static const struct { const char *key; size_t off; } durations[] = {
		{ "timeout", offsetof(struct fn_check, timeout) },
		{ "expiry_warn", offsetof(struct fn_check, lim.expiry_warn) },
		{ "expiry_crit", offsetof(struct fn_check, lim.expiry_crit) },
		{ "unsent_warn", offsetof(struct fn_check, lim.unsent_warn) },
		{ "unsent_crit", offsetof(struct fn_check, lim.unsent_crit) },
		{ "unsent_block", offsetof(struct fn_check, lim.unsent_block) },
		{ "shift_warn", offsetof(struct fn_check, lim.shift_warn) },
		{ "shift_crit", offsetof(struct fn_check, lim.shift_crit) },
		{ "stale", offsetof(struct fn_check, lim.stale) },
	};
	if (!strcmp(key, "file") || !strcmp(key, "command")) {
		char **field = key[0] == 'f' ? &c->file : &c->command;
		free(*field);
		*field = xstrdup(value);
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(durations); i++) {
		if (strcmp(key, durations[i].key))
			continue;
		int64_t *field = (int64_t *)((char *)c + durations[i].off);
		if (config_parse_duration(field, value) || *field <= 0) {
			snprintf(err, errlen, "%s: '%s' is not a duration (such as 90s, 15m, 4h, 3d)",
				 key, value);
			return TD_EINVAL;
		}
		return 0;
	}
	snprintf(err, errlen, "unknown key '%s'", key);
	return TD_EINVAL;
}

static int fn_ready(void *self, char *err, size_t errlen)
{
	struct fn_check *c = self;
	if (!c->file == !c->command) {
		snprintf(err, errlen, "give the drive's state as file or command (one of them)");
		return TD_EINVAL;
	}
	return 0;
}

static void fn_destroy(void *self)
{
	struct fn_check *c = self;
	if (!c)
		return;
	free(c->file);
	free(c->command);
	free(c);
}

const struct check_kind check_fn = {
	.name = "fn",
	.create = fn_create,
	.set = fn_set,
	.ready = fn_ready,
	.run = fn_run,
	.destroy = fn_destroy,
	.example =
		"; The fiscal drive (ФН): its state as JSON written by the POS software or\n"
		"; a vendor script (agent/FN-STATE.md), from a file or a command printing it.\n"
		"; Codes: fn.expiring, fn.unsent, fn.shift, fn.flags, fn.state, fn.stale.\n"
		"[check.fn]\n"
		"file = /var/lib/tilldesk-agent/fn-state.json\n"
		"; command = /usr/local/bin/fn-state --json\n"
		"; The command's time-out (it is killed with its process group after it).\n"
		"timeout = 10s\n"
		"; Drive expiry: warning, critical.\n"
		"expiry_warn = 30d\n"
		"expiry_crit = 3d\n"
		"; Age of the first document the OFD has not confirmed: warning, critical,\n"
		"; and when the summary warns the drive blocks (at 30 days).\n"
		"unsent_warn = 3d\n"
		"unsent_crit = 7d\n"
		"unsent_block = 20d\n"
		"; An open shift: warning, critical (the drive blocks after 24 h).\n"
		"shift_warn = 23h\n"
		"shift_crit = 24h\n"
		"; The state older than this (written_at, else the file's time): fn.stale.\n"
		"stale = 30m\n",
};
