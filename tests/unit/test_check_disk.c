/* Unit tests: the disk check (agent/check_disk.c) on this machine's / with chosen limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/statvfs.h>

#include "tests/unit/check_test.h"

static struct check_results run(const char *const *kv)
{
	struct check_ctx ctx = { .now = 1764115200, .state_dir = "/tmp", .fsrar_id = "" };
	struct check_results rs = { 0 };
	void *d = check_test_new(&check_disk, kv);
	check_disk.run(d, &ctx, &rs);
	check_disk.destroy(d);
	return rs;
}

static void test_check_disk__enough_room_is_ok_with_perfdata_per_mount(void **state)
{
	(void)state;
	struct statvfs st, after;
	assert_int_equal(statvfs("/", &st), 0);
	struct check_results rs = run((const char *[]){ "warn", "1", "crit", "0", "inode_warn", "0%",
							"inode_crit", "0%", NULL });
	assert_int_equal(statvfs("/", &after), 0);
	const struct check_result *r = check_test_find(&rs, "disk.space");
	assert_non_null(r);
	assert_string_equal(r->check, "disk");
	assert_int_equal(r->state, CHECK_OK);
	assert_non_null(strstr(r->summary, "место на /: свободно"));
	assert_int_equal(r->n_perf, 1);
	assert_string_equal(r->perf[0].label, "/");
	assert_string_equal(r->perf[0].uom, "B");
	/*
	 * Other tests write while this one runs: the room the check saw lies
	 * between what was free just before and just after it (give or take
	 * what a busy suite writes meanwhile), in bytes the unprivileged may use.
	 */
	double was = (double)st.f_bavail * st.f_frsize, is = (double)after.f_bavail * after.f_frsize;
	double slack = 256.0 * 1024 * 1024;
	assert_true(r->perf[0].value >= (was < is ? was : is) - slack);
	assert_true(r->perf[0].value <= (was > is ? was : is) + slack);
	assert_true(r->perf[0].max == (double)st.f_blocks * st.f_frsize);
	assert_true(r->perf[0].warn == 1);
	if (st.f_files) {
		r = check_test_find(&rs, "disk.inodes");
		assert_non_null(r);
		assert_int_equal(r->state, CHECK_OK);
	}
	check_results_release(&rs);
}

static void test_check_disk__share_and_byte_limits_raise_the_state(void **state)
{
	(void)state;
	/* Less than 100% free is always so: a warning, not yet critical. */
	struct check_results rs = run((const char *[]){ "mounts", "/", "warn", "100%", "crit", "0%", NULL });
	assert_int_equal(check_test_find(&rs, "disk.space")->state, CHECK_WARNING);
	check_results_release(&rs);
	/* More free bytes wanted than any disk has: critical. */
	rs = run((const char *[]){ "warn", "2T", "crit", "1000000T", NULL });
	assert_int_equal(check_test_find(&rs, "disk.space")->state, CHECK_CRITICAL);
	assert_true(check_test_find(&rs, "disk.space")->perf[0].crit == 1000000 * 1099511627776.0);
	check_results_release(&rs);
}

static void test_check_disk__the_worst_mount_speaks_and_a_missing_one_is_unknown(void **state)
{
	(void)state;
	struct check_results rs = run((const char *[]){ "instance", "pos_disk", "mounts",
							"/ /no/such/mount", "warn", "0%", "crit", "0%", NULL });
	const struct check_result *r = check_test_find(&rs, "pos_disk.space");
	assert_non_null(r);
	assert_int_equal(r->state, CHECK_UNKNOWN);
	assert_non_null(strstr(r->summary, "/no/such/mount"));
	/* The mount that answered is still measured. */
	assert_int_equal(r->n_perf, 1);
	assert_non_null(check_test_detail(r, "free /"));
	check_results_release(&rs);

	/* A critical mount outranks an unknown one. */
	rs = run((const char *[]){ "mounts", "/no/such/mount /", "warn", "100%", "crit", "100%", NULL });
	r = check_test_find(&rs, "disk.space");
	assert_int_equal(r->state, CHECK_CRITICAL);
	assert_non_null(strstr(r->summary, "место на /:"));
	check_results_release(&rs);
}

static void test_check_disk__bad_limits_are_refused(void **state)
{
	(void)state;
	char err[256];
	assert_non_null(strstr(check_test_error(&check_disk, (const char *[]){ "warn", "ten", NULL }, err,
						sizeof(err)), "warn 'ten'"));
	assert_non_null(strstr(check_test_error(&check_disk, (const char *[]){ "crit", "120%", NULL }, err,
						sizeof(err)), "crit '120%'"));
	assert_non_null(strstr(check_test_error(&check_disk, (const char *[]){ "crit", "-5", NULL }, err,
						sizeof(err)), "crit '-5'"));
	assert_non_null(strstr(check_test_error(&check_disk, (const char *[]){ "mounts", "var", NULL },
						err, sizeof(err)), "absolute paths"));
	assert_string_equal(check_test_error(&check_disk, (const char *[]){ "warn", "512MB", NULL }, err,
					     sizeof(err)), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_disk__enough_room_is_ok_with_perfdata_per_mount),
		cmocka_unit_test(test_check_disk__share_and_byte_limits_raise_the_state),
		cmocka_unit_test(test_check_disk__the_worst_mount_speaks_and_a_missing_one_is_unknown),
		cmocka_unit_test(test_check_disk__bad_limits_are_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
