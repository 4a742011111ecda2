/* Unit tests: the tcp check (agent/check_tcp.c) against listeners on loopback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "tests/unit/check_test.h"

/* A listening socket on 127.0.0.1; its port into port (text). */
static int listener(char port[8])
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	snprintf(port, 8, "%u", ntohs(a.sin_port));
	return fd;
}

static void run(const char *const *kv, struct check_results *rs)
{
	struct check_ctx ctx = { .now = 1764115200, .state_dir = "/tmp", .fsrar_id = "" };
	void *t = check_test_new(&check_tcp, kv);
	check_tcp.run(t, &ctx, rs);
	check_tcp.destroy(t);
}

static void test_check_tcp__a_listening_port_is_ok_with_its_time(void **state)
{
	(void)state;
	char port[8];
	int fd = listener(port);
	struct check_results rs = { 0 };
	run((const char *[]){ "instance", "ofd", "host", "127.0.0.1", "port", port, NULL }, &rs);
	close(fd);

	assert_int_equal(rs.n, 1);
	assert_string_equal(rs.v[0].check, "tcp");
	/* An instance named ofd watches ofd.unreachable unless told otherwise. */
	assert_string_equal(rs.v[0].code, "ofd.unreachable");
	assert_int_equal(rs.v[0].state, CHECK_OK);
	assert_non_null(strstr(rs.v[0].summary, "доступен"));
	assert_int_equal(rs.v[0].n_perf, 1);
	assert_string_equal(rs.v[0].perf[0].label, "time");
	assert_string_equal(rs.v[0].perf[0].uom, "ms");
	check_results_release(&rs);
}

static void test_check_tcp__a_closed_port_is_critical_at_once(void **state)
{
	(void)state;
	char port[8];
	close(listener(port));  /* nothing listens there now: refused */
	struct check_results rs = { 0 };
	int64_t t0 = time(NULL);
	run((const char *[]){ "host", "127.0.0.1", "port", port, "code", "bank.link", NULL }, &rs);

	assert_true(time(NULL) - t0 < 3);
	assert_int_equal(rs.n, 1);
	assert_string_equal(rs.v[0].code, "bank.link");
	assert_int_equal(rs.v[0].state, CHECK_CRITICAL);
	assert_non_null(strstr(rs.v[0].summary, "нет связи с 127.0.0.1"));
	char address[32];
	snprintf(address, sizeof(address), "127.0.0.1:%s", port);
	assert_string_equal(check_test_detail(&rs.v[0], "tcp.address"), address);
	check_results_release(&rs);
}

static void test_check_tcp__a_port_that_never_answers_times_out(void **state)
{
	(void)state;
	char port[8];
	int fd = listener(port);
	int fill[8];
	/* A listener that never accepts: once its queue is full, SYNs go unanswered. */
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				 .sin_port = htons((uint16_t)strtol(port, NULL, 10)) };
	for (size_t i = 0; i < ARRAY_SIZE(fill); i++) {
		fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		connect(fill[i], (struct sockaddr *)&a, sizeof(a));
	}
	struct check_results rs = { 0 };
	int64_t t0 = clock_mono_ms();
	run((const char *[]){ "host", "127.0.0.1", "port", port, "timeout", "1s", NULL }, &rs);
	int64_t took = clock_mono_ms() - t0;
	for (size_t i = 0; i < ARRAY_SIZE(fill); i++)
		close(fill[i]);
	close(fd);

	assert_int_equal(rs.v[0].state, CHECK_CRITICAL);
	assert_non_null(strstr(rs.v[0].summary, strerror(ETIMEDOUT)));
	assert_true(took >= 900 && took < 2500);
	check_results_release(&rs);
}

static void test_check_tcp__a_bare_section_watches_tcp_unreachable(void **state)
{
	(void)state;
	struct check_results rs = { 0 };
	run((const char *[]){ "host", "no-such-host.invalid", "port", "7777", NULL }, &rs);
	assert_string_equal(rs.v[0].code, "tcp.unreachable");
	assert_int_equal(rs.v[0].state, CHECK_CRITICAL);
	check_results_release(&rs);
}

static void test_check_tcp__bad_settings_are_refused_with_the_reason(void **state)
{
	(void)state;
	char err[256];
	assert_non_null(strstr(check_test_error(&check_tcp, (const char *[]){ "host", "x", NULL }, err,
						sizeof(err)), "needs host and port"));
	assert_non_null(strstr(check_test_error(&check_tcp, (const char *[]){ "port", "70000", NULL },
						err, sizeof(err)), "1-65535"));
	assert_non_null(strstr(check_test_error(&check_tcp, (const char *[]){ "code", "OFD!", NULL },
						err, sizeof(err)), "code 'OFD!'"));
	assert_non_null(strstr(check_test_error(&check_tcp, (const char *[]){ "timeout", "soon", NULL },
						err, sizeof(err)), "timeout 'soon'"));
	assert_non_null(strstr(check_test_error(&check_tcp, (const char *[]){ "hots", "x", NULL }, err,
						sizeof(err)), "unknown key 'hots'"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_tcp__a_listening_port_is_ok_with_its_time),
		cmocka_unit_test(test_check_tcp__a_closed_port_is_critical_at_once),
		cmocka_unit_test(test_check_tcp__a_port_that_never_answers_times_out),
		cmocka_unit_test(test_check_tcp__a_bare_section_watches_tcp_unreachable),
		cmocka_unit_test(test_check_tcp__bad_settings_are_refused_with_the_reason),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
