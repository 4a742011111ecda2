/*
 * reply.h - the dialog's reply toolkit: every way the bot speaks, as a
 * channel-neutral notice (core/notice.h) queued in the outbox inside the
 * caller's transaction. The sender renders each for its channel at send
 * time (bot/render_tg.c: the HTML, splitting a long text, the keyboard with
 * the last part). Handlers call these; these call nothing back.
 */
#ifndef TD_REPLY_H
#define TD_REPLY_H

#include "bot/update.h"
#include "core/buf.h"
#include "core/msg.h"
#include "core/notice.h"

struct dialog;

/*
 * Buttons: one row of them, labels from the catalogue (msg()'s texts, so
 * the sender renders them in the config's language; other labels are
 * literals), data "verb:ticket[:arg]". The caller owns the result, which
 * reply_say() and reply_edit() consume (free() it otherwise).
 */
struct notice_actions *reply_keyboard_row(size_t n, const char *const *labels,
					  const char *const *data);
/* The same, one button per row (for long labels). */
struct notice_actions *reply_keyboard_column(size_t n, const char *const *labels,
					     const char *const *data);

/*
 * Each of these queues a notice (core/notice.h) in the outbox; the sender
 * renders it for the channel at send time (bot/render_tg.c: the HTML,
 * splitting a long text, the keyboard with the last part).
 *
 * reply_say() queues an HTML message to chat_id: msg()'s text itself is kept by
 * its catalogue key; anything else is stored as it is, one markup argument
 * in one language, so a body composed of catalogue pieces goes through
 * reply_say_parts() below instead. reply_to 0 for none.
 * When ticket_id and link_role are given, the sent message is remembered
 * as the ticket's. keyboard is consumed (may be NULL).
 */
int reply_say(struct dialog *d, int64_t chat_id, const char *html, struct notice_actions *keyboard,
	      int64_t reply_to, int64_t ticket_id, const char *link_role);
/* Queues a catalogue message by key with its arguments (plain; the renderer escapes them). */
int reply_msg(struct dialog *d, int64_t chat_id, enum msg_id id, ...);
/* Queues a short HTML text that arrives without a notification sound. */
int reply_quiet(struct dialog *d, int64_t chat_id, const char *html);
/* Queues a file by file_id with an HTML caption; kind NOTICE_PHOTO or NOTICE_DOCUMENT. */
int reply_file(struct dialog *d, int64_t chat_id, enum notice_kind kind, const char *file_id,
	       const char *caption, int64_t reply_to, int64_t ticket_id, const char *link_role);
/* Queues an edit of the ticket's message of role in chat_id. */
int reply_edit(struct dialog *d, int64_t chat_id, int64_t ticket_id, const char *role,
	       const char *html, struct notice_actions *keyboard);
/* Answers a callback query (text may be NULL; alert shows a dialog box). */
int reply_answer(struct dialog *d, const struct tg_update *u, const char *text, bool alert);
/* Queues a force-reply question, remembered as the ticket's link_role message. */
int reply_ask(struct dialog *d, int64_t chat_id, const char *html, int64_t ticket_id,
	      const char *link_role);

/*
 * The same four with a composed body: parts holds notice arguments
 * (core/notice.h: notice_arg_msg() for each catalogue piece,
 * notice_arg_text() for the user's words, notice_arg_markup() only for the
 * tags between pieces) that the sender renders one after another in the
 * config's language at send time. parts is borrowed; use these, not the
 * HTML ones, for any body that holds catalogue text and something else.
 */
int reply_say_parts(struct dialog *d, int64_t chat_id, const struct buf *parts,
		    struct notice_actions *keyboard, int64_t reply_to, int64_t ticket_id,
		    const char *link_role);
int reply_edit_parts(struct dialog *d, int64_t chat_id, int64_t ticket_id, const char *role,
		     const struct buf *parts, struct notice_actions *keyboard);
/*
 * As reply_say_parts(), ticket_id's notice that may go in one message
 * with others of its kind waiting for chat_id (NOTICE_JOINS: a busy
 * group's SLA warnings, bot/coalesce.h).
 */
int reply_join_parts(struct dialog *d, int64_t chat_id, const struct buf *parts,
		     struct notice_actions *keyboard, int64_t ticket_id);
int reply_file_parts(struct dialog *d, int64_t chat_id, enum notice_kind kind,
		     const char *file_id, const struct buf *parts, int64_t reply_to,
		     int64_t ticket_id, const char *link_role);
int reply_ask_parts(struct dialog *d, int64_t chat_id, const struct buf *parts,
		    int64_t ticket_id, const char *link_role);

/*
 * reply_say_parts() to each owner of the organisation registered in
 * Telegram, whose access is not revoked and who has not blocked the bot.
 */
int reply_owners(struct dialog *d, int64_t org_id, const struct buf *parts);

/* Escapes user text into b for HTML parse mode. */
void reply_esc(struct buf *b, const char *s);

/* "2026-11-22 10:15": t in the zone called zone. */
void reply_local_time(char *out, size_t n, int64_t t, const char *zone);

#endif
