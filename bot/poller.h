/*
 * poller.h - long polling Telegram for updates.
 *
 * Each update is handled in one transaction together with the new offset,
 * so a crash at any instant neither loses nor repeats an update; one that
 * keeps failing is set aside (bot/intake.h) so the others go on.
 */
#ifndef TD_POLLER_H
#define TD_POLLER_H

#include "bot/sender.h"
#include "core/config.h"

/*
 * Polls until *stop is set, handing each update to the dialog and kicking
 * the sender after each commit. Returns 0, or TD_ERR when it cannot start
 * (the database cannot be opened, the token is refused).
 */
int poller_run(const struct config *cfg, struct sender *sender, const volatile int *stop);

/*
 * When the loop last went round (clock_mono_ms(), 0 before the first):
 * before and after each getUpdates. The daemon's watchdog reads it from
 * another thread.
 */
int64_t poller_last_turn_ms(void);

#endif
