/*
 * silence_sql.h - when a silence covers an alert, as SQL, for the storage
 * files that ask (silence.c, alert_view.c): one definition, so that the
 * command line shows exactly what the alerting obeys. Private to storage/.
 */
#ifndef TD_SILENCE_SQL_H
#define TD_SILENCE_SQL_H

/*
 * Silence row s covers the alert of store, till (NULL: the store alert) and
 * code (SQL expressions) when each of its set fields matches. A code
 * ending in '*' is a prefix: "fn.*" covers "fn.expiring" and "fn.blocked".
 * A till's silence never covers its store's alert (till = NULL is false).
 */
#define SILENCE_COVERS(s, store, till, code) \
	"(" s ".till_id IS NULL OR " s ".till_id = " till ")" \
	" AND (" s ".store_id IS NULL OR " s ".store_id = " store ")" \
	" AND (" s ".code IS NULL OR " s ".code = " code \
	"  OR (substr(" s ".code, -1) = '*'" \
	"      AND substr(" code ", 1, length(" s ".code) - 1) = substr(" s ".code, 1, length(" s ".code) - 1)))"

/*
 * Silence row s is in force at now: started, not yet at its end, not
 * removed. Such a row's end was never handled either (ended_at): saying so
 * lets the partial index silences_live serve, however many old ones there are.
 */
#define SILENCE_LIVE(s, now) \
	"(" s ".starts_at <= " now " AND " now " < " s ".ends_at AND " s ".removed_at IS NULL" \
	" AND " s ".ended_at IS NULL)"

#endif
