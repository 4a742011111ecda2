/*
 * engineer.c - the engineers' side, in their group chat: claim, release,
 * close with a resolution, talk to the cashier by replying, notes, the
 * queue. And the buttons of both sides.
 */
#include "bot/dialog.h"
#include "core/clock.h"
#include "storage/chain.h"
#include "storage/outbox.h"
#include "storage/ticket.h"

#define TEXT_MAX (64u << 10)

static bool is_staff(const struct person *p)
{
	return !strcmp(p->role, "engineer") || !strcmp(p->role, "admin");
}

/* May p act on a ticket claimed by assignee? The assignee or an admin. */
static bool may_act(const struct person *p, const struct ticket_row *t)
{
	return t->assignee_id == p->id || !strcmp(p->role, "admin");
}

static int resolve(struct dialog *d, const struct person *p, const struct ticket_row *t,
		   const char *text)
{
	char data[2][32];
	int rc;
	if (t->status != TICKET_CLAIMED || !may_act(p, t))
		return say_msg(d, d->engineers_chat, MSG_BOT_CANNOT_CLOSE, (long long)t->id);
	if ((rc = ticket_change(d, t->id, p->id, "resolved", TICKET_RESOLVED, t->priority,
				t->assignee_id, text)) ||
	    (rc = db_state_clear(d->db, p->id)) || (rc = card_update(d, t->id)))
		return rc;
	struct buf b = BUF_INIT(TEXT_MAX);
	msg_buf(&b, MSG_BOT_RESOLVED, (long long)t->id);
	esc(&b, text);
	snprintf(data[0], sizeof(data[0]), "ok:%lld", (long long)t->id);
	snprintf(data[1], sizeof(data[1]), "re:%lld", (long long)t->id);
	json_object *kb = keyboard_row(2, (const char *[]){ msg(MSG_BTN_WORKS), msg(MSG_BTN_STILL_BROKEN) },
				       (const char *[]){ data[0], data[1] });
	rc = say(d, t->cashier_tg, buf_cstr(&b), kb, 0, t->id, "confirm");
	buf_release(&b);
	if (!rc)
		rc = say_msg(d, d->engineers_chat, MSG_BOT_RESOLVED_NOTE, (long long)t->id);
	return rc;
}

/* An engineer's reply (text, photo, document) goes to the cashier. */
static int relay_to_cashier(struct dialog *d, const struct person *p, const struct ticket_row *t,
			    const struct tg_update *u)
{
	struct buf b = BUF_INIT(TEXT_MAX);
	int rc;
	if (t->status == TICKET_CLOSED)
		return say_msg(d, d->engineers_chat, MSG_BOT_TICKET_IS_CLOSED, (long long)t->id);
	if ((rc = ticket_change(d, t->id, p->id, "reply", t->status, t->priority, t->assignee_id,
				*u->text ? u->text : msg(u->photo ? MSG_BOT_PHOTO_MARK : MSG_BOT_FILE_MARK))))
		return rc;
	/* Disabled, or moved to another store: the words stay in the history only. */
	if (t->cashier_id && !t->cashier_tg)
		return say_msg(d, d->engineers_chat, MSG_BOT_CASHIER_UNREACHABLE, (long long)t->id);
	msg_buf(&b, MSG_BOT_ENGINEER_SAYS, (long long)t->id, "");
	esc(&b, p->name);
	buf_puts(&b, ":\n");
	esc(&b, u->text);
	if (u->photo || u->document)
		rc = say_file(d, t->cashier_tg, u->photo ? "sendPhoto" : "sendDocument",
			      u->photo ? u->photo : u->document, buf_cstr(&b), 0, t->id, "relay");
	else
		rc = say(d, t->cashier_tg, buf_cstr(&b), NULL, 0, t->id, "relay");
	buf_release(&b);
	return rc;
}

/* Lines of /queue and /mine: one message, the nearest deadlines; the rest are counted. */
#define QUEUE_SHOWN 30

struct queue_ctx {
	struct buf *b;
	int64_t now;
	int n;      /* every open ticket, shown or not */
};

static int queue_line(const struct ticket_row *r, void *arg)
{
	struct queue_ctx *q = arg;
	msg_buf(q->b, MSG_BOT_QUEUE_LINE, (long long)r->id, r->priority, "");
	esc(q->b, r->store);
	buf_puts(q->b, " — ");
	esc(q->b, *r->assignee ? r->assignee : msg(MSG_STATUS_NEW));
	if (r->due_at && r->due_at <= q->now) {
		msg_buf(q->b, MSG_BOT_QUEUE_OVERDUE);
		msg_span(q->b, q->now - r->due_at);
	} else if (r->breached) {
		msg_buf(q->b, MSG_BOT_QUEUE_BREACHED);
	}
	if (r->due_at > q->now) {
		msg_buf(q->b, MSG_BOT_QUEUE_DUE);
		msg_span(q->b, r->due_at - q->now);
	}
	buf_puts(q->b, "\n    ");
	esc(q->b, r->title);
	buf_putc(q->b, '\n');
	return 0;
}

static int show_queue(struct dialog *d, int64_t assignee)
{
	struct buf b = BUF_INIT(1u << 20);
	struct queue_ctx q = { &b, d->now, 0 };
	msg_buf(&b, assignee ? MSG_BOT_MINE_HEAD : MSG_BOT_QUEUE_HEAD);
	int rc = db_ticket_queue(d->db, assignee, QUEUE_SHOWN, &q.n, queue_line, &q);
	if (!rc && !q.n) {
		buf_reset(&b);
		msg_buf(&b, MSG_BOT_QUEUE_EMPTY);
	} else if (q.n > QUEUE_SHOWN) {
		msg_buf(&b, MSG_BOT_QUEUE_MORE, q.n - QUEUE_SHOWN, q.n);
	}
	if (!rc)
		rc = say(d, d->engineers_chat, buf_cstr(&b), NULL, 0, 0, NULL);
	buf_release(&b);
	return rc;
}

static int history_line(const struct ticket_event_row *e, void *arg)
{
	struct buf *b = arg;
	char at[32];
	clock_format_utc(at, sizeof(at), e->at);
	buf_printf(b, "%s · <b>%s</b> · ", at, e->kind);
	esc(b, *e->actor ? e->actor : "—");
	if (*e->body) {
		buf_puts(b, ": ");
		esc(b, e->body);
	}
	buf_putc(b, '\n');
	return 0;
}

static int show_ticket(struct dialog *d, int64_t id)
{
	struct buf b = BUF_INIT(1u << 20);
	struct ticket_row t;
	int rc = ticket_load(d, id, &t);
	if (rc == TD_ENOTFOUND)
		rc = say_msg(d, d->engineers_chat, MSG_BOT_NO_SUCH_TICKET);
	else if (!rc) {
		msg_buf(&b, MSG_BOT_HISTORY_HEAD, (long long)id);
		if (!(rc = db_ticket_history(d->db, id, history_line, &b)))
			rc = say(d, d->engineers_chat, buf_cstr(&b), NULL, 0, 0, NULL);
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
	struct ticket_row t;
	int64_t id;
	int rc;

	if (command_arg(u->text, "/queue"))
		return show_queue(d, 0);
	if (command_arg(u->text, "/mine"))
		return show_queue(d, p->id);
	if (command_arg(u->text, "/help") || command_arg(u->text, "/start"))
		return say_msg(d, d->engineers_chat, MSG_BOT_ENGINEER_HELP);
	if ((arg = command_arg(u->text, "/kb")))
		return advice_search(d, u, arg);
	if ((arg = command_arg(u->text, "/ticket"))) {
		if (!ticket_and_text(arg, &id, &rest))
			return say_msg(d, d->engineers_chat, MSG_BOT_USAGE_TICKET);
		return show_ticket(d, id);
	}
	if ((arg = command_arg(u->text, "/note"))) {
		if (!ticket_and_text(arg, &id, &rest) || !*rest)
			return say_msg(d, d->engineers_chat, MSG_BOT_USAGE_NOTE);
		if ((rc = ticket_load(d, id, &t)))
			return rc == TD_ENOTFOUND ? say_msg(d, d->engineers_chat, MSG_BOT_NO_SUCH_TICKET) : rc;
		if ((rc = ticket_change(d, id, p->id, "note", t.status, t.priority, t.assignee_id, rest)))
			return rc;
		return say_msg(d, d->engineers_chat, MSG_BOT_NOTE_ADDED, (long long)id);
	}
	if ((arg = command_arg(u->text, "/close"))) {
		if (!ticket_and_text(arg, &id, &rest) || !*rest)
			return say_msg(d, d->engineers_chat, MSG_BOT_USAGE_CLOSE);
		if ((rc = ticket_load(d, id, &t)))
			return rc == TD_ENOTFOUND ? say_msg(d, d->engineers_chat, MSG_BOT_NO_SUCH_TICKET) : rc;
		return resolve(d, p, &t, rest);
	}
	return say_msg(d, d->engineers_chat, MSG_BOT_UNKNOWN_COMMAND);
}

int engineer_handle(struct dialog *d, const struct tg_update *u)
{
	struct person p;
	struct ticket_row t;
	char role[16], state[32];
	int64_t ticket, state_ticket;
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
	bool resolving = !db_state_get(d->db, p.id, state, sizeof(state), &state_ticket) &&
			 !strcmp(state, "resolution");
	if (u->reply_to && !db_link_find(d->db, u->chat_id, u->reply_to, &ticket, role, sizeof(role)) &&
	    !ticket_load(d, ticket, &t)) {
		if (!strcmp(role, "resolution"))
			return *u->text ? resolve(d, &p, &t, u->text) :
				say_msg(d, d->engineers_chat, MSG_BOT_USAGE_CLOSE);
		return relay_to_cashier(d, &p, &t, u);
	}
	if (!resolving)
		return 0;
	/* The words after «Закрыть» are the resolution, if the ticket is still theirs. */
	if (!ticket_load(d, state_ticket, &t) && t.status == TICKET_CLAIMED && t.assignee_id == p.id &&
	    *u->text)
		return resolve(d, &p, &t, u->text);
	return db_state_clear(d->db, p.id);  /* stale: chatter is chatter again */
}

/* ---- buttons ---- */

struct press {
	char verb[4];
	int64_t ticket;
	int arg;   /* 0 when the data has none */
};

/* Strictly parses "verb:ticket[:arg]"; anything else is forged or stale. */
static bool press_parse(struct press *out, const char *data)
{
	static const char *const verbs[] = { "p", "ok", "re", "r", "c", "u", "x" };
	char buf[64];
	long long n;
	if (strlen(data) >= sizeof(buf))
		return false;
	snprintf(buf, sizeof(buf), "%s", data);
	char *a = strchr(buf, ':');
	if (!a)
		return false;
	*a++ = '\0';
	char *b = strchr(a, ':');
	if (b)
		*b++ = '\0';
	size_t i;
	for (i = 0; i < ARRAY_SIZE(verbs); i++)
		if (!strcmp(buf, verbs[i]))
			break;
	if (i == ARRAY_SIZE(verbs) || parse_int(&n, a, 1, INT64_MAX))
		return false;
	memcpy(out->verb, verbs[i], strlen(verbs[i]) + 1);
	out->ticket = n;
	out->arg = 0;
	if (b) {
		if (parse_int(&n, b, 1, 5))
			return false;
		out->arg = (int)n;
	}
	/* Priority and rating need their argument; the others take none. */
	bool needs = !strcmp(out->verb, "p") || !strcmp(out->verb, "r");
	return needs == (b != NULL) && (strcmp(out->verb, "p") || n == 1 || n == 3);
}

static int cashier_press(struct dialog *d, const struct tg_update *u, const struct person *p,
			 const struct press *k, const struct ticket_row *t)
{
	struct buf b = BUF_INIT(4096);
	char data[5][32];
	int rc = 0;

	if (!strcmp(k->verb, "p")) {
		if (t->status != TICKET_NEW && t->status != TICKET_CLAIMED)
			goto stale;
		if ((rc = ticket_change(d, t->id, p->id, "priority", t->status, k->arg, t->assignee_id,
					NULL)) || (rc = card_update(d, t->id)))
			goto done;
		msg_buf(&b, k->arg == 1 ? MSG_BOT_PRIORITY_DOWN : MSG_BOT_PRIORITY_NORMAL, (long long)t->id);
		if ((rc = sla_promise(d, t->id, "\n", &b)))
			goto done;
		rc = say_edit(d, u->chat_id, t->id, "question", buf_cstr(&b), NULL);
		if (!rc)
			rc = answer(d, u, NULL, false);
	} else if (!strcmp(k->verb, "ok")) {
		if (t->status != TICKET_RESOLVED)
			goto stale;
		if ((rc = ticket_change(d, t->id, p->id, "confirmed", TICKET_CLOSED, t->priority,
					t->assignee_id, NULL)) || (rc = card_update(d, t->id)))
			goto done;
		msg_buf(&b, MSG_BOT_CONFIRMED, (long long)t->id);
		rc = say_edit(d, u->chat_id, t->id, "confirm", buf_cstr(&b), NULL);
		buf_reset(&b);
		msg_buf(&b, MSG_BOT_RATE, (long long)t->id);
		for (int i = 0; i < 5; i++)
			snprintf(data[i], sizeof(data[i]), "r:%lld:%d", (long long)t->id, i + 1);
		json_object *kb = keyboard_row(5, (const char *[]){ "1", "2", "3", "4", "5" },
					       (const char *[]){ data[0], data[1], data[2], data[3], data[4] });
		if (!rc)
			rc = say(d, u->chat_id, buf_cstr(&b), kb, 0, t->id, "rating");
		else
			json_object_put(kb);
		if (!rc)
			rc = answer(d, u, NULL, false);
	} else if (!strcmp(k->verb, "re")) {
		if (t->status != TICKET_RESOLVED)
			goto stale;
		/* An assignee whose access was revoked does not get it back. */
		int64_t assignee = t->assignee_disabled ? 0 : t->assignee_id;
		if ((rc = ticket_change(d, t->id, p->id, "reopened",
					assignee ? TICKET_CLAIMED : TICKET_NEW, t->priority,
					assignee, NULL)) || (rc = card_update(d, t->id)))
			goto done;
		msg_buf(&b, MSG_BOT_REOPENED, (long long)t->id);
		rc = say_edit(d, u->chat_id, t->id, "confirm", buf_cstr(&b), NULL);
		if (!rc)
			rc = say_msg(d, d->engineers_chat, MSG_BOT_REOPENED_NOTE, (long long)t->id);
		if (!rc)
			rc = answer(d, u, NULL, false);
	} else if (!strcmp(k->verb, "r")) {
		if (t->status != TICKET_CLOSED || db_ticket_has_event(d->db, t->id, "rated"))
			goto stale;
		char score[4];
		snprintf(score, sizeof(score), "%d", k->arg);
		if ((rc = ticket_change(d, t->id, p->id, "rated", t->status, t->priority, t->assignee_id,
					score)))
			goto done;
		msg_buf(&b, MSG_BOT_THANKS, k->arg);
		rc = say_edit(d, u->chat_id, t->id, "rating", buf_cstr(&b), NULL);
		if (!rc)
			rc = answer(d, u, NULL, false);
	} else {
		goto stale;
	}
	goto done;
stale:
	rc = answer(d, u, msg(MSG_BOT_STALE_BUTTON), true);
done:
	buf_release(&b);
	return rc;
}

static int engineer_press(struct dialog *d, const struct tg_update *u, const struct person *p,
			  const struct press *k, const struct ticket_row *t)
{
	struct buf b = BUF_INIT(4096);
	int rc = 0;

	if (!strcmp(k->verb, "c")) {
		if (t->status != TICKET_NEW) {
			rc = answer(d, u, msg(MSG_BOT_ALREADY_CLAIMED), true);
			goto done;
		}
		if ((rc = ticket_change(d, t->id, p->id, "claimed", TICKET_CLAIMED, t->priority, p->id,
					NULL)) || (rc = card_update(d, t->id)))
			goto done;
		msg_buf(&b, MSG_BOT_CLAIMED, (long long)t->id, "");
		esc(&b, p->name);
		if (!(rc = say(d, t->cashier_tg, buf_cstr(&b), NULL, 0, t->id, "relay")))
			rc = answer(d, u, msg(MSG_BOT_YOU_CLAIMED), false);
	} else if (!strcmp(k->verb, "u") || !strcmp(k->verb, "x")) {
		if (t->status != TICKET_CLAIMED || !may_act(p, t)) {
			rc = answer(d, u, msg(MSG_BOT_NOT_YOURS), true);
			goto done;
		}
		if (!strcmp(k->verb, "u")) {
			if (!(rc = ticket_change(d, t->id, p->id, "released", TICKET_NEW, t->priority, 0, NULL)) &&
			    !(rc = db_state_clear(d->db, p->id)) && !(rc = card_update(d, t->id)))
				rc = answer(d, u, NULL, false);
			goto done;
		}
		if ((rc = db_state_set(d->db, p->id, "resolution", t->id, d->now)))
			goto done;
		msg_buf(&b, MSG_BOT_ASK_RESOLUTION, (long long)t->id, "");
		esc(&b, p->name);
		if (!(rc = ask(d, d->engineers_chat, buf_cstr(&b), t->id, "resolution")))
			rc = answer(d, u, NULL, false);
	}
done:
	buf_release(&b);
	return rc;
}

int callback_handle(struct dialog *d, const struct tg_update *u)
{
	struct press k;
	struct person p;
	struct ticket_row t;
	int rc;

	if (advice_is_press(u->callback_data))
		return advice_press(d, u);
	if (!press_parse(&k, u->callback_data) || ticket_load(d, k.ticket, &t))
		return answer(d, u, msg(MSG_BOT_STALE_BUTTON), true);
	if ((rc = dialog_person(d, u->from_id, &p)) == TD_ENOTFOUND)
		return answer(d, u, msg(MSG_BOT_NEED_INVITE_SHORT), true);
	if (rc)
		return rc;
	if (p.disabled)
		return access_refuse(d, u);
	bool staff_verb = strchr("cux", k.verb[0]) && k.verb[1] == '\0';
	if (staff_verb) {
		if (!is_staff(&p) || !dialog_in_engineers_chat(d, u->chat_id))
			return answer(d, u, msg(MSG_BOT_ENGINEERS_ONLY), true);
		return engineer_press(d, u, &p, &k, &t);
	}
	/* A cashier's buttons work only in their own chat, on their own ticket, of their store. */
	if (t.cashier_id != p.id || t.store_id != p.store_id || u->chat_id != u->from_id)
		return answer(d, u, msg(MSG_BOT_STALE_BUTTON), true);
	return cashier_press(d, u, &p, &k, &t);
}
