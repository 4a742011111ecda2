/*
 * Unit tests: the till agent's fiscal drive check (agent/check_fn.c) and
 * clock check, each threshold and each warning flag bit. The state is
 * written as the POS software would (agent/FN-STATE.md) and the agent's
 * clock is pinned through core/clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "agent/check.h"
#include "agent/check_fn.h"
#include "core/clock.h"
#include "tests/unit/check_test.h"

/* 2026-11-26 12:00:00 UTC, a Thursday. */
#define NOW 1795694400LL
#define DAY 86400LL
#define HOUR 3600LL

static char state_path[64];
/* How long before the agent's clock the state file was written. */
static int64_t file_age;

static void write_state(const char *json)
{
	snprintf(state_path, sizeof(state_path), "/tmp/tilldesk-fn-XXXXXX");
	int fd = mkstemp(state_path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, json, strlen(json)), (ssize_t)strlen(json));
	close(fd);
	struct timeval times[2] = { { (time_t)(clock_now() - file_age), 0 },
				    { (time_t)(clock_now() - file_age), 0 } };
	assert_int_equal(utimes(state_path, times), 0);
}

/* One pass of a [check.fn] reading json at the pinned clock; keys are extra settings. */
static void run_fn(struct check_results *rs, const char *json, const char *const *keys)
{
	const struct check_kind *k = check_kind_find("fn");
	char err[256];
	assert_non_null(k);
	void *self = k->create();
	write_state(json);
	assert_int_equal(k->set(self, "file", state_path, err, sizeof(err)), 0);
	for (; keys && keys[0]; keys += 2)
		assert_int_equal(k->set(self, keys[0], keys[1], err, sizeof(err)), 0);
	assert_int_equal(k->ready(self, err, sizeof(err)), 0);
	struct check_ctx ctx = { .now = clock_now(), .state_dir = "/tmp", .fsrar_id = "" };
	k->run(self, &ctx, rs);
	k->destroy(self);
	unlink(state_path);
}

static const struct check_result *find(const struct check_results *rs, const char *code)
{
	for (size_t i = 0; i < rs->n; i++)
		if (!strcmp(rs->v[i].code, code))
			return &rs->v[i];
	fail_msg("no result for %s", code);
	return NULL;
}

static const char *detail(const struct check_result *r, const char *key)
{
	for (size_t i = 0; i < r->n_details; i++)
		if (!strcmp(r->details[i].key, key))
			return r->details[i].value;
	return NULL;
}

/* The state of code after a pass over json. */
static enum check_state state_of(const char *json, const char *code)
{
	struct check_results rs = { 0 };
	run_fn(&rs, json, NULL);
	enum check_state s = find(&rs, code)->state;
	check_results_release(&rs);
	return s;
}

static char json_buf[1024];

/* A fresh fiscal drive state with one member replaced or added. */
static const char *drive(const char *extra)
{
	snprintf(json_buf, sizeof(json_buf),
		 "{\"serial\": \"7281440500123456\", \"valid_until\": \"2027-06-01\","
		 " \"unsent_count\": 0, \"mode\": \"fiscal\", \"flags\": 0%s%s}",
		 extra ? ", " : "", extra ? extra : "");
	return json_buf;
}

static int setup(void **state)
{
	(void)state;
	clock_set(NOW);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	clock_set(0);
	return 0;
}

static void test_agent_fn__a_healthy_drive_is_ok_on_every_code(void **state)
{
	(void)state;
	struct check_results rs = { 0 };
	run_fn(&rs, drive(NULL), NULL);
	assert_int_equal(rs.n, 6);
	for (size_t i = 0; i < rs.n; i++) {
		if (rs.v[i].state != CHECK_OK)
			fail_msg("%s is %s: %s", rs.v[i].code, check_state_name(rs.v[i].state), rs.v[i].summary);
		assert_string_equal(rs.v[i].check, "fn");
	}
	check_results_release(&rs);
}

static void test_agent_fn__expiry_warns_at_30_days_and_is_critical_at_3(void **state)
{
	(void)state;
	/* NOW is 2026-11-26: 31 days to 2026-12-27, 30 to the 26th. */
	assert_int_equal(state_of(drive("\"valid_until\": \"2026-12-27\""), "fn.expiring"), CHECK_OK);
	assert_int_equal(state_of(drive("\"valid_until\": \"2026-12-26\""), "fn.expiring"), CHECK_WARNING);
	assert_int_equal(state_of(drive("\"valid_until\": \"2026-11-30\""), "fn.expiring"), CHECK_WARNING);
	assert_int_equal(state_of(drive("\"valid_until\": \"2026-11-29\""), "fn.expiring"), CHECK_CRITICAL);
	assert_int_equal(state_of(drive("\"valid_until\": \"2026-11-20\""), "fn.expiring"), CHECK_CRITICAL);
}

static void test_agent_fn__expiry_carries_the_drive_facts_for_the_registry(void **state)
{
	(void)state;
	struct check_results rs = { 0 };
	run_fn(&rs, drive("\"valid_until\": \"2026-12-06\""), NULL);
	const struct check_result *r = find(&rs, "fn.expiring");
	assert_int_equal(r->state, CHECK_WARNING);
	assert_string_equal(detail(r, "fn.serial"), "7281440500123456");
	assert_string_equal(detail(r, "fn.valid_until"), "2026-12-06");
	assert_string_equal(detail(r, "days_left"), "10");
	assert_non_null(strstr(r->summary, "истекает через 10 дн. (06.12.2026)"));
	assert_int_equal(r->n_perf, 1);
	assert_true(r->perf[0].value == 10 && r->perf[0].warn == 30 && r->perf[0].crit == 3);
	check_results_release(&rs);
}

static void test_agent_fn__first_unsent_document_warns_at_3_days_7_and_20(void **state)
{
	(void)state;
	char extra[128];
	struct { int64_t age; enum check_state want; const char *says; } cases[] = {
		{ 2 * DAY + 23 * HOUR, CHECK_OK, "ждут отправки" },
		{ 3 * DAY, CHECK_WARNING, "проверьте интернет" },
		{ 7 * DAY - 1, CHECK_WARNING, "проверьте интернет" },
		{ 7 * DAY, CHECK_CRITICAL, "проверьте интернет" },
		{ 20 * DAY, CHECK_CRITICAL, "через 10 дн. ФН заблокируется" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct check_results rs = { 0 };
		snprintf(extra, sizeof(extra), "\"unsent_count\": 4, \"first_unsent_at\": %lld",
			 (long long)(NOW - cases[i].age));
		run_fn(&rs, drive(extra), NULL);
		const struct check_result *r = find(&rs, "fn.unsent");
		if (r->state != cases[i].want || !strstr(r->summary, cases[i].says))
			fail_msg("age %llds: %s '%s'", (long long)cases[i].age,
				 check_state_name(r->state), r->summary);
		check_results_release(&rs);
	}
}

static void test_agent_fn__an_unsent_date_of_1970_or_in_the_future_means_none(void **state)
{
	(void)state;
	assert_int_equal(state_of(drive("\"unsent_count\": 0, \"first_unsent_at\": \"1970-01-01T00:00:00Z\""),
				  "fn.unsent"), CHECK_OK);
	assert_int_equal(state_of(drive("\"first_unsent_at\": \"2038-01-19T03:14:07+03:00\""),
				  "fn.unsent"), CHECK_OK);
	/* The same age written in ISO 8601 with a zone does count. */
	assert_int_equal(state_of(drive("\"first_unsent_at\": \"2026-11-16T15:00:00+03:00\""),
				  "fn.unsent"), CHECK_CRITICAL);
}

static void test_agent_fn__a_shift_open_23_hours_warns_and_24_is_critical(void **state)
{
	(void)state;
	char extra[64];
	struct { int64_t open; enum check_state want; } cases[] = {
		{ 22 * HOUR + 59 * 60, CHECK_OK },
		{ 23 * HOUR, CHECK_WARNING },
		{ 24 * HOUR, CHECK_CRITICAL },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		snprintf(extra, sizeof(extra), "\"shift_opened_at\": %lld", (long long)(NOW - cases[i].open));
		assert_int_equal(state_of(drive(extra), "fn.shift"), cases[i].want);
	}
	assert_int_equal(state_of(drive("\"shift_opened_at\": null"), "fn.shift"), CHECK_OK);
}

static void test_agent_fn__each_warning_flag_is_a_bit(void **state)
{
	(void)state;
	char extra[32];
	struct { unsigned flags; enum check_state want; const char *says; } cases[] = {
		{ 0x01, CHECK_CRITICAL, "срочная замена" },
		{ 0x02, CHECK_WARNING, "ресурс менее 30 дней" },
		{ 0x04, CHECK_WARNING, "архив заполнен более чем на 90 процентов" },
		{ 0x08, CHECK_WARNING, "ответа ОФД" },
		{ 0x80, CHECK_CRITICAL, "критическая ошибка" },
		/* Bits, not values: 0x0a is 0x02 and 0x08 together, and unknown bits are ignored. */
		{ 0x0a, CHECK_WARNING, "ресурс менее 30 дней; превышено время ожидания ответа ОФД" },
		{ 0x8c, CHECK_CRITICAL, "архив заполнен более чем на 90 процентов; превышено время ожидания ответа ОФД; критическая" },
		{ 0x70, CHECK_OK, "флагов предупреждения ФН нет" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct check_results rs = { 0 };
		snprintf(extra, sizeof(extra), "\"flags\": %u", cases[i].flags);
		run_fn(&rs, drive(extra), NULL);
		const struct check_result *r = find(&rs, "fn.flags");
		if (r->state != cases[i].want || !strstr(r->summary, cases[i].says))
			fail_msg("flags 0x%02x: %s '%s'", cases[i].flags, check_state_name(r->state), r->summary);
		check_results_release(&rs);
	}
}

static void test_agent_fn__the_drive_mode_tells_a_closed_drive(void **state)
{
	(void)state;
	assert_int_equal(state_of(drive("\"mode\": \"setup\""), "fn.state"), CHECK_WARNING);
	assert_int_equal(state_of(drive("\"mode\": \"post_fiscal\""), "fn.state"), CHECK_CRITICAL);
	assert_int_equal(state_of(drive("\"mode\": \"archive\""), "fn.state"), CHECK_CRITICAL);
	assert_int_equal(state_of(drive("\"mode\": \"broken?\""), "fn.state"), CHECK_UNKNOWN);
}

static void test_agent_fn__a_state_not_rewritten_for_30_minutes_is_stale(void **state)
{
	(void)state;
	char extra[64];
	snprintf(extra, sizeof(extra), "\"written_at\": %lld", NOW - 30 * 60);
	assert_int_equal(state_of(drive(extra), "fn.stale"), CHECK_OK);
	snprintf(extra, sizeof(extra), "\"written_at\": %lld", NOW - 30 * 60 - 1);
	assert_int_equal(state_of(drive(extra), "fn.stale"), CHECK_WARNING);

	/* Without written_at, the file's own time counts. */
	struct check_results rs = { 0 };
	const char *keys[] = { "stale", "10m", NULL };
	file_age = 11 * 60;
	run_fn(&rs, drive(NULL), keys);
	file_age = 0;
	assert_int_equal(find(&rs, "fn.stale")->state, CHECK_WARNING);
	check_results_release(&rs);
}

static void test_agent_fn__an_unreadable_state_makes_every_code_unknown(void **state)
{
	(void)state;
	struct check_results rs = { 0 };
	run_fn(&rs, "{\"serial\": ", NULL);
	assert_int_equal(rs.n, 6);
	for (size_t i = 0; i < rs.n; i++) {
		assert_int_equal(rs.v[i].state, CHECK_UNKNOWN);
		assert_non_null(strstr(rs.v[i].summary, "не прочитано"));
	}
	check_results_release(&rs);
}

static void test_agent_fn__the_state_may_come_from_a_command_with_a_timeout(void **state)
{
	(void)state;
	const struct check_kind *k = check_kind_find("fn");
	char err[256];
	struct check_results rs = { 0 };
	struct check_ctx ctx = { .now = clock_now() };
	void *self = k->create();
	assert_int_equal(k->set(self, "command", "echo '{\"mode\": \"archive\", \"valid_until\": \"2027-01-01\"}'",
				err, sizeof(err)), 0);
	assert_int_equal(k->ready(self, err, sizeof(err)), 0);
	k->run(self, &ctx, &rs);
	assert_int_equal(find(&rs, "fn.state")->state, CHECK_CRITICAL);
	k->destroy(self);
	check_results_release(&rs);

	/* A command that hangs is killed at its time-out: UNKNOWN, and the pass goes on. */
	self = k->create();
	assert_int_equal(k->set(self, "command", "sleep 30", err, sizeof(err)), 0);
	assert_int_equal(k->set(self, "timeout", "1s", err, sizeof(err)), 0);
	int64_t t0 = clock_mono_ms();
	k->run(self, &ctx, &rs);
	assert_true(clock_mono_ms() - t0 < 3000);
	assert_int_equal(find(&rs, "fn.unsent")->state, CHECK_UNKNOWN);
	assert_non_null(strstr(find(&rs, "fn.unsent")->summary, "1s"));
	k->destroy(self);
	check_results_release(&rs);
}

/* One pass of [check.fn] with command; results into rs. */
static void run_fn_command(struct check_results *rs, const char *command)
{
	struct check_ctx ctx = { .now = clock_now() };
	void *self = check_test_new(check_kind_find("fn"), (const char *[]){ "command", command,
									   "timeout", "5s", NULL });
	check_kind_find("fn")->run(self, &ctx, rs);
	check_kind_find("fn")->destroy(self);
}

static void test_agent_fn__a_command_leaves_nothing_running_after_the_pass(void **state)
{
	(void)state;
	char pidfile[64], command[256];
	struct check_results rs = { 0 };
	snprintf(pidfile, sizeof(pidfile), "/tmp/test_agent_fn.%d.pid", (int)getpid());
	/* The grandchild holds no pipe of ours: the command ends, the sleep would stay. */
	snprintf(command, sizeof(command), "sleep 30 >/dev/null 2>&1 & echo $! > %s; "
		 "echo '{\"mode\": \"fiscal\", \"valid_until\": \"2027-06-01\"}'", pidfile);
	run_fn_command(&rs, command);
	assert_int_equal(find(&rs, "fn.state")->state, CHECK_OK);
	assert_true(check_test_pidfile_gone(pidfile));
	check_results_release(&rs);
}

static void test_agent_fn__a_command_sees_none_of_the_agents_descriptors(void **state)
{
	(void)state;
	struct check_results rs = { 0 };
	/* As the agent's spool or a socket would be: open, and not close-on-exec. */
	int fd = open("/dev/null", O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(dup2(fd, 37), 37);
	close(fd);
	run_fn_command(&rs, "ls /proc/$$/fd | grep -qx 37 && echo '{\"mode\": \"archive\"}' "
		       "|| echo '{\"mode\": \"fiscal\", \"valid_until\": \"2027-06-01\"}'");
	close(37);
	assert_int_equal(find(&rs, "fn.state")->state, CHECK_OK);
	check_results_release(&rs);
}

static void test_agent_fn__a_section_needs_a_file_or_a_command(void **state)
{
	(void)state;
	const struct check_kind *k = check_kind_find("fn");
	char err[256];
	void *self = k->create();
	assert_int_equal(k->ready(self, err, sizeof(err)), TD_EINVAL);
	assert_int_equal(k->set(self, "shift_warn", "soon", err, sizeof(err)), TD_EINVAL);
	assert_int_equal(k->set(self, "flie", "/x", err, sizeof(err)), TD_EINVAL);
	assert_non_null(strstr(err, "unknown key 'flie'"));
	k->destroy(self);
}

/* The clock check over a skew (server minus ours, ms); known false: never answered. */
static const struct check_result *clock_pass(struct check_results *rs, bool known, int64_t skew_ms)
{
	const struct check_kind *k = check_kind_find("clock");
	struct check_ctx ctx = { .now = clock_now(), .server_skew_known = known,
				 .server_skew_ms = skew_ms };
	void *self = k->create();
	k->run(self, &ctx, rs);
	k->destroy(self);
	return find(rs, "clock.skew");
}

static void test_agent_clock__skew_warns_over_a_minute_and_is_critical_over_four(void **state)
{
	(void)state;
	struct { bool known; int64_t skew; enum check_state want; } cases[] = {
		{ false, 0, CHECK_UNKNOWN },
		{ true, 0, CHECK_OK },
		{ true, 60 * 1000, CHECK_OK },
		{ true, 61 * 1000, CHECK_WARNING },
		{ true, -61 * 1000, CHECK_WARNING },
		{ true, 240 * 1000, CHECK_WARNING },
		{ true, -241 * 1000, CHECK_CRITICAL },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct check_results rs = { 0 };
		const struct check_result *r = clock_pass(&rs, cases[i].known, cases[i].skew);
		if (r->state != cases[i].want)
			fail_msg("skew %lld ms: %s", (long long)cases[i].skew, check_state_name(r->state));
		check_results_release(&rs);
	}
}

static void test_agent_check__the_worst_state_ranks_unknown_under_warning(void **state)
{
	(void)state;
	assert_int_equal(check_state_worst(CHECK_OK, CHECK_UNKNOWN), CHECK_UNKNOWN);
	assert_int_equal(check_state_worst(CHECK_UNKNOWN, CHECK_WARNING), CHECK_WARNING);
	assert_int_equal(check_state_worst(CHECK_CRITICAL, CHECK_WARNING), CHECK_CRITICAL);
	assert_string_equal(check_state_name(CHECK_CRITICAL), "critical");
}

static void test_agent_check__a_summary_is_one_line_cut_on_a_character(void **state)
{
	(void)state;
	struct check_results rs = { 0 };
	char long_text[1200];
	memset(long_text, 0, sizeof(long_text));
	for (size_t i = 0; i + 2 < 1100; i += 2)
		memcpy(long_text + i, "ж", 2);
	struct check_result *r = check_add(&rs, "fn", "fn.x", CHECK_OK, "a\nb %s", long_text);
	assert_true(strlen(r->summary) <= 512);
	assert_true(utf8_valid(r->summary, strlen(r->summary)));
	assert_null(strchr(r->summary, '\n'));
	check_results_release(&rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_agent_fn__a_healthy_drive_is_ok_on_every_code),
		cmocka_unit_test(test_agent_fn__expiry_warns_at_30_days_and_is_critical_at_3),
		cmocka_unit_test(test_agent_fn__expiry_carries_the_drive_facts_for_the_registry),
		cmocka_unit_test(test_agent_fn__first_unsent_document_warns_at_3_days_7_and_20),
		cmocka_unit_test(test_agent_fn__an_unsent_date_of_1970_or_in_the_future_means_none),
		cmocka_unit_test(test_agent_fn__a_shift_open_23_hours_warns_and_24_is_critical),
		cmocka_unit_test(test_agent_fn__each_warning_flag_is_a_bit),
		cmocka_unit_test(test_agent_fn__the_drive_mode_tells_a_closed_drive),
		cmocka_unit_test(test_agent_fn__a_state_not_rewritten_for_30_minutes_is_stale),
		cmocka_unit_test(test_agent_fn__an_unreadable_state_makes_every_code_unknown),
		cmocka_unit_test(test_agent_fn__the_state_may_come_from_a_command_with_a_timeout),
		cmocka_unit_test(test_agent_fn__a_command_leaves_nothing_running_after_the_pass),
		cmocka_unit_test(test_agent_fn__a_command_sees_none_of_the_agents_descriptors),
		cmocka_unit_test(test_agent_fn__a_section_needs_a_file_or_a_command),
		cmocka_unit_test(test_agent_clock__skew_warns_over_a_minute_and_is_critical_over_four),
		cmocka_unit_test(test_agent_check__the_worst_state_ranks_unknown_under_warning),
		cmocka_unit_test(test_agent_check__a_summary_is_one_line_cut_on_a_character),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
