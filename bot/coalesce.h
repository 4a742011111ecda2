/*
 * coalesce.h - what waits for a group's allowance, merged where it keeps
 * its meaning: a ticket's relays (the cashier's words, each
 * "💬 №N, кассир X:\n<words>") that wait one after another go as one
 * message, the header once and each piece of words under its time, in
 * order, within Telegram's 4096 characters. And notices of several
 * tickets that may join (NOTICE_JOINS: the SLA's warnings and breaches
 * in a group) go as one message, one under the other, each button
 * naming its ticket.
 *
 * Pure: rows in, the merged notice's arguments out; the sender
 * (bot/sender.c) sends them as one message and marks every merged row
 * sent with it, in one transaction after Telegram's answer.
 */
#ifndef TD_COALESCE_H
#define TD_COALESCE_H

#include "core/notice.h"

/* The most rows one merged message stands for. */
#define COALESCE_MAX 64

/* A pending row of one ticket's stream in a group, in id order. */
struct coalesce_row {
	const struct notice *n;   /* borrowed */
	const char *link_role;    /* "relay" for the cashier's words */
	int64_t created_at;       /* when the cashier wrote (it was queued) */
	int parts_sent;           /* a row half sent is not merged */
};

/*
 * Merges rows[0] and the rows after it that are text relays with the
 * same header (the same ticket and cashier) and the same flags, as many
 * as fit one message of TG_TEXT_MAX characters in lang (at most
 * COALESCE_MAX): *taken is how many, and args (reset first) the merged
 * notice's arguments in core/notice.h's stored form, a body without a
 * catalogue key. Times are HH:MM in zone (the store's; UTC when
 * unknown). Files (photo, document) are never merged: a file ends the
 * run, so it keeps its place after the words before it. *taken < 2:
 * nothing to merge, rows[0] goes as it is. TD_ENOMEM when args is full.
 */
int coalesce_relays(struct buf *args, size_t *taken, const struct coalesce_row *rows, size_t n,
		    const char *zone, enum msg_lang lang);

/*
 * Joins rows[0] and the rows after it that may join it: messages without
 * a catalogue key, flagged NOTICE_JOINS, with rows[0]'s flags and
 * reply_to, none half sent; each body under the one before it, a blank
 * line apart, and each button with its ticket's number after its label
 * («Взять №12»), three a line. As many as fit one message of TG_TEXT_MAX
 * characters and NOTICE_ACTIONS_MAX buttons (at most COALESCE_MAX rows):
 * *taken, with args and actions (reset first) in core/notice.h's stored
 * form.
 * *taken < 2: nothing to join. TD_ENOMEM when args or actions is full.
 */
int coalesce_notices(struct buf *args, struct buf *actions, size_t *taken,
		     const struct coalesce_row *rows, size_t n, enum msg_lang lang);

#endif
