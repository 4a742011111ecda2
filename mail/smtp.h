/*
 * smtp.h - messages to an SMTP server with libESMTP (mail/smtp.c, the
 * one file that includes libesmtp.h and OpenSSL's TLS headers).
 *
 * The [smtp] settings make a client once; each mail_smtp_send() is one
 * session (one connection) carrying one or more messages. STARTTLS is
 * required unless configured otherwise, and the server's certificate is
 * always verified against the system's CAs (and smtp.ca_file), its name
 * against smtp.host: a certificate that fails is never accepted. AUTH
 * uses smtp.user and smtp.password when a user is set.
 */
#ifndef TD_MAIL_SMTP_H
#define TD_MAIL_SMTP_H

#include "core/config.h"

struct mail_smtp;

/* What became of one recipient of one message. */
enum mail_outcome {
	MAIL_SENT,       /* the server took the message for it (2xx) */
	MAIL_TEMPORARY,  /* 4xx, the network, TLS, AUTH: try again later */
	MAIL_PERMANENT,  /* 5xx for it, or for the message: never again */
};

struct mail_result {
	enum mail_outcome outcome;
	int code;          /* the server's reply code; 0: it gave none (network, TLS) */
	char reply[256];   /* its text on one line, or what went wrong */
};

/* One message of a session; the caller owns every field. */
struct mail_item {
	const char *data;            /* the message, CRLF line ends */
	size_t len;
	const char *const *rcpts;    /* envelope recipients (addr-specs) */
	size_t n_rcpts;
	struct mail_result *results; /* n_rcpts of them, filled by mail_smtp_send() */
	/*
	 * Called once when the results are filled: as soon as the server
	 * answered the message's data, or at the session's end. NULL: none.
	 */
	void (*done)(struct mail_item *item, void *arg);
	void *arg;
};

/*
 * A client for cfg's [smtp] (cfg is read now, not kept). TD_EINVAL with a
 * reason in err when smtp.ca_file or smtp.host cannot be used. smtp.from's
 * address is read with GMime at the first session (serve checks it before,
 * mail_sender_check_from()). Free with mail_smtp_free().
 */
int mail_smtp_new(struct mail_smtp **out, const struct config *cfg, char *err, size_t errlen);
void mail_smtp_free(struct mail_smtp *s);

/*
 * One session delivering items[0..n) and filling every result (each
 * item's done() told at once, so that the caller can record it before the
 * next message goes): each
 * recipient's own reply, or the message's, or, when the session never got
 * that far (the server down, its certificate refused, no STARTTLS, AUTH
 * refused), MAIL_TEMPORARY with the reason. Never logs a secret.
 */
void mail_smtp_send(struct mail_smtp *s, struct mail_item *items, size_t n);

#endif
