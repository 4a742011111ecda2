/*
 * reply.c - the reply toolkit: say, answer, ask, edit, keyboards and
 * escaping, each a notice queued in the outbox.
 */
#include "bot/dialog.h"
#include "bot/reply.h"
#include "core/html.h"
#include "core/log.h"
#include "core/tz.h"
#include "storage/chain.h"
#include "storage/outbox.h"

#define HTML_MAX (256u << 10)

void reply_esc(struct buf *b, const char *s)
{
	html_escape(b, s);
}

/* Buttons in rows of per_row; labels and data are copied. */
static struct notice_actions *keyboard(size_t n, const char *const *labels,
				       const char *const *data, size_t per_row)
{
	struct notice_actions *kb = xcalloc(1, sizeof(*kb));
	for (size_t i = 0; i < n; i++)
		if (notice_action_add(kb, i / per_row, labels[i], data[i]))
			log_warn("reply: a keyboard of more than %d buttons loses '%s'",
				 NOTICE_ACTIONS_MAX, data[i]);
	return kb;
}

struct notice_actions *reply_keyboard_row(size_t n, const char *const *labels,
					  const char *const *data)
{
	return keyboard(n, labels, data, n ? n : 1);
}

struct notice_actions *reply_keyboard_column(size_t n, const char *const *labels,
					     const char *const *data)
{
	return keyboard(n, labels, data, 1);
}

/*
 * A press's spinner turns until it is answered; a person who just wrote
 * waits for the reply; cards, edits and notices to others can wait a little.
 */
static enum outbox_lane lane_of(const struct dialog *d, const struct notice *n,
				const char *edit_role)
{
	if (n->kind == NOTICE_ANSWER)
		return OUTBOX_ANSWER;
	if (d->writer && n->chat_id == d->writer && !edit_role)
		return OUTBOX_REPLY;
	return OUTBOX_BULK;
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
		.lane = lane_of(d, n, edit_role),
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

/*
 * Queues notice n with body html, or with the composed body parts when
 * parts is not NULL; the rest as queue().
 */
static int tell(struct dialog *d, struct notice *n, const char *html, const struct buf *parts,
		struct notice_actions *kb, int64_t ticket_id, const char *link_role,
		const char *edit_role)
{
	struct buf args = BUF_INIT(HTML_MAX);
	int rc;
	if (parts)
		n->args = buf_cstr(parts);
	else
		set_body(n, &args, html);
	if (args.failed || (parts && parts->failed)) {
		free(kb);
		rc = TD_ENOMEM;
	} else {
		rc = queue(d, n, kb, ticket_id, link_role, edit_role);
	}
	buf_release(&args);
	return rc;
}

int reply_say(struct dialog *d, int64_t chat_id, const char *html, struct notice_actions *keyboard,
	      int64_t reply_to, int64_t ticket_id, const char *link_role)
{
	if (!chat_id) {
		free(keyboard);
		return 0;
	}
	struct notice n = { .kind = NOTICE_SAY, .chat_id = chat_id, .reply_to = reply_to };
	return tell(d, &n, html, NULL, keyboard, ticket_id, link_role, NULL);
}

int reply_msg(struct dialog *d, int64_t chat_id, enum msg_id id, ...)
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

int reply_quiet(struct dialog *d, int64_t chat_id, const char *html)
{
	if (!chat_id)
		return 0;
	struct notice n = { .kind = NOTICE_SAY, .chat_id = chat_id, .flags = NOTICE_SILENT };
	return tell(d, &n, html, NULL, NULL, 0, NULL, NULL);
}

int reply_file(struct dialog *d, int64_t chat_id, enum notice_kind kind, const char *file_id,
	       const char *caption, int64_t reply_to, int64_t ticket_id, const char *link_role)
{
	struct notice n = {
		.kind = kind == NOTICE_PHOTO ? NOTICE_PHOTO : NOTICE_DOCUMENT,
		.chat_id = chat_id,
		.ref = file_id,
		.reply_to = reply_to,
	};
	return tell(d, &n, caption, NULL, NULL, ticket_id, link_role, NULL);
}

int reply_edit(struct dialog *d, int64_t chat_id, int64_t ticket_id, const char *role,
	       const char *html, struct notice_actions *keyboard)
{
	struct notice n = { .kind = NOTICE_EDIT, .chat_id = chat_id };
	return tell(d, &n, html, NULL, keyboard, ticket_id, NULL, role);
}

int reply_answer(struct dialog *d, const struct tg_update *u, const char *text, bool alert)
{
	struct notice n = {
		.kind = NOTICE_ANSWER,
		.ref = u->callback_id,
		.flags = alert ? NOTICE_ALERT : 0,
	};
	return tell(d, &n, text, NULL, NULL, 0, NULL, NULL);
}

int reply_ask(struct dialog *d, int64_t chat_id, const char *html, int64_t ticket_id,
	      const char *link_role)
{
	struct notice n = { .kind = NOTICE_ASK, .chat_id = chat_id };
	return tell(d, &n, html, NULL, NULL, ticket_id, link_role, NULL);
}

int reply_say_parts(struct dialog *d, int64_t chat_id, const struct buf *parts,
		    struct notice_actions *keyboard, int64_t reply_to, int64_t ticket_id,
		    const char *link_role)
{
	if (!chat_id) {
		free(keyboard);
		return 0;
	}
	struct notice n = { .kind = NOTICE_SAY, .chat_id = chat_id, .reply_to = reply_to };
	return tell(d, &n, NULL, parts, keyboard, ticket_id, link_role, NULL);
}

int reply_join_parts(struct dialog *d, int64_t chat_id, const struct buf *parts,
		     struct notice_actions *keyboard, int64_t ticket_id)
{
	if (!chat_id) {
		free(keyboard);
		return 0;
	}
	struct notice n = { .kind = NOTICE_SAY, .chat_id = chat_id, .flags = NOTICE_JOINS };
	return tell(d, &n, NULL, parts, keyboard, ticket_id, NULL, NULL);
}

int reply_edit_parts(struct dialog *d, int64_t chat_id, int64_t ticket_id, const char *role,
		     const struct buf *parts, struct notice_actions *keyboard)
{
	struct notice n = { .kind = NOTICE_EDIT, .chat_id = chat_id };
	return tell(d, &n, NULL, parts, keyboard, ticket_id, NULL, role);
}

int reply_file_parts(struct dialog *d, int64_t chat_id, enum notice_kind kind,
		     const char *file_id, const struct buf *parts, int64_t reply_to,
		     int64_t ticket_id, const char *link_role)
{
	struct notice n = {
		.kind = kind == NOTICE_PHOTO ? NOTICE_PHOTO : NOTICE_DOCUMENT,
		.chat_id = chat_id,
		.ref = file_id,
		.reply_to = reply_to,
	};
	return tell(d, &n, NULL, parts, NULL, ticket_id, link_role, NULL);
}

int reply_ask_parts(struct dialog *d, int64_t chat_id, const struct buf *parts,
		    int64_t ticket_id, const char *link_role)
{
	struct notice n = { .kind = NOTICE_ASK, .chat_id = chat_id };
	return tell(d, &n, NULL, parts, NULL, ticket_id, link_role, NULL);
}

struct owners {
	struct dialog *d;
	int64_t org_id;
	const struct buf *parts;
	int rc;
};

static int tell_owner(const struct person_row *p, void *arg)
{
	struct owners *o = arg;
	enum person_role role;
	if (!o->rc && !p->blocked && !p->disabled_at && p->tg_user_id && p->org_id == o->org_id &&
	    !person_role_parse(&role, p->role) && role == ROLE_OWNER)
		o->rc = reply_say_parts(o->d, p->tg_user_id, o->parts, NULL, 0, 0, NULL);
	return o->rc;
}

int reply_owners(struct dialog *d, int64_t org_id, const struct buf *parts)
{
	const struct person_filter f = { .org_id = org_id, .role = person_role_name(ROLE_OWNER) };
	struct owners o = { d, org_id, parts, 0 };
	int rc = db_person_list(d->db, &f, tell_owner, &o);
	return rc ? rc : o.rc;
}

void reply_local_time(char *out, size_t n, int64_t t, const char *zone)
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
