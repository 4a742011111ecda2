/* forecast.c - planned tickets for equipment reaching its end of life; see forecast.h. */
#include "storage/forecast.h"
#include "storage/internal.h"

struct forecast_rows {
	int (*fn)(const struct forecast_unit *, void *);
	void *arg;
};

static int forecast_row(sqlite3_stmt *st, void *arg)
{
	struct forecast_rows *rows = arg;
	struct forecast_unit u = {
		.equipment_id = sqlite3_column_int64(st, 0),
		.till_id = sqlite3_column_int64(st, 1),
		.store_id = sqlite3_column_int64(st, 2),
		.org_id = sqlite3_column_int64(st, 3),
		.kind = db_text(st, 4),
		.model = db_text(st, 5),
		.serial = db_text(st, 6),
		.expires_on = db_text(st, 7),
		.till = db_text(st, 8),
		.timezone = db_text(st, 9),
	};
	return rows->fn(&u, rows->arg);
}

/* Dates are YYYY-MM-DD: as text they sort as days do. */
#define UNITS_SELECT \
	"SELECT e.id, e.till_id, t.store_id, s.org_id, e.kind, e.model," \
	" e.serial, e.expires_on, t.name, s.timezone" \
	" FROM equipment e JOIN tills t ON t.id = e.till_id" \
	" JOIN stores s ON s.id = t.store_id" \
	" WHERE e.expires_on BETWEEN ?1 AND ?2"
#define UNITS_ORDER " ORDER BY s.timezone, e.id"

int db_forecast_due(struct db *db, const char *first, const char *last,
		    int (*fn)(const struct forecast_unit *, void *), void *arg)
{
	struct forecast_rows rows = { fn, arg };
	return db_query_each(db, UNITS_SELECT
			     "   AND NOT EXISTS (SELECT 1 FROM forecasts f"
			     "                   WHERE f.equipment_id = e.id AND f.expires_on = e.expires_on)"
			     UNITS_ORDER,
			     DB_BINDS(DB_TEXT(first), DB_TEXT(last)), forecast_row, &rows);
}

int db_equipment_expiring(struct db *db, const char *first, const char *last,
			  int (*fn)(const struct forecast_unit *, void *), void *arg)
{
	struct forecast_rows rows = { fn, arg };
	return db_query_each(db, UNITS_SELECT UNITS_ORDER, DB_BINDS(DB_TEXT(first), DB_TEXT(last)),
			     forecast_row, &rows);
}

enum unit_end forecast_unit_end(const struct forecast_unit *u)
{
	if (!strcmp(u->kind, "fn"))
		return UNIT_END_FN;
	if (!strcmp(u->kind, "key"))
		return strstr(u->model, "ГОСТ") || strstr(u->model, "GOST") ? UNIT_END_CERT_GOST
									       : UNIT_END_CERT_RSA;
	return UNIT_END_NONE;
}

int db_forecast_add(struct db *db, int64_t equipment_id, const char *expires_on,
		    int64_t ticket_id, int64_t now)
{
	return db_run(db, "INSERT INTO forecasts(equipment_id, expires_on, ticket_id, opened_at)"
		      " VALUES (?, ?, ?, ?)",
		      DB_BINDS(DB_INT(equipment_id), DB_TEXT(expires_on), DB_ID(ticket_id), DB_INT(now)));
}

int db_forecast_ticket(struct db *db, int64_t till_id, const char *kind, const char *model,
		       int64_t *ticket_id)
{
	int rc = db_query_int(db, "SELECT f.ticket_id FROM forecasts f"
			      " JOIN equipment e ON e.id = f.equipment_id"
			      " JOIN tickets t ON t.id = f.ticket_id"
			      " WHERE e.till_id = ?1 AND e.kind = ?2 AND (?3 IS NULL OR e.model = ?3)"
			      " AND t.status != 'closed' ORDER BY f.opened_at DESC LIMIT 1",
			      DB_BINDS(DB_INT(till_id), DB_TEXT(kind), DB_TEXT(model)), ticket_id);
	if (rc == TD_ENOTFOUND)
		*ticket_id = 0;
	return rc == TD_ENOTFOUND ? 0 : rc;
}
