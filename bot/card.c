/*
 * card.c - a ticket's card in its engineers' chat (dialog_ticket_chat()):
 * what it says and which buttons it offers in each state.
 */
#include "bot/alert.h"
#include "bot/dialog.h"
#include "core/tz.h"
#include "bot/relay.h"
#include "storage/card_lists.h"
#include "storage/mail_in.h"
#include "storage/outbox.h"
#include "storage/relays.h"
#include "storage/sla.h"
#include "storage/ticket.h"

#define CARD_MAX (64u << 10)
#define LETTER_EXCERPT 1500   /* bytes of a letter's words on its card: the history keeps them all */

struct card {
	struct dialog *d;
	struct db *db;
	struct buf parts;    /* the card's notice arguments (core/notice.h) */
	struct notice_actions *keyboard;
};

/*
 * Appends one timer's state for the card as one argument: its deadline in
 * the store's zone, or why there is none.
 */
static void deadline(struct db *db, int64_t ticket_id, enum sla_kind kind, const char *zone,
		     struct buf *b)
{
	struct sla_timer t;
	char at[32];
	if (db_sla_get(db, ticket_id, kind, &t)) {
		notice_arg_msg(b, MSG_CARD_DEADLINE_NONE);
		return;
	}
	reply_local_time(at, sizeof(at), t.due_at, zone);
	if (t.breached_at)
		notice_arg_msg(b, MSG_CARD_DEADLINE_BREACHED, at);
	else if (t.met_at)
		notice_arg_msg(b, MSG_CARD_DEADLINE_MET);
	else if (!t.due_at)
		notice_arg_msg(b, MSG_CARD_DEADLINE_PAUSED);
	else
		notice_arg_text(b, at);
}

/* The card's last line and its buttons, for the ticket's status. */
static void render_status(struct card *c, const struct ticket_row *r)
{
	struct buf *b = &c->parts;
	char data[2][32];

	switch (r->status) {
	case TICKET_NEW:
		notice_arg_msg(b, MSG_CARD_STATUS_NEW);
		button_data(data[0], sizeof(data[0]), VERB_CLAIM, r->id, 0);
		c->keyboard = reply_keyboard_row(1, (const char *[]){ msg(MSG_BTN_CLAIM) },
						 (const char *[]){ data[0] });
		break;
	case TICKET_CLAIMED:
		notice_arg_msg(b, MSG_CARD_STATUS_CLAIMED, r->assignee);
		button_data(data[0], sizeof(data[0]), VERB_CLOSE, r->id, 0);
		button_data(data[1], sizeof(data[1]), VERB_RELEASE, r->id, 0);
		c->keyboard = reply_keyboard_row(2, (const char *[]){ msg(MSG_BTN_CLOSE), msg(MSG_BTN_RELEASE) },
						 (const char *[]){ data[0], data[1] });
		break;
	case TICKET_RESOLVED:
		notice_arg_msg(b, MSG_CARD_STATUS_RESOLVED, r->assignee);
		break;
	case TICKET_CLOSED:
		notice_arg_msg(b, MSG_CARD_STATUS_CLOSED);
		break;
	}
}

/* The words a letter opened the ticket with, cut for the card, when they say more than its title. */
static int letter_words(struct card *c, const struct ticket_row *r, struct buf *b)
{
	char words[LETTER_EXCERPT + 512], excerpt[LETTER_EXCERPT + 8];
	int rc = db_ticket_opening(c->db, r->id, words, sizeof(words));
	if (rc)
		return rc == TD_ENOTFOUND ? 0 : rc;
	if (!*words || !strcmp(words, r->title))
		return 0;
	utf8_snprintf(excerpt, LETTER_EXCERPT, "%s", words);
	if (strlen(words) >= LETTER_EXCERPT - 1)
		memcpy(excerpt + strlen(excerpt), "…", sizeof("…"));
	notice_arg_markup(b, "<blockquote>");
	notice_arg_text(b, excerpt);
	notice_arg_markup(b, "</blockquote>\n\n");
	return 0;
}

/*
 * While the conversation follows the assignee (bot/relay.h): how many of
 * the cashier's messages went to their private chat, and the time of day
 * (the store's) of the last.
 */
static int relayed(struct card *c, const struct ticket_row *r, struct buf *b)
{
	struct ticket_relay t;
	char full[32];
	int rc = db_relay_get(c->db, r->id, &t);
	if (rc || r->status != TICKET_CLAIMED || !t.relayed)
		return rc;
	reply_local_time(full, sizeof(full), t.last_at, r->timezone);
	const char *hm = strchr(full, ' ');
	notice_arg_msg(b, MSG_CARD_RELAYED, (long long)t.relayed, hm ? hm + 1 : full);
	return 0;
}

static int render(const struct ticket_row *r, void *arg)
{
	struct card *c = arg;
	struct buf *b = &c->parts;
	char opened[32];

	reply_local_time(opened, sizeof(opened), r->created_at, r->timezone);
	notice_arg_msg(b, MSG_CARD_HEAD, (long long)r->id, r->priority);
	notice_arg_markup(b, "\n<b>");
	notice_arg_text(b, r->org);
	notice_arg_markup(b, "</b> · ");
	notice_arg_text(b, r->store);
	if (*r->address) {
		notice_arg_markup(b, ", ");
		notice_arg_text(b, r->address);
	}
	notice_arg_markup(b, "\n");
	if (*r->till) {
		notice_arg_msg(b, MSG_CARD_TILL);
		notice_arg_text(b, r->till);
		notice_arg_markup(b, "\n");
	}
	notice_arg_msg(b, MSG_CARD_CASHIER);
	notice_arg_text(b, *r->cashier ? r->cashier : "—");
	notice_arg_markup(b, "\n");
	/* A ticket that came by e-mail: from whom, and (below) what the letter said. */
	struct ticket_mail *m = xmalloc(sizeof(*m));
	int rc = db_ticket_mail_get(c->db, r->id, m);
	if (!rc) {
		char from[600];
		snprintf(from, sizeof(from), "%s%s<%s>", m->name, *m->name ? " " : "", m->addr);
		notice_arg_msg(b, MSG_CARD_EMAIL, from);
		notice_arg_markup(b, "\n");
	}
	free(m);
	if (rc && rc != TD_ENOTFOUND)
		return rc;
	bool by_mail = !rc;
	notice_arg_msg(b, MSG_CARD_OPENED, opened, r->timezone);
	struct buf deadlines = BUF_INIT(1024);
	deadline(c->db, r->id, SLA_REACTION, r->timezone, &deadlines);
	deadline(c->db, r->id, SLA_RESOLUTION, r->timezone, &deadlines);
	notice_arg_markup(b, "\n");
	notice_arg_msg_parts(b, MSG_CARD_DEADLINES, buf_cstr(&deadlines));
	buf_release(&deadlines);
	notice_arg_markup(b, "\n\n<blockquote>");
	notice_arg_text(b, r->title);
	notice_arg_markup(b, "</blockquote>\n\n");
	if (by_mail && (rc = letter_words(c, r, b)))
		return rc;
	/* A till's own report: what its agent sees, and the article as a recommendation. */
	size_t before = b->len;
	if (!strcmp(r->source, "agent")) {
		rc = alert_card(c->d, r->id, r->timezone, b);
		if (rc)
			return rc;
	}
	if (b->len == before && r->kb_article_id) {
		notice_arg_msg(b, MSG_CARD_KB_HINT);
		notice_arg_text(b, r->kb_title);
		notice_arg_markup(b, "</i>\n\n");
	}

	if ((rc = relayed(c, r, b)))
		return rc;
	render_status(c, r);
	return 0;
}

static int card_render(struct dialog *d, int64_t ticket_id, struct card *c)
{
	c->keyboard = NULL;
	c->d = d;
	c->db = d->db;
	buf_init(&c->parts, CARD_MAX);
	int rc = db_ticket_get(d->db, ticket_id, render, c);
	if (rc) {
		buf_release(&c->parts);
		free(c->keyboard);
	}
	return rc;
}

/* Posts the card, or edits the posted one to the ticket's current state. */
static int card_send(struct dialog *d, int64_t ticket_id, bool edit)
{
	struct card c;
	int64_t chat = dialog_ticket_chat(d, ticket_id);
	int rc;
	if (!chat)
		return 0;
	if ((rc = card_render(d, ticket_id, &c)))
		return rc;
	if (edit)
		rc = reply_edit_parts(d, chat, ticket_id, link_role_name(LINK_CARD), &c.parts, c.keyboard);
	else
		rc = reply_say_parts(d, chat, &c.parts, c.keyboard, 0, ticket_id, link_role_name(LINK_CARD));
	buf_release(&c.parts);
	return rc;
}

int card_post(struct dialog *d, int64_t ticket_id)
{
	return card_send(d, ticket_id, false);
}

int card_count(struct dialog *d, int64_t ticket_id)
{
	int64_t chat = dialog_ticket_chat(d, ticket_id), message, list;
	/* Shown only as a line of a list, which has no count: the edit would change nothing. */
	if (chat && db_link_message(d->db, ticket_id, link_role_name(LINK_CARD), chat, &message) &&
	    !db_list_of_ticket(d->db, ticket_id, chat, &list, &message))
		return db_relay_card_edited(d->db, ticket_id, d->now);
	return card_update(d, ticket_id);
}

int card_to_assignee(struct dialog *d, int64_t ticket_id, int64_t assignee_id)
{
	struct card c;
	int64_t chat = dialog_ticket_chat(d, ticket_id), message, list, to;
	if (!chat || !db_link_message(d->db, ticket_id, link_role_name(LINK_CARD), chat, &message))
		return 0;
	int rc = db_list_of_ticket(d->db, ticket_id, chat, &list, &message);
	if (!rc)
		rc = relay_chat(d, assignee_id, chat, &to);
	if (rc || !to)
		return rc == TD_ENOTFOUND ? 0 : rc;
	if ((rc = card_render(d, ticket_id, &c)))
		return rc;
	/*
	 * Its buttons are the group's: in a private chat, /close N. Not a
	 * relay: it is no cashier's words to move to the group (db_relay_move()).
	 */
	free(c.keyboard);
	rc = reply_say_parts(d, to, &c.parts, NULL, 0, ticket_id, link_role_name(LINK_ASSIGNED));
	buf_release(&c.parts);
	return rc;
}

int card_update(struct dialog *d, int64_t ticket_id)
{
	/* This edit shows the count of relayed messages as it is: none is put off any more. */
	int rc = db_relay_card_edited(d->db, ticket_id, d->now);
	return rc ? rc : card_send(d, ticket_id, true);
}
