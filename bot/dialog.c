/*
 * dialog.c - routing updates to the cashier and engineer flows, and the
 * helpers both use to speak through the outbox.
 */
#include "bot/dialog.h"
#include "core/tz.h"
#include "core/html.h"
#include "core/notice.h"
#include "core/log.h"
#include "storage/chain.h"
#include "storage/outbox.h"
#include "storage/ticket.h"

#define HTML_MAX (256u << 10)

void esc(struct buf *b, const char *s)
{
	html_escape(b, s);
}

static int copy_person(const struct person_row *r, void *arg)
{
	struct person *p = arg;
	p->id = r->id;
	p->tg_user_id = r->tg_user_id;
	p->store_id = r->store_id;
	p->org_id = r->org_id;
	p->blocked = r->blocked;
	p->disabled = r->disabled_at != 0;
	utf8_snprintf(p->name, sizeof(p->name), "%s", r->name);
	/* The schema lets no other role in; a row that still has one is nobody's. */
	if (person_role_parse(&p->role, r->role))
		return TD_ENOTFOUND;
	return 1;
}

int dialog_person(struct dialog *d, int64_t tg_user_id, struct person *out)
{
	int rc = db_person_by_tg(d->db, tg_user_id, copy_person, out);
	return rc == 1 ? 0 : rc ? rc : TD_ENOTFOUND;
}

int dialog_person_by_id(struct dialog *d, int64_t id, struct person *out)
{
	int rc = db_person_get(d->db, id, copy_person, out);
	return rc == 1 ? 0 : rc ? rc : TD_ENOTFOUND;
}

int dialog_state(struct dialog *d, int64_t person_id, enum dialog_state *out, int64_t *ticket_id)
{
	char kind[32];
	int rc = db_state_get(d->db, person_id, kind, sizeof(kind), ticket_id);
	if (rc)
		return rc;
	/* A state this build does not know (left by another version) is no state. */
	return dialog_state_parse(out, kind) ? TD_ENOTFOUND : 0;
}

/* Buttons in rows of per_row; labels and data are copied. */
static struct notice_actions *keyboard(size_t n, const char *const *labels,
				       const char *const *data, size_t per_row)
{
	struct notice_actions *kb = xcalloc(1, sizeof(*kb));
	for (size_t i = 0; i < n; i++)
		if (notice_action_add(kb, i / per_row, labels[i], data[i]))
			log_warn("dialog: a keyboard of more than %d buttons loses '%s'",
				 NOTICE_ACTIONS_MAX, data[i]);
	return kb;
}

struct notice_actions *keyboard_row(size_t n, const char *const *labels, const char *const *data)
{
	return keyboard(n, labels, data, n ? n : 1);
}

struct notice_actions *keyboard_column(size_t n, const char *const *labels,
				       const char *const *data)
{
	return keyboard(n, labels, data, 1);
}

/*
 * Queues notice n with its keyboard (consumed, may be NULL), as the
 * ticket's link_role message or an edit of its edit_role one.
 */
static int queue(struct dialog *d, struct notice *n, struct notice_actions *kb,
		 int64_t ticket_id, const char *link_role, const char *edit_role)
{
	struct buf actions = BUF_INIT(HTML_MAX);
	int rc = notice_actions_store(&actions, kb);
	n->actions = buf_cstr(&actions);
	struct outbox_new m = {
		.n = *n,
		.ticket_id = ticket_id,
		.link_role = link_role,
		.edit_role = edit_role,
	};
	if (!rc)
		rc = db_outbox_add(d->db, &m, d->now);
	buf_release(&actions);
	free(kb);
	return rc;
}

/*
 * The body of a notice from HTML the dialog made: a catalogue text itself
 * (msg()'s pointer) is stored by its key, so the sender renders it in the
 * config's language; anything composed is stored as one markup argument.
 */
static void set_body(struct notice *n, struct buf *args, const char *html)
{
	enum msg_id id;
	/* A text with a '%' was used as it is, not as a format: it stays as it is. */
	if (html && !strchr(html, '%') && !msg_by_text(&id, html))
		n->msg_key = msg_key(id);
	else if (html && *html)
		notice_arg_markup(args, html);
	n->args = buf_cstr(args);
}

/* Queues notice n with body html; the rest as queue(). */
static int tell(struct dialog *d, struct notice *n, const char *html, struct notice_actions *kb,
		int64_t ticket_id, const char *link_role, const char *edit_role)
{
	struct buf args = BUF_INIT(HTML_MAX);
	set_body(n, &args, html);
	int rc = args.failed ? TD_ENOMEM : queue(d, n, kb, ticket_id, link_role, edit_role);
	buf_release(&args);
	return rc;
}

int say(struct dialog *d, int64_t chat_id, const char *html, struct notice_actions *keyboard,
	int64_t reply_to, int64_t ticket_id, const char *link_role)
{
	if (!chat_id) {
		free(keyboard);
		return 0;
	}
	struct notice n = { .kind = NOTICE_SAY, .chat_id = chat_id, .reply_to = reply_to };
	return tell(d, &n, html, keyboard, ticket_id, link_role, NULL);
}

int say_msg(struct dialog *d, int64_t chat_id, enum msg_id id, ...)
{
	if (!chat_id)
		return 0;
	struct buf args = BUF_INIT(HTML_MAX);
	struct notice n = { .kind = NOTICE_SAY, .chat_id = chat_id, .msg_key = msg_key(id) };
	va_list ap;
	va_start(ap, id);
	int rc = notice_args_v(&args, id, ap);
	va_end(ap);
	n.args = buf_cstr(&args);
	if (!rc)
		rc = args.failed ? TD_ENOMEM : queue(d, &n, NULL, 0, NULL, NULL);
	buf_release(&args);
	return rc;
}

int say_quiet(struct dialog *d, int64_t chat_id, const char *html)
{
	if (!chat_id)
		return 0;
	struct notice n = { .kind = NOTICE_SAY, .chat_id = chat_id, .flags = NOTICE_SILENT };
	return tell(d, &n, html, NULL, 0, NULL, NULL);
}

int say_file(struct dialog *d, int64_t chat_id, const char *method, const char *file_id,
	     const char *caption, int64_t reply_to, int64_t ticket_id, const char *link_role)
{
	struct notice n = {
		.kind = !strcmp(method, "sendPhoto") ? NOTICE_PHOTO : NOTICE_DOCUMENT,
		.chat_id = chat_id,
		.ref = file_id,
		.reply_to = reply_to,
	};
	return tell(d, &n, caption, NULL, ticket_id, link_role, NULL);
}

int say_edit(struct dialog *d, int64_t chat_id, int64_t ticket_id, const char *role,
	     const char *html, struct notice_actions *keyboard)
{
	struct notice n = { .kind = NOTICE_EDIT, .chat_id = chat_id };
	return tell(d, &n, html, keyboard, ticket_id, NULL, role);
}

int answer(struct dialog *d, const struct tg_update *u, const char *text, bool alert)
{
	struct notice n = {
		.kind = NOTICE_ANSWER,
		.ref = u->callback_id,
		.flags = alert ? NOTICE_ALERT : 0,
	};
	return tell(d, &n, text, NULL, 0, NULL, NULL);
}

int ask(struct dialog *d, int64_t chat_id, const char *html, int64_t ticket_id,
	const char *link_role)
{
	struct notice n = { .kind = NOTICE_ASK, .chat_id = chat_id };
	return tell(d, &n, html, NULL, ticket_id, link_role, NULL);
}

void local_time(char *out, size_t n, int64_t t, const char *zone)
{
	struct tz *tz;
	struct tm tm;
	if (tz_load(&tz, zone)) {
		snprintf(out, n, "%lld", (long long)t);
		return;
	}
	tz_local(tz, t, &tm);
	strftime(out, n, "%Y-%m-%d %H:%M", &tm);
	tz_free(tz);
}

bool dialog_in_engineers_chat(const struct dialog *d, int64_t chat_id)
{
	return d->engineers_chat != 0 && chat_id == d->engineers_chat;
}

int dialog_handle(struct dialog *d, const struct tg_update *u)
{
	int rc;
	/* When each person was last heard; a private message proves they do not block the bot. */
	if (u->kind != UPDATE_OTHER && u->from_id &&
	    (rc = db_person_seen_tg(d->db, u->from_id, d->now,
				    u->kind == UPDATE_MESSAGE && u->private_chat)))
		return rc;
	switch (u->kind) {
	case UPDATE_CALLBACK:
		return callback_handle(d, u);
	case UPDATE_MESSAGE:
		if (u->migrate_to && dialog_in_engineers_chat(d, u->chat_id)) {
			log_info("engineers' chat %lld became %lld", (long long)u->chat_id,
				 (long long)u->migrate_to);
			d->engineers_chat = u->migrate_to;
			return db_chat_migrate(d->db, u->chat_id, u->migrate_to);
		}
		if (u->private_chat)
			return cashier_handle(d, u);
		if (dialog_in_engineers_chat(d, u->chat_id))
			return engineer_handle(d, u);
		log_debug("dialog: message in unknown chat %lld ignored", (long long)u->chat_id);
		return 0;
	case UPDATE_OTHER:
		break;
	}
	log_debug("dialog: update %lld of a kind the bot does not handle", (long long)u->update_id);
	return 0;
}
