/*
 * dialog.c - routing updates to the cashier and engineer flows, and the
 * helpers both use to speak through the outbox.
 */
#include "bot/dialog.h"
#include "core/tz.h"
#include "core/html.h"
#include "core/log.h"
#include "storage/chain.h"
#include "storage/outbox.h"
#include "storage/ticket.h"

#define TG_TEXT_MAX 4096
#define TG_CAPTION_MAX 1024
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

/* Buttons in rows of per_row. */
static json_object *keyboard(size_t n, const char *const *labels, const char *const *data,
			     size_t per_row)
{
	json_object *kb = json_object_new_object(), *rows = json_object_new_array(), *row = NULL;
	for (size_t i = 0; i < n; i++) {
		if (i % per_row == 0) {
			row = json_object_new_array();
			json_object_array_add(rows, row);
		}
		json_object *b = json_object_new_object();
		json_object_object_add(b, "text", json_object_new_string(labels[i]));
		json_object_object_add(b, "callback_data", json_object_new_string(data[i]));
		json_object_array_add(row, b);
	}
	json_object_object_add(kb, "inline_keyboard", rows);
	return kb;
}

json_object *keyboard_row(size_t n, const char *const *labels, const char *const *data)
{
	return keyboard(n, labels, data, n ? n : 1);
}

json_object *keyboard_column(size_t n, const char *const *labels, const char *const *data)
{
	return keyboard(n, labels, data, 1);
}

static int queue(struct dialog *d, int64_t chat_id, const char *method, json_object *params,
		 int64_t ticket_id, const char *link_role, const char *edit_role)
{
	struct outbox_new m = {
		.chat_id = chat_id,
		.method = method,
		.payload = json_object_to_json_string_ext(params, JSON_C_TO_STRING_PLAIN),
		.ticket_id = ticket_id,
		.link_role = link_role,
		.edit_role = edit_role,
	};
	int rc = db_outbox_add(d->db, &m, d->now);
	json_object_put(params);
	return rc;
}

static json_object *reply_params(int64_t reply_to)
{
	json_object *rp = json_object_new_object();
	json_object_object_add(rp, "message_id", json_object_new_int64(reply_to));
	/* The message replied to may be gone; the reply still matters. */
	json_object_object_add(rp, "allow_sending_without_reply", json_object_new_boolean(1));
	return rp;
}

/* sendMessage parameters for one HTML text; reply_to 0 for none. */
static json_object *text_params(const char *html, size_t len, int64_t reply_to)
{
	json_object *p = json_object_new_object();
	json_object_object_add(p, "text", json_object_new_string_len(html, (int)len));
	json_object_object_add(p, "parse_mode", json_object_new_string("HTML"));
	json_object *lpo = json_object_new_object();
	json_object_object_add(lpo, "is_disabled", json_object_new_boolean(1));
	json_object_object_add(p, "link_preview_options", lpo);
	if (reply_to)
		json_object_object_add(p, "reply_parameters", reply_params(reply_to));
	return p;
}

struct split_ctx {
	struct dialog *d;
	int64_t chat_id, reply_to, ticket_id;
	const char *link_role;
};

static int queue_part(const char *part, size_t len, void *arg)
{
	struct split_ctx *s = arg;
	json_object *p = text_params(part, len, s->reply_to);
	s->reply_to = 0;  /* only the first part replies */
	return queue(s->d, s->chat_id, "sendMessage", p, s->ticket_id, s->link_role, NULL);
}

int say(struct dialog *d, int64_t chat_id, const char *html, json_object *keyboard,
	int64_t reply_to, int64_t ticket_id, const char *link_role)
{
	if (!chat_id) {
		json_object_put(keyboard);
		return 0;
	}
	if (html_text_length(html) <= TG_TEXT_MAX) {
		json_object *p = text_params(html, strlen(html), reply_to);
		if (keyboard)
			json_object_object_add(p, "reply_markup", keyboard);
		return queue(d, chat_id, "sendMessage", p, ticket_id, link_role, NULL);
	}
	/* Over Telegram's limit: several messages, never a refusal. */
	struct split_ctx s = { d, chat_id, reply_to, ticket_id, link_role };
	int rc = html_split(html, TG_TEXT_MAX, queue_part, &s);
	if (!rc && keyboard) {
		/* A long text's buttons come in a short message of their own. */
		json_object *p = text_params("⬆️", strlen("⬆️"), 0);
		json_object_object_add(p, "reply_markup", keyboard);
		return queue(d, chat_id, "sendMessage", p, ticket_id, link_role, NULL);
	}
	json_object_put(keyboard);
	return rc;
}

int say_msg(struct dialog *d, int64_t chat_id, enum msg_id id, ...)
{
	struct buf b = BUF_INIT(HTML_MAX);
	va_list ap;
	va_start(ap, id);
	msg_vbuf(&b, id, ap);
	va_end(ap);
	int rc = say(d, chat_id, buf_cstr(&b), NULL, 0, 0, NULL);
	buf_release(&b);
	return rc;
}

int say_quiet(struct dialog *d, int64_t chat_id, const char *html)
{
	if (!chat_id)
		return 0;
	json_object *p = text_params(html, strlen(html), 0);
	json_object_object_add(p, "disable_notification", json_object_new_boolean(1));
	return queue(d, chat_id, "sendMessage", p, 0, NULL, NULL);
}

int say_file(struct dialog *d, int64_t chat_id, const char *method, const char *file_id,
	     const char *caption, int64_t reply_to, int64_t ticket_id, const char *link_role)
{
	json_object *p = json_object_new_object();
	bool photo = !strcmp(method, "sendPhoto");
	json_object_object_add(p, photo ? "photo" : "document", json_object_new_string(file_id));
	if (caption && *caption && html_text_length(caption) <= TG_CAPTION_MAX) {
		json_object_object_add(p, "caption", json_object_new_string(caption));
		json_object_object_add(p, "parse_mode", json_object_new_string("HTML"));
	}
	if (reply_to)
		json_object_object_add(p, "reply_parameters", reply_params(reply_to));
	int rc = queue(d, chat_id, method, p, ticket_id, link_role, NULL);
	/* A caption too long for Telegram follows as a message. */
	if (!rc && caption && *caption && html_text_length(caption) > TG_CAPTION_MAX)
		rc = say(d, chat_id, caption, NULL, 0, ticket_id, link_role);
	return rc;
}

int say_edit(struct dialog *d, int64_t chat_id, int64_t ticket_id, const char *role,
	     const char *html, json_object *keyboard)
{
	json_object *p = json_object_new_object();
	json_object_object_add(p, "text", json_object_new_string(html));
	json_object_object_add(p, "parse_mode", json_object_new_string("HTML"));
	/* No keyboard removes the old buttons. */
	json_object_object_add(p, "reply_markup", keyboard ? keyboard : json_tokener_parse("{\"inline_keyboard\":[]}"));
	return queue(d, chat_id, "editMessageText", p, ticket_id, NULL, role);
}

int answer(struct dialog *d, const struct tg_update *u, const char *text, bool alert)
{
	json_object *p = json_object_new_object();
	json_object_object_add(p, "callback_query_id", json_object_new_string(u->callback_id));
	if (text)
		json_object_object_add(p, "text", json_object_new_string(text));
	if (alert)
		json_object_object_add(p, "show_alert", json_object_new_boolean(1));
	return queue(d, 0, "answerCallbackQuery", p, 0, NULL, NULL);
}

int ask(struct dialog *d, int64_t chat_id, const char *html, int64_t ticket_id,
	const char *link_role)
{
	json_object *p = json_object_new_object();
	json_object_object_add(p, "text", json_object_new_string(html));
	json_object_object_add(p, "parse_mode", json_object_new_string("HTML"));
	json_object *fr = json_object_new_object();
	json_object_object_add(fr, "force_reply", json_object_new_boolean(1));
	json_object_object_add(fr, "selective", json_object_new_boolean(1));
	json_object_object_add(p, "reply_markup", fr);
	return queue(d, chat_id, "sendMessage", p, ticket_id, link_role, NULL);
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
