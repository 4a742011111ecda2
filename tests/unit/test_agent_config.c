/*
 * Unit tests: tilldesk-agent's settings on the daemon's config engine -
 * the [agent] table, [check.KIND] sections handed to their kinds, errors
 * at file:line, the token file's owner and mode, the example file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/agent_config.h"

static char ini_path[64], token_path[64];

static const char *write_file(char *path, size_t n, const char *text, mode_t mode)
{
	snprintf(path, n, "/tmp/tilldesk-agent-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	return path;
}

static int load(struct agent_config *cfg, const char *text, char *err, size_t n)
{
	err[0] = '\0';
	int rc = agent_config_load(cfg, write_file(ini_path, sizeof(ini_path), text, 0600), err, n);
	unlink(ini_path);
	return rc;
}

/* What the service does: the settings, then its token. */
static int load_token(struct agent_config *cfg, const char *text, char *err, size_t n)
{
	int rc = load(cfg, text, err, n);
	if (!rc && agent_config_read_token(cfg, NULL, err, n)) {
		agent_config_release(cfg);
		rc = TD_EINVAL;
	}
	return rc;
}

static void assert_error(const char *text, int line, const char *reason)
{
	struct agent_config cfg;
	char err[512], want[128];
	assert_int_equal(load(&cfg, text, err, sizeof(err)), TD_EINVAL);
	snprintf(want, sizeof(want), "%s:%d: ", ini_path, line);
	if (strncmp(err, want, strlen(want)) || !strstr(err, reason))
		fail_msg("got '%s', want '%s...%s'", err, want, reason);
}

static void test_agent_config__defaults_and_the_agent_keys(void **state)
{
	(void)state;
	struct agent_config cfg;
	char err[512];
	unsetenv("TILLDESK_AGENT_TOKEN");
	assert_int_equal(load(&cfg, "[agent]\nserver = http://desk:8461\ntoken = abc\ninterval = 1s\n"
			      "spool_max = 200\nfsrar_id = 030000123456\n", err, sizeof(err)), 0);
	assert_string_equal(cfg.server, "http://desk:8461");
	assert_string_equal(cfg.token, "abc");
	assert_int_equal(cfg.interval, 1);
	assert_int_equal(cfg.spool_max, 200);
	assert_string_equal(cfg.fsrar_id, "030000123456");
	assert_string_equal(cfg.spool, "/var/lib/tilldesk-agent/spool.db");
	/* The clock check is always on. */
	assert_int_equal(cfg.n_checks, 1);
	assert_string_equal(cfg.checks[0].kind->name, "clock");
	agent_config_release(&cfg);

	assert_int_equal(agent_config_load(&cfg, NULL, err, sizeof(err)), 0);
	assert_int_equal(cfg.interval, 60);
	assert_int_equal(cfg.spool_max, 50000);
	agent_config_release(&cfg);
}

static void test_agent_config__check_sections_go_to_their_kinds(void **state)
{
	(void)state;
	struct agent_config cfg;
	char err[512];
	assert_int_equal(load(&cfg, "[check.fn]\nfile = /run/fn.json\nshift_warn = 22h\n"
			      "[check.clock]\nwarn = 2m\n", err, sizeof(err)), 0);
	assert_int_equal(cfg.n_checks, 2);
	assert_string_equal(cfg.checks[0].section, "check.fn");
	assert_string_equal(cfg.checks[0].kind->name, "fn");
	assert_string_equal(cfg.checks[1].kind->name, "clock");
	agent_config_release(&cfg);

	/* A section without keys runs its kind with the defaults. */
	assert_int_equal(load(&cfg, "[check.disk]\n\n[check.utm]\n[check.tcp ofd]\nhost = h\nport = 1\n",
			      err, sizeof(err)), 0);
	assert_int_equal(cfg.n_checks, 4);
	assert_string_equal(cfg.checks[0].kind->name, "disk");
	assert_string_equal(cfg.checks[1].kind->name, "utm");
	assert_string_equal(cfg.checks[2].section, "check.tcp ofd");
	agent_config_release(&cfg);

	/* A kind may run twice under two names. */
	assert_int_equal(load(&cfg, "[check.fn a]\nfile = /a\n[check.fn b]\ncommand = true\n", err,
			      sizeof(err)), 0);
	assert_int_equal(cfg.n_checks, 3);
	assert_string_equal(cfg.checks[1].section, "check.fn b");
	agent_config_release(&cfg);
}

static void test_agent_config__mistakes_are_reported_at_their_line(void **state)
{
	(void)state;
	assert_error("[agent]\nserver = http://x\nsever = y\n", 3, "unknown key 'sever' in [agent]");
	assert_error("[agent]\ninterval = 0\n", 2, "out of range");
	assert_error("[check.fn]\nfile = /x\nflie = /y\n", 3, "check.fn.flie: unknown key 'flie'");
	assert_error("[check.fm]\nfile = /x\n", 2, "no check of kind 'fm'");
	assert_error("[check.dsk]\n[check.utm]\n", 1, "no check of kind 'dsk'");
	assert_error("[check.clock pc]\n", 1, "the clock check takes no name");
	assert_error("[check.tcp]\nport = 1\n", 1, "host");
	assert_error("[check.fn]\nfile = /x\nfile = /y\n", 3, "check.fn.file is set twice");
	/* A section missing what it needs: at its header, when it ends or at the end. */
	assert_error("; a till\n\n[check.fn]\ntimeout = 5s\n[agent]\nserver = http://x\n", 3,
		     "[check.fn]: give the drive's state as file or command");
	assert_error("[agent]\nserver = http://x\n[check.fn]\ntimeout = 5s\n", 3,
		     "[check.fn]: give the drive's state");
	assert_error("[check.fn]\nfile = /x\n[agent]\nserver = y\n[check.fn]\nstale = 1m\n", 6,
		     "[check.fn] appears twice");
}

static void test_agent_config__the_token_file_must_be_ours_and_private(void **state)
{
	(void)state;
	struct agent_config cfg;
	char text[256], err[512];
	unsetenv("TILLDESK_AGENT_TOKEN");
	write_file(token_path, sizeof(token_path), "tok-123\n", 0600);
	snprintf(text, sizeof(text), "[agent]\ntoken_file = %s\n", token_path);
	assert_int_equal(load_token(&cfg, text, err, sizeof(err)), 0);
	assert_string_equal(cfg.token, "tok-123");
	agent_config_release(&cfg);

	assert_int_equal(chmod(token_path, 0640), 0);
	assert_int_equal(load_token(&cfg, text, err, sizeof(err)), TD_EINVAL);
	assert_non_null(strstr(err, "mode 0640"));
	assert_non_null(strstr(err, "chmod 600"));
	assert_null(strstr(err, "tok-123"));
	unlink(token_path);

	/* Someone else's file is refused whatever its mode (as root: give it to nobody). */
	if (geteuid() == 0) {
		write_file(token_path, sizeof(token_path), "tok-123\n", 0600);
		assert_int_equal(chown(token_path, 65534, 65534), 0);
		snprintf(text, sizeof(text), "[agent]\ntoken_file = %s\n", token_path);
		assert_int_equal(load_token(&cfg, text, err, sizeof(err)), TD_EINVAL);
		assert_non_null(strstr(err, "not to us"));
		unlink(token_path);
	}
	snprintf(text, sizeof(text), "[agent]\ntoken_file = /nonexistent/token\n");
	assert_int_equal(load_token(&cfg, text, err, sizeof(err)), TD_EINVAL);
	assert_non_null(strstr(err, "/nonexistent/token"));
}

static void test_agent_config__check_and_spool_load_without_reading_the_token_file(void **state)
{
	(void)state;
	struct agent_config cfg;
	char text[256], err[512];
	unsetenv("TILLDESK_AGENT_TOKEN");
	/* Root runs `check` on a till whose token file belongs to the agent's account. */
	snprintf(text, sizeof(text), "[agent]\ntoken_file = /nonexistent/token\n[check.fn]\nfile = /x\n");
	assert_int_equal(load(&cfg, text, err, sizeof(err)), 0);
	assert_int_equal(cfg.n_checks, 2);
	agent_config_release(&cfg);
}

static void test_agent_config__the_example_file_matches_the_table(void **state)
{
	(void)state;
	char *generated = NULL, shipped[16384], err[512];
	size_t n = 0;
	struct agent_config cfg;
	FILE *f = open_memstream(&generated, &n);
	agent_config_write_example(f);
	fclose(f);
	FILE *in = fopen("dist/tilldesk-agent.ini.example", "r");
	assert_non_null(in);
	size_t got = fread(shipped, 1, sizeof(shipped) - 1, in);
	fclose(in);
	shipped[got] = '\0';
	if (strcmp(generated, shipped))
		fail_msg("dist/tilldesk-agent.ini.example is stale: run build/tilldesk-agent config"
			 " example > dist/tilldesk-agent.ini.example");
	assert_int_equal(load(&cfg, generated, err, sizeof(err)), 0);
	assert_int_equal(cfg.n_checks, 3);  /* fn, disk and the clock: the others are examples in comments */
	assert_string_equal(cfg.checks[2].kind->name, "disk");
	agent_config_release(&cfg);
	free(generated);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_agent_config__defaults_and_the_agent_keys),
		cmocka_unit_test(test_agent_config__check_sections_go_to_their_kinds),
		cmocka_unit_test(test_agent_config__mistakes_are_reported_at_their_line),
		cmocka_unit_test(test_agent_config__the_token_file_must_be_ours_and_private),
		cmocka_unit_test(test_agent_config__check_and_spool_load_without_reading_the_token_file),
		cmocka_unit_test(test_agent_config__the_example_file_matches_the_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
