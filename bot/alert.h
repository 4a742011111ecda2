/*
 * alert.h - the till agents' events become alerts, and alerts tickets.
 *
 * One alert per (till, check code) at a time. A fault (WARNING or
 * CRITICAL) opens it, and through the ticket engine a ticket whose card
 * carries the knowledge-base article for the code; repeats only count;
 * WARNING to CRITICAL raises the priority once; OK held for [alerts]
 * recover_after (and recover_passes) recovers it, closing an unclaimed
 * ticket; a check that flaps gets one notice. Tills not heard for
 * offline_after are offline; a store whose every till is gets one store
 * alert over theirs. Many tills with one code at once make a storm: one
 * message, one ticket. Silenced alerts notify no one until their silence
 * ends.
 *
 * Everything runs in the caller's transaction: the ingest's batch (an
 * event and its notices are committed together, so a crash cannot lose or
 * double a notice) or the scheduler's tick.
 */
#ifndef TD_ALERT_H
#define TD_ALERT_H

#include "bot/dialog.h"
#include "storage/events.h"

/*
 * The batch of till_id just stored: events[i] for which fresh[i] (not a
 * repeat of an event already stored). d->cfg is required.
 */
int alert_observe(struct dialog *d, int64_t till_id, const struct agent_event *events,
		  const bool *fresh, size_t n);

/* What time alone decides: recoveries held long enough, card edits, offline tills, silences over. */
int alert_tick(struct dialog *d);

/* The card's lines about the ticket's alert or storm (none for other tickets): alert_card.c. */
int alert_card(struct dialog *d, int64_t ticket_id, const char *zone, struct buf *parts);

/*
 * The equipment unit a check code is about (kind and model as the
 * equipment registry has them: "fn", "key" RSA/ГОСТ) and its name on a
 * card; *kind NULL: none.
 */
void alert_unit(const char *code, const char **kind, const char **model, const char **label);

#endif
