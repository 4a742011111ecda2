/*
 * Unit tests: the plugin check (agent/check_plugin.c): exit codes, the
 * summary and perfdata, garbage, a plugin that hangs with a child of its
 * own, and a table of perfdata strings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "tests/unit/check_test.h"

/* Runs "sh -c script" as [check.plugin name] with timeout; one result into rs. */
static const struct check_result *run_sh(const char *script, const char *timeout,
					 struct check_results *rs)
{
	struct check_ctx ctx = { .now = 1764115200, .state_dir = "/tmp", .fsrar_id = "" };
	char command[2048];
	snprintf(command, sizeof(command), "/bin/sh -c '%s'", script);
	void *p = check_test_new(&check_plugin, (const char *[]){ "instance", "ntp", "command", command,
								 "timeout", timeout, NULL });
	check_plugin.run(p, &ctx, rs);
	check_plugin.destroy(p);
	assert_int_equal(rs->n, 1);
	return &rs->v[0];
}

/* No child of ours is left, running or a zombie. */
static void assert_no_children(void)
{
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

static void test_check_plugin__exit_codes_are_states_and_the_first_line_the_summary(void **state)
{
	(void)state;
	static const struct { const char *exit; enum check_state st; } cases[] = {
		{ "0", CHECK_OK }, { "1", CHECK_WARNING }, { "2", CHECK_CRITICAL }, { "3", CHECK_UNKNOWN },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct check_results rs = { 0 };
		char script[256];
		snprintf(script, sizeof(script),
			 "echo \"NTP OK: Offset 0.01 secs | offset=0.01s;60;240;;\"; echo more; exit %s",
			 cases[i].exit);
		const struct check_result *r = run_sh(script, "10s", &rs);
		assert_int_equal(r->state, cases[i].st);
		assert_string_equal(r->check, "ntp");
		assert_string_equal(r->code, "plugin.ntp");
		assert_string_equal(r->summary, "NTP OK: Offset 0.01 secs");
		assert_int_equal(r->n_perf, 1);
		assert_string_equal(r->perf[0].label, "offset");
		assert_true(r->perf[0].value == 0.01);
		assert_string_equal(r->perf[0].uom, "s");
		assert_int_equal(r->perf[0].has, CHECK_PERF_WARN | CHECK_PERF_CRIT);
		assert_string_equal(check_test_detail(r, "long_output"), "more");
		check_results_release(&rs);
	}
	assert_no_children();
}

static void test_check_plugin__long_text_perfdata_is_read_too(void **state)
{
	(void)state;
	struct check_results rs = { 0 };
	const struct check_result *r =
		run_sh("printf \"DISK OK | a=1\\nline two\\nline three | b=2B\\nc=3%%;;;0;100\\n\"", "10s", &rs);
	assert_int_equal(r->state, CHECK_OK);
	assert_int_equal(r->n_perf, 3);
	assert_string_equal(r->perf[0].label, "a");
	assert_string_equal(r->perf[1].label, "b");
	assert_string_equal(r->perf[1].uom, "B");
	assert_string_equal(r->perf[2].label, "c");
	assert_true(r->perf[2].max == 100);
	assert_string_equal(check_test_detail(r, "long_output"), "line two line three");
	check_results_release(&rs);
}

static void test_check_plugin__other_exits_signals_and_silence_are_unknown(void **state)
{
	(void)state;
	struct check_results rs = { 0 };
	const struct check_result *r = run_sh("echo half done; exit 7", "10s", &rs);
	assert_int_equal(r->state, CHECK_UNKNOWN);
	assert_non_null(strstr(r->summary, "завершился с кодом 7: half done"));
	check_results_release(&rs);

	r = run_sh("kill -TERM $$", "10s", &rs);
	assert_int_equal(r->state, CHECK_UNKNOWN);
	assert_non_null(strstr(r->summary, "прерван сигналом 15"));
	check_results_release(&rs);

	r = run_sh("exit 1", "10s", &rs);
	assert_int_equal(r->state, CHECK_WARNING);
	assert_non_null(strstr(r->summary, "ничего не вывел"));
	check_results_release(&rs);
	assert_no_children();
}

static void test_check_plugin__a_missing_program_is_unknown_and_named(void **state)
{
	(void)state;
	struct check_results rs = { 0 };
	struct check_ctx ctx = { .now = 1764115200 };
	void *p = check_test_new(&check_plugin, (const char *[]){ "command", "/no/such/check_x -w 1", NULL });
	check_plugin.run(p, &ctx, &rs);
	check_plugin.destroy(p);
	assert_int_equal(rs.v[0].state, CHECK_UNKNOWN);
	assert_string_equal(rs.v[0].check, "plugin");
	assert_non_null(strstr(rs.v[0].summary, "/no/such/check_x не запустился"));
	check_results_release(&rs);
	/* A bare name is looked up on PATH. */
	p = check_test_new(&check_plugin, (const char *[]){ "command", "true", NULL });
	check_plugin.run(p, &ctx, &rs);
	check_plugin.destroy(p);
	assert_int_equal(rs.v[0].state, CHECK_OK);
	check_results_release(&rs);
	assert_no_children();
}

static void test_check_plugin__a_hanging_plugin_is_killed_with_its_child(void **state)
{
	(void)state;
	char pidfile[64], script[256];
	snprintf(pidfile, sizeof(pidfile), "/tmp/test_check_plugin.%d.pid", (int)getpid());
	/* The child holds the output pipe open too: EOF never comes. */
	snprintf(script, sizeof(script), "sleep 30 & echo $! > %s; echo started; sleep 30", pidfile);
	struct check_results rs = { 0 };
	int64_t t0 = clock_mono_ms();
	const struct check_result *r = run_sh(script, "1s", &rs);
	int64_t took = clock_mono_ms() - t0;

	assert_int_equal(r->state, CHECK_UNKNOWN);
	assert_non_null(strstr(r->summary, "не ответил за 1 с"));
	assert_true(took >= 1000 && took < 3000);
	assert_true(check_test_pidfile_gone(pidfile));
	assert_no_children();
	check_results_release(&rs);
}

static void test_check_plugin__a_plugin_done_but_its_child_holding_the_pipe_is_not_waited_for(void **state)
{
	(void)state;
	struct check_results rs = { 0 };
	int64_t t0 = clock_mono_ms();
	const struct check_result *r = run_sh("sleep 30 & echo OK - forked; exit 0", "5s", &rs);
	assert_true(clock_mono_ms() - t0 < 2000);
	assert_int_equal(r->state, CHECK_OK);
	assert_string_equal(r->summary, "OK - forked");
	check_results_release(&rs);
	assert_no_children();
}

static void test_check_plugin__garbage_output_becomes_one_clean_line(void **state)
{
	(void)state;
	struct check_results rs = { 0 };
	const struct check_result *r =
		run_sh("printf \"\\001\\377\\376 ok\\tfine\\033[31m \\320\\237\\321\\200\\320 | =1 x= y=U z=1e999 w=2;;;\\n\"",
		       "10s", &rs);
	assert_int_equal(r->state, CHECK_OK);
	assert_true(utf8_valid(r->summary, strlen(r->summary)));
	for (const char *p = r->summary; *p; p++)
		assert_true((unsigned char)*p >= 0x20 && *p != 0x7F);
	/* Bad bytes are U+FFFD, controls are spaces, Cyrillic stays. */
	assert_non_null(strstr(r->summary, "\xEF\xBF\xBD\xEF\xBF\xBD ok fine"));
	assert_non_null(strstr(r->summary, "Пр"));
	/* Of the perfdata only w=2 reads. */
	assert_int_equal(r->n_perf, 1);
	assert_string_equal(r->perf[0].label, "w");
	check_results_release(&rs);

	/* A megabyte on one line: capped, still one line of at most 512 bytes. */
	r = run_sh("head -c 1000000 /dev/zero | tr \"\\\\000\" a; exit 2", "10s", &rs);
	assert_int_equal(r->state, CHECK_CRITICAL);
	assert_true(strlen(r->summary) <= 512);
	check_results_release(&rs);
	assert_no_children();
}

/* ---- perfdata, a table ---- */

struct perf_case {
	const char *in;
	size_t n;                 /* items read */
	const char *label;        /* of the first */
	double value;
	const char *uom;
	unsigned has;
	double warn, crit, min, max;
};

static const struct perf_case perf_cases[] = {
	{ "time=0.5s", 1, "time", 0.5, "s", 0, 0, 0, 0, 0 },
	{ "time=0.5s;1;2;0;10", 1, "time", 0.5, "s", 0x0f, 1, 2, 0, 10 },
	{ "'free space'=10GB;20;5", 1, "free space", 10, "GB", 0x03, 20, 5, 0, 0 },
	{ "'it''s'=1", 1, "it's", 1, "", 0, 0, 0, 0, 0 },
	{ "'a=b'=2c", 1, "a=b", 2, "c", 0, 0, 0, 0, 0 },
	{ "pct=99.5%;90;95;0;100", 1, "pct", 99.5, "%", 0x0f, 90, 95, 0, 100 },
	{ "neg=-3.25", 1, "neg", -3.25, "", 0, 0, 0, 0, 0 },
	{ "exp=1.5e3ms", 1, "exp", 1500, "ms", 0, 0, 0, 0, 0 },
	{ "comma=1,5", 1, "comma", 1.5, "", 0, 0, 0, 0, 0 },
	{ "range=5;10:20;@30:40", 1, "range", 5, "", 0, 0, 0, 0, 0 },
	{ "half=5;;7", 1, "half", 5, "", 0x02, 0, 7, 0, 0 },
	{ "onlymax=5;;;;9", 1, "onlymax", 5, "", 0x08, 0, 0, 0, 9 },
	{ "extra=1;2;3;4;5;6;7", 1, "extra", 1, "", 0x0f, 2, 3, 4, 5 },
	{ "a=1 b=2 c=3", 3, "a", 1, "", 0, 0, 0, 0, 0 },
	{ "  a=1\t\tb=2  ", 2, "a", 1, "", 0, 0, 0, 0, 0 },
	{ "u=U", 0, NULL, 0, NULL, 0, 0, 0, 0, 0 },
	{ "nan=nan", 0, NULL, 0, NULL, 0, 0, 0, 0, 0 },
	{ "inf=inf", 0, NULL, 0, NULL, 0, 0, 0, 0, 0 },
	{ "hex=0x10", 0, NULL, 0, NULL, 0, 0, 0, 0, 0 },
	{ "big=1e999", 0, NULL, 0, NULL, 0, 0, 0, 0, 0 },
	{ "=5", 0, NULL, 0, NULL, 0, 0, 0, 0, 0 },
	{ "''=5", 0, NULL, 0, NULL, 0, 0, 0, 0, 0 },
	{ "novalue=", 0, NULL, 0, NULL, 0, 0, 0, 0, 0 },
	{ "noequals", 0, NULL, 0, NULL, 0, 0, 0, 0, 0 },
	{ "'unclosed=5", 0, NULL, 0, NULL, 0, 0, 0, 0, 0 },
	{ "longuom=5abcdefgh", 0, NULL, 0, NULL, 0, 0, 0, 0, 0 },
	{ "baduom=5k$", 0, NULL, 0, NULL, 0, 0, 0, 0, 0 },
	{ "", 0, NULL, 0, NULL, 0, 0, 0, 0, 0 },
	{ "garbage x=1", 1, "x", 1, "", 0, 0, 0, 0, 0 },
	{ "'bad\xff'=1 ok=2", 1, "ok", 2, "", 0, 0, 0, 0, 0 },
	{ "'свободно'=3МБ ok=1", 1, "ok", 1, "", 0, 0, 0, 0, 0 },
	{ "'свободно на /'=3MB", 1, "свободно на /", 3, "MB", 0, 0, 0, 0, 0 },
};

static void test_check_plugin__perfdata_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(perf_cases); i++) {
		const struct perf_case *c = &perf_cases[i];
		struct check_results rs = { 0 };
		struct check_result *r = check_add(&rs, "x", "x", CHECK_OK, "x");
		size_t n = check_plugin_perf_parse(r, c->in);
		if (n != c->n || r->n_perf != c->n)
			fail_msg("'%s': %zu items, want %zu", c->in, n, c->n);
		if (c->n) {
			const struct check_perf *p = &r->perf[0];
			if (strcmp(p->label, c->label) || p->value != c->value || strcmp(p->uom, c->uom) ||
			    p->has != c->has || (c->has & CHECK_PERF_WARN && p->warn != c->warn) ||
			    (c->has & CHECK_PERF_CRIT && p->crit != c->crit) ||
			    (c->has & CHECK_PERF_MIN && p->min != c->min) ||
			    (c->has & CHECK_PERF_MAX && p->max != c->max))
				fail_msg("'%s': got '%s'=%g'%s' has %#x %g;%g;%g;%g", c->in, p->label, p->value,
					 p->uom, p->has, p->warn, p->crit, p->min, p->max);
		}
		check_results_release(&rs);
	}
}

static void test_check_plugin__perfdata_is_capped_and_labels_cut_whole(void **state)
{
	(void)state;
	struct check_results rs = { 0 };
	struct check_result *r = check_add(&rs, "x", "x", CHECK_OK, "x");
	struct buf b = BUF_INIT(1 << 16);
	for (int i = 0; i < 40; i++)
		buf_printf(&b, "m%d=%d ", i, i);
	assert_int_equal(check_plugin_perf_parse(r, buf_cstr(&b)), 16);
	assert_int_equal(r->n_perf, 16);
	check_results_release(&rs);

	r = check_add(&rs, "x", "x", CHECK_OK, "x");
	buf_reset(&b);
	buf_puts(&b, "'");
	for (int i = 0; i < 40; i++)
		buf_puts(&b, "ж");  /* 80 bytes */
	buf_puts(&b, "'=1");
	assert_int_equal(check_plugin_perf_parse(r, buf_cstr(&b)), 1);
	assert_int_equal(strlen(r->perf[0].label), 62);
	assert_true(utf8_valid(r->perf[0].label, 62));
	buf_release(&b);
	check_results_release(&rs);
}

static void test_check_plugin__command_words_and_settings(void **state)
{
	(void)state;
	char err[256];
	assert_non_null(strstr(check_test_error(&check_plugin, (const char *[]){ "timeout", "5s", NULL },
						err, sizeof(err)), "needs a command"));
	assert_non_null(strstr(check_test_error(&check_plugin, (const char *[]){ "command", "a 'b", NULL },
						err, sizeof(err)), "not closed"));
	assert_non_null(strstr(check_test_error(&check_plugin, (const char *[]){ "command", "x",
						"timeout", "1h", NULL }, err, sizeof(err)), "timeout '1h'"));
	/* Quotes and backslashes make words; no shell expands anything. */
	struct check_results rs = { 0 };
	struct check_ctx ctx = { .now = 1 };
	void *p = check_test_new(&check_plugin, (const char *[]){ "command",
		"/bin/echo 'a  b' \"c \\\"d\\\"\" e\\ f $HOME '' *", NULL });
	check_plugin.run(p, &ctx, &rs);
	check_plugin.destroy(p);
	assert_string_equal(rs.v[0].summary, "a  b c \"d\" e f $HOME  *");
	check_results_release(&rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_plugin__exit_codes_are_states_and_the_first_line_the_summary),
		cmocka_unit_test(test_check_plugin__long_text_perfdata_is_read_too),
		cmocka_unit_test(test_check_plugin__other_exits_signals_and_silence_are_unknown),
		cmocka_unit_test(test_check_plugin__a_missing_program_is_unknown_and_named),
		cmocka_unit_test(test_check_plugin__a_hanging_plugin_is_killed_with_its_child),
		cmocka_unit_test(test_check_plugin__a_plugin_done_but_its_child_holding_the_pipe_is_not_waited_for),
		cmocka_unit_test(test_check_plugin__garbage_output_becomes_one_clean_line),
		cmocka_unit_test(test_check_plugin__perfdata_table),
		cmocka_unit_test(test_check_plugin__perfdata_is_capped_and_labels_cut_whole),
		cmocka_unit_test(test_check_plugin__command_words_and_settings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
