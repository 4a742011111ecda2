/*
 * cmd_mail.c - `tilldesk mail queue [--all]`: the letters that wait or
 * failed (mail/sender.h), with each recipient's outcome.
 */
#include <getopt.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "storage/letters.h"

/* A letter on one line, each recipient on one below it, then its last error. */
static const int letter_cols[] = { 5, 8, 17, 8, 0 };
static const int rcpt_cols[] = { 5, 34, 8, 5, 0 };

struct listing {
	struct cli *c;
	int rows;
};

static int print_rcpt(const struct letter_rcpt_row *r, void *arg)
{
	struct cli *c = arg;
	char status[16] = "";
	if (r->status)
		snprintf(status, sizeof(status), "%d", r->status);
	cli_row(c, rcpt_cols, ARRAY_SIZE(rcpt_cols), (const char *[]){ "", r->addr, r->state, status, r->reply });
	return 0;
}

static int print_letter(const struct letter_row *l, void *arg)
{
	struct listing *ls = arg;
	struct cli *c = ls->c;
	char id[24], attempts[16], next[64];
	struct buf what = BUF_INIT(4096);
	snprintf(id, sizeof(id), "%lld", (long long)l->id);
	snprintf(attempts, sizeof(attempts), "%d", l->attempts);
	if (l->done)
		snprintf(next, sizeof(next), "—");
	else
		cli_time(next, sizeof(next), l->next_at, NULL);
	buf_printf(&what, "%s  %s", l->ref, l->subject);
	if (!ls->rows++)
		cli_header(c, letter_cols, ARRAY_SIZE(letter_cols), MSG_CLI_MAIL_QUEUE_HEADER);
	cli_row(c, letter_cols, ARRAY_SIZE(letter_cols),
		(const char *[]){ id, attempts, next, l->kind, buf_cstr(&what) });
	buf_release(&what);
	int rc = db_letter_rcpts(c->db, l->id, print_rcpt, c);
	if (*l->last_error)
		cli_say(c, MSG_CLI_MAIL_LAST_ERROR, l->last_error);
	return rc;
}

static int set_all(struct cli *c, int opt, const char *val, void *arg)
{
	(void)c;
	(void)val;
	if (opt == 'a')
		*(bool *)arg = true;
	return 0;
}

static int mail_queue_cmd(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = { { "all", no_argument, NULL, 'a' },
						 { "help", no_argument, NULL, 'h' },
						 { NULL, 0, NULL, 0 } };
	struct listing ls = { c, 0 };
	bool all = false, done = false;
	int rc = cli_options(c, &argc, &argv, "ah", opts, MSG_HELP_MAIL_QUEUE, set_all, &all, &done);
	if (rc || done)
		return rc;
	if (argc != 0)
		return cli_usage(c, MSG_HELP_MAIL_QUEUE, false);
	if (!cli_db(c))
		return EXIT_FAIL;
	if (db_letter_list(c->db, all, print_letter, &ls))
		return cli_fail(c, EXIT_FAIL, MSG_CLI_DB_ERROR, db_errmsg(c->db));
	if (!ls.rows)
		cli_say(c, all ? MSG_CLI_MAIL_NONE : MSG_CLI_MAIL_QUEUE_EMPTY);
	return EXIT_OK;
}

int cmd_mail(struct cli *c, int argc, char **argv)
{
	static const struct cli_sub subs[] = { { "queue", mail_queue_cmd }, { NULL, NULL } };
	return cli_dispatch(c, argc, argv, subs, MSG_HELP_MAIL);
}
