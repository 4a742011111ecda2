/*
 * build.h - a letter into the bytes of a MIME message (mail/build.c).
 * Only mail/ includes GMime: build.c writes messages, parse.c reads them
 * (inbound.h); mail_mime_init() below starts GMime for both.
 */
#ifndef TD_MAIL_BUILD_H
#define TD_MAIL_BUILD_H

#include "core/buf.h"
#include "mail/mail.h"

/* What a message is made of; strings borrowed for the call. */
struct mail_draft {
	const char *from;        /* "addr" or "Display Name <addr>" */
	const char *subject;     /* UTF-8, one line */
	const char *text;        /* text/plain, UTF-8, "\n" line ends */
	const char *html;        /* text/html; NULL: a text/plain message alone */
	const char *message_id;  /* without the angle brackets */
	int64_t date;            /* Unix time of the Date header (UTC) */
	const struct letter_rcpt *to;
	size_t n_to;
	/* Its place in a thread: Message-IDs without brackets; NULL or "": none. */
	const char *in_reply_to;
	const char *references;  /* space-separated, oldest first */
};

/*
 * Starts GMime (once per process, before any thread builds or parses a
 * letter) and ends it (mail_mime_shutdown, when no thread builds or
 * parses any more: the daemon's end, a test's teardown).
 */
void mail_mime_init(void);
void mail_mime_shutdown(void);

/*
 * Writes d as an RFC 5322 message into out: multipart/alternative of
 * text/plain and text/html (text/plain alone without html), UTF-8,
 * quoted-printable bodies, RFC 2047 encoded subject and names, CRLF line
 * ends, no line over 998 octets, Message-ID, Date, MIME-Version,
 * Auto-Submitted: auto-generated, and In-Reply-To and References when
 * the draft has them. 0, TD_EINVAL (an unusable from), or
 * TD_ENOMEM (out's cap).
 */
int mail_build(struct buf *out, const struct mail_draft *d);

/*
 * The addr-spec of from ("Name <addr>" or "addr") into out (n bytes), for
 * the envelope. 0 or TD_EINVAL.
 */
int mail_from_address(char *out, size_t n, const char *from);

#endif
