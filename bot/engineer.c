/*
 * engineer.c - the engineers' side, in their group chat: claim, release,
 * close with a resolution, talk to the cashier by replying, notes, the
 * queue; and in an engineer's private chat with the bot, where the
 * conversations of their tickets follow them (bot/relay.h). And the
 * buttons of both sides.
 */
#include "bot/engine.h"
#include "bot/newlist.h"
#include "core/clock.h"
#include "storage/card_lists.h"
#include "storage/chain.h"
#include "storage/outbox.h"
#include "storage/ticket.h"

#define TEXT_MAX (64u << 10)

/* Who the engineers' chat listens to; what each may do to a ticket is the engine's. */
static bool is_staff(const struct person *p)
{
	return p->role == ROLE_ENGINEER || p->role == ROLE_ADMIN;
}

static bool refused(int rc)
{
	return rc == ENGINE_EDENIED || rc == ENGINE_ESTALE;
}

/* Closes ticket id with text; a refusal is told in chat, where the engineer wrote. */
static int resolve(struct dialog *d, int64_t chat, const struct person *p, int64_t id,
		   const char *text)
{
	const struct actor who = actor_person(p);
	const struct event_args a = { .body = text };
	int rc = engine_apply(d, EV_RESOLVE, &who, id, &a);
	if (rc == TD_ENOTFOUND)
		return reply_msg(d, chat, MSG_BOT_NO_SUCH_TICKET);
	return refused(rc) ? reply_msg(d, chat, MSG_BOT_CANNOT_CLOSE, (long long)id) : rc;
}

/* An engineer's reply (text, photo, document) goes to the cashier. */
static int relay_to_cashier(struct dialog *d, const struct person *p, int64_t id,
			    const struct tg_update *u)
{
	const struct actor who = actor_person(p);
	const struct event_args a = {
		.body = u->text, .photo = u->photo, .document = u->document, .chat_id = u->chat_id,
	};
	int rc = engine_apply(d, EV_REPLY, &who, id, &a);
	return refused(rc) ? reply_msg(d, u->chat_id, MSG_BOT_TICKET_IS_CLOSED, (long long)id) : rc;
}

/* Lines of /queue and /mine: one message, the nearest deadlines; the rest are counted. */
#define QUEUE_SHOWN 30

struct queue_ctx {
	struct buf *b;
	int64_t now;
	int n;      /* every open ticket, shown or not */
};

/* One row of the list: catalogue pieces and the ticket's fields, rendered at send time. */
static int queue_line(const struct ticket_row *r, void *arg)
{
	struct queue_ctx *q = arg;
	struct buf row = BUF_INIT(16384);
	notice_arg_msg(&row, MSG_BOT_QUEUE_LINE, (long long)r->id, r->priority, "");
	notice_arg_text(&row, r->store);
	notice_arg_markup(&row, " — ");
	if (*r->assignee)
		notice_arg_text(&row, r->assignee);
	else
		notice_arg_msg(&row, MSG_STATUS_NEW);
	if (r->due_at && r->due_at <= q->now) {
		notice_arg_msg(&row, MSG_BOT_QUEUE_OVERDUE);
		notice_arg_span(&row, q->now - r->due_at);
	} else if (r->breached) {
		notice_arg_msg(&row, MSG_BOT_QUEUE_BREACHED);
	}
	if (r->due_at > q->now) {
		notice_arg_msg(&row, MSG_BOT_QUEUE_DUE);
		notice_arg_span(&row, r->due_at - q->now);
	}
	notice_arg_markup(&row, "\n    ");
	notice_arg_text(&row, r->title);
	notice_arg_markup(&row, "\n");
	int rc = row.failed ? TD_ENOMEM : notice_arg_list(q->b, buf_cstr(&row));
	buf_release(&row);
	return rc;
}

/* /queue (assignee 0: the tickets whose chat is chat) or /mine (theirs, in every chat), in chat. */
static int show_queue(struct dialog *d, int64_t chat, int64_t assignee)
{
	struct buf b = BUF_INIT(1u << 20);
	struct queue_ctx q = { &b, d->now, 0 };
	struct ticket_routes routes;
	/* An engineer's private chat is no group's: its /queue is every ticket. */
	bool part = dialog_in_engineers_chat(d, chat) && dialog_chat_routes(d, chat, &routes);
	notice_arg_msg(&b, assignee ? MSG_BOT_MINE_HEAD : MSG_BOT_QUEUE_HEAD);
	int rc = db_ticket_queue_routed(d->db, assignee, part ? &routes : NULL, QUEUE_SHOWN, &q.n,
					queue_line, &q);
	if (!rc && !q.n) {
		buf_reset(&b);
		notice_arg_msg(&b, MSG_BOT_QUEUE_EMPTY);
	} else if (q.n > QUEUE_SHOWN) {
		notice_arg_msg(&b, MSG_BOT_QUEUE_MORE, q.n - QUEUE_SHOWN, q.n);
	}
	if (!rc)
		rc = reply_say_parts(d, chat, &b, NULL, 0, 0, NULL);
	buf_release(&b);
	return rc;
}

static int history_line(const struct ticket_event_row *e, void *arg)
{
	struct buf *b = arg;
	char at[32];
	clock_format_utc(at, sizeof(at), e->at);
	notice_arg_text(b, at);
	notice_arg_markup(b, " · <b>");
	notice_arg_text(b, e->kind);
	notice_arg_markup(b, "</b> · ");
	notice_arg_text(b, *e->actor ? e->actor : "—");
	enum msg_id id;
	/* The desk's own words are rendered in the reader's language, when the notice is sent. */
	if (*e->msg_key && !msg_by_key(&id, e->msg_key)) {
		notice_arg_markup(b, ": ");
		notice_arg_msg_parts(b, id, e->args);
	} else if (*e->msg_key || *e->body) {
		notice_arg_markup(b, ": ");
		notice_arg_text(b, *e->body ? e->body : e->msg_key);  /* an unknown key: say which */
	}
	notice_arg_markup(b, "\n");
	return 0;
}

static int show_ticket(struct dialog *d, int64_t chat, int64_t id)
{
	struct buf b = BUF_INIT(1u << 20);
	struct ticket_row t;
	int rc = dialog_ticket_load(d, id, &t);
	if (rc == TD_ENOTFOUND)
		rc = reply_msg(d, chat, MSG_BOT_NO_SUCH_TICKET);
	else if (!rc) {
		notice_arg_msg(&b, MSG_BOT_HISTORY_HEAD, (long long)id);
		if (!(rc = db_ticket_history(d->db, id, history_line, &b)))
			rc = reply_say_parts(d, chat, &b, NULL, 0, 0, NULL);
	}
	buf_release(&b);
	return rc;
}

/* Parses "N rest" after a command: the ticket number and the rest. */
static bool ticket_and_text(const char *arg, int64_t *id, const char **rest)
{
	long long n;
	char num[24];
	size_t len = strcspn(arg, " \n");
	if (arg[0] == '#' || !strncmp(arg, "№", strlen("№"))) {
		arg += arg[0] == '#' ? 1 : strlen("№");
		len = strcspn(arg, " \n");
	}
	if (!len || len >= sizeof(num))
		return false;
	memcpy(num, arg, len);
	num[len] = '\0';
	if (parse_int(&n, num, 1, INT64_MAX))
		return false;
	*id = n;
	*rest = arg + len;
	while (**rest == ' ' || **rest == '\n')
		(*rest)++;
	return true;
}

static int engineer_command(struct dialog *d, const struct person *p, const struct tg_update *u)
{
	const char *arg, *rest;
	int64_t id, chat = u->chat_id;  /* answered where it was asked */
	int rc;

	if (dialog_command_arg(u->text, "/queue"))
		return show_queue(d, chat, 0);
	if (dialog_command_arg(u->text, "/mine"))
		return show_queue(d, chat, p->id);
	if (dialog_command_arg(u->text, "/help") || dialog_command_arg(u->text, "/start"))
		return reply_msg(d, chat, MSG_BOT_ENGINEER_HELP);
	if ((arg = dialog_command_arg(u->text, "/kb")))
		return advice_search(d, u, arg);
	if ((arg = dialog_command_arg(u->text, "/ticket"))) {
		if (!ticket_and_text(arg, &id, &rest))
			return reply_msg(d, chat, MSG_BOT_USAGE_TICKET);
		return show_ticket(d, chat, id);
	}
	if ((arg = dialog_command_arg(u->text, "/note"))) {
		if (!ticket_and_text(arg, &id, &rest) || !*rest)
			return reply_msg(d, chat, MSG_BOT_USAGE_NOTE);
		const struct actor who = actor_person(p);
		const struct event_args a = { .body = rest };
		if ((rc = engine_apply(d, EV_NOTE, &who, id, &a)) == TD_ENOTFOUND)
			return reply_msg(d, chat, MSG_BOT_NO_SUCH_TICKET);
		if (refused(rc))
			return reply_msg(d, chat, MSG_BOT_ENGINEERS_ONLY);
		return rc ? rc : reply_msg(d, chat, MSG_BOT_NOTE_ADDED, (long long)id);
	}
	if ((arg = dialog_command_arg(u->text, "/close"))) {
		if (!ticket_and_text(arg, &id, &rest) || !*rest)
			return reply_msg(d, chat, MSG_BOT_USAGE_CLOSE);
		return resolve(d, chat, p, id, rest);
	}
	/* «Отказаться» where there is no card to press it on: a ticket taken from a list. */
	if ((arg = dialog_command_arg(u->text, "/release"))) {
		if (!ticket_and_text(arg, &id, &rest) || *rest)
			return reply_msg(d, chat, MSG_BOT_USAGE_RELEASE);
		const struct actor who = actor_person(p);
		if ((rc = engine_apply(d, EV_RELEASE, &who, id, NULL)) == TD_ENOTFOUND)
			return reply_msg(d, chat, MSG_BOT_NO_SUCH_TICKET);
		if (refused(rc))
			return reply_msg(d, chat, MSG_BOT_NOT_YOURS);
		return rc ? rc : reply_msg(d, chat, MSG_BOT_RELEASED, (long long)id);
	}
	return reply_msg(d, chat, MSG_BOT_UNKNOWN_COMMAND);
}

/*
 * A reply to «Новые заявки» (bot/newlist.h) is for the ticket whose line
 * it quotes; *ticket 0 (and the engineer told how) when it quotes none.
 */
static int list_reply(struct dialog *d, const struct tg_update *u, int64_t *ticket)
{
	int64_t list, tickets[NEWLIST_MAX];
	size_t n;
	int rc = db_list_by_message(d->db, u->chat_id, u->reply_to, &list);
	if (!rc)
		rc = db_list_tickets(d->db, list, tickets, NEWLIST_MAX, &n);
	if (!rc)
		rc = newlist_quoted(d->db, tickets, n, u->quote, ticket);
	if (rc == TD_ENOTFOUND) {
		*ticket = 0;
		return reply_say(d, u->chat_id, msg(MSG_BOT_LIST_QUOTE), NULL, u->message_id, 0, NULL);
	}
	return rc;
}

/*
 * A reply to one of a ticket's messages in the chat u came from: the
 * resolution, to the question asking for it; otherwise words to its
 * cashier. *handled unless it replies to no ticket's message.
 */
static int ticket_reply(struct dialog *d, const struct person *p, const struct tg_update *u,
			bool *handled)
{
	struct ticket_row t;
	char role[16];
	enum link_role link;
	int64_t ticket;
	*handled = u->reply_to && !db_link_find(d->db, u->chat_id, u->reply_to, &ticket, role, sizeof(role)) &&
		   !dialog_ticket_load(d, ticket, &t);
	if (!*handled)
		return 0;
	bool known = !link_role_parse(&link, role);
	if (known && link == LINK_LIST) {
		int rc = list_reply(d, u, &ticket);
		if (rc || !ticket || (rc = dialog_ticket_load(d, ticket, &t)))
			return rc == TD_ENOTFOUND ? reply_msg(d, u->chat_id, MSG_BOT_NO_SUCH_TICKET) : rc;
	}
	if (known && link == LINK_RESOLUTION)
		return *u->text ? resolve(d, u->chat_id, p, t.id, u->text) :
			reply_msg(d, u->chat_id, MSG_BOT_USAGE_CLOSE);
	return relay_to_cashier(d, p, t.id, u);
}

struct numbers {
	struct buf *b;
	int n;
};

/* «Ваши заявки в работе: №3, №7» */
static int ticket_number(const struct ticket_row *r, void *arg)
{
	struct numbers *l = arg;
	if (l->n++)
		notice_arg_markup(l->b, ", ");
	else
		notice_arg_msg(l->b, MSG_BOT_ENGINEER_PRIVATE_MINE);
	notice_arg_msg(l->b, MSG_BOT_ENGINEER_PRIVATE_TICKET, (long long)r->id);
	return 0;
}

/* How to answer in the private chat, and the numbers of the engineer's tickets in progress. */
static int private_help(struct dialog *d, const struct person *p, int64_t chat)
{
	struct buf b = BUF_INIT(TEXT_MAX);
	struct numbers l = { &b, 0 };
	int total;
	notice_arg_msg(&b, MSG_BOT_ENGINEER_PRIVATE_HELP);
	int rc = db_ticket_queue(d->db, p->id, QUEUE_SHOWN, &total, ticket_number, &l);
	if (!rc && !l.n)
		notice_arg_msg(&b, MSG_BOT_ENGINEER_PRIVATE_NONE);
	if (!rc)
		rc = reply_say_parts(d, chat, &b, NULL, 0, 0, NULL);
	buf_release(&b);
	return rc;
}

int engineer_private(struct dialog *d, const struct person *p, const struct tg_update *u)
{
	bool handled;
	int rc;
	if (dialog_command_arg(u->text, "/start") || dialog_command_arg(u->text, "/help"))
		return private_help(d, p, u->chat_id);
	if (u->text[0] == '/')
		return engineer_command(d, p, u);
	if ((rc = ticket_reply(d, p, u, &handled)) || handled)
		return rc;
	return private_help(d, p, u->chat_id);
}

int engineer_handle(struct dialog *d, const struct tg_update *u)
{
	struct person p;
	enum dialog_state state;
	int64_t state_ticket;
	bool handled;
	int rc = dialog_person(d, u->from_id, &p);

	if (rc == TD_ENOTFOUND || (!rc && !is_staff(&p)))
		return 0;  /* others in the group talk among themselves */
	if (rc)
		return rc;
	/* Chatter is theirs; what would reach the bot (a command, a reply to its message) is refused. */
	if (p.disabled)
		return u->text[0] == '/' || u->reply_to ? access_refuse(d, u) : 0;
	if (u->text[0] == '/')
		return engineer_command(d, &p, u);
	bool resolving = !dialog_state(d, p.id, &state, &state_ticket) && state == STATE_RESOLUTION;
	if ((rc = ticket_reply(d, &p, u, &handled)) || handled)
		return rc;
	if (!resolving)
		return 0;
	/* The words after «Закрыть» are the resolution, if the engine still lets them close it. */
	const struct actor who = actor_person(&p);
	if (*u->text && !engine_check(d, EV_RESOLVE, &who, state_ticket))
		return resolve(d, u->chat_id, &p, state_ticket, u->text);
	return db_state_clear(d->db, p.id);  /* stale: chatter is chatter again */
}

/* ---- buttons ---- */

int engineer_press(struct dialog *d, const struct tg_update *u, const struct person *p,
		   const struct button *k)
{
	const struct actor who = actor_person(p);
	struct buf b = BUF_INIT(4096);
	int rc;

	if (!dialog_in_engineers_chat(d, u->chat_id))
		return reply_answer(d, u, msg(MSG_BOT_ENGINEERS_ONLY), true);
	switch (k->verb) {
	case VERB_CLAIM:
		rc = engine_apply(d, EV_CLAIM, &who, k->id, NULL);
		break;
	case VERB_RELEASE:
		rc = engine_apply(d, EV_RELEASE, &who, k->id, NULL);
		break;
	default:  /* VERB_CLOSE: the resolution is asked for; it is the engine's when it comes */
		rc = engine_check(d, EV_RESOLVE, &who, k->id);
		break;
	}
	if (rc == ENGINE_EDENIED || rc == TD_ENOTFOUND) {
		rc = reply_answer(d, u, msg(rc == TD_ENOTFOUND ? MSG_BOT_STALE_BUTTON : MSG_BOT_ENGINEERS_ONLY), true);
	} else if (rc == ENGINE_ESTALE) {
		rc = reply_answer(d, u, msg(k->verb == VERB_CLAIM ? MSG_BOT_ALREADY_CLAIMED : MSG_BOT_NOT_YOURS), true);
	} else if (!rc && k->verb == VERB_CLOSE) {
		notice_arg_msg(&b, MSG_BOT_ASK_RESOLUTION, (long long)k->id, p->name);
		if (!(rc = db_state_set(d->db, p->id, dialog_state_name(STATE_RESOLUTION), k->id, d->now)) &&
		    !(rc = reply_ask_parts(d, u->chat_id, &b, k->id, link_role_name(LINK_RESOLUTION))))
			rc = reply_answer(d, u, NULL, false);
	} else if (!rc) {
		rc = reply_answer(d, u, k->verb == VERB_CLAIM ? msg(MSG_BOT_YOU_CLAIMED) : NULL, false);
	}
	buf_release(&b);
	return rc;
}
