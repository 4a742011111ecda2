/*
 * Unit tests: the utm check (agent/check_utm.c): its reading of the УТМ's
 * answers from fixture strings, then live GETs against the fake УТМ
 * (tests/fakes/fakeutm.py, started here, run from the repository's root).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/http.h"
#include "tests/unit/check_test.h"

/* 2026-11-26 00:00:00 UTC */
#define NOW 1795651200LL

static const char good_json[] =
	"{\"version\":\"4.2.0\",\"contour\":\"prod\",\"rsaError\":null,\"checkInfo\":null,"
	"\"ownerId\":\"030000123456\",\"db\":{\"createDate\":\"2024-01-10 10:00:00 +0300\","
	"\"ownerId\":\"030000123456\"},"
	"\"rsa\":{\"certType\":\"RSA\",\"startDate\":\"2026-01-10 12:00:00 +0300\","
	"\"expireDate\":\"2027-01-10 12:00:00 +0300\",\"isValid\":\"valid\",\"issuer\":\"pki.fsrar.ru\"},"
	"\"gost\":{\"certType\":\"GOST\",\"startDate\":\"2026-01-10 12:00:00 +0300\","
	"\"expireDate\":\"2027-03-01 12:00:00 +0300\",\"isValid\":\"valid\",\"issuer\":\"УЦ\"},"
	"\"license\":true}";

/* Reads body (and home) as a pass at NOW for a store with fsrar_id would. */
static void judge(const char *body, const char *home, const char *fsrar_id, struct check_results *rs)
{
	struct check_ctx ctx = { .now = NOW, .state_dir = "/tmp", .fsrar_id = fsrar_id };
	void *u = check_test_new(&check_utm, (const char *[]){ NULL });
	check_results_release(rs);
	check_utm_judge(u, &ctx, body, strlen(body), home, rs);
	check_utm.destroy(u);
}

/* good_json with the RSA certificate's expiry replaced by expire. */
static void judge_rsa_expiring(const char *expire, struct check_results *rs)
{
	char body[2048];
	const char *at = strstr(good_json, "2027-01-10 12:00:00 +0300");
	snprintf(body, sizeof(body), "%.*s%s%s", (int)(at - good_json), good_json, expire,
		 at + strlen("2027-01-10 12:00:00 +0300"));
	judge(body, NULL, "", rs);
}

static enum check_state state_of(const struct check_results *rs, const char *code)
{
	const struct check_result *r = check_test_find(rs, code);
	if (!r)
		fail_msg("no result for %s", code);
	return r->state;
}

static void test_check_utm__a_healthy_utm_is_ok_on_every_code(void **state)
{
	(void)state;
	struct check_results rs = { 0 };
	judge(good_json, "<p>Отсутствуют неотправленные чеки</p>", "030000123456", &rs);
	assert_int_equal(rs.n, 5);
	assert_int_equal(state_of(&rs, "utm.down"), CHECK_OK);
	assert_int_equal(state_of(&rs, "utm.cert_rsa"), CHECK_OK);
	assert_int_equal(state_of(&rs, "utm.cert_gost"), CHECK_OK);
	assert_int_equal(state_of(&rs, "utm.fsrar_id"), CHECK_OK);
	assert_int_equal(state_of(&rs, "utm.rsa"), CHECK_OK);
	const struct check_result *r = check_test_find(&rs, "utm.cert_rsa");
	assert_string_equal(r->check, "utm");
	assert_string_equal(check_test_detail(r, "utm.rsa_until"), "2027-01-10");
	assert_string_equal(check_test_detail(check_test_find(&rs, "utm.cert_gost"), "utm.gost_until"),
			    "2027-03-01");
	assert_string_equal(check_test_detail(check_test_find(&rs, "utm.down"), "utm.version"), "4.2.0");
	assert_non_null(strstr(r->summary, "действует до 2027-01-10"));
	check_results_release(&rs);
}

static void test_check_utm__certificates_warn_at_30_days_and_are_critical_at_7(void **state)
{
	(void)state;
	static const struct { const char *expire; enum check_state st; long long days; } cases[] = {
		{ "2027-01-10 12:00:00 +0300", CHECK_OK, 45 },
		{ "2026-12-27 00:00:00 +0000", CHECK_OK, 31 },
		{ "2026-12-25 23:00:00 +0000", CHECK_WARNING, 29 },
		{ "2026-12-06T12:00:00Z", CHECK_WARNING, 10 },
		{ "2026-12-06T15:00:00.000+03:00", CHECK_WARNING, 10 },
		{ "2026-12-06", CHECK_WARNING, 10 },
		{ "2026-12-02 23:00:00 +0000", CHECK_CRITICAL, 6 },
		{ "2026-11-26 02:00:00 +0300", CHECK_CRITICAL, 0 },  /* 23:00 UTC yesterday: expired */
		{ "2020-01-01 00:00:00 +0300", CHECK_CRITICAL, 0 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct check_results rs = { 0 };
		judge_rsa_expiring(cases[i].expire, &rs);
		const struct check_result *r = check_test_find(&rs, "utm.cert_rsa");
		if (r->state != cases[i].st || r->perf[0].value != (double)cases[i].days)
			fail_msg("%s: %s, %g days: %s", cases[i].expire, check_state_name(r->state),
				 r->perf[0].value, r->summary);
		assert_true(r->perf[0].warn == 30 && r->perf[0].crit == 7);
		check_results_release(&rs);
	}
	struct check_results rs = { 0 };
	judge_rsa_expiring("2026-12-06 12:00:00 +0300", &rs);
	assert_non_null(strstr(check_test_find(&rs, "utm.cert_rsa")->summary,
			       "сертификат RSA УТМ истекает через 10 дн. (2026-12-06)"));
	judge_rsa_expiring("2020-01-01 00:00:00 +0300", &rs);
	assert_non_null(strstr(check_test_find(&rs, "utm.cert_rsa")->summary, "истёк (2020-01-01)"));
	judge_rsa_expiring("someday", &rs);
	assert_int_equal(state_of(&rs, "utm.cert_rsa"), CHECK_UNKNOWN);
	check_results_release(&rs);
}

static void test_check_utm__an_invalid_or_missing_certificate_is_said(void **state)
{
	(void)state;
	struct check_results rs = { 0 };
	judge("{\"version\":\"4.2.0\",\"rsa\":{\"expireDate\":\"2027-01-10 12:00:00 +0300\","
	      "\"isValid\":\"revoked\"}}", NULL, "", &rs);
	assert_int_equal(state_of(&rs, "utm.cert_rsa"), CHECK_CRITICAL);
	assert_non_null(strstr(check_test_find(&rs, "utm.cert_rsa")->summary, "недействителен (revoked)"));
	assert_int_equal(state_of(&rs, "utm.cert_gost"), CHECK_UNKNOWN);
	/* Without the store's ФСРАР ID there is nothing to compare. */
	assert_null(check_test_find(&rs, "utm.fsrar_id"));
	check_results_release(&rs);
}

static void test_check_utm__a_foreign_key_is_critical(void **state)
{
	(void)state;
	struct check_results rs = { 0 };
	judge(good_json, NULL, "030000999999", &rs);
	const struct check_result *r = check_test_find(&rs, "utm.fsrar_id");
	assert_int_equal(r->state, CHECK_CRITICAL);
	assert_non_null(strstr(r->summary, "030000123456, а у магазина 030000999999"));
	/* db.ownerId is the key's; the top-level ownerId only stands in for it. */
	judge("{\"ownerId\":\"030000999999\",\"db\":{\"ownerId\":\"030000123456\"}}", NULL, "030000999999", &rs);
	assert_int_equal(state_of(&rs, "utm.fsrar_id"), CHECK_CRITICAL);
	judge("{\"ownerId\":\"030000999999\"}", NULL, "030000999999", &rs);
	assert_int_equal(state_of(&rs, "utm.fsrar_id"), CHECK_OK);
	judge("{\"version\":\"4\"}", NULL, "030000999999", &rs);
	assert_int_equal(state_of(&rs, "utm.fsrar_id"), CHECK_UNKNOWN);
	check_results_release(&rs);
}

static void test_check_utm__rsa_problems_from_rsa_error_or_the_home_page(void **state)
{
	(void)state;
	struct check_results rs = { 0 };
	judge(good_json, "<div>Проблемы с RSA</div>", "", &rs);
	assert_int_equal(state_of(&rs, "utm.rsa"), CHECK_CRITICAL);

	char body[2048];
	const char *at = strstr(good_json, "null");
	snprintf(body, sizeof(body), "%.*s\"Ключ не найден\n(reinsert)\"%s", (int)(at - good_json),
		 good_json, at + 4);
	judge(body, NULL, "", &rs);
	const struct check_result *r = check_test_find(&rs, "utm.rsa");
	assert_int_equal(r->state, CHECK_CRITICAL);
	assert_non_null(strstr(r->summary, "Ключ не найден (reinsert)"));
	check_results_release(&rs);
}

static void test_check_utm__an_html_answer_is_up_but_unreadable(void **state)
{
	(void)state;
	struct check_results rs = { 0 };
	judge("<html><body>УТМ</body></html>", NULL, "030000123456", &rs);
	assert_int_equal(rs.n, 3);
	assert_int_equal(state_of(&rs, "utm.down"), CHECK_OK);
	assert_int_equal(state_of(&rs, "utm.cert_rsa"), CHECK_UNKNOWN);
	assert_int_equal(state_of(&rs, "utm.cert_gost"), CHECK_UNKNOWN);
	judge("{\"version\":", NULL, "", &rs);  /* cut short */
	assert_int_equal(state_of(&rs, "utm.cert_rsa"), CHECK_UNKNOWN);
	check_results_release(&rs);
}

/* ---- live, against tests/fakes/fakeutm.py ---- */

struct fake {
	pid_t pid;
	char url[64];
};

static void fake_start(struct fake *f, const char *const *args)
{
	int out[2];
	const char *argv[16] = { "python3", "tests/fakes/fakeutm.py" };
	size_t n = 2;
	for (; *args && n < ARRAY_SIZE(argv) - 1; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	assert_int_equal(pipe(out), 0);
	f->pid = fork();
	assert_true(f->pid >= 0);
	if (f->pid == 0) {
		dup2(out[1], 1);
		close(out[0]);
		close(out[1]);
		execvp("python3", (char *const *)argv);
		_exit(127);
	}
	close(out[1]);
	char line[64] = "";
	FILE *r = fdopen(out[0], "r");
	assert_non_null(fgets(line, sizeof(line), r));
	fclose(r);
	unsigned port = 0;
	assert_int_equal(sscanf(line, "PORT %u", &port), 1);
	snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%u", port);
}

static void fake_stop(struct fake *f)
{
	kill(f->pid, SIGKILL);
	assert_int_equal(waitpid(f->pid, NULL, 0), f->pid);
}

static void live(const char *url, struct check_results *rs)
{
	struct check_ctx ctx = { .now = time(NULL), .state_dir = "/tmp", .fsrar_id = "030000123456" };
	void *u = check_test_new(&check_utm, (const char *[]){ "url", url, "timeout", "5s", NULL });
	check_results_release(rs);
	check_utm.run(u, &ctx, rs);
	check_utm.destroy(u);
}

static void test_check_utm__live_an_expiring_key_and_the_home_pages_banner(void **state)
{
	(void)state;
	struct fake f;
	struct check_results rs = { 0 };
	fake_start(&f, (const char *[]){ "--rsa-days", "10.5", "--gost-days", "3.5", "--home-problem", NULL });
	live(f.url, &rs);
	fake_stop(&f);
	assert_int_equal(state_of(&rs, "utm.down"), CHECK_OK);
	assert_int_equal(state_of(&rs, "utm.cert_rsa"), CHECK_WARNING);
	assert_true(check_test_find(&rs, "utm.cert_rsa")->perf[0].value == 10);
	assert_int_equal(state_of(&rs, "utm.cert_gost"), CHECK_CRITICAL);
	assert_int_equal(state_of(&rs, "utm.fsrar_id"), CHECK_OK);
	assert_int_equal(state_of(&rs, "utm.rsa"), CHECK_CRITICAL);
	check_results_release(&rs);
}

static void test_check_utm__live_no_answer_or_an_error_status_is_down_and_nothing_else(void **state)
{
	(void)state;
	struct check_results rs = { 0 };
	struct fake f;
	fake_start(&f, (const char *[]){ "--status", "503", NULL });
	live(f.url, &rs);
	fake_stop(&f);
	assert_int_equal(rs.n, 1);
	assert_int_equal(state_of(&rs, "utm.down"), CHECK_CRITICAL);
	assert_non_null(strstr(rs.v[0].summary, "HTTP 503"));
	assert_non_null(strstr(rs.v[0].summary, "продажа алкоголя остановлена"));

	/* Nobody listens where it was. */
	live(f.url, &rs);
	assert_int_equal(rs.n, 1);
	assert_int_equal(state_of(&rs, "utm.down"), CHECK_CRITICAL);
	assert_non_null(strstr(rs.v[0].summary, f.url));
	check_results_release(&rs);
}

static void test_check_utm__live_an_oversized_answer_is_up_but_unreadable(void **state)
{
	(void)state;
	struct check_results rs = { 0 };
	struct fake f;
	fake_start(&f, (const char *[]){ "--pad", "300000", NULL });
	live(f.url, &rs);
	fake_stop(&f);
	assert_int_equal(rs.n, 3);
	assert_int_equal(state_of(&rs, "utm.down"), CHECK_OK);
	assert_int_equal(state_of(&rs, "utm.cert_rsa"), CHECK_UNKNOWN);
	check_results_release(&rs);
}

static void test_check_utm__settings_are_checked(void **state)
{
	(void)state;
	char err[256];
	assert_non_null(strstr(check_test_error(&check_utm, (const char *[]){ "url", "localhost:8080", NULL },
						err, sizeof(err)), "url 'localhost:8080'"));
	assert_non_null(strstr(check_test_error(&check_utm, (const char *[]){ "cert_crit", "40d", NULL },
						err, sizeof(err)), "cert_crit is longer"));
	assert_non_null(strstr(check_test_error(&check_utm, (const char *[]){ "fsrar", "1", NULL },
						err, sizeof(err)), "unknown key 'fsrar'"));
}

static int global_setup(void **state)
{
	(void)state;
	return http_global_init();
}

static int global_teardown(void **state)
{
	(void)state;
	http_global_cleanup();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_utm__a_healthy_utm_is_ok_on_every_code),
		cmocka_unit_test(test_check_utm__certificates_warn_at_30_days_and_are_critical_at_7),
		cmocka_unit_test(test_check_utm__an_invalid_or_missing_certificate_is_said),
		cmocka_unit_test(test_check_utm__a_foreign_key_is_critical),
		cmocka_unit_test(test_check_utm__rsa_problems_from_rsa_error_or_the_home_page),
		cmocka_unit_test(test_check_utm__an_html_answer_is_up_but_unreadable),
		cmocka_unit_test(test_check_utm__live_an_expiring_key_and_the_home_pages_banner),
		cmocka_unit_test(test_check_utm__live_no_answer_or_an_error_status_is_down_and_nothing_else),
		cmocka_unit_test(test_check_utm__live_an_oversized_answer_is_up_but_unreadable),
		cmocka_unit_test(test_check_utm__settings_are_checked),
	};
	return cmocka_run_group_tests(tests, global_setup, global_teardown);
}
