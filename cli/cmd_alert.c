/*
 * cmd_alert.c - alert list and alert show: what the till agents' alerts
 * are doing, their history and the silences over them. Read-only.
 */
#include <getopt.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "core/clock.h"
#include "storage/alert_view.h"
#include "storage/chain.h"
#include "storage/silence.h"

/* A stored word (state, severity) in the reader's language; unknown ones as they are. */
static const char *word(const char *stored)
{
	static const struct { const char *stored; enum msg_id id; } words[] = {
		{ "firing", MSG_CLI_ALERT_FIRING },     { "recovering", MSG_CLI_ALERT_RECOVERING },
		{ "resolved", MSG_CLI_ALERT_RESOLVED }, { "warning", MSG_CLI_ALERT_WARNING },
		{ "critical", MSG_CLI_ALERT_CRITICAL },
	};
	for (size_t i = 0; i < ARRAY_SIZE(words); i++)
		if (!strcmp(stored, words[i].stored))
			return msg(words[i].id);
	return stored;
}

/* "silenced, flapping", or "-". */
static void format_marks(struct buf *b, const struct alert_view *a)
{
	const struct { bool on; enum msg_id id; } marks[] = {
		{ a->silenced, MSG_CLI_ALERT_MARK_SILENCED },
		{ a->held_by != 0, MSG_CLI_ALERT_MARK_HELD },
		{ a->flapping, MSG_CLI_ALERT_MARK_FLAPPING },
	};
	for (size_t i = 0; i < ARRAY_SIZE(marks); i++)
		if (marks[i].on)
			buf_printf(b, "%s%s", b->len ? ", " : "", msg(marks[i].id));
	if (!b->len)
		buf_puts(b, "-");
}

static const char *till_name(const struct alert_view *a)
{
	return a->till_id ? a->till : msg(MSG_CLI_ALERT_STORE_ITSELF);
}

/* ---- alert list ---- */

struct list_args {
	const char *store;
	bool live;
	long long limit;
};

static int list_opt(struct cli *c, int opt, const char *val, void *arg)
{
	struct list_args *a = arg;
	switch (opt) {
	case 's': a->store = val; return 0;
	case 'f': a->live = true; return 0;
	case 'n':
		if (parse_int(&a->limit, val, 1, 1000000))
			return cli_fail(c, EXIT_USAGE, MSG_CLI_BAD_NUMBER, val);
		return 0;
	}
	return EXIT_USAGE;
}

static const int alert_cols[] = { 5, 18, 12, 16, 11, 8, 6, 5, 16, 16, 6, 0 };

static int print_alert_line(const struct alert_view *a, void *arg)
{
	struct cli *c = arg;
	struct buf marks = BUF_INIT(256);
	char id[24], prio[8], count[24], opened[64], seen[64], ticket[24] = "-";
	snprintf(id, sizeof(id), "%lld", (long long)a->id);
	snprintf(prio, sizeof(prio), "P%d", a->priority);
	snprintf(count, sizeof(count), "%lld", (long long)a->count);
	if (a->ticket_id)
		snprintf(ticket, sizeof(ticket), "%lld", (long long)a->ticket_id);
	cli_time(opened, sizeof(opened), a->opened_at, a->timezone);
	cli_time(seen, sizeof(seen), a->last_seen_at, a->timezone);
	format_marks(&marks, a);
	cli_row(c, alert_cols, ARRAY_SIZE(alert_cols),
		(const char *[]){ id, a->store, till_name(a), a->code, word(a->state),
				  word(a->severity), prio, count, opened, seen, ticket,
				  buf_cstr(&marks) });
	buf_release(&marks);
	return 0;
}

static int alert_list(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "firing", no_argument, NULL, 'f' },
		{ "store", required_argument, NULL, 's' },
		{ "limit", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct list_args a = { .limit = 100 };
	struct alert_view_filter f = { 0 };
	bool done;
	int rc = cli_options(c, &argc, &argv, "fs:n:h", opts, MSG_HELP_ALERT_LIST, list_opt, &a,
			     &done);
	if (done || rc)
		return rc;
	if (argc != 0)
		return cli_usage(c, MSG_HELP_ALERT_LIST, false);
	if (!cli_db(c))
		return EXIT_FAIL;
	if (a.store && (rc = cli_found(c, db_store_find(c->db, &f.store_id, 0, a.store),
				       MSG_NOUN_STORE, a.store)))
		return rc;
	f.live_only = a.live;
	f.limit = (int)a.limit;
	cli_header(c, alert_cols, ARRAY_SIZE(alert_cols), MSG_CLI_ALERT_HEADER);
	return db_alert_view_list(c->db, &f, clock_now(), print_alert_line, c) ? EXIT_FAIL : EXIT_OK;
}

/* ---- alert show ---- */

/* What show needs after the card: the alert's scope, time and zone. */
struct shown {
	struct cli *c;
	int64_t store_id, till_id, opened_at, until;
	char code[128], zone[64];
};

static int print_alert_card(const struct alert_view *a, void *arg)
{
	struct shown *s = arg;
	struct buf marks = BUF_INIT(256);
	char opened[64], seen[64], at[64], ticket[24] = "-";
	s->store_id = a->store_id;
	s->till_id = a->till_id;
	s->opened_at = a->opened_at;
	s->until = a->resolved_at ? a->resolved_at : clock_now();
	snprintf(s->code, sizeof(s->code), "%s", a->code);
	snprintf(s->zone, sizeof(s->zone), "%s", a->timezone);
	if (a->ticket_id)
		snprintf(ticket, sizeof(ticket), "%lld", (long long)a->ticket_id);
	cli_time(opened, sizeof(opened), a->opened_at, a->timezone);
	cli_time(seen, sizeof(seen), a->last_seen_at, a->timezone);
	format_marks(&marks, a);
	cli_say(s->c, MSG_CLI_ALERT_CARD, (long long)a->id, a->code, word(a->state),
		word(a->severity), a->priority, buf_cstr(&marks), a->store, till_name(a),
		*a->check_name ? a->check_name : "-", *a->message ? a->message : "-",
		(long long)a->count, opened, seen, ticket);
	if (a->ok_since && strcmp(a->state, "resolved")) {
		cli_time(at, sizeof(at), a->ok_since, a->timezone);
		cli_say(s->c, MSG_CLI_ALERT_OK_SINCE, at);
	}
	if (a->resolved_at) {
		cli_time(at, sizeof(at), a->resolved_at, a->timezone);
		cli_say(s->c, MSG_CLI_ALERT_RESOLVED_AT, at);
	}
	if (a->held_by)
		cli_say(s->c, MSG_CLI_ALERT_HELD_BY, (long long)a->held_by);
	if (a->storm_id)
		cli_say(s->c, MSG_CLI_ALERT_STORM, (long long)a->storm_id);
	if (a->silence_id)
		cli_say(s->c, MSG_CLI_ALERT_OPENED_SILENCED, (long long)a->silence_id);
	buf_release(&marks);
	return 0;
}

static int print_alert_event(const struct alert_event_view *e, void *arg)
{
	struct shown *s = arg;
	char at[64];
	cli_time(at, sizeof(at), e->at, s->zone);
	if (*e->body)
		fprintf(s->c->out, "  %s  %-12s %s\n", at, e->kind, e->body);
	else
		fprintf(s->c->out, "  %s  %s\n", at, e->kind);
	return 0;
}

struct silences_seen {
	struct cli *c;
	int n;
};

static int print_covering(const struct silence_row *r, void *arg)
{
	struct silences_seen *seen = arg;
	if (!seen->n++)
		cli_silence_header(seen->c);
	return cli_silence_print(r, seen->c);
}

static int alert_show(struct cli *c, int argc, char **argv)
{
	struct shown s = { .c = c };
	struct silences_seen seen = { c, 0 };
	long long id;
	int64_t now = clock_now();
	int rc = cli_id_arg(c, argc, argv, MSG_HELP_ALERT_SHOW, &id);
	if (rc >= 0)
		return rc;
	if (!cli_db(c))
		return EXIT_FAIL;
	rc = cli_found(c, db_alert_view_get(c->db, id, now, print_alert_card, &s), MSG_NOUN_ALERT,
		       argv[1]);
	if (rc)
		return rc;
	cli_say(c, MSG_CLI_ALERT_HISTORY);
	if (db_alert_view_history(c->db, id, print_alert_event, &s))
		return cli_fail(c, EXIT_FAIL, MSG_CLI_DB_ERROR, db_errmsg(c->db));
	cli_say(c, MSG_CLI_ALERT_SILENCES);
	if (db_silences_covering(c->db, s.store_id, s.till_id, s.code, s.opened_at, s.until, now,
				 print_covering, &seen))
		return cli_fail(c, EXIT_FAIL, MSG_CLI_DB_ERROR, db_errmsg(c->db));
	if (!seen.n)
		cli_say(c, MSG_CLI_ALERT_NO_SILENCES);
	return EXIT_OK;
}

int cmd_alert(struct cli *c, int argc, char **argv)
{
	static const struct cli_sub subs[] = { { "list", alert_list }, { "show", alert_show },
					       { NULL, NULL } };
	return cli_dispatch(c, argc, argv, subs, MSG_HELP_ALERT);
}
