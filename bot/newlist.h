/*
 * newlist.h - «Новые заявки»: when more than a few new tickets' cards
 * wait for a group's allowance (20 messages a minute), the sender posts
 * them as one message listing them, a «Взять №N» button each, instead of
 * a card each (storage/card_lists.h keeps which tickets a list shows).
 *
 * A list shows each ticket's current state: rendered from the database
 * when it goes, and again whenever one of its tickets' cards would have
 * been edited (claimed, closed...), as an edit of the list; a ticket no
 * longer new loses its button and shows who has it.
 */
#ifndef TD_NEWLIST_H
#define TD_NEWLIST_H

#include "core/buf.h"
#include "core/msg.h"

struct db;

/* Cards waiting together go as a list from this many on; fewer go one by one. */
#define NEWLIST_MIN 4
/* The most tickets one list shows: a button each, three to a row. */
#define NEWLIST_MAX 24
/*
 * The characters a new list may take: each line is bounded (a cut
 * title, store and name), so the edits that show who took a ticket
 * never push it past Telegram's 4096. A line grows by at most
 * " · ✋ " and a name of 40 bytes and "…" (46): 24 × 46 = 1104 of room.
 */
#define NEWLIST_BUDGET 2990

/*
 * Renders the list of tickets[0..n) (ids, in order) as a notice body
 * without a catalogue key (args, in core/notice.h's stored form) and its
 * buttons (actions, stored form, in lang): a head with the count, then
 * a line each: number, priority, store, the title cut, and its state,
 * the reaction deadline (in the store's zone) with a «Взять №N» button
 * while it is new, who has it, or that it is done. Tickets are taken in
 * order while the text stays within budget characters (a ticket that is
 * gone is shown as such); *fit is how many. args and actions are reset
 * first.
 */
int newlist_render(struct db *db, const int64_t *tickets, size_t n, size_t budget,
		   enum msg_lang lang, struct buf *args, struct buf *actions, size_t *fit);

/*
 * Which of the list's tickets an engineer's reply quoting part of the
 * list means: the number (№N, #N) in the quote, else the one ticket
 * whose title or store holds the quoted words. TD_ENOTFOUND when the
 * quote names none, or more than one, of tickets[0..n).
 */
int newlist_quoted(struct db *db, const int64_t *tickets, size_t n, const char *quote,
		   int64_t *out);

#endif
