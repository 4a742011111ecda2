/*
 * cmd_updates.c - updates failed and updates retry: the Telegram updates
 * the poller set aside after their last try (bot/intake.h).
 */
#include "bot/intake.h"
#include "bot/update.h"
#include "cli/cli.h"
#include "core/buf.h"
#include "kb/search.h"
#include "storage/failed.h"

static const int failed_cols[] = { 5, 10, 20, 7, 40, 0 };

/* What came: "chat N: text" from the raw update, on one line. */
static void excerpt(struct buf *b, const char *raw)
{
	struct tg_update u;
	json_object *o = json_tokener_parse(raw);
	if (o && !update_decode(&u, o)) {
		const char *what = u.kind == UPDATE_CALLBACK && u.callback_data ? u.callback_data :
				   *u.text ? u.text : u.photo ? "[photo]" : u.document ? "[document]" : "";
		msg_buf(b, MSG_CLI_UPDATES_CHAT, (long long)u.chat_id, what);
	} else {
		buf_puts(b, raw);
	}
	if (o)
		json_object_put(o);
	/* A table row stays one line. */
	for (size_t i = 0; i < b->len; i++)
		if ((unsigned char)b->data[i] < 0x20)
			b->data[i] = ' ';
}

/* The header is printed with the first row, so an empty table reads the table once. */
struct listing {
	struct cli *c;
	int rows;
};

static int print_failed(const struct failed_update *f, void *arg)
{
	struct listing *l = arg;
	struct cli *c = l->c;
	char id[24], update[24], at[64], tries[16];
	struct buf what = BUF_INIT(4096);
	snprintf(id, sizeof(id), "%lld", (long long)f->id);
	snprintf(update, sizeof(update), "%lld", (long long)f->update_id);
	snprintf(tries, sizeof(tries), "%d", f->tries);
	cli_time(at, sizeof(at), f->tried_at, NULL);
	excerpt(&what, f->raw);
	if (!l->rows++)
		cli_header(c, failed_cols, ARRAY_SIZE(failed_cols), MSG_CLI_UPDATES_HEADER);
	cli_row(c, failed_cols, ARRAY_SIZE(failed_cols),
		(const char *[]){ id, update, at, tries, buf_cstr(&what), f->error });
	buf_release(&what);
	return 0;
}

static int updates_failed(struct cli *c, int argc, char **argv)
{
	struct listing l = { c, 0 };
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
		return cli_usage(c, MSG_HELP_UPDATES_FAILED, true);
	if (argc != 1)
		return cli_usage(c, MSG_HELP_UPDATES_FAILED, false);
	if (!cli_db(c))
		return EXIT_FAIL;
	if (db_failed_list(c->db, print_failed, &l))
		return cli_fail(c, EXIT_FAIL, MSG_CLI_DB_ERROR, db_errmsg(c->db));
	if (!l.rows)
		cli_say(c, MSG_CLI_UPDATES_NONE);
	return EXIT_OK;
}

static int updates_retry(struct cli *c, int argc, char **argv)
{
	struct intake in;
	char why[512];
	long long id;
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
		return cli_usage(c, MSG_HELP_UPDATES_RETRY, true);
	if (argc != 2)
		return cli_usage(c, MSG_HELP_UPDATES_RETRY, false);
	if (parse_int(&id, argv[1], 1, INT64_MAX))
		return cli_fail(c, EXIT_USAGE, MSG_CLI_BAD_NUMBER, argv[1]);
	if (!cli_db(c))
		return EXIT_FAIL;
	/* The same handler as the daemon's, with the knowledge base's advice. */
	struct kb *kb = kb_new();
	intake_init(&in, c->db, kb, &c->cfg);
	int rc = intake_retry(&in, id, why, sizeof(why));
	kb_free(kb);
	if (rc == TD_ENOTFOUND)
		return cli_fail(c, EXIT_FAIL, MSG_CLI_NOT_FOUND, msg(MSG_NOUN_FAILED_UPDATE), argv[1]);
	if (rc)
		return cli_fail(c, EXIT_FAIL, MSG_CLI_UPDATES_FAILED_AGAIN, id, why);
	cli_say(c, MSG_CLI_UPDATES_RETRIED, id);
	return EXIT_OK;
}

int cmd_updates(struct cli *c, int argc, char **argv)
{
	static const struct cli_sub subs[] = { { "failed", updates_failed }, { "retry", updates_retry },
					       { NULL, NULL } };
	return cli_dispatch(c, argc, argv, subs, MSG_HELP_UPDATES);
}
