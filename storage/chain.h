/*
 * chain.h - a client's retail chain: organisations, stores, tills, their
 * equipment, the people who use tilldesk and the invites that enrol them.
 *
 * Writers take a struct db with a transaction open (the caller commits).
 * Listers call fn once per row with a row struct whose strings are borrowed
 * for the duration of the call; fn returning non-zero stops the listing and
 * becomes the lister's result.
 */
#ifndef TD_CHAIN_H
#define TD_CHAIN_H

#include "core/ticket_enums.h"
#include "storage/db.h"

struct org_row {
	int64_t id;
	const char *name, *tier;
	const char *owners;   /* e-mail addresses, comma-separated */
	int64_t stores;
	bool tell_store;      /* a store's cashiers hear of its P1 and P2 faults */
};

struct store_row {
	int64_t id, org_id;
	const char *org, *name, *address, *timezone, *hours;
	int64_t tills;
	const char *email;    /* the store's own address (lower-case), "" for none */
};

struct till_row {
	int64_t id, store_id;
	const char *org, *store, *name;
	int64_t last_seen_at;  /* 0: never */
	int64_t equipment;
};

struct equipment_row {
	int64_t id, till_id;
	const char *store, *till, *kind, *model, *serial;
	const char *expires_on;  /* YYYY-MM-DD or "" */
};

struct person_row {
	int64_t id, tg_user_id, store_id, org_id;
	const char *name, *role;
	const char *store, *org;   /* names, "" for none */
	bool blocked;              /* Telegram refused a message to them (403) */
	int64_t disabled_at;       /* an admin revoked their access; 0: enabled */
	int64_t last_seen_at;      /* their last message or press; 0: never */
	const char *email;         /* lower-case address their letters come from, "" for none */
	int64_t mailbox_of;        /* the store whose own address this person stands for, 0: none */
	int64_t private_at;        /* when they first wrote to the bot privately; 0: never */
};

struct person_filter {
	int64_t org_id, store_id;  /* 0: any */
	const char *role;          /* NULL: any */
};

/* Equipment kinds, in the order help lists them. */
extern const char *const equipment_kinds[];
bool equipment_kind_valid(const char *kind);
bool role_valid(const char *role);

/*
 * Finds a row by id ("12") or by exact name. Stores may be narrowed to an
 * organisation and tills to a store (0: any). TD_ENOTFOUND, or
 * TD_EAMBIGUOUS when a name matches several rows.
 */
int db_org_find(struct db *db, int64_t *out, const char *ref);
int db_store_find(struct db *db, int64_t *out, int64_t org_id, const char *ref);
int db_till_find(struct db *db, int64_t *out, int64_t store_id, const char *ref);
int db_person_find(struct db *db, int64_t *out, const char *ref);

/* owners: NULL-terminated e-mail addresses (may be NULL). TD_EEXISTS on a taken name. */
int db_org_add(struct db *db, int64_t *out, const char *name, const char *tier,
	       const char *const *owners);
int db_org_list(struct db *db, int (*fn)(const struct org_row *, void *), void *arg);
/*
 * Whether the organisation's stores are told of their P1 and P2 faults
 * (a short message to the store's cashiers, and when it recovers).
 * TD_ENOTFOUND for no such organisation or store.
 */
int db_org_set_tell_store(struct db *db, int64_t org_id, bool on);
int db_org_tell_store(struct db *db, int64_t store_id, bool *out);

int db_store_add(struct db *db, int64_t *out, int64_t org_id, const char *name,
		 const char *address, const char *timezone, const char *hours);
int db_store_get(struct db *db, int64_t id, int (*fn)(const struct store_row *, void *), void *arg);
int db_store_list(struct db *db, int64_t org_id,
		  int (*fn)(const struct store_row *, void *), void *arg);

/* token_hash: sha256 hex of the agent token (the token itself is never stored). */
int db_till_add(struct db *db, int64_t *out, int64_t store_id, const char *name,
		const char *token_hash);
int db_till_list(struct db *db, int64_t store_id,
		 int (*fn)(const struct till_row *, void *), void *arg);
/* The till whose agent token hashes to token_hash. */
int db_till_by_token(struct db *db, int64_t *out, const char *token_hash);

/* expires_on: "YYYY-MM-DD" or NULL. */
int db_equipment_add(struct db *db, int64_t *out, int64_t till_id, const char *kind,
		     const char *model, const char *serial, const char *expires_on);
/* till_id 0: all tills. until: only units expiring on or before it ("" or NULL: all). */
int db_equipment_list(struct db *db, int64_t till_id, const char *until,
		      int (*fn)(const struct equipment_row *, void *), void *arg);

int db_invite_add(struct db *db, int64_t *out, const char *code_hash, const char *role,
		  int64_t store_id, int64_t org_id, int64_t expires_at);
/*
 * Redeems an unused, unexpired invite for the Telegram user: creates (or
 * updates) the person with the invite's role and store, marks the invite
 * used. TD_ENOTFOUND for an unknown, used or expired code; TD_EDENIED,
 * leaving the invite unused, when the user is a disabled person.
 */
int db_invite_redeem(struct db *db, int64_t *out_person, const char *code_hash,
		     int64_t tg_user_id, const char *name, int64_t now);

int db_person_by_tg(struct db *db, int64_t tg_user_id,
		    int (*fn)(const struct person_row *, void *), void *arg);
int db_person_get(struct db *db, int64_t id, int (*fn)(const struct person_row *, void *),
		  void *arg);
/* People matching f (NULL: everyone), by id. A cashier's org is their store's. */
int db_person_list(struct db *db, const struct person_filter *f,
		   int (*fn)(const struct person_row *, void *), void *arg);

/* Revokes (at > 0) or restores (at 0) a person's access. */
int db_person_set_disabled(struct db *db, int64_t id, int64_t at);
/* Gives a person another store (and that store's organisation). */
int db_person_move(struct db *db, int64_t id, int64_t store_id, int64_t org_id);
/*
 * Records what an admin (their login) did to a person, with its words as a
 * catalogue message (msg_key, NULL for none, and args in core/notice.h's
 * stored form) rendered in the reader's language.
 */
int db_person_event(struct db *db, int64_t id, int64_t now, enum person_event_kind kind,
		    const char *actor, const char *msg_key, const char *args);

/*
 * What a person is in the middle of: "resolution" (an engineer typing how a
 * ticket was fixed), "new_ticket" (a cashier asked for a fresh ticket).
 * One state per person; setting replaces it.
 */
int db_state_set(struct db *db, int64_t person_id, const char *kind, int64_t ticket_id,
		 int64_t now);
/* TD_ENOTFOUND when the person is in no state. */
int db_state_get(struct db *db, int64_t person_id, char *kind, size_t kind_len,
		 int64_t *ticket_id);
int db_state_clear(struct db *db, int64_t person_id);
/* Telegram refused a message to them (403): they blocked the bot. */
int db_person_blocked_tg(struct db *db, int64_t tg_user_id);
/*
 * They wrote or pressed at now. A message in their private chat also
 * means they no longer block the bot, and that they have that chat
 * (private_at); it never touches "disabled".
 */
int db_person_seen_tg(struct db *db, int64_t tg_user_id, int64_t now, bool wrote_privately);
/*
 * Marks that the engineers' group was told how person id opens the private
 * chat with the bot: *first when it had not been yet (tell it then), false
 * ever after.
 */
int db_person_hint_once(struct db *db, int64_t id, int64_t now, bool *first);

/* ---- addresses letters come from (mail/inbound.h) ---- */

/*
 * Adds a person an admin enrols by hand (no invite): a cashier of
 * store_id, or staff; tg_user_id 0 for one who writes by e-mail only,
 * email NULL for none. TD_EEXISTS when the Telegram id or the address is
 * another's.
 */
int db_person_add(struct db *db, int64_t *out, const char *name, const char *role,
		  int64_t store_id, int64_t org_id, int64_t tg_user_id, const char *email);
/*
 * Sets (NULL: removes) the address of a person or of a store, already
 * lower-case and valid. TD_EEXISTS when another person or store has it.
 */
int db_person_set_email(struct db *db, int64_t id, const char *email);
int db_store_set_email(struct db *db, int64_t id, const char *email);
/* The person whose address is email (lower-case); TD_ENOTFOUND for none. */
int db_person_by_email(struct db *db, const char *email, int64_t *out);
/* The store whose own address is email (lower-case); TD_ENOTFOUND for none. */
int db_store_by_email(struct db *db, const char *email, int64_t *out);
/*
 * The store's mailbox person: the cashier its own address's letters are
 * written by, named as the store, made at the first need.
 */
int db_store_mailbox(struct db *db, int64_t store_id, int64_t now, int64_t *out);

#endif
