/*
 * ticket_enums.h - the closed sets of words a ticket is made of: its
 * statuses, the kinds of its history rows, people's roles and the kinds
 * of their history rows, the roles of the chat messages linked to it, and
 * the verbs of its buttons, the routing groups of its engineers' chats.
 *
 * Each set is an enum with one table in ticket_enums.c giving its text.
 * For every set the stored text (a database column) and the wire text
 * (callback data, the command line's output) are the same word, so each
 * table row holds that one word. Parsing returns TD_EINVAL for a word the
 * table does not hold: an unknown word is never taken for a known one.
 */
#ifndef TD_TICKET_ENUMS_H
#define TD_TICKET_ENUMS_H

#include <stddef.h>
#include <stdint.h>

/* A ticket's status, stored in ticket_events.status. */
enum ticket_status { TICKET_NEW, TICKET_CLAIMED, TICKET_RESOLVED, TICKET_CLOSED };
#define TICKET_STATUS_COUNT 4

const char *ticket_status_name(enum ticket_status s);
int ticket_status_parse(enum ticket_status *out, const char *name);

/* The kind of a ticket's history row, stored in ticket_events.kind. */
enum history_kind {
	HISTORY_OPENED,
	HISTORY_MESSAGE,
	HISTORY_PHOTO,
	HISTORY_FILE,
	HISTORY_CLAIMED,
	HISTORY_RELEASED,
	HISTORY_REPLY,
	HISTORY_NOTE,
	HISTORY_RESOLVED,
	HISTORY_CONFIRMED,
	HISTORY_REOPENED,
	HISTORY_RATED,
	HISTORY_PRIORITY,
	HISTORY_SLA_WARNING,
	HISTORY_SLA_BREACH,
	HISTORY_REQUEUED,
	HISTORY_CASHIER_MOVED,
	HISTORY_AGENT_UPDATE,
	HISTORY_RECOVERED,
	HISTORY_AUTO_RESOLVED,
	HISTORY_KB_NOT_HELPED,
};
#define HISTORY_KIND_COUNT 21

const char *history_kind_name(enum history_kind k);
int history_kind_parse(enum history_kind *out, const char *name);

/* A person's role, stored in people.role and invites.role. */
enum person_role { ROLE_CASHIER, ROLE_ENGINEER, ROLE_ADMIN, ROLE_OWNER };
#define PERSON_ROLE_COUNT 4

const char *person_role_name(enum person_role r);
int person_role_parse(enum person_role *out, const char *name);

/* What an admin did to a person, stored in person_events.kind. */
enum person_event_kind {
	PERSON_DISABLED,  /* access revoked */
	PERSON_ENABLED,   /* access restored */
	PERSON_MOVED,     /* a cashier moved to another store */
};
#define PERSON_EVENT_KIND_COUNT 3

const char *person_event_kind_name(enum person_event_kind k);
int person_event_kind_parse(enum person_event_kind *out, const char *name);

/* What a chat message linked to a ticket is, stored in message_links.role. */
enum link_role {
	LINK_CARD,        /* the ticket's card in the engineers' chat */
	LINK_RELAY,       /* words relayed between the cashier and the engineers */
	LINK_QUESTION,    /* "does the till work?" after opening */
	LINK_CONFIRM,     /* the resolution with «Работает» / «Не работает» */
	LINK_RATING,      /* the 1..5 rating buttons */
	LINK_RESOLUTION,  /* the engineer's "how was it fixed?" question */
	LINK_LIST,        /* «Новые заявки»: new tickets' cards merged into one message (bot/newlist.h) */
	LINK_ASSIGNED,    /* the whole card in the assignee's private chat, taken from a list */
};
#define LINK_ROLE_COUNT 8

const char *link_role_name(enum link_role r);
int link_role_parse(enum link_role *out, const char *name);

/* What a person's next message answers, stored in person_state.kind. */
enum dialog_state {
	STATE_NEW_TICKET,  /* after /new: a new problem */
	STATE_SUGGESTED,   /* an article was shown: their answer to it */
	STATE_RESOLUTION,  /* after «Закрыть»: how it was fixed */
};
#define DIALOG_STATE_COUNT 3

const char *dialog_state_name(enum dialog_state s);
int dialog_state_parse(enum dialog_state *out, const char *name);

/*
 * The engineers who handle a ticket, by its knowledge-base article's
 * category ([routing] in the config); stored in tickets.route (NULL: the
 * default engineers' chat).
 */
enum route_group { ROUTE_FISCAL, ROUTE_EGAIS, ROUTE_NETWORK, ROUTE_HARDWARE, ROUTE_POS };
#define ROUTE_GROUP_COUNT 5

const char *route_group_name(enum route_group g);
int route_group_parse(enum route_group *out, const char *name);

/* A button's verb, the prefix of its callback data "verb:id[:arg]". */
enum button_verb {
	VERB_PRIORITY,  /* p:TICKET:1|3 the cashier says whether the till works */
	VERB_CONFIRM,   /* ok:TICKET    the cashier confirms the resolution */
	VERB_REOPEN,    /* re:TICKET    the cashier says it is still broken */
	VERB_RATE,      /* r:TICKET:1..5 */
	VERB_CLAIM,     /* c:TICKET     an engineer takes it */
	VERB_RELEASE,   /* u:TICKET     the assignee gives it back */
	VERB_CLOSE,     /* x:TICKET     the assignee starts the resolution */
	VERB_ADVICE,    /* k:SUGGESTION:1|2 an article helped or not */
};
#define BUTTON_VERB_COUNT 8

const char *button_verb_name(enum button_verb v);

/* A parsed press: the verb, the ticket (or suggestion) id, the argument (0: none). */
struct button {
	enum button_verb verb;
	int64_t id;
	int arg;
};

/*
 * Strictly parses callback data "verb:id[:arg]": a known verb, a positive
 * id, and an argument exactly when the verb takes one, within its values.
 * TD_EINVAL for anything else (forged or stale).
 */
int button_parse(struct button *out, const char *data);
/* Formats a button's callback data into out (arg 0: none). */
void button_data(char *out, size_t n, enum button_verb v, int64_t id, int arg);

#endif
