/*
 * Unit tests: letters in (mail/inbound.c) and letters back
 * (mail/answer.c, bot/engine.c's notices to a cashier who wrote by
 * e-mail). Each letter is a struct inletter built here, as mail_parse()
 * would give it, taken as the IMAP intake takes it: inbound_take() in
 * one transaction. What happened is read through a second connection.
 *
 * The desk: Ромашка's store on Ленина (its own address lenina@), its
 * cashier Иван (ivan@, no Telegram), a second store on Мира with its
 * cashier Пётр (petr@), an engineer Сергей in the engineers' chat, the
 * desk's own address desk@tilldesk.example.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include "peek.h"
#define ROMASHKA_DIR "/tmp/tilldesk-inbound-XXXXXX"
#include "romashka.h"
#include "bot/dialog.h"
#include "bot/engine.h"
#include "kb/article.h"
#include "storage/kb.h"
#include "kb/search.h"
#include "mail/build.h"
#include "mail/inbound.h"
#include "storage/ticket.h"

#define ENGINEERS (-100)
#define SERGEY_TG 5001
#define HOUR 3600

static int64_t ivan, petr, sergey, mira;
static struct kb *kb;
static int64_t next_uid = 1;

#define assert_contains(hay, needle) \
	do { if (!strstr((hay), (needle))) fail_msg("'%s' not in:\n%s", (needle), (hay)); } while (0)
#define assert_lacks(hay, needle) \
	do { if (strstr((hay), (needle))) fail_msg("'%s' in:\n%s", (needle), (hay)); } while (0)

/* ---- the desk ---- */

static struct mail {
	struct inletter l;
	char *refs[12];
} post;

static void letter_release(void)
{
	for (size_t i = 0; i < post.l.n_references; i++)
		free(post.l.references[i]);
	free(post.l.from_addr);
	free(post.l.from_name);
	free(post.l.reply_addr);
	free(post.l.subject);
	free(post.l.message_id);
	free(post.l.in_reply_to);
	free(post.l.text);
	free(post.l.full_text);
	free(post.l.files);
	memset(&post, 0, sizeof(post));
}


static int setup(void **state)
{
	(void)state;
	(void)date_in;
	(void)enrol_owner;
	if (romashka_open("inbound"))
		return -1;
	free(cfg.smtp_from);
	cfg.smtp_from = xstrdup("Техподдержка <Desk@tilldesk.example>");
	free(cfg.imap_user);
	cfg.imap_user = xstrdup("inbox@tilldesk.example");
	cfg.kb_threshold = 50;
	cfg.kb_hint = 30;
	assert_int_equal(db_store_add(desk, &mira, org, "Ромашка на Мира", "", "Europe/Moscow", "24/7"), 0);
	assert_int_equal(db_person_add(desk, &ivan, "Иван", "cashier", store, 0, 0, "ivan@romashka.ru"), 0);
	assert_int_equal(db_person_add(desk, &petr, "Пётр", "cashier", mira, 0, 0, "petr@romashka.ru"), 0);
	assert_int_equal(db_person_add(desk, &sergey, "Сергей", "engineer", 0, 0, SERGEY_TG, NULL), 0);
	assert_int_equal(db_store_set_email(desk, store, "lenina@romashka.ru"), 0);
	assert_int_equal(db_commit(desk), 0);
	next_uid = 1;
	kb = NULL;
	return sqlite3_open(path, &peek) == SQLITE_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	sqlite3_close(peek);
	letter_release();
	kb_free(kb);
	db_close(desk);
	config_release(&cfg);
	clock_set(0);
	return scratch_remove(dir);
}

static struct dialog dialog_now(void)
{
	return (struct dialog){ .db = desk, .engineers_chat = ENGINEERS, .now = clock_now(), .cfg = &cfg,
				.kb = kb };
}

/* ---- letters, as mail_parse() gives them ---- */

/* A letter from addr; every string its own (until the next). */
static struct inletter *letter(const char *from, const char *subject, const char *text)
{
	static int serial;
	char id[64];
	letter_release();
	snprintf(id, sizeof(id), "m%d.%lld@mail.romashka.ru", ++serial, (long long)clock_now());
	post.l.from_addr = xstrdup(from);
	post.l.from_name = xstrdup(!strncmp(from, "ivan@", 5) ? "Иван Петров" : "");
	post.l.reply_addr = xstrdup(from);
	post.l.subject = xstrdup(subject);
	post.l.message_id = xstrdup(id);
	post.l.in_reply_to = xstrdup("");
	post.l.text = xstrdup(text);
	post.l.full_text = xstrdup(text);
	post.l.references = post.refs;
	return &post.l;
}

/* The letter answers the one whose Message-ID is id. */
static void replying_to(struct inletter *l, const char *id)
{
	free(l->in_reply_to);
	l->in_reply_to = xstrdup(id);
	l->references[l->n_references++] = xstrdup(id);
}

/* Takes l as the intake does, of size bytes; its outcome, its ticket in *ticket. */
static enum inbound_outcome take_sized(const struct inletter *l, size_t size, int64_t *ticket)
{
	struct dialog d = dialog_now();
	const struct inbound_meta m = { .uidvalidity = 7, .uid = next_uid++, .size = size };
	enum inbound_outcome o;
	int64_t t;
	assert_int_equal(db_begin(desk), 0);
	assert_int_equal(inbound_take(&d, &m, l, &o, &t), 0);
	assert_int_equal(db_commit(desk), 0);
	if (ticket)
		*ticket = t;
	return o;
}

static enum inbound_outcome take(const struct inletter *l, int64_t *ticket)
{
	return take_sized(l, 2000, ticket);
}

/* ---- reading what happened ---- */

static int64_t tickets(void)
{
	return query_int("SELECT count(*) FROM tickets WHERE ?1", 1);
}

static int64_t letters_like(const char *pattern)
{
	sqlite3_stmt *st;
	int64_t n = 0;
	assert_int_equal(sqlite3_prepare_v2(peek, "SELECT count(*) FROM letters WHERE ref LIKE ?1", -1, &st,
					    NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, pattern, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* A column of the newest letter whose ref is LIKE pattern ("" for none). */
static const char *letter_field(const char *column, const char *pattern)
{
	static char s[4][16384];
	static int i;
	char sql[256];
	sqlite3_stmt *st;
	i = (i + 1) % 4;
	s[i][0] = '\0';
	snprintf(sql, sizeof(sql), "SELECT coalesce(%s, '') FROM letters WHERE ref LIKE ?1 ORDER BY id DESC LIMIT 1",
		 column);
	assert_int_equal(sqlite3_prepare_v2(peek, sql, -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, pattern, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		snprintf(s[i], sizeof(s[i]), "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return s[i];
}

/* The kinds of the ticket's history rows, ' '-separated. */
static const char *history(int64_t ticket)
{
	return query_text("SELECT group_concat(kind, ' ') FROM (SELECT kind FROM ticket_events"
			  " WHERE ticket_id = ?1 ORDER BY id)", ticket);
}

static const char *status(int64_t ticket)
{
	return query_text("SELECT status FROM tickets WHERE id = ?1", ticket);
}

/* The outcomes recorded in mail_in, ' '-separated, in order. */
static const char *outcomes(void)
{
	return query_text("SELECT coalesce(group_concat(outcome, ' '), '') FROM"
			  " (SELECT outcome FROM mail_in WHERE ?1 ORDER BY id)", 1);
}

/* What the engineers' chat was told of the ticket (every notice's arguments), one string. */
static const char *engineers_read(int64_t ticket)
{
	static char s[65536];
	sqlite3_stmt *st;
	s[0] = '\0';
	assert_int_equal(sqlite3_prepare_v2(peek, "SELECT group_concat(args || ref, ' | ') FROM outbox"
					    " WHERE chat_id = -100 AND ticket_id = ?1", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_int64(st, 1, ticket);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(s, sizeof(s), "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return s;
}

/* An engineer's event on the ticket, in its own transaction. */
static void engineer_does(enum ticket_event ev, int64_t ticket, const char *words, const char *photo)
{
	struct dialog d = dialog_now();
	struct person p;
	assert_int_equal(db_begin(desk), 0);
	assert_int_equal(dialog_person_by_id(&d, sergey, &p), 0);
	const struct actor who = actor_person(&p);
	const struct event_args a = { .body = words, .photo = photo, .chat_id = ENGINEERS };
	assert_int_equal(engine_apply(&d, ev, &who, ticket, &a), 0);
	assert_int_equal(db_commit(desk), 0);
}

/* Ivan's first letter: ticket 1. */
static int64_t printer_ticket(void)
{
	int64_t t;
	assert_int_equal(take(letter("ivan@romashka.ru", "Принтер не печатает",
				     "Чек не выходит, лента есть.\nКасса 2."), &t), INBOUND_OPENED);
	return t;
}

/* Ivan's first letter, taken and resolved by Сергей: ticket 1. */
static int64_t resolved_printer_ticket(const char *how)
{
	int64_t t = printer_ticket();
	engineer_does(EV_CLAIM, t, NULL, NULL);
	engineer_does(EV_RESOLVE, t, how, NULL);
	return t;
}

/* ---- who writes: a cashier opens and joins ---- */

static void test_inbound__a_cashiers_letter_opens_a_ticket_and_is_answered_in_its_thread(void **state)
{
	(void)state;
	struct inletter *l = letter("ivan@romashka.ru", "Re: Принтер не печатает",
				    "Чек не выходит, лента есть.\nКасса 2.");
	char their_id[128];
	snprintf(their_id, sizeof(their_id), "%s", l->message_id);
	int64_t t;
	assert_int_equal(take(l, &t), INBOUND_OPENED);
	assert_int_equal(t, 1);
	assert_string_equal(query_text("SELECT source FROM tickets WHERE id = ?1", t), "email");
	assert_string_equal(query_text("SELECT title FROM tickets WHERE id = ?1", t), "Принтер не печатает");
	assert_int_equal(query_int("SELECT cashier_id FROM tickets WHERE id = ?1", t), ivan);
	/* The history keeps the letter's words; the card names who wrote and shows them. */
	assert_string_equal(history(t), "opened");
	assert_string_equal(query_text("SELECT body FROM ticket_events WHERE ticket_id = ?1", t),
			    "Чек не выходит, лента есть.\nКасса 2.");
	const char *card = engineers_read(t);
	assert_contains(card, "Иван Петров <ivan@romashka.ru>");
	assert_contains(card, "CARD_EMAIL");
	assert_contains(card, "Чек не выходит, лента есть.");
	/* The confirmation goes back by letter, in the thread of theirs, with the number. */
	assert_int_equal(letters_like("ticket:1:%:opened"), 1);
	assert_string_equal(letter_field("subject", "ticket:1:%:opened"), "Re: [№1] Принтер не печатает");
	assert_contains(letter_field("text", "ticket:1:%:opened"), "№1");
	assert_string_equal(letter_field("in_reply_to", "ticket:1:%:opened"), their_id);
	assert_string_equal(letter_field("refs", "ticket:1:%:opened"), their_id);
	assert_string_equal(query_text("SELECT group_concat(addr) FROM letter_rcpts WHERE ?1", 1),
			    "ivan@romashka.ru");
	assert_int_equal(query_int("SELECT ticket_id FROM letters WHERE ?1", 1), 1);
	/* Nothing goes to a Telegram chat of the cashier's. */
	assert_int_equal(query_int("SELECT count(*) FROM outbox WHERE chat_id != -100 OR chat_id IS NULL"
				   " AND ?1", 1), 0);
	assert_string_equal(outcomes(), "opened");
	assert_int_equal(query_int("SELECT ticket_id FROM mail_in WHERE uid = ?1", 1), 1);
}

static void test_inbound__a_subject_with_the_number_joins_its_ticket(void **state)
{
	(void)state;
	int64_t t = printer_ticket(), joined;
	assert_int_equal(take(letter("ivan@romashka.ru", "Re: [№1] Принтер не печатает", "Теперь горит красный."),
			      &joined), INBOUND_JOINED);
	assert_int_equal(joined, t);
	assert_int_equal(take(letter("ivan@romashka.ru", "Re: №1 и ещё", "Перезагрузили."), &joined),
			 INBOUND_JOINED);
	assert_int_equal(take(letter("ivan@romashka.ru", "[#1]", "Всё так же."), &joined), INBOUND_JOINED);
	assert_int_equal(tickets(), 1);
	assert_string_equal(history(t), "opened message message message");
	/* A number that is no tag names a till, not a ticket: a new problem. */
	assert_int_equal(take(letter("ivan@romashka.ru", "Касса №1 не включается", "Совсем."), &joined),
			 INBOUND_OPENED);
	assert_int_equal(tickets(), 2);
	assert_string_equal(history(t), "opened message message message");
	assert_contains(engineers_read(t), "Теперь горит красный.");
	/* The engineers hear of it; the cashier gets no letter for their own words. */
	assert_int_equal(letters_like("ticket:1:%"), 1);
}

static void test_inbound__a_reply_to_our_letter_joins_its_ticket_whatever_its_subject(void **state)
{
	(void)state;
	int64_t t = printer_ticket(), joined;
	char ours[256];
	snprintf(ours, sizeof(ours), "%s", letter_field("message_id", "ticket:1:%:opened"));
	struct inletter *l = letter("ivan@romashka.ru", "вопрос", "А когда приедете?");
	replying_to(l, ours);
	assert_int_equal(take(l, &joined), INBOUND_JOINED);
	assert_int_equal(joined, t);
	/* And a reply to that letter of theirs, by its id alone. */
	char theirs[128];
	snprintf(theirs, sizeof(theirs), "%s", l->message_id);
	l = letter("ivan@romashka.ru", "", "Ждём.");
	replying_to(l, theirs);
	assert_int_equal(take(l, &joined), INBOUND_JOINED);
	assert_int_equal(tickets(), 1);
	assert_string_equal(history(t), "opened message message");
}

static void test_inbound__a_stores_own_address_writes_as_its_mailbox(void **state)
{
	(void)state;
	int64_t t, again;
	assert_int_equal(take(letter("lenina@romashka.ru", "Сканер не видит товар", "Со вчерашнего дня."), &t),
			 INBOUND_OPENED);
	assert_int_equal(take(letter("lenina@romashka.ru", "Весы", "Не взвешивают."), &again), INBOUND_OPENED);
	int64_t mailbox = query_int("SELECT id FROM people WHERE mailbox_of = ?1", store);
	assert_true(mailbox > 0);
	assert_string_equal(query_text("SELECT name || ' ' || role FROM people WHERE id = ?1", mailbox),
			    "Ромашка на Ленина cashier");
	assert_int_equal(query_int("SELECT count(*) FROM people WHERE mailbox_of IS NOT NULL AND ?1", 1), 1);
	assert_int_equal(query_int("SELECT cashier_id FROM tickets WHERE id = ?1", t), mailbox);
	assert_int_equal(query_int("SELECT cashier_id FROM tickets WHERE id = ?1", again), mailbox);
	assert_int_equal(query_int("SELECT store_id FROM tickets WHERE id = ?1", t), store);
}

static void test_inbound__a_cashier_of_another_store_cannot_join_by_the_number(void **state)
{
	(void)state;
	int64_t t = printer_ticket(), other;
	assert_int_equal(take(letter("petr@romashka.ru", "Re: [№1] Принтер не печатает", "Закройте её."), &other),
			 INBOUND_OPENED);
	assert_true(other != t);
	assert_int_equal(query_int("SELECT store_id FROM tickets WHERE id = ?1", other), mira);
	assert_string_equal(history(t), "opened");
	assert_string_equal(status(t), "new");
	/* Nor by naming our letter on Иван's ticket. */
	char ours[256];
	snprintf(ours, sizeof(ours), "%s", letter_field("message_id", "ticket:1:%:opened"));
	struct inletter *l = letter("petr@romashka.ru", "вопрос", "Что там?");
	replying_to(l, ours);
	assert_int_equal(take(l, &other), INBOUND_OPENED);
	assert_string_equal(history(t), "opened");
	assert_int_equal(tickets(), 3);
}

/*
 * A letter of theirs names a ticket by its Message-ID only for the one
 * who wrote it: another store's cashier who sends a letter under Иван's
 * Message-ID (copied from a letter he was sent a copy of) does not take
 * Иван's next reply to it away from his ticket.
 */
static void test_inbound__a_message_id_copied_by_another_sender_does_not_divert_a_reply(void **state)
{
	(void)state;
	int64_t t = printer_ticket(), got;
	char his[128];
	snprintf(his, sizeof(his), "%s", post.l.message_id);
	struct inletter *l = letter("petr@romashka.ru", "Сканер", "Не сканирует.");
	free(l->message_id);
	l->message_id = xstrdup(his);
	assert_int_equal(take(l, &got), INBOUND_OPENED);
	assert_true(got != t);
	/* Иван adds to his own letter, replying to it. */
	l = letter("ivan@romashka.ru", "Re: Принтер не печатает", "Забыл: касса 2, модель Атол.");
	replying_to(l, his);
	assert_int_equal(take(l, &got), INBOUND_JOINED);
	assert_int_equal(got, t);
	assert_int_equal(tickets(), 2);
}

static void test_inbound__sql_in_a_subject_is_only_words(void **state)
{
	(void)state;
	const char *evil = "'); DROP TABLE tickets; -- \" %_ [№' OR 1=1]";
	int64_t t;
	assert_int_equal(take(letter("ivan@romashka.ru", evil, "x'); DELETE FROM people; --"), &t),
			 INBOUND_OPENED);
	assert_string_equal(query_text("SELECT title FROM tickets WHERE id = ?1", t), evil);
	assert_int_equal(query_int("SELECT count(*) FROM people WHERE ?1", 1), 3);
	assert_string_equal(query_text("SELECT subject FROM mail_in WHERE uid = ?1", 1), evil);
}

/*
 * Whatever its size, a letter is taken: a long one keeps its beginning
 * (the engineers' notices must hold it), a long subject is cut in the
 * answers, and neither leaves the intake retrying for ever.
 */
static void test_inbound__a_huge_letter_or_subject_is_cut_not_refused_for_ever(void **state)
{
	(void)state;
	size_t n = 300u << 10;
	char *text = xmalloc(n + 1), *subject = xmalloc(4001);
	for (size_t i = 0; i < n; i += 2)
		memcpy(text + i, "ж", 2);
	text[n] = '\0';
	for (size_t i = 0; i < 4000; i += 2)
		memcpy(subject + i, "щ", 2);
	subject[4000] = '\0';
	int64_t t;
	assert_int_equal(take(letter("ivan@romashka.ru", "Длинное письмо", text), &t), INBOUND_OPENED);
	int64_t bytes = query_int("SELECT length(CAST(body AS BLOB)) FROM ticket_events WHERE ticket_id = ?1", t);
	assert_true(bytes > 30000 && bytes < 40000);
	assert_contains(query_text("SELECT substr(body, -60) FROM ticket_events WHERE ticket_id = ?1", t), "300");
	struct inletter *l = letter("ivan@romashka.ru", subject, "коротко");
	free(l->from_name);
	l->from_name = xstrdup("Иван\r\nBcc: all@example.com");
	assert_int_equal(take(l, &t), INBOUND_OPENED);
	/* A name with a line break still gets its answers, the break gone. */
	assert_int_equal(query_int("SELECT count(*) FROM letters WHERE ticket_id = ?1", t), 1);
	assert_string_equal(query_text("SELECT name FROM letter_rcpts r JOIN letters l ON l.id = r.letter_id"
				       " WHERE l.ticket_id = ?1", t), "Иван  Bcc: all@example.com");
	assert_int_equal(take(letter("stranger@example.com", subject, text), &t), INBOUND_UNKNOWN);
	assert_int_equal(letters_like("unknown:%"), 1);
	assert_true(strlen(letter_field("subject", "unknown:%")) < 400);
	free(text);
	free(subject);
}

/* ---- no loops, no abuse ---- */

static void test_inbound__a_stranger_gets_one_polite_answer_a_day_and_no_ticket(void **state)
{
	(void)state;
	int64_t t;
	assert_int_equal(take(letter("someone@example.com", "Помогите", "Касса сломалась"), &t), INBOUND_UNKNOWN);
	assert_int_equal(t, 0);
	assert_int_equal(take(letter("someone@example.com", "Ну помогите", "Ау"), &t), INBOUND_UNKNOWN);
	assert_int_equal(tickets(), 0);
	assert_int_equal(letters_like("unknown:someone@example.com:%"), 1);
	assert_contains(letter_field("text", "unknown:%"), "someone@example.com");
	assert_string_equal(letter_field("subject", "unknown:%"), "Re: Помогите");
	clock_set(clock_now() + 86400);
	assert_int_equal(take(letter("someone@example.com", "Снова", "Ау"), &t), INBOUND_UNKNOWN);
	assert_int_equal(letters_like("unknown:someone@example.com:%"), 2);
	assert_string_equal(outcomes(), "unknown unknown unknown");
}

static void test_inbound__robots_and_our_own_address_get_nothing(void **state)
{
	(void)state;
	struct inletter *l = letter("ivan@romashka.ru", "Автоответ: Принтер", "Я в отпуске");
	l->automatic = true;
	assert_int_equal(take(l, NULL), INBOUND_LOOP);
	l = letter("ivan@romashka.ru", "Undelivered Mail", "550 no such user");
	l->bounce = true;
	assert_int_equal(take(l, NULL), INBOUND_LOOP);
	assert_int_equal(take(letter("desk@tilldesk.example", "Re: [№1]", "x"), NULL), INBOUND_LOOP);
	assert_int_equal(take(letter("INBOX@tilldesk.example", "x", "x"), NULL), INBOUND_LOOP);
	assert_int_equal(take(letter("mailer-daemon@romashka.ru", "x", "x"), NULL), INBOUND_LOOP);
	assert_int_equal(take(letter("noreply@bank.example", "Выписка", "x"), NULL), INBOUND_LOOP);
	assert_int_equal(take(letter("postmaster@romashka.ru", "x", "x"), NULL), INBOUND_LOOP);
	assert_int_equal(take(letter("", "x", "x"), NULL), INBOUND_LOOP);
	/* Bytes that were no message, their fields left empty by the parser: recorded, nothing more. */
	struct inletter nothing = { 0 };
	assert_int_equal(take(&nothing, NULL), INBOUND_INVALID);
	assert_int_equal(tickets(), 0);
	assert_int_equal(letters_like("%"), 0);
	assert_int_equal(query_int("SELECT count(*) FROM mail_in WHERE outcome = 'loop' AND ?1", 1), 8);
	assert_int_equal(query_int("SELECT count(*) FROM mail_in WHERE outcome = 'invalid' AND ?1", 1), 1);
}

static void test_inbound__a_flood_from_one_address_is_capped_and_told_once_an_hour(void **state)
{
	(void)state;
	cfg.imap_per_sender_hour = 3;
	for (int i = 0; i < 3; i++)
		assert_true(take(letter("ivan@romashka.ru", "Re: [№1] Принтер", "ещё"), NULL) != INBOUND_CAPPED);
	int64_t before = tickets();
	for (int i = 0; i < 4; i++)
		assert_int_equal(take(letter("ivan@romashka.ru", "Новая беда", "ещё"), NULL), INBOUND_CAPPED);
	assert_int_equal(tickets(), before);
	assert_int_equal(letters_like("capped:ivan@romashka.ru:%"), 1);
	assert_contains(letter_field("text", "capped:%"), "3");
	/* A stranger's flood is counted, and answered once a day only. */
	for (int i = 0; i < 5; i++)
		take(letter("spam@example.com", "x", "x"), NULL);
	assert_int_equal(letters_like("capped:spam%"), 0);
	assert_int_equal(letters_like("unknown:spam%"), 1);
	/* An hour on, letters count again. */
	clock_set(clock_now() + HOUR + 1);
	assert_int_equal(take(letter("ivan@romashka.ru", "Новая беда", "ещё"), NULL), INBOUND_OPENED);
}

static void test_inbound__a_letter_too_big_is_refused_politely(void **state)
{
	(void)state;
	int64_t t;
	struct inletter *l = letter("ivan@romashka.ru", "Фото кассы", "");
	assert_int_equal(take_sized(l, (size_t)cfg.imap_max_letter + 1, &t), INBOUND_OVERSIZE);
	assert_int_equal(t, 0);
	assert_int_equal(tickets(), 0);
	assert_int_equal(letters_like("oversize:7:1"), 1);
	assert_contains(letter_field("text", "oversize:%"), "Фото кассы");
	assert_string_equal(letter_field("in_reply_to", "oversize:%"), l->message_id);
}

static void test_inbound__a_letter_taken_again_changes_nothing(void **state)
{
	(void)state;
	struct inletter *l = letter("ivan@romashka.ru", "Принтер", "Не печатает");
	struct dialog d = dialog_now();
	const struct inbound_meta m = { .uidvalidity = 7, .uid = 42, .size = 100 };
	enum inbound_outcome o;
	int64_t t;
	assert_int_equal(db_begin(desk), 0);
	assert_int_equal(inbound_take(&d, &m, l, &o, &t), 0);
	assert_int_equal(db_commit(desk), 0);
	assert_int_equal(db_begin(desk), 0);
	assert_int_equal(inbound_take(&d, &m, l, &o, &t), TD_EEXISTS);
	assert_int_equal(db_commit(desk), 0);
	assert_int_equal(tickets(), 1);
	assert_int_equal(query_int("SELECT count(*) FROM mail_in WHERE ?1", 1), 1);
	assert_int_equal(letters_like("%"), 1);
}

/* ---- replies go back by e-mail ---- */

static void test_inbound__an_engineers_reply_in_telegram_goes_back_threaded(void **state)
{
	(void)state;
	int64_t t = printer_ticket();
	char theirs[128], confirmation[256];
	snprintf(theirs, sizeof(theirs), "%s", post.l.message_id);
	snprintf(confirmation, sizeof(confirmation), "%s", letter_field("message_id", "ticket:1:%:opened"));
	engineer_does(EV_CLAIM, t, NULL, NULL);
	assert_int_equal(letters_like("ticket:1:%:claimed"), 1);
	assert_contains(letter_field("text", "ticket:1:%:claimed"), "Сергей");
	char claimed[256];
	snprintf(claimed, sizeof(claimed), "%s", letter_field("message_id", "ticket:1:%:claimed"));
	engineer_does(EV_REPLY, t, "Проверьте, что крышка закрыта <до щелчка>.", "AgADphoto");
	const char *text = letter_field("text", "ticket:1:%:reply");
	assert_contains(text, "Проверьте, что крышка закрыта <до щелчка>.");
	assert_contains(text, "📎");
	assert_string_equal(letter_field("subject", "ticket:1:%:reply"), "Re: [№1] Принтер не печатает");
	assert_string_equal(letter_field("in_reply_to", "ticket:1:%:reply"), claimed);
	char refs[1024];
	snprintf(refs, sizeof(refs), "%s %s %s", theirs, confirmation, claimed);
	assert_string_equal(letter_field("refs", "ticket:1:%:reply"), refs);
	/* Nothing of it went to a Telegram chat but the engineers'. */
	assert_int_equal(query_int("SELECT count(*) FROM outbox WHERE coalesce(chat_id, 0) != -100 AND ?1", 1), 0);
	assert_lacks(engineers_read(t), "CASHIER_UNREACHABLE");
}

/* A long thread: References holds its last ten letters, the newest last (answer.h). */
static void test_inbound__references_keep_the_last_ten_letters(void **state)
{
	(void)state;
	int64_t t = printer_ticket();
	engineer_does(EV_CLAIM, t, NULL, NULL);
	for (int i = 0; i < 15; i++) {
		char words[32];
		snprintf(words, sizeof(words), "Ответ %d", i);
		engineer_does(EV_REPLY, t, words, NULL);
	}
	const char *refs = query_text("SELECT refs FROM letters WHERE id = (SELECT max(id) FROM letters) AND ?1", 1);
	size_t ids = 1;
	for (const char *p = refs; *p; p++)
		ids += *p == ' ';
	if (ids != 10)
		fail_msg("%zu ids: %s", ids, refs);
	/* The newest is the one it replies to. */
	const char *last = strrchr(refs, ' ') + 1;
	assert_string_equal(last, query_text("SELECT in_reply_to FROM letters WHERE id = (SELECT max(id) FROM letters)"
					     " AND ?1", 1));
}

static void test_inbound__resolved_by_letter_works_confirms_and_a_digit_rates(void **state)
{
	(void)state;
	int64_t t = resolved_printer_ticket("Заменили шлейф принтера."), got;
	const char *resolved = letter_field("text", "ticket:1:%:resolved");
	assert_contains(resolved, "Заменили шлейф принтера.");
	assert_contains(resolved, "«Работает»");
	/* The links answer to the desk with the number and the word in the subject. */
	assert_contains(resolved, "mailto:desk@tilldesk.example?subject=Re%3A%20%5B%E2%84%961%5D%20%D0%A0%D0%B0%D0%B1%D0%BE%D1%82%D0%B0%D0%B5%D1%82");
	char ours[256];
	snprintf(ours, sizeof(ours), "%s", letter_field("message_id", "ticket:1:%:resolved"));
	struct inletter *l = letter("ivan@romashka.ru", "Re: [№1] Принтер не печатает", "Работает, спасибо!\n");
	replying_to(l, ours);
	assert_int_equal(take(l, &got), INBOUND_DECIDED);
	assert_int_equal(got, t);
	assert_string_equal(status(t), "closed");
	assert_int_equal(letters_like("ticket:1:%:confirmed"), 1);
	const char *rate = letter_field("text", "ticket:1:%:rate");
	assert_contains(rate, "1 до 5");
	assert_contains(rate, "mailto:desk@tilldesk.example?subject=Re%3A%20%5B%E2%84%961%5D%205&body=5");
	/* A mailto: link's letter: the digit in its subject and body. */
	assert_int_equal(take(letter("ivan@romashka.ru", "Re: [№1] 5", "5"), &got), INBOUND_DECIDED);
	assert_string_equal(history(t), "opened claimed resolved confirmed rated");
	assert_string_equal(query_text("SELECT body FROM ticket_events WHERE ticket_id = ?1 AND kind = 'rated'", t), "5");
	assert_int_equal(letters_like("ticket:1:%:rated"), 1);
	/* Rated once: another digit changes nothing, thanks open nothing. */
	assert_int_equal(take(letter("ivan@romashka.ru", "Re: [№1] 1", "1"), &got), INBOUND_DECIDED);
	assert_int_equal(take(letter("ivan@romashka.ru", "Re: [№1] Принтер не печатает", "Спасибо!"), &got),
			 INBOUND_DECIDED);
	assert_string_equal(history(t), "opened claimed resolved confirmed rated");
	assert_int_equal(tickets(), 1);
}

/*
 * A polite letter greets first: «Добрый день!» above «Работает, спасибо.»
 * confirms, and above a digit rates; the greeting decides nothing.
 */
static void test_inbound__a_greeting_above_the_answer_decides_nothing(void **state)
{
	(void)state;
	int64_t t = resolved_printer_ticket("Заменили шлейф."), got;
	assert_int_equal(take(letter("ivan@romashka.ru", "Re: [№1] Принтер не печатает",
				     "Добрый день!\n\nРаботает, спасибо.\n\nИван"), &got), INBOUND_DECIDED);
	assert_string_equal(status(t), "closed");
	assert_int_equal(take(letter("ivan@romashka.ru", "Re: [№1] Принтер не печатает", "Здравствуйте!\n5"), &got),
			 INBOUND_DECIDED);
	assert_string_equal(history(t), "opened claimed resolved confirmed rated");
	assert_int_equal(tickets(), 1);
}

static void test_inbound__a_desk_in_english_writes_english_and_takes_works(void **state)
{
	(void)state;
	assert_int_equal(msg_set_language("en"), 0);
	int64_t t = resolved_printer_ticket("Replaced the cable."), got;
	assert_string_equal(letter_field("subject", "ticket:1:%:resolved"), "Re: [#1] Принтер не печатает");
	assert_contains(letter_field("text", "ticket:1:%:resolved"), "\"Works\"");
	assert_int_equal(take(letter("ivan@romashka.ru", "Re: [#1] Works", "Yes, works now. Thanks!"), &got),
			 INBOUND_DECIDED);
	assert_string_equal(status(t), "closed");
	assert_contains(letter_field("text", "ticket:1:%:rate"), "digit from 1 to 5");
}

static void test_inbound__resolved_by_letter_other_words_reopen_it(void **state)
{
	(void)state;
	int64_t t = resolved_printer_ticket("Заменили шлейф."), got;
	assert_int_equal(take(letter("ivan@romashka.ru", "Re: [№1] Принтер не печатает",
				     "Работает только вторая касса, первая всё так же."), &got), INBOUND_JOINED);
	assert_int_equal(got, t);
	assert_string_equal(status(t), "claimed");
	assert_string_equal(history(t), "opened claimed resolved reopened message");
	assert_contains(engineers_read(t), "первая всё так же");
	assert_int_equal(letters_like("ticket:1:%:reopened"), 1);
	/* «Не работает» from a link: reopened again once resolved again. */
	engineer_does(EV_RESOLVE, t, "Ещё раз заменили.", NULL);
	assert_int_equal(take(letter("ivan@romashka.ru", "Re: [№1] Не работает", "Не работает"), &got),
			 INBOUND_JOINED);
	assert_string_equal(status(t), "claimed");
	/* «Всё так же» is no «всё работает». */
	engineer_does(EV_RESOLVE, t, "И ещё раз.", NULL);
	assert_int_equal(take(letter("ivan@romashka.ru", "Re: [№1] Принтер не печатает", "Всё так же."), &got),
			 INBOUND_JOINED);
	assert_string_equal(status(t), "claimed");
}

/*
 * «Работает» again on a ticket already confirmed (the link pressed twice,
 * or the resolution's letter answered after its link) confirms nothing
 * more and opens no ticket.
 */
static void test_inbound__works_again_on_a_confirmed_ticket_opens_nothing(void **state)
{
	(void)state;
	int64_t t = resolved_printer_ticket("Заменили шлейф."), got;
	assert_int_equal(take(letter("ivan@romashka.ru", "Re: [№1] Работает", "Работает"), &got), INBOUND_DECIDED);
	assert_string_equal(status(t), "closed");
	assert_int_equal(take(letter("ivan@romashka.ru", "Re: [№1] Работает", "Работает"), &got), INBOUND_DECIDED);
	assert_int_equal(got, t);
	assert_int_equal(take(letter("ivan@romashka.ru", "Re: [№1] Принтер не печатает", "Да, всё работает, спасибо!"),
			      &got), INBOUND_DECIDED);
	assert_int_equal(tickets(), 1);
	assert_string_equal(history(t), "opened claimed resolved confirmed");
}

static void test_inbound__a_closed_ticket_written_to_again_opens_one_that_mentions_it(void **state)
{
	(void)state;
	int64_t t = resolved_printer_ticket("Заменили шлейф."), got;
	assert_int_equal(take(letter("ivan@romashka.ru", "Re: [№1] Принтер не печатает", "Работает"), &got),
			 INBOUND_DECIDED);
	assert_int_equal(take(letter("ivan@romashka.ru", "Re: [№1] Принтер не печатает",
				     "Опять не печатает, уже третий раз."), &got), INBOUND_OPENED);
	assert_true(got != t);
	assert_contains(query_text("SELECT body FROM ticket_events WHERE ticket_id = ?1 AND kind = 'opened'", got),
			"№1");
	/* Its title is the subject without the old number: its letters carry the new one alone. */
	assert_string_equal(query_text("SELECT title FROM tickets WHERE id = ?1", got), "Принтер не печатает");
	assert_string_equal(status(t), "closed");
	/* «1С» is the till's software, not a rating of one. */
	assert_int_equal(take(letter("ivan@romashka.ru", "Re: [№1] Принтер не печатает", "1С не запускается"), &got),
			 INBOUND_OPENED);
	assert_false(db_ticket_has_event(desk, t, HISTORY_RATED));
}

/* ---- the knowledge base answers first ---- */

static void knowledge_base(void)
{
	static const char article[] =
		"---\nid: paper\ntitle: Закончилась чековая лента\ncategory: оборудование\n"
		"priority: P2\npattern: не\\s+печата\\w*\\s+чек\nexample: не печатает чек\n---\n"
		"Откройте крышку принтера и **вставьте новый рулон**.\n";
	char kbdir[512], file[600];
	struct kb_set set;
	struct kb_import_stats st;
	struct buf errors = BUF_INIT(1 << 16);
	snprintf(kbdir, sizeof(kbdir), "%s/kb", dir);
	assert_int_equal(mkdir(kbdir, 0700), 0);
	snprintf(file, sizeof(file), "%s/paper.md", kbdir);
	FILE *f = fopen(file, "w");
	assert_non_null(f);
	fputs(article, f);
	fclose(f);
	if (kb_set_load(&set, kbdir, &errors))
		fail_msg("%s", buf_cstr(&errors));
	assert_int_equal(db_begin(desk), 0);
	assert_int_equal(kb_set_import(desk, &set, clock_now(), &st), 0);
	assert_int_equal(db_commit(desk), 0);
	kb_set_release(&set);
	buf_release(&errors);
	kb = kb_new();
}

static void test_inbound__the_knowledge_base_answers_then_not_helped_opens_the_ticket(void **state)
{
	(void)state;
	knowledge_base();
	int64_t t;
	assert_int_equal(take(letter("ivan@romashka.ru", "Касса не печатает чек", "Нажимаю печать — ничего."), &t),
			 INBOUND_ANSWERED);
	assert_int_equal(t, 0);
	assert_int_equal(tickets(), 0);
	int64_t s = query_int("SELECT max(id) FROM kb_suggestions WHERE ?1", 1);
	assert_true(s > 0);
	char ref[32], subject[128];
	snprintf(ref, sizeof(ref), "kb:%lld", (long long)s);
	snprintf(subject, sizeof(subject), "[КБ-%lld] Касса не печатает чек", (long long)s);
	assert_string_equal(letter_field("subject", ref), subject);
	const char *text = letter_field("text", ref);
	assert_contains(text, "Откройте крышку принтера и вставьте новый рулон.");
	assert_contains(text, "mailto:desk@tilldesk.example?subject=Re%3A%20%5B%D0%9A%D0%91-");
	/* «Не помогло», through the link: the ticket opens from the first letter. */
	char answer[128];
	snprintf(answer, sizeof(answer), "Re: [КБ-%lld] Не помогло", (long long)s);
	assert_int_equal(take(letter("ivan@romashka.ru", answer, "Не помогло"), &t), INBOUND_OPENED);
	assert_string_equal(query_text("SELECT title FROM tickets WHERE id = ?1", t), "Касса не печатает чек");
	assert_string_equal(query_text("SELECT body FROM ticket_events WHERE ticket_id = ?1 AND kind = 'opened'", t),
			    "Нажимаю печать — ничего.");
	assert_int_equal(query_int("SELECT kb_article_id FROM tickets WHERE id = ?1", t),
			 query_int("SELECT id FROM kb_articles WHERE slug = 'paper' AND ?1", 1));
	assert_string_equal(history(t), "opened kb_not_helped");
	assert_contains(query_text("SELECT body FROM ticket_events WHERE ticket_id = ?1 AND kind = 'opened'", t),
			"Нажимаю печать — ничего.");
	assert_string_equal(query_text("SELECT outcome FROM kb_suggestions WHERE id = ?1", s), "not_helped");
	assert_int_equal(letters_like("ticket:%:opened"), 1);
	/* Decided: a second answer in that thread is a letter of its own. */
	assert_int_equal(take(letter("ivan@romashka.ru", answer, "А ещё сканер пищит"), &t), INBOUND_OPENED);
	assert_int_equal(tickets(), 2);
}

static void test_inbound__the_knowledge_base_answers_and_helped_is_recorded(void **state)
{
	(void)state;
	knowledge_base();
	int64_t t;
	struct inletter *l = letter("ivan@romashka.ru", "не печатает чек", "");
	assert_int_equal(take(l, &t), INBOUND_ANSWERED);
	char ours[256];
	snprintf(ours, sizeof(ours), "%s", letter_field("message_id", "kb:%"));
	/* A reply from the mail client: the subject theirs, the words new. */
	l = letter("ivan@romashka.ru", "Re: [КБ-1] не печатает чек", "Да, всё получилось, спасибо!\n");
	replying_to(l, ours);
	assert_int_equal(take(l, &t), INBOUND_DECIDED);
	assert_int_equal(t, 0);
	assert_int_equal(tickets(), 0);
	assert_string_equal(query_text("SELECT outcome FROM kb_suggestions WHERE id = ?1", 1), "helped");
}

/*
 * «№2» in the subject of a reply to the knowledge base's letter is the
 * till's number the cashier wrote, not a ticket: the reply answers the
 * article and opens its own ticket, leaving ticket 2 alone.
 */
static void test_inbound__a_tills_number_in_a_reply_to_the_article_names_no_ticket(void **state)
{
	(void)state;
	int64_t first = printer_ticket(), second, t;
	assert_int_equal(take(letter("ivan@romashka.ru", "Весы", "Не взвешивают."), &second), INBOUND_OPENED);
	assert_int_equal(second, 2);
	knowledge_base();
	assert_int_equal(take(letter("ivan@romashka.ru", "Касса №2 не печатает чек", "Нажимаю печать — ничего."), &t),
			 INBOUND_ANSWERED);
	char ours[256];
	snprintf(ours, sizeof(ours), "%s", letter_field("message_id", "kb:%"));
	struct inletter *l = letter("ivan@romashka.ru", "Re: [КБ-1] Касса №2 не печатает чек", "Не помогло");
	replying_to(l, ours);
	assert_int_equal(take(l, &t), INBOUND_OPENED);
	assert_int_equal(t, 3);
	assert_string_equal(query_text("SELECT outcome FROM kb_suggestions WHERE id = ?1", 1), "not_helped");
	assert_string_equal(history(second), "opened");
	assert_string_equal(history(first), "opened");
}

/*
 * The article helped: thanks in its thread, or «Помогло» once more (the
 * link pressed twice), get no second article and open no ticket.
 */
static void test_inbound__thanks_after_the_article_helped_change_nothing(void **state)
{
	(void)state;
	knowledge_base();
	int64_t t;
	assert_int_equal(take(letter("ivan@romashka.ru", "не печатает чек", ""), &t), INBOUND_ANSWERED);
	char ours[256];
	snprintf(ours, sizeof(ours), "%s", letter_field("message_id", "kb:%"));
	struct inletter *l = letter("ivan@romashka.ru", "Re: [КБ-1] Помогло", "Помогло");
	replying_to(l, ours);
	assert_int_equal(take(l, &t), INBOUND_DECIDED);
	l = letter("ivan@romashka.ru", "Re: [КБ-1] не печатает чек", "Спасибо большое!");
	replying_to(l, ours);
	assert_int_equal(take(l, &t), INBOUND_DECIDED);
	l = letter("ivan@romashka.ru", "Re: [КБ-1] Помогло", "Помогло");
	replying_to(l, ours);
	assert_int_equal(take(l, &t), INBOUND_DECIDED);
	assert_int_equal(tickets(), 0);
	assert_int_equal(letters_like("kb:%"), 1);
	assert_string_equal(query_text("SELECT outcome FROM kb_suggestions WHERE id = ?1", 1), "helped");
}

/*
 * A subject naming a suggestion of the knowledge base that does not
 * exist ("[КБ-99]": a typo, a number from another desk's letter) is a
 * new problem, never an error the intake would retry for ever.
 */
static void test_inbound__a_subject_naming_no_suggestion_is_a_new_problem(void **state)
{
	(void)state;
	int64_t t;
	assert_int_equal(take(letter("ivan@romashka.ru", "Re: [КБ-99] Принтер не печатает", "Чек не выходит."), &t),
			 INBOUND_OPENED);
	assert_string_equal(query_text("SELECT title FROM tickets WHERE id = ?1", t), "Принтер не печатает");
	assert_int_equal(take(letter("ivan@romashka.ru", "[KB-12345] Весы", "Не взвешивают."), &t), INBOUND_OPENED);
	assert_int_equal(tickets(), 2);
}

/* ---- files ---- */

static void test_inbound__files_are_kept_with_the_ticket_and_named_when_too_big(void **state)
{
	(void)state;
	static unsigned char jpeg[] = { 0xff, 0xd8, 0xff, 0xe0, 'J', 'F', 'I', 'F' };
	static unsigned char pdf[] = "%PDF-1.4 акт";
	struct inletter_file files[3] = {
		{ (char *)"ошибка.jpg", (char *)"image/jpeg", jpeg, sizeof(jpeg) },
		{ (char *)"акт.pdf", (char *)"application/pdf", pdf, sizeof(pdf) - 1 },
		{ (char *)"видео.mp4", (char *)"video/mp4", NULL, 90u << 20 },
	};
	struct inletter *l = letter("ivan@romashka.ru", "Ошибка на экране", "Вот фото.");
	/* The file names and bytes are borrowed: letter_release() frees the array alone. */
	l->files = xmalloc(sizeof(files));
	memcpy(l->files, files, sizeof(files));
	l->n_files = 3;
	int64_t t;
	assert_int_equal(take(l, &t), INBOUND_OPENED);
	assert_int_equal(query_int("SELECT count(*) FROM attachments WHERE ticket_id = ?1", t), 2);
	assert_int_equal(query_int("SELECT length(data) FROM attachments WHERE name = 'ошибка.jpg' AND ?1", 1),
			 sizeof(jpeg));
	int64_t photo = query_int("SELECT id FROM attachments WHERE mime = 'image/jpeg' AND ?1", 1);
	int64_t doc = query_int("SELECT id FROM attachments WHERE mime = 'application/pdf' AND ?1", 1);
	char ref[32];
	/* The photo follows the card; the document comes as the cashier's next message. */
	snprintf(ref, sizeof(ref), "att:%lld", (long long)photo);
	assert_int_equal(query_int("SELECT count(*) FROM outbox WHERE kind = 'photo' AND chat_id = -100"
				   " AND ref = 'att:' || ?1", photo), 1);
	assert_int_equal(query_int("SELECT count(*) FROM outbox WHERE kind = 'document' AND chat_id = -100"
				   " AND ref = 'att:' || ?1", doc), 1);
	assert_string_equal(history(t), "opened file");
	assert_string_equal(query_text("SELECT body FROM ticket_events WHERE ticket_id = ?1 AND kind = 'file'", t),
			    "📎 акт.pdf");
	const char *opened = query_text("SELECT body FROM ticket_events WHERE ticket_id = ?1 AND kind = 'opened'", t);
	assert_contains(opened, "Вот фото.");
	assert_contains(opened, "видео.mp4");
}

/* ---- a letter as a mail client writes it, parsed ---- */

/*
 * Иван answers the confirmation from his mail client: windows-1251,
 * quoted-printable, the confirmation quoted below his words. The reply
 * joins the ticket by its In-Reply-To alone; the engineers read his new
 * words, not the quoted history.
 */
static void test_inbound__a_mail_clients_reply_joins_with_its_new_words_only(void **state)
{
	(void)state;
	int64_t t = printer_ticket(), joined;
	char ours[256], raw[4096];
	snprintf(ours, sizeof(ours), "%s", letter_field("message_id", "ticket:1:%:opened"));
	/* «Лента новая, всё равно не печатает.» and the quote, in windows-1251. */
	snprintf(raw, sizeof(raw),
		 "From: =?windows-1251?B?yOLg7SDP5fLw7uI=?= <Ivan@Romashka.ru>\r\n"
		 "To: desk@tilldesk.example\r\n"
		 "Subject: =?windows-1251?B?UmU6INHr7uzg6/H/IO/w6O3y5fAgKNLl8fIp?=\r\n"
		 "Message-ID: <reply-1@mail.romashka.ru>\r\n"
		 "In-Reply-To: <%s>\r\n"
		 "MIME-Version: 1.0\r\n"
		 "Content-Type: text/plain; charset=windows-1251\r\n"
		 "Content-Transfer-Encoding: quoted-printable\r\n"
		 "\r\n"
		 "=CB=E5=ED=F2=E0 =ED=EE=E2=E0=FF, =E2=F1=B8 =F0=E0=E2=ED=EE =ED=E5 =EF=E5=F7=E0=F2=E0=E5=F2.\r\n"
		 "\r\n"
		 "> =C7=E0=FF=E2=EA=E0 =B91 =EF=F0=E8=ED=FF=F2=E0.\r\n", ours);
	struct inletter l;
	mail_mime_init();
	assert_int_equal(mail_parse(raw, strlen(raw), 1 << 20, &l), 0);
	assert_string_equal(l.from_addr, "ivan@romashka.ru");
	assert_int_equal(take(&l, &joined), INBOUND_JOINED);
	inletter_release(&l);
	mail_mime_shutdown();
	assert_int_equal(joined, t);
	assert_string_equal(query_text("SELECT body FROM ticket_events WHERE ticket_id = ?1 AND kind = 'message'", t),
			    "Лента новая, всё равно не печатает.");
	/* The thread goes on from his letter: the next answer replies to it. */
	engineer_does(EV_CLAIM, t, NULL, NULL);
	assert_string_equal(letter_field("in_reply_to", "ticket:1:%:claimed"), "reply-1@mail.romashka.ru");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_inbound__a_cashiers_letter_opens_a_ticket_and_is_answered_in_its_thread),
		T(test_inbound__a_subject_with_the_number_joins_its_ticket),
		T(test_inbound__a_reply_to_our_letter_joins_its_ticket_whatever_its_subject),
		T(test_inbound__a_stores_own_address_writes_as_its_mailbox),
		T(test_inbound__a_cashier_of_another_store_cannot_join_by_the_number),
		T(test_inbound__a_message_id_copied_by_another_sender_does_not_divert_a_reply),
		T(test_inbound__sql_in_a_subject_is_only_words),
		T(test_inbound__a_huge_letter_or_subject_is_cut_not_refused_for_ever),
		T(test_inbound__a_stranger_gets_one_polite_answer_a_day_and_no_ticket),
		T(test_inbound__robots_and_our_own_address_get_nothing),
		T(test_inbound__a_flood_from_one_address_is_capped_and_told_once_an_hour),
		T(test_inbound__a_letter_too_big_is_refused_politely),
		T(test_inbound__a_letter_taken_again_changes_nothing),
		T(test_inbound__an_engineers_reply_in_telegram_goes_back_threaded),
		T(test_inbound__references_keep_the_last_ten_letters),
		T(test_inbound__resolved_by_letter_works_confirms_and_a_digit_rates),
		T(test_inbound__resolved_by_letter_other_words_reopen_it),
		T(test_inbound__a_desk_in_english_writes_english_and_takes_works),
		T(test_inbound__a_greeting_above_the_answer_decides_nothing),
		T(test_inbound__a_closed_ticket_written_to_again_opens_one_that_mentions_it),
		T(test_inbound__works_again_on_a_confirmed_ticket_opens_nothing),
		T(test_inbound__the_knowledge_base_answers_then_not_helped_opens_the_ticket),
		T(test_inbound__the_knowledge_base_answers_and_helped_is_recorded),
		T(test_inbound__a_subject_naming_no_suggestion_is_a_new_problem),
		T(test_inbound__thanks_after_the_article_helped_change_nothing),
		T(test_inbound__a_tills_number_in_a_reply_to_the_article_names_no_ticket),
		T(test_inbound__files_are_kept_with_the_ticket_and_named_when_too_big),
		T(test_inbound__a_mail_clients_reply_joins_with_its_new_words_only),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
