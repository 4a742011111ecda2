/*
 * mail_in.h - letters in (mail/inbound.h): every letter taken, with what
 * became of it; a ticket's mail thread; our letters found by their
 * Message-ID. In the caller's transaction.
 */
#ifndef TD_MAIL_IN_H
#define TD_MAIL_IN_H

#include "storage/db.h"

/* A letter taken; strings borrowed. */
struct mail_in_new {
	int64_t uidvalidity, uid;
	const char *message_id;   /* "" or NULL: none */
	const char *from_addr, *subject;
	int64_t size, at;
	const char *outcome;      /* inbound_outcome_name() */
	int64_t ticket_id;        /* 0: none */
};

/* Records a letter taken; TD_EEXISTS when its (uidvalidity, uid) was taken before. */
int db_mail_in_add(struct db *db, const struct mail_in_new *m);
/* Whether the letter (uidvalidity, uid) was taken. */
int db_mail_in_taken(struct db *db, int64_t uidvalidity, int64_t uid, bool *out);
/* How many letters from addr were taken at since or later. */
int db_mail_in_count(struct db *db, const char *addr, int64_t since, int64_t *out);
/*
 * The ticket a letter we took from from_addr (by its Message-ID) went to;
 * TD_ENOTFOUND: none. Another sender's letter under the same id is not
 * looked at: a Message-ID is the sender's to choose.
 */
int db_mail_in_ticket(struct db *db, const char *message_id, const char *from_addr, int64_t *out);
/*
 * One of our letters by its Message-ID: its ticket (0: none) and its ref
 * (n bytes). TD_ENOTFOUND when we sent no such letter.
 */
int db_letter_by_message(struct db *db, const char *message_id, int64_t *ticket_id, char *ref,
			 size_t n);
/* A queued letter's Message-ID (n bytes). */
int db_letter_message_id(struct db *db, int64_t id, char *out, size_t n);

/* The thread of a ticket whose cashier wrote by e-mail. */
#define TICKET_MAIL_REFS 4096
struct ticket_mail {
	char addr[256], name[256];
	char refs[TICKET_MAIL_REFS];  /* Message-IDs, space-separated, oldest first */
	char last_id[1000];           /* the newest letter's; "" for none */
	bool reachable;               /* (read only) its cashier is not disabled and still at its store */
};
/* TD_ENOTFOUND when the ticket has no thread (its cashier did not write by e-mail). */
int db_ticket_mail_get(struct db *db, int64_t ticket_id, struct ticket_mail *out);
/* Writes the ticket's thread (a new one, or its refs and last_id moved on). */
int db_ticket_mail_set(struct db *db, int64_t ticket_id, const struct ticket_mail *m);

/* The id of the ticket's newest history row. */
int db_ticket_newest_event(struct db *db, int64_t ticket_id, int64_t *out);

#endif
