/*
 * scheduler.c - the daemon's one-second tick: the SLA warnings and breach
 * notices that are due (bot/sla_watch.c), the alerts' timers (bot/alert.c),
 * the cards' edits put off to count relayed messages (bot/relay.c),
 * and once a minute the planned
 * tickets of equipment near its end of life (bot/forecast.c) and the
 * owners' expiry reminders (bot/letters.c) and their daily digests that
 * are due (mail/digest.c); each tick one transaction.
 */
#include <unistd.h>

#include "bot/alert.h"
#include "bot/dialog.h"
#include "bot/forecast.h"
#include "bot/letters.h"
#include "bot/relay.h"
#include "bot/scheduler.h"
#include "bot/sla_watch.h"
#include "core/clock.h"
#include "core/log.h"
#include "mail/digest.h"
#include "storage/outbox.h"

/*
 * The forecasts' pass reads every unit whose date falls in the coming weeks:
 * 2.5 ms for 10,000 tills (bench/forecast_bench.c), against 0.01 ms for an
 * idle tick. Dates count in days, so once a minute is soon enough.
 */
#define FORECAST_EVERY 60
/*
 * The digests' pass shares its minute: send_at is a minute of the day, and
 * once every digest of the day is queued the pass reads each organisation's
 * zone and one letter's ref. The first tick runs it, so a digest whose time
 * passed while the daemon was down goes when it starts. A tick builds at
 * most DIGEST_BATCH (up to 0.1 s each with a long history: bench/
 * digest_bench.c), so the tick's transaction stays short when many
 * organisations share a zone; a full batch brings the pass back after
 * DIGEST_CATCH_UP_MS instead of a second, so a thousand organisations whose
 * send_at came at once are queued in seconds, not in two minutes (8 a
 * second: bench/digest_mail_bench.py), with the write lock free between
 * the batches for the bot's own transactions.
 */
#define DIGEST_BATCH 8
#define DIGEST_CATCH_UP_MS 20

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
	int64_t forecast_at = 0;  /* the next forecasts' pass; the first tick runs one */
	int64_t digest_at = 0;    /* the next digests' pass, likewise */
	int64_t digest_resume = 0; /* where a catch-up of digests goes on */
	int64_t started = clock_now();
	while (!*stop) {
		struct dialog d = {
			.db = db,
			.now = clock_now(),
			.cfg = cfg,
			.listening_since = started,
		};
		/* A clock set back does not hold the pass off for as long. */
		bool forecast = d.now >= forecast_at || d.now < forecast_at - FORECAST_EVERY;
		bool digest = d.now >= digest_at || d.now < digest_at - FORECAST_EVERY;
		int digests = 0;
		int64_t resume = digest_resume;
		bool catch_up = false;
		dialog_chats(&d, cfg);
		int rc = db_begin(db);
		int64_t before = db_total_changes(db);
		if (!rc && !(rc = sla_watch_tick(&d)) && !(rc = alert_tick(&d)) && !(rc = relay_tick(&d)) &&
		    !(rc = forecast ? forecast_tick(&d) : 0) &&
		    !(rc = forecast ? letters_expiry_tick(&d) : 0) &&
		    !(rc = digest ? digest_tick(db, cfg, d.now, DIGEST_BATCH, &digests, &resume) : 0))
			rc = db_commit(db);
		if (rc) {
			db_rollback(db);
			log_warn("scheduler: tick failed (%s)", db_errmsg(db));
		} else {
			if (forecast)
				forecast_at = d.now + FORECAST_EVERY;
			catch_up = digest && digests == DIGEST_BATCH;
			if (digest)
				digest_resume = resume;
			if (digest)
				digest_at = catch_up ? d.now : d.now + FORECAST_EVERY;
			tick_ms = clock_mono_ms();
			if (db_total_changes(db) != before)
				sender_kick(sender);
		}
		/* clock_nap naps in steps of 0.1 s; the catch-up's nap is shorter. */
		if (catch_up)
			usleep(DIGEST_CATCH_UP_MS * 1000);
		else
			clock_nap(1000, stop);
	}
	db_close(db);
	return 0;
}
