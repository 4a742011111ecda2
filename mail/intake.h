/*
 * intake.h - e-mail in: the thread of `tilldesk serve` that reads the
 * desk's IMAP mailbox (imap.url) at start and every imap.poll, and the one
 * pass `tilldesk mail fetch` makes.
 *
 * A pass selects the mailbox and reads how far the desk got
 * (storage/mailbox.h: UIDVALIDITY and the last UID taken). It looks for
 * the letters past that UID (mail/imap.h), fetches them in UID order,
 * a batch at a time, without marking them \Seen, parses each
 * (mail_parse()) and takes the batch in ONE transaction: inbound_take()
 * for each letter and the mailbox's last UID moved to the batch's last.
 * After the commit the Telegram sender is woken and the batch is marked
 * \Seen. A crash before the commit takes the batch again on restart (the
 * transaction never happened); after it, never again (the UID moved with
 * it); \Seen is only ever set on letters whose effects are committed.
 * A crash between the commit and \Seen leaves a batch taken but unread:
 * a new session marks the unseen among the last 1,000 UIDs taken.
 *
 * A mailbox never read before, or whose UIDVALIDITY changed (the server
 * renumbered it), is started over from its current state: its unseen
 * letters are taken, those already read (by a person in a mail client, or
 * by the desk under the old numbering) are not. Should the daemon stop
 * within that first pass, the rest of the pass is by UID again, read or
 * not.
 *
 * A pass that took letters is followed by another at once (more may have
 * come while it ran), one that took none by the wait of imap.poll.
 *
 * Network and server errors are logged (never the password) and the pass
 * is tried again after 1 s, doubling up to 5 minutes.
 */
#ifndef TD_MAIL_INTAKE_H
#define TD_MAIL_INTAKE_H

#include "core/config.h"
#include "mail/inbound.h"
#include "storage/db.h"

struct sender;
struct imap;

/* What a pass did. */
struct mail_intake_counts {
	size_t letters;                             /* taken now */
	size_t again;                               /* taken before (TD_EEXISTS): no change */
	size_t gone;                                /* expunged between the search and the fetch */
	size_t outcomes[INBOUND_OUTCOME_COUNT];     /* of those taken now */
};

/*
 * One pass over cfg's mailbox on db (the caller's connection, no
 * transaction open), through *session: opened when NULL, kept open for
 * the next pass, closed and set to NULL when it broke. GMime must be
 * started (mail_mime_init()). sender (may be
 * NULL) is woken after each commit; stop (may be NULL) ends the pass
 * between batches. Adds to *counts. 0; TD_EDENIED when
 * the server refused the login; TD_ERR for the network, the server or
 * the database (logged).
 */
int mail_intake_pass(struct db *db, const struct config *cfg, struct sender *sender,
		     struct imap **session, const volatile int *stop, struct mail_intake_counts *counts);

struct mail_intake;

/*
 * Starts the thread for cfg's [imap] (url set); GMime must be started
 * (mail_mime_init(), by the main thread before any other thread may start
 * it too: the mail sender's). TD_ERR with a reason in err when it cannot
 * start.
 */
int mail_intake_start(struct mail_intake **out, const struct config *cfg, struct sender *sender,
		      const volatile int *stop, char *err, size_t errlen);
/* Waits for the thread to end (*stop set: within about a second) and frees it; NULL is fine. */
void mail_intake_join(struct mail_intake *in);

#endif
