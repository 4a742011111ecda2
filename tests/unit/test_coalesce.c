/*
 * test_coalesce.c - a ticket's relays waiting for a group's allowance,
 * merged into one message (bot/coalesce.h): in order, each under its
 * time, never over 4096 characters, files and other voices left alone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bot/coalesce.h"
#include "bot/render_tg.h"
#include "core/html.h"
#include "core/ticket_enums.h"

#define ROWS 80
/* 2026-11-26 06:48:00 UTC, 09:48 in Moscow. */
#define AT 1795675680

struct rows {
	struct buf args[ROWS], actions[ROWS];
	struct notice n[ROWS];
	struct coalesce_row v[ROWS];
	size_t len;
};

/* The relay engine.c queues for the cashier's words: «💬 №N, кассир NAME:\n» and the words. */
static void relay(struct rows *r, long long ticket, const char *cashier, const char *words,
		  int64_t at)
{
	size_t i = r->len++;
	buf_init(&r->args[i], 64u << 10);
	notice_arg_msg(&r->args[i], MSG_BOT_CASHIER_SAYS, ticket, cashier);
	notice_arg_markup(&r->args[i], ":\n");
	notice_arg_text(&r->args[i], words);
	r->n[i] = (struct notice){ .kind = NOTICE_SAY, .chat_id = -100, .args = buf_cstr(&r->args[i]),
				   .actions = "" };
	r->v[i] = (struct coalesce_row){ .n = &r->n[i], .link_role = link_role_name(LINK_RELAY),
					 .created_at = at };
}

/* An SLA warning as sla_watch.c queues it for a group: «⏰ Заявку №N ...», a «Взять» button. */
static void warning(struct rows *r, long long ticket, const char *title, unsigned flags)
{
	size_t i = r->len++;
	char data[32];
	struct notice_actions keys = { 0 };
	buf_init(&r->args[i], 64u << 10);
	notice_arg_msg(&r->args[i], MSG_SLA_WARN_REACTION, ticket, 3, "10:15", "Europe/Moscow");
	notice_arg_text(&r->args[i], title);
	button_data(data, sizeof(data), VERB_CLAIM, ticket, 0);
	notice_action_add(&keys, 0, msg(MSG_BTN_CLAIM), data);
	buf_init(&r->actions[i], 1024);
	notice_actions_store(&r->actions[i], &keys);
	r->n[i] = (struct notice){ .kind = NOTICE_SAY, .chat_id = -100, .args = buf_cstr(&r->args[i]),
				   .actions = buf_cstr(&r->actions[i]), .flags = flags };
	r->v[i] = (struct coalesce_row){ .n = &r->n[i], .link_role = "", .created_at = AT };
}

static void rows_release(struct rows *r)
{
	for (size_t i = 0; i < r->len; i++) {
		buf_release(&r->args[i]);
		if (r->actions[i].cap)
			buf_release(&r->actions[i]);
	}
}

/* The merged message as Telegram gets it. */
static char *merged_text(const struct buf *args)
{
	struct buf html = BUF_INIT(1u << 20);
	struct notice n = { .kind = NOTICE_SAY, .args = buf_cstr(args) };
	assert_int_equal(notice_text(&html, &n, LANG_RU, NOTICE_TEXT_HTML), 0);
	return buf_detach(&html);
}

static void test_coalesce__a_cashiers_relays_become_one_message_each_under_its_time(void **state)
{
	(void)state;
	struct rows *r = calloc(1, sizeof(*r));
	struct buf args = BUF_INIT(1u << 20);
	size_t taken;
	relay(r, 7, "Анна", "Касса не печатает", AT);
	relay(r, 7, "Анна", "и сканер <молчит>", AT + 60);
	relay(r, 7, "Анна", "уже час", AT + 125);
	assert_int_equal(coalesce_relays(&args, &taken, r->v, r->len, "Europe/Moscow", LANG_RU), 0);
	assert_int_equal(taken, 3);
	char *text = merged_text(&args);
	assert_string_equal(text, "💬 №7, кассир Анна:\n<i>09:48</i> Касса не печатает\n"
			    "<i>09:49</i> и сканер &lt;молчит&gt;\n<i>09:50</i> уже час");
	free(text);
	buf_release(&args);
	rows_release(r);
	free(r);
}

static void test_coalesce__a_file_or_another_voice_ends_the_run(void **state)
{
	(void)state;
	struct rows *r = calloc(1, sizeof(*r));
	struct buf args = BUF_INIT(1u << 20);
	size_t taken;
	relay(r, 7, "Анна", "раз", AT);
	relay(r, 7, "Анна", "два", AT);
	relay(r, 7, "Анна", "подпись", AT);
	r->n[2].kind = NOTICE_PHOTO;   /* a photo keeps its place after the words before it */
	relay(r, 7, "Анна", "три", AT);
	assert_int_equal(coalesce_relays(&args, &taken, r->v, r->len, "UTC", LANG_RU), 0);
	assert_int_equal(taken, 2);
	/* The photo itself goes alone. */
	assert_int_equal(coalesce_relays(&args, &taken, r->v + 2, 2, "UTC", LANG_RU), 0);
	assert_true(taken < 2);
	/* Another cashier on the same ticket: their own header, their own message. */
	relay(r, 7, "Борис", "четыре", AT);
	assert_int_equal(coalesce_relays(&args, &taken, r->v + 3, 2, "UTC", LANG_RU), 0);
	assert_int_equal(taken, 1);
	/* A card, an edit, a half-sent row: not the cashier's words. */
	r->v[1].link_role = link_role_name(LINK_CARD);
	assert_int_equal(coalesce_relays(&args, &taken, r->v, 2, "UTC", LANG_RU), 0);
	assert_int_equal(taken, 1);
	r->v[1].link_role = link_role_name(LINK_RELAY);
	r->v[1].parts_sent = 1;
	assert_int_equal(coalesce_relays(&args, &taken, r->v, 2, "UTC", LANG_RU), 0);
	assert_int_equal(taken, 1);
	buf_release(&args);
	rows_release(r);
	free(r);
}

static void test_coalesce__long_relays_fill_messages_of_at_most_4096_characters(void **state)
{
	(void)state;
	struct rows *r = calloc(1, sizeof(*r));
	struct buf args = BUF_INIT(1u << 20);
	char words[1001];
	size_t taken, done = 0, messages = 0;
	memset(words, 'x', 1000);
	words[1000] = '\0';
	for (int i = 0; i < 10; i++)
		relay(r, 7, "Анна", words, AT + i);
	/* 10 × 1000 characters: three messages of three or four pieces, none over the limit. */
	while (done < r->len) {
		assert_int_equal(coalesce_relays(&args, &taken, r->v + done, r->len - done, "UTC", LANG_RU), 0);
		assert_true(taken >= 2);
		char *text = merged_text(&args);
		assert_true(html_text_length(text) <= TG_TEXT_MAX);
		free(text);
		done += taken;
		messages++;
	}
	assert_int_equal(done, 10);
	assert_int_equal(messages, 3);
	/* One relay over the limit alone is not merged: the renderer splits it as before. */
	struct rows *big = calloc(1, sizeof(*big));
	char huge[5001];
	memset(huge, 'y', 5000);
	huge[5000] = '\0';
	relay(big, 7, "Анна", huge, AT);
	relay(big, 7, "Анна", "коротко", AT);
	assert_int_equal(coalesce_relays(&args, &taken, big->v, big->len, "UTC", LANG_RU), 0);
	assert_true(taken < 2);
	rows_release(big);
	free(big);
	buf_release(&args);
	rows_release(r);
	free(r);
}

static void test_coalesce__at_most_coalesce_max_rows_go_as_one(void **state)
{
	(void)state;
	struct rows *r = calloc(1, sizeof(*r));
	struct buf args = BUF_INIT(1u << 20);
	size_t taken;
	for (int i = 0; i < ROWS; i++)
		relay(r, 7, "Анна", "ok", AT);
	assert_int_equal(coalesce_relays(&args, &taken, r->v, r->len, NULL, LANG_RU), 0);
	assert_int_equal(taken, COALESCE_MAX);
	buf_release(&args);
	rows_release(r);
	free(r);
}

static void test_coalesce__warnings_of_several_tickets_join_each_button_naming_its_ticket(void **state)
{
	(void)state;
	struct rows *r = calloc(1, sizeof(*r));
	struct buf args = BUF_INIT(1u << 20), actions = BUF_INIT(1u << 16);
	struct notice_actions keys;
	size_t taken;
	warning(r, 7, "Касса не печатает", NOTICE_JOINS);
	warning(r, 12, "Весы <молчат>", NOTICE_JOINS);
	warning(r, 9, "УТМ не отвечает", NOTICE_JOINS | NOTICE_SILENT);   /* another kind of message */
	warning(r, 10, "ФН", NOTICE_JOINS);
	assert_int_equal(coalesce_notices(&args, &actions, &taken, r->v, r->len, LANG_RU), 0);
	assert_int_equal(taken, 2);
	char *text = merged_text(&args);
	assert_string_equal(text, "⏰ Заявку <b>№7</b> (P3) никто не взял, срок реакции — 10:15"
			    " (Europe/Moscow):\nКасса не печатает\n\n"
			    "⏰ Заявку <b>№12</b> (P3) никто не взял, срок реакции — 10:15"
			    " (Europe/Moscow):\nВесы &lt;молчат&gt;");
	free(text);
	assert_int_equal(notice_actions_load(&keys, buf_cstr(&actions)), 0);
	assert_int_equal(keys.n, 2);
	assert_string_equal(notice_action_label(&keys.v[0], LANG_RU), "Взять №7");
	assert_string_equal(keys.v[0].action, "c:7");
	assert_string_equal(notice_action_label(&keys.v[1], LANG_RU), "Взять №12");
	assert_string_equal(keys.v[1].action, "c:12");
	assert_int_equal(keys.v[1].row, 0);
	/* In English too; a row not flagged to join, or half sent, joins nothing. */
	assert_int_equal(coalesce_notices(&args, &actions, &taken, r->v, 2, LANG_EN), 0);
	assert_int_equal(notice_actions_load(&keys, buf_cstr(&actions)), 0);
	assert_string_equal(notice_action_label(&keys.v[1], LANG_EN), "Claim #12");
	r->n[1].flags = 0;
	assert_int_equal(coalesce_notices(&args, &actions, &taken, r->v, 2, LANG_RU), 0);
	assert_int_equal(taken, 1);
	r->n[1].flags = NOTICE_JOINS;
	r->n[1].reply_to = 42;      /* a reply to another message keeps its thread */
	assert_int_equal(coalesce_notices(&args, &actions, &taken, r->v, 2, LANG_RU), 0);
	assert_int_equal(taken, 1);
	r->n[1].reply_to = 0;
	r->v[1].parts_sent = 1;
	assert_int_equal(coalesce_notices(&args, &actions, &taken, r->v, 2, LANG_RU), 0);
	assert_int_equal(taken, 1);
	buf_release(&args);
	buf_release(&actions);
	rows_release(r);
	free(r);
}

static void test_coalesce__joined_notices_stop_at_4096_characters_and_32_buttons(void **state)
{
	(void)state;
	struct rows *r = calloc(1, sizeof(*r));
	struct buf args = BUF_INIT(1u << 20), actions = BUF_INIT(1u << 16);
	struct notice_actions keys;
	char title[1200];
	size_t taken;
	memset(title, 'x', sizeof(title) - 1);
	title[sizeof(title) - 1] = '\0';
	for (int i = 0; i < 10; i++)
		warning(r, 100 + i, title, NOTICE_JOINS);
	assert_int_equal(coalesce_notices(&args, &actions, &taken, r->v, r->len, LANG_RU), 0);
	assert_int_equal(taken, 3);
	char *text = merged_text(&args);
	assert_true(html_text_length(text) <= TG_TEXT_MAX);
	free(text);
	rows_release(r);
	/* Short ones: the buttons are the bound, three a line. */
	memset(r, 0, sizeof(*r));
	for (int i = 0; i < 40; i++)
		warning(r, 200 + i, "Касса", NOTICE_JOINS);
	assert_int_equal(coalesce_notices(&args, &actions, &taken, r->v, r->len, LANG_RU), 0);
	assert_int_equal(taken, NOTICE_ACTIONS_MAX);
	assert_int_equal(notice_actions_load(&keys, buf_cstr(&actions)), 0);
	assert_int_equal(keys.n, NOTICE_ACTIONS_MAX);
	assert_int_equal(keys.v[NOTICE_ACTIONS_MAX - 1].row, (NOTICE_ACTIONS_MAX - 1) / 3);
	buf_release(&args);
	buf_release(&actions);
	rows_release(r);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_coalesce__a_cashiers_relays_become_one_message_each_under_its_time),
		cmocka_unit_test(test_coalesce__a_file_or_another_voice_ends_the_run),
		cmocka_unit_test(test_coalesce__long_relays_fill_messages_of_at_most_4096_characters),
		cmocka_unit_test(test_coalesce__at_most_coalesce_max_rows_go_as_one),
		cmocka_unit_test(test_coalesce__warnings_of_several_tickets_join_each_button_naming_its_ticket),
		cmocka_unit_test(test_coalesce__joined_notices_stop_at_4096_characters_and_32_buttons),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
