/*
 * engine.h - the one way a ticket changes.
 *
 * Every change of a ticket (a cashier's message or button, an engineer's
 * button, command or reply, the scheduler, an admin disabling a person, a
 * till agent) is an event applied by engine_apply() on behalf of an actor.
 * One table in engine.c says, per event, from which statuses and by whom
 * it may happen, the status and assignee after it, the history row it
 * writes, its effect on the SLA timers and the notices it produces (to
 * a cashier whose ticket came by e-mail, letters on its thread:
 * mail/answer.h). Authorisation is that table's row and nowhere else; only where a
 * request may come from (an engineer's button from the engineers' chat, a
 * cashier's from their private chat) is the channel's to check.
 *
 * Everything runs inside the caller's transaction: a refusal changes
 * nothing; an error means the caller rolls back.
 */
#ifndef TD_ENGINE_H
#define TD_ENGINE_H

#include "bot/dialog.h"
#include "bot/sla_watch.h"

enum ticket_event {
	EV_OPEN,          /* a cashier reports a problem: a new ticket */
	EV_MESSAGE,       /* the cashier adds words or a file */
	EV_CLAIM,         /* an engineer takes it */
	EV_RELEASE,       /* the assignee gives it back to the queue */
	EV_REPLY,         /* an engineer writes to the cashier */
	EV_NOTE,          /* an engineer's note, for the engineers only */
	EV_RESOLVE,       /* the assignee says how it was fixed */
	EV_CONFIRM,       /* the cashier confirms it works */
	EV_REOPEN,        /* the cashier says it still does not work */
	EV_RATE,          /* the cashier rates the work, once */
	EV_PRIORITY,      /* the cashier says whether the till works */
	EV_KB_DECLINED,   /* the article offered before opening did not help */
	EV_AGENT_OPEN,    /* a till's agent reports a fault: a new ticket */
	EV_AGENT_UPDATE,  /* the agent adds what it sees */
	EV_RECOVER,       /* the agent's check is fine again */
	EV_AUTO_RESOLVE,  /* the system closes a recovered agent ticket */
	EV_SLA_WARNING,   /* the scheduler warns of a deadline */
	EV_ESCALATE,      /* the scheduler reports a breached deadline */
	EV_REQUEUE,       /* the assignee's access was revoked: back to the queue */
	EV_CASHIER_MOVED, /* its cashier moved to another store: nobody there answers for it */
	EV_AGENT_RAISE,   /* the agent's fault got worse: a higher priority, said once */
	EV_FORECAST_OPEN, /* the system plans the replacement of equipment near its end of life */
};
#define TICKET_EVENT_COUNT 22

/* Who acts. */
enum actor_kind { ACTOR_PERSON, ACTOR_AGENT, ACTOR_SYSTEM };

struct actor {
	enum actor_kind kind;
	const struct person *person;  /* ACTOR_PERSON: borrowed */
	int64_t till_id;              /* ACTOR_AGENT: the till whose token it showed */
};

/* A catalogue message with its arguments (core/notice.h's stored form); borrowed. */
struct event_msg {
	enum msg_id id;
	const char *args;
};

/* What an event carries besides the ticket; strings are borrowed, unused fields zero. */
struct event_args {
	const char *body;             /* words: message, reply, note, resolution, reason */
	const char *photo, *document; /* a file that came with them (Telegram file_id) */
	int priority;                 /* open, agent open, priority: 1..4 */
	int score;                    /* rate: 1..5 */
	/* open: */
	const char *title;
	int64_t kb_article_id;        /* the knowledge base's hint, 0: none */
	int64_t store_id, till_id;    /* agent open, forecast open: the till's */
	int64_t reply_to;             /* the cashier's message the answer replies to */
	int64_t chat_id;              /* the chat it came from (the cashier's; a reply: the engineer's) */
	/* A button press: the cashier's notice edits the pressed message instead of a new one. */
	bool pressed;
	const char *name;             /* requeue, cashier moved: whom it is about */
	/*
	 * Requeue, cashier moved: the history row's words as a catalogue
	 * message, rendered in the reader's language when shown (NULL: body).
	 */
	const struct event_msg *history;
	const struct sla_timer *timer; /* warning, escalate: the timer due */
	/*
	 * Open events: called with the new ticket's id before its notices
	 * are made (the alerting links its alert, which the card shows).
	 */
	int (*opened)(struct dialog *d, int64_t ticket_id, void *arg);
	void *opened_arg;
	int64_t *out_id;              /* the open events: the new ticket's id (may be NULL) */
	const char *source;           /* a person's open: where it came from ("email"); NULL: "telegram" */
};

/* engine_apply()'s refusals: nothing was changed. */
#define ENGINE_EDENIED TD_EDENIED  /* this actor may never do this to this ticket */
#define ENGINE_ESTALE TD_EINVAL    /* not in the ticket's present status or assignment */

/*
 * Applies ev to ticket_id (0 for the open events) on behalf of who: the
 * new state and its history row, the SLA effect, the notices. 0 when
 * applied; ENGINE_EDENIED or ENGINE_ESTALE when the table refuses it;
 * TD_ENOTFOUND for no such ticket; another negative for a database error.
 */
int engine_apply(struct dialog *d, enum ticket_event ev, const struct actor *who,
		 int64_t ticket_id, const struct event_args *args);
/* Whether engine_apply() would accept ev now (0), or its refusal; changes nothing. */
int engine_check(struct dialog *d, enum ticket_event ev, const struct actor *who,
		 int64_t ticket_id);

/* The event's name, for logs and tests. */
const char *ticket_event_name(enum ticket_event ev);

/* A person acting. */
static inline struct actor actor_person(const struct person *p)
{
	return (struct actor){ .kind = ACTOR_PERSON, .person = p };
}

#endif
