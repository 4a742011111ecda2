/* Unit tests: the outbox's lanes and the bookkeeping of calls in flight. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <unistd.h>

#include "scratch.h"
#include "bot/dialog.h"
#include "bot/newlist.h"
#include "bot/reply.h"
#include "bot/render_tg.h"
#include "core/html.h"
#include "storage/card_lists.h"
#include "storage/chain.h"
#include "storage/db.h"
#include "storage/outbox.h"
#include "storage/ticket.h"

static char dir[] = "/tmp/tilldesk-outbox-XXXXXX";
static struct db *db;

/* Each test has a database of its own. */
static int setup(void **state)
{
	char path[256], err[256];
	(void)state;
	if (scratch_make(dir, sizeof(dir), "outbox"))
		return -1;
	snprintf(path, sizeof(path), "%s/outbox.db", dir);
	return db_open(&db, path, err, sizeof(err));
}

static int teardown(void **state)
{
	(void)state;
	db_close(db);
	return scratch_remove(dir);
}

/* Queues m; its row's id. */
static int64_t add_new(const struct outbox_new *m)
{
	int64_t id;
	assert_int_equal(db_outbox_add(db, m, 100), 0);
	assert_int_equal(db_outbox_last(db, &id), 0);
	return id;
}

/* A row of ticket t (0: none) for chat in lane, a card when link_role is "card". */
static int64_t add_row(int64_t chat, int64_t t, enum outbox_lane lane, const char *link_role)
{
	return add_new(&(struct outbox_new){
		.n = { .kind = chat ? NOTICE_SAY : NOTICE_ANSWER, .chat_id = chat },
		.ticket_id = t, .lane = lane, .link_role = link_role });
}

static int64_t add(int64_t chat, enum outbox_lane lane, const char *link_role)
{
	return add_row(chat, 0, lane, link_role);
}

static int64_t add_for(int64_t chat, int64_t t, const char *link_role)
{
	return add_row(chat, t, OUTBOX_BULK, link_role);
}

/* n tickets of one store, their ids in out. */
static void tickets(int64_t *out, int n)
{
	int64_t org, store;
	const struct ticket_new t = { .source = "cli", .title = "Не печатает чек", .priority = 3 };
	assert_int_equal(db_org_add(db, &org, "Ромашка", "standard", NULL), 0);
	assert_int_equal(db_store_add(db, &store, org, "Магазин", "", "Europe/Moscow", "24/7"), 0);
	for (int i = 0; i < n; i++) {
		struct ticket_new ti = t;
		ti.store_id = store;
		assert_int_equal(db_ticket_open(db, &out[i], &ti, 100), 0);
	}
}

struct seen {
	struct outbox_row v[16];
	int n;
};

static int see(const struct outbox_row *r, void *arg)
{
	struct seen *s = arg;
	if (s->n < 16) {
		s->v[s->n] = *r;
		s->v[s->n].n.args = NULL;   /* borrowed strings die with the step */
		s->n++;
	}
	return 0;
}

/*
 * A press's answer first, then the reply to the person who just wrote,
 * then cards and the rest, each lane oldest first; a chat's own rows keep
 * their order whatever their lanes.
 */
static void test_outbox__due_gives_answers_then_replies_then_the_rest(void **state)
{
	(void)state;
	int64_t card1 = add(-5, OUTBOX_BULK, "card");
	add(-5, OUTBOX_BULK, "card");
	int64_t notice7 = add(7, OUTBOX_BULK, NULL);
	add(7, OUTBOX_REPLY, NULL);          /* behind the notice of its own chat */
	int64_t reply8 = add(8, OUTBOX_REPLY, NULL);
	int64_t card9 = add(-9, OUTBOX_BULK, "card");
	int64_t answer = add(0, OUTBOX_ANSWER, NULL);

	struct seen s = { .n = 0 };
	assert_int_equal(db_outbox_due(db, 100, 16, see, &s), 0);
	assert_int_equal(s.n, 5);
	const int64_t want[] = { answer, reply8, card1, notice7, card9 };
	for (int i = 0; i < 5; i++)
		assert_int_equal(s.v[i].id, want[i]);
	assert_int_equal(s.v[0].lane, OUTBOX_ANSWER);
	assert_int_equal(s.v[1].lane, OUTBOX_REPLY);
	assert_int_equal(s.v[2].lane, OUTBOX_BULK);

	/* With room for two, the answer and the reply go before the older cards. */
	s.n = 0;
	assert_int_equal(db_outbox_due(db, 100, 2, see, &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.v[0].id, answer);
	assert_int_equal(s.v[1].id, reply8);
}

/* Thousands of cards waiting in a few chats do not push a later answer out of the batch. */
static void test_outbox__an_answer_is_due_first_behind_thousands_of_cards(void **state)
{
	(void)state;
	assert_int_equal(db_begin(db), 0);
	for (int i = 0; i < 3000; i++)
		add(-100 - i % 100, OUTBOX_BULK, "card");
	assert_int_equal(db_commit(db), 0);
	int64_t answer = add(0, OUTBOX_ANSWER, NULL);
	struct seen s = { .n = 0 };
	assert_int_equal(db_outbox_due(db, 100, 16, see, &s), 0);
	assert_int_equal(s.n, 16);
	assert_int_equal(s.v[0].id, answer);
	/* The rest are the chats' heads, oldest first: rows 1..15. */
	for (int i = 1; i < 16; i++)
		assert_int_equal(s.v[i].id, i);
}

/*
 * A card's call in flight remembers the chat's last recorded message, and
 * keeps the first try's bound through retries; an answer forgets it.
 */
static void test_outbox__a_card_in_flight_keeps_its_first_bound_until_answered(void **state)
{
	(void)state;
	int64_t last;
	int64_t earlier = add(-5, OUTBOX_BULK, NULL);
	int64_t card = add(-5, OUTBOX_BULK, "card");
	assert_int_equal(db_chat_last_message(db, -5, &last), 0);
	assert_int_equal(last, 0);
	assert_int_equal(db_outbox_sent(db, earlier, 43, 100), 0);
	assert_int_equal(db_chat_last_message(db, -5, &last), 0);
	assert_int_equal(last, 43);

	assert_int_equal(db_outbox_flying(db, card, 43), 0);
	assert_int_equal(db_outbox_retry(db, card, 0, "network error"), 0);
	assert_int_equal(db_outbox_flying(db, card, 44), 0);   /* a second try */
	struct seen s = { .n = 0 };
	assert_int_equal(db_outbox_due(db, 100, 16, see, &s), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.v[0].id, card);
	assert_int_equal(s.v[0].flight_after, 43);

	/* Sent again: the ids from 44 to 46 are to be probed; none is while none is set. */
	assert_int_equal(db_outbox_sent(db, card, 47, 100), 0);
	s.n = 0;
	assert_int_equal(db_outbox_probes(db, see, &s), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(db_outbox_probe_set(db, card, 43, 47), 0);
	assert_int_equal(db_outbox_probes(db, see, &s), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.v[0].flight_after, 43);
	assert_int_equal(s.v[0].probe_end, 47);
	assert_int_equal(s.v[0].message_id, 47);
	/* Probed to the end (or found): nothing is left to look for. */
	assert_int_equal(db_outbox_probe_set(db, card, -1, 47), 0);
	s.n = 0;
	assert_int_equal(db_outbox_probes(db, see, &s), 0);
	assert_int_equal(s.n, 0);
}

/* A row's first part or a failure forgets the mark; other rows never get one. */
static void test_outbox__a_definite_answer_clears_the_mark(void **state)
{
	(void)state;
	int64_t a = add(-5, OUTBOX_BULK, "card"), b = add(-6, OUTBOX_BULK, "card");
	int64_t c = add(7, OUTBOX_REPLY, NULL);
	assert_int_equal(db_outbox_flying(db, a, 3), 0);
	assert_int_equal(db_outbox_flying(db, b, 3), 0);
	assert_int_equal(db_outbox_part_sent(db, a, 4), 0);
	assert_int_equal(db_outbox_failed(db, b, "chat not found"), 0);
	struct seen s = { .n = 0 };
	assert_int_equal(db_outbox_due(db, 100, 16, see, &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.v[0].id, c);
	assert_int_equal(s.v[0].flight_after, -1);
	assert_int_equal(s.v[1].id, a);
	assert_int_equal(s.v[1].flight_after, -1);
}

static void assert_ids(const struct seen *s, const int64_t *want, int n)
{
	assert_int_equal(s->n, n);
	for (int i = 0; i < n; i++)
		assert_int_equal(s->v[i].id, want[i]);
}

/*
 * In a group, each ticket's rows are a stream and the rows without a
 * ticket one more: the first pending row of each may go, the rest wait
 * behind it; a row waiting for a retry holds back its own stream only.
 */
static void test_outbox__a_group_gives_the_first_row_of_each_ticket(void **state)
{
	(void)state;
	int64_t t[3];
	tickets(t, 3);
	int64_t card1 = add_for(-5, t[0], "card"), card2 = add_for(-5, t[1], "card");
	int64_t relay1 = add_for(-5, t[0], "relay");   /* behind its card */
	int64_t notice = add_for(-5, 0, NULL);
	add_for(-5, t[1], "relay");
	int64_t relay3 = add_for(-5, t[2], "relay");
	add_for(-5, 0, NULL);                       /* behind the other notice */
	add_for(-6, t[0], "relay");                 /* another group */

	struct seen s = { .n = 0 };
	assert_int_equal(db_outbox_streams(db, -5, 100, 16, see, &s), 0);
	assert_ids(&s, (const int64_t[]){ card1, card2, notice, relay3 }, 4);

	/* Only the chat's first rows are looked at: here the first three. */
	s.n = 0;
	assert_int_equal(db_outbox_streams(db, -5, 100, 3, see, &s), 0);
	assert_ids(&s, (const int64_t[]){ card1, card2 }, 2);

	/* Ticket 2's card waits for a retry: its relay waits too, the others go. */
	assert_int_equal(db_outbox_retry(db, card2, 160, "network error"), 0);
	s.n = 0;
	assert_int_equal(db_outbox_streams(db, -5, 100, 16, see, &s), 0);
	assert_ids(&s, (const int64_t[]){ card1, notice, relay3 }, 3);

	/* Sent, a card lets its ticket's next row go. */
	assert_int_equal(db_outbox_sent(db, card1, 40, 100), 0);
	s.n = 0;
	assert_int_equal(db_outbox_streams(db, -5, 100, 16, see, &s), 0);
	assert_ids(&s, (const int64_t[]){ relay1, notice, relay3 }, 3);
}

/* A private chat is one queue: its first row only, whatever the tickets. */
static void test_outbox__a_private_chat_gives_only_its_first_row(void **state)
{
	(void)state;
	int64_t t[2];
	tickets(t, 2);
	int64_t first = add_for(7, t[0], "relay");
	add_for(7, t[1], "relay");
	add_for(7, 0, NULL);
	struct seen s = { .n = 0 };
	assert_int_equal(db_outbox_streams(db, 7, 100, 16, see, &s), 0);
	assert_ids(&s, (const int64_t[]){ first }, 1);
	/* Not due yet: nothing of the chat goes. */
	assert_int_equal(db_outbox_retry(db, first, 160, "network error"), 0);
	s.n = 0;
	assert_int_equal(db_outbox_streams(db, 7, 100, 16, see, &s), 0);
	assert_int_equal(s.n, 0);
}

/*
 * A group's rows go out of id order, so its last recorded message is the
 * newest among its recent sent rows; a probe skips the bot's recorded
 * messages.
 */
static void test_outbox__a_groups_last_message_is_the_newest_of_its_recent_rows(void **state)
{
	(void)state;
	int64_t a = add_for(-5, 0, NULL), b = add_for(-5, 0, NULL), last;
	assert_int_equal(db_outbox_sent(db, b, 41, 100), 0);
	assert_int_equal(db_outbox_sent(db, a, 42, 100), 0);   /* the older row, sent later */
	assert_int_equal(db_chat_last_message(db, -5, &last), 0);
	assert_int_equal(last, 42);
	assert_int_equal(db_chat_message_known(db, -5, 41), 0);
	assert_int_equal(db_chat_message_known(db, -5, 43), TD_ENOTFOUND);
	assert_int_equal(db_chat_message_known(db, -6, 41), TD_ENOTFOUND);
}

/*
 * While an update from a private chat is handled, what goes back to that
 * chat is a reply; an answer to a press is an answer; the rest (the card
 * for the group, a notice to someone else) waits behind them.
 */
static void test_outbox__the_dialog_puts_each_notice_in_its_lane(void **state)
{
	(void)state;
	struct dialog d = { .db = db, .now = 100, .writer = 5001 };
	struct tg_update press = { .callback_id = "77" };
	assert_int_equal(reply_say(&d, -1001, "<b>card</b>", NULL, 0, 0, NULL), 0);
	assert_int_equal(reply_say(&d, 5002, "someone else", NULL, 0, 0, NULL), 0);
	assert_int_equal(reply_say(&d, 5001, "your ticket", NULL, 0, 0, NULL), 0);
	assert_int_equal(reply_answer(&d, &press, NULL, false), 0);
	d.writer = 0;   /* the scheduler, an agent: nobody is waiting */
	assert_int_equal(reply_say(&d, 5003, "reminder", NULL, 0, 0, NULL), 0);

	struct seen s = { .n = 0 };
	assert_int_equal(db_outbox_due(db, 100, 16, see, &s), 0);
	assert_int_equal(s.n, 5);
	const int64_t chats[] = { 0, 5001, -1001, 5002, 5003 };
	const enum outbox_lane lanes[] = { OUTBOX_ANSWER, OUTBOX_REPLY, OUTBOX_BULK, OUTBOX_BULK,
					   OUTBOX_BULK };
	for (int i = 0; i < 5; i++) {
		assert_int_equal(s.v[i].n.chat_id, chats[i]);
		assert_int_equal(s.v[i].lane, lanes[i]);
	}
}

/*
 * The groups' heads, oldest first, whatever the lanes: each group is held
 * to its own allowance by the sender, and takes its turn before people's
 * replies. A ticket's relays come back in order, up to the first not due.
 */
static void test_outbox__groups_heads_and_a_tickets_run_of_rows(void **state)
{
	(void)state;
	int64_t t[2];
	tickets(t, 2);
	add(7, OUTBOX_REPLY, NULL);
	int64_t g9 = add_for(-9, t[0], "card");
	add_for(-9, t[0], "relay");
	int64_t g5 = add_for(-5, 0, NULL);
	add(0, OUTBOX_ANSWER, NULL);
	struct seen s = { .n = 0 };
	assert_int_equal(db_outbox_due_groups(db, 100, 16, see, &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.v[0].id, g9);
	assert_int_equal(s.v[1].id, g5);

	int64_t r1 = add_for(-5, t[1], "relay"), r2 = add_for(-5, t[1], "relay");
	int64_t later = add_for(-5, t[1], "relay");
	add_for(-5, t[1], "relay");
	assert_int_equal(db_outbox_retry(db, later, 500, "429"), 0);
	s.n = 0;
	assert_int_equal(db_outbox_ticket_rows(db, -5, t[1], 100, 16, see, &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.v[0].id, r1);
	assert_int_equal(s.v[1].id, r2);
	assert_int_equal(s.v[0].created_at, 100);
}

static int64_t add_edit(int64_t chat, int64_t t)
{
	return add_new(&(struct outbox_new){ .n = { .kind = NOTICE_EDIT, .chat_id = chat },
					     .ticket_id = t, .lane = OUTBOX_BULK, .edit_role = "card" });
}

/*
 * New tickets' cards waiting for a group, each its ticket's first row,
 * become one list: the first card's row is the list, the others are held
 * by it (with a copy of the first), the listed tickets' later rows wait
 * behind it, and go when it went; a list that never can lets the cards go
 * one by one again.
 */
static void test_outbox__waiting_cards_become_one_list_their_tickets_rows_wait_behind_it(void **state)
{
	(void)state;
	int64_t t[6], card[6];
	tickets(t, 6);
	int64_t relay5 = add_for(-5, t[5], "relay");   /* a ticket whose first row is not its card */
	for (int i = 0; i < 6; i++)
		card[i] = add_for(-5, t[i], "card");
	int64_t edit1 = add_edit(-5, t[1]);
	int64_t other = add_for(-5, 0, NULL);

	struct waiting_card w[8];
	size_t n;
	assert_int_equal(db_list_candidates(db, -5, 100, w, 8, &n), 0);
	assert_int_equal(n, 5);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(w[i].row_id, card[i]);
		assert_int_equal(w[i].ticket_id, t[i]);
	}
	assert_int_equal(db_list_make(db, w, 5, "t4:list,", ""), 0);
	int64_t held;
	assert_int_equal(db_outbox_count(db, "sent", &held), 0);
	assert_int_equal(held, 5);   /* four cards and the first's copy */
	assert_int_equal(db_list_candidates(db, -5, 100, w, 8, &n), 0);
	assert_int_equal(n, 0);

	/* The list heads its stream; the listed tickets' edit waits; the rest go on. */
	struct seen s = { .n = 0 };
	assert_int_equal(db_outbox_streams(db, -5, 100, 16, see, &s), 0);
	int64_t heads[3] = { 0 };
	for (int i = 0; i < s.n && i < 3; i++)
		heads[i] = s.v[i].id;
	assert_int_equal(s.n, 3);
	assert_int_equal(heads[0], relay5);
	assert_int_equal(heads[1], card[0]);
	assert_int_equal(heads[2], other);

	int64_t row, message;
	assert_int_equal(db_list_of_ticket(db, t[3], -5, &row, &message), 0);
	assert_int_equal(row, card[0]);
	assert_int_equal(message, 0);
	assert_int_equal(db_outbox_sent(db, card[0], 42, 100), 0);
	assert_int_equal(db_list_sent(db, card[0], 42, 100), 0);
	assert_int_equal(db_list_of_ticket(db, t[3], -5, &row, &message), 0);
	assert_int_equal(message, 42);
	assert_int_equal(db_list_by_message(db, -5, 42, &row), 0);
	assert_int_equal(row, card[0]);
	assert_int_equal(db_list_of_ticket(db, t[5], -5, &row, &message), TD_ENOTFOUND);
	int64_t listed[8], edits[8];
	assert_int_equal(db_list_tickets(db, card[0], listed, 8, &n), 0);
	assert_int_equal(n, 5);
	assert_int_equal(listed[4], t[4]);
	assert_int_equal(db_list_edits(db, card[0], -5, 100, edits, 8, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(edits[0], edit1);
	s.n = 0;
	assert_int_equal(db_outbox_streams(db, -5, 100, 16, see, &s), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.v[1].id, edit1);
}

/* A row of ticket t for chat that may join others (an SLA warning). */
static int64_t add_joining(int64_t chat, int64_t t)
{
	return add_new(&(struct outbox_new){
		.n = { .kind = NOTICE_SAY, .chat_id = chat, .args = "t1:w,", .flags = NOTICE_JOINS },
		.ticket_id = t, .lane = OUTBOX_BULK });
}

/*
 * The rows that may join one message: a group's, flagged, never tried,
 * due, each the head of its ticket's stream (behind no earlier row of
 * its ticket, nor a list waiting with its card).
 */
static void test_outbox__notices_that_may_join_are_the_heads_of_their_streams(void **state)
{
	(void)state;
	int64_t t[8];
	tickets(t, 8);
	int64_t w0 = add_joining(-5, t[0]);
	int64_t relay1 = add_for(-5, t[1], "relay");
	int64_t w1 = add_joining(-5, t[1]);          /* behind its ticket's relay */
	int64_t w2 = add_joining(-5, t[2]);
	int64_t plain3 = add_for(-5, t[3], NULL);    /* the same ticket's notice, not flagged */
	int64_t w3 = add_joining(-5, t[3]);          /* behind it */
	int64_t w5 = add_joining(-6, t[5]);          /* another group */
	int64_t w6 = add_joining(-5, t[6]);
	assert_int_equal(db_outbox_retry(db, w6, 160, "429"), 0);   /* tried once: goes alone */
	int64_t card4 = add_for(-5, t[4], "card"), card5 = add_for(-5, t[5], "card");
	int64_t card7 = add_for(-5, t[7], "card");
	int64_t w4 = add_joining(-5, t[4]);          /* behind its card */
	int64_t w7 = add_joining(-5, t[7]);

	struct seen s = { .n = 0 };
	assert_int_equal(db_outbox_joining(db, -5, 100, 16, see, &s), 0);
	assert_ids(&s, (const int64_t[]){ w0, w2 }, 2);
	s.n = 0;
	assert_int_equal(db_outbox_joining(db, -5, 100, 1, see, &s), 0);
	assert_ids(&s, (const int64_t[]){ w0 }, 1);
	s.n = 0;
	assert_int_equal(db_outbox_joining(db, -6, 100, 16, see, &s), 0);
	assert_ids(&s, (const int64_t[]){ w5 }, 1);

	/* The rows before them gone, tickets 1, 3 and 4's warnings may join. */
	assert_int_equal(db_outbox_sent(db, relay1, 41, 100), 0);
	assert_int_equal(db_outbox_sent(db, plain3, 42, 100), 0);
	assert_int_equal(db_outbox_sent(db, card4, 43, 100), 0);
	s.n = 0;
	assert_int_equal(db_outbox_joining(db, -5, 100, 16, see, &s), 0);
	assert_ids(&s, (const int64_t[]){ w0, w1, w2, w3, w4 }, 5);

	/* Ticket 7's card went into a list with ticket 5's: its warning waits for the list. */
	struct waiting_card w[8];
	size_t n;
	assert_int_equal(db_list_candidates(db, -5, 100, w, 8, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(db_list_make(db, w, n, "t4:list,", ""), 0);
	s.n = 0;
	assert_int_equal(db_outbox_joining(db, -5, 100, 16, see, &s), 0);
	assert_ids(&s, (const int64_t[]){ w0, w1, w2, w3, w4 }, 5);
	assert_int_equal(db_outbox_sent(db, card5, 44, 100), 0);
	assert_int_equal(db_list_sent(db, card5, 44, 100), 0);
	s.n = 0;
	assert_int_equal(db_outbox_joining(db, -5, 100, 16, see, &s), 0);
	assert_ids(&s, (const int64_t[]){ w0, w1, w2, w3, w4, w7 }, 6);
	(void)card7;
}

static void test_outbox__a_list_that_never_can_go_lets_its_cards_go_one_by_one(void **state)
{
	(void)state;
	int64_t t[4], card[4];
	tickets(t, 4);
	for (int i = 0; i < 4; i++)
		card[i] = add_for(-5, t[i], "card");
	struct waiting_card w[4];
	size_t n;
	assert_int_equal(db_list_candidates(db, -5, 100, w, 4, &n), 0);
	assert_int_equal(db_list_make(db, w, n, "t4:list,", ""), 0);
	assert_int_equal(db_outbox_failed(db, card[0], "Bad Request"), 0);
	assert_int_equal(db_list_release(db, card[0]), 0);
	/* The first card in its place again, the three others after it, never to be listed again. */
	assert_int_equal(db_list_candidates(db, -5, 100, w, 4, &n), 0);
	assert_int_equal(n, 0);
	struct seen s = { .n = 0 };
	assert_int_equal(db_outbox_streams(db, -5, 100, 16, see, &s), 0);
	assert_int_equal(s.n, 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(s.v[i].id, card[i]);
	int64_t rows;
	assert_int_equal(db_outbox_count(db, "pending", &rows), 0);
	assert_int_equal(rows, 4);   /* the copy it was restored from is gone */
	int64_t row, message;
	assert_int_equal(db_list_of_ticket(db, t[1], -5, &row, &message), TD_ENOTFOUND);
}

/*
 * A list shows each ticket once, in order, a claim button each, within
 * its budget: long titles are cut, and what does not fit is left for the
 * next list, never lost.
 */
static void test_outbox__a_list_renders_within_its_budget_a_button_each(void **state)
{
	(void)state;
	char title[600];
	int64_t org, store, t[NEWLIST_MAX];
	memset(title, 'x', 500);
	memcpy(title, "Не печатает чек ", strlen("Не печатает чек "));
	title[500] = '\0';
	assert_int_equal(db_org_add(db, &org, "Ромашка", "standard", NULL), 0);
	assert_int_equal(db_store_add(db, &store, org, "Ромашка на Ленина", "", "Europe/Moscow", "24/7"), 0);
	for (int i = 0; i < NEWLIST_MAX; i++) {
		const struct ticket_new tn = { .source = "cli", .title = title, .priority = 2,
					       .store_id = store };
		assert_int_equal(db_ticket_open(db, &t[i], &tn, 100), 0);
	}
	struct buf args = BUF_INIT(1u << 20), actions = BUF_INIT(1u << 20), html = BUF_INIT(1u << 20);
	struct notice_actions keys;
	size_t fit;
	assert_int_equal(newlist_render(db, t, NEWLIST_MAX, NEWLIST_BUDGET, LANG_RU, &args, &actions,
					&fit), 0);
	assert_true(fit >= NEWLIST_MIN && fit < NEWLIST_MAX);
	struct notice n = { .kind = NOTICE_SAY, .args = buf_cstr(&args) };
	assert_int_equal(notice_text(&html, &n, LANG_RU, NOTICE_TEXT_HTML), 0);
	assert_true(html_text_length(buf_cstr(&html)) <= NEWLIST_BUDGET);
	assert_non_null(strstr(buf_cstr(&html), "Новые заявки: "));
	assert_int_equal(notice_actions_load(&keys, buf_cstr(&actions)), 0);
	assert_int_equal(keys.n, fit);
	char want[32];
	snprintf(want, sizeof(want), "Взять №%lld", (long long)t[fit - 1]);
	assert_string_equal(notice_action_label(&keys.v[fit - 1], LANG_RU), want);
	assert_int_equal(keys.v[3].row, 1);   /* three to a row */

	/* Telegram's whole 4096 (an edit's room) takes them all. */
	assert_int_equal(newlist_render(db, t, NEWLIST_MAX, TG_TEXT_MAX, LANG_RU, &args, &actions,
					&fit), 0);
	assert_int_equal(fit, NEWLIST_MAX);

	/* A reply quoting the list: by number, by the words of a line, else nothing. */
	int64_t which = 0;
	char quote[64];
	snprintf(quote, sizeof(quote), "№%lld · P2", (long long)t[4]);
	assert_int_equal(newlist_quoted(db, t, 6, quote, &which), 0);
	assert_int_equal(which, t[4]);
	assert_int_equal(newlist_quoted(db, t, 6, "Не печатает чек", &which), TD_ENOTFOUND);  /* all six */
	assert_int_equal(newlist_quoted(db, t, 1, "Не печатает чек", &which), 0);
	assert_int_equal(which, t[0]);
	assert_int_equal(newlist_quoted(db, t, 6, "здравствуйте", &which), TD_ENOTFOUND);
	assert_int_equal(newlist_quoted(db, t, 6, NULL, &which), TD_ENOTFOUND);
	buf_release(&args);
	buf_release(&actions);
	buf_release(&html);
}

/*
 * A reply quoting a ticket's line reaches that ticket's cashier even when
 * the line's words carry the number of another listed ticket: cashiers
 * number their tills («Касса №1»), chains their stores («Магазин №1»).
 * Only a line's own beginning («№N ·») names a ticket.
 */
static void test_outbox__a_quote_of_a_line_naming_a_till_number_reaches_that_line_s_ticket(void **state)
{
	(void)state;
	int64_t org, store, numbered, t[3], which = 0;
	char title[64], quote[96];
	assert_int_equal(db_org_add(db, &org, "Ромашка", "standard", NULL), 0);
	assert_int_equal(db_store_add(db, &store, org, "Ромашка на Ленина", "", "Europe/Moscow", "24/7"), 0);
	for (int i = 0; i < 2; i++) {
		const struct ticket_new tn = { .source = "cli", .title = "Не печатает чек", .priority = 3,
					       .store_id = store };
		assert_int_equal(db_ticket_open(db, &t[i], &tn, 100), 0);
	}
	snprintf(title, sizeof(title), "Касса №%lld зависла", (long long)t[0]);
	snprintf(quote, sizeof(quote), "Магазин №%lld", (long long)t[0]);
	assert_int_equal(db_store_add(db, &numbered, org, quote, "", "Europe/Moscow", "24/7"), 0);
	const struct ticket_new tn = { .source = "cli", .title = title, .priority = 3,
				       .store_id = numbered };
	assert_int_equal(db_ticket_open(db, &t[2], &tn, 100), 0);

	/* The title's line, as the engineer selects it. */
	assert_int_equal(newlist_quoted(db, t, 3, title, &which), 0);
	assert_int_equal(which, t[2]);
	/* The head of its line: its number, priority and store. */
	snprintf(quote, sizeof(quote), "№%lld · P3 · Магазин №%lld", (long long)t[2], (long long)t[0]);
	which = 0;
	assert_int_equal(newlist_quoted(db, t, 3, quote, &which), 0);
	assert_int_equal(which, t[2]);
}

/*
 * A list Telegram refuses for good lets its cards go one by one, the
 * first ticket's card before that ticket's later rows (its cashier wrote
 * again while the card waited): the list's row is that card again, in
 * its place, not a newer copy behind the words that follow it.
 */
static void test_outbox__a_list_let_go_gives_its_first_ticket_its_card_before_that_ticket_s_later_rows(void **state)
{
	(void)state;
	int64_t t[4], card[4];
	tickets(t, 4);
	for (int i = 0; i < 4; i++)
		card[i] = add_for(-5, t[i], "card");
	/* The first ticket's cashier writes again before the cards could go. */
	int64_t relay0 = add_for(-5, t[0], "relay");
	struct waiting_card w[4];
	size_t n;
	assert_int_equal(db_list_candidates(db, -5, 100, w, 4, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(db_list_make(db, w, n, "t4:list,", ""), 0);
	/* give_up(): the list is refused for good, its cards released. */
	assert_int_equal(db_outbox_failed(db, card[0], "Bad Request"), 0);
	assert_int_equal(db_list_release(db, card[0]), 0);

	struct seen s = { .n = 0 };
	assert_int_equal(db_outbox_streams(db, -5, 100, 16, see, &s), 0);
	int64_t head0 = 0;
	for (int i = 0; i < s.n; i++)
		if (s.v[i].ticket_id == t[0])
			head0 = s.v[i].id;
	assert_int_not_equal(head0, 0);
	assert_int_not_equal(head0, relay0);   /* its card first, then the words after it */
}

/*
 * A list made within NEWLIST_BUDGET still shows every one of its tickets
 * when they are all claimed, within Telegram's 4096: each line may grow
 * by " · ✋ " and a name cut at 40 bytes plus "…", 46 characters, 1104
 * for 24 lines.
 */
static void test_outbox__a_full_list_all_claimed_still_shows_every_ticket(void **state)
{
	(void)state;
	char title[128];
	int64_t org, store, engineer, t[NEWLIST_MAX];
	/* Lines of 106 + 14 characters: 24 of them fill the budget to 2994 (no reaction due shown). */
	memset(title, 'x', 106);
	title[106] = '\0';
	assert_int_equal(db_org_add(db, &org, "Ромашка", "standard", NULL), 0);
	assert_int_equal(db_store_add(db, &store, org, "S", "", "Europe/Moscow", "24/7"), 0);
	assert_int_equal(db_person_add(db, &engineer, "Alexander Konstantinovich Preobrazhensky-Volkov",
				       "engineer", 0, 0, 6001, NULL), 0);
	for (int i = 0; i < NEWLIST_MAX; i++) {
		const struct ticket_new tn = { .source = "cli", .title = title, .priority = 3,
					       .store_id = store };
		assert_int_equal(db_ticket_open(db, &t[i], &tn, 100), 0);
	}
	struct buf args = BUF_INIT(1u << 20), actions = BUF_INIT(1u << 20);
	size_t made, edited;
	assert_int_equal(newlist_render(db, t, NEWLIST_MAX, NEWLIST_BUDGET, LANG_RU, &args, &actions,
					&made), 0);
	assert_true(made >= NEWLIST_MIN);
	/* All taken, by one engineer with a long name: the list's edit (sender.c list_edit()). */
	for (size_t i = 0; i < made; i++)
		assert_int_equal(db_ticket_event(db, t[i], 200, engineer, HISTORY_CLAIMED, TICKET_CLAIMED, 3,
						 engineer, NULL), 0);
	assert_int_equal(newlist_render(db, t, made, TG_TEXT_MAX, LANG_RU, &args, &actions, &edited), 0);
	assert_int_equal(edited, made);
	buf_release(&args);
	buf_release(&actions);
}

/*
 * In a private chat a ticket's relays merged into one message go before
 * other tickets' rows, but never past a row no message link holds: the
 * chat's last recorded message (where a probe starts) stays its newest.
 * A group's run has no such bound (the rows without a ticket are a stream
 * of their own).
 */
static void test_outbox__a_private_chats_run_stops_at_a_row_no_link_holds(void **state)
{
	(void)state;
	int64_t t[2], last;
	tickets(t, 2);
	int64_t r1 = add_for(7, t[0], "relay"), other = add_for(7, t[1], "relay");
	int64_t r2 = add_for(7, t[0], "relay"), unlinked = add_for(7, 0, NULL);
	add_for(7, t[0], "relay");
	struct seen s = { .n = 0 };
	assert_int_equal(db_outbox_ticket_rows(db, 7, t[0], 100, 16, see, &s), 0);
	assert_ids(&s, (const int64_t[]){ r1, r2 }, 2);
	/* The sender sends the run as message 41, then the rows it passed in turn. */
	for (int i = 0; i < s.n; i++)
		assert_int_equal(db_outbox_sent(db, s.v[i].id, 41, 100), 0);
	assert_int_equal(db_outbox_sent(db, other, 42, 100), 0);
	assert_int_equal(db_outbox_sent(db, unlinked, 43, 100), 0);
	assert_int_equal(db_chat_last_message(db, 7, &last), 0);
	assert_int_equal(last, 43);

	int64_t g1 = add_for(-5, t[0], "relay");
	add_for(-5, 0, NULL);
	int64_t g2 = add_for(-5, t[0], "relay");
	s.n = 0;
	assert_int_equal(db_outbox_ticket_rows(db, -5, t[0], 100, 16, see, &s), 0);
	assert_ids(&s, (const int64_t[]){ g1, g2 }, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_outbox__due_gives_answers_then_replies_then_the_rest,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox__an_answer_is_due_first_behind_thousands_of_cards,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox__a_card_in_flight_keeps_its_first_bound_until_answered,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox__a_definite_answer_clears_the_mark,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox__the_dialog_puts_each_notice_in_its_lane,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox__a_group_gives_the_first_row_of_each_ticket,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox__a_private_chat_gives_only_its_first_row,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox__a_groups_last_message_is_the_newest_of_its_recent_rows,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox__groups_heads_and_a_tickets_run_of_rows,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox__waiting_cards_become_one_list_their_tickets_rows_wait_behind_it,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox__notices_that_may_join_are_the_heads_of_their_streams,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox__a_list_that_never_can_go_lets_its_cards_go_one_by_one,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox__a_list_renders_within_its_budget_a_button_each,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox__a_quote_of_a_line_naming_a_till_number_reaches_that_line_s_ticket,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox__a_list_let_go_gives_its_first_ticket_its_card_before_that_ticket_s_later_rows,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox__a_full_list_all_claimed_still_shows_every_ticket,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox__a_private_chats_run_stops_at_a_row_no_link_holds,
						setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
