/*
 * render_tg.c - notices into Telegram Bot API calls (see render_tg.h).
 */
#include "bot/render_tg.h"
#include "core/html.h"

#define RENDER_MAX (256u << 10)

struct ctx {
	struct tg_render *out;
	const struct notice *n;
	const struct tg_file *file;   /* the kept file the notice names, or NULL */
	bool plain;
	json_object *keyboard;   /* owned until a call takes it */
	int64_t reply_to;        /* only the first part replies */
	enum msg_lang lang;
};

static json_object *add_call(struct tg_render *r, const char *method)
{
	r->v = xrealloc(r->v, (r->n + 1) * sizeof(*r->v));
	struct tg_render_call *c = &r->v[r->n++];
	memset(c, 0, sizeof(*c));
	snprintf(c->method, sizeof(c->method), "%s", method);
	c->params = json_object_new_object();
	return c->params;
}

static void set(json_object *o, const char *key, json_object *v)
{
	json_object_object_add(o, key, v);
}

/* Sets key to the HTML text, or to its plain text when the markup was refused. */
static void set_text(json_object *p, const char *key, const char *html, size_t len, bool plain)
{
	if (!plain) {
		set(p, key, json_object_new_string_len(html, (int)len));
		set(p, "parse_mode", json_object_new_string("HTML"));
		return;
	}
	struct buf copy = BUF_INIT(RENDER_MAX), text = BUF_INIT(RENDER_MAX);
	buf_add(&copy, html, len);
	html_to_text(&text, buf_cstr(&copy));
	set(p, key, json_object_new_string(buf_cstr(&text)));
	buf_release(&copy);
	buf_release(&text);
}

static void set_reply(json_object *p, int64_t reply_to)
{
	if (!reply_to)
		return;
	json_object *rp = json_object_new_object();
	set(rp, "message_id", json_object_new_int64(reply_to));
	/* The message replied to may be gone; the reply still matters. */
	set(rp, "allow_sending_without_reply", json_object_new_boolean(1));
	set(p, "reply_parameters", rp);
}

/* The inline keyboard of the notice's actions; NULL for none. */
static int keyboard(json_object **out, const char *stored, enum msg_lang lang, char *why,
		    size_t why_len)
{
	struct notice_actions a;
	*out = NULL;
	if (notice_actions_load(&a, stored)) {
		snprintf(why, why_len, "malformed actions");
		return TD_EINVAL;
	}
	if (!a.n)
		return 0;
	json_object *rows = json_object_new_array(), *row = NULL;
	for (size_t i = 0; i < a.n; i++) {
		size_t len = strlen(a.v[i].action);
		if (!len || len >= TG_CALLBACK_DATA_MAX) {
			snprintf(why, why_len, "callback data of %zu bytes", len);
			json_object_put(rows);
			return TD_EINVAL;
		}
		if (!row || (i && a.v[i].row != a.v[i - 1].row)) {
			row = json_object_new_array();
			json_object_array_add(rows, row);
		}
		json_object *b = json_object_new_object();
		set(b, "text", json_object_new_string(notice_action_label(&a.v[i], lang)));
		set(b, "callback_data", json_object_new_string(a.v[i].action));
		json_object_array_add(row, b);
	}
	*out = json_object_new_object();
	set(*out, "inline_keyboard", rows);
	return 0;
}

/* One sendMessage of a text within the limit. */
static int message(const char *html, size_t len, void *arg)
{
	struct ctx *c = arg;
	json_object *p = add_call(c->out, "sendMessage");
	set_text(p, "text", html, len, c->plain);
	json_object *lpo = json_object_new_object();
	set(lpo, "is_disabled", json_object_new_boolean(1));
	set(p, "link_preview_options", lpo);
	set_reply(p, c->reply_to);
	c->reply_to = 0;
	if (c->n->flags & NOTICE_SILENT)
		set(p, "disable_notification", json_object_new_boolean(1));
	return 0;
}

/* A text as one message, or split over several; the keyboard on the last. */
static int say(struct ctx *c, const char *html)
{
	if (html_text_length(html) <= TG_TEXT_MAX) {
		message(html, strlen(html), c);
	} else {
		int rc = html_split(html, TG_TEXT_MAX, message, c);
		if (rc)
			return rc;
		if (!c->keyboard)
			return 0;
		/* A long text's buttons come in a short message of their own. */
		message("⬆️", strlen("⬆️"), c);
	}
	if (c->keyboard)
		set(c->out->v[c->out->n - 1].params, "reply_markup", c->keyboard);
	c->keyboard = NULL;
	return 0;
}

static void ask(struct ctx *c, const char *html)
{
	json_object *p = add_call(c->out, "sendMessage"), *fr = json_object_new_object();
	set_text(p, "text", html, strlen(html), c->plain);
	set(fr, "force_reply", json_object_new_boolean(1));
	set(fr, "selective", json_object_new_boolean(1));
	set(p, "reply_markup", fr);
}

static void edit(struct ctx *c, const char *html)
{
	json_object *p = add_call(c->out, "editMessageText");
	set_text(p, "text", html, strlen(html), c->plain);
	if (!c->keyboard) {
		/* No keyboard removes the old buttons. */
		c->keyboard = json_object_new_object();
		set(c->keyboard, "inline_keyboard", json_object_new_array());
	}
	set(p, "reply_markup", c->keyboard);
	c->keyboard = NULL;
}

/* A size as people read it: "512 Б", "3.4 КБ", "12.0 МБ". */
static void size_text(struct buf *b, enum msg_lang lang, int64_t bytes)
{
	if (bytes < 1024)
		msg_buf_in(b, lang, MSG_SIZE_BYTES, (long long)bytes);
	else if (bytes < 1024 * 1024)
		msg_buf_in(b, lang, MSG_SIZE_KB, (double)bytes / 1024.0);
	else
		msg_buf_in(b, lang, MSG_SIZE_MB, (double)bytes / (1024.0 * 1024.0));
}

/* A kept file with no bytes to send (over the size cap, or gone): the caption and a line naming it. */
static int file_not_kept(struct ctx *c, const char *caption)
{
	struct buf html = BUF_INIT(RENDER_MAX), name = BUF_INIT(RENDER_MAX),
		   size = BUF_INIT(64);
	html_escape(&name, c->file->name);
	size_text(&size, c->lang, c->file->size);
	buf_add(&html, caption, strlen(caption));
	if (*caption)
		buf_add(&html, "\n", 1);
	msg_buf_in(&html, c->lang, MSG_TG_FILE_NOT_KEPT, buf_cstr(&name), buf_cstr(&size));
	int rc = html.failed ? TD_ENOMEM : say(c, buf_cstr(&html));
	buf_release(&html);
	buf_release(&name);
	buf_release(&size);
	return rc;
}

static int file(struct ctx *c, const char *caption)
{
	const struct tg_file *f = c->file;
	if (f && !f->file_id && !f->kept)
		return file_not_kept(c, caption);
	bool photo = f ? f->photo : c->n->kind == NOTICE_PHOTO;
	json_object *p = add_call(c->out, photo ? "sendPhoto" : "sendDocument");
	bool fits = html_text_length(caption) <= TG_CAPTION_MAX;
	const char *ref = f ? f->file_id : c->n->ref;
	/* An upload's bytes are added by the sender, as a part of its own. */
	set(p, photo ? "photo" : "document", json_object_new_string(ref ? ref : ""));
	c->out->v[c->out->n - 1].upload = f && !f->file_id;
	if (*caption && fits)
		set_text(p, "caption", caption, strlen(caption), c->plain);
	set_reply(p, c->reply_to);
	c->reply_to = 0;
	/* A caption too long for Telegram follows as a message, with the buttons. */
	if (*caption && !fits)
		return say(c, caption);
	if (c->keyboard)
		set(p, "reply_markup", c->keyboard);
	c->keyboard = NULL;
	return 0;
}

static void answer(struct ctx *c, const char *text)
{
	json_object *p = add_call(c->out, "answerCallbackQuery");
	set(p, "callback_query_id", json_object_new_string(c->n->ref ? c->n->ref : ""));
	if (*text)
		set(p, "text", json_object_new_string(text));
	if (c->n->flags & NOTICE_ALERT)
		set(p, "show_alert", json_object_new_boolean(1));
}

static int legacy(struct tg_render *out, const struct notice *n, char *why, size_t why_len)
{
	json_object *params = json_tokener_parse(n->legacy_payload ? n->legacy_payload : "");
	if (!params || !json_object_is_type(params, json_type_object)) {
		json_object_put(params);
		snprintf(why, why_len, "outbox payload is not JSON");
		return TD_EINVAL;
	}
	json_object_put(add_call(out, n->legacy_method ? n->legacy_method : ""));
	out->v[out->n - 1].params = params;
	return 0;
}

int tg_render(struct tg_render *out, const struct notice *n, enum msg_lang lang, char *why,
	      size_t why_len)
{
	return tg_render_file(out, n, NULL, lang, why, why_len);
}

int tg_render_file(struct tg_render *out, const struct notice *n, const struct tg_file *kept,
		   enum msg_lang lang, char *why, size_t why_len)
{
	struct buf body = BUF_INIT(RENDER_MAX);
	struct ctx c = { out, n, kept, (n->flags & NOTICE_PLAIN) != 0, NULL, n->reply_to, lang };
	int rc;
	memset(out, 0, sizeof(*out));
	snprintf(why, why_len, "%s", "");
	if (n->kind == NOTICE_LEGACY)
		return legacy(out, n, why, why_len);
	if ((rc = keyboard(&c.keyboard, n->actions ? n->actions : "", lang, why, why_len)))
		goto done;
	if ((rc = notice_text(&body, n, lang, NOTICE_TEXT_HTML))) {
		snprintf(why, why_len, "cannot render message %s", n->msg_key ? n->msg_key : "(markup)");
		goto done;
	}
	switch (n->kind) {
	case NOTICE_SAY:
		rc = say(&c, buf_cstr(&body));
		break;
	case NOTICE_ASK:
		ask(&c, buf_cstr(&body));
		break;
	case NOTICE_EDIT:
		edit(&c, buf_cstr(&body));
		break;
	case NOTICE_PHOTO:
	case NOTICE_DOCUMENT:
		rc = file(&c, buf_cstr(&body));
		break;
	case NOTICE_ANSWER:
		answer(&c, buf_cstr(&body));
		break;
	case NOTICE_LEGACY:
		break;
	}
	if (rc)
		snprintf(why, why_len, "cannot split the text");
done:
	json_object_put(c.keyboard);
	buf_release(&body);
	return rc;
}

void tg_render_release(struct tg_render *r)
{
	for (size_t i = 0; i < r->n; i++)
		json_object_put(r->v[i].params);
	free(r->v);
	memset(r, 0, sizeof(*r));
}
