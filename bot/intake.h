/*
 * intake.h - one Telegram update into the dialog.
 *
 * Each update is handled in one transaction together with the poller's new
 * offset, so a crash at any instant neither loses nor repeats it. An update
 * whose handling fails INTAKE_TRIES times in a row is set aside as a failed
 * update (storage/failed.h), in the transaction that moves the offset past
 * it, so one bad update cannot hold back every chat. `tilldesk updates
 * retry` runs a failed update again through the same handler.
 */
#ifndef TD_INTAKE_H
#define TD_INTAKE_H

#include <json-c/json.h>

#include "core/config.h"
#include "storage/db.h"

#define INTAKE_TRIES 3

struct kb;

struct intake {
	struct db *db;              /* borrowed */
	struct kb *kb;              /* borrowed; NULL: no advice */
	const struct config *cfg;   /* borrowed */
	int64_t offset;             /* the next update_id to handle */
	/* the update failing now and its failed tries (counted in memory: a restart gives it more) */
	int64_t failing_id;
	int tries;
};

/* Sets up in over db and reads the stored offset. */
void intake_init(struct intake *in, struct db *db, struct kb *kb, const struct config *cfg);

/*
 * Handles raw (one element of getUpdates' result, borrowed) and moves
 * in->offset past it. Returns 0 when it was handled, was already handled,
 * or was set aside after its last try; an error when it must come again
 * (the try failed, the database was busy: that does not count as a try).
 */
int intake_update(struct intake *in, json_object *raw);

/*
 * Runs failed update id again. Handled: its effects are committed and it
 * is removed (0). Failed again: it stays with one more try and the new
 * error, which is also written to why (TD_ERR). TD_ENOTFOUND: no such id.
 */
int intake_retry(struct intake *in, int64_t id, char *why, size_t whylen);

#endif
