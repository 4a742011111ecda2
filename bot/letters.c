/*
 * letters.c - letters to an organisation's owners: an SLA breach, a fiscal
 * drive's or certificate's end; see letters.h.
 */
#include "bot/dialog.h"
#include "bot/letters.h"
#include "bot/reply.h"
#include "core/config.h"
#include "core/html.h"
#include "core/log.h"
#include "core/tz.h"
#include "mail/mail.h"
#include "storage/chain.h"
#include "storage/forecast.h"
#include "storage/letters.h"
#include "storage/owners.h"
#include "storage/sla.h"
#include "storage/ticket.h"

#define RCPTS_MAX 64          /* mail_queue()'s bound */
#define LETTER_MAX (256u << 10)
#define SUBJECT_MAX 1024

/* ---- a letter's two parts, written side by side ---- */

struct page {
	enum msg_lang lang;
	struct buf subject, text, html;
};

static void page_init(struct page *p, enum msg_lang lang)
{
	*p = (struct page){ .lang = lang };
	buf_init(&p->subject, SUBJECT_MAX);
	buf_init(&p->text, LETTER_MAX);
	buf_init(&p->html, LETTER_MAX);
	buf_puts(&p->html, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head>\n"
		 "<body style=\"font-family: Arial, sans-serif; font-size: 14px\">\n");
}

static void page_release(struct page *p)
{
	buf_release(&p->subject);
	buf_release(&p->text);
	buf_release(&p->html);
}

/* A paragraph: a catalogue message in the page's language. */
static void page_para(struct page *p, enum msg_id id, ...)
{
	struct buf s = BUF_INIT(LETTER_MAX);
	va_list ap;
	va_start(ap, id);
	msg_vbuf_in(&s, p->lang, id, ap);
	va_end(ap);
	buf_printf(&p->text, "%s\n\n", buf_cstr(&s));
	buf_puts(&p->html, "<p>");
	html_escape(&p->html, buf_cstr(&s));
	buf_puts(&p->html, "</p>\n");
	buf_release(&s);
}

/* A row of the facts' table: a label from the catalogue, a value as it is (escaped in HTML). */
static void page_field(struct page *p, enum msg_id label, const char *value)
{
	const char *l = msg_in(p->lang, label);
	buf_printf(&p->text, "%s: %s\n", l, value);
	buf_puts(&p->html, "<tr><th align=\"left\" style=\"padding: 2px 12px 2px 0\">");
	html_escape(&p->html, l);
	buf_puts(&p->html, "</th><td>");
	html_escape(&p->html, value);
	buf_puts(&p->html, "</td></tr>\n");
}

static void page_table(struct page *p, bool open)
{
	buf_puts(&p->html, open ? "<table cellpadding=\"0\" cellspacing=\"0\">\n" : "</table>\n");
	if (!open)
		buf_putc(&p->text, '\n');
}

static void page_end(struct page *p)
{
	page_para(p, MSG_MAIL_FOOTER);
	buf_puts(&p->html, "</body></html>\n");
}

/* ---- the owners a letter goes to ---- */

struct rcpts {
	struct letter_rcpt to[RCPTS_MAX];
	enum msg_lang lang[RCPTS_MAX];
	size_t n;
	enum msg_lang fallback;   /* general.language: an owner's who has none */
	int64_t org_id;
};

static int add_rcpt(const struct owner_row *r, void *arg)
{
	struct rcpts *rs = arg;
	enum msg_lang lang;
	if (!mail_address_valid(r->email)) {
		log_warn("letters: organisation %lld: owner '%s' is not an address a letter can go to",
			 (long long)rs->org_id, r->email);
		return 0;
	}
	if (rs->n == RCPTS_MAX) {
		log_warn("letters: organisation %lld: more than %d owners; '%s' left out",
			 (long long)rs->org_id, RCPTS_MAX, r->email);
		return 0;
	}
	rs->lang[rs->n] = msg_lang_parse(&lang, r->language) ? rs->fallback : lang;
	rs->to[rs->n++] = (struct letter_rcpt){ .name = xstrdup(r->name), .addr = xstrdup(r->email) };
	return 0;
}

static void rcpts_release(struct rcpts *rs)
{
	for (size_t i = 0; i < rs->n; i++) {
		free((char *)rs->to[i].name);
		free((char *)rs->to[i].addr);
	}
	rs->n = 0;
}

/* Writes one language's letter of a kind into a page (its subject, text and HTML). */
typedef void letter_fill(struct page *p, const void *facts);

/*
 * Queues the letter of ref to the organisation's owners who want kind, one
 * per language they read, each made by fill. A ref queued before is left.
 */
static int queue_to_owners(struct dialog *d, int64_t org_id, enum owner_mail kind, const char *ref,
			   letter_fill *fill, const void *facts)
{
	static const enum msg_lang langs[] = { LANG_RU, LANG_EN };
	struct rcpts rs = { .org_id = org_id, .fallback = msg_language() };
	enum msg_lang fallback;
	if (d->cfg && d->cfg->language && !msg_lang_parse(&fallback, d->cfg->language))
		rs.fallback = fallback;
	int rc = db_org_mail_recipients(d->db, org_id, kind, add_rcpt, &rs);
	for (size_t l = 0; l < ARRAY_SIZE(langs) && !rc; l++) {
		struct letter_rcpt to[RCPTS_MAX];
		size_t n = 0;
		char lref[256];
		bool queued;
		for (size_t i = 0; i < rs.n; i++)
			if (rs.lang[i] == langs[l])
				to[n++] = rs.to[i];
		snprintf(lref, sizeof(lref), "%s:%s", ref, langs[l] == LANG_RU ? "ru" : "en");
		if (!n || (rc = db_letter_exists(d->db, lref, &queued)) || queued)
			continue;
		struct page p;
		int64_t id;
		page_init(&p, langs[l]);
		fill(&p, facts);
		page_end(&p);
		const struct letter letter = {
			.ref = lref, .kind = owner_mail_name(kind), .org_id = org_id,
			.subject = buf_cstr(&p.subject), .text = buf_cstr(&p.text),
			.html = buf_cstr(&p.html), .to = to, .n_to = n,
		};
		rc = mail_queue(d->db, &letter, d->now, &id);
		if (!rc)
			log_info("letters: %s queued to %zu owner(s) (letter %lld)", lref, n, (long long)id);
		else if (rc == TD_EINVAL)
			log_warn("letters: %s could not be queued as it stands", lref);
		/* Queued before (TD_EEXISTS), or refused: the cause goes on all the same. */
		if (rc == TD_EEXISTS || rc == TD_EINVAL)
			rc = 0;
		page_release(&p);
	}
	rcpts_release(&rs);
	return rc;
}

/* ---- an SLA breach ---- */

struct breach {
	int64_t ticket;
	enum sla_kind kind;
	int priority;
	char *org, *store, *till, *title, *assignee, *zone;
	char due[32];
};

static int breach_facts(const struct ticket_row *r, void *arg)
{
	struct breach *b = arg;
	b->priority = r->priority;
	b->org = xstrdup(r->org);
	b->store = xstrdup(r->store);
	b->till = xstrdup(r->till);
	b->title = xstrdup(r->title);
	b->assignee = xstrdup(r->assignee);
	b->zone = xstrdup(r->timezone);
	return 0;
}

static void breach_fill(struct page *p, const void *facts)
{
	const struct breach *b = facts;
	struct buf s = BUF_INIT(LETTER_MAX);
	bool reaction = b->kind == SLA_REACTION;
	msg_buf_in(&p->subject, p->lang, reaction ? MSG_MAIL_BREACH_SUBJECT_REACTION :
		   MSG_MAIL_BREACH_SUBJECT_RESOLUTION, (long long)b->ticket, b->store);
	page_para(p, reaction ? MSG_MAIL_BREACH_REACTION : MSG_MAIL_BREACH_RESOLUTION,
		  (long long)b->ticket);
	page_table(p, true);
	msg_buf_in(&s, p->lang, MSG_MAIL_TICKET_TITLE, (long long)b->ticket, b->title);
	page_field(p, MSG_MAIL_FIELD_TICKET, buf_cstr(&s));
	page_field(p, MSG_MAIL_FIELD_ORG, b->org);
	page_field(p, MSG_MAIL_FIELD_STORE, b->store);
	page_field(p, MSG_MAIL_FIELD_TILL, *b->till ? b->till : msg_in(p->lang, MSG_MAIL_NO_TILL));
	buf_reset(&s);
	msg_buf_in(&s, p->lang, MSG_MAIL_PRIORITY, b->priority);
	page_field(p, MSG_MAIL_FIELD_PRIORITY, buf_cstr(&s));
	page_field(p, MSG_MAIL_FIELD_DEADLINE, msg_in(p->lang, reaction ? MSG_MAIL_DEADLINE_REACTION :
						     MSG_MAIL_DEADLINE_RESOLUTION));
	buf_reset(&s);
	msg_buf_in(&s, p->lang, MSG_MAIL_TIME_IN_ZONE, b->due, b->zone);
	page_field(p, MSG_MAIL_FIELD_DUE, buf_cstr(&s));
	page_field(p, MSG_MAIL_FIELD_ASSIGNEE, *b->assignee ? b->assignee : msg_in(p->lang, MSG_MAIL_NOBODY));
	page_table(p, false);
	buf_release(&s);
}

int letters_breach(struct dialog *d, const struct sla_timer *t, int64_t org_id)
{
	struct breach b = { .ticket = t->ticket_id, .kind = t->kind };
	char ref[96];
	int rc = db_ticket_get(d->db, t->ticket_id, breach_facts, &b);
	if (!rc) {
		reply_local_time(b.due, sizeof(b.due), t->due_at, b.zone);
		snprintf(ref, sizeof(ref), "breach:%lld:%s", (long long)t->ticket_id, sla_kind_name(t->kind));
		rc = queue_to_owners(d, org_id, OWNER_MAIL_BREACH, ref, breach_fill, &b);
	}
	free(b.org);
	free(b.store);
	free(b.till);
	free(b.title);
	free(b.assignee);
	free(b.zone);
	return rc;
}

/* ---- a fiscal drive's or a certificate's end ---- */

/* The reminders' steps, in days before the date, farthest first. */
static const long expiry_steps[] = { 30, 7, 1 };

/* The step in force with left days to go: the nearest one left has reached; 0 for none. */
static long step_of(long left)
{
	long step = 0;
	for (size_t i = 0; i < ARRAY_SIZE(expiry_steps) && left >= 0; i++)
		if (left <= expiry_steps[i])
			step = expiry_steps[i];
	return step;
}

struct expiry {
	const struct forecast_unit *u;
	enum unit_end end;
	long left;
	char org[256], store[256];
};

static void expiry_fill(struct page *p, const void *facts)
{
	const struct expiry *e = facts;
	const struct forecast_unit *u = e->u;
	struct buf s = BUF_INIT(LETTER_MAX);
	bool fn = e->end == UNIT_END_FN;
	/* A drive is known by its serial number, a key by either. */
	const char *which = *u->serial ? u->serial : u->model;
	msg_buf_in(&p->subject, p->lang, fn ? MSG_MAIL_EXPIRY_SUBJECT_FN : MSG_MAIL_EXPIRY_SUBJECT_CERT,
		   u->expires_on, u->till, e->store);
	if (e->left)
		page_para(p, fn ? MSG_MAIL_EXPIRY_FN : MSG_MAIL_EXPIRY_CERT, e->left, u->expires_on);
	else  /* the 1 day's reminder, late: the daemon was down the day before */
		page_para(p, fn ? MSG_MAIL_EXPIRY_FN_TODAY : MSG_MAIL_EXPIRY_CERT_TODAY, u->expires_on);
	page_table(p, true);
	page_field(p, MSG_MAIL_FIELD_ORG, e->org);
	page_field(p, MSG_MAIL_FIELD_STORE, e->store);
	page_field(p, MSG_MAIL_FIELD_TILL, u->till);
	msg_buf_in(&s, p->lang, fn ? MSG_MAIL_UNIT_FN : e->end == UNIT_END_CERT_GOST ? MSG_MAIL_UNIT_CERT_GOST :
		   MSG_MAIL_UNIT_CERT_RSA, which);
	page_field(p, MSG_MAIL_FIELD_UNIT, buf_cstr(&s));
	page_field(p, MSG_MAIL_FIELD_EXPIRES, u->expires_on);
	buf_reset(&s);
	buf_printf(&s, "%ld", e->left);
	page_field(p, MSG_MAIL_FIELD_DAYS_LEFT, buf_cstr(&s));
	page_table(p, false);
	buf_release(&s);
}

static int store_names(const struct store_row *r, void *arg)
{
	struct expiry *e = arg;
	snprintf(e->org, sizeof(e->org), "%s", r->org);
	snprintf(e->store, sizeof(e->store), "%s", r->name);
	return 0;
}

struct expiry_pass {
	struct dialog *d;
	struct tz_kept zone;   /* the zone of the units in hand (they come zone by zone) */
};

/* Queues the unit's reminder for the step in force today, unless it went before. */
static int expiry_one(const struct forecast_unit *u, void *arg)
{
	struct expiry_pass *p = arg;
	struct expiry e = { .u = u, .end = forecast_unit_end(u) };
	char ref[128];
	long expires;
	if (e.end == UNIT_END_NONE || parse_date(&expires, u->expires_on))
		return 0;
	if (tz_keep(&p->zone, u->timezone))
		log_warn("letters: time zone '%s' does not load; its stores' days are UTC's", u->timezone);
	e.left = expires - tz_day(p->zone.tz, p->d->now);
	long step = step_of(e.left);
	bool sent;
	if (!step)
		return 0;
	/*
	 * The step went before, in some language: the pass repeats every
	 * minute, so it looks no further (an owner added since waits for
	 * the next step).
	 */
	snprintf(ref, sizeof(ref), "expiry:%lld:%s:%ld:", (long long)u->equipment_id, u->expires_on, step);
	int rc = db_letter_exists_under(p->d->db, ref, &sent);
	if (rc || sent || (rc = db_store_get(p->d->db, u->store_id, store_names, &e)))
		return rc;
	ref[strlen(ref) - 1] = '\0';
	return queue_to_owners(p->d, u->org_id, OWNER_MAIL_EXPIRY, ref, expiry_fill, &e);
}

int letters_expiry_tick(struct dialog *d)
{
	struct expiry_pass p = { .d = d };
	char first[16], last[16];
	long today = tz_day(NULL, d->now);
	/* A store's day is at most one from UTC's (zones run from -12 to +14 hours). */
	format_date(first, sizeof(first), today - 1);
	format_date(last, sizeof(last), today + expiry_steps[0] + 1);
	int rc = db_equipment_expiring(d->db, first, last, expiry_one, &p);
	tz_kept_release(&p.zone);
	return rc;
}
