/*
 * sla_watch.c - a ticket's SLA timers as the dialog sees them: started when a
 * ticket opens, recomputed when its priority changes, paused while it
 * waits for the cashier, stopped by the first claim or reply (reaction)
 * and the resolution; and the scheduler's warnings and breach notices.
 */
#include "bot/sla_watch.h"
#include "bot/engine.h"
#include "bot/letters.h"
#include "core/config.h"
#include "core/log.h"
#include "storage/chain.h"
#include "storage/sla.h"
#include "storage/ticket.h"

/* The store's SLA calendar for a policy; TD_ENOTFOUND when its zone or hours do not load. */
struct calendar {
	struct tz *tz;
	struct hours hours;
	struct sla_calendar cal;
};

static int calendar_load(struct calendar *c, const struct sla_place *pl, bool always)
{
	char err[128];
	memset(c, 0, sizeof(*c));
	if (tz_load(&c->tz, pl->timezone) || hours_parse(&c->hours, pl->hours, err, sizeof(err))) {
		tz_free(c->tz);
		c->tz = NULL;
		return TD_ENOTFOUND;
	}
	c->cal = (struct sla_calendar){ c->tz, &c->hours, always };
	return 0;
}

/* SLA seconds of a budget: working days are the store's working day each. */
static int64_t budget_seconds(const struct calendar *c, int64_t v, bool days)
{
	return days ? v * sla_clock_day_seconds(&c->cal) : v;
}

/* An instant from core/sla_clock as stored: 0 for paused or never. */
static int64_t stored(int64_t t)
{
	return t == SLA_NEVER || t == SLA_PAUSED ? 0 : t;
}

/*
 * The pauses that stop the timer's clock, in *out (free it): resolution's
 * only, as reaction stops at the first reply.
 */
static int pauses_of(struct dialog *d, const struct sla_timer *t, struct sla_pause **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	return t->kind == SLA_REACTION ? 0 : db_sla_pauses(d->db, t->ticket_id, out, n);
}

/* Writes the timer's deadline and warning instant for its budget, start and pauses. */
static int recompute(struct dialog *d, const struct calendar *c, struct sla_timer *t)
{
	struct sla_pause *pauses;
	size_t n;
	int rc = pauses_of(d, t, &pauses, &n);
	if (rc)
		return rc;
	int64_t warn = t->budget * d->cfg->sla_warn_at / 100;
	t->due_at = stored(sla_clock_deadline(&c->cal, t->started_at, t->budget, pauses, n));
	t->warn_at = stored(sla_clock_deadline(&c->cal, t->started_at, warn, pauses, n));
	free(pauses);
	return db_sla_set(d->db, t);
}

/*
 * The ticket's policy for its priority and its store's calendar for it
 * (free c->tz); TD_ENOTFOUND when it has none.
 */
static int ticket_clock(struct dialog *d, const struct ticket_row *r,
			const struct sla_policy **policy, struct calendar *c)
{
	struct sla_place pl;
	int rc = db_sla_place(d->db, r->id, &pl);
	if (rc)
		return rc;
	if (!(*policy = config_sla_policy(d->cfg, pl.tier, r->priority)))
		return TD_ENOTFOUND;
	if (calendar_load(c, &pl, (*policy)->always)) {
		log_warn("sla: ticket %lld: the store's zone or hours do not load; no deadlines",
			 (long long)r->id);
		return TD_ENOTFOUND;
	}
	return 0;
}

/* (Re)computes both timers for the ticket's priority; started_at stays when they exist. */
static int apply_policy(struct dialog *d, const struct ticket_row *r)
{
	const struct sla_policy *p;
	struct calendar c;
	int rc = ticket_clock(d, r, &p, &c);
	if (rc)
		return rc == TD_ENOTFOUND ? 0 : rc;
	const struct { enum sla_kind kind; int64_t v; bool days; } budgets[] = {
		{ SLA_REACTION, p->reaction, p->reaction_days },
		{ SLA_RESOLUTION, p->resolution, p->resolution_days },
	};
	for (size_t i = 0; i < ARRAY_SIZE(budgets) && !rc; i++) {
		struct sla_timer t;
		if (!budgets[i].v)
			continue;  /* the policy sets no such time */
		if (db_sla_get(d->db, r->id, budgets[i].kind, &t))
			t = (struct sla_timer){ .ticket_id = r->id, .kind = budgets[i].kind,
						.started_at = r->created_at };
		t.budget = budget_seconds(&c, budgets[i].v, budgets[i].days);
		rc = recompute(d, &c, &t);
	}
	tz_free(c.tz);
	return rc;
}

/* Recomputes the ticket's timers for its current priority. */
static int reapply(struct dialog *d, int64_t ticket_id)
{
	struct ticket_row r;
	int rc = dialog_ticket_load(d, ticket_id, &r);
	if (rc)
		return rc == TD_ENOTFOUND ? 0 : rc;
	return apply_policy(d, &r);
}

/*
 * Stops a running timer at d->now with the SLA seconds it used. A deadline
 * that passed while no scheduler pass looked (the daemon was down) is
 * noticed first: meeting it late is still a breach.
 */
static int meet(struct dialog *d, int64_t ticket_id, enum sla_kind kind)
{
	struct sla_pause *pauses = NULL;
	struct sla_timer t;
	struct ticket_row r;
	const struct sla_policy *p;
	struct calendar c;
	size_t n;
	int rc = sla_watch_tick(d);
	if (!rc)
		rc = db_sla_get(d->db, ticket_id, kind, &t);
	if (rc || t.met_at)
		return rc == TD_ENOTFOUND ? 0 : rc;
	memset(&c, 0, sizeof(c));
	if ((rc = dialog_ticket_load(d, ticket_id, &r)) || (rc = pauses_of(d, &t, &pauses, &n)))
		return rc;
	/* A policy gone from the config, or a zone that no longer loads: count round the clock. */
	rc = ticket_clock(d, &r, &p, &c);
	if (!rc || rc == TD_ENOTFOUND) {
		const struct sla_calendar always = { NULL, NULL, true };
		rc = db_sla_met(d->db, ticket_id, kind, d->now,
				sla_clock_used(rc ? &always : &c.cal, t.started_at, d->now, pauses, n));
	}
	free(pauses);
	tz_free(c.tz);
	return rc;
}

int sla_watch_apply(struct dialog *d, int64_t ticket_id, enum sla_effect effect)
{
	bool changed = false;
	int rc;
	if (!d->cfg)
		return 0;
	switch (effect) {
	case SLA_EFFECT_NONE:
		return 0;
	case SLA_EFFECT_START:
	case SLA_EFFECT_RECOMPUTE:
		return reapply(d, ticket_id);
	case SLA_EFFECT_REACTED:
		return meet(d, ticket_id, SLA_REACTION);
	/* Deadlines move only when a pause starts or ends, not on every message. */
	case SLA_EFFECT_ANSWERED:
		/* An engineer answered: reaction is met, and the ticket waits for the cashier. */
		if ((rc = meet(d, ticket_id, SLA_REACTION)) ||
		    (rc = db_sla_pause(d->db, ticket_id, d->now, &changed)))
			return rc;
		return changed ? reapply(d, ticket_id) : 0;
	case SLA_EFFECT_RESUME:
		if ((rc = db_sla_resume(d->db, ticket_id, d->now, &changed)))
			return rc;
		return changed ? reapply(d, ticket_id) : 0;
	case SLA_EFFECT_RESOLVED:
		return meet(d, ticket_id, SLA_RESOLUTION);
	case SLA_EFFECT_REOPENED:
		return db_sla_met(d->db, ticket_id, SLA_RESOLUTION, 0, 0);
	}
	return 0;
}

int sla_watch_promise(struct dialog *d, int64_t ticket_id, const char *before, struct buf *b)
{
	char at[2][32];
	bool running[2];
	struct sla_place pl;
	int rc = db_sla_place(d->db, ticket_id, &pl);
	if (rc)
		return rc == TD_ENOTFOUND ? 0 : rc;
	for (int k = SLA_REACTION; k <= SLA_RESOLUTION; k++) {
		struct sla_timer t;
		rc = db_sla_get(d->db, ticket_id, (enum sla_kind)k, &t);
		if (rc && rc != TD_ENOTFOUND)
			return rc;
		running[k] = !rc && !t.met_at && t.due_at;
		if (running[k])
			reply_local_time(at[k], sizeof(at[k]), t.due_at, pl.timezone);
	}
	if (running[SLA_REACTION] || running[SLA_RESOLUTION])
		notice_arg_markup(b, before);
	if (running[SLA_REACTION] && running[SLA_RESOLUTION])
		notice_arg_msg(b, MSG_BOT_PROMISE_BOTH, at[SLA_REACTION], at[SLA_RESOLUTION]);
	else if (running[SLA_REACTION])
		notice_arg_msg(b, MSG_BOT_PROMISE_REACTION, at[SLA_REACTION]);
	else if (running[SLA_RESOLUTION])
		notice_arg_msg(b, MSG_BOT_PROMISE_RESOLUTION, at[SLA_RESOLUTION]);
	return 0;
}

/* ---- the scheduler's notices ---- */

struct notice_row {
	struct buf *b;
	struct sla_timer t;
	enum sla_notice what;
	bool owners;
};

static int render(const struct ticket_row *r, void *arg)
{
	struct notice_row *n = arg;
	char due[32];
	reply_local_time(due, sizeof(due), n->t.due_at, r->timezone);
	bool reaction = n->t.kind == SLA_REACTION;
	if (n->owners) {
		notice_arg_msg(n->b, reaction ? MSG_SLA_OWNER_REACTION : MSG_SLA_OWNER_RESOLUTION,
			       (long long)r->id, due, r->timezone);
		notice_arg_text(n->b, r->org);
		notice_arg_markup(n->b, " · ");
		notice_arg_text(n->b, r->store);
		return 0;
	}
	enum msg_id id = n->what == SLA_WARNING
		? (reaction ? MSG_SLA_WARN_REACTION : MSG_SLA_WARN_RESOLUTION)
		: (reaction ? MSG_SLA_BREACH_REACTION : MSG_SLA_BREACH_RESOLUTION);
	notice_arg_msg(n->b, id, (long long)r->id, r->priority, due, r->timezone);
	notice_arg_text(n->b, r->title);
	return 0;
}

int sla_watch_tell(struct dialog *d, const struct sla_timer *t, int what, bool owners)
{
	struct buf b = BUF_INIT(16384);
	struct notice_row n = { .b = &b, .t = *t, .what = (enum sla_notice)what, .owners = owners };
	struct sla_place pl;
	int rc;

	if ((rc = db_ticket_get(d->db, t->ticket_id, render, &n)))
		goto done;
	if (owners) {
		/* In Telegram to the owners registered there, and a letter to the owners' addresses. */
		if (!(rc = db_sla_place(d->db, t->ticket_id, &pl)) && !(rc = reply_owners(d, pl.org_id, &b)))
			rc = letters_breach(d, t, pl.org_id);
		goto done;
	}
	/* The reaction warning announces the ticket again: it can be claimed from there. */
	struct notice_actions *claim = NULL;
	if (what == SLA_WARNING && t->kind == SLA_REACTION) {
		char data[32];
		button_data(data, sizeof(data), VERB_CLAIM, t->ticket_id, 0);
		claim = reply_keyboard_row(1, (const char *[]){ msg(MSG_BTN_CLAIM) }, (const char *[]){ data });
	}
	/* A flood of them in a busy group goes as a few messages (bot/coalesce.h). */
	rc = reply_join_parts(d, dialog_ticket_chat(d, t->ticket_id), &b, claim, t->ticket_id);
done:
	buf_release(&b);
	return rc;
}

static int status_of(const struct ticket_row *r, void *arg)
{
	*(enum ticket_status *)arg = r->status;
	return 0;
}

static int notice(const struct sla_timer *t, enum sla_notice what, void *arg)
{
	struct dialog *d = arg;
	const struct actor system = { .kind = ACTOR_SYSTEM };
	const struct event_args a = { .timer = t };
	enum ticket_status status;
	int rc;

	if ((rc = db_ticket_get(d->db, t->ticket_id, status_of, &status)) ||
	    (rc = db_sla_noticed(d->db, t->ticket_id, t->kind, what, d->now)))
		return rc;
	/* A reaction warning is for a ticket nobody has taken; the others always go. */
	if (what == SLA_WARNING && t->kind == SLA_REACTION && status != TICKET_NEW)
		return 0;
	rc = engine_apply(d, what == SLA_WARNING ? EV_SLA_WARNING : EV_ESCALATE, &system,
			  t->ticket_id, &a);
	if (!rc)
		log_info("sla: ticket %lld: %s %s", (long long)t->ticket_id, sla_kind_name(t->kind),
			 what == SLA_WARNING ? "warning" : "breach");
	return rc;
}

int sla_watch_tick(struct dialog *d)
{
	return db_sla_due(d->db, d->now, notice, d);
}
