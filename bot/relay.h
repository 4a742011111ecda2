/*
 * relay.h - where a claimed ticket's conversation goes (telegram.relay).
 *
 * With relay = assignee the cashier's messages and files on a claimed
 * ticket go to its assignee's private chat with the bot (their Telegram
 * id), where a reply to them is the engineer's answer (engineer.c), and
 * not to the engineers' group, which Telegram lets a bot post to only
 * about 20 times a minute. The group keeps the card, edited with a count
 * of those messages at most once per telegram.card_every. An assignee who
 * has not opened that chat, or who blocks the bot, keeps the group, which
 * is told once per engineer how to open it. With relay = group (and with
 * no config) everything stays in the group.
 */
#ifndef TD_RELAY_H
#define TD_RELAY_H

#include <stdbool.h>
#include <stdint.h>

struct dialog;

/* Whether conversations follow the assignee (telegram.relay = assignee). */
bool relay_follows(const struct dialog *d);
/*
 * The chat the cashier's next message on a ticket goes to, in *out: its
 * assignee's private chat (assignee_id, 0: none), or 0 for its group
 * chat, group. When only the assignee's chat keeps it in the group, group is told
 * how to open it, once per engineer.
 */
int relay_chat(struct dialog *d, int64_t assignee_id, int64_t group, int64_t *out);
/*
 * A message of the cashier's went to the assignee: counted on the card,
 * which is edited now when card_every has passed since its last edit, and
 * otherwise when it has (relay_tick()).
 */
int relay_counted(struct dialog *d, int64_t ticket_id);
/* The scheduler's: the cards whose put-off edit is due at d->now. */
int relay_tick(struct dialog *d);

#endif
