/*
 * cmd_mail.c - `tilldesk mail queue [--all]`: the letters that wait or
 * failed (mail/sender.h), with each recipient's outcome.
 */
#include <getopt.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "storage/letters.h"

static const int queue_cols[] = { 5, 8, 26, 28, 9, 20, 0 };

struct listing {
	struct cli *c;
	int rows;
};

static int add_rcpt(const struct letter_rcpt_row *r, void *arg)
{
	struct buf *b = arg;
	if (b->len)
		buf_puts(b, ", ");
	if (r->status)
		buf_printf(b, "%s %s %d", r->addr, r->state, r->status);
	else
		buf_printf(b, "%s %s", r->addr, r->state);
	return 0;
}

static int print_letter(const struct letter_row *l, void *arg)
{
	struct listing *ls = arg;
	struct cli *c = ls->c;
	char id[24], attempts[16], next[64];
	struct buf rcpts = BUF_INIT(1 << 16), kind = BUF_INIT(256);
	snprintf(id, sizeof(id), "%lld", (long long)l->id);
	snprintf(attempts, sizeof(attempts), "%d", l->attempts);
	if (l->done)
		snprintf(next, sizeof(next), "—");
	else
		cli_time(next, sizeof(next), l->next_at, NULL);
	buf_printf(&kind, "%s %s", l->kind, l->ref);
	int rc = db_letter_rcpts(c->db, l->id, add_rcpt, &rcpts);
	if (!ls->rows++)
		cli_header(c, queue_cols, ARRAY_SIZE(queue_cols), MSG_CLI_MAIL_QUEUE_HEADER);
	cli_row(c, queue_cols, ARRAY_SIZE(queue_cols),
		(const char *[]){ id, attempts, buf_cstr(&kind), l->subject, next, buf_cstr(&rcpts),
				  l->last_error });
	buf_release(&rcpts);
	buf_release(&kind);
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
