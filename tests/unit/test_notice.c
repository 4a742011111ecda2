/*
 * test_notice.c - notices: their arguments and actions, the Telegram
 * renderer (escaping, the 4096 split, keyboards, the plain fallback), the
 * outbox's round trip of a notice, and a row queued before notices.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <json-c/json.h>
#include <sqlite3.h>
#include <unistd.h>

#include "scratch.h"
#include "bot/render_tg.h"
#include "core/html.h"
#include "core/notice.h"
#include "storage/db.h"
#include "storage/outbox.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	return scratch_make(dir, sizeof(dir), "notice");
}

static int teardown(void **state)
{
	(void)state;
	return scratch_remove(dir);
}

/* Renders n in lang, expecting success. */
static void render(struct tg_render *out, const struct notice *n, enum msg_lang lang)
{
	char why[128];
	assert_int_equal(tg_render(out, n, lang, why, sizeof(why)), 0);
}

static const char *param(const struct tg_render *r, size_t i, const char *key)
{
	json_object *v;
	assert_true(i < r->n);
	return json_object_object_get_ex(r->v[i].params, key, &v) ? json_object_get_string(v) : NULL;
}

/* The arguments reply_msg() would store for id. */
static void args_of(struct buf *args, enum msg_id id, ...)
{
	va_list ap;
	va_start(ap, id);
	assert_int_equal(notice_args_v(args, id, ap), 0);
	va_end(ap);
}

static void test_render_tg__a_catalogue_message_takes_its_arguments_escaped(void **state)
{
	(void)state;
	struct buf args = BUF_INIT(4096);
	struct tg_render r;
	args_of(&args, MSG_BOT_REQUEUED_NOTE, 42LL, "Пётр <b>&</b>");
	struct notice n = { .kind = NOTICE_SAY, .chat_id = -100, .msg_key = "BOT_REQUEUED_NOTE",
			    .args = buf_cstr(&args) };
	render(&r, &n, LANG_RU);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.v[0].method, "sendMessage");
	assert_string_equal(param(&r, 0, "text"),
			    "↩️ Заявка №42 снова в очереди — доступ отключён: Пётр &lt;b&gt;&amp;&lt;/b&gt;");
	assert_string_equal(param(&r, 0, "parse_mode"), "HTML");
	tg_render_release(&r);
	/* The same notice in the other language: the key, not the text, was stored. */
	render(&r, &n, LANG_EN);
	assert_string_equal(param(&r, 0, "text"),
			    "↩️ Ticket #42 is back in the queue — access revoked: Пётр &lt;b&gt;&amp;&lt;/b&gt;");
	tg_render_release(&r);
	buf_release(&args);
}

static void test_notice__arguments_keep_their_printf_formatting(void **state)
{
	(void)state;
	struct buf args = BUF_INIT(4096), want = BUF_INIT(4096), got = BUF_INIT(4096);
	args_of(&args, MSG_BOT_REOPENED, 7LL);
	struct notice n = { .kind = NOTICE_SAY, .msg_key = "BOT_REOPENED", .args = buf_cstr(&args) };
	msg_buf(&want, MSG_BOT_REOPENED, 7LL);
	assert_int_equal(notice_text(&got, &n, msg_language(), NOTICE_TEXT_HTML), 0);
	assert_string_equal(buf_cstr(&got), buf_cstr(&want));
	/* Widths, zero padding and size_t come out as printf makes them. */
	buf_reset(&args);
	buf_reset(&want);
	buf_reset(&got);
	args_of(&args, MSG_CLI_SECRETS_EXPOSED, "/etc/t.ini", 0644u, "/etc/t.ini");
	msg_buf(&want, MSG_CLI_SECRETS_EXPOSED, "/etc/t.ini", 0644u, "/etc/t.ini");
	n = (struct notice){ .kind = NOTICE_SAY, .msg_key = "CLI_SECRETS_EXPOSED", .args = buf_cstr(&args) };
	assert_int_equal(notice_text(&got, &n, msg_language(), NOTICE_TEXT_PLAIN), 0);
	assert_string_equal(buf_cstr(&got), buf_cstr(&want));
	assert_non_null(strstr(buf_cstr(&got), "0644"));
	buf_reset(&args);
	buf_reset(&want);
	buf_reset(&got);
	args_of(&args, MSG_CLI_PERSON_DISABLED, 3LL, "Анна", (size_t)12);
	msg_buf(&want, MSG_CLI_PERSON_DISABLED, 3LL, "Анна", (size_t)12);
	n = (struct notice){ .kind = NOTICE_SAY, .msg_key = "CLI_PERSON_DISABLED", .args = buf_cstr(&args) };
	assert_int_equal(notice_text(&got, &n, msg_language(), NOTICE_TEXT_PLAIN), 0);
	assert_string_equal(buf_cstr(&got), buf_cstr(&want));
	/* Malformed arguments are refused, not read past. */
	n.args = "t9:7,";
	buf_reset(&got);
	assert_int_equal(notice_text(&got, &n, LANG_RU, NOTICE_TEXT_HTML), TD_EINVAL);
	buf_release(&args);
	buf_release(&want);
	buf_release(&got);
}

static void test_render_tg__a_text_over_4096_is_split_reply_first_buttons_after(void **state)
{
	(void)state;
	struct buf body = BUF_INIT(1u << 20), args = BUF_INIT(1u << 20), actions = BUF_INIT(4096);
	struct notice_actions kb = { 0 };
	struct tg_render r;
	for (int i = 0; i < 600; i++)
		buf_puts(&body, "<b>строка</b> &amp;\n");  /* 600 * 9 characters */
	notice_arg_markup(&args, buf_cstr(&body));
	assert_int_equal(notice_action_add(&kb, 0, msg(MSG_BTN_CLAIM), "c:12"), 0);
	notice_actions_store(&actions, &kb);
	struct notice n = { .kind = NOTICE_SAY, .chat_id = -100, .args = buf_cstr(&args),
			    .actions = buf_cstr(&actions), .reply_to = 5 };
	render(&r, &n, LANG_RU);
	assert_int_equal(r.n, 3);  /* two parts, then the buttons under a short message */
	for (size_t i = 0; i < 2; i++) {
		json_object *v;
		assert_true(html_text_length(param(&r, i, "text")) <= TG_TEXT_MAX);
		assert_int_equal(json_object_object_get_ex(r.v[i].params, "reply_parameters", &v), i == 0);
		assert_false(json_object_object_get_ex(r.v[i].params, "reply_markup", &v));
	}
	assert_string_equal(param(&r, 2, "text"), "⬆️");
	json_object *markup, *rows;
	assert_true(json_object_object_get_ex(r.v[2].params, "reply_markup", &markup));
	assert_true(json_object_object_get_ex(markup, "inline_keyboard", &rows));
	json_object *b = json_object_array_get_idx(json_object_array_get_idx(rows, 0), 0);
	assert_string_equal(json_object_get_string(json_object_object_get(b, "callback_data")), "c:12");
	assert_string_equal(json_object_get_string(json_object_object_get(b, "text")), msg_in(LANG_RU, MSG_BTN_CLAIM));
	tg_render_release(&r);
	/* In English the same button speaks English. */
	render(&r, &n, LANG_EN);
	assert_non_null(strstr(json_object_to_json_string(r.v[2].params), "\"Claim\""));
	tg_render_release(&r);
	buf_release(&body);
	buf_release(&args);
	buf_release(&actions);
}

static void test_render_tg__callback_data_of_64_bytes_is_refused(void **state)
{
	(void)state;
	char data[80], why[128];
	struct notice_actions kb = { 0 };
	struct buf actions = BUF_INIT(4096);
	struct tg_render r;
	memset(data, 'x', 63);
	data[63] = '\0';
	assert_int_equal(notice_action_add(&kb, 0, "1", data), 0);
	notice_actions_store(&actions, &kb);
	struct notice n = { .kind = NOTICE_SAY, .chat_id = 1, .args = "h2:hi,",
			    .actions = buf_cstr(&actions) };
	render(&r, &n, LANG_RU);  /* 63 bytes: Telegram's most */
	tg_render_release(&r);
	memset(data, 'x', 70);
	data[64] = '\0';  /* 64 bytes */
	kb.n = 0;
	assert_int_equal(notice_action_add(&kb, 0, "1", data), 0);
	buf_reset(&actions);
	notice_actions_store(&actions, &kb);
	n.actions = buf_cstr(&actions);
	assert_int_equal(tg_render(&r, &n, LANG_RU, why, sizeof(why)), TD_EINVAL);
	assert_non_null(strstr(why, "callback data"));
	tg_render_release(&r);
	buf_release(&actions);
}

static void test_render_tg__a_refused_markup_goes_as_plain_text(void **state)
{
	(void)state;
	struct tg_render r;
	struct notice n = { .kind = NOTICE_SAY, .chat_id = 1, .args = "h37:<b>Заявка</b> &lt;1&gt; &amp; 2," };
	render(&r, &n, LANG_RU);
	assert_string_equal(param(&r, 0, "parse_mode"), "HTML");
	tg_render_release(&r);
	n.flags = NOTICE_PLAIN;
	render(&r, &n, LANG_RU);
	assert_null(param(&r, 0, "parse_mode"));
	assert_string_equal(param(&r, 0, "text"), "Заявка <1> & 2");
	tg_render_release(&r);
}

static void test_render_tg__files_answers_edits_and_silence(void **state)
{
	(void)state;
	struct tg_render r;
	struct notice photo = { .kind = NOTICE_PHOTO, .chat_id = -100, .ref = "AgAD", .args = "h8:<b>x</b>,",
				.reply_to = 3 };
	render(&r, &photo, LANG_RU);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.v[0].method, "sendPhoto");
	assert_string_equal(param(&r, 0, "photo"), "AgAD");
	assert_string_equal(param(&r, 0, "caption"), "<b>x</b>");
	tg_render_release(&r);
	struct notice ans = { .kind = NOTICE_ANSWER, .ref = "cb1", .msg_key = "BTN_CLAIM",
			      .flags = NOTICE_ALERT };
	render(&r, &ans, LANG_EN);
	assert_string_equal(r.v[0].method, "answerCallbackQuery");
	assert_string_equal(param(&r, 0, "callback_query_id"), "cb1");
	assert_string_equal(param(&r, 0, "text"), "Claim");
	assert_string_equal(param(&r, 0, "show_alert"), "true");
	tg_render_release(&r);
	struct notice edit = { .kind = NOTICE_EDIT, .chat_id = -100, .args = "h1:x," };
	render(&r, &edit, LANG_RU);
	assert_string_equal(r.v[0].method, "editMessageText");
	assert_non_null(strstr(json_object_to_json_string(r.v[0].params), "\"inline_keyboard\": [ ]"));
	tg_render_release(&r);
	struct notice quiet = { .kind = NOTICE_SAY, .chat_id = 1, .args = "h1:x,", .flags = NOTICE_SILENT };
	render(&r, &quiet, LANG_RU);
	assert_string_equal(param(&r, 0, "disable_notification"), "true");
	tg_render_release(&r);
}

struct copy {
	int n;
	int64_t id;
	struct notice notice;
	char link_role[16];
	int64_t ticket_id;
};

static int keep(const struct outbox_row *r, void *arg)
{
	struct copy *c = arg;
	c->n++;
	c->id = r->id;
	c->ticket_id = r->ticket_id;
	snprintf(c->link_role, sizeof(c->link_role), "%s", r->link_role);
	notice_copy(&c->notice, &r->n);
	return 0;
}

static void test_outbox__a_notice_comes_back_as_it_was_queued(void **state)
{
	(void)state;
	char path[256], err[256];
	struct db *db;
	struct buf args = BUF_INIT(4096), actions = BUF_INIT(4096);
	struct notice_actions kb = { 0 };
	struct copy c = { 0 };
	int64_t last = 0;
	snprintf(path, sizeof(path), "%s/round.db", dir);
	assert_int_equal(db_open(&db, path, err, sizeof(err)), 0);
	args_of(&args, MSG_BOT_REQUEUED_NOTE, 9LL, "a,b:c\n");
	notice_action_add(&kb, 0, msg(MSG_BTN_CLOSE), "x:9");
	notice_action_add(&kb, 1, "5", "r:9:5");
	notice_actions_store(&actions, &kb);
	struct outbox_new m = {
		.n = { .kind = NOTICE_SAY, .chat_id = -100, .msg_key = "BOT_REQUEUED_NOTE",
		       .args = buf_cstr(&args), .actions = buf_cstr(&actions), .reply_to = 77,
		       .flags = NOTICE_SILENT },
	};
	assert_int_equal(db_outbox_add(db, &m, 100), 0);
	assert_int_equal(db_outbox_after(db, &last, keep, &c), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.notice.kind, NOTICE_SAY);
	assert_int_equal(c.notice.chat_id, -100);
	assert_string_equal(c.notice.msg_key, "BOT_REQUEUED_NOTE");
	assert_string_equal(c.notice.args, buf_cstr(&args));
	assert_string_equal(c.notice.actions, buf_cstr(&actions));
	assert_int_equal(c.notice.reply_to, 77);
	assert_int_equal(c.notice.flags, NOTICE_SILENT);
	/* And it renders as the notice queued does. */
	struct tg_render a, b;
	render(&a, &m.n, LANG_RU);
	render(&b, &c.notice, LANG_RU);
	assert_int_equal(a.n, b.n);
	assert_string_equal(json_object_to_json_string(a.v[0].params),
			    json_object_to_json_string(b.v[0].params));
	struct notice_actions back;
	assert_int_equal(notice_actions_load(&back, c.notice.actions), 0);
	assert_int_equal(back.n, 2);
	assert_int_equal(back.v[1].row, 1);
	assert_string_equal(notice_action_label(&back.v[0], LANG_EN), "Close");
	tg_render_release(&a);
	tg_render_release(&b);
	notice_release(&c.notice);
	buf_release(&args);
	buf_release(&actions);
	db_close(db);
}

static void test_outbox__a_pending_row_from_before_notices_is_sent_as_it_was(void **state)
{
	(void)state;
	static const char payload[] =
		"{\"text\":\"Заявка <b>№3</b>\",\"parse_mode\":\"HTML\","
		"\"reply_markup\":{\"inline_keyboard\":[[{\"text\":\"Взять\",\"callback_data\":\"c:3\"}]]}}";
	char path[256], err[256], sql[1024];
	struct db *db;
	sqlite3 *h;
	struct copy c = { 0 };
	snprintf(path, sizeof(path), "%s/old.db", dir);
	assert_int_equal(db_open_raw(&db, path, err, sizeof(err)), 0);
	assert_int_equal(db_migrate(db, db_schema_latest() - 1), 0);
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	snprintf(sql, sizeof(sql), "INSERT INTO outbox(channel, chat_id, method, payload, created_at,"
		 " link_role) VALUES ('telegram', -100, 'sendMessage', '%s', 1, 'card')", payload);
	assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	assert_int_equal(db_migrate(db, db_schema_latest()), 0);
	/* The sender finds it due, as a legacy row, and sends its call unchanged. */
	assert_int_equal(db_outbox_due(db, 100, 16, keep, &c), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.notice.kind, NOTICE_LEGACY);
	assert_string_equal(c.link_role, "card");
	struct tg_render r;
	render(&r, &c.notice, LANG_EN);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.v[0].method, "sendMessage");
	json_object *want = json_tokener_parse(payload);
	assert_string_equal(json_object_to_json_string(r.v[0].params), json_object_to_json_string(want));
	json_object_put(want);
	tg_render_release(&r);
	notice_release(&c.notice);
	db_close(db);
}

/* The body of n as HTML in lang, expecting success. */
static void body_is(const struct notice *n, enum msg_lang lang, const char *want)
{
	struct buf out = BUF_INIT(1u << 16);
	assert_int_equal(notice_text(&out, n, lang, NOTICE_TEXT_HTML), 0);
	assert_string_equal(buf_cstr(&out), want);
	buf_release(&out);
}

static void test_notice__a_nested_message_renders_in_each_language_from_one_row(void **state)
{
	(void)state;
	struct buf args = BUF_INIT(4096), deadlines = BUF_INIT(4096);
	/* CARD_DEADLINES with a nested "breached (at)" and a nested list "1 h 5 min". */
	struct buf span = BUF_INIT(4096);
	notice_arg_msg(&deadlines, MSG_CARD_DEADLINE_BREACHED, "10:15");
	notice_arg_msg(&span, MSG_SPAN_HOURS, 1LL);
	notice_arg_text(&span, " ");
	notice_arg_msg(&span, MSG_SPAN_MINUTES, 5LL);
	notice_arg_list(&deadlines, buf_cstr(&span));
	notice_arg_msg_parts(&args, MSG_CARD_DEADLINES, buf_cstr(&deadlines));
	notice_arg_markup(&args, "\n");
	notice_arg_msg(&args, MSG_BOT_CLAIMED, 7LL, "Пётр");
	struct notice n = { .kind = NOTICE_SAY, .chat_id = 1, .args = buf_cstr(&args) };
	body_is(&n, LANG_RU, "Срок реакции: 🔥 нарушен (10:15), решения: 1 ч 5 мин\n"
		"🔧 Заявку №7 взял инженер Пётр");
	body_is(&n, LANG_EN, "Reaction due: 🔥 breached (10:15), resolution due: 1 h 5 min\n"
		"🔧 Ticket #7 was taken by engineer Пётр");
	/* The same nested message under a key: the key's text holds it. */
	buf_reset(&args);
	notice_arg_text(&args, "9");
	notice_arg_msg(&args, MSG_SPAN_MINUTES, 3LL);
	struct notice keyed = { .kind = NOTICE_SAY, .chat_id = 1, .msg_key = "BOT_CLAIMED",
				.args = buf_cstr(&args) };
	body_is(&keyed, LANG_EN, "🔧 Ticket #9 was taken by engineer 3 min");
	buf_release(&args);
	buf_release(&deadlines);
	buf_release(&span);
}

static void test_notice__each_text_is_escaped_once_at_its_own_level(void **state)
{
	(void)state;
	struct buf args = BUF_INIT(4096), inner = BUF_INIT(4096), list = BUF_INIT(4096);
	notice_arg_msg(&inner, MSG_CARD_DEADLINE_BREACHED, "a<b>&amp;");
	notice_arg_text(&inner, "<i>&");
	notice_arg_msg_parts(&list, MSG_CARD_DEADLINES, buf_cstr(&inner));
	notice_arg_text(&args, "<1>");
	notice_arg_list(&args, buf_cstr(&list));
	struct notice n = { .kind = NOTICE_SAY, .chat_id = 1, .msg_key = "BOT_CLAIMED",
			    .args = buf_cstr(&args) };
	/* %lld holds "<1>" here: an argument is text, whatever its conversion. */
	body_is(&n, LANG_EN, "🔧 Ticket #&lt;1&gt; was taken by engineer "
		"Reaction due: 🔥 breached (a&lt;b&gt;&amp;amp;), resolution due: &lt;i&gt;&amp;");
	/* Plain text unescapes once: the user's own "&amp;" survives as typed. */
	struct buf out = BUF_INIT(4096);
	assert_int_equal(notice_text(&out, &n, LANG_EN, NOTICE_TEXT_PLAIN), 0);
	assert_string_equal(buf_cstr(&out), "🔧 Ticket #<1> was taken by engineer "
			    "Reaction due: 🔥 breached (a<b>&amp;), resolution due: <i>&");
	buf_release(&out);
	buf_release(&args);
	buf_release(&inner);
	buf_release(&list);
}

static void test_notice__nesting_past_the_depth_limit_does_not_render(void **state)
{
	(void)state;
	struct buf level = BUF_INIT(4096), next = BUF_INIT(4096), out = BUF_INIT(4096);
	notice_arg_text(&level, "x");
	/* NOTICE_DEPTH_MAX levels render; one more is refused. */
	for (int depth = 1; depth <= NOTICE_DEPTH_MAX + 1; depth++) {
		buf_reset(&next);
		notice_arg_list(&next, buf_cstr(&level));
		buf_reset(&level);
		buf_puts(&level, buf_cstr(&next));
		struct notice n = { .kind = NOTICE_SAY, .chat_id = 1, .msg_key = "SPAN_HOURS",
				    .args = buf_cstr(&level) };
		buf_reset(&out);
		if (depth <= NOTICE_DEPTH_MAX) {
			assert_int_equal(notice_text(&out, &n, LANG_EN, NOTICE_TEXT_HTML), 0);
			assert_string_equal(buf_cstr(&out), "x h");
		} else {
			assert_int_equal(notice_text(&out, &n, LANG_EN, NOTICE_TEXT_HTML), TD_EINVAL);
		}
	}
	/* A nested argument that claims more bytes than its container holds is refused. */
	struct notice bad = { .kind = NOTICE_SAY, .chat_id = 1, .args = "m14:SPAN_HOURS|t5:1,,t1:2," };
	assert_int_equal(notice_text(&out, &bad, LANG_EN, NOTICE_TEXT_HTML), TD_EINVAL);
	buf_release(&level);
	buf_release(&next);
	buf_release(&out);
}

static void test_notice__a_row_queued_with_one_markup_argument_renders_as_before(void **state)
{
	(void)state;
	/* The stored form of a body composed at queue time, before nested messages. */
	struct notice n = { .kind = NOTICE_SAY, .chat_id = -100,
			    .args = "h46:🔧 Заявку №3 взял <b>A&amp;B</b>," };
	struct tg_render r;
	body_is(&n, LANG_EN, "🔧 Заявку №3 взял <b>A&amp;B</b>");
	render(&r, &n, LANG_EN);
	assert_string_equal(param(&r, 0, "text"), "🔧 Заявку №3 взял <b>A&amp;B</b>");
	assert_string_equal(param(&r, 0, "parse_mode"), "HTML");
	tg_render_release(&r);
	struct buf out = BUF_INIT(4096);
	assert_int_equal(notice_text(&out, &n, LANG_EN, NOTICE_TEXT_PLAIN), 0);
	assert_string_equal(buf_cstr(&out), "🔧 Заявку №3 взял A&B");
	buf_release(&out);
}

static void test_notice__a_span_renders_as_msg_span_writes_it(void **state)
{
	(void)state;
	static const int64_t spans[] = { 0, 40, 65, 3600 + 5, 3 * 3600 + 5 * 60, 2 * 86400 + 3600 };
	for (size_t i = 0; i < ARRAY_SIZE(spans); i++) {
		struct buf args = BUF_INIT(4096), want = BUF_INIT(4096);
		notice_arg_span(&args, spans[i]);
		msg_span(&want, spans[i]);
		struct notice n = { .kind = NOTICE_SAY, .chat_id = 1, .args = buf_cstr(&args) };
		body_is(&n, msg_language(), buf_cstr(&want));
		buf_release(&args);
		buf_release(&want);
	}
}

/* Renders n with the kept file f, expecting success. */
static void render_kept(struct tg_render *out, const struct notice *n, const struct tg_file *f)
{
	char why[128];
	assert_int_equal(tg_render_file(out, n, f, LANG_RU, why, sizeof(why)), 0);
}

static void test_render_tg__a_kept_file_telegram_lacks_is_an_upload_by_its_kind(void **state)
{
	(void)state;
	struct buf args = BUF_INIT(256);
	notice_arg_text(&args, "№3 <чек>");
	struct notice n = { .kind = NOTICE_DOCUMENT, .args = buf_cstr(&args), .actions = "",
			    .ref = "att:3" };
	struct tg_file photo = { .name = "a.jpg", .size = 100, .kept = true, .photo = true };
	struct tg_render r;
	render_kept(&r, &n, &photo);
	/* The sender's choice wins over the notice's kind: a JPEG goes as a photo. */
	assert_int_equal(r.n, 1);
	assert_string_equal(r.v[0].method, "sendPhoto");
	assert_true(r.v[0].upload);
	assert_string_equal(param(&r, 0, "caption"), "№3 &lt;чек&gt;");
	assert_string_equal(param(&r, 0, "parse_mode"), "HTML");
	tg_render_release(&r);

	struct tg_file sent = { .name = "a.pdf", .size = 100, .kept = true, .file_id = "BQAC-id" };
	render_kept(&r, &n, &sent);
	assert_string_equal(r.v[0].method, "sendDocument");
	assert_false(r.v[0].upload);
	assert_string_equal(param(&r, 0, "document"), "BQAC-id");
	tg_render_release(&r);

	/* A Telegram file_id as the ref renders as it always did. */
	n.ref = "BQAC-cashiers";
	render(&r, &n, LANG_RU);
	assert_false(r.v[0].upload);
	assert_string_equal(param(&r, 0, "document"), "BQAC-cashiers");
	tg_render_release(&r);
	buf_release(&args);
}

static void test_render_tg__a_file_over_the_cap_is_a_line_after_its_caption(void **state)
{
	(void)state;
	struct buf args = BUF_INIT(256);
	notice_arg_text(&args, "№3");
	struct notice n = { .kind = NOTICE_PHOTO, .args = buf_cstr(&args), .actions = "",
			    .ref = "att:4" };
	struct tg_file big = { .name = "a<b>.zip", .size = 30 * 1024 * 1024 };
	struct tg_render r;
	render_kept(&r, &n, &big);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.v[0].method, "sendMessage");
	assert_string_equal(param(&r, 0, "text"),
			    "№3\n📎 a&lt;b&gt;.zip, 30.0 МБ — не сохранён (больше imap.attachment_max)");
	tg_render_release(&r);
	struct tg_file small = { .name = "a.txt", .size = 512 };
	n.args = "";
	render_kept(&r, &n, &small);
	assert_string_equal(param(&r, 0, "text"),
			    "📎 a.txt, 512 Б — не сохранён (больше imap.attachment_max)");
	tg_render_release(&r);
	buf_release(&args);
}

static void test_render_tg__a_long_caption_follows_its_upload_with_the_buttons(void **state)
{
	(void)state;
	struct buf args = BUF_INIT(1u << 16), caption = BUF_INIT(1u << 16);
	for (int i = 0; i < 120; i++)
		buf_add(&caption, "0123456789", 10);
	notice_arg_text(&args, buf_cstr(&caption));
	struct notice n = { .kind = NOTICE_DOCUMENT, .args = buf_cstr(&args),
			    .actions = "0\tc:3\tk:BTN_CLAIM\n", .ref = "att:5" };
	struct tg_file f = { .name = "a.pdf", .size = 10, .kept = true };
	struct tg_render r;
	render_kept(&r, &n, &f);
	assert_int_equal(r.n, 2);
	assert_true(r.v[0].upload);
	assert_null(param(&r, 0, "caption"));
	assert_null(param(&r, 0, "reply_markup"));
	assert_string_equal(r.v[1].method, "sendMessage");
	assert_non_null(param(&r, 1, "reply_markup"));
	tg_render_release(&r);
	/* A short one keeps the buttons on the file itself. */
	n.args = "t2:ok,";
	render_kept(&r, &n, &f);
	assert_int_equal(r.n, 1);
	assert_non_null(param(&r, 0, "reply_markup"));
	tg_render_release(&r);
	buf_release(&args);
	buf_release(&caption);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render_tg__a_catalogue_message_takes_its_arguments_escaped),
		cmocka_unit_test(test_notice__arguments_keep_their_printf_formatting),
		cmocka_unit_test(test_render_tg__a_text_over_4096_is_split_reply_first_buttons_after),
		cmocka_unit_test(test_render_tg__callback_data_of_64_bytes_is_refused),
		cmocka_unit_test(test_render_tg__a_refused_markup_goes_as_plain_text),
		cmocka_unit_test(test_render_tg__files_answers_edits_and_silence),
		cmocka_unit_test(test_outbox__a_notice_comes_back_as_it_was_queued),
		cmocka_unit_test(test_outbox__a_pending_row_from_before_notices_is_sent_as_it_was),
		cmocka_unit_test(test_notice__a_nested_message_renders_in_each_language_from_one_row),
		cmocka_unit_test(test_notice__each_text_is_escaped_once_at_its_own_level),
		cmocka_unit_test(test_notice__nesting_past_the_depth_limit_does_not_render),
		cmocka_unit_test(test_notice__a_row_queued_with_one_markup_argument_renders_as_before),
		cmocka_unit_test(test_notice__a_span_renders_as_msg_span_writes_it),
		cmocka_unit_test(test_render_tg__a_kept_file_telegram_lacks_is_an_upload_by_its_kind),
		cmocka_unit_test(test_render_tg__a_file_over_the_cap_is_a_line_after_its_caption),
		cmocka_unit_test(test_render_tg__a_long_caption_follows_its_upload_with_the_buttons),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
