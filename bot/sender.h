/*
 * sender.h - the thread that drains the outbox to Telegram.
 *
 * Rows go out in id order per chat, paced under Telegram's flood limits
 * (per chat, per group, overall), with up to telegram.max_in_flight calls
 * in flight at once and one per chat; chats' heads in lane order (answers
 * to presses, replies to who just wrote, the rest: storage/outbox.h). A
 * 429 stops every call to Telegram, the poller's too, for retry_after (see
 * struct tg_pause): none starts, those in flight finish and are recorded;
 * network errors and 5xx back off with jitter; 403 and unmendable 400s
 * fail the row for good; a migrated group is followed. A row is marked
 * sent only after Telegram accepted it: a crash in between sends it again
 * on restart (the duplicate the Bot API cannot rule out: at most one per
 * chat), except a card (a row with a link_role), whose earlier copy is
 * looked for and deleted (doc/ARCHITECTURE.md, "Calls in flight").
 */
#ifndef TD_SENDER_H
#define TD_SENDER_H

#include <pthread.h>

#include "core/config.h"

struct sender;
struct tg_pause;   /* bot/telegram.h */

/* Starts the thread; it opens its own database connection and API client. */
int sender_start(struct sender **out, const struct config *cfg, const volatile int *stop);
/* Wakes the thread: new rows were committed. Never blocks; any thread. */
void sender_kick(struct sender *s);
/*
 * The pause after a 429, for the poller's client to share (tg_share_pause):
 * borrowed, valid until sender_join().
 */
struct tg_pause *sender_pause(struct sender *s);
/* Waits for the thread to end (after *stop was set) and frees it. */
void sender_join(struct sender *s);

#endif
