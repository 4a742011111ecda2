/*
 * romashka.h - a scratch desk for the tests of what the scheduler does
 * with an organisation's days (forecasts, letters): Ромашка with one store
 * in Moscow and one till, the clock at 09:00 in Moscow (06:00 UTC) on
 * 14 December 2026. Include after cmocka.h and sqlite3.h (and peek.h);
 * the test names its scratch directory with ROMASHKA_DIR before it.
 */
#ifndef TD_TEST_ROMASHKA_H
#define TD_TEST_ROMASHKA_H

#include "scratch.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "core/msg.h"
#include "core/token.h"
#include "core/tz.h"
#include "storage/chain.h"

#define DAY 86400

static char dir[] = ROMASHKA_DIR;
static char path[256];
static struct config cfg;
static struct db *desk;
static int64_t org, store, till;
static int64_t today;

/* A day's date, YYYY-MM-DD, n days after today's (UTC). */
static const char *date_in(int n)
{
	static char s[4][16];
	static int i;
	i = (i + 1) % 4;
	format_date(s[i], sizeof(s[i]), tz_day(NULL, today) + n);
	return s[i];
}

/* An owner of org_id registered in Telegram, as an invite makes them: their person id. */
static int64_t enrol_owner(int64_t org_id, int64_t tg, const char *name)
{
	char hash[SHA256_HEX_LEN + 1];
	int64_t invite, id;
	token_hash(hash, name);
	assert_int_equal(db_invite_add(desk, &invite, hash, "owner", 0, org_id, today + 60), 0);
	assert_int_equal(db_invite_redeem(desk, &id, hash, tg, name, today), 0);
	return id;
}

/*
 * Makes the scratch desk with Ромашка, its store and till, and opens a
 * transaction the test's setup goes on in (it commits). 0, or -1.
 */
static int romashka_open(const char *name)
{
	char err[256];
	long days;
	if (scratch_make(dir, sizeof(dir), name) || parse_date(&days, "2026-12-14"))
		return -1;
	today = (int64_t)days * DAY + 6 * 3600;
	clock_set(today);
	snprintf(path, sizeof(path), "%s/desk.db", dir);
	if (config_load(&cfg, NULL, err, sizeof(err)) || db_open(&desk, path, err, sizeof(err)) ||
	    msg_set_language("ru"))
		return -1;
	log_set_level(LOG_WARN);
	assert_int_equal(db_begin(desk), 0);
	assert_int_equal(db_org_add(desk, &org, "Ромашка", "standard", NULL), 0);
	assert_int_equal(db_store_add(desk, &store, org, "Ромашка на Ленина", "", "Europe/Moscow",
				      "24/7"), 0);
	assert_int_equal(db_till_add(desk, &till, store, "Касса 1", "hash-1"), 0);
	return 0;
}

#endif
