/*
 * relays.h - what the engineers' card keeps of a claimed ticket's
 * conversation when it follows the assignee into their private chat
 * (telegram.relay = assignee, bot/relay.h): how many of the cashier's
 * messages went there and when the last did, when the card was last
 * edited, and the edit put off until card_every has passed. In the
 * caller's transaction.
 */
#ifndef TD_RELAYS_H
#define TD_RELAYS_H

#include "storage/db.h"

struct ticket_relay {
	int64_t relayed;    /* the cashier's messages relayed to the assignee since the claim */
	int64_t last_at;    /* the last of them, 0: none */
	int64_t card_at;    /* the card's last edit, 0: none recorded */
	int64_t card_due;   /* an edit put off until then, 0: none */
};

/* The ticket's relay state; all zeros when it has none. */
int db_relay_get(struct db *db, int64_t ticket_id, struct ticket_relay *out);
/* One more of the cashier's messages went to the assignee at now. */
int db_relay_count(struct db *db, int64_t ticket_id, int64_t now);
/* The ticket went back to the queue: the count starts again. */
int db_relay_reset(struct db *db, int64_t ticket_id);
/*
 * The ticket's relays still waiting, unsent, for the private chat from:
 * to the chat to instead, as replies to reply_to (its card). Its whole
 * card still waiting for that chat (bot/card.c card_to_assignee()) is
 * given up: it was for the assignee.
 */
int db_relay_move(struct db *db, int64_t ticket_id, int64_t from, int64_t to, int64_t reply_to);
/* The card was edited at now: nothing is put off any more. */
int db_relay_card_edited(struct db *db, int64_t ticket_id, int64_t now);
/* The card's edit is put off until due (an earlier one stays). */
int db_relay_card_defer(struct db *db, int64_t ticket_id, int64_t due);
/* A ticket whose card's put-off edit is due, and since when. */
struct relay_due {
	int64_t ticket_id, due;
};
/*
 * Up to max tickets whose put-off edit is due at now, soonest first, into
 * v; *n of them. Those after *after (a page's last; zeros: from the first).
 */
int db_relay_cards_due(struct db *db, int64_t now, const struct relay_due *after,
		       struct relay_due *v, size_t max, size_t *n);

#endif
