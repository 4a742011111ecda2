/*
 * dialog.h - what the bot does with an update: pure logic over the
 * database. It decides the state change and writes the replies into the
 * outbox, all inside the caller's transaction; it knows nothing of HTTP.
 *
 * dialog.c routes an update to its flow: cashier.c, engineer.c (each with
 * its own buttons), advice.c (the knowledge base), card.c (the engineers'
 * card), access.c (an admin's revocations); every change of a ticket goes
 * through bot/engine.c, every reply through the toolkit bot/reply.h.
 */
#ifndef TD_DIALOG_H
#define TD_DIALOG_H

#include "bot/reply.h"
#include "bot/update.h"
#include "core/buf.h"
#include "core/msg.h"
#include "core/notice.h"
#include "core/ticket_enums.h"
#include "storage/db.h"

struct config;
struct kb;

struct dialog {
	struct db *db;
	int64_t engineers_chat;  /* current id of the (default) engineers' group, 0: none */
	/* Current id of each [routing] group's engineers' chat, 0: engineers_chat is theirs. */
	int64_t route_chats[ROUTE_GROUP_COUNT];
	int64_t now;
	struct kb *kb;           /* the knowledge base's searcher; NULL: no advice */
	/* The kb thresholds, SLA policies, telegram.relay; NULL: no advice, no SLA, relays in the group. */
	const struct config *cfg;
	int64_t writer;          /* the private chat whose update is handled, 0: none; its replies go first */
	int64_t listening_since; /* the scheduler's: since when the daemon hears the tills, 0: always */
};

/* A registered person, as the dialog sees them. */
struct person {
	int64_t id, tg_user_id, store_id, org_id;
	char name[128];
	enum person_role role;
	bool blocked;    /* Telegram refused a message to them (they blocked the bot) */
	bool disabled;   /* an admin revoked their access */
	bool private_chat; /* they have written to the bot privately (opened that chat) */
};

/*
 * Handles one update: a message goes to the cashier's flow (a private
 * chat) or the engineer's (the engineers' chat), a press to dialog_press().
 * 0, or a database error (the caller rolls back).
 */
int dialog_handle(struct dialog *d, const struct tg_update *u);
/*
 * A press of a button, callback data "verb:ticket[:arg]": the advice's
 * buttons to advice_press(), the card's to engineer_press(), the
 * cashier's to cashier_press(), after the presser is known and allowed in.
 */
int dialog_press(struct dialog *d, const struct tg_update *u);
/*
 * The person who pressed u, in *out, when they are registered and allowed
 * in; otherwise sets *refused and answers the press (an invite is needed,
 * or their access is revoked). 0, or a database error.
 */
int dialog_presser(struct dialog *d, const struct tg_update *u, struct person *out,
		   bool *refused);

/* ---- shared by cashier.c, engineer.c and card.c ---- */

/* ---- routing.c: which engineers' chat has a ticket ---- */

/*
 * Sets d's engineers' chats from cfg (telegram.engineers_chat and each
 * [routing] group's), each followed through the recorded migrations of
 * groups to supergroups (db_chat_current()).
 */
void dialog_chats(struct dialog *d, const struct config *cfg);
/*
 * Whether chat_id is an engineers' chat: the default one or a routing
 * group's. Never when none is configured (0) nor for an update without a
 * chat (0: a press whose message is gone), so that those two zeros never
 * meet.
 */
bool dialog_in_engineers_chat(const struct dialog *d, int64_t chat_id);
/*
 * The engineers' chat that has the ticket's card and notices: its route's
 * group's chat, else engineers_chat (0: none).
 */
int64_t dialog_ticket_chat(struct dialog *d, int64_t ticket_id);
/*
 * The routing group's name (static) for a new ticket with this knowledge
 * base article: its category's; NULL for no article (the default chat).
 */
const char *dialog_article_route(struct dialog *d, int64_t kb_article_id);
struct ticket_routes;
/*
 * The tickets chat_id's /queue lists, into *out: those whose chat it is
 * (the default chat: every ticket no other chat has). false, and *out
 * unused, when that is every ticket.
 */
bool dialog_chat_routes(const struct dialog *d, int64_t chat_id, struct ticket_routes *out);
/*
 * The engineers' chat old_id became the supergroup new_id: d and every
 * stored reference follow it (db_chat_migrate()).
 */
int dialog_chat_migrated(struct dialog *d, int64_t old_id, int64_t new_id);

/* Looks up the sender; TD_ENOTFOUND for a stranger. */
int dialog_person(struct dialog *d, int64_t tg_user_id, struct person *out);
/* Looks up a person by id; TD_ENOTFOUND when there is none. */
int dialog_person_by_id(struct dialog *d, int64_t id, struct person *out);
/* What the person's next message answers, and its ticket; TD_ENOTFOUND: nothing. */
int dialog_state(struct dialog *d, int64_t person_id, enum dialog_state *out, int64_t *ticket_id);


/* The ticket's card (engineers' chat) and its buttons for its state. */
int card_post(struct dialog *d, int64_t ticket_id);
int card_update(struct dialog *d, int64_t ticket_id);
/* card_update() for the count of relayed messages (bot/relay.h): nothing for a list's line. */
int card_count(struct dialog *d, int64_t ticket_id);
/*
 * A ticket the group shows only as a line of «Новые заявки»
 * (bot/newlist.h) was claimed: its whole card goes to the assignee's
 * private chat (where the conversation follows them), a reply to it
 * reaching the cashier. Nothing for a ticket with a card of its own.
 */
int card_to_assignee(struct dialog *d, int64_t ticket_id, int64_t assignee_id);

/* "/cmd" or "/cmd@bot" at the start of text: the argument after it, or NULL. */
const char *dialog_command_arg(const char *text, const char *cmd);

struct ticket_row;
/* A ticket's ids and state, for deciding: see db_ticket_brief(). */
int dialog_ticket_load(struct dialog *d, int64_t id, struct ticket_row *out);

int cashier_handle(struct dialog *d, const struct tg_update *u);

/* What a new ticket starts from. Strings are borrowed. */
struct report {
	const char *words;              /* the cashier's words: the title */
	const char *photo, *document;   /* the file they came with (Telegram file_id), NULL: none */
	int64_t kb_article_id;          /* the knowledge base's article for it, 0: none */
	int priority;
};
/*
 * Opens a ticket for person p from r, relays r's file to the engineers,
 * and asks (in reply to u) whether the till works. Gives the ticket's
 * number in *out.
 */
int cashier_open_ticket(struct dialog *d, const struct person *p, const struct tg_update *u,
			const struct report *r, int64_t *out);
/* Adds the cashier's message u to the ticket's history and relays it to the engineers. */
int cashier_add_message(struct dialog *d, const struct person *p, const struct tg_update *u,
			int64_t ticket_id);

/* ---- advice.c: the knowledge base in the dialog ---- */

/*
 * Before a ticket opens: answers the cashier's words with the best article
 * when the knowledge base is sure of it, and sets *answered. Otherwise
 * gives the article worth a hint on the card in *hint (0: none).
 */
int advice_offer(struct dialog *d, const struct person *p, const struct tg_update *u,
		 bool *answered, int64_t *hint);
/*
 * While an article shown to the cashier waits for their answer, takes
 * their message as that answer when it is one (see README, "The
 * knowledge base") and sets *handled; otherwise leaves it to the caller.
 */
int advice_typed(struct dialog *d, const struct person *p, const struct tg_update *u,
		 bool *handled);
/* What an answer to an article says (see README, "The knowledge base"). */
enum advice_answer { ADVICE_OTHER, ADVICE_HELPED, ADVICE_NOT_HELPED };
/*
 * Reads text (with a file, when file) as an answer to an article: it
 * helped, it did not, or it says something else. *more: it holds more
 * than the answer (a file, or words besides it), worth adding to the
 * ticket. The cashier's typed answers and the e-mail replies read alike.
 */
enum advice_answer advice_answer_of(const char *text, bool file, bool *more);
/* A press of «Помогло» / «Не помогло» (callback data "k:SUGGESTION:1|2", parsed into k). */
int advice_press(struct dialog *d, const struct tg_update *u, const struct button *k);
/* /kb words: the best articles, for anyone registered. */
int advice_search(struct dialog *d, const struct tg_update *u, const char *words);
int engineer_handle(struct dialog *d, const struct tg_update *u);
/*
 * A registered engineer's (or admin's) message in their private chat with
 * the bot, while conversations follow the assignee (bot/relay.h): a reply
 * to a cashier's relayed message answers them, the commands work as in
 * the group (answered here; /queue lists every ticket), anything else is
 * told how to answer and which tickets they have.
 */
int engineer_private(struct dialog *d, const struct person *p, const struct tg_update *u);
struct button;
/* The card's buttons in the engineers' chat: «Взять», «Отпустить», «Закрыть». */
int engineer_press(struct dialog *d, const struct tg_update *u, const struct person *p,
		   const struct button *k);
/* The cashier's buttons in their private chat: priority, confirm, reopen, rate. */
int cashier_press(struct dialog *d, const struct tg_update *u, const struct person *p,
		  const struct button *k);



/*
 * ---- access.c: an admin revoking, restoring or moving a person ----
 *
 * Each runs inside the caller's transaction, with the admin's login for
 * the person's history. TD_ENOTFOUND for an unknown person.
 */

/* The polite refusal a disabled person gets for a message or a press. */
int access_refuse(struct dialog *d, const struct tg_update *u);
/*
 * Revokes access: the tickets they had claimed go back to the queue (a
 * history row each, the card's «Взять» again, a notice in the engineers'
 * chat); *requeued counts them. TD_EEXISTS when already disabled.
 */
int access_disable(struct dialog *d, int64_t person_id, const char *admin, size_t *requeued);
/* Restores access. TD_EEXISTS when not disabled. */
int access_enable(struct dialog *d, int64_t person_id, const char *admin);
/*
 * Moves a cashier to store_id. Their unfinished tickets stay with the old
 * store (a history row each, a notice to the engineers); *left counts
 * them. TD_EINVAL for someone not a cashier, TD_EEXISTS for the same store.
 */
int access_move(struct dialog *d, int64_t person_id, int64_t store_id, const char *admin,
		size_t *left);


#endif
