/*
 * card_lists.h - «Новые заявки» in the outbox (bot/newlist.h): new
 * tickets' cards waiting together for a group, turned into one list.
 *
 * The first card's row becomes the list (link_role "list", the list's
 * text and buttons); the other cards, and a copy of that first card, are
 * held by it (list_row; state "sent" without a message until the list
 * goes, then its message). card_lists keeps which tickets a list shows.
 * While a list waits, its tickets' later rows wait behind it
 * (db_outbox_streams()); a list that can never go lets its cards go one
 * by one again.
 */
#ifndef TD_CARD_LISTS_H
#define TD_CARD_LISTS_H

#include "core/common.h"

struct db;

/* A new ticket's card waiting for a group. */
struct waiting_card {
	int64_t row_id, ticket_id;
};

/*
 * The new tickets' cards waiting for group chat_id that may go as a
 * list, oldest first, at most max (*n): due by now, never tried, each
 * the first waiting row of its ticket in the chat, the ticket still new.
 */
int db_list_candidates(struct db *db, int64_t chat_id, int64_t now, struct waiting_card *out,
		       size_t max, size_t *n);
/*
 * Turns cards[0]'s row into the list of cards[0..n) with body args and
 * buttons actions (core/notice.h's stored forms), holding the others and
 * a copy of the first. In the caller's transaction.
 */
int db_list_make(struct db *db, const struct waiting_card *cards, size_t n, const char *args,
		 const char *actions);
/* List row_id went as message_id: the cards it holds went with it. */
int db_list_sent(struct db *db, int64_t row_id, int64_t message_id, int64_t now);
/*
 * List row_id can never go: it is its first card again, in its place, and
 * the cards it holds wait again; each goes on its own, never in a list.
 */
int db_list_release(struct db *db, int64_t row_id);
/*
 * The newest list in chat_id showing ticket_id: its row and message
 * (*message_id 0 while it waits). TD_ENOTFOUND when none does.
 */
int db_list_of_ticket(struct db *db, int64_t ticket_id, int64_t chat_id, int64_t *row_id,
		      int64_t *message_id);
/* The list that went as message_id in chat_id: its row. TD_ENOTFOUND when it is none. */
int db_list_by_message(struct db *db, int64_t chat_id, int64_t message_id, int64_t *row_id);
/* The tickets list row_id shows, in its order, at most max (*n). */
int db_list_tickets(struct db *db, int64_t row_id, int64_t *out, size_t max, size_t *n);
/*
 * The card edits (edit_role "card") waiting in chat_id, due by now, for
 * the tickets list row_id shows: one edit of the list stands for them
 * all. Row ids in id order, at most max (*n).
 */
int db_list_edits(struct db *db, int64_t row_id, int64_t chat_id, int64_t now, int64_t *out,
		  size_t max, size_t *n);

#endif
