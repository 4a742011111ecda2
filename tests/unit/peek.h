/*
 * peek.h - a unit test's second connection to its database (peek, opened
 * by the test's setup), to read what the code under test committed: the
 * first column of the first row of a query whose one parameter ?1 is a.
 * Include after cmocka.h and sqlite3.h.
 */
#ifndef TD_TEST_PEEK_H
#define TD_TEST_PEEK_H

#include <stdio.h>

static sqlite3 *peek;

/* 0 for no row or NULL. */
static inline int64_t query_int(const char *sql, int64_t a)
{
	sqlite3_stmt *st;
	int64_t v = 0;
	assert_int_equal(sqlite3_prepare_v2(peek, sql, -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_int64(st, 1, a);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* "" for no row or NULL; static storage, until the next call. */
static inline const char *query_text(const char *sql, int64_t a)
{
	static char s[1024];
	sqlite3_stmt *st;
	s[0] = '\0';
	assert_int_equal(sqlite3_prepare_v2(peek, sql, -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_int64(st, 1, a);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(s, sizeof(s), "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return s;
}

#endif
