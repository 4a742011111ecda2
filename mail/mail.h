/*
 * mail.h - letters: e-mail's side of the outbox.
 *
 * A letter is queued in the transaction of what caused it (a digest due, an
 * SLA breach, an expiry reminder) and sent later by the mail sender
 * (mail/sender.c) over SMTP (libesmtp, mail/smtp.c) as a MIME message built
 * by GMime (mail/build.c). Each recipient's outcome is recorded: a 4xx or a
 * network failure is retried with backoff, a 5xx is final for that
 * recipient. Only mail/ includes libesmtp's and GMime's headers.
 */
#ifndef TD_MAIL_H
#define TD_MAIL_H

#include "storage/db.h"

struct letter_rcpt {
	const char *name;   /* display name, UTF-8; NULL or "": none */
	const char *addr;   /* addr-spec */
};

/* A letter to queue; strings are borrowed for the call. */
struct letter {
	/*
	 * Its identity: one letter per ref, ever ("digest:ORG:YYYY-MM-DD",
	 * "breach:TICKET:KIND", "expiry:UNIT:DATE:DAYS"), so that a pass run
	 * twice, or again after a crash, queues nothing more.
	 */
	const char *ref;
	const char *kind;        /* "digest", "breach", "expiry", ... */
	int64_t org_id;          /* 0: none */
	const char *subject;     /* UTF-8, one line */
	const char *text;        /* the text/plain part, UTF-8, "\n" line ends */
	const char *html;        /* the text/html part; NULL: text only */
	const struct letter_rcpt *to;
	size_t n_to;             /* at least one */
	/* A ticket's thread (mail/answer.h): its ticket, and the letter's place in it. */
	int64_t ticket_id;       /* 0: none */
	const char *in_reply_to; /* a Message-ID without brackets; NULL: none */
	const char *references;  /* Message-IDs without brackets, space-separated, oldest first; NULL: none */
};

/*
 * Queues l in the caller's transaction: *id gets its id. TD_EEXISTS when a
 * letter with its ref was queued before (nothing changes); TD_EINVAL for a
 * letter without recipients, subject or text, or an address that is not
 * one.
 */
int mail_queue(struct db *db, const struct letter *l, int64_t now, int64_t *id);

/* An addr-spec as far as a letter needs: local@domain, printable ASCII, no spaces or brackets. */
bool mail_address_valid(const char *a);

#endif
