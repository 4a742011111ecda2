#include "bot/dialog.h"
#include "bot/intake.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"
#include "storage/failed.h"
#include "storage/outbox.h"

static int64_t stored_offset(struct db *db)
{
	char v[32];
	long long n;
	if (db_setting_get(db, "tg_offset", v, sizeof(v)) || parse_int(&n, v, 0, INT64_MAX))
		return 0;
	return n;
}

void intake_init(struct intake *in, struct db *db, struct kb *kb, const struct config *cfg)
{
	*in = (struct intake){ .db = db, .kb = kb, .cfg = cfg, .offset = stored_offset(db) };
}

/* The dialog's decision on u, inside the caller's transaction. */
static int apply(struct intake *in, const struct tg_update *u)
{
	const struct config *cfg = in->cfg;
	struct dialog d = {
		.db = in->db,
		.now = clock_now(),
		.kb = in->kb,
		.cfg = cfg,
		.writer = u->private_chat ? u->chat_id : 0,
	};
	dialog_chats(&d, cfg);
	return dialog_handle(&d, u);
}

/* Says why rc happened, before a rollback forgets the database's message. */
static void explain(char *why, size_t n, struct db *db, int rc)
{
	snprintf(why, n, "%s (error %d)", db_errmsg(db), rc);
}

/*
 * Decodes raw; a malformed update becomes UPDATE_OTHER with its id (0 when
 * it has none), so that its offset is confirmed and nothing else happens.
 */
static void decode(struct tg_update *u, json_object *raw)
{
	if (!update_decode(u, raw) && u->update_id)
		return;
	int64_t uid = 0;
	json_get_int(raw, "update_id", &uid);
	log_warn("poller: update %lld is malformed; skipped", (long long)uid);
	memset(u, 0, sizeof(*u));
	u->update_id = uid;
	u->kind = UPDATE_OTHER;
}

/* One try: the dialog and the new offset in one transaction. */
static int try_once(struct intake *in, const struct tg_update *u, char *why, size_t n)
{
	char next[32];
	int rc;
	if ((rc = db_begin(in->db)))
		return rc;
	/* Read under the write lock: another instance may have handled it meanwhile. */
	int64_t stored = stored_offset(in->db);
	if (u->update_id < stored) {
		db_rollback(in->db);
		in->offset = stored;
		return 0;
	}
	snprintf(next, sizeof(next), "%lld", (long long)u->update_id + 1);
	if (!(rc = apply(in, u)) && !(rc = db_setting_set(in->db, "tg_offset", next)))
		rc = db_commit(in->db);
	if (rc) {
		explain(why, n, in->db, rc);
		db_rollback(in->db);
		return rc;
	}
	in->offset = u->update_id + 1;
	return 0;
}

/* Keeps the update as a failed one and moves the offset past it, in one transaction. */
static int set_aside(struct intake *in, const struct tg_update *u, json_object *raw, const char *why)
{
	char next[32];
	int64_t id;
	int rc;
	if ((rc = db_begin(in->db)))
		return rc;
	snprintf(next, sizeof(next), "%lld", (long long)u->update_id + 1);
	if (!(rc = db_failed_add(in->db, &id, u->update_id,
				 json_object_to_json_string_ext(raw, JSON_C_TO_STRING_PLAIN), why,
				 in->tries, clock_now())) &&
	    !(rc = db_setting_set(in->db, "tg_offset", next)))
		rc = db_commit(in->db);
	if (rc) {
		db_rollback(in->db);
		return rc;
	}
	log_error("poller: update %lld failed %d times (%s); set aside as failed update %lld"
		  " (tilldesk updates failed)", (long long)u->update_id, in->tries, why, (long long)id);
	in->offset = u->update_id + 1;
	in->tries = 0;
	return 0;
}

int intake_update(struct intake *in, json_object *raw)
{
	struct tg_update u;
	char why[512];
	decode(&u, raw);
	if (u.update_id < in->offset)
		return 0;  /* confirmed already: Telegram repeated it */
	int rc = try_once(in, &u, why, sizeof(why));
	if (!rc || rc == TD_EBUSY)
		return rc;  /* a busy database is not the update's fault */
	if (in->failing_id != u.update_id) {
		in->failing_id = u.update_id;
		in->tries = 0;
	}
	if (++in->tries < INTAKE_TRIES) {
		log_warn("poller: update %lld not handled (%s); trying again", (long long)u.update_id, why);
		return rc;
	}
	return set_aside(in, &u, raw, why);
}

struct loaded {
	char *raw;
};

static int load_raw(const struct failed_update *f, void *arg)
{
	struct loaded *l = arg;
	l->raw = xstrdup(f->raw);
	return 0;
}

/* Records the failed retry of id in its own transaction. */
static void record_retry(struct intake *in, int64_t id, const char *why)
{
	if (db_begin(in->db) || db_failed_tried(in->db, id, why, clock_now()) || db_commit(in->db)) {
		db_rollback(in->db);
		log_warn("updates: cannot record the failed retry of %lld", (long long)id);
	}
}

int intake_retry(struct intake *in, int64_t id, char *why, size_t whylen)
{
	struct loaded l = { NULL };
	json_object *raw = NULL;
	struct tg_update u;
	int rc;
	*why = '\0';
	if ((rc = db_begin(in->db))) {
		explain(why, whylen, in->db, rc);
		return rc;
	}
	/* Read under the write lock: a second retry of the same id finds it gone. */
	if ((rc = db_failed_get(in->db, id, load_raw, &l)))
		goto done;
	if (!(raw = json_tokener_parse(l.raw))) {
		snprintf(why, whylen, "the stored update is not JSON");
		rc = TD_EINVAL;
		goto done;
	}
	decode(&u, raw);
	if (!(rc = apply(in, &u)) && !(rc = db_failed_remove(in->db, id)))
		rc = db_commit(in->db);
done:
	if (rc && !*why)
		explain(why, whylen, in->db, rc);
	if (rc) {
		db_rollback(in->db);
		if (rc != TD_ENOTFOUND) {
			record_retry(in, id, why);
			rc = TD_ERR;
		}
	}
	if (raw)
		json_object_put(raw);
	free(l.raw);
	return rc;
}
