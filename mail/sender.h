/*
 * sender.h - the mail sender: the thread that delivers letters
 * (mail/mail.h) over SMTP.
 *
 * Every second it takes the letters that are due (pending, next_at
 * passed), up to a session's worth, builds each (mail/build.c), sends
 * them in one SMTP session to the recipients that still wait
 * (mail/smtp.c), and commits each letter's outcome as soon as the server
 * answered its data, before the next letter goes: per recipient sent
 * (2xx), failed for good (5xx), or pending again (4xx, the network, TLS,
 * AUTH) with the letter's next attempt after smtp.retry_after, doubling
 * up to an hour. A letter is done when no recipient waits. A crash
 * between the server's acceptance and that commit sends the letter again
 * on restart: at most one duplicate (SMTP has no idempotency).
 */
#ifndef TD_MAIL_SENDER_H
#define TD_MAIL_SENDER_H

#include "core/config.h"

struct mail_sender;

/*
 * Whether from (smtp.from) is one mailbox a letter can be sent from: 0 or
 * TD_EINVAL. It forks: call it before the process starts any thread.
 */
int mail_sender_check_from(const char *from);

/*
 * Starts the thread for cfg's [smtp] (read now); smtp.from checked before
 * with mail_sender_check_from(). TD_EINVAL with a reason
 * in err for settings it cannot use, TD_ERR when no thread starts.
 */
int mail_sender_start(struct mail_sender **out, const struct config *cfg, const volatile int *stop,
		      char *err, size_t errlen);
/* Waits for the thread to end (after *stop was set: within a session's time) and frees it. */
void mail_sender_join(struct mail_sender *s);

/* The wait before attempt attempts + 1 of a letter after a temporary failure, in seconds. */
int64_t mail_retry_wait(int64_t first, int attempts);

#endif
