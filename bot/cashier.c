/*
 * cashier.c - the cashier's side, in a private chat with the bot:
 * registration by invite, reporting, joining messages to the open ticket,
 * /my, /new, /help.
 */
#include "bot/engine.h"
#include "bot/relay.h"
#include "core/chatter.h"
#include "core/log.h"
#include "core/token.h"
#include "storage/chain.h"
#include "storage/outbox.h"
#include "storage/ticket.h"

#define TITLE_MAX_BYTES 3000
#define TEXT_MAX (64u << 10)
#define ACK_GAP 60   /* seconds: at most one acknowledgement of follow-ups a minute per chat */

static int registered(struct dialog *d, const struct tg_update *u, const char *code)
{
	char hash[65];
	int64_t person;
	token_hash(hash, code);
	int rc = db_invite_redeem(d->db, &person, hash, u->from_id, u->from_name, d->now);
	if (rc == TD_ENOTFOUND)
		return reply_msg(d, u->chat_id, MSG_BOT_INVITE_INVALID);
	if (rc == TD_EDENIED)
		return access_refuse(d, u);
	if (rc)
		return rc;
	struct person p;
	if ((rc = dialog_person(d, u->from_id, &p)))
		return rc;
	log_info("person %lld registered as %s", (long long)p.id, person_role_name(p.role));
	return reply_msg(d, u->chat_id, p.role == ROLE_CASHIER ? MSG_BOT_WELCOME_CASHIER :
			 p.role == ROLE_OWNER ? MSG_BOT_WELCOME_OWNER :
			 relay_follows(d) ? MSG_BOT_WELCOME_ENGINEER_FOLLOW : MSG_BOT_WELCOME_ENGINEER);
}

/* What a message says, for history: its text, or a mark for a file. */
static const char *message_body(const struct tg_update *u)
{
	if (*u->text)
		return u->text;
	return msg(u->photo ? MSG_BOT_PHOTO_MARK : MSG_BOT_FILE_MARK);
}

int cashier_open_ticket(struct dialog *d, const struct person *p, const struct tg_update *u,
			const struct report *r, int64_t *out)
{
	char title[TITLE_MAX_BYTES + 1];
	const struct actor who = actor_person(p);
	utf8_snprintf(title, sizeof(title), "%s", r->words);
	const struct event_args a = {
		.title = title, .photo = r->photo, .document = r->document,
		.kb_article_id = r->kb_article_id, .priority = r->priority,
		.reply_to = u->message_id, .chat_id = u->chat_id, .out_id = out,
	};
	int rc = engine_apply(d, EV_OPEN, &who, 0, &a);
	if (!rc)
		log_info("ticket %lld opened by person %lld", (long long)*out, (long long)p->id);
	return rc;
}

int cashier_add_message(struct dialog *d, const struct person *p, const struct tg_update *u,
			int64_t ticket_id)
{
	const struct actor who = actor_person(p);
	const struct event_args a = { .body = u->text, .photo = u->photo, .document = u->document };
	return engine_apply(d, EV_MESSAGE, &who, ticket_id, &a);
}

/*
 * A quiet sign that a follow-up reached the engineers. One per message
 * would flood the chat: at most one in ACK_GAP seconds.
 */
static int acknowledge(struct dialog *d, int64_t chat_id)
{
	bool due;
	int rc = db_ack_due(d->db, chat_id, d->now, ACK_GAP, &due);
	if (rc || !due)
		return rc;
	return reply_quiet(d, chat_id, msg(MSG_BOT_FOLLOW_UP_ACK));
}

static bool refused(int rc)
{
	return rc == ENGINE_EDENIED || rc == ENGINE_ESTALE;
}

/*
 * The cashier's message joins ticket id: words after a resolution, instead
 * of the buttons, first reopen it (it is not fixed). *joined unless the
 * engine lets the cashier neither speak on it nor reopen it (not theirs,
 * or closed): then nothing is done. The message is tried first: it is
 * what nearly every follow-up is, and a refusal changes nothing, so a
 * follow-up loads the ticket once.
 */
static int join_ticket(struct dialog *d, const struct person *p, const struct tg_update *u,
		       int64_t id, bool *joined)
{
	const struct actor who = actor_person(p);
	const struct event_args a = { .chat_id = u->chat_id };
	int rc = cashier_add_message(d, p, u, id);
	*joined = !refused(rc);
	if (!rc)
		return acknowledge(d, u->chat_id);
	if (rc != ENGINE_ESTALE)
		return *joined ? rc : 0;
	rc = engine_apply(d, EV_REOPEN, &who, id, &a);
	*joined = !refused(rc);
	if (!*joined)
		return 0;
	/* The cashier was just told the ticket is open again: no acknowledgement. */
	return rc ? rc : cashier_add_message(d, p, u, id);
}

struct my_list {
	struct buf *b;
	int n;
};

static int list_line(const struct ticket_row *r, void *arg)
{
	struct my_list *l = arg;
	char due[32];
	char id[24], priority[16];
	struct buf line = BUF_INIT(1024), row = BUF_INIT(16384);
	/* The status is a catalogue word of its own, in the line's language. */
	snprintf(id, sizeof(id), "%lld", (long long)r->id);
	snprintf(priority, sizeof(priority), "%d", r->priority);
	notice_arg_text(&line, id);
	notice_arg_text(&line, priority);
	notice_arg_msg(&line, r->status == TICKET_NEW ? MSG_STATUS_NEW : MSG_STATUS_CLAIMED);
	notice_arg_msg_parts(&row, MSG_BOT_MY_LINE, buf_cstr(&line));
	if (r->due_at) {
		reply_local_time(due, sizeof(due), r->due_at, r->timezone);
		notice_arg_msg(&row, MSG_BOT_MY_DUE, due);
	}
	notice_arg_text(&row, r->title);
	notice_arg_markup(&row, "\n");
	int rc = line.failed || row.failed ? TD_ENOMEM : notice_arg_list(l->b, buf_cstr(&row));
	buf_release(&line);
	buf_release(&row);
	l->n++;
	return rc;
}

static int my_tickets(struct dialog *d, const struct person *p, int64_t chat_id)
{
	struct buf b = BUF_INIT(TEXT_MAX);
	struct my_list l = { &b, 0 };
	struct ticket_filter f = { .all_orgs = true, .open_only = true, .limit = 30 };
	int rc;
	f.store_id = p->store_id;
	notice_arg_msg(&b, MSG_BOT_MY_HEAD);
	/* A cashier sees their store's open tickets, nobody else's. */
	if ((rc = db_ticket_list(d->db, &f, list_line, &l)))
		goto done;
	if (!l.n) {
		buf_reset(&b);
		notice_arg_msg(&b, MSG_BOT_MY_NONE);
	}
	rc = reply_say_parts(d, chat_id, &b, NULL, 0, 0, NULL);
done:
	buf_release(&b);
	return rc;
}

/*
 * A registered cashier's message that is no command: it joins the ticket
 * it replies to or their open one, answers an article that waits, or is a
 * new problem (the knowledge base first, then a ticket).
 */
static int cashier_message(struct dialog *d, const struct person *p, const struct tg_update *u)
{
	enum dialog_state state;
	int64_t ticket = 0, state_ticket;
	int rc;

	/* A reply to one of the bot's messages joins that ticket, if it is theirs. */
	char role[16];
	bool joined = false;
	if (u->reply_to && !db_link_find(d->db, u->chat_id, u->reply_to, &ticket, role, sizeof(role)) &&
	    ((rc = join_ticket(d, p, u, ticket, &joined)) || joined))
		return rc;
	/* After /new, or while an article waits, the message is about a new problem. */
	bool fresh = !dialog_state(d, p->id, &state, &state_ticket) &&
		     (state == STATE_NEW_TICKET || state == STATE_SUGGESTED);
	if (!fresh && !db_ticket_open_of(d->db, p->id, &ticket) &&
	    ((rc = join_ticket(d, p, u, ticket, &joined)) || joined))
		return rc;
	/* An article waits for the cashier's answer: words can be that answer. */
	bool handled = false;
	if ((rc = advice_typed(d, p, u, &handled)) || handled)
		return rc;
	/* A greeting or thanks alone is no problem yet: ask for it, open nothing. */
	if (!u->photo && !u->document && chatter_only(u->text))
		return reply_msg(d, u->chat_id, MSG_BOT_DESCRIBE_PROBLEM);
	/* A new problem: the knowledge base answers first, when it is sure. */
	bool answered = false;
	int64_t hint = 0;
	if ((rc = advice_offer(d, p, u, &answered, &hint)) || answered)
		return rc;
	struct report r = {
		.words = message_body(u), .photo = u->photo, .document = u->document,
		.kb_article_id = hint, .priority = 3,
	};
	return cashier_open_ticket(d, p, u, &r, &ticket);
}

int cashier_handle(struct dialog *d, const struct tg_update *u)
{
	struct person p;
	const char *arg;
	int rc;

	if ((arg = dialog_command_arg(u->text, "/start")) && *arg)
		return registered(d, u, arg);
	rc = dialog_person(d, u->from_id, &p);
	if (rc == TD_ENOTFOUND)
		return reply_msg(d, u->chat_id, MSG_BOT_NEED_INVITE);
	if (rc)
		return rc;
	if (p.disabled)
		return access_refuse(d, u);
	if ((arg = dialog_command_arg(u->text, "/kb")))
		return advice_search(d, u, arg);
	if (p.role != ROLE_CASHIER)
		return reply_msg(d, u->chat_id, MSG_BOT_STAFF_USE_GROUP);
	if (dialog_command_arg(u->text, "/start") || dialog_command_arg(u->text, "/help"))
		return reply_msg(d, u->chat_id, MSG_BOT_CASHIER_HELP);
	if (dialog_command_arg(u->text, "/my"))
		return my_tickets(d, &p, u->chat_id);
	if (dialog_command_arg(u->text, "/new")) {
		if ((rc = db_state_set(d->db, p.id, dialog_state_name(STATE_NEW_TICKET), 0, d->now)))
			return rc;
		return reply_msg(d, u->chat_id, MSG_BOT_DESCRIBE_NEW);
	}
	if (u->text[0] == '/')
		return reply_msg(d, u->chat_id, MSG_BOT_UNKNOWN_COMMAND);
	if (!*u->text && !u->photo && !u->document)
		return reply_msg(d, u->chat_id, MSG_BOT_SEND_TEXT);

	return cashier_message(d, &p, u);
}

/* ---- buttons ---- */

int cashier_press(struct dialog *d, const struct tg_update *u, const struct person *p,
		  const struct button *k)
{
	static const enum ticket_event events[BUTTON_VERB_COUNT] = {
		[VERB_PRIORITY] = EV_PRIORITY, [VERB_CONFIRM] = EV_CONFIRM,
		[VERB_REOPEN] = EV_REOPEN, [VERB_RATE] = EV_RATE,
	};
	const struct actor who = actor_person(p);
	const struct event_args a = {
		.priority = k->arg, .score = k->arg, .chat_id = u->chat_id, .pressed = true,
	};
	/* A cashier's buttons work only in their own chat. */
	if (u->chat_id != u->from_id)
		return reply_answer(d, u, msg(MSG_BOT_STALE_BUTTON), true);
	int rc = engine_apply(d, events[k->verb], &who, k->id, &a);
	if (rc == ENGINE_EDENIED || rc == ENGINE_ESTALE || rc == TD_ENOTFOUND)
		return reply_answer(d, u, msg(MSG_BOT_STALE_BUTTON), true);
	return rc ? rc : reply_answer(d, u, NULL, false);
}
