/*
 * forecast.c - planned tickets for equipment reaching its end of life; see
 * forecast.h.
 */
#include "bot/engine.h"
#include "bot/forecast.h"
#include "core/config.h"
#include "core/log.h"
#include "core/tz.h"
#include "storage/forecast.h"
#include "storage/kb.h"
#include "storage/sla.h"
#include "storage/ticket.h"

#define FORECAST_PRIORITY 3  /* planned work: the till still sells */
#define TITLE_MAX 1024

struct pass {
	struct dialog *d;
	long days;           /* how far ahead a ticket opens */
	struct tz_kept zone; /* the zone of the units in hand (they come zone by zone) */
};

/* The agent's check code whose article tells how the unit is replaced; NULL: none. */
static const char *code_of(const struct forecast_unit *u)
{
	switch (forecast_unit_end(u)) {
	case UNIT_END_FN: return "fn.expiring";
	case UNIT_END_CERT_GOST: return "utm.cert_gost";
	case UNIT_END_CERT_RSA: return "utm.cert_rsa";
	case UNIT_END_NONE: break;
	}
	return NULL;
}

/* The active article whose codes name the unit's code, in *out; 0 for none. */
static int article_of(struct dialog *d, const struct forecast_unit *u, int64_t *out)
{
	const char *code = code_of(u);
	int rc = code ? db_kb_by_code(d->db, code, out) : TD_ENOTFOUND;
	if (rc == TD_ENOTFOUND)
		*out = 0;
	return rc == TD_ENOTFOUND ? 0 : rc;
}

/* What is to be done, by when (DD.MM.YYYY), at which till: the ticket's title. */
static void title_of(struct buf *b, const struct forecast_unit *u, const char *due)
{
	if (!strcmp(u->kind, "fn")) {
		msg_buf(b, MSG_FORECAST_TITLE_FN, *u->serial ? u->serial : u->model, u->till, due);
	} else if (!strcmp(u->kind, "key")) {
		msg_buf(b, MSG_FORECAST_TITLE_KEY, *u->model ? u->model : u->serial, u->till, due);
	} else {
		struct buf what = BUF_INIT(TITLE_MAX);
		buf_puts(&what, u->kind);
		for (const char *const *s = (const char *const[]){ u->model, u->serial, NULL }; *s; s++)
			if (**s)
				buf_printf(&what, " %s", *s);
		msg_buf(b, MSG_FORECAST_TITLE_OTHER, buf_cstr(&what), u->till, due);
		buf_release(&what);
	}
}

/* Opens the unit's planned ticket when its day has come, and records it. */
static int forecast_one(const struct forecast_unit *u, void *arg)
{
	struct pass *p = arg;
	struct dialog *d = p->d;
	long expires;
	if (parse_date(&expires, u->expires_on))
		return 0;  /* not a date: nothing to plan by */
	if (tz_keep(&p->zone, u->timezone))
		log_warn("forecast: time zone '%s' does not load; its stores' days are UTC's", u->timezone);
	long left = expires - tz_day(p->zone.tz, d->now);
	if (left < 0 || left > p->days)
		return 0;

	const struct actor system = { .kind = ACTOR_SYSTEM };
	struct buf title = BUF_INIT(TITLE_MAX);
	char due[16];
	int64_t article, ticket = 0;
	int rc = article_of(d, u, &article);
	if (rc)
		goto done;
	/* YYYY-MM-DD as DD.MM.YYYY */
	snprintf(due, sizeof(due), "%.2s.%.2s.%.4s", u->expires_on + 8, u->expires_on + 5,
		 u->expires_on);
	title_of(&title, u, due);
	const struct event_args a = {
		.title = buf_cstr(&title), .priority = FORECAST_PRIORITY, .kb_article_id = article,
		.store_id = u->store_id, .till_id = u->till_id, .out_id = &ticket,
	};
	if ((rc = engine_apply(d, EV_FORECAST_OPEN, &system, 0, &a)) ||
	    (rc = db_forecast_add(d->db, u->equipment_id, u->expires_on, ticket, d->now)))
		goto done;
	log_info("forecast: ticket %lld: %s unit %lld of till %lld ends %s (%ld days)",
		 (long long)ticket, u->kind, (long long)u->equipment_id, (long long)u->till_id,
		 u->expires_on, left);
done:
	buf_release(&title);
	return rc;
}

int forecast_tick(struct dialog *d)
{
	if (!d->cfg || !d->cfg->alerts_forecast_days)
		return 0;
	struct pass p = { .d = d, .days = (long)d->cfg->alerts_forecast_days };
	char first[16], last[16];
	long today = tz_day(NULL, d->now);
	/* A store's day is at most one from UTC's (zones run from -12 to +14 hours). */
	format_date(first, sizeof(first), today - 1);
	format_date(last, sizeof(last), today + p.days + 1);
	int rc = db_forecast_due(d->db, first, last, forecast_one, &p);
	tz_kept_release(&p.zone);
	return rc;
}

static int owner_notice(const struct ticket_row *r, void *arg)
{
	struct buf *b = arg;
	notice_arg_msg(b, MSG_FORECAST_OWNER, (long long)r->id);
	notice_arg_text(b, r->title);
	notice_arg_markup(b, "\n");
	notice_arg_text(b, r->org);
	notice_arg_markup(b, " · ");
	notice_arg_text(b, r->store);
	return 0;
}

int forecast_tell_owners(struct dialog *d, int64_t ticket_id)
{
	struct buf b = BUF_INIT(16384);
	struct sla_place pl;
	int rc = db_ticket_get(d->db, ticket_id, owner_notice, &b);
	if (!rc)
		rc = db_sla_place(d->db, ticket_id, &pl);
	if (!rc)
		rc = reply_owners(d, pl.org_id, &b);
	buf_release(&b);
	return rc;
}
