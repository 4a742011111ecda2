/*
 * forecast.h - planned tickets for equipment reaching its end of life: a
 * fiscal drive's last day, a key's certificate expiry (the equipment
 * table's expires_on). One forecast per unit and date, whatever restarts
 * or repeats of the same date happen; a unit given a new date (a drive
 * replaced in the same row) gets a new one when its time comes.
 *
 * Writers take a struct db with a transaction open (the caller commits).
 */
#ifndef TD_STORAGE_FORECAST_H
#define TD_STORAGE_FORECAST_H

#include "storage/db.h"

/* A unit whose date has no forecast yet. Strings are borrowed for the call. */
struct forecast_unit {
	int64_t equipment_id, till_id, store_id, org_id;
	const char *kind, *model, *serial;
	const char *expires_on;  /* YYYY-MM-DD */
	const char *till;        /* the till's name */
	const char *timezone;    /* the store's */
};

/*
 * Calls fn for each unit expiring from first to last (YYYY-MM-DD, both
 * included) that has no forecast for that date, grouped by the store's
 * zone. Reads the units of that window only (an index on expires_on).
 * fn returning non-zero stops the listing and becomes the result.
 */
int db_forecast_due(struct db *db, const char *first, const char *last,
		    int (*fn)(const struct forecast_unit *, void *), void *arg);

/*
 * Calls fn for each unit expiring from first to last (YYYY-MM-DD, both
 * included), forecast or not, grouped by the store's zone: the owners'
 * expiry reminders (bot/letters.c).
 */
int db_equipment_expiring(struct db *db, const char *first, const char *last,
			  int (*fn)(const struct forecast_unit *, void *), void *arg);

/* What ends on a unit's date: a fiscal drive, a key's RSA or GOST certificate, or nothing we plan for. */
enum unit_end { UNIT_END_NONE, UNIT_END_FN, UNIT_END_CERT_RSA, UNIT_END_CERT_GOST };
/* A key's certificate is GOST when its model says so (ГОСТ, GOST), else RSA. */
enum unit_end forecast_unit_end(const struct forecast_unit *u);

/*
 * Records that the unit's date (expires_on) got its planned ticket at now.
 * TD_EEXISTS when it had one already.
 */
int db_forecast_add(struct db *db, int64_t equipment_id, const char *expires_on,
		    int64_t ticket_id, int64_t now);

/*
 * The planned ticket (bot/forecast.c) of the till's unit of kind (model
 * NULL: any) that is not closed: *ticket_id, 0 for none.
 */
int db_forecast_ticket(struct db *db, int64_t till_id, const char *kind, const char *model,
		       int64_t *ticket_id);

#endif
