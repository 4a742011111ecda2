/*
 * poller.c - long polling Telegram: getUpdates, each update handed to
 * intake (bot/intake.c) with its offset in one transaction.
 */
#include "bot/dialog.h"
#include "bot/intake.h"
#include "bot/poller.h"
#include "bot/telegram.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"
#include "kb/search.h"
#include "storage/outbox.h"

static _Atomic int64_t poll_turn_ms;

int64_t poller_last_turn_ms(void)
{
	return poll_turn_ms;
}

/* Checks the token and learns the bot's username (for invite links). */
static int hello(struct tg *tg, struct db *db, const volatile int *stop)
{
	struct tg_result r;
	for (int64_t wait = 1000; !*stop; wait = wait < 30000 ? wait * 2 : 30000) {
		if (!tg_call(tg, &r, "getMe", NULL, 15000, stop)) {
			const char *name = json_get_str(r.result, "username");
			if (name) {
				db_setting_set(db, "bot_username", name);
				log_info("poller: connected as @%s", name);
			}
			tg_result_release(&r);
			/* getUpdates does not work while a webhook is set. */
			tg_call(tg, &r, "deleteWebhook", NULL, 15000, stop);
			tg_result_release(&r);
			return 0;
		}
		tg_result_release(&r);
		if (r.outcome == TG_UNAUTHORIZED) {
			log_error("poller: Telegram refuses the bot token (%s)", r.description);
			return TD_ERR;
		}
		log_warn("poller: cannot reach Telegram (%s); retrying", r.description);
		clock_nap(wait, stop);
	}
	return 0;
}

/* getUpdates' parameters but the offset: the kinds of update the bot handles, the wait. */
static json_object *poll_params(const struct config *cfg)
{
	json_object *params = json_object_new_object();
	json_object *allowed = json_object_new_array();
	json_object_array_add(allowed, json_object_new_string("message"));
	json_object_array_add(allowed, json_object_new_string("callback_query"));
	json_object_object_add(params, "allowed_updates", allowed);
	json_object_object_add(params, "timeout", json_object_new_int64(cfg->tg_poll_timeout));
	return params;
}

int poller_run(const struct config *cfg, struct sender *sender, const volatile int *stop)
{
	struct db *db;
	char err[512];
	int64_t backoff = 0;
	if (db_open(&db, cfg->database, err, sizeof(err))) {
		log_error("poller: %s", err);
		return TD_ERR;
	}
	struct tg *tg = tg_new(cfg->tg_api_url, cfg->tg_token);
	/* A 429 to the sender stops long polling too: Telegram counts per bot. */
	if (sender)
		tg_share_pause(tg, sender_pause(sender));
	/* Without the stemmer (out of memory) the bot still opens tickets. */
	struct kb *kb = kb_new();
	int rc = hello(tg, db, stop);
	struct intake in;
	intake_init(&in, db, kb, cfg);
	json_object *params = poll_params(cfg);

	while (!rc && !*stop) {
		struct tg_result r;
		json_object_object_add(params, "offset", json_object_new_int64(in.offset));
		poll_turn_ms = clock_mono_ms();
		/* The HTTP time-out is a little longer than the poll's own. */
		tg_call(tg, &r, "getUpdates", params, (cfg->tg_poll_timeout + 10) * 1000, stop);
		poll_turn_ms = clock_mono_ms();
		if (*stop) {
			tg_result_release(&r);
			break;
		}
		if (r.outcome != TG_OK || !json_object_is_type(r.result, json_type_array)) {
			if (r.outcome == TG_CONFLICT)
				log_warn("poller: another getUpdates or a webhook is active for this bot");
			else
				log_warn("poller: getUpdates failed: %s", r.description);
			tg_result_release(&r);
			backoff = backoff ? (backoff < 30000 ? backoff * 2 : 30000) : 500;
			/* After a 429 the next tg_call waits out retry_after itself. */
			if (!r.retry_after)
				clock_nap(backoff, stop);
			continue;
		}
		backoff = 0;
		size_t n = json_object_array_length(r.result);
		for (size_t i = 0; i < n && !*stop; i++) {
			if (intake_update(&in, json_object_array_get_idx(r.result, i))) {
				/* Not confirmed: the same update comes again (set aside after its last try). */
				clock_nap(1000, stop);
				break;
			}
			/* Its replies may go now, not after the rest of the batch (a wake-up never blocks). */
			if (sender)
				sender_kick(sender);
		}
		tg_result_release(&r);
	}
	json_object_put(params);
	kb_free(kb);
	tg_free(tg);
	db_log_lock_waits(db, "poller");
	db_close(db);
	return rc;
}
