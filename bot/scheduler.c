/*
 * scheduler.c - the daemon's one-second tick: the SLA warnings and breach
 * notices that are due (bot/sla_watch.c), each tick one transaction.
 */
#include "bot/dialog.h"
#include "bot/scheduler.h"
#include "bot/sla_watch.h"
#include "core/clock.h"
#include "core/log.h"
#include "storage/outbox.h"

static _Atomic int64_t tick_ms;

int64_t scheduler_last_tick_ms(void)
{
	return tick_ms;
}

int scheduler_run(const struct config *cfg, struct sender *sender, const volatile int *stop)
{
	struct db *db;
	char err[512];
	if (db_open(&db, cfg->database, err, sizeof(err))) {
		log_error("scheduler: %s", err);
		return TD_ERR;
	}
	/* Each tick is one transaction: a notice and the record that it was sent go together. */
	while (!*stop) {
		struct dialog d = {
			.db = db,
			.now = clock_now(),
			.cfg = cfg,
		};
		dialog_chats(&d, cfg);
		int rc = db_begin(db);
		int64_t before = db_total_changes(db);
		if (!rc && !(rc = sla_watch_tick(&d)))
			rc = db_commit(db);
		if (rc) {
			db_rollback(db);
			log_warn("scheduler: tick failed (%s)", db_errmsg(db));
		} else {
			tick_ms = clock_mono_ms();
			if (db_total_changes(db) != before)
				sender_kick(sender);
		}
		clock_nap(1000, stop);
	}
	db_close(db);
	return 0;
}
