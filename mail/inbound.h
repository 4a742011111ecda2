/*
 * inbound.h - letters in: a MIME message from the desk's mailbox, parsed
 * (mail/parse.c, GMime) and taken (mail/inbound.c): a new ticket, words
 * added to one, a confirmation, a rating, or a polite answer and nothing
 * else. mail/intake.c fetches the letters over IMAP, parses each with
 * mail_parse() and calls inbound_take() inside the transaction that also
 * moves the mailbox's last UID, so a letter is taken exactly once across
 * crashes.
 */
#ifndef TD_INBOUND_H
#define TD_INBOUND_H

#include "core/common.h"

/* A file that came with a letter. */
struct inletter_file {
	char *name;            /* UTF-8 file name (RFC 2231/2047 decoded); "file" when none */
	char *mime;            /* lower-case type/subtype */
	unsigned char *data;   /* the decoded bytes; NULL when over the cap (named only) */
	size_t size;           /* the decoded size, also when over the cap */
};

/* A parsed letter; every string owned, UTF-8, never NULL (maybe ""). */
struct inletter {
	char *from_addr;       /* lower-case addr-spec of From; "" when none or unusable */
	char *from_name;       /* its display name, decoded */
	char *reply_addr;      /* Reply-To's addr-spec, else from_addr */
	bool bounce;           /* a delivery report: Return-Path <>, multipart/report, mailer-daemon */
	bool automatic;        /* Auto-Submitted (not "no"), Precedence bulk|list|junk, List-Id, X-Autoreply... */
	char *subject;         /* decoded, one line */
	char *message_id;      /* without angle brackets; "" when none */
	char *in_reply_to;     /* the first id of In-Reply-To, without brackets */
	char **references;     /* References' ids, oldest first, without brackets */
	size_t n_references;
	char *text;            /* the new words: text/plain (else the HTML's text) without the quoted history and signature */
	char *full_text;       /* the whole text as it came, for the record */
	int64_t date;          /* Date, Unix time; 0 when none or unparsable */
	struct inletter_file *files;
	size_t n_files;
};

/*
 * Parses raw (n bytes, a whole RFC 5322 message, or its header alone for
 * a letter too big to fetch) into *out. Attachments over attachment_max
 * bytes are named, their bytes dropped. 0, TD_EINVAL for bytes that are no
 * message at all (*out then holds what could be read and must still be
 * released), TD_ENOMEM. Never reads past n; never trusts a length inside.
 * GMime must be started first: mail_mime_init() (mail/build.h). Threads
 * may parse at once: each call has GMime objects of its own.
 */
int mail_parse(const char *raw, size_t n, size_t attachment_max, struct inletter *out);
void inletter_release(struct inletter *l);

/* Where a letter came from in the mailbox. */
struct inbound_meta {
	int64_t uidvalidity, uid;
	size_t size;           /* RFC822.SIZE; over imap.max_letter: raw is the header alone */
};

/* What became of a letter (mail_in.outcome). */
enum inbound_outcome {
	INBOUND_OPENED,        /* a new ticket */
	INBOUND_JOINED,        /* words added to its ticket */
	INBOUND_ANSWERED,      /* the knowledge base answered; no ticket yet */
	INBOUND_DECIDED,       /* a confirmation, a reopening, a rating, «помогло» */
	INBOUND_UNKNOWN,       /* a stranger: answered at most once a day */
	INBOUND_CAPPED,        /* over imap.per_sender_hour */
	INBOUND_OVERSIZE,      /* over imap.max_letter: refused politely */
	INBOUND_LOOP,          /* automatic, a bounce, our own address: no answer */
	INBOUND_INVALID,       /* not a message, or no usable sender */
	INBOUND_SET_ASIDE,     /* taking it failed, alone, again and again: recorded, nothing else (mail/intake.c) */
	INBOUND_OUTCOME_COUNT
};
const char *inbound_outcome_name(enum inbound_outcome o);

struct dialog;

/*
 * Takes one parsed letter in the caller's transaction on d: its
 * mail_in row, and whatever it does to tickets through the engine, with
 * the notices and letters that causes. *outcome and *ticket_id (0: none)
 * say what it did. 0, or a database error (the caller rolls back and
 * tries the letter again later). A letter taken before (the same
 * uidvalidity and uid) is TD_EEXISTS and changes nothing.
 */
int inbound_take(struct dialog *d, const struct inbound_meta *m, const struct inletter *l,
		 enum inbound_outcome *outcome, int64_t *ticket_id);

#endif
