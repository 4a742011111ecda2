/*
 * outbox.h - messages waiting to be sent, and the Telegram messages that
 * belong to tickets.
 *
 * A state change writes its outbox rows in its own transaction; the sender
 * delivers them later, in order per chat. A row is a notice (core/notice.h,
 * whose header gives the stored form of each column), rendered for its
 * channel at send time; the sender adds the chat's current id and, for
 * edits, the message to edit then, so a group that migrates or a card that
 * is sent just before its edit are handled in one place. Rows queued before
 * notices are kind NOTICE_LEGACY: Bot API parameters, sent as they are.
 */
#ifndef TD_OUTBOX_H
#define TD_OUTBOX_H

#include "core/notice.h"
#include "storage/db.h"

/*
 * Which chats' rows go first when not all can (the global rate, the calls
 * in flight): a higher lane first, then the older row. A chat's own rows
 * always go in id order, whatever their lanes.
 */
enum outbox_lane {
	OUTBOX_BULK = 0,      /* cards, card edits, relays, notices nobody waits for */
	OUTBOX_REPLY = 1,     /* a reply to a person who just wrote to the bot */
	OUTBOX_ANSWER = 2,    /* the answer to a button press: its spinner turns */
};

struct outbox_row {
	int64_t id;
	struct notice n;            /* strings borrowed; n.chat_id 0: no chat (an answer) */
	int64_t ticket_id;          /* 0: none */
	const char *link_role;      /* "" or remember the sent message as this role */
	const char *edit_role;      /* "" or edit the ticket's message of this role */
	int attempts;
	int parts_sent;             /* messages of this notice already accepted */
	enum outbox_lane lane;
	int64_t flight_after;       /* -1: none; else see db_outbox_flying() */
	int64_t message_id;         /* what Telegram answered (a sent row), 0: none */
	int64_t probe_end;          /* a probed row: the first id not to probe */
	int64_t created_at;         /* when it was queued */
	int64_t not_before;         /* not sent before this time */
};

struct outbox_new {
	struct notice n;            /* borrowed; not NOTICE_LEGACY */
	int64_t ticket_id;
	const char *link_role, *edit_role;  /* NULL for none */
	enum outbox_lane lane;
};

int db_outbox_add(struct db *db, const struct outbox_new *m, int64_t now);

/*
 * Calls fn for the first pending row of each chat (in id order), if due by
 * now, at most limit rows, higher lanes first, then by id. Rows without a
 * chat are each their own queue. Its cost follows the number of chats
 * with pending rows, not the backlog.
 */
int db_outbox_due(struct db *db, int64_t now, int limit,
		  int (*fn)(const struct outbox_row *, void *), void *arg);

/*
 * Calls fn for the first pending row of each group (chat_id < 0), if due
 * by now, at most limit rows, oldest first: the groups are paced by
 * their own allowance, and take their turn before the lanes of
 * db_outbox_due() (people's replies would otherwise take the whole
 * global rate from them).
 */
int db_outbox_due_groups(struct db *db, int64_t now, int limit,
			 int (*fn)(const struct outbox_row *, void *), void *arg);

/*
 * Calls fn, in id order, for the rows of chat_id that may go next: among
 * its first limit pending rows, the first of each stream, if due by now.
 * In a group (chat_id < 0) a ticket's rows are a stream, and the rows
 * without a ticket one more: a card, its edits and the ticket's relays
 * stay in order, other tickets' rows need not wait for them; the rows of
 * a ticket whose card waits in a list (storage/card_lists.h) wait for
 * the list. A private chat is one stream: its first row only.
 */
int db_outbox_streams(struct db *db, int64_t chat_id, int64_t now, int limit,
		      int (*fn)(const struct outbox_row *, void *), void *arg);

/*
 * Calls fn, in id order, for ticket_id's first pending rows in chat_id
 * (its stream in a group), at most limit, up to the first not due by now
 * and, in a private chat, up to the chat's first row that no ticket's
 * message link will hold (no ticket or no link_role): what may go
 * together with the stream's head (bot/coalesce.h).
 */
int db_outbox_ticket_rows(struct db *db, int64_t chat_id, int64_t ticket_id, int64_t now,
			  int limit, int (*fn)(const struct outbox_row *, void *), void *arg);

/*
 * Calls fn, in id order, for group chat_id's pending rows that may join
 * one message (NOTICE_JOINS, never tried, due by now), each at the head
 * of its ticket's stream, at most limit (bot/coalesce.h).
 */
int db_outbox_joining(struct db *db, int64_t chat_id, int64_t now, int limit,
		      int (*fn)(const struct outbox_row *, void *), void *arg);

/*
 * Calls fn for each pending row after *last (in id order), moving *last
 * past it: how a terminal channel (tilldesk chat) takes what a state
 * change queued. fn must not change the outbox.
 */
int db_outbox_after(struct db *db, int64_t *last, int (*fn)(const struct outbox_row *, void *),
		    void *arg);
/* The newest row's id (0: none). */
int db_outbox_last(struct db *db, int64_t *out);

/* Marks a row sent; records the message as the ticket's link_role message. */
int db_outbox_sent(struct db *db, int64_t id, int64_t message_id, int64_t now);
/* Leaves a row pending until not_before, counting the attempt. */
int db_outbox_retry(struct db *db, int64_t id, int64_t not_before, const char *error);
/* Gives up on a row for good. */
int db_outbox_failed(struct db *db, int64_t id, const char *error);
/*
 * Row id, the cashier's words relayed to an engineer's private chat that
 * Telegram refused, is queued again for the ticket's card's chat, as a
 * reply to the card (or to the list that showed it, storage/card_lists.h):
 * the words are not lost. Nothing for any other row.
 */
int db_outbox_relay_to_card(struct db *db, int64_t id);
/* Replaces a legacy row's payload (a mended request). */
int db_outbox_set_payload(struct db *db, int64_t id, const char *payload);
/* Adds flags to a row's notice (NOTICE_PLAIN: the markup was refused). */
int db_outbox_add_flags(struct db *db, int64_t id, unsigned flags);
/*
 * One message of a notice that goes out as several was accepted: counts
 * it and records it as the ticket's link_role message, like
 * db_outbox_sent(); the row stays pending for the next part.
 */
int db_outbox_part_sent(struct db *db, int64_t id, int64_t message_id);
/*
 * Row id's call is about to go out and may reach Telegram without its
 * answer being recorded: remembers the chat's last recorded message id
 * (db_chat_last_message()) unless an earlier try already did.
 * db_outbox_sent(), _part_sent() and _failed() forget it; _retry() keeps it.
 */
int db_outbox_flying(struct db *db, int64_t id, int64_t last_message_id);
/*
 * After row id was sent again: the ids after `after` and before end are
 * to be probed for an earlier copy (after -1: nothing left to probe).
 */
int db_outbox_probe_set(struct db *db, int64_t id, int64_t after, int64_t end);
/* Calls fn for each sent row whose earlier copy is still to be looked for. */
int db_outbox_probes(struct db *db, int (*fn)(const struct outbox_row *, void *), void *arg);
/*
 * How many of a chat's rows may be sent out of id order: the most calls
 * in flight (the config's bound on max_in_flight).
 */
#define OUTBOX_OUT_OF_ORDER 256
/* The newest message id the bot recorded in chat_id (0: none). */
int db_chat_last_message(struct db *db, int64_t chat_id, int64_t *out);
/* 0 when message_id in chat_id is a message the bot recorded; TD_ENOTFOUND if not. */
int db_chat_message_known(struct db *db, int64_t chat_id, int64_t message_id);
/* Counts rows by state, for tests and status. */
int db_outbox_count(struct db *db, const char *state, int64_t *out);
/* Whether anything waits to be sent to chat_id (*out). */
int db_outbox_chat_waits(struct db *db, int64_t chat_id, bool *out);

/* A group became a supergroup: every reference to old_id now says new_id. */
int db_chat_migrate(struct db *db, int64_t old_id, int64_t new_id);
/* Follows recorded migrations from chat_id to the chat's current id. */
int64_t db_chat_current(struct db *db, int64_t chat_id);

/* Records that message (chat_id, message_id) belongs to ticket_id in role. */
int db_link_add(struct db *db, int64_t chat_id, int64_t message_id, int64_t ticket_id,
		const char *role);
/* The ticket (and role) a chat message belongs to; TD_ENOTFOUND if none. */
int db_link_find(struct db *db, int64_t chat_id, int64_t message_id, int64_t *ticket_id,
		 char *role, size_t role_len);
/* The newest message of ticket_id in role in chat_id; TD_ENOTFOUND if none. */
int db_link_message(struct db *db, int64_t ticket_id, const char *role, int64_t chat_id,
		    int64_t *message_id);

#endif
