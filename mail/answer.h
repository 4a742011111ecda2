/*
 * answer.h - letters back to people who write by e-mail.
 *
 * A ticket whose cashier wrote by e-mail has a thread (ticket_mail): what
 * the engine tells the cashier (bot/engine.c: opened, claimed, an
 * engineer's words, resolved, confirmed and the rating, reopened,
 * thanks) goes there as a letter instead of a Telegram message: the
 * notice's parts as plain text in the config's language, the buttons
 * turned into what to answer and mailto: links, Subject "Re: [№N]
 * title", In-Reply-To the thread's newest letter, References its last
 * ten. A letter that answers one letter (mail/inbound.c: a stranger, a
 * flood, a letter too big, the knowledge base's article) threads under
 * that letter.
 *
 * Everything is queued in the caller's transaction (mail_queue(): one
 * letter per ref, ever).
 */
#ifndef TD_MAIL_ANSWER_H
#define TD_MAIL_ANSWER_H

#include "core/buf.h"
#include "storage/db.h"

struct dialog;
struct ticket_mail;

/* What a letter on a ticket's thread asks its reader to answer. */
enum answer_ask {
	ANSWER_ASK_NONE,
	ANSWER_ASK_CONFIRM,   /* «Работает» / «Не работает» */
	ANSWER_ASK_RATE,      /* a digit 1..5 */
};

/*
 * Whether ticket_id's cashier wrote by e-mail (*by_mail: its answers go
 * by letter) and, if so, whether they may still hear of it (*reachable:
 * not disabled, still at its store).
 */
int mail_answer_thread(struct dialog *d, int64_t ticket_id, bool *by_mail, bool *reachable);

/*
 * Queues a letter on the ticket's thread: parts (core/notice.h's
 * arguments; the first of them a message or markup) as plain text, then
 * what ask asks, then how to write more. kind names the notice in the
 * letter's ref "ticket:N:EVENT:kind" (EVENT the ticket's newest history
 * row), so an event tells of itself once. Nothing when the ticket has no
 * thread. The thread moves on to this letter.
 */
int mail_answer(struct dialog *d, int64_t ticket_id, const char *kind, const struct buf *parts,
		enum answer_ask ask);

/* A letter that answers one letter in; strings borrowed. */
struct answer_direct {
	const char *ref, *kind;
	const char *to_addr, *to_name;
	const char *subject, *text;
	const char *in_reply_to;      /* the letter answered, "" or NULL: none */
	const char *const *references; /* its References, oldest first */
	size_t n_references;
};
/*
 * Queues a; 0 also when its ref was queued before (that is the "at most
 * once" of its ref) or it cannot be queued as it stands (logged).
 */
int mail_answer_direct(struct dialog *d, const struct answer_direct *a);

/* Appends a mailto: link to the desk's own address with subject (and body, NULL: none). */
void mail_answer_link(struct dialog *d, struct buf *b, const char *subject, const char *body);

/*
 * The desk's own address, lower-case (smtp.from's addr-spec) into out
 * (n bytes); "" when there is none.
 */
void mail_answer_own_address(const struct dialog *d, char *out, size_t n);

/*
 * Appends id (a Message-ID) to thread m's References, keeping the last
 * ten, and makes it the newest (what an answer replies to). An id too
 * long or with a space is left out.
 */
void mail_thread_push(struct ticket_mail *m, const char *id);

#endif
