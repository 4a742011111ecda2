/*
 * sla.h - a ticket's SLA timers and pauses.
 *
 * Each ticket has up to two timers, reaction and resolution: a budget of
 * SLA seconds started at some instant, with the deadline and the warning
 * instant computed by the caller (core/sla.h over the store's hours) and
 * stored here. warned_at, breached_at and met_at are set once each, in
 * the transaction that sends the notice, so a notice is never repeated
 * and never skipped across restarts. A pause is an interval while the
 * ticket waits for the cashier.
 */
#ifndef TD_STORAGE_SLA_H
#define TD_STORAGE_SLA_H

#include "core/sla_clock.h"
#include "storage/db.h"

enum sla_kind { SLA_REACTION, SLA_RESOLUTION };
const char *sla_kind_name(enum sla_kind k);

struct sla_timer {
	int64_t ticket_id;
	enum sla_kind kind;
	int64_t budget;        /* SLA seconds */
	int64_t started_at;
	int64_t due_at;        /* 0: unknown (paused, or never) */
	int64_t warn_at;       /* 0: unknown */
	int64_t warned_at, breached_at, met_at;  /* 0: not yet */
	int64_t used;          /* SLA seconds used when met; 0 while running */
};

/*
 * Writes the timer's budget, start, deadline and warning instant (0 for
 * unknown), creating it if needed; warned_at, breached_at and met_at are
 * kept.
 */
int db_sla_set(struct db *db, const struct sla_timer *t);
/* TD_ENOTFOUND when the ticket has no such timer. */
int db_sla_get(struct db *db, int64_t ticket_id, enum sla_kind kind, struct sla_timer *out);
/*
 * Sets met_at and the SLA seconds used by then, unless already met; at = 0
 * clears both (the timer runs again).
 */
int db_sla_met(struct db *db, int64_t ticket_id, enum sla_kind kind, int64_t at, int64_t used);

/*
 * Starts a pause at now unless one is open; ends the open one at now.
 * *changed tells whether a pause started (ended).
 */
int db_sla_pause(struct db *db, int64_t ticket_id, int64_t now, bool *changed);
int db_sla_resume(struct db *db, int64_t ticket_id, int64_t now, bool *changed);
/* The ticket's pauses, oldest first (to = 0: still open), all n of them in *out (free it). */
int db_sla_pauses(struct db *db, int64_t ticket_id, struct sla_pause **out, size_t *n);

/* What is due at now: a warning not yet sent, or a breach not yet recorded. */
enum sla_notice { SLA_WARNING, SLA_BREACH };
/* Calls fn for each due notice of a running timer, oldest deadline first. */
int db_sla_due(struct db *db, int64_t now,
	       int (*fn)(const struct sla_timer *, enum sla_notice, void *), void *arg);
/* Records that the notice was sent (at now). */
int db_sla_noticed(struct db *db, int64_t ticket_id, enum sla_kind kind, enum sla_notice what,
		   int64_t now);

/* What computing a ticket's deadlines needs: its store's zone and hours, its org's tier. */
struct sla_place {
	char timezone[64], hours[512], tier[33];
	int64_t org_id;
};
int db_sla_place(struct db *db, int64_t ticket_id, struct sla_place *out);

/* One ticket as the SLA report counts it. */
struct sla_report_row {
	int64_t ticket_id, created_at;
	const char *org, *store, *timezone;
	const char *engineer;         /* its assignee, "" for none */
	int priority;
	bool has[2];                  /* by enum sla_kind: it has such a timer */
	struct sla_timer timer[2];
	int breaches;                 /* sla_breach rows in its history */
};
/* Tickets opened in [from, to) of the org (0: any), oldest first. */
int db_sla_report(struct db *db, int64_t from, int64_t to, int64_t org_id,
		  int (*fn)(const struct sla_report_row *, void *), void *arg);

#endif
