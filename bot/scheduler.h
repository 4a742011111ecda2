/*
 * scheduler.h - the daemon's one-second tick.
 */
#ifndef TD_SCHEDULER_H
#define TD_SCHEDULER_H

#include "bot/sender.h"
#include "core/config.h"

/*
 * Every second until *stop is set, in one transaction, sends the SLA
 * warnings and breach notices that are due (bot/sla_watch.c), once a
 * minute opens the planned tickets that are due (bot/forecast.c), and
 * kicks the sender when the tick changed anything. 0, or TD_ERR when the
 * database cannot be opened.
 */
int scheduler_run(const struct config *cfg, struct sender *sender, const volatile int *stop);

/*
 * When the scheduler last committed a tick (clock_mono_ms(), 0 before the
 * first). The daemon's watchdog reads it from another thread.
 */
int64_t scheduler_last_tick_ms(void);

#endif
