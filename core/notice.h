/*
 * notice.h - what the bot has to tell someone, before any channel's wire
 * format: "tell this person or chat: this catalogue message with these
 * arguments, and these actions".
 *
 * The dialog builds notices; the outbox stores them as they are (see the
 * stored form below); at send time a renderer per channel turns one notice
 * into its wire format, in the language of the config: bot/render_tg.c
 * for Telegram. An e-mail renderer takes the same notice and uses
 * notice_text() with NOTICE_TEXT_PLAIN for its body and the actions'
 * labels for links; nothing here knows a channel.
 *
 * Stored form (the outbox's columns, stable across releases):
 *   kind      "text", "ask", "edit", "photo", "document", "answer", or
 *             "tg_json" for a row queued before notices (sent as it is)
 *   msg_key   the catalogue key (core/messages.def, e.g. "BOT_REOPENED"),
 *             NULL: the body is its arguments one after another (a row
 *             queued before nested messages has one markup argument, and
 *             renders as it did)
 *   args      the arguments in order, each "<kind><bytes>:<bytes>,", kind:
 *               t  a plain text the renderer escapes
 *               h  markup (the catalogue's HTML subset, already escaped)
 *                  passed as it is; only tags the dialog writes between
 *                  pieces ("<b>", "\n"), never catalogue text
 *               m  a nested catalogue message, "KEY|" then its own
 *                  arguments in this same form: "m22:BOT_CLAIMED|t1:7,t1:a,,"
 *                  renders BOT_CLAIMED with 7 and a, in the notice's language
 *               l  a list: its bytes are arguments in this same form,
 *                  rendered one after another (the rows of /queue: one
 *                  m argument a row)
 *             An m or l argument is one level deeper than its container;
 *             past NOTICE_DEPTH_MAX levels the notice does not render.
 *             Each text is escaped once, where it joins its own message.
 *   actions   one button a line, "<row>\t<verb:ticket[:arg]>\t<k|t>:<label>":
 *             the row it sits in, what pressing it means, and its label,
 *             k a catalogue key, t a literal (digits of a rating)
 *   ref       the file (photo, document) or the press (answer) it concerns:
 *             a Telegram file_id, or "att:ID", a file kept with the ticket
 *             (storage/attachments.h)
 *   reply_to  the message it answers, 0: none
 *   flags     NOTICE_SILENT, NOTICE_ALERT, NOTICE_PLAIN, NOTICE_AS_DOCUMENT,
 *             NOTICE_JOINS
 */
#ifndef TD_NOTICE_H
#define TD_NOTICE_H

#include "core/buf.h"
#include "core/msg.h"

enum notice_kind {
	NOTICE_LEGACY,      /* Bot API JSON queued before notices existed */
	NOTICE_SAY,         /* a message */
	NOTICE_ASK,         /* a message that asks for a reply (force reply) */
	NOTICE_EDIT,        /* the new text of the ticket's message of edit_role */
	NOTICE_PHOTO,       /* a file by ref, the body its caption */
	NOTICE_DOCUMENT,
	NOTICE_ANSWER,      /* the answer to the press ref: a short text or nothing */
};

enum {
	NOTICE_SILENT = 1,  /* arrives without a notification sound */
	NOTICE_ALERT = 2,   /* an answer shown as a dialog box */
	NOTICE_PLAIN = 4,   /* the channel refused the markup: send as plain text */
	NOTICE_AS_DOCUMENT = 8, /* the channel refused the file as a photo: send it as a document */
	/*
	 * It may go in one message with the others so flagged waiting for
	 * its chat (an SLA warning in a busy group, bot/coalesce.h).
	 */
	NOTICE_JOINS = 16,
};

/*
 * The most buttons a notice carries (a list of new tickets has a claim
 * button each, bot/newlist.h), and the longest action a button names.
 */
#define NOTICE_ACTIONS_MAX 32
#define NOTICE_ACTION_MAX 64
/* How deep nested messages and lists may go (the card needs 2). */
#define NOTICE_DEPTH_MAX 4

/* A notice; every string is borrowed (from the builder or the outbox row). */
struct notice {
	enum notice_kind kind;
	int64_t chat_id;          /* recipient: a Telegram chat, 0 for an answer */
	const char *msg_key;      /* NULL: the body is the markup argument */
	const char *args;         /* stored form, "" for none */
	const char *actions;      /* stored form, "" for none */
	const char *ref;          /* file id or callback query id, "" for none */
	int64_t reply_to;
	unsigned flags;
	const char *legacy_method, *legacy_payload;  /* NOTICE_LEGACY only */
};

/* Copies n into out with strings of its own, for notice_release(). */
void notice_copy(struct notice *out, const struct notice *n);
void notice_release(struct notice *n);

/* The stored text of a kind, and back (TD_EINVAL for an unknown text). */
const char *notice_kind_name(enum notice_kind kind);
int notice_kind_parse(enum notice_kind *out, const char *name);

/* ---- building ---- */

/* Appends one plain-text argument (the renderer escapes it). */
int notice_arg_text(struct buf *args, const char *s);
/* Appends one markup argument (already escaped for the catalogue's HTML). */
int notice_arg_markup(struct buf *args, const char *html);
/*
 * Appends a nested message: id with the arguments ap holds, stored as
 * notice_args_v() stores them (plain texts).
 */
int notice_arg_msg(struct buf *args, enum msg_id id, ...);
/* Appends a nested message: id with parts, arguments built by these functions. */
int notice_arg_msg_parts(struct buf *args, enum msg_id id, const char *parts);
/* Appends a list: items, arguments built by these functions, one after another. */
int notice_arg_list(struct buf *args, const char *items);
/*
 * Reads the stored argument at *p (before lim): its type (t, h, m, l) and
 * its len bytes at s (borrowed), and moves *p past it. TD_EINVAL when
 * *p is not one.
 */
int notice_arg_next(const char **p, const char *lim, char *type, const char **s, size_t *len);
/* Appends a span of time as msg_span() writes it, as a list of its units' messages. */
int notice_arg_span(struct buf *args, int64_t seconds);
/*
 * Appends the arguments ap holds for the catalogue text of id, each
 * formatted as its conversion asks (%lld, %.1f, %s...) and stored as plain
 * text.
 */
int notice_args_v(struct buf *args, enum msg_id id, va_list ap);

/* Buttons being laid out; labels and actions are copied. */
struct notice_actions {
	size_t n;
	struct notice_action {
		size_t row;
		char action[NOTICE_ACTION_MAX + 1];  /* longer ones are cut and refused when rendered */
		enum msg_id label;                   /* MSG__COUNT: the literal */
		char literal[32];
	} v[NOTICE_ACTIONS_MAX];
};
/*
 * Adds a button in row: label is a catalogue text (msg(MSG_BTN_...): its
 * key is stored, so the renderer speaks the config's language) or a short
 * literal. TD_EINVAL when the notice is full.
 */
int notice_action_add(struct notice_actions *a, size_t row, const char *label,
		      const char *action);
/* Appends the stored form of a (nothing for NULL or no buttons). */
int notice_actions_store(struct buf *out, const struct notice_actions *a);
/* Parses the stored form; TD_EINVAL when it is not one. */
int notice_actions_load(struct notice_actions *out, const char *stored);

/* ---- rendering ---- */

enum notice_text_as {
	NOTICE_TEXT_HTML,   /* plain arguments escaped, markup as it is */
	NOTICE_TEXT_PLAIN,  /* everything as plain text */
};
/*
 * Appends the notice's body in lang: the catalogue text of msg_key with
 * the arguments in place of its conversions, nested messages rendered in
 * lang too; without a key, the arguments one after another. TD_EINVAL for
 * an unknown key, malformed arguments or nesting past NOTICE_DEPTH_MAX.
 */
int notice_text(struct buf *out, const struct notice *n, enum msg_lang lang,
		enum notice_text_as as);
/* The label of button a in lang. Static or borrowed from a. */
const char *notice_action_label(const struct notice_action *a, enum msg_lang lang);

#endif
