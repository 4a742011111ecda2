/*
 * sender.h - the thread that drains the outbox to Telegram.
 *
 * Rows go out in id order per chat, paced under Telegram's flood limits
 * (per chat, per group, overall). A 429 stops every call to Telegram, the
 * poller's too, for retry_after (see struct tg_pause); network errors
 * and 5xx back off with jitter; 403 and unmendable 400s fail the row for
 * good; a migrated group is followed. A row is marked sent only after
 * Telegram accepted it: a crash in between sends it again on restart (the
 * one duplicate the Bot API cannot rule out).
 */
#ifndef TD_SENDER_H
#define TD_SENDER_H

#include <pthread.h>

#include "bot/telegram.h"
#include "core/config.h"

struct sender;

/* Starts the thread; it opens its own database connection and API client. */
int sender_start(struct sender **out, const struct config *cfg, const volatile int *stop);
/* Wakes the thread: new rows were committed. */
void sender_kick(struct sender *s);
/*
 * The pause after a 429, for the poller's client to share (tg_share_pause):
 * borrowed, valid until sender_join().
 */
struct tg_pause *sender_pause(struct sender *s);
/* Waits for the thread to end (after *stop was set) and frees it. */
void sender_join(struct sender *s);

#endif
