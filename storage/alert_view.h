/*
 * alert_view.h - alerts as `tilldesk alert list|show` shows them: read-only
 * queries over the alerts, their history, the stores and tills. The
 * alerting itself (storage/alerts.h) writes them.
 *
 * Listers call fn once per row with a struct whose strings are borrowed for
 * the duration of the call; fn returning non-zero stops the listing and
 * becomes the lister's result.
 */
#ifndef TD_ALERT_VIEW_H
#define TD_ALERT_VIEW_H

#include "storage/db.h"

struct alert_view {
	int64_t id, store_id, till_id;       /* till_id 0: the store's own alert */
	const char *store, *till, *timezone; /* till "" for a store alert */
	const char *code, *check_name;
	const char *state;                   /* firing, recovering, resolved */
	const char *severity;                /* warning, critical */
	const char *message;
	int priority;                        /* 1..4 */
	int64_t count;
	int64_t opened_at, last_seen_at, ok_since, resolved_at;   /* 0: not */
	int64_t ticket_id, storm_id, held_by, silence_id;         /* 0: none */
	bool flapping;
	bool silenced;   /* a silence covers it at the now given to the query */
};

struct alert_view_filter {
	int64_t store_id;     /* 0: every store */
	bool live_only;       /* firing or recovering: not resolved */
	int limit;            /* at most this many rows (0: no limit) */
};

/*
 * Calls fn for each alert matching f (NULL: all): firing first, then
 * recovering, then resolved; live ones by priority then oldest first,
 * resolved ones newest first.
 */
int db_alert_view_list(struct db *db, const struct alert_view_filter *f, int64_t now,
		       int (*fn)(const struct alert_view *, void *), void *arg);
/* Calls fn for alert id; TD_ENOTFOUND when there is none. */
int db_alert_view_get(struct db *db, int64_t id, int64_t now,
		      int (*fn)(const struct alert_view *, void *), void *arg);

struct alert_event_view {
	int64_t id, at;
	const char *kind, *body;   /* body "" when none */
};

/* Calls fn for each history row of alert id, oldest first. */
int db_alert_view_history(struct db *db, int64_t id,
			  int (*fn)(const struct alert_event_view *, void *), void *arg);

#endif
