/*
 * Unit tests: the log check (agent/check_log.c): new lines only, across
 * a restart, a rotation and a truncation; CP1251; bounded reads; lines
 * consumed only once the spool holds their events, never by a look.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/agent.h"
#include "storage/db.h"
#include "tests/unit/check_test.h"

static char dir[64], logfile[96], spoolfile[96];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_check_log.%d", (int)getpid());
	snprintf(logfile, sizeof(logfile), "%s/pos.log", dir);
	snprintf(spoolfile, sizeof(spoolfile), "%s/spool.db", dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	return 0;
}

static int teardown(void **state)
{
	char path[128];
	(void)state;
	unlink(logfile);
	snprintf(path, sizeof(path), "%s.1", logfile);
	unlink(path);
	snprintf(path, sizeof(path), "%s/log.pos.pos", dir);
	unlink(path);
	unlink(spoolfile);
	snprintf(path, sizeof(path), "%s-wal", spoolfile);
	unlink(path);
	snprintf(path, sizeof(path), "%s-shm", spoolfile);
	unlink(path);
	assert_int_equal(rmdir(dir), 0);
	return 0;
}

static void append_n(const char *text, size_t n)
{
	FILE *f = fopen(logfile, "a");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, n, f), n);
	fclose(f);
}

static void append(const char *text)
{
	append_n(text, strlen(text));
}

static const char *const blocked_utf8[] = {
	"instance", "pos", "file", logfile,
	"pattern.1", "critical fn.blocked (?i)Вход в режим заблокирован",
	"pattern.2", "warning pos.vat Сумма налога больше",
	NULL,
};

/* One pass of check, its results taken by the spool (committed); they replace *rs. */
static void pass(void *check, struct check_results *rs)
{
	struct check_ctx ctx = { .now = 1764115200, .state_dir = dir, .fsrar_id = "" };
	check_results_release(rs);
	check_log.run(check, &ctx, rs);
	check_log.commit(check, &ctx);
}

static enum check_state state_of(const struct check_results *rs, const char *code)
{
	const struct check_result *r = check_test_find(rs, code);
	assert_non_null(r);
	return r->state;
}

static void test_check_log__only_lines_written_after_the_first_pass_count(void **state)
{
	(void)state;
	struct check_results rs = { 0 };
	append("10:00 (-3933) Вход в режим заблокирован\n");
	void *c = check_test_new(&check_log, blocked_utf8);
	pass(c, &rs);
	assert_int_equal(rs.n, 2);
	assert_int_equal(state_of(&rs, "fn.blocked"), CHECK_OK);
	assert_non_null(strstr(check_test_find(&rs, "fn.blocked")->summary, "совпадений нет"));

	append("10:01 чек 15 пробит\n10:02 (-3933) ВХОД В РЕЖИМ ЗАБЛОКИРОВАН\n");
	pass(c, &rs);
	const struct check_result *r = check_test_find(&rs, "fn.blocked");
	assert_int_equal(r->state, CHECK_CRITICAL);
	assert_string_equal(r->check, "log");
	assert_non_null(strstr(r->summary, "10:02 (-3933) ВХОД В РЕЖИМ ЗАБЛОКИРОВАН (совпадений: 1)"));
	assert_string_equal(check_test_detail(r, "line"), "10:02 (-3933) ВХОД В РЕЖИМ ЗАБЛОКИРОВАН");
	assert_true(r->perf[0].value == 1);
	assert_int_equal(state_of(&rs, "pos.vat"), CHECK_OK);

	/* Nothing new: all well again. */
	pass(c, &rs);
	assert_int_equal(state_of(&rs, "fn.blocked"), CHECK_OK);
	check_log.destroy(c);
	check_results_release(&rs);
}

static void test_check_log__a_restart_goes_on_from_the_saved_position(void **state)
{
	(void)state;
	struct check_results rs = { 0 };
	append("start\n");
	void *c = check_test_new(&check_log, blocked_utf8);
	pass(c, &rs);
	check_log.destroy(c);

	/* Written while the agent was down: still news after the restart. */
	append("Сумма налога больше суммы регистраций\n");
	c = check_test_new(&check_log, blocked_utf8);
	pass(c, &rs);
	assert_int_equal(state_of(&rs, "pos.vat"), CHECK_WARNING);
	pass(c, &rs);
	assert_int_equal(state_of(&rs, "pos.vat"), CHECK_OK);
	check_log.destroy(c);
	check_results_release(&rs);
}

static void test_check_log__a_rotated_file_is_read_to_its_end_then_the_new_one(void **state)
{
	(void)state;
	struct check_results rs = { 0 };
	char rotated[128];
	snprintf(rotated, sizeof(rotated), "%s.1", logfile);
	append("start\n");
	void *c = check_test_new(&check_log, blocked_utf8);
	pass(c, &rs);

	append("old: Вход в режим заблокирован\n");
	assert_int_equal(rename(logfile, rotated), 0);
	append("new: Вход в режим заблокирован\n");
	pass(c, &rs);
	const struct check_result *r = check_test_find(&rs, "fn.blocked");
	assert_int_equal(r->state, CHECK_CRITICAL);
	assert_true(r->perf[0].value == 2);
	assert_non_null(strstr(r->summary, "new: "));

	pass(c, &rs);
	assert_int_equal(state_of(&rs, "fn.blocked"), CHECK_OK);
	append("again: Вход в режим заблокирован\n");
	pass(c, &rs);
	assert_int_equal(state_of(&rs, "fn.blocked"), CHECK_CRITICAL);
	check_log.destroy(c);
	check_results_release(&rs);
}

static void test_check_log__a_truncated_file_is_read_from_its_start(void **state)
{
	(void)state;
	struct check_results rs = { 0 };
	append("a long line of history, longer than what comes after the truncation\n");
	void *c = check_test_new(&check_log, blocked_utf8);
	pass(c, &rs);

	assert_int_equal(truncate(logfile, 0), 0);  /* logrotate's copytruncate */
	append("Вход в режим заблокирован\n");
	pass(c, &rs);
	assert_int_equal(state_of(&rs, "fn.blocked"), CHECK_CRITICAL);
	check_log.destroy(c);

	/* Truncated while the agent was down: the same from the saved position. */
	assert_int_equal(truncate(logfile, 0), 0);
	append("Сумма налога больше\n");
	c = check_test_new(&check_log, blocked_utf8);
	pass(c, &rs);
	assert_int_equal(state_of(&rs, "pos.vat"), CHECK_WARNING);
	check_log.destroy(c);
	check_results_release(&rs);
}

static void test_check_log__cp1251_is_converted_and_e_with_diaeresis_folded(void **state)
{
	(void)state;
	struct check_results rs = { 0 };
	append("start\n");
	void *c = check_test_new(&check_log, (const char *[]){ "instance", "pos", "file", logfile,
		"charset", "CP1251", "pattern.1", "critical fn.blocked Вход в режим заблокирован",
		"pattern.2", "warning pos.yo ещё", NULL });
	pass(c, &rs);
	/* «Вход в режим заблокирован» and «Еще» in CP1251, with a CRLF. */
	append("\xc2\xf5\xee\xe4 \xe2 \xf0\xe5\xe6\xe8\xec \xe7\xe0\xe1\xeb\xee\xea\xe8\xf0\xee\xe2\xe0\xed\r\n"
	       "\xc5\xf9\xe5 \xf0\xe0\xe7\n");
	pass(c, &rs);
	const struct check_result *r = check_test_find(&rs, "fn.blocked");
	assert_int_equal(r->state, CHECK_CRITICAL);
	assert_string_equal(check_test_detail(r, "line"), "Вход в режим заблокирован");
	r = check_test_find(&rs, "pos.yo");
	assert_int_equal(r->state, CHECK_WARNING);
	assert_string_equal(check_test_detail(r, "line"), "Еще раз");
	check_log.destroy(c);
	check_results_release(&rs);
}

static void test_check_log__bad_bytes_in_a_utf8_log_do_not_hide_the_line(void **state)
{
	(void)state;
	struct check_results rs = { 0 };
	append("start\n");
	void *c = check_test_new(&check_log, blocked_utf8);
	pass(c, &rs);
	static const char line[] = "\xff\xfe\x00 Вход в режим заблокирован\n";
	append_n(line, sizeof(line) - 1);
	pass(c, &rs);
	const struct check_result *r = check_test_find(&rs, "fn.blocked");
	assert_int_equal(r->state, CHECK_CRITICAL);
	assert_true(utf8_valid(r->summary, strlen(r->summary)));
	check_log.destroy(c);
	check_results_release(&rs);
}

static void test_check_log__a_pass_reads_at_most_max_read_and_waits_for_a_whole_line(void **state)
{
	(void)state;
	struct check_results rs = { 0 };
	append("start\n");
	void *c = check_test_new(&check_log, (const char *[]){ "instance", "pos", "file", logfile,
		"max_read", "4K", "pattern.1", "critical fn.blocked заблокирован", NULL });
	pass(c, &rs);
	for (int i = 0; i < 200; i++)
		append("0123456789012345678901234567890123456789 filler\n");  /* 9,600 bytes */
	append("Вход в режим заблокирован\n");
	pass(c, &rs);
	assert_int_equal(state_of(&rs, "fn.blocked"), CHECK_OK);
	pass(c, &rs);
	assert_int_equal(state_of(&rs, "fn.blocked"), CHECK_OK);
	pass(c, &rs);
	assert_int_equal(state_of(&rs, "fn.blocked"), CHECK_CRITICAL);

	/* Half a line is left for the next pass. */
	append("Вход в режим забло");
	pass(c, &rs);
	assert_int_equal(state_of(&rs, "fn.blocked"), CHECK_OK);
	append("кирован\n");
	pass(c, &rs);
	assert_int_equal(state_of(&rs, "fn.blocked"), CHECK_CRITICAL);
	check_log.destroy(c);
	check_results_release(&rs);
}

static void test_check_log__patterns_sharing_a_code_give_the_worst_and_a_missing_file_is_unknown(void **state)
{
	(void)state;
	struct check_results rs = { 0 };
	append("start\n");
	void *c = check_test_new(&check_log, (const char *[]){ "instance", "pos", "file", logfile,
		"pattern.1", "warning printer.fault Нет бумаги",
		"pattern.2", "critical printer.fault Ошибка отрезчика", NULL });
	pass(c, &rs);
	append("Ошибка отрезчика\nНет бумаги\n");
	pass(c, &rs);
	assert_int_equal(rs.n, 1);
	assert_int_equal(rs.v[0].state, CHECK_CRITICAL);
	assert_non_null(strstr(rs.v[0].summary, "Ошибка отрезчика (совпадений: 2)"));

	unlink(logfile);
	pass(c, &rs);  /* the old file was read to its end */
	pass(c, &rs);
	assert_int_equal(rs.v[0].state, CHECK_UNKNOWN);
	assert_non_null(strstr(rs.v[0].summary, "не читается"));
	check_log.destroy(c);
	check_results_release(&rs);
}

/* The agent as the service runs it, with one log check [check.log pos]. */
struct till {
	struct agent_config cfg;
	struct agent_check check;
	struct agent agent;
	struct spool *spool;
};

static void till_start(struct till *t)
{
	char err[256];
	memset(t, 0, sizeof(*t));
	t->check = (struct agent_check){ .kind = &check_log,
					 .self = check_test_new(&check_log, blocked_utf8),
					 .section = "check.log pos" };
	t->cfg = (struct agent_config){ .state_dir = dir, .fsrar_id = "", .checks = &t->check,
					.n_checks = 1 };
	agent_init(&t->agent, &t->cfg);
	if (spool_open(&t->spool, spoolfile, 1000, 1764115200, err, sizeof(err)))
		fail_msg("%s", err);
}

static void till_stop(struct till *t)
{
	agent_release(&t->agent);
	spool_close(t->spool);
	check_log.destroy(t->check.self);
}

/* A pass of the service: the checks run, then their events go to the spool. */
static int till_pass(struct till *t, struct check_results *rs)
{
	size_t changes;
	check_results_release(rs);
	agent_pass(&t->agent, rs);
	return agent_store(&t->agent, rs, 1764115200, t->spool, &changes);
}

static void test_check_log__lines_the_spool_did_not_take_are_read_again(void **state)
{
	(void)state;
	struct check_results rs = { 0 };
	struct till t;
	append("start\n");
	till_start(&t);
	assert_int_equal(till_pass(&t, &rs), 0);

	/* Root's `tilldesk-agent spool` holds the spool's write lock: the pass is not stored. */
	sqlite3 *other;
	static const volatile int give_up = 1;
	assert_int_equal(sqlite3_open(spoolfile, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	db_stop_on(&give_up);  /* fail at once rather than after the 5 s busy wait */
	append("10:02 (-3933) Вход в режим заблокирован\n");
	assert_int_not_equal(till_pass(&t, &rs), 0);
	assert_int_equal(state_of(&rs, "fn.blocked"), CHECK_CRITICAL);
	db_stop_on(NULL);
	assert_int_equal(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(other);

	/* The line is still news: reported once the spool takes it, then no more. */
	assert_int_equal(till_pass(&t, &rs), 0);
	assert_int_equal(state_of(&rs, "fn.blocked"), CHECK_CRITICAL);
	assert_string_equal(check_test_detail(check_test_find(&rs, "fn.blocked"), "line"),
			    "10:02 (-3933) Вход в режим заблокирован");
	assert_int_equal(till_pass(&t, &rs), 0);
	assert_int_equal(state_of(&rs, "fn.blocked"), CHECK_OK);
	till_stop(&t);
	check_results_release(&rs);
}

static void test_check_log__tilldesk_agent_check_consumes_no_line_of_the_service(void **state)
{
	(void)state;
	struct check_results rs = { 0 };
	struct till t;
	append("start\n");
	till_start(&t);
	assert_int_equal(till_pass(&t, &rs), 0);
	till_stop(&t);

	/* The admin's `tilldesk-agent check` while the service is down: a pass, no spool. */
	append("10:02 (-3933) Вход в режим заблокирован\n");
	till_start(&t);
	check_results_release(&rs);
	agent_pass(&t.agent, &rs);
	assert_int_equal(state_of(&rs, "fn.blocked"), CHECK_CRITICAL);
	till_stop(&t);  /* as kill -9 between a pass and its spool would */

	/* The service, started again, still reports the line. */
	till_start(&t);
	assert_int_equal(till_pass(&t, &rs), 0);
	assert_int_equal(state_of(&rs, "fn.blocked"), CHECK_CRITICAL);
	till_stop(&t);
	check_results_release(&rs);
}

static void test_check_log__settings_are_checked(void **state)
{
	(void)state;
	char err[256];
	assert_non_null(strstr(check_test_error(&check_log, (const char *[]){ "file", "/x", NULL }, err,
						sizeof(err)), "at least one pattern"));
	assert_non_null(strstr(check_test_error(&check_log, (const char *[]){ "pattern.1", "fatal x.y z",
						NULL }, err, sizeof(err)), "STATE CODE REGEX"));
	assert_non_null(strstr(check_test_error(&check_log, (const char *[]){ "pattern.1", "critical x.y",
						NULL }, err, sizeof(err)), "STATE CODE REGEX"));
	assert_non_null(strstr(check_test_error(&check_log, (const char *[]){ "pattern.1", "critical X y",
						NULL }, err, sizeof(err)), "code 'X'"));
	assert_non_null(strstr(check_test_error(&check_log, (const char *[]){ "pattern.1", "critical x (",
						NULL }, err, sizeof(err)), "pattern '('"));
	assert_non_null(strstr(check_test_error(&check_log, (const char *[]){ "charset", "KLINGON", NULL },
						err, sizeof(err)), "charset 'KLINGON'"));
	assert_non_null(strstr(check_test_error(&check_log, (const char *[]){ "max_read", "1", NULL },
						err, sizeof(err)), "max_read '1'"));
	assert_non_null(strstr(check_test_error(&check_log, (const char *[]){ "pattern.x", "critical x y",
						NULL }, err, sizeof(err)), "unknown key 'pattern.x'"));
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_check_log__only_lines_written_after_the_first_pass_count),
		T(test_check_log__a_restart_goes_on_from_the_saved_position),
		T(test_check_log__a_rotated_file_is_read_to_its_end_then_the_new_one),
		T(test_check_log__a_truncated_file_is_read_from_its_start),
		T(test_check_log__cp1251_is_converted_and_e_with_diaeresis_folded),
		T(test_check_log__bad_bytes_in_a_utf8_log_do_not_hide_the_line),
		T(test_check_log__a_pass_reads_at_most_max_read_and_waits_for_a_whole_line),
		T(test_check_log__patterns_sharing_a_code_give_the_worst_and_a_missing_file_is_unknown),
		T(test_check_log__lines_the_spool_did_not_take_are_read_again),
		T(test_check_log__tilldesk_agent_check_consumes_no_line_of_the_service),
		T(test_check_log__settings_are_checked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
