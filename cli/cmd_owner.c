/*
 * cmd_owner.c - org owner add|set|remove|list: an organisation's owners,
 * the addresses its letters go to, and which letters each gets in which
 * language (storage/owners.h).
 */
#include <getopt.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "storage/chain.h"
#include "storage/owners.h"

#define OWNER_NAME_MAX_BYTES 200

struct owner_args {
	struct owner_change change;
	bool changes;   /* some option was given */
};

/* --digest, --breach, --expiry: their short options are the kinds' order. */
static const char kind_opts[OWNER_MAIL_COUNT] = {
	[OWNER_MAIL_DIGEST] = 'd', [OWNER_MAIL_BREACH] = 'b', [OWNER_MAIL_EXPIRY] = 'e',
};

static int owner_opt(struct cli *c, int opt, const char *val, void *arg)
{
	struct owner_args *a = arg;
	enum msg_lang lang;
	a->changes = true;
	switch (opt) {
	case 'n':
		if (cli_check_text(c, MSG_NOUN_OWNER_NAME, val, OWNER_NAME_MAX_BYTES))
			return EXIT_USAGE;
		a->change.name = val;
		return 0;
	case 'l':
		if (msg_lang_parse(&lang, val))
			return cli_fail(c, EXIT_USAGE, MSG_CLI_BAD_LANG, val);
		a->change.language = val;
		return 0;
	}
	for (int k = 0; k < OWNER_MAIL_COUNT; k++) {
		if (opt != kind_opts[k])
			continue;
		if (strcmp(val, "on") && strcmp(val, "off"))
			return cli_fail(c, EXIT_USAGE, MSG_CLI_BAD_ON_OFF, val);
		a->change.wants[k] = !strcmp(val, "on");
		return 0;
	}
	return EXIT_USAGE;
}

static const struct option owner_opts[] = {
	{ "name", required_argument, NULL, 'n' },
	{ "lang", required_argument, NULL, 'l' },
	{ "digest", required_argument, NULL, 'd' },
	{ "breach", required_argument, NULL, 'b' },
	{ "expiry", required_argument, NULL, 'e' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* What an owner command names after ORG. */
enum owner_arg {
	OWNER_ARG_NONE,
	OWNER_ARG_NEW,    /* an address to add: it must be one a letter can go to */
	OWNER_ARG_KNOWN,  /* an owner's address as stored (one added before the rule tightened too) */
};

/*
 * Parses an owner command: its options (shortopts), then ORG and EMAIL as
 * want says; finds the organisation. Returns -1 to go on, or the exit
 * status to end with (reported).
 */
static int owner_command(struct cli *c, int *argc, char ***argv, const char *shortopts,
			 enum msg_id help, enum owner_arg want, struct owner_args *a, int64_t *org_id)
{
	bool done;
	*a = (struct owner_args){ .change.wants = { -1, -1, -1 } };
	int rc = cli_options(c, argc, argv, shortopts, owner_opts, help, owner_opt, a, &done);
	if (done || rc)
		return rc;
	if (*argc != (want == OWNER_ARG_NONE ? 1 : 2))
		return cli_usage(c, help, false);
	if (want == OWNER_ARG_NEW && !cli_email_valid((*argv)[1]))
		return cli_fail(c, EXIT_USAGE, MSG_CLI_BAD_EMAIL, (*argv)[1]);
	if (!cli_db(c))
		return EXIT_FAIL;
	if ((rc = cli_found(c, db_org_find(c->db, org_id, (*argv)[0]), MSG_NOUN_ORG, (*argv)[0])))
		return rc;
	return -1;
}

/* Ends an owner change's transaction, naming what went wrong; said on success. */
static int owner_finish(struct cli *c, int rc, int64_t org_id, const char *email, enum msg_id said)
{
	if (rc == TD_EEXISTS)
		rc = cli_fail(c, EXIT_FAIL, MSG_CLI_OWNER_EXISTS, (long long)org_id, email);
	else if (rc == TD_ENOTFOUND)
		rc = cli_fail(c, EXIT_FAIL, MSG_CLI_OWNER_NOT_FOUND, (long long)org_id, email);
	else if (rc)
		rc = cli_fail(c, EXIT_FAIL, MSG_CLI_DB_ERROR, db_errmsg(c->db));
	if ((rc = cli_finish(c, rc)))
		return rc;
	cli_say(c, said, (long long)org_id, email);
	return EXIT_OK;
}

static int owner_add(struct cli *c, int argc, char **argv)
{
	struct owner_args a;
	int64_t org_id;
	int rc = owner_command(c, &argc, &argv, "n:l:h", MSG_HELP_ORG_OWNER_ADD, OWNER_ARG_NEW, &a,
			       &org_id);
	if (rc >= 0 || (rc = cli_begin(c)))
		return rc;
	rc = db_owner_add(c->db, org_id, argv[1], a.change.name, a.change.language);
	return owner_finish(c, rc, org_id, argv[1], MSG_CLI_OWNER_ADDED);
}

static int owner_set(struct cli *c, int argc, char **argv)
{
	struct owner_args a;
	int64_t org_id;
	int rc = owner_command(c, &argc, &argv, "n:l:d:b:e:h", MSG_HELP_ORG_OWNER_SET, OWNER_ARG_KNOWN,
			       &a, &org_id);
	if (rc >= 0)
		return rc;
	if (!a.changes)
		return cli_usage(c, MSG_HELP_ORG_OWNER_SET, false);
	if ((rc = cli_begin(c)))
		return rc;
	rc = db_owner_set(c->db, org_id, argv[1], &a.change);
	return owner_finish(c, rc, org_id, argv[1], MSG_CLI_OWNER_CHANGED);
}

static int owner_remove(struct cli *c, int argc, char **argv)
{
	struct owner_args a;
	int64_t org_id;
	int rc = owner_command(c, &argc, &argv, "h", MSG_HELP_ORG_OWNER_REMOVE, OWNER_ARG_KNOWN, &a,
			       &org_id);
	if (rc >= 0 || (rc = cli_begin(c)))
		return rc;
	rc = db_owner_remove(c->db, org_id, argv[1]);
	return owner_finish(c, rc, org_id, argv[1], MSG_CLI_OWNER_REMOVED);
}

static const int owner_cols[] = { 30, 20, 16, 8, 10, 0 };

static int print_owner(const struct owner_row *r, void *arg)
{
	struct cli *c = arg;
	struct buf lang = BUF_INIT(64);
	const char *on[OWNER_MAIL_COUNT];
	if (*r->language)
		buf_puts(&lang, r->language);
	else
		msg_buf(&lang, MSG_CLI_LANG_DEFAULT, c->cfg.language);
	for (int k = 0; k < OWNER_MAIL_COUNT; k++)
		on[k] = msg(r->wants[k] ? MSG_CLI_ON : MSG_CLI_OFF);
	cli_row(c, owner_cols, ARRAY_SIZE(owner_cols),
		(const char *[]){ r->email, *r->name ? r->name : "-", buf_cstr(&lang),
				  on[OWNER_MAIL_DIGEST], on[OWNER_MAIL_BREACH], on[OWNER_MAIL_EXPIRY] });
	buf_release(&lang);
	return 0;
}

static int owner_list(struct cli *c, int argc, char **argv)
{
	struct owner_args a;
	int64_t org_id;
	int rc = owner_command(c, &argc, &argv, "h", MSG_HELP_ORG_OWNER_LIST, OWNER_ARG_NONE, &a, &org_id);
	if (rc >= 0)
		return rc;
	cli_header(c, owner_cols, ARRAY_SIZE(owner_cols), MSG_CLI_OWNER_HEADER);
	return db_owner_list(c->db, org_id, print_owner, c) ? EXIT_FAIL : EXIT_OK;
}

int cmd_org_owner(struct cli *c, int argc, char **argv)
{
	static const struct cli_sub subs[] = {
		{ "add", owner_add }, { "set", owner_set }, { "remove", owner_remove },
		{ "list", owner_list }, { NULL, NULL },
	};
	return cli_dispatch(c, argc, argv, subs, MSG_HELP_ORG_OWNER);
}
