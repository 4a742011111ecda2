/*
 * cmd_ticket.c - ticket list, ticket show and ticket file.
 */
#include <errno.h>
#include <getopt.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "core/notice.h"
#include "storage/attachments.h"
#include "storage/chain.h"
#include "storage/sla.h"
#include "storage/ticket.h"

struct list_args {
	const char *org, *store;
	bool open;
	long long limit;
};

static int list_opt(struct cli *c, int opt, const char *val, void *arg)
{
	struct list_args *a = arg;
	switch (opt) {
	case 'o': a->org = val; return 0;
	case 's': a->store = val; return 0;
	case 'O': a->open = true; return 0;
	case 'n':
		if (parse_int(&a->limit, val, 1, 1000000))
			return cli_fail(c, EXIT_USAGE, MSG_CLI_BAD_NUMBER, val);
		return 0;
	}
	return EXIT_USAGE;
}

static const int ticket_cols[] = { 6, 6, 9, 16, 16, 20, 16, 0 };

static int print_ticket_line(const struct ticket_row *r, void *arg)
{
	struct cli *c = arg;
	char opened[64];
	cli_time(opened, sizeof(opened), r->created_at, r->timezone);
	char id[24], prio[8];
	snprintf(id, sizeof(id), "%lld", (long long)r->id);
	snprintf(prio, sizeof(prio), "P%d", r->priority);
	cli_row(c, ticket_cols, ARRAY_SIZE(ticket_cols),
		(const char *[]){ id, prio, ticket_status_name(r->status), opened, r->org, r->store,
				  *r->assignee ? r->assignee : "-", r->title });
	return 0;
}

static int ticket_list(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "org", required_argument, NULL, 'o' },
		{ "store", required_argument, NULL, 's' },
		{ "open", no_argument, NULL, 'O' },
		{ "limit", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct list_args a = { .limit = 100 };
	struct ticket_filter f = { 0 };
	bool done;
	int rc = cli_options(c, &argc, &argv, "o:s:On:h", opts, MSG_HELP_TICKET_LIST, list_opt, &a,
			     &done);
	if (done || rc)
		return rc;
	if (argc != 0)
		return cli_usage(c, MSG_HELP_TICKET_LIST, false);
	if (!cli_db(c))
		return EXIT_FAIL;
	if (a.org && (rc = cli_found(c, db_org_find(c->db, &f.org_id, a.org), MSG_NOUN_ORG, a.org)))
		return rc;
	if (a.store && (rc = cli_found(c, db_store_find(c->db, &f.store_id, f.org_id, a.store),
				       MSG_NOUN_STORE, a.store)))
		return rc;
	f.all_orgs = !a.org;
	f.all_stores = !a.store;
	f.open_only = a.open;
	f.limit = (int)a.limit;
	cli_header(c, ticket_cols, ARRAY_SIZE(ticket_cols), MSG_CLI_TICKET_HEADER);
	return db_ticket_list(c->db, &f, print_ticket_line, c) ? EXIT_FAIL : EXIT_OK;
}

struct show_ctx {
	struct cli *c;
	char zone[64];
	int files;   /* attachments listed so far */
};

static int print_ticket_card(const struct ticket_row *r, void *arg)
{
	struct show_ctx *s = arg;
	char opened[64];
	snprintf(s->zone, sizeof(s->zone), "%s", r->timezone);
	cli_time(opened, sizeof(opened), r->created_at, r->timezone);
	cli_say(s->c, MSG_CLI_TICKET_CARD, (long long)r->id, r->title, r->priority,
		ticket_status_name(r->status), r->org, r->store, r->address,
		*r->till ? r->till : "-", *r->cashier ? r->cashier : "-",
		*r->assignee ? r->assignee : "-", r->source, opened);
	return 0;
}

/* One SLA timer: its budget and deadline, when it was met and whether it was breached. */
static int print_sla(struct show_ctx *s, int64_t id, enum sla_kind kind)
{
	struct sla_timer t;
	struct buf budget = BUF_INIT(64), b = BUF_INIT(256);
	char at[64];
	int rc = db_sla_get(s->c->db, id, kind, &t);
	if (rc)
		return rc == TD_ENOTFOUND ? 0 : rc;
	msg_span(&budget, t.budget);
	if (t.due_at)
		cli_time(at, sizeof(at), t.due_at, s->zone);
	msg_buf(&b, MSG_CLI_TICKET_SLA,
		msg(kind == SLA_REACTION ? MSG_CLI_SLA_REACTION : MSG_CLI_SLA_RESOLUTION),
		buf_cstr(&budget), t.due_at ? at : msg(MSG_CLI_SLA_PAUSED));
	if (t.met_at) {
		buf_reset(&budget);
		msg_span(&budget, t.used);
		msg_buf(&b, MSG_CLI_SLA_MET, buf_cstr(&budget));
	}
	if (t.breached_at) {
		cli_time(at, sizeof(at), t.breached_at, s->zone);
		msg_buf(&b, MSG_CLI_SLA_BREACHED, at);
	}
	fprintf(s->c->out, "%s\n", buf_cstr(&b));
	buf_release(&budget);
	buf_release(&b);
	return 0;
}

/*
 * A history row's words in the command line's language: the desk's own
 * (a catalogue message) rendered now, a person's as they were written.
 */
static const char *event_words(struct buf *b, const struct ticket_event_row *e)
{
	const struct notice n = { .kind = NOTICE_SAY, .msg_key = e->msg_key, .args = e->args };
	if (!*e->msg_key)
		return e->body;
	/* A key this build does not know (a newer one wrote it): at least say which. */
	return notice_text(b, &n, msg_language(), NOTICE_TEXT_PLAIN) ? e->msg_key : buf_cstr(b);
}

static int print_event(const struct ticket_event_row *e, void *arg)
{
	struct show_ctx *s = arg;
	struct buf words = BUF_INIT(64u << 10);
	char at[64];
	cli_time(at, sizeof(at), e->at, s->zone);
	fprintf(s->c->out, "  %s  %-10s %-9s P%d  %-16s %s\n", at, e->kind,
		ticket_status_name(e->status), e->priority, *e->actor ? e->actor : "-",
		event_words(&words, e));
	buf_release(&words);
	return 0;
}

/* One file of the ticket: its id (for ticket file), name, size, and whether its bytes were kept. */
static int print_attachment(const struct attachment *a, void *arg)
{
	struct show_ctx *s = arg;
	if (!s->files++)
		cli_say(s->c, MSG_CLI_TICKET_FILES);
	cli_say(s->c, MSG_CLI_TICKET_FILE_KEPT, (long long)a->id, a->name, (long long)a->size,
		msg(a->kept ? MSG_CLI_FILE_KEPT : MSG_CLI_FILE_NOT_KEPT));
	return 0;
}

static int ticket_show(struct cli *c, int argc, char **argv)
{
	struct show_ctx s = { .c = c };
	long long id;
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
		return cli_usage(c, MSG_HELP_TICKET_SHOW, true);
	if (argc != 2)
		return cli_usage(c, MSG_HELP_TICKET_SHOW, false);
	const char *ref = argv[1][0] == '#' ? argv[1] + 1 : argv[1];
	if (parse_int(&id, ref, 1, INT64_MAX))
		return cli_fail(c, EXIT_USAGE, MSG_CLI_BAD_NUMBER, argv[1]);
	if (!cli_db(c))
		return EXIT_FAIL;
	int rc = db_ticket_get(c->db, id, print_ticket_card, &s);
	if (rc == TD_ENOTFOUND)
		return cli_fail(c, EXIT_FAIL, MSG_CLI_NOT_FOUND, msg(MSG_NOUN_TICKET), argv[1]);
	if (rc)
		return cli_fail(c, EXIT_FAIL, MSG_CLI_DB_ERROR, db_errmsg(c->db));
	if (print_sla(&s, id, SLA_REACTION) || print_sla(&s, id, SLA_RESOLUTION) ||
	    db_attachments_each(c->db, id, print_attachment, &s))
		return cli_fail(c, EXIT_FAIL, MSG_CLI_DB_ERROR, db_errmsg(c->db));
	cli_say(c, MSG_CLI_TICKET_HISTORY);
	return db_ticket_history(c->db, id, print_event, &s) ? EXIT_FAIL : EXIT_OK;
}

static int file_opt(struct cli *c, int opt, const char *val, void *arg)
{
	(void)c;
	if (opt == 'o')
		*(const char **)arg = val;
	return 0;
}

/* Writes a kept file's bytes to out (standard output unless --out names a file). */
static int ticket_file(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL;
	struct attachment a;
	long long id;
	bool done;
	int rc = cli_options(c, &argc, &argv, "o:h", opts, MSG_HELP_TICKET_FILE, file_opt, &path,
			     &done);
	if (done || rc)
		return rc;
	if (argc != 1)
		return cli_usage(c, MSG_HELP_TICKET_FILE, false);
	if (parse_int(&id, argv[0], 1, INT64_MAX))
		return cli_fail(c, EXIT_USAGE, MSG_CLI_BAD_NUMBER, argv[0]);
	if (!cli_db(c))
		return EXIT_FAIL;
	rc = db_attachment_get(c->db, id, true, &a);
	if (rc == TD_ENOTFOUND)
		return cli_fail(c, EXIT_FAIL, MSG_CLI_NOT_FOUND, msg(MSG_NOUN_ATTACHMENT), argv[0]);
	if (rc)
		return cli_fail(c, EXIT_FAIL, MSG_CLI_DB_ERROR, db_errmsg(c->db));
	if (!a.kept) {
		rc = cli_fail(c, EXIT_FAIL, MSG_CLI_FILE_NOT_KEPT_ERR, id, a.name);
		goto done;
	}
	FILE *f = path ? fopen(path, "wb") : c->out;
	bool ok = f && fwrite(a.data, 1, (size_t)a.size, f) == (size_t)a.size;
	ok = (f && f != c->out ? fclose(f) == 0 : f && fflush(f) == 0) && ok;
	rc = ok ? EXIT_OK : cli_fail(c, EXIT_FAIL, MSG_CLI_FILE_WRITE, path ? path : "-",
				     strerror(errno));
done:
	attachment_release(&a);
	return rc;
}

int cmd_ticket(struct cli *c, int argc, char **argv)
{
	static const struct cli_sub subs[] = { { "list", ticket_list }, { "show", ticket_show },
					       { "file", ticket_file }, { NULL, NULL } };
	return cli_dispatch(c, argc, argv, subs, MSG_HELP_TICKET);
}
