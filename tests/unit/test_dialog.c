/*
 * Unit tests: the bot's dialog, as conversations. Each test plays Telegram
 * updates into dialog_handle() the way the poller does (one transaction per
 * update) and reads what the dialog decided from the database: the ticket's
 * history and the outbox rows waiting to be sent. Nothing touches the
 * network; the tests stand in for the sender where they need a delivered
 * message (db_link_add).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <json-c/json.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scratch.h"
#include "bot/dialog.h"
#include "bot/engine.h"
#include "bot/relay.h"
#include "bot/sla_watch.h"
#include "bot/render_tg.h"
#include "core/config.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/msg.h"
#include "core/token.h"
#include "kb/article.h"
#include "kb/search.h"
#include "storage/chain.h"
#include "storage/kb.h"
#include "storage/outbox.h"
#include "storage/sla.h"
#include "storage/ticket.h"

#define NOW 1795000000          /* 2026-11-18, a Wednesday */
#define ENGINEERS (-100)        /* the engineers' group */
#define MIGRATED (-1001234567)  /* the supergroup it becomes */
#define FISCAL (-300)           /* the fiscal engineers' group ([routing] fiscal) */
#define FISCAL_MIGRATED (-1007654321)
#define ANNA 1001               /* Telegram ids; a private chat has the user's id */
#define BORIS 1002
#define IVAN 2001
#define PETR 2002
#define STRANGER 3001

static char dir[] = "/tmp/tilldesk-dialog-XXXXXX";
static struct db *desk;
static sqlite3 *peek;         /* a second connection, to read what was committed */
static struct dialog dlg;
static int64_t org, store;
static int64_t next_message_id;

/* ---- what the dialog queued ---- */

struct sent {
	int64_t id, chat_id, ticket_id;
	char method[32], link_role[16], edit_role[16];
	json_object *payload;
	const char *text;         /* text or caption, "" for none; borrowed from payload */
	char buttons[512];        /* callback data of the inline keyboard, space-separated */
	int64_t reply_to;         /* reply_parameters.message_id, 0 for none */
	bool force_reply, show_alert;
};

static struct sent out[64];
static size_t n_out;
static int64_t seen;          /* outbox rows up to this id were taken */

static void forget_sent(void)
{
	for (size_t i = 0; i < n_out; i++)
		json_object_put(out[i].payload);
	n_out = 0;
}

static bool get(json_object *o, const char *key, json_object **v)
{
	return o && json_object_object_get_ex(o, key, v);
}

static void decode(struct sent *s, const char *payload)
{
	json_object *v, *markup, *rows;
	s->payload = json_tokener_parse(payload);
	assert_non_null(s->payload);
	s->text = get(s->payload, "text", &v) || get(s->payload, "caption", &v) ?
		  json_object_get_string(v) : "";
	if (get(s->payload, "reply_parameters", &v) && get(v, "message_id", &v))
		s->reply_to = json_object_get_int64(v);
	s->show_alert = get(s->payload, "show_alert", &v) && json_object_get_boolean(v);
	if (!get(s->payload, "reply_markup", &markup))
		return;
	s->force_reply = get(markup, "force_reply", &v) && json_object_get_boolean(v);
	if (!get(markup, "inline_keyboard", &rows))
		return;
	for (size_t r = 0; r < json_object_array_length(rows); r++) {
		json_object *row = json_object_array_get_idx(rows, r);
		for (size_t b = 0; b < json_object_array_length(row); b++) {
			size_t len = strlen(s->buttons);
			assert_true(get(json_object_array_get_idx(row, b), "callback_data", &v));
			snprintf(s->buttons + len, sizeof(s->buttons) - len, "%s%s", len ? " " : "",
				 json_object_get_string(v));
		}
	}
}

static const char *column(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? NULL :
	       (const char *)sqlite3_column_text(st, col);
}

/*
 * Takes the rows queued since the last call into out[], each rendered as
 * the sender would for Telegram (a row of several parts gives several);
 * returns how many.
 */
static size_t take(void)
{
	sqlite3_stmt *st;
	forget_sent();
	assert_int_equal(sqlite3_prepare_v2(peek,
		"SELECT id, coalesce(chat_id, 0), method, payload, coalesce(ticket_id, 0),"
		" coalesce(link_role, ''), coalesce(edit_role, ''), kind, msg_key, args, actions, ref,"
		" reply_to, flags FROM outbox WHERE id > ? ORDER BY id", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_int64(st, 1, seen);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct notice n = {
			.chat_id = sqlite3_column_int64(st, 1),
			.legacy_method = column(st, 2),
			.legacy_payload = column(st, 3),
			.msg_key = column(st, 8),
			.args = column(st, 9),
			.actions = column(st, 10),
			.ref = column(st, 11),
			.reply_to = sqlite3_column_int64(st, 12),
			.flags = (unsigned)sqlite3_column_int(st, 13),
		};
		struct tg_render calls;
		char why[128];
		assert_int_equal(notice_kind_parse(&n.kind, column(st, 7)), 0);
		assert_int_equal(tg_render(&calls, &n, msg_language(), why, sizeof(why)), 0);
		for (size_t i = 0; i < calls.n; i++) {
			assert_true(n_out < ARRAY_SIZE(out));
			struct sent *s = &out[n_out++];
			memset(s, 0, sizeof(*s));
			s->id = sqlite3_column_int64(st, 0);
			s->chat_id = n.chat_id;
			snprintf(s->method, sizeof(s->method), "%s", calls.v[i].method);
			s->ticket_id = sqlite3_column_int64(st, 4);
			snprintf(s->link_role, sizeof(s->link_role), "%s", sqlite3_column_text(st, 5));
			snprintf(s->edit_role, sizeof(s->edit_role), "%s", sqlite3_column_text(st, 6));
			decode(s, json_object_to_json_string(calls.v[i].params));
		}
		tg_render_release(&calls);
		seen = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	return n_out;
}

/* The one row queued for chat by method (and edit or link role, "" for any). */
static const struct sent *only(int64_t chat, const char *method, const char *role)
{
	const struct sent *found = NULL;
	for (size_t i = 0; i < n_out; i++) {
		const struct sent *s = &out[i];
		if (s->chat_id != chat || strcmp(s->method, method) ||
		    (*role && strcmp(s->link_role, role) && strcmp(s->edit_role, role)))
			continue;
		if (found)
			fail_msg("two %s rows for chat %lld (role '%s')", method, (long long)chat, role);
		found = s;
	}
	if (!found)
		fail_msg("no %s row for chat %lld (role '%s') among %zu", method, (long long)chat, role,
			 n_out);
	return found;
}

static size_t count_method(const char *method)
{
	size_t n = 0;
	for (size_t i = 0; i < n_out; i++)
		n += !strcmp(out[i].method, method);
	return n;
}

#define assert_contains(hay, needle) \
	do { if (!strstr((hay), (needle))) fail_msg("'%s' not in:\n%s", (needle), (hay)); } while (0)
#define assert_lacks(hay, needle) \
	do { if (strstr((hay), (needle))) fail_msg("'%s' in:\n%s", (needle), (hay)); } while (0)

/* A catalogue text with its arguments, as the dialog would format it. */
static const char *text(enum msg_id id, ...)
{
	static char s[4096];
	struct buf b = BUF_INIT(sizeof(s) - 1);
	va_list ap;
	va_start(ap, id);
	msg_vbuf(&b, id, ap);
	va_end(ap);
	snprintf(s, sizeof(s), "%s", buf_cstr(&b));
	buf_release(&b);
	return s;
}

/* ---- the database, read directly ---- */

static int64_t query_int(const char *fmt, ...) TD_PRINTF(1, 2);
static const char *query_text(const char *fmt, ...) TD_PRINTF(1, 2);

static sqlite3_stmt *query(const char *fmt, va_list ap)
{
	char sql[512];
	sqlite3_stmt *st;
	vsnprintf(sql, sizeof(sql), fmt, ap);
	if (sqlite3_prepare_v2(peek, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(peek));
	return st;
}

/* The first column of the first row; 0 for no row or NULL. */
static int64_t query_int(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sqlite3_stmt *st = query(fmt, ap);
	va_end(ap);
	int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return v;
}

/* The first column of the first row; "" for no row or NULL. */
static const char *query_text(const char *fmt, ...)
{
	static char s[4096];
	va_list ap;
	va_start(ap, fmt);
	sqlite3_stmt *st = query(fmt, ap);
	va_end(ap);
	s[0] = '\0';
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(s, sizeof(s), "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return s;
}

static int64_t person(int64_t tg)
{
	return query_int("SELECT id FROM people WHERE tg_user_id = %lld", (long long)tg);
}

static const char *status(int64_t ticket)
{
	return query_text("SELECT status FROM ticket_state WHERE id = %lld", (long long)ticket);
}

static int64_t priority(int64_t ticket)
{
	return query_int("SELECT priority FROM ticket_state WHERE id = %lld", (long long)ticket);
}

static int64_t assignee(int64_t ticket)
{
	return query_int("SELECT assignee_id FROM ticket_state WHERE id = %lld", (long long)ticket);
}

static int64_t events(int64_t ticket)
{
	return query_int("SELECT count(*) FROM ticket_events WHERE ticket_id = %lld", (long long)ticket);
}

static const char *last_event(int64_t ticket)
{
	return query_text("SELECT kind FROM ticket_events WHERE ticket_id = %lld ORDER BY id DESC",
			  (long long)ticket);
}

static const char *last_body(int64_t ticket)
{
	return query_text("SELECT body FROM ticket_events WHERE ticket_id = %lld ORDER BY id DESC",
			  (long long)ticket);
}

static int64_t tickets(void)
{
	return query_int("SELECT count(*) FROM tickets");
}

static const char *state_of(int64_t tg)
{
	return query_text("SELECT kind FROM person_state WHERE person_id = %lld",
			  (long long)person(tg));
}

/* ---- updates, as the poller would decode them ---- */

static const char *name_of(int64_t tg)
{
	switch (tg) {
	case ANNA: return "Анна";
	case BORIS: return "Борис";
	case IVAN: return "Иван";
	case PETR: return "Пётр";
	default: return "Незнакомец";
	}
}

static struct tg_update message(int64_t from, int64_t chat, const char *words)
{
	struct tg_update u = {
		.update_id = next_message_id,
		.kind = UPDATE_MESSAGE,
		.chat_id = chat,
		.private_chat = chat == from,
		.from_id = from,
		.message_id = next_message_id++,
		.text = words,
	};
	snprintf(u.from_name, sizeof(u.from_name), "%s", name_of(from));
	return u;
}

/* Plays one update in its own transaction and takes what it queued. */
static size_t handle(const struct tg_update *u)
{
	assert_int_equal(db_begin(desk), 0);
	assert_int_equal(dialog_handle(&dlg, u), 0);
	assert_int_equal(db_commit(desk), 0);
	return take();
}

/* Someone writes to the bot in their private chat. */
static size_t says(int64_t from, const char *words)
{
	struct tg_update u = message(from, from, words);
	return handle(&u);
}

/* Someone writes in the engineers' group. */
static size_t says_in_group(int64_t from, const char *words)
{
	struct tg_update u = message(from, dlg.engineers_chat, words);
	return handle(&u);
}

/* Someone replies in the group to the message message_id. */
static size_t replies_in_group(int64_t from, int64_t message_id, const char *words)
{
	struct tg_update u = message(from, dlg.engineers_chat, words);
	u.reply_to = message_id;
	return handle(&u);
}

/* Someone presses a button with data in chat. Every press is answered once. */
static size_t presses(int64_t from, int64_t chat, const char *data)
{
	struct tg_update u = message(from, chat, "");
	u.kind = UPDATE_CALLBACK;
	u.callback_id = "4242";
	u.callback_data = data;
	handle(&u);
	if (count_method("answerCallbackQuery") != 1)
		fail_msg("'%s' was answered %zu times", data, count_method("answerCallbackQuery"));
	const struct sent *a = only(0, "answerCallbackQuery", "");
	assert_string_equal(json_object_get_string(json_object_object_get(a->payload,
						   "callback_query_id")), "4242");
	return n_out;
}

/* The press was refused: an alert with that text and nothing else. */
static void assert_only_alert(const char *why)
{
	assert_int_equal(n_out, 1);
	assert_string_equal(out[0].method, "answerCallbackQuery");
	assert_true(out[0].show_alert);
	assert_string_equal(out[0].text, why);
}

/* The one message queued, a plain reply to chat with this text. */
static void assert_only_reply(int64_t chat, const char *words)
{
	assert_int_equal(n_out, 1);
	assert_string_equal(out[0].method, "sendMessage");
	assert_int_equal(out[0].chat_id, chat);
	assert_string_equal(out[0].text, words);
	assert_string_equal(out[0].buttons, "");
}

/* Records that Telegram delivered a ticket's message as message_id (the sender's job). */
static void delivered(int64_t chat, int64_t message_id, int64_t ticket, const char *role)
{
	assert_int_equal(db_begin(desk), 0);
	assert_int_equal(db_link_add(desk, chat, message_id, ticket, role), 0);
	assert_int_equal(db_commit(desk), 0);
}

/* ---- the chain and its people ---- */

static void invite(const char *code, const char *role, int64_t expires_at)
{
	char hash[SHA256_HEX_LEN + 1];
	int64_t id;
	token_hash(hash, code);
	bool staff = strcmp(role, "cashier") != 0;
	assert_int_equal(db_invite_add(desk, &id, hash, role, staff ? 0 : store, org, expires_at), 0);
}

static int setup(void **state)
{
	(void)state;
	char path[256], err[256];
	if (scratch_make(dir, sizeof(dir), "dialog"))
		return -1;
	snprintf(path, sizeof(path), "%s/desk.db", dir);
	if (db_open(&desk, path, err, sizeof(err)) || msg_set_language("ru"))
		return -1;
	log_set_level(LOG_WARN);

	assert_int_equal(db_begin(desk), 0);
	assert_int_equal(db_org_add(desk, &org, "Ромашка & Ко", "standard", NULL), 0);
	assert_int_equal(db_store_add(desk, &store, org, "Магазин <1>", "ул. Ленина, 1",
				      "Europe/Moscow", "24/7"), 0);
	invite("anna-code", "cashier", NOW + 86400);
	invite("boris-code", "cashier", NOW + 86400);
	invite("ivan-code", "engineer", NOW + 86400);
	invite("petr-code", "engineer", NOW + 86400);
	invite("stale-code", "cashier", NOW);  /* good only until NOW: expired */
	assert_int_equal(db_commit(desk), 0);
	if (sqlite3_open(path, &peek) != SQLITE_OK)
		return -1;

	dlg = (struct dialog){ .db = desk, .engineers_chat = ENGINEERS, .now = NOW };
	next_message_id = 100;
	seen = 0;
	n_out = 0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	forget_sent();
	kb_free(dlg.kb);
	sqlite3_close(peek);
	db_close(desk);
	return scratch_remove(dir);
}

/* Anna and Boris (cashiers), Ivan and Petr (engineers) open their invites. */
static void everyone_joins(void)
{
	says(ANNA, "/start anna-code");
	says(BORIS, "/start boris-code");
	says(IVAN, "/start ivan-code");
	says(PETR, "/start petr-code");
}

/* A cashier reports a problem; returns the new ticket's number. */
static int64_t reports(int64_t cashier, const char *words)
{
	int64_t before = tickets();
	says(cashier, words);
	assert_int_equal(tickets(), before + 1);
	return query_int("SELECT max(id) FROM tickets");
}

static void claims(int64_t engineer, int64_t ticket)
{
	char data[32];
	snprintf(data, sizeof(data), "c:%lld", (long long)ticket);
	presses(engineer, dlg.engineers_chat, data);
	assert_string_equal(status(ticket), "claimed");
}

/* The engineer presses «Закрыть», then answers the bot's question. */
static void resolves(int64_t engineer, int64_t ticket, const char *how)
{
	static int64_t question = 700;
	char data[32];
	snprintf(data, sizeof(data), "x:%lld", (long long)ticket);
	presses(engineer, dlg.engineers_chat, data);
	delivered(dlg.engineers_chat, ++question, ticket, "resolution");
	replies_in_group(engineer, question, how);
	assert_string_equal(status(ticket), "resolved");
}

/* ---- registration ---- */

static void test_dialog__start_with_a_valid_code_registers_a_cashier_of_the_store(void **state)
{
	(void)state;
	says(ANNA, "/start anna-code");
	assert_int_equal(query_int("SELECT count(*) FROM people"), 1);
	assert_string_equal(query_text("SELECT role FROM people WHERE tg_user_id = %d", ANNA), "cashier");
	assert_string_equal(query_text("SELECT name FROM people WHERE tg_user_id = %d", ANNA), "Анна");
	assert_int_equal(query_int("SELECT store_id FROM people WHERE tg_user_id = %d", ANNA), store);
	assert_int_equal(query_int("SELECT used_by FROM invites WHERE id = 1"), person(ANNA));
	assert_only_reply(ANNA, msg(MSG_BOT_WELCOME_CASHIER));
}

static void test_dialog__start_with_an_engineer_code_registers_an_engineer(void **state)
{
	(void)state;
	says(IVAN, "/start ivan-code");
	assert_string_equal(query_text("SELECT role FROM people WHERE tg_user_id = %d", IVAN), "engineer");
	assert_int_equal(query_int("SELECT org_id FROM people WHERE tg_user_id = %d", IVAN), org);
	assert_only_reply(IVAN, msg(MSG_BOT_WELCOME_ENGINEER));
	/* Engineers work in their group, not in the private chat. */
	says(IVAN, "касса не работает");
	assert_only_reply(IVAN, msg(MSG_BOT_STAFF_USE_GROUP));
	assert_int_equal(tickets(), 0);
}

static void test_dialog__start_with_a_bad_used_or_expired_code_stores_nothing(void **state)
{
	(void)state;
	says(STRANGER, "/start not-a-code");
	assert_only_reply(STRANGER, msg(MSG_BOT_INVITE_INVALID));
	says(STRANGER, "/start stale-code");
	assert_only_reply(STRANGER, msg(MSG_BOT_INVITE_INVALID));
	assert_int_equal(query_int("SELECT count(*) FROM people"), 0);

	says(ANNA, "/start anna-code");
	says(STRANGER, "/start anna-code");
	assert_only_reply(STRANGER, msg(MSG_BOT_INVITE_INVALID));
	assert_int_equal(query_int("SELECT count(*) FROM people"), 1);
	assert_int_equal(person(STRANGER), 0);
	assert_int_equal(query_int("SELECT count(*) FROM invites WHERE used_at IS NOT NULL"), 1);
}

static void test_dialog__stranger_gets_the_invite_hint_and_no_ticket(void **state)
{
	(void)state;
	says(STRANGER, "касса не печатает чеки");
	assert_only_reply(STRANGER, msg(MSG_BOT_NEED_INVITE));
	says(STRANGER, "/start");
	assert_only_reply(STRANGER, msg(MSG_BOT_NEED_INVITE));
	assert_int_equal(tickets(), 0);
	assert_int_equal(query_int("SELECT count(*) FROM people"), 0);
}

/* ---- the cashier reports ---- */

static void test_dialog__cashier_message_opens_a_ticket_and_posts_a_card(void **state)
{
	(void)state;
	everyone_joins();
	struct tg_update u = message(ANNA, ANNA, "Не печатает чек");
	handle(&u);

	assert_int_equal(tickets(), 1);
	assert_int_equal(events(1), 1);
	assert_string_equal(last_event(1), "opened");
	assert_string_equal(last_body(1), "Не печатает чек");
	assert_string_equal(status(1), "new");
	assert_int_equal(priority(1), 3);
	assert_int_equal(query_int("SELECT cashier_id FROM tickets WHERE id = 1"), person(ANNA));
	assert_int_equal(query_int("SELECT store_id FROM tickets WHERE id = 1"), store);

	assert_int_equal(n_out, 2);
	const struct sent *card = &out[0], *reply = &out[1];
	assert_string_equal(card->method, "sendMessage");
	assert_int_equal(card->chat_id, ENGINEERS);
	assert_int_equal(card->ticket_id, 1);
	assert_string_equal(card->link_role, "card");
	assert_string_equal(card->buttons, "c:1");
	assert_contains(card->text, "Заявка №1");
	assert_contains(card->text, "Не печатает чек");
	assert_contains(card->text, "Анна");
	assert_contains(card->text, "Магазин &lt;1&gt;");
	assert_contains(card->text, "Ромашка &amp; Ко");
	assert_contains(card->text, "2026-11-18");

	assert_string_equal(reply->method, "sendMessage");
	assert_int_equal(reply->chat_id, ANNA);
	assert_int_equal(reply->ticket_id, 1);
	assert_string_equal(reply->link_role, "question");
	assert_string_equal(reply->buttons, "p:1:3 p:1:1");
	assert_int_equal(reply->reply_to, u.message_id);
	char opened[256];
	snprintf(opened, sizeof(opened), "%s%s", text(MSG_BOT_TICKET_OPENED, 1LL),
		 msg(MSG_BOT_TILL_WORKS_Q));  /* no SLA configured: no promise */
	assert_string_equal(reply->text, opened);
}

static void test_dialog__html_in_the_cashiers_words_is_escaped_for_engineers(void **state)
{
	(void)state;
	struct tg_update u = message(ANNA, ANNA, "/start anna-code");
	snprintf(u.from_name, sizeof(u.from_name), "Анна <b>&</b>");
	handle(&u);
	everyone_joins();

	reports(ANNA, "Ошибка <ФН> & \"чек\" 'X'");
	const struct sent *card = only(ENGINEERS, "sendMessage", "card");
	assert_contains(card->text, "Ошибка &lt;ФН&gt; &amp; &quot;чек&quot; &#39;X&#39;");
	assert_contains(card->text, "Анна &lt;b&gt;&amp;&lt;/b&gt;");
	assert_lacks(card->text, "<ФН>");
	assert_lacks(only(ANNA, "sendMessage", "question")->text, "<ФН>");
	/* The title is stored as written; escaping is for the screen. */
	assert_string_equal(query_text("SELECT title FROM tickets WHERE id = 1"),
			    "Ошибка <ФН> & \"чек\" 'X'");

	says(ANNA, "и ещё <script>alert(1)</script>");
	const struct sent *relay = only(ENGINEERS, "sendMessage", "relay");
	assert_contains(relay->text, "и ещё &lt;script&gt;alert(1)&lt;/script&gt;");
	assert_contains(relay->text, "Анна &lt;b&gt;");
	assert_lacks(relay->text, "<script>");
}

static void test_dialog__second_message_joins_the_open_ticket(void **state)
{
	(void)state;
	everyone_joins();
	reports(ANNA, "Не печатает чек");

	says(ANNA, "и сканер не видит штрихкод");
	assert_int_equal(tickets(), 1);
	assert_int_equal(events(1), 2);
	assert_string_equal(last_event(1), "message");
	assert_string_equal(last_body(1), "и сканер не видит штрихкод");
	assert_string_equal(status(1), "new");
	/* The engineers see it; the cashier gets a quiet acknowledgement (see below). */
	assert_int_equal(n_out, 2);
	assert_string_equal(out[0].method, "sendMessage");
	assert_int_equal(out[0].chat_id, ENGINEERS);
	assert_int_equal(out[0].ticket_id, 1);
	assert_string_equal(out[0].link_role, "relay");
	assert_string_equal(out[0].buttons, "");
	assert_contains(out[0].text, "№1");
	assert_contains(out[0].text, "и сканер не видит штрихкод");
	assert_int_equal(out[0].reply_to, 0);
	assert_string_equal(only(ANNA, "sendMessage", "")->text, msg(MSG_BOT_FOLLOW_UP_ACK));

	/* Once the card is delivered, relays thread under it. */
	delivered(ENGINEERS, 500, 1, "card");
	says(ANNA, "и ещё принтер");
	assert_int_equal(n_out, 1);
	assert_int_equal(out[0].reply_to, 500);
	assert_int_equal(tickets(), 1);
}

static void test_dialog__new_then_a_message_opens_a_second_ticket(void **state)
{
	(void)state;
	everyone_joins();
	reports(ANNA, "Не печатает чек");

	says(ANNA, "/new");
	assert_only_reply(ANNA, msg(MSG_BOT_DESCRIBE_NEW));
	assert_string_equal(state_of(ANNA), "new_ticket");
	assert_int_equal(tickets(), 1);

	assert_int_equal(reports(ANNA, "Весы не взвешивают"), 2);
	assert_string_equal(state_of(ANNA), "");
	assert_string_equal(last_event(2), "opened");
	assert_string_equal(only(ENGINEERS, "sendMessage", "card")->buttons, "c:2");
	assert_string_equal(only(ANNA, "sendMessage", "question")->buttons, "p:2:3 p:2:1");
	assert_int_equal(events(1), 1);

	/* Later messages join the newer ticket... */
	says(ANNA, "весы Штрих-М");
	assert_int_equal(tickets(), 2);
	assert_string_equal(last_event(2), "message");
	assert_int_equal(events(1), 1);
	/* ...unless they reply to one of the older ticket's messages. */
	delivered(ANNA, 900, 1, "question");
	struct tg_update u = message(ANNA, ANNA, "чек всё ещё не печатается");
	u.reply_to = 900;
	handle(&u);
	assert_string_equal(last_event(1), "message");
	assert_int_equal(only(ENGINEERS, "sendMessage", "relay")->ticket_id, 1);
}

static void test_dialog__cashier_commands_and_empty_messages(void **state)
{
	(void)state;
	everyone_joins();
	says(ANNA, "/help");
	assert_only_reply(ANNA, msg(MSG_BOT_CASHIER_HELP));
	says(ANNA, "/my");
	assert_only_reply(ANNA, msg(MSG_BOT_MY_NONE));
	says(ANNA, "/frobnicate");
	assert_only_reply(ANNA, msg(MSG_BOT_UNKNOWN_COMMAND));
	says(ANNA, "");
	assert_only_reply(ANNA, msg(MSG_BOT_SEND_TEXT));
	assert_int_equal(tickets(), 0);

	reports(BORIS, "Касса <2> зависла");
	says(ANNA, "/my");
	assert_int_equal(n_out, 1);
	assert_contains(out[0].text, "№1");
	assert_contains(out[0].text, "Касса &lt;2&gt; зависла");
}

static void test_dialog__cashier_photo_opens_a_ticket_with_the_photo(void **state)
{
	(void)state;
	everyone_joins();
	struct tg_update u = message(ANNA, ANNA, "");
	u.photo = "AgACphoto1";
	handle(&u);
	assert_int_equal(tickets(), 1);
	assert_string_equal(query_text("SELECT title FROM tickets WHERE id = 1"), msg(MSG_BOT_PHOTO_MARK));
	const struct sent *photo = only(ENGINEERS, "sendPhoto", "relay");
	assert_string_equal(json_object_get_string(json_object_object_get(photo->payload, "photo")),
			    "AgACphoto1");
	only(ENGINEERS, "sendMessage", "card");

	u = message(ANNA, ANNA, "вот <ошибка>");
	u.photo = "AgACphoto2";
	handle(&u);
	assert_string_equal(last_event(1), "photo");
	photo = only(ENGINEERS, "sendPhoto", "relay");
	assert_contains(photo->text, "вот &lt;ошибка&gt;");
	assert_int_equal(tickets(), 1);
}

/* ---- the cashier's dialog: small talk, the knowledge base's answers, follow-ups ---- */

/* Imports the articles (file name, text) into the desk and gives the dialog a searcher and cfg. */
static void import_articles(const char *const articles[][2], size_t n, const struct config *cfg)
{
	char path[512];
	struct kb_set set;
	struct kb_import_stats st;
	struct buf errors = BUF_INIT(1 << 16);

	snprintf(path, sizeof(path), "%s/kb", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/kb/%s", dir, articles[i][0]);
		FILE *f = fopen(path, "w");
		assert_non_null(f);
		fputs(articles[i][1], f);
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/kb", dir);
	if (kb_set_load(&set, path, &errors))
		fail_msg("%s", buf_cstr(&errors));
	assert_int_equal(db_begin(desk), 0);
	assert_int_equal(kb_set_import(desk, &set, NOW, &st), 0);
	assert_int_equal(db_commit(desk), 0);
	kb_set_release(&set);
	buf_release(&errors);
	dlg.kb = kb_new();
	dlg.cfg = cfg;
}

/* The knowledge base of two articles, each found by its pattern with full confidence. */
static void knowledge_base(void)
{
	static struct config cfg = { .kb_threshold = 50, .kb_hint = 30 };
	static const char *const articles[][2] = {
		{ "paper.md",
		  "---\nid: paper\ntitle: Закончилась чековая лента\ncategory: оборудование\n"
		  "priority: P2\npattern: не\\s+печата\\w*\\s+чек\nexample: не печатает чек\n---\n"
		  "Откройте крышку принтера и вставьте новый рулон.\n" },
		{ "scanner.md",
		  "---\nid: scanner\ntitle: Сканер не читает штрихкод\ncategory: оборудование\n"
		  "priority: P3\npattern: сканер\\w*\\s+не\\s+чита\nexample: сканер не читает штрихкод\n---\n"
		  "Протрите стекло сканера и переподключите его кабель.\n" },
	};
	import_articles(articles, ARRAY_SIZE(articles), &cfg);
}

static int64_t article(const char *slug)
{
	return query_int("SELECT id FROM kb_articles WHERE slug = '%s'", slug);
}

/* The cashier's words get an article with its two buttons; gives the «Не помогло» data. */
static const char *offered(const char *slug)
{
	static char not_helped[32];
	int64_t id = query_int("SELECT max(id) FROM kb_suggestions");
	const struct sent *advice = only(ANNA, "sendMessage", "");
	char buttons[64];
	assert_int_equal(query_int("SELECT article_id FROM kb_suggestions WHERE id = %lld",
				   (long long)id), article(slug));
	snprintf(buttons, sizeof(buttons), "k:%lld:1 k:%lld:2", (long long)id, (long long)id);
	assert_string_equal(advice->buttons, buttons);
	snprintf(not_helped, sizeof(not_helped), "k:%lld:2", (long long)id);
	return not_helped;
}

static void test_dialog__cashier_greeting_opens_no_ticket(void **state)
{
	(void)state;
	static const char *const chatter[] = {
		"Добрый день", "Добрый день!", "ДОБРЫЙ ДЕНЬ!!!", "добрый день, коллеги",
		"Здравствуйте", "здраствуйте", "Здрасьте)", "Привет", "приииивет", "Доброе утро",
		"Доброго времени суток", "Спасибо!", "спасибо большое", "спс", "Вы тут?",
		"есть кто на связи?", "алло", "ок", "👋", "🙂🙂", "?", "Hello", "hi there",
		"Good morning!", "thanks a lot", "anyone there?",
	};
	everyone_joins();
	for (size_t i = 0; i < ARRAY_SIZE(chatter); i++) {
		says(ANNA, chatter[i]);
		assert_only_reply(ANNA, msg(MSG_BOT_DESCRIBE_PROBLEM));
	}
	assert_int_equal(tickets(), 0);
	assert_string_equal(state_of(ANNA), "");

	/* A greeting with the problem in the same message is the problem. */
	reports(ANNA, "Здравствуйте, не печатает чек");
	assert_string_equal(query_text("SELECT title FROM tickets WHERE id = 1"),
			    "Здравствуйте, не печатает чек");
	/* With a ticket open, thanks are a follow-up like any other. */
	says(ANNA, "Спасибо!");
	assert_string_equal(last_body(1), "Спасибо!");
	assert_int_equal(tickets(), 1);
}

static void test_dialog__greeting_then_the_problem_goes_to_the_knowledge_base(void **state)
{
	(void)state;
	everyone_joins();
	knowledge_base();
	says(ANNA, "Добрый день");
	assert_only_reply(ANNA, msg(MSG_BOT_DESCRIBE_PROBLEM));
	says(ANNA, "не печатает чек");
	offered("paper");
	assert_contains(out[0].text, "Закончилась чековая лента");
	assert_int_equal(tickets(), 0);
}

static void test_dialog__photo_with_a_caption_reaches_the_card_when_the_article_did_not_help(void **state)
{
	(void)state;
	everyone_joins();
	knowledge_base();
	struct tg_update u = message(ANNA, ANNA, "не печатает чек, вот экран");
	u.photo = "AgACpaper";
	handle(&u);
	const char *not_helped = offered("paper");
	assert_int_equal(count_method("sendPhoto"), 0);
	assert_int_equal(tickets(), 0);

	presses(ANNA, ANNA, not_helped);
	assert_int_equal(tickets(), 1);
	assert_string_equal(query_text("SELECT title FROM tickets WHERE id = 1"), "не печатает чек, вот экран");
	only(ENGINEERS, "sendMessage", "card");
	const struct sent *photo = only(ENGINEERS, "sendPhoto", "relay");
	assert_string_equal(json_object_get_string(json_object_object_get(photo->payload, "photo")),
			    "AgACpaper");
	assert_int_equal(photo->ticket_id, 1);
	/* The card is not out yet: the caption says whose file it is and for which ticket. */
	assert_non_null(strstr(json_object_get_string(json_object_object_get(photo->payload, "caption")),
			       "№1, кассир Анна"));

	/* A document the same way, when the cashier says so in words. */
	u = message(BORIS, BORIS, "касса не печатает чек");
	u.document = "BQACreceipt";
	handle(&u);
	says(BORIS, "нет");
	assert_int_equal(tickets(), 2);
	const struct sent *doc = only(ENGINEERS, "sendDocument", "relay");
	assert_string_equal(json_object_get_string(json_object_object_get(doc->payload, "document")),
			    "BQACreceipt");
	assert_int_equal(doc->ticket_id, 2);
}

static void test_dialog__typed_not_helped_opens_the_ticket_with_the_question_and_the_article(void **state)
{
	(void)state;
	everyone_joins();
	knowledge_base();
	says(ANNA, "не печатает чек");
	offered("paper");

	says(ANNA, "не помогло, бумага стоит");
	assert_int_equal(tickets(), 1);
	assert_string_equal(query_text("SELECT title FROM tickets WHERE id = 1"), "не печатает чек");
	assert_int_equal(query_int("SELECT kb_article_id FROM tickets WHERE id = 1"), article("paper"));
	assert_int_equal(priority(1), 2);
	assert_string_equal(query_text("SELECT outcome || ' ' || ticket_id FROM kb_suggestions"),
			    "not_helped 1");
	assert_string_equal(query_text("SELECT group_concat(kind, ' ') FROM ticket_events"
				       " WHERE ticket_id = 1"), "opened kb_not_helped message");
	assert_string_equal(last_body(1), "не помогло, бумага стоит");
	/* The cashier is told the ticket's number; the engineers see the card and the words. */
	assert_contains(only(ANNA, "sendMessage", "question")->text, text(MSG_BOT_TICKET_OPENED, 1LL));
	only(ENGINEERS, "sendMessage", "card");
	assert_contains(only(ENGINEERS, "sendMessage", "relay")->text, "бумага стоит");

	/* Other ways to say it: each opens its ticket, the words alone add nothing. */
	static const char *const not_helped[] = {
		"не получилось", "не работает всё равно", "всё так же", "нет", "Нет(", "didn't help",
	};
	for (size_t i = 0; i < ARRAY_SIZE(not_helped); i++) {
		says(ANNA, "/new");
		says(ANNA, "не печатает чек");
		offered("paper");
		int64_t before = tickets();
		says(ANNA, not_helped[i]);
		assert_int_equal(tickets(), before + 1);
		assert_string_equal(query_text("SELECT outcome FROM kb_suggestions ORDER BY id DESC"),
				    "not_helped");
		assert_string_equal(query_text("SELECT title FROM tickets ORDER BY id DESC"), "не печатает чек");
	}

	/* A photo instead of words shows it is still wrong: it joins the ticket it opens. */
	says(ANNA, "/new");
	says(ANNA, "не печатает чек");
	offered("paper");
	struct tg_update u = message(ANNA, ANNA, "");
	u.photo = "AgACstill";
	handle(&u);
	int64_t last = query_int("SELECT max(id) FROM tickets");
	assert_string_equal(query_text("SELECT title FROM tickets WHERE id = %lld", (long long)last),
			    "не печатает чек");
	assert_string_equal(last_event(last), "photo");
	assert_int_equal(only(ENGINEERS, "sendPhoto", "relay")->ticket_id, last);
}

static void test_dialog__typed_thanks_count_as_helped(void **state)
{
	(void)state;
	static const char *const helped[] = {
		"спасибо", "Помогло!", "получилось", "да, работает", "Спасибо, всё заработало 👍", "👍",
	};
	everyone_joins();
	knowledge_base();
	for (size_t i = 0; i < ARRAY_SIZE(helped); i++) {
		says(ANNA, "не печатает чек");
		offered("paper");
		says(ANNA, helped[i]);
		assert_only_reply(ANNA, msg(MSG_BOT_KB_GLAD));
		assert_string_equal(query_text("SELECT outcome FROM kb_suggestions ORDER BY id DESC"),
				    "helped");
	}
	assert_int_equal(tickets(), 0);
	/* Nothing waits any more: thanks now are small talk. */
	says(ANNA, "спасибо");
	assert_only_reply(ANNA, msg(MSG_BOT_DESCRIBE_PROBLEM));
}

static void test_dialog__words_while_an_article_waits_join_it_unless_another_article_fits(void **state)
{
	(void)state;
	everyone_joins();
	knowledge_base();
	says(ANNA, "не печатает чек");
	offered("paper");
	/* Another problem the knowledge base knows: its own article. */
	says(ANNA, "и ещё сканер не читает штрихкод");
	offered("scanner");
	assert_int_equal(tickets(), 0);
	/* Anything else is more about the problem: it did not help, and the words join. */
	says(ANNA, "я уже меняла рулон");
	assert_int_equal(tickets(), 1);
	assert_string_equal(query_text("SELECT title FROM tickets WHERE id = 1"),
			    "и ещё сканер не читает штрихкод");
	assert_int_equal(query_int("SELECT kb_article_id FROM tickets WHERE id = 1"), article("scanner"));
	assert_string_equal(last_body(1), "я уже меняла рулон");

	/* An article shown half an hour ago no longer waits: new words are a new problem. */
	says(BORIS, "не печатает чек");
	dlg.now += 30 * 60;
	says(BORIS, "монитор погас");
	assert_int_equal(tickets(), 2);
	assert_string_equal(query_text("SELECT title FROM tickets WHERE id = 2"), "монитор погас");
}

static void test_dialog__follow_ups_get_a_quiet_acknowledgement_at_most_once_a_minute(void **state)
{
	(void)state;
	everyone_joins();
	reports(ANNA, "Не печатает чек");
	reports(BORIS, "Касса зависла");

	says(ANNA, "бумага есть");
	const struct sent *ack = only(ANNA, "sendMessage", "");
	assert_string_equal(ack->text, msg(MSG_BOT_FOLLOW_UP_ACK));
	assert_true(json_object_get_boolean(json_object_object_get(ack->payload, "disable_notification")));
	only(ENGINEERS, "sendMessage", "relay");

	/* More within the minute: relayed, not acknowledged. */
	dlg.now = NOW + 30;
	says(ANNA, "и ещё лампочка мигает");
	assert_int_equal(n_out, 1);
	assert_int_equal(out[0].chat_id, ENGINEERS);
	dlg.now = NOW + 59;
	struct tg_update u = message(ANNA, ANNA, "");
	u.photo = "AgACblink";
	handle(&u);
	assert_int_equal(n_out, 1);
	/* Another chat keeps its own minute. */
	says(BORIS, "перезагрузил, не помогло");
	assert_string_equal(only(BORIS, "sendMessage", "")->text, msg(MSG_BOT_FOLLOW_UP_ACK));

	/* A minute after the last acknowledgement: the next one. */
	dlg.now = NOW + 60;
	says(ANNA, "теперь совсем не включается");
	assert_string_equal(only(ANNA, "sendMessage", "")->text, msg(MSG_BOT_FOLLOW_UP_ACK));
	assert_int_equal(events(1), 5);
}

static void test_dialog__cashier_who_blocked_the_bot_is_back_after_writing_again(void **state)
{
	(void)state;
	everyone_joins();
	reports(ANNA, "Не печатает чек");
	assert_int_equal(db_begin(desk), 0);
	assert_int_equal(db_person_blocked_tg(desk, ANNA), 0);  /* the sender got a 403 */
	assert_int_equal(db_commit(desk), 0);

	says(ANNA, "снова пишу");
	assert_int_equal(query_int("SELECT blocked FROM people WHERE tg_user_id = %d", ANNA), 0);
	assert_string_equal(last_event(1), "message");
	presses(ANNA, ANNA, "p:1:1");
	assert_int_equal(priority(1), 1);
}

/* ---- buttons ---- */

static void test_dialog__till_down_button_raises_priority_and_edits_the_question(void **state)
{
	(void)state;
	everyone_joins();
	reports(ANNA, "Касса не включается");

	presses(ANNA, ANNA, "p:1:1");
	assert_int_equal(priority(1), 1);
	assert_string_equal(last_event(1), "priority");
	assert_string_equal(status(1), "new");
	assert_int_equal(n_out, 3);
	const struct sent *card = only(ENGINEERS, "editMessageText", "card");
	assert_string_equal(card->edit_role, "card");
	assert_string_equal(card->link_role, "");
	assert_int_equal(card->ticket_id, 1);
	assert_contains(card->text, "P1");
	assert_string_equal(card->buttons, "c:1");
	const struct sent *q = only(ANNA, "editMessageText", "question");
	assert_string_equal(q->edit_role, "question");
	assert_int_equal(q->ticket_id, 1);
	assert_string_equal(q->text, text(MSG_BOT_PRIORITY_DOWN, 1LL));
	assert_string_equal(q->buttons, "");
	assert_false(only(0, "answerCallbackQuery", "")->show_alert);

	presses(ANNA, ANNA, "p:1:3");
	assert_int_equal(priority(1), 3);
	assert_string_equal(only(ANNA, "editMessageText", "question")->text,
			    text(MSG_BOT_PRIORITY_NORMAL, 1LL));
}

static void test_dialog__engineer_claims_from_the_group_and_the_cashier_is_told(void **state)
{
	(void)state;
	everyone_joins();
	reports(ANNA, "Не печатает чек");

	presses(IVAN, ENGINEERS, "c:1");
	assert_string_equal(status(1), "claimed");
	assert_int_equal(assignee(1), person(IVAN));
	assert_string_equal(last_event(1), "claimed");
	assert_int_equal(n_out, 3);
	const struct sent *card = only(ENGINEERS, "editMessageText", "card");
	assert_string_equal(card->buttons, "x:1 u:1");
	assert_contains(card->text, "Иван");
	const struct sent *told = only(ANNA, "sendMessage", "relay");
	assert_string_equal(told->text, text(MSG_BOT_CLAIMED, 1LL, "Иван"));
	const struct sent *a = only(0, "answerCallbackQuery", "");
	assert_false(a->show_alert);
	assert_string_equal(a->text, msg(MSG_BOT_YOU_CLAIMED));

	/* Petr is a moment too late. */
	presses(PETR, ENGINEERS, "c:1");
	assert_only_alert(msg(MSG_BOT_ALREADY_CLAIMED));
	assert_int_equal(assignee(1), person(IVAN));
}

static void test_dialog__claim_by_a_cashier_or_from_another_chat_is_refused(void **state)
{
	(void)state;
	everyone_joins();
	reports(ANNA, "Не печатает чек");

	presses(ANNA, ENGINEERS, "c:1");
	assert_only_alert(msg(MSG_BOT_ENGINEERS_ONLY));
	presses(ANNA, ANNA, "c:1");
	assert_only_alert(msg(MSG_BOT_ENGINEERS_ONLY));
	presses(IVAN, IVAN, "c:1");
	assert_only_alert(msg(MSG_BOT_ENGINEERS_ONLY));
	presses(IVAN, -555, "c:1");
	assert_only_alert(msg(MSG_BOT_ENGINEERS_ONLY));
	presses(STRANGER, ENGINEERS, "c:1");
	assert_only_alert(msg(MSG_BOT_NEED_INVITE_SHORT));

	assert_string_equal(status(1), "new");
	assert_int_equal(assignee(1), 0);
	assert_int_equal(events(1), 1);
}

static void test_dialog__cashier_buttons_work_only_for_their_cashier(void **state)
{
	(void)state;
	everyone_joins();
	reports(ANNA, "Не печатает чек");

	presses(BORIS, BORIS, "p:1:1");
	assert_only_alert(msg(MSG_BOT_STALE_BUTTON));
	presses(IVAN, ENGINEERS, "p:1:1");
	assert_only_alert(msg(MSG_BOT_STALE_BUTTON));
	presses(ANNA, ENGINEERS, "p:1:1");
	assert_only_alert(msg(MSG_BOT_STALE_BUTTON));
	/* Confirming or rating a ticket that is not resolved is stale. */
	presses(ANNA, ANNA, "ok:1");
	assert_only_alert(msg(MSG_BOT_STALE_BUTTON));
	presses(ANNA, ANNA, "re:1");
	assert_only_alert(msg(MSG_BOT_STALE_BUTTON));
	presses(ANNA, ANNA, "r:1:5");
	assert_only_alert(msg(MSG_BOT_STALE_BUTTON));
	assert_int_equal(priority(1), 3);
	assert_int_equal(events(1), 1);
}

static void test_dialog__forged_callback_data_is_answered_and_ignored(void **state)
{
	(void)state;
	char junk[66];
	snprintf(junk, sizeof(junk), "c:1:%061d", 0);
	assert_int_equal(strlen(junk), 65);
	const char *const forged[] = {
		"c:abc", "c:1:9", "zz:1", junk, "p:1:2", "p:1", "p:1:0", "r:1", "r:1:6", "ok:1:1",
		"c:", "c:1:", ":1", "c", "", "c:0", "c:-1", "c: 1", "c:1 ", "c:999",
		"c:99999999999999999999", "p:1:1:1", "x:1:x", "cc:1",
	};
	everyone_joins();
	reports(ANNA, "Не печатает чек");

	for (size_t i = 0; i < ARRAY_SIZE(forged); i++) {
		presses(IVAN, ENGINEERS, forged[i]);
		assert_only_alert(msg(MSG_BOT_STALE_BUTTON));
		presses(ANNA, ANNA, forged[i]);
		assert_only_alert(msg(MSG_BOT_STALE_BUTTON));
	}
	assert_string_equal(status(1), "new");
	assert_int_equal(priority(1), 3);
	assert_int_equal(events(1), 1);
	assert_string_equal(state_of(IVAN), "");
}

static void test_dialog__release_returns_the_ticket_to_the_queue(void **state)
{
	(void)state;
	everyone_joins();
	reports(ANNA, "Не печатает чек");
	claims(IVAN, 1);

	presses(PETR, ENGINEERS, "u:1");
	assert_only_alert(msg(MSG_BOT_NOT_YOURS));
	presses(IVAN, ENGINEERS, "u:1");
	assert_string_equal(status(1), "new");
	assert_int_equal(assignee(1), 0);
	assert_string_equal(last_event(1), "released");
	assert_int_equal(n_out, 2);
	assert_string_equal(only(ENGINEERS, "editMessageText", "card")->buttons, "c:1");
	claims(PETR, 1);
	assert_int_equal(assignee(1), person(PETR));
}

static void test_dialog__close_button_is_the_assignees_alone(void **state)
{
	(void)state;
	everyone_joins();
	reports(ANNA, "Не печатает чек");

	presses(IVAN, ENGINEERS, "x:1");
	assert_only_alert(msg(MSG_BOT_NOT_YOURS));
	claims(IVAN, 1);
	presses(PETR, ENGINEERS, "x:1");
	assert_only_alert(msg(MSG_BOT_NOT_YOURS));
	assert_string_equal(state_of(PETR), "");

	presses(IVAN, ENGINEERS, "x:1");
	assert_string_equal(state_of(IVAN), "resolution");
	assert_int_equal(query_int("SELECT ticket_id FROM person_state WHERE person_id = %lld",
				   (long long)person(IVAN)), 1);
	assert_string_equal(status(1), "claimed");
	assert_int_equal(n_out, 2);
	const struct sent *q = only(ENGINEERS, "sendMessage", "resolution");
	assert_int_equal(q->ticket_id, 1);
	assert_true(q->force_reply);
	assert_string_equal(q->text, text(MSG_BOT_ASK_RESOLUTION, 1LL, "Иван"));
	assert_false(only(0, "answerCallbackQuery", "")->show_alert);
}

static void test_dialog__reply_to_the_resolution_question_resolves_the_ticket(void **state)
{
	(void)state;
	everyone_joins();
	reports(ANNA, "Не печатает чек");
	claims(IVAN, 1);
	presses(IVAN, ENGINEERS, "x:1");
	delivered(ENGINEERS, 701, 1, "resolution");

	replies_in_group(IVAN, 701, "Заменили <кабель> & бумагу");
	assert_string_equal(status(1), "resolved");
	assert_string_equal(last_event(1), "resolved");
	assert_string_equal(last_body(1), "Заменили <кабель> & бумагу");
	assert_int_equal(assignee(1), person(IVAN));
	assert_string_equal(state_of(IVAN), "");

	assert_int_equal(n_out, 3);
	const struct sent *card = only(ENGINEERS, "editMessageText", "card");
	assert_string_equal(card->buttons, "");
	const struct sent *ask = only(ANNA, "sendMessage", "confirm");
	assert_int_equal(ask->ticket_id, 1);
	assert_string_equal(ask->buttons, "ok:1 re:1");
	assert_contains(ask->text, "Заменили &lt;кабель&gt; &amp; бумагу");
	assert_lacks(ask->text, "<кабель>");
	assert_string_equal(only(ENGINEERS, "sendMessage", "")->text, text(MSG_BOT_RESOLVED_NOTE, 1LL));
}

static void test_dialog__cashier_confirms_and_rates_once(void **state)
{
	(void)state;
	everyone_joins();
	reports(ANNA, "Не печатает чек");
	claims(IVAN, 1);
	resolves(IVAN, 1, "Заменили кабель");

	presses(ANNA, ANNA, "ok:1");
	assert_string_equal(status(1), "closed");
	assert_string_equal(last_event(1), "confirmed");
	assert_int_equal(n_out, 4);
	assert_contains(only(ENGINEERS, "editMessageText", "card")->text, "закрыта");
	assert_string_equal(only(ANNA, "editMessageText", "confirm")->text, text(MSG_BOT_CONFIRMED, 1LL));
	const struct sent *rate = only(ANNA, "sendMessage", "rating");
	assert_string_equal(rate->buttons, "r:1:1 r:1:2 r:1:3 r:1:4 r:1:5");
	assert_false(only(0, "answerCallbackQuery", "")->show_alert);

	presses(ANNA, ANNA, "ok:1");
	assert_only_alert(msg(MSG_BOT_STALE_BUTTON));

	presses(ANNA, ANNA, "r:1:5");
	assert_string_equal(last_event(1), "rated");
	assert_string_equal(last_body(1), "5");
	assert_string_equal(status(1), "closed");
	assert_int_equal(n_out, 2);
	assert_string_equal(only(ANNA, "editMessageText", "rating")->text, text(MSG_BOT_THANKS, 5));

	presses(ANNA, ANNA, "r:1:4");
	assert_only_alert(msg(MSG_BOT_STALE_BUTTON));
	assert_int_equal(query_int("SELECT count(*) FROM ticket_events WHERE kind = 'rated'"), 1);
	assert_string_equal(last_body(1), "5");
}

static void test_dialog__still_broken_reopens_to_the_same_engineer(void **state)
{
	(void)state;
	everyone_joins();
	reports(ANNA, "Не печатает чек");
	claims(IVAN, 1);
	resolves(IVAN, 1, "Перезагрузили");

	presses(ANNA, ANNA, "re:1");
	assert_string_equal(status(1), "claimed");
	assert_string_equal(last_event(1), "reopened");
	assert_int_equal(assignee(1), person(IVAN));
	assert_int_equal(n_out, 4);
	assert_string_equal(only(ENGINEERS, "editMessageText", "card")->buttons, "x:1 u:1");
	assert_string_equal(only(ANNA, "editMessageText", "confirm")->text, text(MSG_BOT_REOPENED, 1LL));
	assert_string_equal(only(ENGINEERS, "sendMessage", "")->text, text(MSG_BOT_REOPENED_NOTE, 1LL));

	/* The reopened ticket takes the cashier's messages again and can be closed again. */
	says(ANNA, "всё равно не печатает");
	assert_string_equal(last_event(1), "message");
	resolves(IVAN, 1, "Заменили принтер");
	presses(ANNA, ANNA, "re:1");
	presses(ANNA, ANNA, "re:1");
	assert_only_alert(msg(MSG_BOT_STALE_BUTTON));
}

static void test_dialog__every_callback_is_answered_exactly_once(void **state)
{
	(void)state;
	/* presses() checks each one; this counts the whole conversation too. */
	everyone_joins();
	int64_t before = query_int("SELECT count(*) FROM outbox WHERE kind = 'answer'");
	const struct { int64_t who, chat; const char *data; } run[] = {
		{ ANNA, ANNA, "p:1:1" }, { PETR, ENGINEERS, "x:1" }, { IVAN, ENGINEERS, "c:1" },
		{ PETR, ENGINEERS, "c:1" }, { IVAN, ENGINEERS, "u:1" }, { IVAN, ENGINEERS, "c:1" },
		{ ANNA, ANNA, "ok:1" }, { IVAN, ENGINEERS, "x:1" }, { STRANGER, STRANGER, "ok:1" },
		{ ANNA, ENGINEERS, "x:1" }, { ANNA, ANNA, "zz" },
	};
	reports(ANNA, "Не печатает чек");
	for (size_t i = 0; i < ARRAY_SIZE(run); i++)
		presses(run[i].who, run[i].chat, run[i].data);
	assert_int_equal(query_int("SELECT count(*) FROM outbox WHERE kind = 'answer'"),
			 before + (int64_t)ARRAY_SIZE(run));
	assert_int_equal(query_int("SELECT count(*) FROM outbox WHERE kind = 'answer'"
				   " AND chat_id IS NOT NULL"), 0);
}

static void test_dialog__after_close_button_the_next_words_are_the_resolution(void **state)
{
	(void)state;
	everyone_joins();
	reports(ANNA, "Не печатает чек");
	claims(IVAN, 1);
	presses(IVAN, ENGINEERS, "x:1");

	/* Without replying to the question: the state says what the words are for. */
	says_in_group(IVAN, "Поменяли термоголовку");
	assert_string_equal(status(1), "resolved");
	assert_string_equal(last_body(1), "Поменяли термоголовку");
	assert_string_equal(state_of(IVAN), "");
	assert_string_equal(only(ANNA, "sendMessage", "confirm")->buttons, "ok:1 re:1");

	/* Then chatter is chatter again. */
	assert_int_equal(says_in_group(IVAN, "кто на выезде?"), 0);
}

/*
 * Pressing «Закрыть» and then «Отказаться» forgets the pending resolution:
 * the engineer's later chatter in the group is not taken as one.
 */
static void test_dialog__release_after_close_button_forgets_the_pending_resolution(void **state)
{
	(void)state;
	everyone_joins();
	reports(ANNA, "Не печатает чек");
	claims(IVAN, 1);
	presses(IVAN, ENGINEERS, "x:1");
	presses(IVAN, ENGINEERS, "u:1");
	assert_string_equal(status(1), "new");

	assert_int_equal(says_in_group(IVAN, "кто на выезде?"), 0);
	assert_string_equal(state_of(IVAN), "");
}

/*
 * The engineer who released the ticket and took it again later: their next
 * chatter does not resolve it.
 */
static void test_dialog__reclaimed_ticket_is_not_resolved_by_chatter(void **state)
{
	(void)state;
	everyone_joins();
	reports(ANNA, "Не печатает чек");
	claims(IVAN, 1);
	presses(IVAN, ENGINEERS, "x:1");
	presses(IVAN, ENGINEERS, "u:1");
	claims(IVAN, 1);

	assert_int_equal(says_in_group(IVAN, "сейчас посмотрю"), 0);
	assert_string_equal(status(1), "claimed");
}

/* «Всё ещё не работает» typed instead of pressed: the ticket reopens, no new one. */
static void test_dialog__words_after_a_resolution_reopen_the_ticket(void **state)
{
	(void)state;
	everyone_joins();
	reports(ANNA, "Не печатает чек");
	claims(IVAN, 1);
	resolves(IVAN, 1, "Поменяли бумагу");
	assert_string_equal(status(1), "resolved");
	says(ANNA, "Всё равно не печатает");
	assert_string_equal(status(1), "claimed");
	assert_int_equal(assignee(1), person(IVAN));
	assert_int_equal(tickets(), 1);
	assert_string_equal(last_body(1), "Всё равно не печатает");
	assert_int_equal(query_int("SELECT count(*) FROM ticket_events WHERE ticket_id = 1"
				   " AND kind = 'reopened'"), 1);
}

static void test_dialog__engineer_names_are_escaped_for_the_cashier(void **state)
{
	(void)state;
	struct tg_update u = message(PETR, PETR, "/start petr-code");
	snprintf(u.from_name, sizeof(u.from_name), "Пётр <i>&</i>");
	handle(&u);
	everyone_joins();
	reports(ANNA, "Не печатает чек");

	claims(PETR, 1);
	const char *told = only(ANNA, "sendMessage", "relay")->text;
	assert_contains(told, "Пётр &lt;i&gt;&amp;&lt;/i&gt;");
	assert_lacks(told, "<i>");
	assert_contains(only(ENGINEERS, "editMessageText", "card")->text, "Пётр &lt;i&gt;");
	presses(PETR, ENGINEERS, "x:1");
	assert_contains(only(ENGINEERS, "sendMessage", "resolution")->text, "Пётр &lt;i&gt;&amp;");
	delivered(ENGINEERS, 500, 1, "card");
	replies_in_group(PETR, 500, "Проверьте <кабель>");
	assert_contains(only(ANNA, "sendMessage", "relay")->text, "Пётр &lt;i&gt;");
}

/* ---- the engineers' group ---- */

static void test_dialog__note_is_kept_from_the_cashier(void **state)
{
	(void)state;
	everyone_joins();
	reports(ANNA, "Не печатает чек");

	says_in_group(PETR, "/note 1 проверить ФН <срок>");
	assert_string_equal(last_event(1), "note");
	assert_string_equal(last_body(1), "проверить ФН <срок>");
	assert_string_equal(status(1), "new");
	assert_only_reply(ENGINEERS, text(MSG_BOT_NOTE_ADDED, 1LL));

	says_in_group(PETR, "/note 1");
	assert_only_reply(ENGINEERS, msg(MSG_BOT_USAGE_NOTE));
	says_in_group(PETR, "/note проверить");
	assert_only_reply(ENGINEERS, msg(MSG_BOT_USAGE_NOTE));
	says_in_group(PETR, "/note 99 проверить");
	assert_only_reply(ENGINEERS, msg(MSG_BOT_NO_SUCH_TICKET));
	assert_int_equal(events(1), 2);
}

static void test_dialog__close_command_resolves_only_the_assignees_ticket(void **state)
{
	(void)state;
	everyone_joins();
	reports(ANNA, "Не печатает чек");

	says_in_group(IVAN, "/close 1 перезагрузили");
	assert_only_reply(ENGINEERS, text(MSG_BOT_CANNOT_CLOSE, 1LL));
	claims(IVAN, 1);
	says_in_group(PETR, "/close 1 перезагрузили");
	assert_only_reply(ENGINEERS, text(MSG_BOT_CANNOT_CLOSE, 1LL));
	says_in_group(IVAN, "/close 1");
	assert_only_reply(ENGINEERS, msg(MSG_BOT_USAGE_CLOSE));
	says_in_group(IVAN, "/close 99 перезагрузили");
	assert_only_reply(ENGINEERS, msg(MSG_BOT_NO_SUCH_TICKET));
	assert_string_equal(status(1), "claimed");

	says_in_group(IVAN, "/close #1 перезагрузили <кассу>");
	assert_string_equal(status(1), "resolved");
	assert_string_equal(last_body(1), "перезагрузили <кассу>");
	const struct sent *ask = only(ANNA, "sendMessage", "confirm");
	assert_string_equal(ask->buttons, "ok:1 re:1");
	assert_contains(ask->text, "перезагрузили &lt;кассу&gt;");
	only(ENGINEERS, "editMessageText", "card");
}

static void test_dialog__queue_and_mine_list_open_tickets(void **state)
{
	(void)state;
	everyone_joins();
	says_in_group(IVAN, "/queue");
	assert_only_reply(ENGINEERS, msg(MSG_BOT_QUEUE_EMPTY));

	reports(ANNA, "Не печатает <чек>");
	reports(BORIS, "Весы не взвешивают");
	claims(IVAN, 2);

	says_in_group(PETR, "/queue");
	assert_int_equal(n_out, 1);
	assert_int_equal(out[0].chat_id, ENGINEERS);
	const char *queue = out[0].text;
	assert_contains(queue, msg(MSG_BOT_QUEUE_HEAD));
	assert_contains(queue, "Магазин &lt;1&gt;");
	assert_contains(queue, "Не печатает &lt;чек&gt;");
	assert_contains(queue, msg(MSG_STATUS_NEW));
	assert_contains(queue, "Весы не взвешивают");
	assert_contains(queue, "Иван");
	assert_true(strstr(queue, "№1 ") && strstr(queue, "№2 ") && strstr(queue, "№1 ") < strstr(queue, "№2 "));

	says_in_group(IVAN, "/mine");
	assert_int_equal(n_out, 1);
	assert_contains(out[0].text, msg(MSG_BOT_MINE_HEAD));
	assert_contains(out[0].text, "№2 ");
	assert_lacks(out[0].text, "№1 ");
	says_in_group(PETR, "/mine");
	assert_only_reply(ENGINEERS, msg(MSG_BOT_QUEUE_EMPTY));

	/* Resolved tickets leave the queue. */
	resolves(IVAN, 2, "Откалибровали");
	says_in_group(PETR, "/queue");
	assert_lacks(out[0].text, "№2 ");
	assert_contains(out[0].text, "№1 ");

	/* One message: the first 30, and how many more. */
	for (int i = 0; i < 31; i++) {
		char words[32];
		snprintf(words, sizeof(words), "Сбой номер %d", i);
		says(ANNA, "/new");
		reports(ANNA, words);
	}
	says_in_group(PETR, "/queue");
	assert_int_equal(n_out, 1);
	int lines = 0;
	for (const char *p = out[0].text; (p = strstr(p, " · P")); p++)
		lines++;
	assert_int_equal(lines, 30);
	assert_contains(out[0].text, text(MSG_BOT_QUEUE_MORE, 2, 32));
}

static void test_dialog__ticket_command_shows_the_history(void **state)
{
	(void)state;
	everyone_joins();
	reports(ANNA, "Не печатает <чек>");
	claims(IVAN, 1);

	says_in_group(PETR, "/ticket 1");
	assert_int_equal(n_out, 1);
	assert_int_equal(out[0].chat_id, ENGINEERS);
	assert_contains(out[0].text, text(MSG_BOT_HISTORY_HEAD, 1LL));
	assert_contains(out[0].text, "opened");
	assert_contains(out[0].text, "Не печатает &lt;чек&gt;");
	assert_contains(out[0].text, "claimed");
	assert_contains(out[0].text, "Иван");
	says_in_group(PETR, "/ticket №1");
	assert_contains(out[0].text, "claimed");

	says_in_group(PETR, "/ticket abc");
	assert_only_reply(ENGINEERS, msg(MSG_BOT_USAGE_TICKET));
	says_in_group(PETR, "/ticket");
	assert_only_reply(ENGINEERS, msg(MSG_BOT_USAGE_TICKET));
	says_in_group(PETR, "/ticket 99");
	assert_only_reply(ENGINEERS, msg(MSG_BOT_NO_SUCH_TICKET));
}

static void test_dialog__unknown_command_and_help_in_the_group(void **state)
{
	(void)state;
	everyone_joins();
	says_in_group(IVAN, "/frobnicate 1");
	assert_only_reply(ENGINEERS, msg(MSG_BOT_UNKNOWN_COMMAND));
	says_in_group(IVAN, "/help@till_help_bot");
	assert_only_reply(ENGINEERS, msg(MSG_BOT_ENGINEER_HELP));
}

static void test_dialog__strangers_and_cashiers_in_the_group_are_ignored(void **state)
{
	(void)state;
	everyone_joins();
	reports(ANNA, "Не печатает чек");
	delivered(ENGINEERS, 500, 1, "card");
	int64_t before = query_int("SELECT count(*) FROM outbox");

	assert_int_equal(says_in_group(STRANGER, "всем привет"), 0);
	assert_int_equal(says_in_group(STRANGER, "/queue"), 0);
	assert_int_equal(says_in_group(STRANGER, "/close 1 сам починил"), 0);
	assert_int_equal(replies_in_group(STRANGER, 500, "а я знаю, в чём дело"), 0);
	assert_int_equal(says_in_group(ANNA, "/queue"), 0);
	assert_int_equal(replies_in_group(ANNA, 500, "это я писала"), 0);
	/* Engineers chatting among themselves, not replying to the bot, stay unheard too. */
	assert_int_equal(says_in_group(IVAN, "кто на выезде сегодня?"), 0);
	assert_int_equal(query_int("SELECT count(*) FROM outbox"), before);
	assert_int_equal(events(1), 1);
	assert_string_equal(status(1), "new");
}

static void test_dialog__engineer_reply_to_a_card_goes_to_the_cashier(void **state)
{
	(void)state;
	everyone_joins();
	reports(ANNA, "Не печатает чек");
	delivered(ENGINEERS, 500, 1, "card");

	replies_in_group(PETR, 500, "Перезагрузите кассу <сейчас>");
	assert_string_equal(last_event(1), "reply");
	assert_string_equal(last_body(1), "Перезагрузите кассу <сейчас>");
	assert_int_equal(n_out, 1);
	const struct sent *relay = only(ANNA, "sendMessage", "relay");
	assert_int_equal(relay->ticket_id, 1);
	assert_contains(relay->text, "Пётр");
	assert_contains(relay->text, "Перезагрузите кассу &lt;сейчас&gt;");
}

/* ---- conversations follow the engineer (telegram.relay = assignee) ---- */

static struct config follow = {
	.tg_relay = "assignee", .tg_card_every = 60, .tg_bot_username = "till_help_bot",
};

/* Everyone joins; Anna reports, its card is delivered as message 500 and Ivan claims it. */
static int64_t claimed_by_ivan(void)
{
	everyone_joins();
	int64_t t = reports(ANNA, "Не печатает чек");
	delivered(ENGINEERS, 500, t, "card");
	claims(IVAN, t);
	return t;
}

/* Rows queued for chat by method. */
static size_t count_to(int64_t chat, const char *method)
{
	size_t n = 0;
	for (size_t i = 0; i < n_out; i++)
		n += out[i].chat_id == chat && !strcmp(out[i].method, method);
	return n;
}

/* The scheduler's tick of put-off card edits, at now. */
/* The sender took everything queued: the chats wait for nothing. */
static void all_sent(void)
{
	assert_int_equal(sqlite3_exec(peek, "UPDATE outbox SET state = 'sent' WHERE state = 'pending'",
				      NULL, NULL, NULL), SQLITE_OK);
}

static size_t ticks_at(int64_t now)
{
	dlg.now = now;
	assert_int_equal(db_begin(desk), 0);
	assert_int_equal(relay_tick(&dlg), 0);
	assert_int_equal(db_commit(desk), 0);
	return take();
}

static void test_dialog__claimed_tickets_messages_go_to_the_assignees_private_chat_and_replies_come_back(void **state)
{
	(void)state;
	dlg.cfg = &follow;
	int64_t t = claimed_by_ivan();

	says(ANNA, "Пишет ошибку <235>");
	assert_string_equal(last_event(t), "message");
	const struct sent *relay = only(IVAN, "sendMessage", "relay");
	assert_int_equal(relay->ticket_id, t);
	assert_contains(relay->text, "💬 №1 · Магазин &lt;1&gt; · кассир Анна:\nПишет ошибку &lt;235&gt;");
	/* Not in the group: neither the words nor a card edit for them. */
	assert_int_equal(count_to(ENGINEERS, "sendMessage") + count_to(ENGINEERS, "editMessageText"), 0);

	/* Ivan answers it in his private chat by replying, as he would in the group. */
	delivered(IVAN, 900, t, "relay");
	struct tg_update u = message(IVAN, IVAN, "Перезагрузите кассу");
	u.reply_to = 900;
	handle(&u);
	assert_string_equal(last_event(t), "reply");
	assert_string_equal(last_body(t), "Перезагрузите кассу");
	assert_contains(only(ANNA, "sendMessage", "relay")->text, "Перезагрузите кассу");
	assert_int_equal(count_to(ENGINEERS, "sendMessage"), 0);

	/* A photo goes the same way, and a file answers it (a second later: the SLA's pauses are by the second). */
	dlg.now = NOW + 1;
	u = message(ANNA, ANNA, "вот экран");
	u.photo = "AgACscreen";
	handle(&u);
	assert_string_equal(last_event(t), "photo");
	const struct sent *photo = only(IVAN, "sendPhoto", "relay");
	assert_contains(photo->text, "💬 №1 · ");
	assert_contains(photo->text, "вот экран");
	assert_int_equal(count_to(ENGINEERS, "sendPhoto"), 0);
	delivered(IVAN, 901, t, "relay");
	dlg.now = NOW + 2;
	u = message(IVAN, IVAN, "");
	u.reply_to = 901;
	u.document = "BQACmanual";
	handle(&u);
	assert_string_equal(last_event(t), "reply");
	assert_string_equal(json_object_get_string(json_object_object_get(
		only(ANNA, "sendDocument", "relay")->payload, "document")), "BQACmanual");
}

static void test_dialog__engineers_private_chat_hints_and_takes_the_commands(void **state)
{
	(void)state;
	dlg.cfg = &follow;
	int64_t t = claimed_by_ivan();

	/* His welcome said where the conversations go. */
	assert_string_equal(query_text("SELECT msg_key FROM outbox WHERE chat_id = %d ORDER BY id", IVAN),
			    msg_key(MSG_BOT_WELCOME_ENGINEER_FOLLOW));
	/* A message that answers nothing: how to answer, and his tickets' numbers. */
	says(IVAN, "привет");
	assert_int_equal(n_out, 1);
	assert_int_equal(out[0].chat_id, IVAN);
	assert_contains(out[0].text, text(MSG_BOT_ENGINEER_PRIVATE_HELP));
	assert_contains(out[0].text, "№1");
	assert_int_equal(tickets(), 1);

	says(IVAN, "/mine");
	assert_contains(only(IVAN, "sendMessage", "")->text, "Не печатает чек");
	says(IVAN, "/queue");
	assert_contains(only(IVAN, "sendMessage", "")->text, "Не печатает чек");
	says(IVAN, "/close 1 Заменили ФН");
	assert_string_equal(status(t), "resolved");
	assert_contains(only(ANNA, "sendMessage", "confirm")->text, "Заменили ФН");
}

static void test_dialog__relay_group_keeps_the_conversation_in_the_group(void **state)
{
	(void)state;
	static struct config group = { .tg_relay = "group", .tg_card_every = 60 };
	dlg.cfg = &group;
	int64_t t = claimed_by_ivan();

	says(ANNA, "Пишет ошибку 235");
	const struct sent *relay = only(ENGINEERS, "sendMessage", "relay");
	assert_int_equal(relay->reply_to, 500);
	assert_contains(relay->text, "Пишет ошибку 235");
	assert_int_equal(count_to(IVAN, "sendMessage"), 0);
	assert_int_equal(query_int("SELECT count(*) FROM ticket_events WHERE ticket_id = %lld"
				   " AND kind = 'message'", (long long)t), 1);
	/* His private chat is as it was: tickets are the group's. */
	says(IVAN, "привет");
	assert_only_reply(IVAN, msg(MSG_BOT_STAFF_USE_GROUP));
}

static void test_dialog__engineer_without_a_private_chat_keeps_the_group_and_is_told_once(void **state)
{
	(void)state;
	dlg.cfg = &follow;
	int64_t sergei, t;
	everyone_joins();
	/* Enrolled by an admin, not by an invite: he never wrote to the bot. */
	assert_int_equal(db_begin(desk), 0);
	assert_int_equal(db_person_add(desk, &sergei, "Сергей", "engineer", 0, org, 2003, NULL), 0);
	assert_int_equal(db_commit(desk), 0);
	t = reports(ANNA, "Не печатает чек");
	delivered(ENGINEERS, 500, t, "card");
	claims(2003, t);

	says(ANNA, "Пишет ошибку 235");
	assert_int_equal(only(ENGINEERS, "sendMessage", "relay")->reply_to, 500);
	assert_int_equal(count_to(2003, "sendMessage"), 0);
	assert_int_equal(count_to(ENGINEERS, "sendMessage"), 2);
	assert_non_null(strstr(out[0].text, "Сергей, откройте личный чат с ботом — https://t.me/till_help_bot") ?
			out[0].text : strstr(out[1].text, "Сергей, откройте личный чат с ботом — https://t.me/till_help_bot"));

	says(ANNA, "И ещё ошибка 236");
	only(ENGINEERS, "sendMessage", "relay");
	assert_int_equal(count_to(ENGINEERS, "sendMessage"), 1);  /* no second hint */

	/* He opens the chat: the next message follows him. */
	says(2003, "/start");
	says(ANNA, "Ошибка 237");
	assert_contains(only(2003, "sendMessage", "relay")->text, "Ошибка 237");
	assert_int_equal(count_to(ENGINEERS, "sendMessage"), 0);
}

static void test_dialog__engineer_who_blocked_the_bot_keeps_the_group(void **state)
{
	(void)state;
	dlg.cfg = &follow;
	int64_t t = claimed_by_ivan();
	assert_int_equal(db_begin(desk), 0);
	assert_int_equal(db_person_blocked_tg(desk, IVAN), 0);
	assert_int_equal(db_commit(desk), 0);

	says(ANNA, "Пишет ошибку 235");
	assert_int_equal(only(ENGINEERS, "sendMessage", "relay")->ticket_id, t);
	assert_int_equal(count_to(IVAN, "sendMessage"), 0);
	assert_int_equal(count_to(ENGINEERS, "sendMessage"), 2);  /* and the hint, once */
}

static void test_dialog__released_tickets_conversation_goes_back_to_the_group(void **state)
{
	(void)state;
	dlg.cfg = &follow;
	int64_t t = claimed_by_ivan();
	says(ANNA, "Пишет ошибку 235");
	only(IVAN, "sendMessage", "relay");

	presses(IVAN, ENGINEERS, "u:1");
	assert_string_equal(status(t), "new");
	/* His words not yet sent to him are the group's now, under the card. */
	assert_int_equal(query_int("SELECT count(*) FROM outbox WHERE chat_id = %d AND state = 'pending'"
				   " AND link_role = 'relay'", IVAN), 0);
	assert_int_equal(query_int("SELECT count(*) FROM outbox WHERE chat_id = %d AND state = 'pending'"
				   " AND link_role = 'relay' AND reply_to = 500 AND args LIKE '%%Пишет ошибку 235%%'",
				   ENGINEERS), 1);
	assert_lacks(only(ENGINEERS, "editMessageText", "card")->text, "новых сообщений");
	says(ANNA, "Так и не работает");
	assert_int_equal(only(ENGINEERS, "sendMessage", "relay")->reply_to, 500);
	assert_int_equal(count_to(IVAN, "sendMessage"), 0);

	/* Petr claims it: his private chat now. */
	claims(PETR, t);
	says(ANNA, "Всё ещё ошибка");
	only(PETR, "sendMessage", "relay");
	assert_int_equal(count_to(ENGINEERS, "sendMessage"), 0);
}

static void test_dialog__the_cards_count_is_edited_at_most_once_per_card_every(void **state)
{
	(void)state;
	dlg.cfg = &follow;
	int64_t t = claimed_by_ivan();  /* the claim edited the card at NOW */

	for (int i = 0; i < 3; i++) {
		dlg.now = NOW + 10 * i;
		says(ANNA, "Ещё одна ошибка");
		only(IVAN, "sendMessage", "relay");
		assert_int_equal(count_to(ENGINEERS, "editMessageText"), 0);
	}
	assert_int_equal(ticks_at(NOW + 59), 0);
	/* While anything waits for the group, the count is not queued: it takes only idle time. */
	assert_int_equal(ticks_at(NOW + 60), 0);
	all_sent();
	ticks_at(NOW + 61);
	const struct sent *card = only(ENGINEERS, "editMessageText", "card");
	assert_int_equal(card->ticket_id, t);
	assert_contains(card->text, "новых сообщений: 3, последнее 14:07");
	assert_int_equal(n_out, 1);
	all_sent();
	assert_int_equal(ticks_at(NOW + 62), 0);

	/* A minute after that edit, the next message edits the card at once. */
	dlg.now = NOW + 121;
	says(ANNA, "И ещё");
	assert_contains(only(ENGINEERS, "editMessageText", "card")->text, "новых сообщений: 4, последнее 14:08");
	assert_int_equal(ticks_at(NOW + 200), 0);
}

/* ---- the group becomes a supergroup ---- */

static void test_dialog__group_migration_moves_pending_rows_and_later_cards(void **state)
{
	(void)state;
	everyone_joins();
	reports(ANNA, "Не печатает чек");
	assert_int_equal(query_int("SELECT count(*) FROM outbox WHERE chat_id = %d", ENGINEERS), 1);

	struct tg_update u = message(IVAN, ENGINEERS, "");
	u.migrate_to = MIGRATED;
	assert_int_equal(handle(&u), 0);
	assert_int_equal(dlg.engineers_chat, MIGRATED);
	assert_int_equal(db_chat_current(desk, ENGINEERS), MIGRATED);
	assert_int_equal(query_int("SELECT count(*) FROM outbox WHERE chat_id = %d", ENGINEERS), 0);
	assert_int_equal(query_int("SELECT chat_id FROM outbox WHERE link_role = 'card'"), MIGRATED);

	/* After a restart the daemon finds the new id the same way. */
	dlg.engineers_chat = db_chat_current(desk, ENGINEERS);
	reports(BORIS, "Весы не взвешивают");
	assert_string_equal(only(MIGRATED, "sendMessage", "card")->buttons, "c:2");
	presses(IVAN, ENGINEERS, "c:2");
	assert_only_alert(msg(MSG_BOT_ENGINEERS_ONLY));
	claims(IVAN, 2);
	assert_int_equal(only(MIGRATED, "editMessageText", "card")->ticket_id, 2);
	assert_int_equal(only(BORIS, "sendMessage", "relay")->ticket_id, 2);
	assert_int_equal(query_int("SELECT count(*) FROM outbox WHERE chat_id = %d", ENGINEERS), 0);
}

/* ---- routing: each category's engineers' chat ---- */

/* Rows queued for chat. */
static size_t sent_to(int64_t chat)
{
	size_t n = 0;
	for (size_t i = 0; i < n_out; i++)
		n += out[i].chat_id == chat;
	return n;
}

/*
 * A desk with [routing] fiscal = FISCAL (the others unset) and two
 * articles: a fiscal drive's (ФН: fiscal) and a printer's (принтер:
 * hardware, whose chat is the default one).
 */
static struct config routed = {
	.kb_threshold = 50, .kb_hint = 30, .tg_engineers_chat = ENGINEERS,
	.route_chat = { [ROUTE_FISCAL] = FISCAL },
};

static void routed_desk(void)
{
	static const char *const articles[][2] = {
		{ "fn.md",
		  "---\nid: fn\ntitle: Ресурс хранения ФН исчерпан\ncategory: ФН\ncodes: 235, fn.flags\n"
		  "priority: P1\npattern: фн\\s+235\nexample: ошибка фн 235\n---\nЗамените ФН.\n" },
		{ "paper.md",
		  "---\nid: paper\ntitle: Закончилась чековая лента\ncategory: принтер\n"
		  "priority: P2\npattern: не\\s+печата\\w*\\s+чек\nexample: не печатает чек\n---\n"
		  "Вставьте новый рулон.\n" },
	};
	import_articles(articles, ARRAY_SIZE(articles), &routed);
	dialog_chats(&dlg, &routed);
	everyone_joins();
}

/* A cashier's words get slug's article, which does not help: a ticket. Gives its number. */
static int64_t reports_past(int64_t cashier, const char *words, const char *slug)
{
	char not_helped[32];
	says(cashier, words);
	int64_t id = query_int("SELECT max(id) FROM kb_suggestions");
	assert_int_equal(query_int("SELECT article_id FROM kb_suggestions WHERE id = %lld", (long long)id),
			 article(slug));
	snprintf(not_helped, sizeof(not_helped), "k:%lld:2", (long long)id);
	int64_t before = tickets();
	presses(cashier, cashier, not_helped);
	assert_int_equal(tickets(), before + 1);
	return query_int("SELECT max(id) FROM tickets");
}

static void test_dialog__a_fiscal_ticket_goes_to_the_fiscal_chat_and_a_printer_one_to_the_default(void **state)
{
	(void)state;
	routed_desk();
	int64_t fn = reports_past(ANNA, "касса пишет ошибка фн 235", "fn");
	assert_string_equal(query_text("SELECT route FROM tickets WHERE id = %lld", (long long)fn), "fiscal");
	assert_int_equal(only(FISCAL, "sendMessage", "card")->ticket_id, fn);
	assert_int_equal(sent_to(ENGINEERS), 0);

	/* Her next words follow the card, in its chat. */
	delivered(FISCAL, 500, fn, "card");
	says(ANNA, "и смену не закрыть");
	const struct sent *relay = only(FISCAL, "sendMessage", "relay");
	assert_int_equal(relay->reply_to, 500);
	assert_contains(relay->text, "и смену не закрыть");
	assert_int_equal(sent_to(ENGINEERS), 0);

	/* A printer's article is hardware's, and hardware has no chat of its own. */
	int64_t paper = reports_past(BORIS, "касса не печатает чек", "paper");
	assert_string_equal(query_text("SELECT route FROM tickets WHERE id = %lld", (long long)paper),
			    "hardware");
	assert_int_equal(only(ENGINEERS, "sendMessage", "card")->ticket_id, paper);
	assert_int_equal(sent_to(FISCAL), 0);
}

/*
 * With routing, a busy group's put-off counts do not hold back an idle
 * group's: the tick looks past the cards that have no room.
 */
static void test_dialog__a_busy_groups_put_off_counts_do_not_starve_an_idle_groups(void **state)
{
	(void)state;
	char sql[512];
	routed_desk();
	int64_t fn = reports_past(ANNA, "касса пишет ошибка фн 235", "fn");
	int64_t paper = reports_past(BORIS, "касса не печатает чек", "paper");
	delivered(FISCAL, 500, fn, "card");
	delivered(ENGINEERS, 501, paper, "card");
	all_sent();
	/* 40 more fiscal tickets, their counts put off before paper's. */
	assert_int_equal(sqlite3_exec(peek, "CREATE TEMP TABLE clone AS SELECT * FROM tickets WHERE route = 'fiscal'",
				      NULL, NULL, NULL), SQLITE_OK);
	for (int i = 0; i < 40; i++) {
		snprintf(sql, sizeof(sql), "UPDATE clone SET id = %d; INSERT INTO tickets SELECT * FROM clone;"
			 " INSERT INTO ticket_relays(ticket_id, relayed, card_due) VALUES (%d, 1, %lld)",
			 1000 + i, 1000 + i, (long long)NOW + i);
		assert_int_equal(sqlite3_exec(peek, sql, NULL, NULL, NULL), SQLITE_OK);
	}
	snprintf(sql, sizeof(sql), "INSERT INTO ticket_relays(ticket_id, relayed, card_due) VALUES (%lld, 1, %lld)",
		 (long long)paper, (long long)NOW + 100);
	assert_int_equal(sqlite3_exec(peek, sql, NULL, NULL, NULL), SQLITE_OK);
	/* The fiscal group is busy: something waits for it. */
	says(ANNA, "и смену не закрыть");
	assert_int_equal(sent_to(FISCAL), 1);

	ticks_at(NOW + 200);
	assert_int_equal(only(ENGINEERS, "editMessageText", "card")->ticket_id, paper);
	assert_int_equal(sent_to(FISCAL), 0);
}

static void test_dialog__engineers_claim_reply_and_close_from_the_routed_chat(void **state)
{
	(void)state;
	routed_desk();
	int64_t fn = reports_past(ANNA, "касса пишет ошибка фн 235", "fn");
	int64_t paper = reports_past(BORIS, "касса не печатает чек", "paper");
	delivered(FISCAL, 500, fn, "card");

	presses(IVAN, FISCAL, "c:1");
	assert_string_equal(status(fn), "claimed");
	only(FISCAL, "editMessageText", "card");
	only(ANNA, "sendMessage", "relay");
	assert_int_equal(sent_to(ENGINEERS), 0);

	/* A reply to the card in the fiscal chat reaches the cashier. */
	struct tg_update u = message(IVAN, FISCAL, "Везём новый ФН");
	u.reply_to = 500;
	handle(&u);
	assert_contains(only(ANNA, "sendMessage", "relay")->text, "Везём новый ФН");

	/* Each chat's queue lists its own tickets; the default chat the rest. */
	u = message(PETR, FISCAL, "/queue");
	handle(&u);
	assert_int_equal(n_out, 1);
	assert_int_equal(out[0].chat_id, FISCAL);
	assert_contains(out[0].text, "касса пишет ошибка фн 235");
	assert_lacks(out[0].text, "касса не печатает чек");
	says_in_group(PETR, "/queue");
	assert_int_equal(out[0].chat_id, ENGINEERS);
	assert_contains(out[0].text, "касса не печатает чек");
	assert_lacks(out[0].text, "касса пишет ошибка фн 235");

	/* «Закрыть» asks in the chat it was pressed in; the answer there closes it. */
	presses(IVAN, FISCAL, "x:1");
	assert_true(only(FISCAL, "sendMessage", "resolution")->force_reply);
	delivered(FISCAL, 501, fn, "resolution");
	u = message(IVAN, FISCAL, "заменили ФН");
	u.reply_to = 501;
	handle(&u);
	assert_string_equal(status(fn), "resolved");
	assert_int_equal(sent_to(ENGINEERS), 0);

	/* Another group is no engineers' chat. */
	presses(PETR, -500, "c:2");
	assert_only_alert(msg(MSG_BOT_ENGINEERS_ONLY));
	assert_string_equal(status(paper), "new");
}

static void test_dialog__an_agents_ticket_goes_to_its_articles_chat_with_its_warnings(void **state)
{
	(void)state;
	int64_t till, ticket = 0;
	routed_desk();
	assert_int_equal(db_begin(desk), 0);
	assert_int_equal(db_till_add(desk, &till, store, "Касса 1", "hash-1"), 0);
	const struct actor agent = { .kind = ACTOR_AGENT, .till_id = till };
	const struct event_args a = { .title = "ФН: ресурс исчерпан", .priority = 1,
				      .kb_article_id = article("fn"), .store_id = store, .till_id = till,
				      .out_id = &ticket };
	assert_int_equal(engine_apply(&dlg, EV_AGENT_OPEN, &agent, 0, &a), 0);
	assert_int_equal(db_commit(desk), 0);
	take();
	assert_string_equal(query_text("SELECT route FROM tickets WHERE id = %lld", (long long)ticket),
			    "fiscal");
	only(FISCAL, "sendMessage", "card");
	assert_int_equal(sent_to(ENGINEERS), 0);

	/* Its SLA warning, with «Взять», comes to the same chat. */
	const struct sla_timer t = { .ticket_id = ticket, .kind = SLA_REACTION, .due_at = NOW + 600 };
	const struct actor system = { .kind = ACTOR_SYSTEM };
	const struct event_args w = { .timer = &t };
	assert_int_equal(db_begin(desk), 0);
	assert_int_equal(engine_apply(&dlg, EV_SLA_WARNING, &system, ticket, &w), 0);
	assert_int_equal(db_commit(desk), 0);
	take();
	char claim[32];
	snprintf(claim, sizeof(claim), "c:%lld", (long long)ticket);
	assert_string_equal(only(FISCAL, "sendMessage", "")->buttons, claim);
	assert_int_equal(sent_to(ENGINEERS), 0);
}

static void test_dialog__a_routed_group_migrated_to_a_supergroup_is_followed(void **state)
{
	(void)state;
	routed_desk();
	reports_past(ANNA, "касса пишет ошибка фн 235", "fn");

	struct tg_update u = message(IVAN, FISCAL, "");
	u.migrate_to = FISCAL_MIGRATED;
	assert_int_equal(handle(&u), 0);
	assert_int_equal(dlg.route_chats[ROUTE_FISCAL], FISCAL_MIGRATED);
	assert_int_equal(dlg.engineers_chat, ENGINEERS);
	assert_int_equal(db_chat_current(desk, FISCAL), FISCAL_MIGRATED);
	assert_int_equal(query_int("SELECT count(*) FROM outbox WHERE chat_id = %d", FISCAL), 0);
	assert_int_equal(query_int("SELECT chat_id FROM outbox WHERE link_role = 'card'"), FISCAL_MIGRATED);

	/* After a restart the config's old id still leads there. */
	memset(dlg.route_chats, 0, sizeof(dlg.route_chats));
	dialog_chats(&dlg, &routed);
	assert_int_equal(dlg.route_chats[ROUTE_FISCAL], FISCAL_MIGRATED);
	presses(IVAN, FISCAL_MIGRATED, "c:1");
	assert_string_equal(status(1), "claimed");
	only(FISCAL_MIGRATED, "editMessageText", "card");
	presses(PETR, FISCAL, "c:1");
	assert_only_alert(msg(MSG_BOT_ENGINEERS_ONLY));
}

/* Runs the scheduler's SLA pass at t in its own transaction; takes what it queued. */
static size_t tick_at(int64_t t)
{
	dlg.now = t;
	assert_int_equal(db_begin(desk), 0);
	assert_int_equal(sla_watch_tick(&dlg), 0);
	assert_int_equal(db_commit(desk), 0);
	return take();
}

/*
 * The SLA tests' start: a round-the-clock P3 policy of reaction and
 * resolution seconds, everyone registered, and Anna's ticket 1 open at NOW
 * with its card delivered as message 500.
 */
static void sla_ticket_open(int64_t reaction, int64_t resolution)
{
	static struct sla_policy p3;
	static struct config cfg;
	p3 = (struct sla_policy){ "standard", 3, reaction, resolution, false, false, true };
	cfg = (struct config){ .sla_warn_at = 75, .sla = &p3, .n_sla = 1 };
	dlg.cfg = &cfg;
	everyone_joins();
	says(ANNA, "Не печатает чек");
	delivered(ENGINEERS, 500, 1, "card");
}

/*
 * A P3 policy of 20 s reaction and 60 s resolution, round the clock: the
 * warning at 75% and the breach come once each; claiming meets reaction;
 * the resolution breach tells the chat too, and is written to the history.
 */
static void test_dialog__sla_warning_and_breach_come_once_each(void **state)
{
	(void)state;
	sla_ticket_open(20, 60);
	assert_int_equal(query_int("SELECT due_at FROM sla_timers WHERE kind = 'reaction'"), NOW + 20);
	assert_int_equal(query_int("SELECT warn_at FROM sla_timers WHERE kind = 'reaction'"), NOW + 15);
	assert_int_equal(query_int("SELECT due_at FROM sla_timers WHERE kind = 'resolution'"), NOW + 60);

	assert_int_equal(tick_at(NOW + 14), 0);
	assert_int_equal(tick_at(NOW + 15), 1);
	assert_int_equal(out[0].chat_id, ENGINEERS);
	assert_contains(out[0].text, "никто не взял");
	assert_string_equal(out[0].buttons, "c:1");  /* announced again: it can be claimed there */
	assert_string_equal(last_event(1), "sla_warning");
	assert_int_equal(tick_at(NOW + 16), 0);
	assert_int_equal(tick_at(NOW + 20), 1);
	assert_contains(out[0].text, "нарушен срок реакции");
	assert_string_equal(out[0].buttons, "");
	assert_string_equal(last_event(1), "sla_breach");
	assert_string_equal(last_body(1), "reaction");
	assert_int_equal(tick_at(NOW + 21), 0);

	/* Claimed after the breach: reaction is met; resolution runs on. */
	dlg.now = NOW + 30;
	presses(IVAN, ENGINEERS, "c:1");
	assert_true(query_int("SELECT met_at FROM sla_timers WHERE kind = 'reaction'") == NOW + 30);
	assert_int_equal(tick_at(NOW + 45), 1);
	assert_contains(out[0].text, "срок решения");
	assert_int_equal(tick_at(NOW + 60), 1);
	assert_contains(out[0].text, "нарушен срок решения");
	assert_int_equal(tick_at(NOW + 3600), 0);
	assert_int_equal(query_int("SELECT count(*) FROM ticket_events WHERE kind IN ('sla_warning', 'sla_breach')"), 4);
}

/*
 * An engineer's reply pauses the resolution clock (the card says so) and
 * meets reaction; the cashier's answer resumes it, the deadline moved by
 * the pause. Further replies and messages change nothing more.
 */
static void test_dialog__reply_pauses_resolution_until_the_cashier_answers(void **state)
{
	(void)state;
#define RESOLUTION_DUE "SELECT ifnull(due_at, 0) FROM sla_timers WHERE kind = 'resolution'"
	sla_ticket_open(20, 60);

	dlg.now = NOW + 10;
	replies_in_group(IVAN, 500, "Какая модель принтера?");
	assert_int_equal(query_int(RESOLUTION_DUE), 0);
	assert_int_equal(query_int("SELECT met_at FROM sla_timers WHERE kind = 'reaction'"), NOW + 10);
	dlg.now = NOW + 12;
	replies_in_group(IVAN, 500, "И какой код ошибки?");  /* already paused: from NOW + 10 */
	assert_int_equal(tick_at(NOW + 100), 0);           /* paused: no notice */

	dlg.now = NOW + 110;
	says(ANNA, "АТОЛ 30Ф, ошибки нет");
	assert_int_equal(query_int(RESOLUTION_DUE), NOW + 60 + 100);
	dlg.now = NOW + 115;
	says(ANNA, "и бумага есть");
	assert_int_equal(query_int(RESOLUTION_DUE), NOW + 60 + 100);
	assert_int_equal(query_int("SELECT count(*) FROM sla_pauses"), 1);
	/* 75% of 60 s: 10 s before the pause, 35 s after it. */
	assert_int_equal(tick_at(NOW + 144), 0);
	assert_int_equal(tick_at(NOW + 145), 1);
	assert_contains(out[0].text, "срок решения");
	assert_int_equal(tick_at(NOW + 159), 0);
	assert_int_equal(tick_at(NOW + 160), 1);
	assert_contains(out[0].text, "нарушен срок решения");
}

/*
 * No scheduler pass ran while the reaction deadline passed (the daemon was
 * down): the late claim records the breach first, with its notice, then
 * meets the timer. The resolution's used time leaves out the pause.
 */
static void test_dialog__a_deadline_missed_while_down_is_a_breach_when_met_late(void **state)
{
	(void)state;
	sla_ticket_open(20, 600);

	dlg.now = NOW + 30;
	presses(IVAN, ENGINEERS, "c:1");
	assert_contains(only(ENGINEERS, "sendMessage", "")->text, "нарушен срок реакции");
	assert_int_equal(query_int("SELECT count(*) FROM ticket_events WHERE kind = 'sla_breach'"), 1);
	assert_int_equal(query_int("SELECT breached_at FROM sla_timers WHERE kind = 'reaction'"), NOW + 30);
	assert_int_equal(query_int("SELECT met_at FROM sla_timers WHERE kind = 'reaction'"), NOW + 30);
	assert_int_equal(query_int("SELECT used FROM sla_timers WHERE kind = 'reaction'"), 30);
	assert_int_equal(tick_at(NOW + 31), 0);

	dlg.now = NOW + 40;
	replies_in_group(IVAN, 500, "Какая модель?");
	dlg.now = NOW + 100;
	says(ANNA, "АТОЛ");
	dlg.now = NOW + 130;
	resolves(IVAN, 1, "Заменили");
	/* 130 s since opening, 60 of them waiting for the cashier. */
	assert_int_equal(query_int("SELECT used FROM sla_timers WHERE kind = 'resolution'"), 70);
	assert_int_equal(query_int("SELECT count(*) FROM sla_timers WHERE breached_at IS NOT NULL"), 1);
}

/* The config lost the ticket's policy while it ran: a claim still meets it, counted round the clock. */
static void test_dialog__a_timer_is_met_even_when_its_policy_is_gone(void **state)
{
	(void)state;
	static struct sla_policy p1 = { "standard", 1, 20, 600, false, false, true };
	static struct config later = { .sla_warn_at = 75, .sla = &p1, .n_sla = 1 };
	sla_ticket_open(20, 600);
	dlg.cfg = &later;
	dlg.now = NOW + 10;
	presses(IVAN, ENGINEERS, "c:1");
	assert_int_equal(query_int("SELECT met_at FROM sla_timers WHERE kind = 'reaction'"), NOW + 10);
	assert_int_equal(query_int("SELECT used FROM sla_timers WHERE kind = 'reaction'"), 10);
	assert_int_equal(tick_at(NOW + 100), 0);
}

/* A long conversation: every one of 70 pauses moves the resolution deadline. */
static void test_dialog__every_pause_of_a_long_conversation_counts(void **state)
{
	(void)state;
	sla_ticket_open(20, 600);
	for (int i = 0; i < 70; i++) {
		dlg.now = NOW + 10 + i * 10;
		replies_in_group(IVAN, 500, "А так?");
		dlg.now += 5;
		says(ANNA, "Нет");
	}
	assert_int_equal(query_int("SELECT count(*) FROM sla_pauses"), 70);
	assert_int_equal(query_int("SELECT due_at FROM sla_timers WHERE kind = 'resolution'"),
			 NOW + 600 + 70 * 5);
}

/*
 * The till-down button raises the priority: both deadlines are computed
 * again from the opening, and the cashier's edited question tells the new
 * ones in the store's time. /queue puts the nearest deadline first, shows
 * the time left or overdue, and marks a breached ticket even after its
 * reaction is met.
 */
static void test_dialog__priority_change_moves_deadlines_and_the_queue_order(void **state)
{
	(void)state;
	static struct sla_policy ps[] = {
		{ "standard", 1, 5 * 60, 3600, false, false, true },
		{ "standard", 3, 20 * 60, 4 * 3600, false, false, true },
	};
	static struct config cfg = { .sla_warn_at = 75, .sla = ps, .n_sla = 2 };
#define REACTION_DUE "SELECT due_at FROM sla_timers WHERE kind = 'reaction' AND ticket_id = 2"
	dlg.cfg = &cfg;
	everyone_joins();
	says(ANNA, "Не печатает чек");  /* 14:06:40 Moscow: reaction 14:26, resolution 18:06 */
	assert_contains(only(ANNA, "sendMessage", "question")->text,
			text(MSG_BOT_PROMISE_BOTH, "2026-11-18 14:26", "2026-11-18 18:06"));
	dlg.now = NOW + 60;
	says(BORIS, "Касса не включается");
	assert_int_equal(query_int(REACTION_DUE), NOW + 60 + 20 * 60);

	presses(BORIS, BORIS, "p:2:1");
	assert_int_equal(query_int(REACTION_DUE), NOW + 60 + 5 * 60);
	assert_int_equal(query_int("SELECT due_at FROM sla_timers WHERE kind = 'resolution'"
				   " AND ticket_id = 2"), NOW + 60 + 3600);
	assert_int_equal(query_int("SELECT due_at FROM sla_timers WHERE kind = 'reaction'"
				   " AND ticket_id = 1"), NOW + 20 * 60);  /* the other keeps its own */
	const char *q = only(BORIS, "editMessageText", "question")->text;
	assert_contains(q, text(MSG_BOT_PRIORITY_DOWN, 2LL));
	assert_contains(q, text(MSG_BOT_PROMISE_BOTH, "2026-11-18 14:12", "2026-11-18 15:07"));

	dlg.now = NOW + 120;
	says_in_group(IVAN, "/queue");
	const char *queue = only(ENGINEERS, "sendMessage", "")->text;
	assert_contains(queue, "⏳ 4 мин\n");
	assert_contains(queue, "⏳ 18 мин\n");
	assert_true(strstr(queue, "№2 ") < strstr(queue, "№1 "));
	assert_lacks(queue, "🔥");

	tick_at(NOW + 60 + 5 * 60);  /* the reaction breach of №2 */
	dlg.now = NOW + 60 + 5 * 60 + 90;
	says_in_group(IVAN, "/queue");
	queue = only(ENGINEERS, "sendMessage", "")->text;
	assert_contains(queue, "🔥 просрочена на 1 мин 30 с\n");
	assert_true(strstr(queue, "№2 ") < strstr(queue, "№1 "));

	/* Claimed late: its next deadline is resolution, after №1's reaction. */
	claims(IVAN, 2);
	says_in_group(IVAN, "/queue");
	queue = only(ENGINEERS, "sendMessage", "")->text;
	assert_contains(queue, "🔥 SLA нарушен · ⏳ 53 мин 30 с\n");
	assert_true(strstr(queue, "№1 ") < strstr(queue, "№2 "));

	/* The cashier's /my shows the deadline in the store's time. */
	says(ANNA, "/my");
	assert_contains(only(ANNA, "sendMessage", "")->text, "срок 2026-11-18 14:26");
#undef REACTION_DUE
}

/*
 * A press whose message is gone (too old, deleted) comes without a chat: 0.
 * An engineers' chat that is not configured is 0 too. Neither may make the
 * other the engineers' chat.
 */
static void test_dialog__a_press_without_its_message_is_never_from_the_engineers_chat(void **state)
{
	(void)state;
	everyone_joins();
	int64_t t = reports(ANNA, "Не печатает чек");

	dlg.engineers_chat = 0;
	presses(IVAN, 0, "c:1");
	assert_only_alert(msg(MSG_BOT_ENGINEERS_ONLY));
	assert_string_equal(status(t), "new");

	dlg.engineers_chat = ENGINEERS;
	presses(IVAN, 0, "c:1");
	assert_only_alert(msg(MSG_BOT_ENGINEERS_ONLY));
	assert_string_equal(status(t), "new");
	claims(IVAN, t);
}

/* ---- access: an admin disables, enables, moves ---- */

/* What `tilldesk person disable` does, in its own transaction; returns the tickets requeued. */
static size_t admin_disables(int64_t tg)
{
	size_t requeued;
	assert_int_equal(db_begin(desk), 0);
	assert_int_equal(access_disable(&dlg, person(tg), "root", &requeued), 0);
	assert_int_equal(db_commit(desk), 0);
	take();
	return requeued;
}

static void admin_enables(int64_t tg)
{
	assert_int_equal(db_begin(desk), 0);
	assert_int_equal(access_enable(&dlg, person(tg), "root"), 0);
	assert_int_equal(db_commit(desk), 0);
	take();
}

static bool disabled(int64_t tg)
{
	return query_int("SELECT disabled_at IS NOT NULL FROM people WHERE tg_user_id = %lld",
			 (long long)tg);
}

static void test_dialog__disabled_cashier_is_refused_politely_and_opens_no_ticket(void **state)
{
	(void)state;
	everyone_joins();
	admin_disables(ANNA);
	assert_int_equal(n_out, 0);  /* nothing to tell anyone: she held no ticket */
	assert_string_equal(query_text("SELECT kind || ' by ' || actor FROM person_events"
				       " WHERE person_id = %lld", (long long)person(ANNA)),
			    "disabled by root");

	says(ANNA, "Не печатает чек");
	assert_only_reply(ANNA, msg(MSG_BOT_ACCESS_REVOKED));
	assert_int_equal(tickets(), 0);
	says(ANNA, "/kb чек");
	assert_only_reply(ANNA, msg(MSG_BOT_ACCESS_REVOKED));
	says(ANNA, "/my");
	assert_only_reply(ANNA, msg(MSG_BOT_ACCESS_REVOKED));

	/* A fresh invite does not let her back in, and stays unused for whoever it was for. */
	assert_int_equal(db_begin(desk), 0);
	invite("anna-again", "cashier", NOW + 86400);
	assert_int_equal(db_commit(desk), 0);
	says(ANNA, "/start anna-again");
	assert_only_reply(ANNA, msg(MSG_BOT_ACCESS_REVOKED));
	assert_true(disabled(ANNA));
	assert_int_equal(query_int("SELECT count(*) FROM invites WHERE used_at IS NULL"), 2);
	says(STRANGER, "/start anna-again");
	assert_int_equal(query_int("SELECT count(*) FROM invites WHERE used_at IS NULL"), 1);
}

static void test_dialog__disabled_engineers_tickets_go_back_to_the_queue_with_a_notice(void **state)
{
	(void)state;
	everyone_joins();
	reports(ANNA, "Не печатает чек");
	reports(BORIS, "Сканер не читает");
	delivered(ENGINEERS, 500, 1, "card");
	claims(IVAN, 1);
	claims(PETR, 2);
	assert_string_equal(state_of(IVAN), "");
	presses(IVAN, ENGINEERS, "x:1");  /* he was about to type the resolution */
	assert_string_equal(state_of(IVAN), "resolution");

	assert_int_equal(db_begin(desk), 0);
	size_t requeued;
	assert_int_equal(access_disable(&dlg, person(IVAN), "root", &requeued), 0);
	assert_int_equal(db_commit(desk), 0);
	take();
	assert_int_equal(requeued, 1);
	assert_string_equal(status(1), "new");
	assert_int_equal(assignee(1), 0);
	assert_string_equal(last_event(1), "requeued");
	assert_string_equal(query_text("SELECT msg_key FROM ticket_events WHERE ticket_id = 1"
				       " ORDER BY id DESC"), "HISTORY_ACCESS_REVOKED");
	assert_int_equal(query_int("SELECT actor_id IS NULL FROM ticket_events WHERE ticket_id = 1"
				   " ORDER BY id DESC"), 1);
	assert_string_equal(state_of(IVAN), "");
	/* Petr's ticket is his still. */
	assert_string_equal(status(2), "claimed");
	assert_int_equal(assignee(2), person(PETR));

	/* The card offers «Взять» again and the group is told, under the card. */
	assert_int_equal(n_out, 2);
	assert_string_equal(only(ENGINEERS, "editMessageText", "card")->buttons, "c:1");
	const struct sent *notice = only(ENGINEERS, "sendMessage", "");
	assert_string_equal(notice->text, text(MSG_BOT_REQUEUED_NOTE, 1LL, "Иван"));
	assert_int_equal(notice->reply_to, 500);
	assert_int_equal(notice->ticket_id, 1);

	/* His presses and commands are refused and change nothing; his chatter is his own. */
	presses(IVAN, ENGINEERS, "c:1");
	assert_only_alert(msg(MSG_BOT_ACCESS_REVOKED));
	assert_string_equal(status(1), "new");
	presses(IVAN, ENGINEERS, "u:2");
	assert_only_alert(msg(MSG_BOT_ACCESS_REVOKED));
	assert_string_equal(status(2), "claimed");
	says_in_group(IVAN, "/queue");
	assert_only_reply(ENGINEERS, msg(MSG_BOT_ACCESS_REVOKED));
	replies_in_group(IVAN, 500, "сейчас приеду");
	assert_only_reply(ENGINEERS, msg(MSG_BOT_ACCESS_REVOKED));
	assert_string_equal(last_event(1), "requeued");
	assert_int_equal(says_in_group(IVAN, "всем пока"), 0);

	/* Someone else takes it as usual. */
	claims(PETR, 1);
	assert_int_equal(assignee(1), person(PETR));
}

static void test_dialog__enabled_engineer_works_again_and_requeued_tickets_stay_queued(void **state)
{
	(void)state;
	everyone_joins();
	reports(ANNA, "Не печатает чек");
	claims(IVAN, 1);
	assert_int_equal(admin_disables(IVAN), 1);

	assert_int_equal(db_begin(desk), 0);
	size_t again;
	assert_int_equal(access_disable(&dlg, person(IVAN), "root", &again), TD_EEXISTS);
	db_rollback(desk);

	admin_enables(IVAN);
	assert_false(disabled(IVAN));
	assert_string_equal(status(1), "new");
	assert_int_equal(query_int("SELECT count(*) FROM person_events WHERE person_id = %lld",
				   (long long)person(IVAN)), 2);
	claims(IVAN, 1);
	assert_int_equal(assignee(1), person(IVAN));
}

static void test_dialog__reopened_ticket_of_a_disabled_engineer_goes_to_the_queue(void **state)
{
	(void)state;
	everyone_joins();
	reports(ANNA, "Не печатает чек");
	claims(IVAN, 1);
	resolves(IVAN, 1, "Заменил ленту");
	assert_int_equal(admin_disables(IVAN), 0);  /* resolved: his work stays his */
	assert_int_equal(assignee(1), person(IVAN));

	presses(ANNA, ANNA, "re:1");
	assert_string_equal(status(1), "new");
	assert_int_equal(assignee(1), 0);
	assert_string_equal(only(ENGINEERS, "editMessageText", "card")->buttons, "c:1");
}

static void test_dialog__blocked_the_bot_and_disabled_are_separate_facts(void **state)
{
	(void)state;
	everyone_joins();
	reports(ANNA, "Не печатает чек");
	/* Blocked (a 403) is no refusal: her press still works. */
	assert_int_equal(db_begin(desk), 0);
	assert_int_equal(db_person_blocked_tg(desk, ANNA), 0);
	assert_int_equal(db_commit(desk), 0);
	presses(ANNA, ANNA, "p:1:1");
	assert_int_equal(priority(1), 1);
	assert_false(disabled(ANNA));

	/* Disabled while blocked: her message clears "blocked", never "disabled". */
	admin_disables(ANNA);
	says(ANNA, "я снова здесь");
	assert_only_reply(ANNA, msg(MSG_BOT_ACCESS_REVOKED));
	assert_int_equal(query_int("SELECT blocked FROM people WHERE tg_user_id = %d", ANNA), 0);
	assert_true(disabled(ANNA));
	assert_int_equal(query_int("SELECT last_seen_at FROM people WHERE tg_user_id = %d", ANNA), NOW);
	assert_int_equal(events(1), 2);  /* opened, priority, and nothing from her since */

	/* A group message proves nothing about her private chat. */
	assert_int_equal(db_begin(desk), 0);
	assert_int_equal(db_person_blocked_tg(desk, IVAN), 0);
	assert_int_equal(db_commit(desk), 0);
	says_in_group(IVAN, "/queue");
	assert_int_equal(query_int("SELECT blocked FROM people WHERE tg_user_id = %d", IVAN), 1);
}

static void test_dialog__moved_cashier_leaves_open_tickets_with_the_old_store(void **state)
{
	(void)state;
	int64_t other;
	size_t left;
	everyone_joins();
	reports(ANNA, "Не печатает чек");
	delivered(ENGINEERS, 500, 1, "card");
	claims(IVAN, 1);
	assert_int_equal(db_begin(desk), 0);
	assert_int_equal(db_store_add(desk, &other, org, "Магазин 2", "", "Europe/Moscow", "24/7"), 0);
	assert_int_equal(access_move(&dlg, person(ANNA), other, "root", &left), 0);
	assert_int_equal(db_commit(desk), 0);
	take();
	assert_int_equal(left, 1);
	assert_int_equal(query_int("SELECT store_id FROM people WHERE tg_user_id = %d", ANNA), other);
	assert_int_equal(query_int("SELECT store_id FROM tickets WHERE id = 1"), store);
	assert_string_equal(status(1), "claimed");
	assert_string_equal(last_event(1), "cashier_moved");
	assert_int_equal(only(ENGINEERS, "sendMessage", "")->reply_to, 500);
	assert_string_equal(only(ENGINEERS, "sendMessage", "")->text,
			    text(MSG_BOT_CASHIER_MOVED_NOTE, 1LL, "Анна"));
	assert_string_equal(only(ANNA, "sendMessage", "")->text,
			    text(MSG_BOT_MOVED_TO_STORE, "Магазин 2"));

	/* Her next words are a new problem at the new store, not the old ticket. */
	int64_t fresh = reports(ANNA, "Весы не печатают этикетку");
	assert_int_equal(query_int("SELECT store_id FROM tickets WHERE id = %lld", (long long)fresh), other);
	assert_string_equal(last_event(1), "cashier_moved");
	/* The old ticket's buttons and news no longer reach her; the engineer is told. */
	presses(ANNA, ANNA, "p:1:1");
	assert_only_alert(msg(MSG_BOT_STALE_BUTTON));
	replies_in_group(IVAN, 500, "Когда можно приехать?");
	assert_only_reply(ENGINEERS, text(MSG_BOT_CASHIER_UNREACHABLE, 1LL));
	assert_string_equal(last_event(1), "reply");

	/* Not a cashier, or the same store: nothing to do. */
	assert_int_equal(db_begin(desk), 0);
	assert_int_equal(access_move(&dlg, person(IVAN), other, "root", &left), TD_EINVAL);
	assert_int_equal(access_move(&dlg, person(ANNA), other, "root", &left), TD_EEXISTS);
	db_rollback(desk);
}

static void test_dialog__access_history_is_shown_in_the_readers_language(void **state)
{
	(void)state;
	int64_t other;
	size_t left;
	everyone_joins();
	reports(ANNA, "Не печатает чек");
	claims(IVAN, 1);
	admin_disables(IVAN);  /* written while the desk speaks Russian */
	assert_int_equal(db_begin(desk), 0);
	assert_int_equal(db_store_add(desk, &other, org, "Магазин 2", "", "Europe/Moscow", "24/7"), 0);
	assert_int_equal(access_move(&dlg, person(ANNA), other, "root", &left), 0);
	assert_int_equal(db_commit(desk), 0);
	take();

	/* The desk speaks English now: the history says so, names as they were. */
	assert_int_equal(msg_set_language("en"), 0);
	says_in_group(PETR, "/ticket 1");
	assert_int_equal(n_out, 1);
	assert_contains(out[0].text, "requeued");
	assert_contains(out[0].text, text(MSG_HISTORY_ACCESS_REVOKED, "Иван"));
	assert_contains(out[0].text, "access revoked: Иван");
	assert_contains(out[0].text, "Анна: moved to the store 'Магазин 2'");
	assert_lacks(out[0].text, "доступ");
	assert_lacks(out[0].text, "переведён");
	assert_string_equal(query_text("SELECT kind || ' ' || msg_key FROM person_events"
				       " WHERE person_id = %lld", (long long)person(ANNA)),
			    "moved HISTORY_CASHIER_MOVED");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_dialog__start_with_a_valid_code_registers_a_cashier_of_the_store),
		T(test_dialog__start_with_an_engineer_code_registers_an_engineer),
		T(test_dialog__start_with_a_bad_used_or_expired_code_stores_nothing),
		T(test_dialog__stranger_gets_the_invite_hint_and_no_ticket),
		T(test_dialog__cashier_message_opens_a_ticket_and_posts_a_card),
		T(test_dialog__sla_warning_and_breach_come_once_each),
		T(test_dialog__reply_pauses_resolution_until_the_cashier_answers),
		T(test_dialog__priority_change_moves_deadlines_and_the_queue_order),
		T(test_dialog__a_deadline_missed_while_down_is_a_breach_when_met_late),
		T(test_dialog__a_timer_is_met_even_when_its_policy_is_gone),
		T(test_dialog__every_pause_of_a_long_conversation_counts),
		T(test_dialog__html_in_the_cashiers_words_is_escaped_for_engineers),
		T(test_dialog__second_message_joins_the_open_ticket),
		T(test_dialog__new_then_a_message_opens_a_second_ticket),
		T(test_dialog__cashier_commands_and_empty_messages),
		T(test_dialog__cashier_photo_opens_a_ticket_with_the_photo),
		T(test_dialog__cashier_greeting_opens_no_ticket),
		T(test_dialog__greeting_then_the_problem_goes_to_the_knowledge_base),
		T(test_dialog__photo_with_a_caption_reaches_the_card_when_the_article_did_not_help),
		T(test_dialog__typed_not_helped_opens_the_ticket_with_the_question_and_the_article),
		T(test_dialog__typed_thanks_count_as_helped),
		T(test_dialog__words_while_an_article_waits_join_it_unless_another_article_fits),
		T(test_dialog__follow_ups_get_a_quiet_acknowledgement_at_most_once_a_minute),
		T(test_dialog__cashier_who_blocked_the_bot_is_back_after_writing_again),
		T(test_dialog__till_down_button_raises_priority_and_edits_the_question),
		T(test_dialog__engineer_claims_from_the_group_and_the_cashier_is_told),
		T(test_dialog__claim_by_a_cashier_or_from_another_chat_is_refused),
		T(test_dialog__cashier_buttons_work_only_for_their_cashier),
		T(test_dialog__forged_callback_data_is_answered_and_ignored),
		T(test_dialog__release_returns_the_ticket_to_the_queue),
		T(test_dialog__close_button_is_the_assignees_alone),
		T(test_dialog__reply_to_the_resolution_question_resolves_the_ticket),
		T(test_dialog__cashier_confirms_and_rates_once),
		T(test_dialog__still_broken_reopens_to_the_same_engineer),
		T(test_dialog__every_callback_is_answered_exactly_once),
		T(test_dialog__after_close_button_the_next_words_are_the_resolution),
		T(test_dialog__release_after_close_button_forgets_the_pending_resolution),
		T(test_dialog__reclaimed_ticket_is_not_resolved_by_chatter),
		T(test_dialog__words_after_a_resolution_reopen_the_ticket),
		T(test_dialog__engineer_names_are_escaped_for_the_cashier),
		T(test_dialog__note_is_kept_from_the_cashier),
		T(test_dialog__close_command_resolves_only_the_assignees_ticket),
		T(test_dialog__queue_and_mine_list_open_tickets),
		T(test_dialog__ticket_command_shows_the_history),
		T(test_dialog__unknown_command_and_help_in_the_group),
		T(test_dialog__strangers_and_cashiers_in_the_group_are_ignored),
		T(test_dialog__engineer_reply_to_a_card_goes_to_the_cashier),
		T(test_dialog__claimed_tickets_messages_go_to_the_assignees_private_chat_and_replies_come_back),
		T(test_dialog__engineers_private_chat_hints_and_takes_the_commands),
		T(test_dialog__relay_group_keeps_the_conversation_in_the_group),
		T(test_dialog__engineer_without_a_private_chat_keeps_the_group_and_is_told_once),
		T(test_dialog__engineer_who_blocked_the_bot_keeps_the_group),
		T(test_dialog__released_tickets_conversation_goes_back_to_the_group),
		T(test_dialog__the_cards_count_is_edited_at_most_once_per_card_every),
		T(test_dialog__group_migration_moves_pending_rows_and_later_cards),
		T(test_dialog__a_fiscal_ticket_goes_to_the_fiscal_chat_and_a_printer_one_to_the_default),
		T(test_dialog__a_busy_groups_put_off_counts_do_not_starve_an_idle_groups),
		T(test_dialog__engineers_claim_reply_and_close_from_the_routed_chat),
		T(test_dialog__an_agents_ticket_goes_to_its_articles_chat_with_its_warnings),
		T(test_dialog__a_routed_group_migrated_to_a_supergroup_is_followed),
		T(test_dialog__a_press_without_its_message_is_never_from_the_engineers_chat),
		T(test_dialog__disabled_cashier_is_refused_politely_and_opens_no_ticket),
		T(test_dialog__disabled_engineers_tickets_go_back_to_the_queue_with_a_notice),
		T(test_dialog__enabled_engineer_works_again_and_requeued_tickets_stay_queued),
		T(test_dialog__reopened_ticket_of_a_disabled_engineer_goes_to_the_queue),
		T(test_dialog__blocked_the_bot_and_disabled_are_separate_facts),
		T(test_dialog__moved_cashier_leaves_open_tickets_with_the_old_store),
		T(test_dialog__access_history_is_shown_in_the_readers_language),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
