/*
 * forecast.h - planned tickets for equipment reaching its end of life.
 *
 * A fiscal drive's last day and a key's certificate expiry are known
 * (the equipment registry, kept current by the till agents' facts): some
 * days ahead ([alerts] forecast_days) each such date opens one planned P3
 * ticket through the ticket engine, with the knowledge base's article on
 * the replacement, and the organisation's owners are told. Once per unit
 * and date (storage/forecast.h), whatever restarts or repeats happen.
 */
#ifndef TD_FORECAST_H
#define TD_FORECAST_H

#include <stdint.h>

struct dialog;

/*
 * The scheduler's pass at d->now: each unit whose date, in its store's
 * days, is from today to forecast_days ahead and has no forecast yet gets
 * its planned ticket (EV_FORECAST_OPEN) and the record of it, in the
 * caller's transaction. A date already past is left to the agent's
 * alerts. Nothing without a config, or with forecast_days 0.
 */
int forecast_tick(struct dialog *d);

/* Tells the owners of the ticket's organisation of its planned work (the engine's notice). */
int forecast_tell_owners(struct dialog *d, int64_t ticket_id);

#endif
