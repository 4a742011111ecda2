/*
 * ticket.h - tickets and their history.
 *
 * A ticket row holds what never changes (store, till, cashier, source,
 * title, opening time) and its current state. Every state change is a new
 * ticket_events row carrying the state after it, written by
 * db_ticket_event() together with that state on the ticket, in the same
 * transaction, so the two never disagree and the past is never rewritten.
 */
#ifndef TD_TICKET_H
#define TD_TICKET_H

#include "core/ticket_enums.h"
#include "storage/db.h"

struct ticket_new {
	int64_t store_id, till_id, cashier_id;  /* till and cashier: 0 for none */
	const char *source;                     /* telegram, agent, email, cli */
	const char *title;
	int priority;                           /* 1 (critical) .. 4 (low) */
	int64_t kb_article_id;                  /* the knowledge base's best article, 0: none */
	const char *agent_check;                /* the till agent's check that opened it, NULL: none */
	const char *route;                      /* its routing group's name, NULL: the default chat */
	const char *body;                       /* the "opened" row's words, NULL: the title (a letter's text) */
};

struct ticket_row {
	int64_t id, store_id, till_id, cashier_id, assignee_id;
	/*
	 * The cashier's Telegram id (their private chat); 0: none, or they may
	 * no longer hear of it (disabled, or moved to another store).
	 */
	int64_t cashier_tg;
	const char *org, *store, *address, *timezone, *till, *cashier, *assignee;
	const char *source, *title;
	int64_t kb_article_id;       /* 0: none */
	const char *kb_title;        /* its title, "" for none */
	enum ticket_status status;
	int priority;
	int64_t created_at, updated_at;
	int64_t due_at;              /* the nearest SLA deadline still running, 0: none */
	bool breached;               /* an SLA deadline of it was breached */
	bool assignee_disabled;      /* the assignee's access was revoked */
};

struct ticket_event_row {
	int64_t id, at;
	const char *actor;   /* "" for the system */
	const char *kind, *body;
	/*
	 * The words as a catalogue message ("" for none: they are body): its
	 * key and its arguments in core/notice.h's stored form, for the
	 * reader to render in their language.
	 */
	const char *msg_key, *args;
	enum ticket_status status;
	int priority;
	const char *assignee;
};

/* Opens a ticket and writes its "opened" history row, in the caller's transaction. */
int db_ticket_open(struct db *db, int64_t *out, const struct ticket_new *t, int64_t now);

/*
 * Appends a history row: kind (opened, claimed, released, note, ...), the
 * actor (0: system), the new status, priority and assignee (0: none) and an
 * optional body; and makes that the ticket's state (and the counts per
 * status), in the caller's transaction. The one writer of ticket history.
 */
int db_ticket_event(struct db *db, int64_t ticket_id, int64_t now, int64_t actor_id,
		    enum history_kind kind, enum ticket_status status, int priority,
		    int64_t assignee_id, const char *body);

/*
 * A history row's words: a text as it was written (a cashier's, an
 * engineer's), or a catalogue message of the desk's own (msg_key not
 * NULL: its key, and args its arguments in core/notice.h's stored form),
 * which the reader renders in their language. Strings are borrowed.
 */
struct history_words {
	const char *body;
	const char *msg_key, *args;
};
/* db_ticket_event() with the words w. */
int db_ticket_event_words(struct db *db, int64_t ticket_id, int64_t now, int64_t actor_id,
			  enum history_kind kind, enum ticket_status status, int priority,
			  int64_t assignee_id, const struct history_words *w);

/*
 * "Every store" is said explicitly, never by an id of 0: a person without a
 * store (store_id 0) must see no store's tickets, not all of them. A
 * filter left zeroed lists nothing.
 */
struct ticket_filter {
	bool all_stores;       /* tickets of every store; else store_id's only */
	int64_t store_id;
	bool all_orgs;         /* of every organisation; else org_id's only */
	int64_t org_id;
	bool open_only;        /* status new or claimed */
	int limit;             /* 0: no limit */
};

/* Lists tickets matching f, newest first. */
int db_ticket_list(struct db *db, const struct ticket_filter *f,
		   int (*fn)(const struct ticket_row *, void *), void *arg);
/* One ticket: TD_ENOTFOUND if there is none with that id. */
int db_ticket_get(struct db *db, int64_t id, int (*fn)(const struct ticket_row *, void *),
		  void *arg);
/*
 * One ticket's ids and state into *out, for deciding (the engine's load):
 * what db_ticket_get() gives, but its strings "", no deadline (due_at 0,
 * breached false), updated_at 0 and kb_article_id 0. Reads the ticket and
 * its two people by their keys only. TD_ENOTFOUND if there is none.
 */
int db_ticket_brief(struct db *db, int64_t id, struct ticket_row *out);
/*
 * The cashier's newest ticket not yet closed at their current store (one
 * left at a store they moved from stays there); TD_ENOTFOUND if none.
 */
int db_ticket_open_of(struct db *db, int64_t cashier_id, int64_t *out);

/*
 * The till's newest unfinished ticket (new, claimed, resolved) opened by
 * its agent for check (agent_check); TD_ENOTFOUND if none.
 */
int db_ticket_open_for_check(struct db *db, int64_t till_id, const char *check, int64_t *out);

/*
 * The head of the open tickets (new, claimed): the nearest SLA deadline
 * first, then those without one oldest first; assignee_id 0: anyone's.
 * Calls fn for the first limit of them (0: all) and gives how many there
 * are in *total. Reads indexes only, whatever the number of tickets.
 */
int db_ticket_queue(struct db *db, int64_t assignee_id, int limit, int *total,
		    int (*fn)(const struct ticket_row *, void *), void *arg);

/*
 * Which tickets a queue lists by their route (tickets.route): those whose
 * route is one of groups (bit g: enum route_group g), or, with except,
 * those whose route is none of them (those without a route among them).
 */
struct ticket_routes {
	unsigned groups;
	bool except;
};
/*
 * db_ticket_queue() of anyone's tickets (assignee_id 0) in routes only
 * (NULL: every route); an assignee's queue is theirs whatever the route.
 * With routes the count reads the open tickets, not the kept totals.
 */
int db_ticket_queue_routed(struct db *db, int64_t assignee_id, const struct ticket_routes *routes,
			   int limit, int *total, int (*fn)(const struct ticket_row *, void *),
			   void *arg);
/* The ticket's route in out ("" for none: the default chat); TD_ENOTFOUND: no such ticket. */
int db_ticket_route(struct db *db, int64_t id, char *out, size_t n);

/* The words its "opened" row keeps (n bytes, cut); TD_ENOTFOUND for no such ticket. */
int db_ticket_opening(struct db *db, int64_t id, char *out, size_t n);

/* True when the ticket's history has an event of this kind. */
bool db_ticket_has_event(struct db *db, int64_t id, enum history_kind kind);

/* Its history, oldest first. */
int db_ticket_history(struct db *db, int64_t id,
		      int (*fn)(const struct ticket_event_row *, void *), void *arg);

/*
 * An acknowledgement of a follow-up to chat at now, unless one was sent
 * less than gap seconds before: sets *due, and when it is due records it.
 */
int db_ack_due(struct db *db, int64_t chat_id, int64_t now, int64_t gap, bool *due);

#endif
