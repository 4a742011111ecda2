/* Unit tests: the process check (agent/check_process.c) against this test's own process. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/unit/check_test.h"

static char pidfile[64];

static int setup(void **state)
{
	(void)state;
	snprintf(pidfile, sizeof(pidfile), "/tmp/test_check_process.%d.pid", (int)getpid());
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(pidfile);
	return 0;
}

static const struct check_result *run(const char *const *kv, struct check_results *rs)
{
	struct check_ctx ctx = { .now = 1764115200 };
	void *p = check_test_new(&check_process, kv);
	check_results_release(rs);
	check_process.run(p, &ctx, rs);
	check_process.destroy(p);
	assert_int_equal(rs->n, 1);
	return &rs->v[0];
}

static void write_pid(long long pid)
{
	FILE *f = fopen(pidfile, "w");
	assert_non_null(f);
	fprintf(f, "%lld\n", pid);
	fclose(f);
}

static void test_check_process__found_by_its_whole_name_or_not_at_all(void **state)
{
	(void)state;
	struct check_results rs = { 0 };
	/* Longer than the kernel's 15-byte comm: found through argv[0]. */
	const struct check_result *r = run((const char *[]){ "instance", "pos", "process",
							     "test_check_process", NULL }, &rs);
	assert_int_equal(r->state, CHECK_OK);
	assert_string_equal(r->code, "pos.down");
	assert_string_equal(r->check, "process");
	assert_true(r->perf[0].value >= 1);

	r = run((const char *[]){ "process", "no_such_program_x", NULL }, &rs);
	assert_int_equal(r->state, CHECK_CRITICAL);
	assert_string_equal(r->code, "process.down");
	assert_non_null(strstr(r->summary, "no_such_program_x не запущен"));

	r = run((const char *[]){ "process", "test_check_process", "min", "1000", NULL }, &rs);
	assert_int_equal(r->state, CHECK_CRITICAL);
	/* Nor is it found by a longer name that its cut kernel name begins. */
	r = run((const char *[]){ "process", "test_check_processes", NULL }, &rs);
	assert_int_equal(r->state, CHECK_CRITICAL);

	/* A short name is the kernel's: a child of ours that runs sleep. */
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		execlp("sleep", "sleep", "5", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200; i++) {
		r = run((const char *[]){ "process", "sleep", NULL }, &rs);
		if (r->state == CHECK_OK)
			break;
		struct timespec ts = { 0, 5 * 1000000 };
		nanosleep(&ts, NULL);
	}
	kill(child, SIGKILL);
	assert_int_equal(waitpid(child, NULL, 0), child);
	assert_int_equal(r->state, CHECK_OK);
	check_results_release(&rs);
}

static void test_check_process__a_pidfile_names_a_live_process_not_a_zombie(void **state)
{
	(void)state;
	struct check_results rs = { 0 };
	write_pid(getpid());
	const struct check_result *r = run((const char *[]){ "pidfile", pidfile, NULL }, &rs);
	assert_int_equal(r->state, CHECK_OK);
	r = run((const char *[]){ "pidfile", pidfile, "process", "test_check_process", NULL }, &rs);
	assert_int_equal(r->state, CHECK_OK);
	/* The pid was reused by another program. */
	r = run((const char *[]){ "pidfile", pidfile, "process", "frontol", NULL }, &rs);
	assert_int_equal(r->state, CHECK_CRITICAL);

	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0)
		_exit(0);
	write_pid(child);
	for (int i = 0; i < 200; i++) {  /* until it is a zombie */
		r = run((const char *[]){ "pidfile", pidfile, NULL }, &rs);
		if (r->state == CHECK_CRITICAL)
			break;
		struct timespec ts = { 0, 5 * 1000000 };
		nanosleep(&ts, NULL);
	}
	assert_int_equal(r->state, CHECK_CRITICAL);
	assert_int_equal(waitpid(child, NULL, 0), child);
	r = run((const char *[]){ "pidfile", pidfile, NULL }, &rs);
	assert_int_equal(r->state, CHECK_CRITICAL);
	assert_non_null(strstr(r->summary, "не запущен (no such process)"));

	write_pid(0);
	r = run((const char *[]){ "pidfile", pidfile, NULL }, &rs);
	assert_non_null(strstr(r->summary, "no pid in the file"));
	unlink(pidfile);
	r = run((const char *[]){ "pidfile", pidfile, NULL }, &rs);
	assert_int_equal(r->state, CHECK_CRITICAL);
	assert_non_null(strstr(r->summary, strerror(ENOENT)));
	check_results_release(&rs);
}

static void test_check_process__settings_are_checked(void **state)
{
	(void)state;
	char err[256];
	assert_non_null(strstr(check_test_error(&check_process, (const char *[]){ "min", "2", NULL }, err,
						sizeof(err)), "needs process or pidfile"));
	assert_non_null(strstr(check_test_error(&check_process, (const char *[]){ "process", "/usr/bin/x",
						NULL }, err, sizeof(err)), "without a path"));
	assert_non_null(strstr(check_test_error(&check_process, (const char *[]){ "min", "0", NULL }, err,
						sizeof(err)), "min '0'"));
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_check_process__found_by_its_whole_name_or_not_at_all),
		T(test_check_process__a_pidfile_names_a_live_process_not_a_zombie),
		T(test_check_process__settings_are_checked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
