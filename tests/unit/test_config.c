/* Unit tests: the configuration table, the INI file, the environment. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config.h"
#include "core/log.h"

static char ini_path[] = "/tmp/tilldesk-test-XXXXXX.ini";

static const char *write_ini(const char *text)
{
	snprintf(ini_path, sizeof(ini_path), "/tmp/tilldesk-test-XXXXXX.ini");
	int fd = mkstemps(ini_path, 4);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return ini_path;
}

/* Loads text as a config file; returns the rc and leaves the error in err. */
static int load(struct config *cfg, const char *text, char *err, size_t n)
{
	err[0] = '\0';
	int rc = config_load(cfg, write_ini(text), err, n);
	unlink(ini_path);
	return rc;
}

static void assert_error(const char *text, int line, const char *reason)
{
	struct config cfg;
	char err[512], want[256];
	assert_int_equal(load(&cfg, text, err, sizeof(err)), TD_EINVAL);
	snprintf(want, sizeof(want), "%s:%d: ", ini_path, line);
	if (strncmp(err, want, strlen(want)) || !strstr(err, reason))
		fail_msg("got '%s', want '%s...%s'", err, want, reason);
}

static void test_config__defaults_without_a_file(void **state)
{
	(void)state;
	struct config cfg;
	char err[256];
	unsetenv("TILLDESK_TELEGRAM_TOKEN");
	assert_int_equal(config_load(&cfg, NULL, err, sizeof(err)), 0);
	assert_string_equal(cfg.language, "ru");
	assert_string_equal(cfg.tg_api_url, "https://api.telegram.org");
	assert_int_equal(cfg.tg_poll_timeout, 30);
	assert_int_equal(cfg.invite_ttl, 7 * 86400);
	assert_int_equal(cfg.smtp_port, 587);
	assert_string_equal(cfg.tg_token, "");
	config_release(&cfg);
}

static void test_config__file_values_are_read(void **state)
{
	(void)state;
	struct config cfg;
	char err[256];
	assert_int_equal(load(&cfg, "; comment\n[general]\nlanguage = en\ndatabase = /var/x.db\n"
			      "[telegram]\nengineers_chat = -100123\npoll_timeout = 2s\n"
			      "[invites]\nttl = 1h30m\n", err, sizeof(err)), 0);
	assert_string_equal(cfg.language, "en");
	assert_string_equal(cfg.database, "/var/x.db");
	assert_int_equal(cfg.tg_engineers_chat, -100123);
	assert_int_equal(cfg.tg_poll_timeout, 2);
	assert_int_equal(cfg.invite_ttl, 5400);
	config_release(&cfg);
}

static void test_config__unknown_key_reports_file_and_line(void **state)
{
	(void)state;
	assert_error("[telegram]\napi_url = http://x\ntokn = abc\n", 3, "unknown key 'tokn' in [telegram]");
}

static void test_config__unknown_section_is_an_error(void **state)
{
	(void)state;
	assert_error("[general]\nlanguage = ru\n\n[telgram]\ntoken = x\n", 5, "unknown section [telgram]");
	/* A misspelt section with nothing in it is a typo too, at its header. */
	assert_error("[general]\nlanguage = ru\n[telgram]\n[kb]\nthreshold = 50\n", 3,
		     "unknown section [telgram]");
	assert_error("[general]\n[ telgram ]\n", 2, "unknown section [telgram]");
}

static void test_config__key_outside_a_section_is_an_error(void **state)
{
	(void)state;
	assert_error("language = ru\n", 1, "outside any [section]");
}

static void test_config__bad_choice_names_the_choices(void **state)
{
	(void)state;
	assert_error("[general]\nlanguage = de\n", 2, "'de' is not one of ru|en");
}

static void test_config__bad_integer_names_the_bounds(void **state)
{
	(void)state;
	assert_error("[smtp]\nport = 70000\n", 2, "smtp.port: '70000' is not an integer from 1 to 65535");
	assert_error("[smtp]\nport = 25x\n", 2, "'25x' is not an integer");
}

static void test_config__digest_send_at_is_a_time_of_day(void **state)
{
	(void)state;
	struct config cfg;
	char err[512];
	assert_int_equal(load(&cfg, "[digest]\nsend_at = 07:30\n", err, sizeof(err)), 0);
	assert_int_equal(cfg.digest_send_at, 7 * 60 + 30);
	config_release(&cfg);
	assert_int_equal(load(&cfg, "", err, sizeof(err)), 0);
	assert_int_equal(cfg.digest_send_at, 8 * 60);
	config_release(&cfg);
	assert_error("[general]\nlanguage = ru\n[digest]\nsend_at = 8:00\n", 4,
		     "digest.send_at: '8:00' is not a time of day HH:MM");
	assert_error("[digest]\nsend_at = 24:00\n", 2, "is not a time of day");
	assert_error("[digest]\nsend_at = 08:60\n", 2, "is not a time of day");
}

static void test_config__bad_duration_is_an_error(void **state)
{
	(void)state;
	assert_error("[telegram]\npoll_timeout = 30\n", 2, "is not a duration");
	assert_error("[telegram]\npoll_timeout = 5y\n", 2, "is not a duration");
	assert_error("[telegram]\npoll_timeout = 2m\n", 2, "out of range");
}

static void test_config__a_key_set_twice_is_an_error(void **state)
{
	(void)state;
	assert_error("[general]\nlanguage = ru\nlanguage = en\n", 3, "set twice");
}

static void test_config__syntax_error_reports_the_line(void **state)
{
	(void)state;
	assert_error("[general]\nlanguage = ru\nthis line has no equals sign\n", 3, "syntax error");
}

static void test_config__first_error_wins(void **state)
{
	(void)state;
	assert_error("[general]\nlanguage = xx\nbogus = 1\n", 2, "'xx' is not one of");
}

static void test_config__missing_file_is_an_error(void **state)
{
	(void)state;
	struct config cfg;
	char err[256];
	assert_int_equal(config_load(&cfg, "/nonexistent/tilldesk.ini", err, sizeof(err)), TD_EINVAL);
	assert_non_null(strstr(err, "/nonexistent/tilldesk.ini: "));
}

static void test_config__environment_overrides_secrets(void **state)
{
	(void)state;
	struct config cfg;
	char err[256];
	setenv("TILLDESK_TELEGRAM_TOKEN", "123:from-env", 1);
	setenv("TILLDESK_SMTP_PASSWORD", "pw-env", 1);
	assert_int_equal(load(&cfg, "[telegram]\ntoken = 123:from-file\n[smtp]\npassword = pw\n",
			      err, sizeof(err)), 0);
	assert_string_equal(cfg.tg_token, "123:from-env");
	assert_string_equal(cfg.smtp_password, "pw-env");
	config_release(&cfg);
	unsetenv("TILLDESK_TELEGRAM_TOKEN");
	unsetenv("TILLDESK_SMTP_PASSWORD");
}

static void test_config__invalid_utf8_value_is_refused(void **state)
{
	(void)state;
	assert_error("[smtp]\nfrom = \xff\xfe@x\n", 2, "not valid UTF-8");
}

static void test_config__durations_take_units(void **state)
{
	(void)state;
	int64_t d;
	assert_int_equal(config_parse_duration(&d, "90s"), 0);
	assert_int_equal(d, 90);
	assert_int_equal(config_parse_duration(&d, "15m"), 0);
	assert_int_equal(d, 900);
	assert_int_equal(config_parse_duration(&d, "4h"), 0);
	assert_int_equal(d, 14400);
	assert_int_equal(config_parse_duration(&d, "2d"), 0);
	assert_int_equal(d, 172800);
	assert_int_equal(config_parse_duration(&d, "1d12h"), 0);
	assert_int_equal(d, 129600);
	assert_int_equal(config_parse_duration(&d, "0"), 0);
	assert_int_equal(d, 0);
	const char *bad[] = { "", "90", "s", "1.5h", "-1s", "1h ", " 1h", "10x", "99999999999d", "1hh" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (config_parse_duration(&d, bad[i]) != TD_EINVAL)
			fail_msg("'%s' was accepted", bad[i]);
}

/* config show prints durations in seconds; any duration accepted must read back so. */
static void test_config__a_duration_in_seconds_reads_as_in_hours(void **state)
{
	(void)state;
	int64_t hours, secs;
	assert_int_equal(config_parse_duration(&hours, "455399h"), 0);
	assert_int_equal(config_parse_duration(&secs, "1639436400s"), 0);
	assert_true(hours == secs);
	assert_int_equal(config_parse_duration(&secs, "3153600000s"), 0);  /* 100 years */
	assert_int_equal(config_parse_duration(&secs, "3153600001s"), TD_EINVAL);
	assert_int_equal(config_parse_duration(&secs, "99999999999999999999s"), TD_EINVAL);
}

/* A line inih cannot hold whole is refused, not cut: the rest would be read as a line. */
static void test_config__a_line_too_long_is_refused_not_cut(void **state)
{
	(void)state;
	struct config cfg;
	char text[512], err[512];
	/* The rest after inih's 199 bytes, ";tail", read as a comment: the password was cut. */
	snprintf(text, sizeof(text), "[smtp]\npassword = %0*d;tail\n", 188, 0);
	assert_error(text, 2, "line longer than 199 bytes");
	snprintf(text, sizeof(text), "[general]\ndatabase = /srv/%0*d\n", 190, 0);
	assert_error(text, 2, "line longer than 199 bytes");
	/* 199 bytes and its newline still fit, and the next line keeps its number. */
	snprintf(text, sizeof(text), "[general]\ndatabase = %0*d\nlanguage = de\n", 188, 0);
	assert_error(text, 3, "'de' is not one of");
	snprintf(text, sizeof(text), "[general]\ndatabase = %0*d", 188, 0);
	assert_int_equal(load(&cfg, text, err, sizeof(err)), 0);
	assert_int_equal(strlen(cfg.database), 188);
	config_release(&cfg);
}

/* The shipped config.example.ini is exactly what the table generates. */
static void test_config__sla_policies_default_per_domain_and_tiers_fall_back(void **state)
{
	(void)state;
	struct config cfg;
	char err[512];
	assert_int_equal(load(&cfg, "[sla]\nwarn_at = 80\ngold.p1 = 5m 1h 24/7\n"
				    "gold.p3 = 30s 2wd\nstandard.p2 = 2h 1d\n", err, sizeof(err)), 0);
	assert_int_equal(cfg.sla_warn_at, 80);
	const struct sla_policy *p = config_sla_policy(&cfg, "standard", 1);
	assert_true(p->reaction == 15 * 60 && p->resolution == 4 * 3600 && p->always);
	p = config_sla_policy(&cfg, "standard", 2);  /* changed in the file */
	assert_true(p->reaction == 2 * 3600 && p->resolution == 86400 && !p->always);
	p = config_sla_policy(&cfg, "standard", 3);  /* 4h 3wd */
	assert_true(p->reaction == 4 * 3600 && !p->reaction_days);
	assert_true(p->resolution == 3 && p->resolution_days);
	p = config_sla_policy(&cfg, "standard", 4);  /* 1wd - */
	assert_true(p->reaction == 1 && p->reaction_days && p->resolution == 0);
	p = config_sla_policy(&cfg, "gold", 1);
	assert_true(p->reaction == 300 && p->resolution == 3600 && p->always);
	p = config_sla_policy(&cfg, "gold", 3);
	assert_true(p->reaction == 30 && p->resolution == 2 && p->resolution_days);
	/* gold has no P2: standard's; an unknown tier: standard's. */
	assert_ptr_equal(config_sla_policy(&cfg, "gold", 2), config_sla_policy(&cfg, "standard", 2));
	assert_ptr_equal(config_sla_policy(&cfg, "nope", 4), config_sla_policy(&cfg, "standard", 4));
	config_release(&cfg);
}

static void test_config__bad_sla_policies_name_their_line(void **state)
{
	(void)state;
	assert_error("[sla]\ngold.p5 = 5m 1h\n", 2, "policies are TIER.p1 to TIER.p4");
	assert_error("[sla]\n\ngold.p1 = 5m\n", 3, "is not REACTION RESOLUTION");
	assert_error("[sla]\ngold.p1 = 5m 1h 9/5\n", 2, "is not REACTION RESOLUTION");
	assert_error("[sla]\ngold.p1 = - 1h\n", 2, "is not REACTION RESOLUTION");
	assert_error("[sla]\ngold.p1 = 5m 0wd\n", 2, "is not REACTION RESOLUTION");
	assert_error("[sla]\nGold.p1 = 5m 1h\n", 2, "a tier is lower-case");
	assert_error("[sla]\ngold.p1 = 5m 1h\ngold.p1 = 5m 2h\n", 3, "sla.gold.p1 is set twice");
	assert_error("[sla]\nstandard.p1 = 5m 1h\nstandard.p1 = 5m 2h\n", 3, "is set twice");
	assert_error("[sla]\nwarn_at = 100\n", 2, "from 1 to 99");
}

static void test_config__example_file_matches_the_table(void **state)
{
	(void)state;
	char *generated = NULL, shipped[16384];
	size_t n = 0;
	FILE *f = open_memstream(&generated, &n);
	config_write_example(f);
	fclose(f);
	FILE *in = fopen("config.example.ini", "r");
	assert_non_null(in);
	size_t got = fread(shipped, 1, sizeof(shipped) - 1, in);
	fclose(in);
	shipped[got] = '\0';
	if (strcmp(generated, shipped))
		fail_msg("config.example.ini is stale: run ./tilldesk config example > config.example.ini");
	/* And it loads cleanly as a config file. */
	struct config cfg;
	char err[256];
	assert_int_equal(load(&cfg, generated, err, sizeof(err)), 0);
	config_release(&cfg);
	free(generated);
}

static void line_sink(const char *line, void *arg)
{
	snprintf(arg, 2048, "%s", line);
}

static void test_log__secrets_never_reach_a_line(void **state)
{
	(void)state;
	char line[2048];
	log_add_secret("123456:ABC-secret");
	log_set_sink(line_sink, line);
	log_warn("GET https://api.telegram.org/bot123456:ABC-secret/getUpdates failed; token=%s",
		 "123456:ABC-secret");
	log_set_sink(NULL, NULL);
	log_clear_secrets();
	assert_null(strstr(line, "ABC-secret"));
	assert_non_null(strstr(line, "/bot***/getUpdates"));
	assert_non_null(strstr(line, "warn: "));
}

static void test_log__one_event_is_one_line(void **state)
{
	(void)state;
	char line[2048];
	log_set_sink(line_sink, line);
	log_error("a\nb\rc");
	log_set_sink(NULL, NULL);
	assert_null(strchr(line, '\n'));
	assert_non_null(strstr(line, "a b c"));
}

/* The mode config_load reports for text saved with mode. */
static unsigned exposed_mode(const char *text, mode_t mode)
{
	struct config cfg;
	char err[256];
	const char *path = write_ini(text);
	assert_int_equal(chmod(path, mode), 0);
	assert_int_equal(config_load(&cfg, path, err, sizeof(err)), 0);
	unlink(path);
	unsigned got = cfg.secrets_exposed_mode;
	config_release(&cfg);
	return got;
}

static void test_config__a_secret_in_a_file_others_can_read_is_reported(void **state)
{
	(void)state;
	const char *token = "[telegram]\ntoken = 123:abc\n";
	const char *password = "[smtp]\npassword = hunter2\n";
	assert_int_equal(exposed_mode(token, 0644), 0644);
	assert_int_equal(exposed_mode(token, 0640), 0640);
	assert_int_equal(exposed_mode(password, 0604), 0604);
	assert_int_equal(exposed_mode(token, 0600), 0);
	/* Readable by all but holding no secret: nothing to say. */
	assert_int_equal(exposed_mode("[general]\nlanguage = en\n", 0644), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config__defaults_without_a_file),
		cmocka_unit_test(test_config__a_secret_in_a_file_others_can_read_is_reported),
		cmocka_unit_test(test_config__file_values_are_read),
		cmocka_unit_test(test_config__unknown_key_reports_file_and_line),
		cmocka_unit_test(test_config__unknown_section_is_an_error),
		cmocka_unit_test(test_config__key_outside_a_section_is_an_error),
		cmocka_unit_test(test_config__bad_choice_names_the_choices),
		cmocka_unit_test(test_config__bad_integer_names_the_bounds),
		cmocka_unit_test(test_config__digest_send_at_is_a_time_of_day),
		cmocka_unit_test(test_config__bad_duration_is_an_error),
		cmocka_unit_test(test_config__a_key_set_twice_is_an_error),
		cmocka_unit_test(test_config__syntax_error_reports_the_line),
		cmocka_unit_test(test_config__first_error_wins),
		cmocka_unit_test(test_config__missing_file_is_an_error),
		cmocka_unit_test(test_config__environment_overrides_secrets),
		cmocka_unit_test(test_config__invalid_utf8_value_is_refused),
		cmocka_unit_test(test_config__durations_take_units),
		cmocka_unit_test(test_config__a_duration_in_seconds_reads_as_in_hours),
		cmocka_unit_test(test_config__a_line_too_long_is_refused_not_cut),
		cmocka_unit_test(test_config__sla_policies_default_per_domain_and_tiers_fall_back),
		cmocka_unit_test(test_config__bad_sla_policies_name_their_line),
		cmocka_unit_test(test_config__example_file_matches_the_table),
		cmocka_unit_test(test_log__secrets_never_reach_a_line),
		cmocka_unit_test(test_log__one_event_is_one_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
