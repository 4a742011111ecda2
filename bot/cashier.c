/*
 * cashier.c - the cashier's side, in a private chat with the bot:
 * registration by invite, reporting, joining messages to the open ticket,
 * /my, /new, /help.
 */
#include "bot/dialog.h"
#include "core/chatter.h"
#include "core/log.h"
#include "core/token.h"
#include "storage/chain.h"
#include "storage/outbox.h"
#include "storage/ticket.h"

#define TITLE_MAX_BYTES 3000
#define TEXT_MAX (64u << 10)
#define ACK_GAP 60   /* seconds: at most one acknowledgement of follow-ups a minute per chat */

const char *command_arg(const char *text, const char *cmd)
{
	size_t n = strlen(cmd);
	if (strncmp(text, cmd, n))
		return NULL;
	const char *p = text + n;
	if (*p == '@')
		p += strcspn(p, " \n");
	else if (*p && *p != ' ' && *p != '\n')
		return NULL;
	while (*p == ' ' || *p == '\n')
		p++;
	return p;
}

static int registered(struct dialog *d, const struct tg_update *u, const char *code)
{
	char hash[65];
	int64_t person;
	token_hash(hash, code);
	int rc = db_invite_redeem(d->db, &person, hash, u->from_id, u->from_name, d->now);
	if (rc == TD_ENOTFOUND)
		return say_msg(d, u->chat_id, MSG_BOT_INVITE_INVALID);
	if (rc == TD_EDENIED)
		return access_refuse(d, u);
	if (rc)
		return rc;
	struct person p;
	if ((rc = dialog_person(d, u->from_id, &p)))
		return rc;
	log_info("person %lld registered as %s", (long long)p.id, p.role);
	return say_msg(d, u->chat_id, !strcmp(p.role, "cashier") ? MSG_BOT_WELCOME_CASHIER :
		       !strcmp(p.role, "owner") ? MSG_BOT_WELCOME_OWNER : MSG_BOT_WELCOME_ENGINEER);
}

/* What a message says, for history: its text, or a mark for a file. */
static const char *message_body(const struct tg_update *u)
{
	if (*u->text)
		return u->text;
	return msg(u->photo ? MSG_BOT_PHOTO_MARK : MSG_BOT_FILE_MARK);
}

/* «💬 №N, кассир NAME»: whose words or file in the engineers' chat, and for which ticket. */
static void cashier_says(struct buf *b, int64_t ticket_id, const struct person *p)
{
	msg_buf(b, MSG_BOT_CASHIER_SAYS, (long long)ticket_id, "");
	esc(b, p->name);
}

/* Relays a cashier's message (text, photo, document) to the engineers. */
static int relay_to_engineers(struct dialog *d, int64_t ticket_id, const struct person *p,
			      const struct tg_update *u)
{
	struct buf b = BUF_INIT(TEXT_MAX);
	int64_t card = 0;
	int rc;
	if (!d->engineers_chat)
		return 0;
	db_link_message(d->db, ticket_id, "card", d->engineers_chat, &card);
	cashier_says(&b, ticket_id, p);
	buf_puts(&b, ":\n");
	esc(&b, u->text);
	if (u->photo || u->document)
		rc = say_file(d, d->engineers_chat, u->photo ? "sendPhoto" : "sendDocument",
			      u->photo ? u->photo : u->document, buf_cstr(&b), card, ticket_id, "relay");
	else
		rc = say(d, d->engineers_chat, buf_cstr(&b), NULL, card, ticket_id, "relay");
	buf_release(&b);
	return rc;
}

int cashier_open_ticket(struct dialog *d, const struct person *p, const struct tg_update *u,
			const struct report *r, int64_t *out)
{
	char title[TITLE_MAX_BYTES + 1], data[2][32];
	int64_t id;
	int rc;

	utf8_snprintf(title, sizeof(title), "%s", r->words);
	struct ticket_new t = {
		.store_id = p->store_id, .cashier_id = p->id, .source = "telegram",
		.title = title, .priority = r->priority, .kb_article_id = r->kb_article_id,
	};
	if ((rc = db_ticket_open(d->db, &id, &t, d->now)) || (rc = db_state_clear(d->db, p->id)) ||
	    (rc = sla_event(d, id, "opened")))
		return rc;
	if ((rc = card_post(d, id)))
		return rc;
	struct buf b = BUF_INIT(TEXT_MAX);
	/*
	 * The card is not sent yet, so the file cannot answer it: its caption
	 * says which ticket it belongs to (the words are on the card).
	 */
	if ((r->photo || r->document) && d->engineers_chat) {
		cashier_says(&b, id, p);
		rc = say_file(d, d->engineers_chat, r->photo ? "sendPhoto" : "sendDocument",
			      r->photo ? r->photo : r->document, buf_cstr(&b), 0, id, "relay");
		buf_reset(&b);
		if (rc) {
			buf_release(&b);
			return rc;
		}
	}
	msg_buf(&b, MSG_BOT_TICKET_OPENED, (long long)id);
	if ((rc = sla_promise(d, id, "\n", &b))) {
		buf_release(&b);
		return rc;
	}
	msg_buf(&b, MSG_BOT_TILL_WORKS_Q);
	snprintf(data[0], sizeof(data[0]), "p:%lld:3", (long long)id);
	snprintf(data[1], sizeof(data[1]), "p:%lld:1", (long long)id);
	struct notice_actions *kb = keyboard_row(2, (const char *[]){ msg(MSG_BTN_TILL_WORKS), msg(MSG_BTN_TILL_DOWN) },
				       (const char *[]){ data[0], data[1] });
	rc = say(d, u->chat_id, buf_cstr(&b), kb, u->message_id, id, "question");
	buf_release(&b);
	log_info("ticket %lld opened by person %lld", (long long)id, (long long)p->id);
	*out = id;
	return rc;
}

int cashier_add_message(struct dialog *d, const struct person *p, const struct tg_update *u,
			const struct ticket_row *t)
{
	int rc = ticket_change(d, t->id, p->id, u->photo ? "photo" : u->document ? "file" : "message",
			       t->status, t->priority, t->assignee_id, message_body(u));
	return rc ? rc : relay_to_engineers(d, t->id, p, u);
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
	return say_quiet(d, chat_id, msg(MSG_BOT_FOLLOW_UP_ACK));
}

static int join_ticket(struct dialog *d, const struct person *p, const struct tg_update *u,
		       const struct ticket_row *in)
{
	struct ticket_row reopened = *in;
	int rc;
	if (in->status != TICKET_RESOLVED)
		return (rc = cashier_add_message(d, p, u, in)) ? rc : acknowledge(d, u->chat_id);
	/*
	 * Words after a resolution, instead of the buttons: it is not fixed. An
	 * assignee whose access was revoked does not get it back.
	 */
	if (in->assignee_disabled)
		reopened.assignee_id = 0;
	reopened.status = reopened.assignee_id ? TICKET_CLAIMED : TICKET_NEW;
	if ((rc = ticket_change(d, in->id, p->id, "reopened", reopened.status, in->priority,
				reopened.assignee_id, NULL)) || (rc = card_update(d, in->id)) ||
	    (rc = say_msg(d, d->engineers_chat, MSG_BOT_REOPENED_NOTE, (long long)in->id)) ||
	    (rc = say_msg(d, u->chat_id, MSG_BOT_REOPENED, (long long)in->id)))
		return rc;
	/* The cashier was just told the ticket is open again: no acknowledgement. */
	return cashier_add_message(d, p, u, &reopened);
}

static int copy_ticket(const struct ticket_row *r, void *arg)
{
	struct ticket_row *t = arg;
	*t = *r;
	/* Strings are not needed beyond the ids and state. */
	t->org = t->store = t->address = t->timezone = t->till = t->cashier = t->assignee = "";
	t->source = t->title = t->kb_title = "";
	return 0;
}

int ticket_load(struct dialog *d, int64_t id, struct ticket_row *out)
{
	return db_ticket_get(d->db, id, copy_ticket, out);
}

struct my_list {
	struct buf *b;
	int n;
};

static int list_line(const struct ticket_row *r, void *arg)
{
	struct my_list *l = arg;
	char due[32];
	msg_buf(l->b, MSG_BOT_MY_LINE, (long long)r->id, r->priority,
		msg(r->status == TICKET_NEW ? MSG_STATUS_NEW : MSG_STATUS_CLAIMED));
	if (r->due_at) {
		local_time(due, sizeof(due), r->due_at, r->timezone);
		msg_buf(l->b, MSG_BOT_MY_DUE, due);
	}
	esc(l->b, r->title);
	buf_putc(l->b, '\n');
	l->n++;
	return 0;
}

static int my_tickets(struct dialog *d, const struct person *p, int64_t chat_id)
{
	struct buf b = BUF_INIT(TEXT_MAX);
	struct my_list l = { &b, 0 };
	struct ticket_filter f = { .all_orgs = true, .open_only = true, .limit = 30 };
	int rc;
	f.store_id = p->store_id;
	msg_buf(&b, MSG_BOT_MY_HEAD);
	/* A cashier sees their store's open tickets, nobody else's. */
	if ((rc = db_ticket_list(d->db, &f, list_line, &l)))
		goto done;
	if (!l.n) {
		buf_reset(&b);
		msg_buf(&b, MSG_BOT_MY_NONE);
	}
	rc = say(d, chat_id, buf_cstr(&b), NULL, 0, 0, NULL);
done:
	buf_release(&b);
	return rc;
}

int cashier_handle(struct dialog *d, const struct tg_update *u)
{
	struct person p;
	struct ticket_row t;
	const char *arg;
	char state[32];
	int64_t ticket = 0, state_ticket;
	int rc;

	if ((arg = command_arg(u->text, "/start")) && *arg)
		return registered(d, u, arg);
	rc = dialog_person(d, u->from_id, &p);
	if (rc == TD_ENOTFOUND)
		return say_msg(d, u->chat_id, MSG_BOT_NEED_INVITE);
	if (rc)
		return rc;
	if (p.disabled)
		return access_refuse(d, u);
	if ((arg = command_arg(u->text, "/kb")))
		return advice_search(d, u, arg);
	if (strcmp(p.role, "cashier"))
		return say_msg(d, u->chat_id, MSG_BOT_STAFF_USE_GROUP);
	if (command_arg(u->text, "/start") || command_arg(u->text, "/help"))
		return say_msg(d, u->chat_id, MSG_BOT_CASHIER_HELP);
	if (command_arg(u->text, "/my"))
		return my_tickets(d, &p, u->chat_id);
	if (command_arg(u->text, "/new")) {
		if ((rc = db_state_set(d->db, p.id, "new_ticket", 0, d->now)))
			return rc;
		return say_msg(d, u->chat_id, MSG_BOT_DESCRIBE_NEW);
	}
	if (u->text[0] == '/')
		return say_msg(d, u->chat_id, MSG_BOT_UNKNOWN_COMMAND);
	if (!*u->text && !u->photo && !u->document)
		return say_msg(d, u->chat_id, MSG_BOT_SEND_TEXT);

	/* A reply to one of the bot's messages joins that ticket, if it is theirs. */
	char role[16];
	if (u->reply_to && !db_link_find(d->db, u->chat_id, u->reply_to, &ticket, role, sizeof(role)) &&
	    !ticket_load(d, ticket, &t) && t.cashier_id == p.id && t.store_id == p.store_id &&
	    t.status != TICKET_CLOSED)
		return join_ticket(d, &p, u, &t);
	/* After /new, or while an article waits, the message is about a new problem. */
	bool fresh = !db_state_get(d->db, p.id, state, sizeof(state), &state_ticket) &&
		     (!strcmp(state, "new_ticket") || !strcmp(state, "suggested"));
	if (!fresh && !db_ticket_open_of(d->db, p.id, &ticket) && !ticket_load(d, ticket, &t))
		return join_ticket(d, &p, u, &t);
	/* An article waits for the cashier's answer: words can be that answer. */
	bool handled = false;
	if ((rc = advice_typed(d, &p, u, &handled)) || handled)
		return rc;
	/* A greeting or thanks alone is no problem yet: ask for it, open nothing. */
	if (!u->photo && !u->document && chatter_only(u->text))
		return say_msg(d, u->chat_id, MSG_BOT_DESCRIBE_PROBLEM);
	/* A new problem: the knowledge base answers first, when it is sure. */
	bool answered = false;
	int64_t hint = 0;
	if ((rc = advice_offer(d, &p, u, &answered, &hint)) || answered)
		return rc;
	struct report r = {
		.words = message_body(u), .photo = u->photo, .document = u->document,
		.kb_article_id = hint, .priority = 3,
	};
	return cashier_open_ticket(d, &p, u, &r, &ticket);
}
