/*
 * alert.c - agents' events into alerts, alerts into tickets; see alert.h.
 *
 * An alert is a small state machine (firing, recovering, resolved) whose
 * timers live in its row (due_at), so the scheduler's pass reads only the
 * alerts that have something due, however many fire.
 */
#include "bot/alert.h"
#include "bot/engine.h"
#include "core/config.h"
#include "core/log.h"
#include "storage/alerts.h"
#include "storage/forecast.h"
#include "storage/kb.h"
#include "storage/outbox.h"
#include "storage/silence.h"
#include "storage/ticket.h"

#define CODE_TILL_OFFLINE "till.offline"
#define CODE_STORE_OFFLINE "store.offline"
#define PASS_MAX 512       /* alerts (or tills) one tick takes on; the rest wait a second */

static int64_t min_due(int64_t a, int64_t b)
{
	return !a ? b : !b ? a : a < b ? a : b;
}

static int64_t last_flip(const struct alert *a)
{
	return a->n_flips ? a->flips[a->n_flips - 1] : 0;
}

/* ---- the ticket side ---- */

/*
 * The actor of an alert's ticket event: its till's agent for a till's own
 * ticket, the system for a store's and a storm's.
 */
static struct actor actor_of(const struct alert *a)
{
	if (a && a->till_id && !a->storm_id && strcmp(a->code, CODE_TILL_OFFLINE))
		return (struct actor){ .kind = ACTOR_AGENT, .till_id = a->till_id };
	return (struct actor){ .kind = ACTOR_SYSTEM };
}

/* engine_apply() as the alert's actor: 0, REFUSED when the table refuses it now, or an error. */
#define REFUSED 1

static int apply(struct dialog *d, enum ticket_event ev, const struct alert *a, int64_t ticket_id,
		 const struct event_args *args)
{
	struct actor who = actor_of(a);
	int rc = engine_apply(d, ev, &who, ticket_id, args);
	return rc == ENGINE_EDENIED || rc == ENGINE_ESTALE ? REFUSED : rc;
}

/* The same where a refusal (the ticket moved on) changes nothing for the alert. */
static int apply_quiet(struct dialog *d, enum ticket_event ev, const struct alert *a,
		       int64_t ticket_id, const struct event_args *args)
{
	int rc = apply(d, ev, a, ticket_id, args);
	return rc == REFUSED ? 0 : rc;
}

/* parts under the ticket's card in its engineers' chat. */
static int tell_engineers(struct dialog *d, int64_t ticket_id, const struct buf *parts)
{
	int64_t card = 0, chat = dialog_ticket_chat(d, ticket_id);
	if (!chat)
		return 0;
	db_link_message(d->db, ticket_id, link_role_name(LINK_CARD), chat, &card);
	return reply_say_parts(d, chat, parts, NULL, card, ticket_id, NULL);
}

static int link_alert(struct dialog *d, int64_t ticket_id, void *arg)
{
	struct alert *a = arg;
	a->ticket_id = ticket_id;
	return db_alert_save(d->db, a);
}

static int article_of(struct dialog *d, const char *code, int64_t *id)
{
	int rc = db_kb_by_code(d->db, code, id);
	if (rc == TD_ENOTFOUND)
		*id = 0;
	return rc == TD_ENOTFOUND ? 0 : rc;
}

/*
 * The unfinished ticket the alert belongs to, 0 for none: the previous
 * alert's of the same check, or — for an expiry the agent reports — the
 * planned replacement the forecasts already opened for that unit.
 */
static int ticket_to_join(struct dialog *d, const struct alert *a, int64_t *id)
{
	struct alert prev;
	struct ticket_row t;
	const char *kind, *model, *label;
	*id = 0;
	int rc = db_alert_last(d->db, a->store_id, a->till_id, a->code, &prev);
	if (!rc) {
		int64_t last = prev.storm_id ? 0 : prev.ticket_id;
		alert_release(&prev);
		/* Only one engineers still work on: a resolved one waits for nobody's confirmation. */
		if (last && !dialog_ticket_load(d, last, &t) &&
		    (t.status == TICKET_NEW || t.status == TICKET_CLAIMED)) {
			*id = last;
			return 0;
		}
	} else if (rc != TD_ENOTFOUND) {
		return rc;
	}
	alert_unit(a->code, &kind, &model, &label);
	bool expiry = !strcmp(a->code, "fn.expiring") || !strncmp(a->code, "utm.cert_", 9);
	return expiry && a->till_id ? db_forecast_ticket(d->db, a->till_id, kind, model, id) : 0;
}

/*
 * A ticket for the alert: the previous alert's of the same check while
 * that is still unfinished (the agent adds what it sees), else a new one.
 */
static int ticket_for(struct dialog *d, struct alert *a)
{
	int64_t kb, id;
	int rc = ticket_to_join(d, a, &id);
	if (rc)
		return rc;
	if (id) {
		const struct event_args args = { .body = a->message };
		/* A planned ticket is the system's: the agent of its till may add to it too. */
		rc = apply(d, EV_AGENT_UPDATE, a, id, &args);
		if (rc != REFUSED) {
			a->ticket_id = id;
			return rc ? rc : db_alert_save(d->db, a);
		}
	}
	if ((rc = article_of(d, a->code, &kb)))
		return rc;
	const struct event_args args = {
		.title = a->message, .priority = a->priority, .kb_article_id = kb,
		.store_id = a->store_id, .till_id = a->till_id, .opened = link_alert, .opened_arg = a,
	};
	return apply_quiet(d, EV_AGENT_OPEN, a, 0, &args);
}

struct storm_open {
	int64_t storm_id;
	struct alert *a;
};

static int link_storm(struct dialog *d, int64_t ticket_id, void *arg)
{
	struct storm_open *s = arg;
	int rc = db_storm_set(d->db, s->storm_id, ticket_id, d->now, 0);
	if (!rc)
		rc = link_alert(d, ticket_id, s->a);
	if (!rc)
		rc = db_storm_edited(d->db, ticket_id, d->now);  /* the card about to be posted */
	return rc;
}

/* Storm storm has begun with moved alerts, a among them: its ticket and message. */
static int storm_begin(struct dialog *d, struct alert *a, int64_t storm, int64_t moved)
{
	int64_t kb;
	int rc = article_of(d, a->code, &kb);
	if (rc)
		return rc;
	log_info("alert: storm %lld: %lld tills report %s", (long long)storm, (long long)moved, a->code);
	a->storm_id = storm;
	struct buf title = BUF_INIT(512);
	msg_buf(&title, MSG_ALERT_STORM_TITLE, a->code);
	struct storm_open s = { storm, a };
	const struct event_args args = {
		.title = buf_cstr(&title), .priority = a->priority, .kb_article_id = kb,
		.store_id = a->store_id, .till_id = a->till_id, .opened = link_storm, .opened_arg = &s,
	};
	rc = apply_quiet(d, EV_AGENT_OPEN, a, 0, &args);
	buf_release(&title);
	return rc ? rc : db_alert_log(d->db, a->id, d->now, ALERT_EV_STORM, NULL);
}

/*
 * Where a new alert's notice goes: into the open storm of its code, into a
 * new storm when storm_min tills report the code within storm_window
 * (those already reported join its list), or onto a ticket of its own.
 */
static int notify_open(struct dialog *d, struct alert *a)
{
	const struct config *cfg = d->cfg;
	int64_t storm, ticket, recent, moved;
	int64_t since = d->now - cfg->alert_storm_window;
	/* A storm whose last report is older, or whose ticket is done with, takes no more. */
	int rc = db_storm_fresh(d->db, a->code, since, &storm, &ticket);
	if (!rc) {
		a->storm_id = storm;
		a->ticket_id = ticket;
		if (!(rc = db_alert_save(d->db, a)) && !(rc = db_storm_set(d->db, storm, ticket, d->now, 0)))
			rc = db_storm_dirty(d->db, storm);
		return rc ? rc : db_alert_log(d->db, a->id, d->now, ALERT_EV_STORM, NULL);
	}
	if (rc != TD_ENOTFOUND)
		return rc;
	if ((rc = db_alerts_recent(d->db, a->code, since, &recent)))
		return rc;
	if (recent < cfg->alert_storm_min)
		return ticket_for(d, a);
	if ((rc = db_storm_insert(d->db, a->code, d->now, &storm)) ||
	    (rc = db_storm_gather(d->db, storm, a->code, since, &moved)))
		return rc;
	return storm_begin(d, a, storm, moved);
}

struct store_tell {
	struct dialog *d;
	enum msg_id id;
	const char *till, *what;
};

static int tell_cashier(int64_t chat, void *arg)
{
	struct store_tell *t = arg;
	return reply_msg(t->d, chat, t->id, t->till, t->what);
}

/*
 * The store's cashiers hear of a P1/P2 fault of their till, when its
 * organisation wants them to, and of its end when they heard of it.
 */
static int tell_store(struct dialog *d, const struct alert *a, bool fine)
{
	struct alert_place pl;
	bool told = false;
	int rc;
	if (!a->till_id || a->silence_id || a->held_by)
		return 0;
	if (fine && ((rc = db_alert_has_event(d->db, a->id, ALERT_EV_STORE_TOLD, &told)) || !told))
		return rc;
	if (!fine && a->priority > 2)
		return 0;
	rc = db_alert_place(d->db, a->till_id, a->store_id, &pl);
	if (rc || !pl.tell_store)
		return rc == TD_ENOTFOUND ? 0 : rc;
	struct store_tell t = { d, fine ? MSG_ALERT_STORE_TOLD_FINE : MSG_ALERT_STORE_TOLD, pl.till,
				a->message };
	if ((rc = db_store_cashier_chats(d->db, a->store_id, tell_cashier, &t)))
		return rc;
	return fine ? 0 : db_alert_log(d->db, a->id, d->now, ALERT_EV_STORE_TOLD, NULL);
}

/* ---- the state machine ---- */

/* A change between fault and OK: remembered for flapping, which it may start. */
static int flip(struct dialog *d, struct alert *a, bool notify)
{
	const struct config *cfg = d->cfg;
	int keep = 0;
	for (int i = 0; i < a->n_flips; i++)
		if (a->flips[i] > d->now - cfg->alert_flap_window)
			a->flips[keep++] = a->flips[i];
	if (keep == ALERT_FLIPS_MAX) {
		memmove(a->flips, a->flips + 1, (ALERT_FLIPS_MAX - 1) * sizeof(a->flips[0]));
		keep--;
	}
	a->flips[keep++] = d->now;
	a->n_flips = keep;
	if (a->flapping || a->n_flips < cfg->alert_flap_changes)
		return 0;
	a->flapping = true;
	a->card_dirty = true;
	/* A new alert is not written yet: open_alert() logs its flapping after the insert. */
	int rc = a->id ? db_alert_log(d->db, a->id, d->now, ALERT_EV_FLAPPING, NULL) : 0;
	if (rc || !notify || !a->ticket_id || a->storm_id || a->silence_id || a->held_by)
		return rc;
	struct buf b = BUF_INIT(1024);
	notice_arg_msg(&b, MSG_ALERT_FLAPPING, (long long)a->ticket_id, a->code, a->n_flips,
		       (long long)((d->now - a->flips[0]) / 60 + 1));
	rc = tell_engineers(d, a->ticket_id, &b);
	buf_release(&b);
	return rc;
}

static bool recovered(const struct dialog *d, const struct alert *a)
{
	const struct config *cfg = d->cfg;
	return a->state == ALERT_RECOVERING && a->ok_count >= cfg->alert_recover_passes &&
	       d->now - a->ok_since >= cfg->alert_recover_after &&
	       (!a->flapping || d->now - last_flip(a) >= cfg->alert_flap_settle);
}

/* When the tick must look at a next: a recovery to confirm, flapping to end, a card to edit. */
static void schedule(const struct dialog *d, struct alert *a)
{
	const struct config *cfg = d->cfg;
	int64_t due = 0;
	if (a->state == ALERT_RECOVERING && a->ok_count >= cfg->alert_recover_passes) {
		due = a->ok_since + cfg->alert_recover_after;
		if (a->flapping && last_flip(a) + cfg->alert_flap_settle > due)
			due = last_flip(a) + cfg->alert_flap_settle;
	} else if (a->flapping && a->state == ALERT_FIRING) {
		due = last_flip(a) + cfg->alert_flap_settle;
	}
	if (a->card_dirty && a->ticket_id && !a->storm_id && !a->silence_id)
		due = min_due(due, a->card_at + cfg->alert_card_every);
	a->due_at = a->state == ALERT_RESOLVED ? 0 : due;
}

static int resolve(struct dialog *d, struct alert *a);

/* Resolves alert id, its history saying why first (ALERT_EV_RECOVERED: nothing more). */
static int resolve_id(struct dialog *d, int64_t id, enum alert_event_kind why)
{
	struct alert a;
	int rc = db_alert_get(d->db, id, &a);
	if (rc)
		return rc;
	if (why != ALERT_EV_RECOVERED)
		rc = db_alert_log(d->db, a.id, d->now, why, NULL);
	if (!rc)
		rc = resolve(d, &a);
	alert_release(&a);
	return rc;
}

/*
 * The store is heard again: the alerts held under it end with it. A till
 * still silent is told on its own by the offline pass after a grace (the
 * rest of a store's tills come back within moments of the first).
 */
static int release_held(struct dialog *d, const struct alert *store)
{
	int64_t ids[PASS_MAX];
	size_t n;
	int rc = db_alerts_held(d->db, store->id, ids, PASS_MAX, &n);
	for (size_t i = 0; i < n && !rc; i++)
		rc = resolve_id(d, ids[i], ALERT_EV_WITH_STORE);
	return rc;
}

/*
 * The ticket's alerts are all fine: its card says so; unclaimed, or
 * resolved by an engineer (nobody confirms a till's own ticket), it closes.
 */
static int ticket_recovered(struct dialog *d, const struct alert *a, int64_t ticket_id)
{
	struct ticket_row t;
	int rc = apply_quiet(d, EV_RECOVER, a, ticket_id, NULL);
	if (rc || (rc = dialog_ticket_load(d, ticket_id, &t)))
		return rc == TD_ENOTFOUND ? 0 : rc;
	if (t.status == TICKET_NEW || t.status == TICKET_RESOLVED)   /* the system closes it */
		return apply_quiet(d, EV_AUTO_RESOLVE, NULL, ticket_id, NULL);
	return t.status == TICKET_CLOSED ? 0 : card_update(d, ticket_id);
}

static int storm_progress(struct dialog *d, const struct alert *a)
{
	int64_t live, ticket, last_at;
	bool closed;
	int rc = db_storm_live(d->db, a->storm_id, &live);
	if (rc || live)
		return rc ? rc : db_storm_dirty(d->db, a->storm_id);
	if ((rc = db_storm_get(d->db, a->storm_id, &ticket, &last_at, &closed)) || closed)
		return rc;
	log_info("alert: storm %lld over", (long long)a->storm_id);
	if ((rc = db_storm_set(d->db, a->storm_id, ticket, last_at, d->now)) || !ticket)
		return rc;
	return ticket_recovered(d, a, ticket);
}

/* Whether a's ticket is its storm's (not one of its own). */
static bool storms_ticket(struct dialog *d, const struct alert *a)
{
	int64_t storm;
	char code[65];
	return a->storm_id && !db_storm_of_ticket(d->db, a->ticket_id, &storm, code, sizeof(code));
}

static int resolve(struct dialog *d, struct alert *a)
{
	int64_t others = 0;
	a->state = ALERT_RESOLVED;
	a->resolved_at = d->now;
	a->due_at = 0;
	int rc = db_alert_save(d->db, a);
	if (!rc)
		rc = db_alert_log(d->db, a->id, d->now, ALERT_EV_RECOVERED, NULL);
	if (!rc && !a->till_id)
		rc = release_held(d, a);
	if (!rc)
		rc = tell_store(d, a, true);
	if (rc)
		return rc;
	if (a->storm_id && (rc = storm_progress(d, a)))
		return rc;
	/* Those that reported before their storm began keep their own tickets. */
	if (!a->ticket_id || storms_ticket(d, a))
		return 0;
	if ((rc = db_alerts_live_on_ticket(d->db, a->ticket_id, a->id, &others)) || others)
		return rc;
	return ticket_recovered(d, a, a->ticket_id);
}

/* Opens the alert a (its fields set but the bookkeeping) and tells whom it concerns. */
static int open_alert(struct dialog *d, struct alert *a)
{
	const struct config *cfg = d->cfg;
	struct alert last;
	a->state = ALERT_FIRING;
	a->priority = config_alert_priority(cfg, a->code, a->critical);
	a->opened_at = a->last_seen_at = a->card_at = d->now;
	a->count = 1;
	/* A check that came back a moment ago carries its changes over: flapping spans alerts. */
	int rc = db_alert_last(d->db, a->store_id, a->till_id, a->code, &last);
	if (!rc) {
		memcpy(a->flips, last.flips, sizeof(a->flips));
		a->n_flips = last.n_flips;
		alert_release(&last);
	} else if (rc != TD_ENOTFOUND) {
		return rc;
	}
	if ((rc = flip(d, a, false)) ||
	    (rc = db_silence_find(d->db, a->store_id, a->till_id, a->code, d->now, &a->silence_id)))
		return rc;
	schedule(d, a);
	if ((rc = db_alert_insert(d->db, a)) ||
	    (rc = db_alert_log(d->db, a->id, d->now, ALERT_EV_OPENED, a->message)))
		return rc;
	if (a->flapping && (rc = db_alert_log(d->db, a->id, d->now, ALERT_EV_FLAPPING, NULL)))
		return rc;
	if (a->silence_id)
		return db_alert_log(d->db, a->id, d->now, ALERT_EV_SILENCED, NULL);
	if (a->held_by)
		return 0;
	if ((rc = notify_open(d, a)))
		return rc;
	return tell_store(d, a, false);
}

/*
 * WARNING became CRITICAL: a higher priority when the mapping gives one,
 * said once under the card (the next raise needs a fall and a lower
 * priority first); a store now at P1/P2 is told, as if it opened so.
 */
static int raise(struct dialog *d, struct alert *a)
{
	int p = config_alert_priority(d->cfg, a->code, true);
	int rc = 0;
	if (p >= a->priority)
		return 0;
	if (a->ticket_id && !storms_ticket(d, a) && !a->silence_id && !a->held_by) {
		struct buf body = BUF_INIT(4096);
		buf_printf(&body, "%s%s", msg(MSG_ALERT_WORSE), a->message);
		const struct event_args args = { .body = buf_cstr(&body), .priority = p };
		rc = apply(d, EV_AGENT_RAISE, a, a->ticket_id, &args);
		buf_release(&body);
		if (rc == REFUSED)   /* its ticket is done with: nothing was said */
			return 0;
		a->card_at = d->now;   /* that edited the card */
		a->card_dirty = false;
	}
	a->priority = p;
	bool told;
	if (rc || (rc = db_alert_has_event(d->db, a->id, ALERT_EV_STORE_TOLD, &told)) || told)
		return rc;
	return tell_store(d, a, false);
}

/*
 * The same fault again (or worse). A repeat only counts: the count and the
 * last time are shown when the card is next edited for something that
 * matters (a new summary, the severity, recovering), so a fault that lasts
 * a month does not spend the group's allowance on edits.
 */
static int still_failing(struct dialog *d, struct alert *a, const struct agent_event *e)
{
	int rc = 0;
	bool critical = e->status == AGENT_CRITICAL;
	a->last_seen_at = d->now;
	a->count++;
	if (a->state == ALERT_RECOVERING) {
		a->state = ALERT_FIRING;
		a->ok_since = a->ok_count = 0;
		a->card_dirty = true;
		if ((rc = db_alert_log(d->db, a->id, d->now, ALERT_EV_RELAPSED, e->message)) ||
		    (rc = flip(d, a, true)))
			return rc;
	}
	if (e->message && strcmp(e->message, a->message)) {
		free(a->message);
		a->message = xstrdup(e->message);
		a->card_dirty = true;
	}
	if (critical == a->critical)
		return 0;
	a->critical = critical;
	a->card_dirty = true;
	if (!critical)
		return 0;
	if ((rc = db_alert_log(d->db, a->id, d->now, ALERT_EV_RAISED, a->message)))
		return rc;
	return raise(d, a);
}

static int now_fine(struct dialog *d, struct alert *a)
{
	int rc = 0;
	if (a->state == ALERT_FIRING) {
		a->state = ALERT_RECOVERING;
		a->ok_since = d->now;
		a->ok_count = 0;
		a->card_dirty = true;
		if ((rc = db_alert_log(d->db, a->id, d->now, ALERT_EV_RECOVERING, NULL)) ||
		    (rc = flip(d, a, true)))
			return rc;
	}
	a->ok_count++;
	return recovered(d, a) ? resolve(d, a) : 0;
}

static int observe_event(struct dialog *d, int64_t store_id, int64_t till_id,
			 const struct agent_event *e)
{
	struct alert a;
	bool fault = e->status == AGENT_WARNING || e->status == AGENT_CRITICAL;
	if (e->status == AGENT_UNKNOWN)
		return 0;  /* the check could not tell: neither a fault nor a recovery */
	int rc = db_alert_live(d->db, store_id, till_id, e->code, &a);
	if (rc == TD_ENOTFOUND) {
		if (!fault)
			return 0;
		memset(&a, 0, sizeof(a));
		a.store_id = store_id;
		a.till_id = till_id;
		snprintf(a.code, sizeof(a.code), "%s", e->code);
		snprintf(a.check, sizeof(a.check), "%s", e->check);
		a.critical = e->status == AGENT_CRITICAL;
		a.message = xstrdup(e->message ? e->message : "");
		a.data = e->data ? xstrdup(e->data) : NULL;
		rc = open_alert(d, &a);
		alert_release(&a);
		return rc;
	}
	if (rc)
		return rc;
	const struct alert was = a;   /* the indexed fields, to write only what changed */
	/* A silence added while it fires quiets what it would still say. */
	if (!a.silence_id && !(rc = db_silence_find(d->db, store_id, till_id, a.code, d->now, &a.silence_id)) &&
	    a.silence_id)
		rc = db_alert_log(d->db, a.id, d->now, ALERT_EV_SILENCED, NULL);
	if (!rc)
		rc = fault ? still_failing(d, &a, e) : now_fine(d, &a);
	if (!rc && a.state != ALERT_RESOLVED) {
		if (fault && e->data) {
			free(a.data);
			a.data = xstrdup(e->data);
		}
		schedule(d, &a);
		bool indexed = a.state != was.state || a.due_at != was.due_at ||
			       a.ticket_id != was.ticket_id || a.storm_id != was.storm_id ||
			       a.held_by != was.held_by || a.silence_id != was.silence_id;
		rc = indexed ? db_alert_save(d->db, &a) : db_alert_touch(d->db, &a);
	}
	alert_release(&a);
	return rc;
}

/*
 * A till heard from is not offline, nor is its store; and a check of it
 * that has said nothing for offline_after (removed from the agent's
 * config, a plugin that only answers UNKNOWN now) is no longer known to
 * fail: its alert ends as stale.
 */
static int heard(struct dialog *d, int64_t store_id, int64_t till_id)
{
	int64_t ids[64];
	size_t n;
	struct alert a;
	int rc = 0;
	for (int i = 0; i < 2 && !rc; i++) {
		rc = db_alert_live(d->db, store_id, i ? 0 : till_id, i ? CODE_STORE_OFFLINE : CODE_TILL_OFFLINE, &a);
		if (rc == TD_ENOTFOUND) {
			rc = 0;
			continue;
		}
		if (!rc) {
			rc = resolve(d, &a);
			alert_release(&a);
		}
	}
	if (!rc)
		rc = db_alerts_stale(d->db, till_id, d->now - d->cfg->alert_offline_after, ids,
				     ARRAY_SIZE(ids), &n);
	for (size_t i = 0; i < n && !rc; i++)
		rc = resolve_id(d, ids[i], ALERT_EV_STALE);
	return rc;
}

int alert_observe(struct dialog *d, int64_t till_id, const struct agent_event *events,
		  const bool *fresh, size_t n)
{
	struct alert_place pl;
	int rc = db_alert_place(d->db, till_id, 0, &pl);
	if (!rc)
		rc = heard(d, pl.store_id, till_id);
	for (size_t i = 0; i < n && !rc; i++)
		if (fresh[i])
			rc = observe_event(d, pl.store_id, till_id, &events[i]);
	return rc;
}

/* ---- what time decides ---- */

static int due_one(struct dialog *d, struct alert *a)
{
	const struct config *cfg = d->cfg;
	if (recovered(d, a))
		return resolve(d, a);
	if (a->flapping && a->state == ALERT_FIRING && d->now - last_flip(a) >= cfg->alert_flap_settle) {
		a->flapping = false;
		a->card_dirty = true;
		int rc = db_alert_log(d->db, a->id, d->now, ALERT_EV_SETTLED, NULL);
		if (rc)
			return rc;
	}
	if (a->card_dirty && a->ticket_id && !a->storm_id && !a->silence_id &&
	    d->now >= a->card_at + cfg->alert_card_every) {
		int rc = card_update(d, a->ticket_id);
		if (rc)
			return rc;
		a->card_at = d->now;
		a->card_dirty = false;
	}
	schedule(d, a);
	return db_alert_save(d->db, a);
}

static int due_pass(struct dialog *d)
{
	int64_t ids[PASS_MAX];
	size_t n;
	int rc = db_alerts_due(d->db, d->now, ids, PASS_MAX, &n);
	for (size_t i = 0; i < n && !rc; i++) {
		struct alert a;
		if ((rc = db_alert_get(d->db, ids[i], &a)))
			break;
		if (a.state != ALERT_RESOLVED && a.due_at && a.due_at <= d->now)
			rc = due_one(d, &a);
		alert_release(&a);
	}
	return rc;
}

static int storm_pass(struct dialog *d)
{
	int64_t tickets[PASS_MAX];
	size_t n;
	int rc = db_storms_to_edit(d->db, d->now - d->cfg->alert_storm_every, tickets, PASS_MAX, &n);
	for (size_t i = 0; i < n && !rc; i++)
		if (!(rc = card_update(d, tickets[i])))
			rc = db_storm_edited(d->db, tickets[i], d->now);
	return rc;
}

struct silent_list {
	struct silent_till t[PASS_MAX];
	size_t n;
};

static int silent_row(const struct silent_till *t, void *arg)
{
	struct silent_list *l = arg;
	if (l->n < PASS_MAX)
		l->t[l->n++] = *t;
	return 0;
}

/* Opens an offline alert: a till's (held under held_by, or its own) or, till 0, its store's. */
static int open_offline(struct dialog *d, int64_t store_id, int64_t till_id, int64_t since,
			int64_t tills, int64_t held_by, int64_t *id)
{
	struct alert_place pl;
	char at[32];
	struct buf text = BUF_INIT(1024);
	struct alert a = { .store_id = store_id, .till_id = till_id, .critical = true,
			   .held_by = held_by };
	int rc = db_alert_place(d->db, till_id, store_id, &pl);
	if (rc)
		return rc;
	reply_local_time(at, sizeof(at), since, pl.timezone);
	if (till_id)
		msg_buf(&text, MSG_ALERT_TILL_OFFLINE, at);
	else
		msg_buf(&text, MSG_ALERT_STORE_OFFLINE, (long long)tills, at);
	snprintf(a.code, sizeof(a.code), "%s", till_id ? CODE_TILL_OFFLINE : CODE_STORE_OFFLINE);
	snprintf(a.check, sizeof(a.check), "heartbeat");
	a.message = xstrdup(buf_cstr(&text));
	buf_release(&text);
	rc = open_alert(d, &a);
	if (id)
		*id = a.id;
	alert_release(&a);
	return rc;
}

/*
 * A till not heard for offline_after is offline. Its store's other tills
 * decide how it is told: every one silent too, one store alert for them
 * all; some fading (silent for half of offline_after: a link that fails
 * takes the whole store down within a heartbeat or two), wait a moment;
 * else the till alone. A store back from its outage gives its tills
 * offline_after from then.
 */
static int offline_one(struct dialog *d, const struct silent_till *t)
{
	const struct config *cfg = d->cfg;
	int64_t before = d->now - cfg->alert_offline_after, heard_n, newest, fading, store_alert;
	struct alert s;
	int rc = db_alert_live(d->db, t->store_id, 0, CODE_STORE_OFFLINE, &s);
	if (!rc) {
		rc = open_offline(d, t->store_id, t->till_id, t->last_seen_at, 0, s.id, NULL);
		alert_release(&s);
		return rc;
	}
	if (rc != TD_ENOTFOUND)
		return rc;
	/*
	 * A store just back (one till heard): its other agents come back each
	 * at its next try, backing off up to their retry_max; silent from then.
	 */
	if (!(rc = db_alert_last(d->db, t->store_id, 0, CODE_STORE_OFFLINE, &s))) {
		int64_t back = s.resolved_at;
		alert_release(&s);
		if (back > before)
			return 0;
	} else if (rc != TD_ENOTFOUND) {
		return rc;
	}
	if ((rc = db_store_heard(d->db, t->store_id, &heard_n, &newest)))
		return rc;
	/* Every till silent, a store of one till too: the store is down (P1 by DOMAIN.md). */
	if (newest < before) {
		if ((rc = open_offline(d, t->store_id, 0, newest, heard_n, 0, &store_alert)) ||
		    (rc = db_alerts_hold(d->db, t->store_id, CODE_TILL_OFFLINE, store_alert)))
			return rc;
		return open_offline(d, t->store_id, t->till_id, t->last_seen_at, 0, store_alert, NULL);
	}
	rc = db_store_fading(d->db, t->store_id, t->till_id, before,
			     d->now - cfg->alert_offline_after / 2, &fading);
	if (rc || fading)
		return rc;
	return open_offline(d, t->store_id, t->till_id, t->last_seen_at, 0, 0, NULL);
}

static int offline_pass(struct dialog *d)
{
	/*
	 * The daemon's own absence is not the tills': until it has listened
	 * for offline_after, a till not heard may have posted to no one (its
	 * agent backs off while the server is away, retry_max 5m).
	 */
	if (d->now - d->listening_since < d->cfg->alert_offline_after)
		return 0;
	struct silent_list *l = xmalloc(sizeof(*l));
	l->n = 0;
	int rc = db_tills_silent(d->db, d->now - d->cfg->alert_offline_after, CODE_TILL_OFFLINE,
				 silent_row, l);
	for (size_t i = 0; i < l->n && !rc; i++)
		rc = offline_one(d, &l->t[i]);
	free(l);
	return rc;
}

struct over_list {
	int64_t ids[64];
	size_t n;
};

static int over_row(int64_t silence_id, void *arg)
{
	struct over_list *l = arg;
	if (l->n < ARRAY_SIZE(l->ids))
		l->ids[l->n++] = silence_id;
	return 0;
}

/* A silence is over: the alerts it kept quiet that still fire are told now. */
struct storm_codes {
	char codes[16][65];
	size_t n;
};

static int storm_code(const char *code, void *arg)
{
	struct storm_codes *c = arg;
	if (c->n < ARRAY_SIZE(c->codes))
		snprintf(c->codes[c->n++], sizeof(c->codes[0]), "%s", code);
	return 0;
}

/*
 * The silence kept storm_min or more tills of one code quiet: they report
 * at once now, so they make one storm, as if they had just come.
 */
static int silence_storms(struct dialog *d, int64_t silence_id)
{
	struct storm_codes c = { .n = 0 };
	int rc = db_silence_storm_codes(d->db, silence_id, d->cfg->alert_storm_min, storm_code, &c);
	for (size_t i = 0; i < c.n && !rc; i++) {
		int64_t storm, moved, first;
		struct alert a;
		if ((rc = db_storm_insert(d->db, c.codes[i], d->now, &storm)) ||
		    (rc = db_storm_gather_silence(d->db, storm, silence_id, c.codes[i], &moved, &first)) ||
		    (rc = db_alert_get(d->db, first, &a)))
			break;
		rc = storm_begin(d, &a, storm, moved);
		alert_release(&a);
	}
	return rc;
}

/*
 * A silence is over: the alerts it kept quiet that still fire are told now,
 * unless another silence still covers them. Up to PASS_MAX a tick; the
 * silence is done with when none is left.
 */
static int silence_over(struct dialog *d, int64_t silence_id)
{
	int64_t ids[PASS_MAX];
	size_t n;
	int rc = db_alerts_of_silence(d->db, silence_id, ids, PASS_MAX, &n);
	if (!rc && n && d->engineers_chat)
		rc = reply_msg(d, d->engineers_chat, MSG_ALERT_SILENCE_OVER, (long long)silence_id,
			       (long long)n);
	if (!rc && n)
		rc = silence_storms(d, silence_id);
	for (size_t i = 0; i < n && !rc; i++) {
		struct alert a;
		int64_t other;
		if ((rc = db_alert_get(d->db, ids[i], &a)))
			break;
		rc = db_silence_find(d->db, a.store_id, a.till_id, a.code, d->now, &other);
		a.silence_id = !rc && other != silence_id ? other : 0;
		if (!rc && !(rc = db_alert_save(d->db, &a)) && !a.silence_id &&
		    !(rc = db_alert_log(d->db, a.id, d->now, ALERT_EV_SILENCE_OVER, NULL)) &&
		    !a.held_by && !a.ticket_id && !a.storm_id) {
			a.card_at = d->now;
			rc = notify_open(d, &a);
		}
		if (!rc && !a.silence_id)
			rc = tell_store(d, &a, false);
		alert_release(&a);
	}
	return rc || n == PASS_MAX ? rc : db_silence_ended(d->db, silence_id, d->now);
}

static int silence_pass(struct dialog *d)
{
	struct over_list l = { .n = 0 };
	int rc = db_silences_over(d->db, d->now, over_row, &l);
	for (size_t i = 0; i < l.n && !rc; i++)
		rc = silence_over(d, l.ids[i]);
	return rc;
}

int alert_tick(struct dialog *d)
{
	int rc = silence_pass(d);
	if (!rc)
		rc = due_pass(d);
	if (!rc)
		rc = offline_pass(d);
	if (!rc)
		rc = storm_pass(d);
	return rc;
}
