/*
 * alerts.h - the alerts' rows (bot/alert.c decides): one live alert per
 * (store, till, code), its history, storms and the tills gone silent. In
 * the caller's transaction, like the rest of storage/.
 */
#ifndef TD_ALERTS_H
#define TD_ALERTS_H

#include "storage/db.h"

enum alert_state { ALERT_FIRING, ALERT_RECOVERING, ALERT_RESOLVED };

#define ALERT_FLIPS_MAX 32   /* [alerts] flap_changes at most */

struct alert {
	int64_t id, store_id;
	int64_t till_id;             /* 0: a store's alert */
	char code[65], check[65];
	enum alert_state state;
	bool critical;               /* else WARNING */
	char *message, *data;        /* owned; data NULL: none */
	int priority;
	int64_t ticket_id, storm_id, held_by, silence_id;  /* 0: none */
	int64_t opened_at, last_seen_at, count;
	int64_t ok_since, ok_count;  /* recovering: the first OK and how many since */
	int64_t flips[ALERT_FLIPS_MAX]; /* the newest changes between fault and OK, oldest first */
	int n_flips;
	bool flapping;
	int64_t card_at;             /* its card was last edited for it */
	bool card_dirty;             /* what the card shows changed since */
	int64_t due_at;              /* 0: nothing to do until an event comes */
	int64_t resolved_at;
};

const char *alert_state_name(enum alert_state s);
void alert_release(struct alert *a);

/* The live (firing or recovering) alert of store/till/code: 0 or TD_ENOTFOUND. */
int db_alert_live(struct db *db, int64_t store_id, int64_t till_id, const char *code,
		  struct alert *out);
/* The newest resolved alert of store/till/code: 0 or TD_ENOTFOUND. */
int db_alert_last(struct db *db, int64_t store_id, int64_t till_id, const char *code,
		  struct alert *out);
int db_alert_get(struct db *db, int64_t id, struct alert *out);
/* The newest alert of a ticket (a storm's: none of its own), 0 or TD_ENOTFOUND. */
int db_alert_of_ticket(struct db *db, int64_t ticket_id, struct alert *out);
/* Inserts a (its id set) / writes back every field of a. */
int db_alert_insert(struct db *db, struct alert *a);
int db_alert_save(struct db *db, const struct alert *a);
/* Writes back what no index holds (a repeat's count, last seen, summary ...): see alerts.c. */
int db_alert_touch(struct db *db, const struct alert *a);
/* What an alert's history row says happened. */
enum alert_event_kind {
	ALERT_EV_OPENED,        /* a fault: the alert begins (body: the summary) */
	ALERT_EV_RAISED,        /* WARNING became CRITICAL */
	ALERT_EV_RECOVERING,    /* OK: waiting for it to hold */
	ALERT_EV_RELAPSED,      /* a fault again while recovering */
	ALERT_EV_RECOVERED,     /* it held: the alert ends */
	ALERT_EV_FLAPPING,      /* too many changes: one notice, then quiet */
	ALERT_EV_SETTLED,       /* stable again after flapping */
	ALERT_EV_SILENCED,      /* a silence covers it */
	ALERT_EV_SILENCE_OVER,  /* its silence ended while it fires */
	ALERT_EV_STORM,         /* it joined a storm */
	ALERT_EV_STORE_TOLD,    /* the store's cashiers were told */
	ALERT_EV_STALE,         /* its check said nothing for offline_after: ended */
	ALERT_EV_WITH_STORE,    /* ended with the store alert it was held under */
};
/* The stored name ("opened" ...); NULL for a value out of range. */
const char *alert_event_name(enum alert_event_kind k);
/* A history row: its kind and words (NULL: none). */
int db_alert_log(struct db *db, int64_t alert_id, int64_t at, enum alert_event_kind kind,
		 const char *body);

/* The ids of alerts due at now, oldest due first, at most max; *n how many. */
int db_alerts_due(struct db *db, int64_t now, int64_t *ids, size_t max, size_t *n);
/* Live alerts whose ticket is ticket_id (other than except_id): *n. */
int db_alerts_live_on_ticket(struct db *db, int64_t ticket_id, int64_t except_id, int64_t *n);
/* Live alerts held under store alert held_by, and those of a silence: their ids. */
int db_alerts_held(struct db *db, int64_t held_by, int64_t *ids, size_t max, size_t *n);
int db_alerts_of_silence(struct db *db, int64_t silence_id, int64_t *ids, size_t max, size_t *n);

/* The till's live alerts (but till.offline) neither failing nor fine since before: their ids. */
int db_alerts_stale(struct db *db, int64_t till_id, int64_t before, int64_t *ids, size_t max,
		    size_t *n);

/* ---- storms ---- */

/* Live alerts of code opened at or after since, not silenced: *n. */
int db_alerts_recent(struct db *db, const char *code, int64_t since, int64_t *n);
/*
 * The open storm of code that still takes alerts (its id, its ticket): one
 * reported to at or after since whose ticket engineers have not finished.
 * TD_ENOTFOUND when there is none.
 */
int db_storm_fresh(struct db *db, const char *code, int64_t since, int64_t *id,
		   int64_t *ticket_id);
/* A storm's ticket (0: none yet), its last report, whether it is closed. */
int db_storm_get(struct db *db, int64_t id, int64_t *ticket_id, int64_t *last_at, bool *closed);
int db_storm_insert(struct db *db, const char *code, int64_t now, int64_t *id);
int db_storm_set(struct db *db, int64_t id, int64_t ticket_id, int64_t last_at, int64_t closed_at);
/* Gives the live, unstormed, unsilenced alerts of code opened since to storm id: *moved. */
int db_storm_gather(struct db *db, int64_t id, const char *code, int64_t since, int64_t *moved);
/* The codes of which silence_id keeps at least min live alerts quiet that nothing told of yet. */
int db_silence_storm_codes(struct db *db, int64_t silence_id, int64_t min,
			   int (*fn)(const char *code, void *), void *arg);
/* Gives those of code to storm id: *moved, and the oldest of them in *first. */
int db_storm_gather_silence(struct db *db, int64_t id, int64_t silence_id, const char *code,
			    int64_t *moved, int64_t *first);
/* A storm's tills, by store: fn per alert (store name, till name, whether it still fires). */
int db_storm_members(struct db *db, int64_t id,
		     int (*fn)(const char *store, const char *till, bool live, void *), void *arg);
/* Live alerts of storm id: *n. */
int db_storm_live(struct db *db, int64_t id, int64_t *n);

/* ---- offline ---- */

struct silent_till {
	int64_t till_id, store_id, last_seen_at;
};
/*
 * Tills an agent was heard from, none since before, and without a live
 * alert of code: fn for each, the longest silent first.
 */
int db_tills_silent(struct db *db, int64_t before, const char *code,
		    int (*fn)(const struct silent_till *, void *), void *arg);
/* The store's tills an agent was ever heard from: *heard, and when the newest was heard. */
int db_store_heard(struct db *db, int64_t store_id, int64_t *heard, int64_t *newest);
/* The oldest last_seen_at of the store's other heard tills still inside since..: *n of them. */
int db_store_fading(struct db *db, int64_t store_id, int64_t except_till, int64_t from,
		    int64_t to, int64_t *n);

/* Where a till is: its store, the names, the store's zone, the org's tell_store switch. */
struct alert_place {
	int64_t store_id;
	char store[256], till[256], timezone[64];
	bool tell_store;
};
/* till_id 0: the store's own (store_id given). TD_ENOTFOUND for no such till or store. */
int db_alert_place(struct db *db, int64_t till_id, int64_t store_id, struct alert_place *out);
/* The till's equipment unit of kind (and model, NULL: any): "" when there is none. */
int db_alert_unit(struct db *db, int64_t till_id, const char *kind, const char *model,
		  char *serial, size_t serial_n, char *expires, size_t expires_n);
/* The private chats of the store's cashiers who may hear from the bot: fn for each. */
int db_store_cashier_chats(struct db *db, int64_t store_id, int (*fn)(int64_t chat, void *),
			   void *arg);
/* Whether the alert's history has a row of kind, into *out. */
int db_alert_has_event(struct db *db, int64_t alert_id, enum alert_event_kind kind, bool *out);
/* A storm's message needs an edit (dirty) / the storm of ticket_id was edited at now. */
int db_storm_dirty(struct db *db, int64_t id);
int db_storm_edited(struct db *db, int64_t ticket_id, int64_t now);
/* Storms whose message waits for an edit, last edited at or before `before`: their tickets. */
int db_storms_to_edit(struct db *db, int64_t before, int64_t *ticket_ids, size_t max, size_t *n);
/* A storm's live alerts and their stores. */
int db_storm_counts(struct db *db, int64_t id, int64_t *tills, int64_t *stores);
/* Puts the store's live till alerts of code (none held yet) under store alert held_by. */
int db_alerts_hold(struct db *db, int64_t store_id, const char *code, int64_t held_by);
/* The storm whose ticket is ticket_id, its code: TD_ENOTFOUND when it is not a storm's. */
int db_storm_of_ticket(struct db *db, int64_t ticket_id, int64_t *id, char *code, size_t code_n);


#endif
