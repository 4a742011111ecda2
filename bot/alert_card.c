/*
 * alert_card.c - what a ticket's card says of its alert or its storm (see
 * alert.h): the check and its severity, repeats, the unit, the agent's
 * data, flapping, silence and recovery lines, and the knowledge base's
 * article for the code as a recommendation.
 */
#include "bot/alert.h"
#include "core/msg.h"
#include "storage/alerts.h"
#include "storage/kb.h"

#define EXCERPT_MAX 600    /* bytes of the recommended article on a card */
#define DATA_MAX 400       /* bytes of the agent's data on a card */
#define STORM_LINES 40     /* tills a storm's message names */

void alert_unit(const char *code, const char **kind, const char **model, const char **label)
{
	*kind = *model = *label = NULL;
	if (!strncmp(code, "fn.", 3)) {
		*kind = "fn";
		*label = "ФН";
	} else if (!strcmp(code, "utm.cert_rsa") || !strcmp(code, "utm.cert_gost")) {
		*kind = "key";
		*model = !strcmp(code, "utm.cert_rsa") ? "RSA" : "ГОСТ";
		*label = *model;
	}
}

/* The unit a code is about, for the card: the fiscal drive, the key of a certificate. */
static void unit_lines(struct dialog *d, const struct alert *a, struct buf *b)
{
	const char *kind, *model, *label;
	char serial[128], until[32];
	alert_unit(a->code, &kind, &model, &label);
	if (!kind || !a->till_id ||
	    db_alert_unit(d->db, a->till_id, kind, model, serial, sizeof(serial), until, sizeof(until)) ||
	    (!*serial && !*until))
		return;
	notice_arg_msg(b, MSG_ALERT_CARD_UNIT, label, serial);
	if (*until)
		notice_arg_msg(b, MSG_ALERT_CARD_UNTIL, until);
	notice_arg_markup(b, "\n");
}

/* The first lines of the article, whole lines up to EXCERPT_MAX bytes. */
static void excerpt(struct buf *b, const char *body)
{
	size_t n = strlen(body);
	if (n > EXCERPT_MAX) {
		n = EXCERPT_MAX;
		while (n && body[n] != '\n')
			n--;
	}
	char cut[EXCERPT_MAX + 1];
	utf8_snprintf(cut, sizeof(cut), "%.*s", (int)n, body);
	notice_arg_text(b, cut);
}

static void recommendation(struct dialog *d, const char *code, struct buf *b)
{
	struct kb_entry e;
	int64_t id;
	if (db_kb_by_code(d->db, code, &id) || db_kb_get(d->db, id, &e))
		return;
	notice_arg_msg(b, MSG_ALERT_CARD_RECOMMEND);
	notice_arg_markup(b, "<b>");
	notice_arg_text(b, e.title);
	notice_arg_markup(b, "</b>\n");
	excerpt(b, e.body);
	notice_arg_markup(b, "\n\n");
	kb_entry_release(&e);
}

static void alert_lines(struct dialog *d, const struct alert *a, const char *zone, struct buf *b)
{
	char at[32], seen[32];
	reply_local_time(at, sizeof(at), a->opened_at, zone);
	notice_arg_msg(b, MSG_ALERT_CARD_HEAD, a->code,
		       msg(a->critical ? MSG_ALERT_SEV_CRITICAL : MSG_ALERT_SEV_WARNING), at);
	if (a->count > 1) {
		reply_local_time(seen, sizeof(seen), a->last_seen_at, zone);
		notice_arg_msg(b, MSG_ALERT_CARD_REPEATS, (long long)a->count - 1, seen);
	}
	unit_lines(d, a, b);
	if (a->data && strcmp(a->data, "{}")) {
		char data[DATA_MAX + 1];
		utf8_snprintf(data, sizeof(data), "%s", a->data);
		notice_arg_msg(b, MSG_ALERT_CARD_DATA);
		notice_arg_markup(b, "<code>");
		notice_arg_text(b, data);
		notice_arg_markup(b, "</code>\n");
	}
	if (a->flapping)
		notice_arg_msg(b, MSG_ALERT_CARD_FLAPPING);
	if (a->silence_id)
		notice_arg_msg(b, MSG_ALERT_CARD_SILENCED, (long long)a->silence_id);
	if (a->held_by)
		notice_arg_msg(b, MSG_ALERT_CARD_HELD);
	if (a->state == ALERT_RECOVERING) {
		reply_local_time(at, sizeof(at), a->ok_since, zone);
		notice_arg_msg(b, MSG_ALERT_CARD_RECOVERING, at);
	} else if (a->state == ALERT_RESOLVED) {
		reply_local_time(at, sizeof(at), a->resolved_at, zone);
		notice_arg_msg(b, MSG_ALERT_CARD_RECOVERED, at);
	}
	notice_arg_markup(b, "\n");
}

struct storm_lines {
	struct buf *b;
	int64_t shown, more;
};

static int storm_member(const char *store, const char *till, bool live, void *arg)
{
	struct storm_lines *s = arg;
	if (s->shown == STORM_LINES) {
		s->more++;
		return 0;
	}
	s->shown++;
	notice_arg_markup(s->b, "• ");
	notice_arg_text(s->b, store);
	if (*till) {
		notice_arg_markup(s->b, " — ");
		notice_arg_text(s->b, till);
	}
	if (!live)
		notice_arg_msg(s->b, MSG_ALERT_STORM_FINE);
	notice_arg_markup(s->b, "\n");
	return 0;
}

int alert_card(struct dialog *d, int64_t ticket_id, const char *zone, struct buf *parts)
{
	int64_t storm, tills, stores;
	char code[65];
	struct alert a;
	int rc = db_storm_of_ticket(d->db, ticket_id, &storm, code, sizeof(code));
	if (!rc) {
		struct storm_lines s = { parts, 0, 0 };
		if ((rc = db_storm_counts(d->db, storm, &tills, &stores)))
			return rc;
		notice_arg_msg(parts, MSG_ALERT_STORM_HEAD, code, (long long)tills, (long long)stores);
		if ((rc = db_storm_members(d->db, storm, storm_member, &s)))
			return rc;
		if (s.more)
			notice_arg_msg(parts, MSG_ALERT_STORM_MORE, (long long)s.more);
		notice_arg_markup(parts, "\n");
		recommendation(d, code, parts);
		return 0;
	}
	if (rc != TD_ENOTFOUND)
		return rc;
	rc = db_alert_of_ticket(d->db, ticket_id, &a);
	if (rc)
		return rc == TD_ENOTFOUND ? 0 : rc;
	alert_lines(d, &a, zone, parts);
	recommendation(d, a.code, parts);
	alert_release(&a);
	return 0;
}
