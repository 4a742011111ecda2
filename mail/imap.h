/*
 * imap.h - the desk's mailbox over IMAP: one logged-in session with the
 * mailbox of imap.url selected, its new letters' UIDs, their sizes and
 * bytes fetched without marking them \Seen, and \Seen set once their
 * effects are committed (mail/intake.c).
 *
 * A session is used by one thread. Every call that talks to the server
 * waits at most the session's time-out for the server's next bytes and
 * ends early when *stop is set; after a failure (TD_ERR) the session is
 * broken: close it and open another. Neither the password nor a letter's
 * bytes are ever logged.
 */
#ifndef TD_IMAP_H
#define TD_IMAP_H

#include "core/buf.h"
#include "core/config.h"

struct imap;

/*
 * Connects to cfg's imap.url (imaps://, or imap:// with STARTTLS as
 * imap.starttls says; the certificate verified against the system's CAs
 * and smtp.ca_file), logs in as imap.user with imap.password and selects
 * the mailbox. TD_EDENIED when the server refused the login, TD_EINVAL
 * for a URL it cannot use, TD_ERR for anything else; a reason (never
 * the password) in err. Release with imap_close().
 */
int imap_open(struct imap **out, const struct config *cfg, long timeout_ms, const volatile int *stop,
	      char *err, size_t errlen);
/* Logs out (briefly, when the session still works) and frees m; NULL is fine. */
void imap_close(struct imap *m);

/*
 * Selects the mailbox again: its UIDVALIDITY and UIDNEXT as they are now
 * (UIDNEXT 0 when the server does not say).
 */
int imap_select(struct imap *m, int64_t *uidvalidity, int64_t *uidnext);

/*
 * The UIDs of the letters from from_uid up (only those not \Seen when
 * unseen), ascending, at most about 10,000 of them: the lowest the
 * mailbox has, looked for in windows of UIDs up to uidnext (from
 * imap_select(); 0: unknown), so that no answer grows with the mailbox.
 * *uids is the caller's to free (NULL when none).
 */
int imap_search(struct imap *m, int64_t from_uid, int64_t uidnext, bool unseen, int64_t **uids,
		size_t *n);

/* One letter fetched. */
struct imap_letter {
	int64_t uid;
	size_t size;        /* RFC822.SIZE */
	bool header_only;   /* over max_letter: raw holds its header alone (at most IMAP_HEADER_MAX bytes) */
	bool gone;          /* the server has it no more (expunged meanwhile) */
	struct buf raw;     /* its bytes, exactly as the server sent them */
};

/* The most of an oversize letter's header that is fetched. */
#define IMAP_HEADER_MAX (256u << 10)

/*
 * Fetches the n letters whose uid the caller set in letters[], in
 * ascending UID order (their other fields are overwritten): first every
 * size, then the whole of each letter of at most max_letter bytes and the
 * header of the others, all with BODY.PEEK, so no letter is marked \Seen.
 * Only the first *fetched letters get their bytes: those that fit budget
 * bytes together (the first one always); the rest are for a later call.
 * The server can send no more than max_letter bytes for one letter
 * (partial fetches, and a longer literal ends the session). Release each
 * of the n with imap_letter_release().
 */
int imap_fetch(struct imap *m, struct imap_letter *letters, size_t n, size_t max_letter, size_t budget,
	       size_t *fetched);
void imap_letter_release(struct imap_letter *l);

/* Marks the n letters \Seen (UID STORE +FLAGS.SILENT). */
int imap_seen(struct imap *m, const int64_t *uids, size_t n);

/* Why the last call failed, for a log line ("" when it did not). */
const char *imap_why(const struct imap *m);

#endif
