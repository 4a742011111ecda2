/*
 * cmd_mail.c - `tilldesk mail queue [--all]`: the letters that wait or
 * failed (mail/sender.h), with each recipient's outcome. `tilldesk mail
 * fetch`: one pass over the mailbox of [imap] (mail/intake.h), as the
 * daemon's intake makes it, with what became of the letters.
 */
#include <getopt.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "core/http.h"
#include "mail/build.h"
#include "mail/imap.h"
#include "mail/intake.h"
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

static int mail_fetch_cmd(struct cli *c, int argc, char **argv)
{
	struct mail_intake_counts n = { 0 };
	struct imap *session = NULL;
	if (argc != 1)
		return cli_usage(c, MSG_HELP_MAIL_FETCH, argc == 2 && (!strcmp(argv[1], "-h") ||
								       !strcmp(argv[1], "--help")));
	if (!*c->cfg.imap_url)
		return cli_fail(c, EXIT_FAIL, MSG_CLI_MAIL_NO_IMAP);
	if (!cli_db(c))
		return EXIT_FAIL;
	if (http_global_init())
		return cli_fail(c, EXIT_FAIL, MSG_CLI_DB_ERROR, "libcurl");
	mail_mime_init();
	int rc = mail_intake_pass(c->db, &c->cfg, NULL, &session, NULL, &n);
	imap_close(session);
	mail_mime_shutdown();
	http_global_cleanup();
	cli_say(c, MSG_CLI_MAIL_FETCHED, n.letters, n.outcomes[INBOUND_OPENED], n.outcomes[INBOUND_JOINED],
		n.outcomes[INBOUND_ANSWERED], n.outcomes[INBOUND_DECIDED], n.outcomes[INBOUND_UNKNOWN],
		n.outcomes[INBOUND_CAPPED], n.outcomes[INBOUND_OVERSIZE], n.outcomes[INBOUND_LOOP],
		n.outcomes[INBOUND_INVALID], n.again, n.gone);
	if (rc)
		return cli_fail(c, EXIT_FAIL, MSG_CLI_MAIL_FETCH_FAILED, c->cfg.imap_url);
	return EXIT_OK;
}

int cmd_mail(struct cli *c, int argc, char **argv)
{
	static const struct cli_sub subs[] = { { "queue", mail_queue_cmd }, { "fetch", mail_fetch_cmd },
					       { NULL, NULL } };
	return cli_dispatch(c, argc, argv, subs, MSG_HELP_MAIL);
}
