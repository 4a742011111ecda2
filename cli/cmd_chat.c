/*
 * cmd_chat.c - `tilldesk chat`: a cashier's conversation with the dialog
 * engine in the terminal, without Telegram. Each line typed is an update
 * handled like the poller handles one (one transaction); what the bot
 * queued is printed and marked sent in that same transaction, so a running
 * daemon never delivers it. A knowledge-base author tries articles here.
 */
#include <getopt.h>
#include <json-c/json.h>

#include "bot/dialog.h"
#include "bot/render_tg.h"
#include "cli/cli.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/html.h"
#include "core/token.h"
#include "kb/search.h"
#include "storage/chain.h"
#include "storage/outbox.h"

/* The console cashier's Telegram id: far above real ids, so it never meets one. */
#define CONSOLE_USER 999999000001LL
#define BUTTONS_MAX 8
#define LINE_MAX_BYTES 4096

struct chat_args {
	const char *name, *store;
};

struct console {
	struct cli *c;
	struct dialog d;
	int64_t next_message_id;
	/* The buttons of the newest message that had any: /p N presses one. */
	char button_data[BUTTONS_MAX][65];
	int64_t button_message;
	int n_buttons;
};

static int chat_opt(struct cli *c, int opt, const char *val, void *arg)
{
	struct chat_args *a = arg;
	(void)c;
	switch (opt) {
	case 'a': a->name = val; return 0;
	case 's': a->store = val; return 0;
	}
	return EXIT_USAGE;
}

/* The store the console cashier belongs to: named, the first, or a new demo one. */
static int console_store(struct cli *c, const char *ref, int64_t *out)
{
	int64_t org;
	if (ref)
		return cli_found(c, db_store_find(c->db, out, 0, ref), MSG_NOUN_STORE, ref);
	/* Store ids start at 1: "1" is the first store ever added. */
	if (!db_store_find(c->db, out, 0, "1"))
		return 0;
	if (db_org_add(c->db, &org, msg(MSG_CHAT_DEMO_ORG), "standard", NULL) ||
	    db_store_add(c->db, out, org, msg(MSG_CHAT_DEMO_STORE), "", "Europe/Moscow", "24/7"))
		return cli_fail(c, EXIT_FAIL, MSG_CLI_DB_ERROR, db_errmsg(c->db));
	return 0;
}

/* Registers the console cashier through an invite, as a real one would be. */
static int console_cashier(struct cli *c, const struct chat_args *a)
{
	int64_t store, invite, person;
	char code[64], hash[65];
	int rc = console_store(c, a->store, &store);
	if (rc)
		return rc;
	if (token_new(code, sizeof(code), "", 16))
		return cli_fail(c, EXIT_FAIL, MSG_CLI_NO_RANDOM);
	token_hash(hash, code);
	if (db_invite_add(c->db, &invite, hash, "cashier", store, 0, clock_now() + 60) ||
	    db_invite_redeem(c->db, &person, hash, CONSOLE_USER, a->name, clock_now()))
		return cli_fail(c, EXIT_FAIL, MSG_CLI_DB_ERROR, db_errmsg(c->db));
	return 0;
}

struct row_copy {
	int64_t id;
	struct notice n;   /* owned (notice_release) */
};

struct rows {
	struct row_copy *v;
	size_t n;
};

static int keep_row(const struct outbox_row *r, void *arg)
{
	struct rows *rows = arg;
	rows->v = xrealloc(rows->v, (rows->n + 1) * sizeof(*rows->v));
	rows->v[rows->n].id = r->id;
	notice_copy(&rows->v[rows->n++].n, &r->n);
	return 0;
}

/* Prints one Bot API call as the person at the terminal would see it. */
static void show_call(struct console *k, int64_t chat_id, const char *method, json_object *p,
		      int64_t message_id)
{
	FILE *out = k->c->out;
	json_object *v, *kb;
	const char *who = chat_id == CONSOLE_USER ? msg(MSG_CHAT_BOT) :
			  !strcmp(method, "answerCallbackQuery") ? msg(MSG_CHAT_POPUP) :
			  msg(MSG_CHAT_ENGINEERS);
	const char *text = json_object_object_get_ex(p, "text", &v) ? json_object_get_string(v) :
			   json_object_object_get_ex(p, "caption", &v) ? json_object_get_string(v) : "";
	struct buf plain = BUF_INIT(1u << 20);
	html_to_text(&plain, text);
	if (plain.len || chat_id == CONSOLE_USER)
		fprintf(out, "%s%s\n", who, buf_cstr(&plain));
	buf_release(&plain);
	if (chat_id == CONSOLE_USER && json_object_object_get_ex(p, "reply_markup", &kb) &&
	    json_object_object_get_ex(kb, "inline_keyboard", &kb)) {
		k->n_buttons = 0;
		k->button_message = message_id;
		for (size_t i = 0; i < json_object_array_length(kb); i++) {
			json_object *row = json_object_array_get_idx(kb, i);
			for (size_t j = 0; j < json_object_array_length(row) && k->n_buttons < BUTTONS_MAX; j++) {
				json_object *b = json_object_array_get_idx(row, j), *label, *data;
				if (!json_object_object_get_ex(b, "text", &label) ||
				    !json_object_object_get_ex(b, "callback_data", &data))
					continue;
				snprintf(k->button_data[k->n_buttons], sizeof(k->button_data[0]), "%s",
					 json_object_get_string(data));
				fprintf(out, "   [%d] %s\n", ++k->n_buttons, json_object_get_string(label));
			}
		}
	}
}

/* Shows one queued notice as Telegram would get it, in the config's language. */
static void show(struct console *k, const struct row_copy *r, int64_t message_id)
{
	struct tg_render calls;
	char why[128];
	if (!tg_render(&calls, &r->n, msg_language(), why, sizeof(why)))
		for (size_t i = 0; i < calls.n; i++)
			show_call(k, r->n.chat_id, calls.v[i].method, calls.v[i].params, message_id);
	tg_render_release(&calls);
}

/* Handles one update and shows (and settles) what it queued, in one transaction. */
static int turn(struct console *k, const struct tg_update *u)
{
	struct db *db = k->c->db;
	struct rows rows = { NULL, 0 };
	int64_t last;
	int rc;
	if ((rc = db_begin(db)))
		return rc;
	k->d.now = clock_now();
	if ((rc = db_outbox_last(db, &last)) || (rc = dialog_handle(&k->d, u)) ||
	    (rc = db_outbox_after(db, &last, keep_row, &rows)))
		goto done;
	for (size_t i = 0; i < rows.n && !rc; i++) {
		int64_t mid = rows.v[i].n.chat_id ? k->next_message_id++ : 0;
		rc = db_outbox_sent(db, rows.v[i].id, mid, k->d.now);
		if (!rc)
			show(k, &rows.v[i], mid);
	}
	if (!rc)
		rc = db_commit(db);
done:
	if (rc)
		db_rollback(db);
	for (size_t i = 0; i < rows.n; i++)
		notice_release(&rows.v[i].n);
	free(rows.v);
	return rc;
}

static int chat_loop(struct console *k, const char *name)
{
	char line[LINE_MAX_BYTES + 2];
	int64_t update = 1;
	cli_say(k->c, MSG_CHAT_HELLO);
	for (;;) {
		fprintf(k->c->out, "> ");
		fflush(k->c->out);
		if (!fgets(line, sizeof(line), stdin))
			break;
		line[strcspn(line, "\r\n")] = '\0';
		if (!strcmp(line, "/quit"))
			break;
		if (!*line)
			continue;
		if (!utf8_valid(line, strlen(line))) {
			cli_say(k->c, MSG_CHAT_BAD_LINE);
			continue;
		}
		struct tg_update u = {
			.update_id = update++, .kind = UPDATE_MESSAGE, .chat_id = CONSOLE_USER,
			.private_chat = true, .from_id = CONSOLE_USER, .text = line,
			.message_id = k->next_message_id++,
		};
		utf8_snprintf(u.from_name, sizeof(u.from_name), "%s", name);
		long long n;
		if (!strncmp(line, "/p ", 3)) {
			if (parse_int(&n, line + 3, 1, k->n_buttons)) {
				cli_say(k->c, MSG_CHAT_NO_BUTTON);
				continue;
			}
			u.kind = UPDATE_CALLBACK;
			u.text = "";
			u.message_id = k->button_message;
			u.callback_id = "console";
			u.callback_data = k->button_data[n - 1];
		}
		if (turn(k, &u))
			return cli_fail(k->c, EXIT_FAIL, MSG_CLI_DB_ERROR, db_errmsg(k->c->db));
	}
	return EXIT_OK;
}

int cmd_chat(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "as", required_argument, NULL, 'a' },
		{ "store", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct chat_args a = { .name = msg(MSG_CHAT_DEFAULT_NAME) };
	struct person p;
	bool done;
	int rc = cli_options(c, &argc, &argv, "a:s:h", opts, MSG_HELP_CHAT, chat_opt, &a, &done);
	if (done || rc)
		return rc;
	if (argc != 0)
		return cli_usage(c, MSG_HELP_CHAT, false);
	if ((rc = cli_check_text(c, MSG_NOUN_CASHIER_NAME, a.name, 120)))
		return rc;
	if (!cli_db(c))
		return EXIT_FAIL;
	struct console k = {
		.c = c,
		.d = { .db = c->db, .kb = kb_new(), .cfg = &c->cfg },
		.next_message_id = 1000000 + (clock_now() % 1000000) * 1000,
	};
	dialog_chats(&k.d, &c->cfg);
	k.d.now = clock_now();
	/* The console cashier exists from the first run on; later runs reuse them. */
	if (dialog_person(&k.d, CONSOLE_USER, &p) == TD_ENOTFOUND) {
		if (db_begin(c->db))
			rc = cli_fail(c, EXIT_FAIL, MSG_CLI_DB_ERROR, db_errmsg(c->db));
		else if ((rc = console_cashier(c, &a)) || db_commit(c->db))
			db_rollback(c->db), rc = rc ? rc : EXIT_FAIL;
	}
	if (!rc)
		rc = chat_loop(&k, a.name);
	kb_free(k.d.kb);
	return rc;
}
