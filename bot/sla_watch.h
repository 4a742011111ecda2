/*
 * sla_watch.h - a ticket's SLA timers as the dialog sees them: started,
 * recomputed, paused, met and reopened by the engine's rows (SLA effects),
 * the cashier's promise of deadlines, and the scheduler's warnings and
 * breach notices. The arithmetic is core/sla_clock.h; the rows storage/sla.h.
 */
#ifndef TD_SLA_WATCH_H
#define TD_SLA_WATCH_H

#include <stdbool.h>
#include <stdint.h>

struct buf;
struct dialog;
struct sla_timer;

/* What an event does to a ticket's SLA timers (the engine's table says which). */
enum sla_effect {
	SLA_EFFECT_NONE,
	SLA_EFFECT_START,      /* opened: both timers start */
	SLA_EFFECT_RECOMPUTE,  /* the priority changed: new budgets, same start */
	SLA_EFFECT_REACTED,    /* claimed: reaction is met */
	SLA_EFFECT_ANSWERED,   /* an engineer's reply: reaction met, the clock waits for the cashier */
	SLA_EFFECT_RESUME,     /* the cashier spoke: the clock runs again */
	SLA_EFFECT_RESOLVED,   /* resolution is met */
	SLA_EFFECT_REOPENED,   /* resolution runs again */
};
/* Applies effect to the ticket's timers; nothing without an SLA config. */
int sla_watch_apply(struct dialog *d, int64_t ticket_id, enum sla_effect effect);
/*
 * Tells of timer t's warning or breach (what: enum sla_notice): the
 * engineers, or with owners the organisation's owners.
 */
int sla_watch_tell(struct dialog *d, const struct sla_timer *t, int what, bool owners);
/*
 * Appends the cashier's promise to the notice arguments b (core/notice.h),
 * after the markup before: the ticket's running deadlines in the store's
 * local time, as a catalogue message rendered at send time. Nothing when
 * none runs.
 */
int sla_watch_promise(struct dialog *d, int64_t ticket_id, const char *before, struct buf *b);
/* Sends the warnings and breach notices due at d->now; one transaction is the caller's. */
int sla_watch_tick(struct dialog *d);

#endif
