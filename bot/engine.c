/*
 * engine.c - the table of ticket events and the one function that applies
 * it; see engine.h. Buttons, commands, replies, the scheduler and the
 * access changes all arrive here.
 */
#include "bot/engine.h"
#include "bot/forecast.h"
#include "bot/relay.h"
#include "core/log.h"
#include "mail/answer.h"
#include "storage/chain.h"
#include "storage/outbox.h"
#include "storage/relays.h"
#include "storage/sla.h"
#include "storage/ticket.h"

#define TEXT_MAX (64u << 10)

/* The capacities an actor can have towards one ticket. */
enum {
	BY_CASHIER = 1u << 0,   /* the ticket's own cashier, at its store */
	BY_ASSIGNEE = 1u << 1,  /* the engineer (or admin) who claimed it */
	BY_ENGINEER = 1u << 2,  /* any engineer or admin */
	BY_ADMIN = 1u << 3,
	BY_AGENT = 1u << 4,     /* the agent of the ticket's till */
	BY_SYSTEM = 1u << 5,    /* the scheduler, an admin's command line */
};

/* Statuses as bits; FROM_NONE: the ticket does not exist yet (the open events). */
#define FROM(s) (1u << (s))
#define FROM_NONE (1u << TICKET_STATUS_COUNT)
#define FROM_OPEN (FROM(TICKET_NEW) | FROM(TICKET_CLAIMED))
#define FROM_UNFINISHED (FROM_OPEN | FROM(TICKET_RESOLVED))
#define FROM_ANY (FROM_UNFINISHED | FROM(TICKET_CLOSED))

/* The status after: a status, or one of these. */
enum { TO_SAME = -1, TO_REOPENED = -2 /* claimed by the assignee still in office, else new */ };

enum assignee_effect { ASSIGNEE_KEEP, ASSIGNEE_ACTOR, ASSIGNEE_NONE };

/* The notices, in the order they are produced. */
enum {
	N_CARD_POST = 1u << 0,        /* the card appears in the engineers' chat */
	N_CARD_UPDATE = 1u << 1,      /* the card shows the new state and its buttons */
	N_FILE_TO_ENGINEERS = 1u << 2, /* the report's photo or file follows the card */
	N_CASHIER_OPENED = 1u << 3,   /* number, deadlines, "does the till work?" */
	N_CASHIER_CLAIMED = 1u << 4,  /* who took it */
	N_CASHIER_REPLY = 1u << 5,    /* the engineer's words (or: unreachable, to the engineers) */
	N_CASHIER_RESOLVED = 1u << 6, /* the resolution with «Работает» / «Не работает» */
	N_CASHIER_CONFIRMED = 1u << 7, /* thanks, and the rating buttons */
	N_CASHIER_REOPENED = 1u << 8,
	N_CASHIER_RATED = 1u << 9,
	N_CASHIER_PRIORITY = 1u << 10, /* the priority taken, and the deadlines */
	N_ENGINEERS_MESSAGE = 1u << 11, /* the cashier's words, under the card */
	N_ENGINEERS_RESOLVED = 1u << 12,
	N_ENGINEERS_REOPENED = 1u << 13,
	N_ENGINEERS_REQUEUED = 1u << 14,
	N_ENGINEERS_AGENT = 1u << 15,   /* what the till's agent reports */
	N_ENGINEERS_RECOVERED = 1u << 16,
	N_ENGINEERS_AUTO_RESOLVED = 1u << 17,
	N_SLA_ENGINEERS = 1u << 18,     /* the warning or breach (a reaction warning offers «Взять») */
	N_SLA_OWNERS = 1u << 19,        /* a breach, to the organisation's owners */
	N_ENGINEERS_CASHIER_MOVED = 1u << 20,
	N_FORECAST_OWNERS = 1u << 21,   /* a planned replacement, to the organisation's owners */
	N_ASSIGNEE_CARD = 1u << 22,     /* the whole card, privately, when the group shows a list's line */
};
/* The notices that speak to the ticket's cashier: by letter when they wrote by e-mail. */
#define N_TO_CASHIER (N_CASHIER_OPENED | N_CASHIER_CLAIMED | N_CASHIER_REPLY | N_CASHIER_RESOLVED | \
		      N_CASHIER_CONFIRMED | N_CASHIER_REOPENED | N_CASHIER_RATED | N_CASHIER_PRIORITY)

struct rule {
	unsigned from;              /* FROM() bits */
	unsigned actors;            /* BY_ bits */
	int to;                     /* a status, TO_SAME or TO_REOPENED */
	enum assignee_effect assignee;
	enum history_kind history;  /* HISTORY_MESSAGE becomes photo or file with one */
	enum sla_effect sla;
	unsigned notices;
	bool once;                  /* refused when the history has a row of its kind */
	bool clears_state;          /* the actor's half-typed answer is over */
};

/* The whole of a ticket's rules. */
static const struct rule rules[TICKET_EVENT_COUNT] = {
	[EV_OPEN] = { FROM_NONE, BY_CASHIER, TICKET_NEW, ASSIGNEE_NONE, HISTORY_OPENED,
		      SLA_EFFECT_START, N_CARD_POST | N_FILE_TO_ENGINEERS | N_CASHIER_OPENED,
		      .clears_state = true },
	[EV_MESSAGE] = { FROM_OPEN, BY_CASHIER, TO_SAME, ASSIGNEE_KEEP, HISTORY_MESSAGE,
			 SLA_EFFECT_RESUME, N_ENGINEERS_MESSAGE },
	[EV_CLAIM] = { FROM(TICKET_NEW), BY_ENGINEER, TICKET_CLAIMED, ASSIGNEE_ACTOR, HISTORY_CLAIMED,
		       SLA_EFFECT_REACTED, N_CARD_UPDATE | N_ASSIGNEE_CARD | N_CASHIER_CLAIMED },
	[EV_RELEASE] = { FROM(TICKET_CLAIMED), BY_ASSIGNEE | BY_ADMIN, TICKET_NEW, ASSIGNEE_NONE,
			 HISTORY_RELEASED, SLA_EFFECT_NONE, N_CARD_UPDATE, .clears_state = true },
	[EV_REPLY] = { FROM_UNFINISHED, BY_ENGINEER, TO_SAME, ASSIGNEE_KEEP, HISTORY_REPLY,
		       SLA_EFFECT_ANSWERED, N_CASHIER_REPLY },
	[EV_NOTE] = { FROM_ANY, BY_ENGINEER, TO_SAME, ASSIGNEE_KEEP, HISTORY_NOTE, SLA_EFFECT_NONE, 0 },
	[EV_RESOLVE] = { FROM(TICKET_CLAIMED), BY_ASSIGNEE | BY_ADMIN, TICKET_RESOLVED, ASSIGNEE_KEEP,
			 HISTORY_RESOLVED, SLA_EFFECT_RESOLVED,
			 N_CARD_UPDATE | N_CASHIER_RESOLVED | N_ENGINEERS_RESOLVED, .clears_state = true },
	[EV_CONFIRM] = { FROM(TICKET_RESOLVED), BY_CASHIER, TICKET_CLOSED, ASSIGNEE_KEEP,
			 HISTORY_CONFIRMED, SLA_EFFECT_NONE, N_CARD_UPDATE | N_CASHIER_CONFIRMED },
	[EV_REOPEN] = { FROM(TICKET_RESOLVED), BY_CASHIER, TO_REOPENED, ASSIGNEE_KEEP, HISTORY_REOPENED,
			SLA_EFFECT_REOPENED, N_CARD_UPDATE | N_CASHIER_REOPENED | N_ENGINEERS_REOPENED },
	[EV_RATE] = { FROM(TICKET_CLOSED), BY_CASHIER, TO_SAME, ASSIGNEE_KEEP, HISTORY_RATED,
		      SLA_EFFECT_NONE, N_CASHIER_RATED, .once = true },
	[EV_PRIORITY] = { FROM_OPEN, BY_CASHIER, TO_SAME, ASSIGNEE_KEEP, HISTORY_PRIORITY,
			  SLA_EFFECT_RECOMPUTE, N_CARD_UPDATE | N_CASHIER_PRIORITY },
	[EV_KB_DECLINED] = { FROM(TICKET_NEW), BY_CASHIER, TO_SAME, ASSIGNEE_KEEP,
			     HISTORY_KB_NOT_HELPED, SLA_EFFECT_NONE, 0 },
	/* The system: a till or a store gone silent, a storm of many tills. */
	[EV_AGENT_OPEN] = { FROM_NONE, BY_AGENT | BY_SYSTEM, TICKET_NEW, ASSIGNEE_NONE, HISTORY_OPENED,
			    SLA_EFFECT_START, N_CARD_POST },
	[EV_AGENT_UPDATE] = { FROM_UNFINISHED, BY_AGENT | BY_SYSTEM, TO_SAME, ASSIGNEE_KEEP, HISTORY_AGENT_UPDATE,
			      SLA_EFFECT_NONE, N_ENGINEERS_AGENT },
	[EV_RECOVER] = { FROM_OPEN, BY_AGENT | BY_SYSTEM, TO_SAME, ASSIGNEE_KEEP, HISTORY_RECOVERED,
			 SLA_EFFECT_NONE, N_ENGINEERS_RECOVERED },
	/* Nobody confirms a ticket a till opened by itself: recovered and quiet, it closes. */
	[EV_AUTO_RESOLVE] = { FROM_UNFINISHED, BY_SYSTEM, TICKET_CLOSED, ASSIGNEE_KEEP, HISTORY_AUTO_RESOLVED,
			      SLA_EFFECT_RESOLVED, N_CARD_UPDATE | N_ENGINEERS_AUTO_RESOLVED },
	[EV_SLA_WARNING] = { FROM_ANY, BY_SYSTEM, TO_SAME, ASSIGNEE_KEEP, HISTORY_SLA_WARNING,
			     SLA_EFFECT_NONE, N_SLA_ENGINEERS },
	[EV_ESCALATE] = { FROM_ANY, BY_SYSTEM, TO_SAME, ASSIGNEE_KEEP, HISTORY_SLA_BREACH,
			  SLA_EFFECT_NONE, N_SLA_ENGINEERS | N_SLA_OWNERS },
	[EV_REQUEUE] = { FROM(TICKET_CLAIMED), BY_SYSTEM, TICKET_NEW, ASSIGNEE_NONE, HISTORY_REQUEUED,
			 SLA_EFFECT_NONE, N_CARD_UPDATE | N_ENGINEERS_REQUEUED },
	[EV_CASHIER_MOVED] = { FROM_UNFINISHED, BY_SYSTEM, TO_SAME, ASSIGNEE_KEEP, HISTORY_CASHIER_MOVED,
			       SLA_EFFECT_NONE, N_CARD_UPDATE | N_ENGINEERS_CASHIER_MOVED },
	[EV_AGENT_RAISE] = { FROM_OPEN, BY_AGENT | BY_SYSTEM, TO_SAME, ASSIGNEE_KEEP, HISTORY_PRIORITY,
			     SLA_EFFECT_RECOMPUTE, N_CARD_UPDATE | N_ENGINEERS_AGENT },
	[EV_FORECAST_OPEN] = { FROM_NONE, BY_SYSTEM, TICKET_NEW, ASSIGNEE_NONE, HISTORY_OPENED,
			       SLA_EFFECT_START, N_CARD_POST | N_FORECAST_OWNERS },
};

static const char *const event_names[TICKET_EVENT_COUNT] = {
	[EV_OPEN] = "open", [EV_MESSAGE] = "message", [EV_CLAIM] = "claim",
	[EV_RELEASE] = "release", [EV_REPLY] = "reply", [EV_NOTE] = "note",
	[EV_RESOLVE] = "resolve", [EV_CONFIRM] = "confirm", [EV_REOPEN] = "reopen",
	[EV_RATE] = "rate", [EV_PRIORITY] = "priority", [EV_KB_DECLINED] = "kb_declined",
	[EV_AGENT_OPEN] = "agent_open", [EV_AGENT_UPDATE] = "agent_update",
	[EV_RECOVER] = "recover", [EV_AUTO_RESOLVE] = "auto_resolve",
	[EV_SLA_WARNING] = "sla_warning", [EV_ESCALATE] = "escalate", [EV_REQUEUE] = "requeue",
	[EV_CASHIER_MOVED] = "cashier_moved", [EV_AGENT_RAISE] = "agent_raise",
	[EV_FORECAST_OPEN] = "forecast_open",
};

const char *ticket_event_name(enum ticket_event ev)
{
	return (unsigned)ev < TICKET_EVENT_COUNT ? event_names[ev] : "?";
}

/* One application: the rule, the ticket before it and what it becomes. */
struct change {
	struct dialog *d;
	const struct rule *r;
	const struct actor *who;
	const struct event_args *a;
	struct ticket_row t;       /* before; its strings are blank */
	enum ticket_status to;
	int64_t assignee;
	int priority;
	/* Its cashier wrote by e-mail: their notices are letters (mail/answer.h). */
	bool by_mail, mail_reachable;
};

static int64_t actor_id(const struct actor *who)
{
	return who->kind == ACTOR_PERSON ? who->person->id : 0;
}

/* What who is to ticket t. A disabled person is nobody. */
static unsigned capacities(const struct actor *who, const struct ticket_row *t)
{
	const struct person *p = who->person;
	unsigned caps = 0;
	if (who->kind == ACTOR_SYSTEM)
		return BY_SYSTEM;
	if (who->kind == ACTOR_AGENT)
		return t->till_id && t->till_id == who->till_id ? BY_AGENT : 0;
	if (p->disabled)
		return 0;
	switch (p->role) {
	case ROLE_CASHIER:
		return t->cashier_id == p->id && t->store_id == p->store_id ? BY_CASHIER : 0;
	case ROLE_ADMIN:
	case ROLE_ENGINEER:
		/* An admin is an engineer too. */
		caps = p->role == ROLE_ADMIN ? BY_ADMIN | BY_ENGINEER : BY_ENGINEER;
		if (t->assignee_id && t->assignee_id == p->id)
			caps |= BY_ASSIGNEE;
		return caps;
	case ROLE_OWNER:
		break;
	}
	return 0;
}

/*
 * The ticket a new one will be, for the open events: its cashier is the
 * person opening it, its till the agent's.
 */
static void ticket_to_be(struct ticket_row *t, const struct actor *who, const struct event_args *a)
{
	memset(t, 0, sizeof(*t));
	t->store_id = a->store_id;
	t->till_id = a->till_id;
	if (who->kind == ACTOR_PERSON && who->person->role == ROLE_CASHIER) {
		t->cashier_id = who->person->id;
		t->store_id = who->person->store_id;
	}
}

/*
 * The table's verdict on c (its ticket loaded): 0, ENGINE_EDENIED when
 * nothing the actor is would ever do (an assignee is an engineer in
 * waiting), ENGINE_ESTALE when the status or the assignment is wrong now.
 */
static int verdict(struct change *c, bool exists)
{
	unsigned caps = capacities(c->who, &c->t);
	unsigned kin = c->r->actors & BY_ASSIGNEE ? c->r->actors | BY_ENGINEER : c->r->actors;
	if (!(caps & kin))
		return ENGINE_EDENIED;
	unsigned status = exists ? FROM(c->t.status) : FROM_NONE;
	if (!(c->r->from & status) || !(caps & c->r->actors))
		return ENGINE_ESTALE;
	if (c->r->once && db_ticket_has_event(c->d->db, c->t.id, c->r->history))
		return ENGINE_ESTALE;
	return 0;
}

static int load(struct change *c, enum ticket_event ev, int64_t ticket_id)
{
	if ((unsigned)ev >= TICKET_EVENT_COUNT)
		return TD_ERR;  /* no such row: the caller's bug, not a refusal */
	c->r = &rules[ev];
	if (c->r->from & FROM_NONE) {
		ticket_to_be(&c->t, c->who, c->a);
		return verdict(c, false);
	}
	int rc = dialog_ticket_load(c->d, ticket_id, &c->t);
	return rc ? rc : verdict(c, true);
}

int engine_check(struct dialog *d, enum ticket_event ev, const struct actor *who,
		 int64_t ticket_id)
{
	const struct event_args none = { 0 };
	struct change c = { .d = d, .who = who, .a = &none };
	return load(&c, ev, ticket_id);
}

/* ---- the notices ---- */

/* The card's message id in the ticket's engineers' chat, 0 when it is not known (yet). */
static int64_t card_message(struct dialog *d, int64_t ticket_id)
{
	int64_t id = 0, chat = dialog_ticket_chat(d, ticket_id);
	if (chat)
		db_link_message(d->db, ticket_id, link_role_name(LINK_CARD), chat, &id);
	return id;
}

/* The cashier's words still waiting for the engineer who let the ticket go: the group's, under the card. */
static int relays_back(struct dialog *d, int64_t ticket_id, int64_t engineer_id)
{
	struct person p;
	int64_t chat = dialog_ticket_chat(d, ticket_id);
	int rc = dialog_person_by_id(d, engineer_id, &p);
	if (rc)
		return rc == TD_ENOTFOUND ? 0 : rc;
	if (!chat || !p.tg_user_id)
		return 0;
	return db_relay_move(d->db, ticket_id, p.tg_user_id, chat, card_message(d, ticket_id));
}

/* Who acted, for the notices that name them; the table lets only people reach those. */
static const char *actor_name(const struct change *c)
{
	return c->who->kind == ACTOR_PERSON ? c->who->person->name : "";
}

static const char *words(const struct change *c)
{
	return c->a->body ? c->a->body : "";
}

/*
 * The cashier's notice: a letter on the ticket's thread (they wrote by
 * e-mail), an edit of the message they pressed, or a new message.
 */
static int tell_cashier(struct change *c, enum link_role pressed, const struct buf *parts,
			const char *kind)
{
	if (c->by_mail)
		return mail_answer(c->d, c->t.id, kind, parts, ANSWER_ASK_NONE);
	if (c->a->pressed)
		return reply_edit_parts(c->d, c->a->chat_id, c->t.id, link_role_name(pressed), parts, NULL);
	return reply_say_parts(c->d, c->a->chat_id ? c->a->chat_id : c->t.cashier_tg, parts, NULL, 0,
			       c->t.id, NULL);
}

/* A file (Telegram file_id) with a composed caption. */
static int say_attachment(struct dialog *d, int64_t chat, const struct event_args *a,
			  const struct buf *caption, int64_t reply_to, int64_t ticket_id)
{
	return reply_file_parts(d, chat, a->photo ? NOTICE_PHOTO : NOTICE_DOCUMENT,
			  a->photo ? a->photo : a->document, caption, reply_to, ticket_id,
			  link_role_name(LINK_RELAY));
}

/* «💬 №N, кассир NAME»: whose words or file in the engineers' chat, and for which ticket. */
static void cashier_says(const struct change *c, struct buf *b)
{
	notice_arg_msg(b, MSG_BOT_CASHIER_SAYS, (long long)c->t.id, actor_name(c));
}

static int notice_file_to_engineers(struct change *c, struct buf *b)
{
	int64_t chat = dialog_ticket_chat(c->d, c->t.id);
	if (!(c->a->photo || c->a->document) || !chat)
		return 0;
	/*
	 * The card is not sent yet, so the file cannot answer it: its caption
	 * says which ticket it belongs to (the words are on the card).
	 */
	cashier_says(c, b);
	return say_attachment(c->d, chat, c->a, b, 0, c->t.id);
}

static int notice_cashier_opened(struct change *c, struct buf *b)
{
	char data[2][32];
	int rc;
	notice_arg_msg(b, MSG_BOT_TICKET_OPENED, (long long)c->t.id);
	if ((rc = sla_watch_promise(c->d, c->t.id, "\n", b)))
		return rc;
	/* By e-mail the priority is not asked: the letter says the number and the deadlines. */
	if (c->by_mail)
		return mail_answer(c->d, c->t.id, "opened", b, ANSWER_ASK_NONE);
	notice_arg_msg(b, MSG_BOT_TILL_WORKS_Q);
	button_data(data[0], sizeof(data[0]), VERB_PRIORITY, c->t.id, 3);
	button_data(data[1], sizeof(data[1]), VERB_PRIORITY, c->t.id, 1);
	struct notice_actions *kb = reply_keyboard_row(2, (const char *[]){ msg(MSG_BTN_TILL_WORKS), msg(MSG_BTN_TILL_DOWN) },
						       (const char *[]){ data[0], data[1] });
	return reply_say_parts(c->d, c->a->chat_id, b, kb, c->a->reply_to, c->t.id,
			       link_role_name(LINK_QUESTION));
}

static int notice_cashier_claimed(struct change *c, struct buf *b)
{
	notice_arg_msg(b, MSG_BOT_CLAIMED, (long long)c->t.id, actor_name(c));
	if (c->by_mail)
		return mail_answer(c->d, c->t.id, "claimed", b, ANSWER_ASK_NONE);
	return reply_say_parts(c->d, c->t.cashier_tg, b, NULL, 0, c->t.id, link_role_name(LINK_RELAY));
}

static int notice_cashier_reply(struct change *c, struct buf *b)
{
	/* Disabled, or moved to another store: the words stay in the history only. */
	if (c->by_mail ? !c->mail_reachable : c->t.cashier_id && !c->t.cashier_tg)
		return reply_msg(c->d, c->a->chat_id ? c->a->chat_id : dialog_ticket_chat(c->d, c->t.id),
				 MSG_BOT_CASHIER_UNREACHABLE, (long long)c->t.id);
	notice_arg_msg(b, MSG_BOT_ENGINEER_SAYS, (long long)c->t.id, actor_name(c));
	notice_arg_markup(b, ":\n");
	notice_arg_text(b, words(c));
	if (c->by_mail) {
		/* The file stays in Telegram: the letter says there is one. */
		if (c->a->photo || c->a->document)
			notice_arg_msg(b, MSG_MAIL_IN_FILE_IN_DESK);
		return mail_answer(c->d, c->t.id, "reply", b, ANSWER_ASK_NONE);
	}
	if (c->a->photo || c->a->document)
		return say_attachment(c->d, c->t.cashier_tg, c->a, b, 0, c->t.id);
	return reply_say_parts(c->d, c->t.cashier_tg, b, NULL, 0, c->t.id, link_role_name(LINK_RELAY));
}

static int notice_cashier_resolved(struct change *c, struct buf *b)
{
	char data[2][32];
	notice_arg_msg(b, MSG_BOT_RESOLVED, (long long)c->t.id);
	notice_arg_text(b, words(c));
	if (c->by_mail)
		return mail_answer(c->d, c->t.id, "resolved", b, ANSWER_ASK_CONFIRM);
	button_data(data[0], sizeof(data[0]), VERB_CONFIRM, c->t.id, 0);
	button_data(data[1], sizeof(data[1]), VERB_REOPEN, c->t.id, 0);
	struct notice_actions *kb = reply_keyboard_row(2, (const char *[]){ msg(MSG_BTN_WORKS), msg(MSG_BTN_STILL_BROKEN) },
						       (const char *[]){ data[0], data[1] });
	return reply_say_parts(c->d, c->t.cashier_tg, b, kb, 0, c->t.id, link_role_name(LINK_CONFIRM));
}

static int notice_cashier_confirmed(struct change *c, struct buf *b)
{
	char data[5][32];
	int rc;
	notice_arg_msg(b, MSG_BOT_CONFIRMED, (long long)c->t.id);
	if ((rc = tell_cashier(c, LINK_CONFIRM, b, "confirmed")))
		return rc;
	buf_reset(b);
	notice_arg_msg(b, MSG_BOT_RATE, (long long)c->t.id);
	if (c->by_mail)
		return mail_answer(c->d, c->t.id, "rate", b, ANSWER_ASK_RATE);
	for (int i = 0; i < 5; i++)
		button_data(data[i], sizeof(data[i]), VERB_RATE, c->t.id, i + 1);
	struct notice_actions *kb = reply_keyboard_row(5, (const char *[]){ "1", "2", "3", "4", "5" },
						       (const char *[]){ data[0], data[1], data[2], data[3], data[4] });
	return reply_say_parts(c->d, c->a->chat_id ? c->a->chat_id : c->t.cashier_tg, b, kb, 0, c->t.id,
			       link_role_name(LINK_RATING));
}

static int notice_cashier_priority(struct change *c, struct buf *b)
{
	int rc;
	notice_arg_msg(b, c->priority == 1 ? MSG_BOT_PRIORITY_DOWN : MSG_BOT_PRIORITY_NORMAL, (long long)c->t.id);
	if ((rc = sla_watch_promise(c->d, c->t.id, "\n", b)))
		return rc;
	return tell_cashier(c, LINK_QUESTION, b, "priority");
}

#define STORE_NAME_MAX 128

static int store_name(const struct store_row *s, void *arg)
{
	utf8_snprintf(arg, STORE_NAME_MAX, "%s", s->name);
	return 1;
}

/*
 * «💬 №N · STORE · кассир NAME» and the words or file, in the assignee's
 * private chat (bot/relay.h), remembered there as the ticket's relay so
 * that a reply to it is their answer; the card counts it.
 */
static int to_assignee(struct change *c, struct buf *b, int64_t chat)
{
	char store[STORE_NAME_MAX] = "";
	int rc = db_store_get(c->d->db, c->t.store_id, store_name, store);
	if (rc < 0)
		return rc;
	notice_arg_msg(b, MSG_BOT_CASHIER_SAYS_PRIVATE, (long long)c->t.id, store, actor_name(c));
	notice_arg_markup(b, ":\n");
	notice_arg_text(b, words(c));
	if (c->a->photo || c->a->document)
		rc = say_attachment(c->d, chat, c->a, b, 0, c->t.id);
	else
		rc = reply_say_parts(c->d, chat, b, NULL, 0, c->t.id, link_role_name(LINK_RELAY));
	return rc ? rc : relay_counted(c->d, c->t.id);
}

static int notice_engineers_message(struct change *c, struct buf *b)
{
	int64_t assignee, chat = dialog_ticket_chat(c->d, c->t.id);
	if (!chat)
		return 0;
	int rc = relay_chat(c->d, c->assignee, chat, &assignee);
	if (rc || assignee)
		return rc ? rc : to_assignee(c, b, assignee);
	int64_t card = card_message(c->d, c->t.id);
	cashier_says(c, b);
	notice_arg_markup(b, ":\n");
	notice_arg_text(b, words(c));
	if (c->a->photo || c->a->document)
		return say_attachment(c->d, chat, c->a, b, card, c->t.id);
	return reply_say_parts(c->d, chat, b, NULL, card, c->t.id, link_role_name(LINK_RELAY));
}

/* A catalogue message to the engineers about the ticket, under its card, with the escaped words. */
static int tell_engineers(struct change *c, struct buf *b, enum msg_id id, const char *words)
{
	int64_t card = card_message(c->d, c->t.id);
	notice_arg_msg(b, id, (long long)c->t.id, "");
	if (words)
		notice_arg_text(b, words);
	return reply_say_parts(c->d, dialog_ticket_chat(c->d, c->t.id), b, NULL, card, c->t.id, NULL);
}

static enum sla_notice sla_notice_of(const struct change *c)
{
	return c->r->history == HISTORY_SLA_BREACH ? SLA_BREACH : SLA_WARNING;
}

static int notice(struct change *c, unsigned which)
{
	struct dialog *d = c->d;
	struct buf b = BUF_INIT(TEXT_MAX);
	int rc = 0;
	switch (which) {
	case N_CARD_POST: rc = card_post(d, c->t.id); break;
	case N_CARD_UPDATE: rc = card_update(d, c->t.id); break;
	case N_FILE_TO_ENGINEERS: rc = notice_file_to_engineers(c, &b); break;
	case N_CASHIER_OPENED: rc = notice_cashier_opened(c, &b); break;
	case N_CASHIER_CLAIMED: rc = notice_cashier_claimed(c, &b); break;
	case N_CASHIER_REPLY: rc = notice_cashier_reply(c, &b); break;
	case N_CASHIER_RESOLVED: rc = notice_cashier_resolved(c, &b); break;
	case N_CASHIER_CONFIRMED: rc = notice_cashier_confirmed(c, &b); break;
	case N_CASHIER_REOPENED:
		notice_arg_msg(&b, MSG_BOT_REOPENED, (long long)c->t.id);
		rc = tell_cashier(c, LINK_CONFIRM, &b, "reopened");
		break;
	case N_CASHIER_RATED:
		notice_arg_msg(&b, MSG_BOT_THANKS, c->a->score);
		rc = tell_cashier(c, LINK_RATING, &b, "rated");
		break;
	case N_CASHIER_PRIORITY: rc = notice_cashier_priority(c, &b); break;
	case N_ENGINEERS_MESSAGE: rc = notice_engineers_message(c, &b); break;
	case N_ENGINEERS_RESOLVED:
		rc = reply_msg(d, dialog_ticket_chat(d, c->t.id), MSG_BOT_RESOLVED_NOTE, (long long)c->t.id);
		break;
	case N_ENGINEERS_REOPENED:
		rc = reply_msg(d, dialog_ticket_chat(d, c->t.id), MSG_BOT_REOPENED_NOTE, (long long)c->t.id);
		break;
	case N_ENGINEERS_REQUEUED:
		rc = tell_engineers(c, &b, MSG_BOT_REQUEUED_NOTE, c->a->name);
		break;
	case N_ENGINEERS_CASHIER_MOVED:
		rc = tell_engineers(c, &b, MSG_BOT_CASHIER_MOVED_NOTE, c->a->name);
		break;
	case N_ENGINEERS_AGENT:
		rc = tell_engineers(c, &b, MSG_ENGINE_AGENT_SAYS, c->a->body);
		break;
	case N_ENGINEERS_RECOVERED:
		rc = tell_engineers(c, &b, MSG_ENGINE_AGENT_RECOVERED, NULL);
		break;
	case N_ENGINEERS_AUTO_RESOLVED:
		rc = tell_engineers(c, &b, MSG_ENGINE_AUTO_RESOLVED, NULL);
		break;
	case N_SLA_ENGINEERS: rc = sla_watch_tell(d, c->a->timer, sla_notice_of(c), false); break;
	case N_SLA_OWNERS: rc = sla_watch_tell(d, c->a->timer, sla_notice_of(c), true); break;
	case N_FORECAST_OWNERS: rc = forecast_tell_owners(d, c->t.id); break;
	case N_ASSIGNEE_CARD: rc = card_to_assignee(d, c->t.id, c->assignee); break;
	}
	buf_release(&b);
	return rc;
}

/* ---- applying ---- */

/* The history kind written: a message's follows its file. */
static enum history_kind history_of(const struct change *c)
{
	if (c->r->history != HISTORY_MESSAGE)
		return c->r->history;
	return c->a->photo ? HISTORY_PHOTO : c->a->document ? HISTORY_FILE : HISTORY_MESSAGE;
}

static void decide(struct change *c)
{
	/* Only opening and the priority event set it, and only to a priority there is. */
	bool sets = c->r->history == HISTORY_PRIORITY || (c->r->from & FROM_NONE);
	bool valid = c->a->priority >= 1 && c->a->priority <= 4;
	c->priority = sets && valid ? c->a->priority : c->t.priority ? c->t.priority : 3;
	switch (c->r->assignee) {
	case ASSIGNEE_KEEP:
		/* An assignee whose access was revoked does not get a reopened ticket back. */
		c->assignee = c->r->to == TO_REOPENED && c->t.assignee_disabled ? 0 : c->t.assignee_id;
		break;
	case ASSIGNEE_ACTOR: c->assignee = actor_id(c->who); break;
	case ASSIGNEE_NONE: c->assignee = 0; break;
	}
	if (c->r->to == TO_SAME)
		c->to = c->t.status;
	else if (c->r->to == TO_REOPENED)
		c->to = c->assignee ? TICKET_CLAIMED : TICKET_NEW;
	else
		c->to = (enum ticket_status)c->r->to;
}

/* Opens the ticket: its "opened" row is written with it. */
static int open_ticket(struct change *c)
{
	struct ticket_new n = {
		.store_id = c->t.store_id, .till_id = c->t.till_id, .cashier_id = c->t.cashier_id,
		/* A ticket nobody reported is the equipment's (no 'system' source exists). */
		.source = c->who->kind != ACTOR_PERSON ? "agent" : c->a->source ? c->a->source : "telegram",
		.title = c->a->title, .priority = c->priority, .kb_article_id = c->a->kb_article_id,
		/* Its engineers are its article's: the card is posted in their chat. */
		.route = dialog_article_route(c->d, c->a->kb_article_id),
		.body = c->a->body,
	};
	int rc = db_ticket_open(c->d->db, &c->t.id, &n, c->d->now);
	if (!rc && c->a->out_id)
		*c->a->out_id = c->t.id;
	return rc;
}

static const char *body_of(const struct change *c, char *score, size_t n)
{
	if (c->a->history)
		return NULL;  /* the words are a catalogue message: words_of() */
	if (c->r->history == HISTORY_RATED) {
		snprintf(score, n, "%d", c->a->score);
		return score;
	}
	if (c->a->timer)
		return sla_kind_name(c->a->timer->kind);
	/* A file without words is marked in the history. */
	if (!(c->a->body && *c->a->body) && (c->a->photo || c->a->document))
		return msg(c->a->photo ? MSG_BOT_PHOTO_MARK : MSG_BOT_FILE_MARK);
	return c->a->body;
}

/* The history row's words: body_of()'s text, or the catalogue message the event brings. */
static struct history_words words_of(const struct change *c, char *score, size_t n)
{
	const struct event_msg *m = c->a->history;
	if (m)
		return (struct history_words){ .msg_key = msg_key(m->id), .args = m->args };
	return (struct history_words){ .body = body_of(c, score, n) };
}

int engine_apply(struct dialog *d, enum ticket_event ev, const struct actor *who,
		 int64_t ticket_id, const struct event_args *args)
{
	const struct event_args none = { 0 };
	struct change c = { .d = d, .who = who, .a = args ? args : &none };
	char score[8];
	int rc = load(&c, ev, ticket_id);
	if (rc)
		return rc;
	decide(&c);
	const struct history_words w = words_of(&c, score, sizeof(score));
	if (c.r->from & FROM_NONE) {
		rc = open_ticket(&c);
		if (!rc && c.a->opened)
			rc = c.a->opened(d, c.t.id, c.a->opened_arg);
	}
	else
		rc = db_ticket_event_words(d->db, c.t.id, d->now, actor_id(who), history_of(&c), c.to,
					   c.priority, c.assignee, &w);
	/* Back in the queue: its conversation is the group's again, and the card's count starts anew. */
	if (!rc && c.t.assignee_id && !c.assignee && !(c.r->from & FROM_NONE) &&
	    !(rc = db_relay_reset(d->db, c.t.id)))
		rc = relays_back(d, c.t.id, c.t.assignee_id);
	if (!rc && c.r->clears_state && actor_id(who))
		rc = db_state_clear(d->db, actor_id(who));
	if (!rc)
		rc = sla_watch_apply(d, c.t.id, c.r->sla);
	if (!rc && (c.r->notices & N_TO_CASHIER))
		rc = mail_answer_thread(d, c.t.id, &c.by_mail, &c.mail_reachable);
	for (unsigned bit = 1; !rc && bit && bit <= c.r->notices; bit <<= 1)
		if (c.r->notices & bit)
			rc = notice(&c, bit);
	if (!rc)
		log_debug("engine: ticket %lld: %s -> %s", (long long)c.t.id, ticket_event_name(ev),
			  ticket_status_name(c.to));
	return rc;
}
