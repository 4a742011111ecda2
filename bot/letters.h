/*
 * letters.h - letters to an organisation's owners (mail/mail.h): an SLA
 * breach, and reminders that a fiscal drive or a key's certificate ends.
 *
 * Each is queued in the caller's transaction, to the owners who want that
 * kind (storage/owners.h), one letter per language their owners read
 * (its ref the kind's ref and ":ru" or ":en"), a text part and a simple
 * HTML one with every user string escaped. A ref is queued once, ever:
 * a pass run again, or after a restart, queues nothing more.
 */
#ifndef TD_BOT_LETTERS_H
#define TD_BOT_LETTERS_H

#include <stdint.h>

struct dialog;
struct sla_timer;

/*
 * The breach of timer t of a ticket of organisation org_id (the SLA
 * scheduler's, with the owners' Telegram notice): ref
 * "breach:TICKET:KIND:LANG"; the ticket, its store and till, priority,
 * which deadline, when it was due (the store's time) and the assignee.
 */
int letters_breach(struct dialog *d, const struct sla_timer *t, int64_t org_id);

/*
 * The scheduler's expiry pass at d->now: each fiscal drive and key whose
 * date, in its store's days, is 30, 7 or 1 days ahead gets a reminder, ref
 * "expiry:UNIT:DATE:STEP:LANG". A step missed (the daemon was down that
 * day) is sent late while it is still the step in force: 7 days' from 7
 * to 2 days ahead, 30 days' from 30 to 8, 1 day's on the last day and the
 * day itself; never a step a nearer one has replaced. A date past is the
 * agent's alert.
 */
int letters_expiry_tick(struct dialog *d);

#endif
