/*
 * cmd_digest.c - digest show|send: an organisation's daily digest
 * previewed, or queued as a letter to its owners (mail/digest.h).
 */
#include <getopt.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "core/clock.h"
#include "mail/digest.h"
#include "storage/chain.h"

struct args {
	const char *org, *date, *format;
};

static int digest_opt(struct cli *c, int opt, const char *val, void *arg)
{
	struct args *a = arg;
	switch (opt) {
	case 'o': a->org = val; return 0;
	case 'd': a->date = val; return 0;
	case 'F': a->format = val; return 0;
	}
	(void)c;
	return EXIT_USAGE;
}

/* The options, the organisation and the date (given, else yesterday in its zone); 0 or an exit status. */
static int digest_args(struct cli *c, int argc, char **argv, enum msg_id help, struct args *a,
		       int64_t *org_id, char *date, bool *done)
{
	static const struct option opts[] = {
		{ "org", required_argument, NULL, 'o' },
		{ "date", required_argument, NULL, 'd' },
		{ "format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long day;
	int rc = cli_options(c, &argc, &argv, help == MSG_HELP_DIGEST_SHOW ? "o:d:F:h" : "o:d:h",
			     opts, help, digest_opt, a, done);
	if (*done || rc)
		return rc;
	if (argc != 0 || !a->org || (a->format && help != MSG_HELP_DIGEST_SHOW))
		return cli_usage(c, help, false);
	if (a->date && parse_date(&day, a->date))
		return cli_fail(c, EXIT_USAGE, MSG_CLI_BAD_DATE, a->date);
	if (a->format && strcmp(a->format, "text") && strcmp(a->format, "html"))
		return cli_fail(c, EXIT_USAGE, MSG_CLI_DIGEST_BAD_FORMAT, a->format);
	if (!cli_db(c))
		return EXIT_FAIL;
	if ((rc = cli_found(c, db_org_find(c->db, org_id, a->org), MSG_NOUN_ORG, a->org)))
		return rc;
	if (a->date)
		snprintf(date, 11, "%s", a->date);
	else
		digest_yesterday(c->db, *org_id, clock_now(), date);
	return 0;
}

static int digest_show(struct cli *c, int argc, char **argv)
{
	struct args a = { 0 };
	struct digest d;
	struct buf out = BUF_INIT(8 << 20);
	char date[11];
	int64_t org_id;
	bool done;
	int rc = digest_args(c, argc, argv, MSG_HELP_DIGEST_SHOW, &a, &org_id, date, &done);
	if (done || rc)
		return rc;
	if (digest_build(&d, c->db, org_id, date))
		return cli_fail(c, EXIT_FAIL, MSG_CLI_DB_ERROR, db_errmsg(c->db));
	rc = a.format && !strcmp(a.format, "html") ? digest_html(&out, &d) : digest_text(&out, &d);
	if (rc)
		rc = cli_fail(c, EXIT_FAIL, MSG_CLI_DB_ERROR, "out of memory");
	else
		fputs(buf_cstr(&out), c->out);
	buf_release(&out);
	digest_release(&d);
	return rc;
}

static int digest_send(struct cli *c, int argc, char **argv)
{
	struct args a = { 0 };
	char date[11], ref[64];
	int64_t org_id;
	bool done;
	int rc = digest_args(c, argc, argv, MSG_HELP_DIGEST_SEND, &a, &org_id, date, &done);
	if (done || rc)
		return rc;
	if ((rc = cli_begin(c)))
		return rc;
	snprintf(ref, sizeof(ref), "digest:%lld:%s", (long long)org_id, date);
	int q = digest_queue(c->db, org_id, date, clock_now());
	if (q == TD_EEXISTS) {
		cli_finish(c, 0);
		cli_say(c, MSG_CLI_DIGEST_ALREADY, a.org, date, ref);
		return EXIT_OK;
	}
	if (q == TD_ENOTFOUND)
		rc = cli_fail(c, EXIT_FAIL, MSG_CLI_DIGEST_NO_OWNERS, a.org);
	else if (q)
		rc = cli_fail(c, EXIT_FAIL, MSG_CLI_DB_ERROR, db_errmsg(c->db));
	if ((rc = cli_finish(c, rc)))
		return rc;
	cli_say(c, MSG_CLI_DIGEST_QUEUED, a.org, date, ref);
	return EXIT_OK;
}

int cmd_digest(struct cli *c, int argc, char **argv)
{
	static const struct cli_sub subs[] = {
		{ "show", digest_show }, { "send", digest_send }, { NULL, NULL },
	};
	return cli_dispatch(c, argc, argv, subs, MSG_HELP_DIGEST);
}
