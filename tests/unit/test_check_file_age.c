/* Unit tests: the file_age check (agent/check_file_age.c) against a file of a known age. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/check_test.h"

#define MTIME 1764100000

static char path[64];

static int setup(void **state)
{
	(void)state;
	snprintf(path, sizeof(path), "/tmp/test_check_file_age.%d", (int)getpid());
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	struct timespec ts[2] = { { MTIME, 0 }, { MTIME, 0 } };
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

/* The state of the check run at now with warn 2h, crit 1d. */
static enum check_state state_at(int64_t now, struct check_results *rs)
{
	struct check_ctx ctx = { .now = now, .state_dir = "/tmp", .fsrar_id = "" };
	void *f = check_test_new(&check_file_age, (const char *[]){ "instance", "exchange", "file", path,
								   "warn", "2h", "crit", "1d", NULL });
	check_file_age.run(f, &ctx, rs);
	check_file_age.destroy(f);
	assert_int_equal(rs->n, 1);
	assert_string_equal(rs->v[0].code, "exchange.stale");
	return rs->v[0].state;
}

static void test_check_file_age__warn_and_crit_by_the_agents_clock(void **state)
{
	(void)state;
	struct check_results rs = { 0 };
	assert_int_equal(state_at(MTIME + 3600, &rs), CHECK_OK);
	assert_non_null(strstr(rs.v[0].summary, "изменён 1 ч назад"));
	assert_true(rs.v[0].perf[0].value == 3600);
	assert_true(rs.v[0].perf[0].warn == 7200);
	check_results_release(&rs);

	assert_int_equal(state_at(MTIME + 3 * 3600, &rs), CHECK_WARNING);
	check_results_release(&rs);
	assert_int_equal(state_at(MTIME + 86400 + 1, &rs), CHECK_CRITICAL);
	assert_string_equal(check_test_detail(&rs.v[0], "age_s"), "86401");
	check_results_release(&rs);
	/* A modification time ahead of the clock is age 0, not a negative age. */
	assert_int_equal(state_at(MTIME - 500, &rs), CHECK_OK);
	assert_true(rs.v[0].perf[0].value == 0);
	check_results_release(&rs);
}

static void test_check_file_age__a_missing_file_is_unknown_and_says_so(void **state)
{
	(void)state;
	struct check_results rs = { 0 };
	unlink(path);
	assert_int_equal(state_at(MTIME, &rs), CHECK_UNKNOWN);
	assert_non_null(strstr(rs.v[0].summary, "не найден"));
	check_results_release(&rs);
}

static void test_check_file_age__settings_are_checked(void **state)
{
	(void)state;
	char err[256];
	assert_non_null(strstr(check_test_error(&check_file_age, (const char *[]){ "file", "/x", NULL },
						err, sizeof(err)), "needs file and warn or crit"));
	assert_non_null(strstr(check_test_error(&check_file_age,
						(const char *[]){ "file", "/x", "warn", "2d", "crit", "1d", NULL },
						err, sizeof(err)), "longer than crit"));
	assert_non_null(strstr(check_test_error(&check_file_age, (const char *[]){ "file", "rel", NULL },
						err, sizeof(err)), "absolute path"));
	/* A bare section watches file_age.stale. */
	struct check_results rs = { 0 };
	struct check_ctx ctx = { .now = MTIME };
	void *f = check_test_new(&check_file_age, (const char *[]){ "file", path, "crit", "1h", NULL });
	check_file_age.run(f, &ctx, &rs);
	check_file_age.destroy(f);
	assert_string_equal(rs.v[0].code, "file_age.stale");
	assert_string_equal(rs.v[0].check, "file_age");
	check_results_release(&rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_check_file_age__warn_and_crit_by_the_agents_clock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_file_age__a_missing_file_is_unknown_and_says_so, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_file_age__settings_are_checked, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
