/*
 * Unit tests: the Telegram client against a one-file fake Bot API on a
 * local socket. The fake answers each call from a script and notes when
 * each call arrived, so a test can say "no call came during the pause".
 * Decoding the answers, which must read each field only with its JSON type.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bot/telegram.h"
#include "core/clock.h"
#include "core/http.h"
#include "core/log.h"

#define TOKEN "123:test-token"
#define MAX_CALLS 16

/* The fake Bot API: answers[i] is the body of the i-th answer (200 unless it says 429). */
static struct fake {
	int listener, port;
	pthread_t thread;
	const char *answers[MAX_CALLS];
	int64_t arrived_ms[MAX_CALLS], answered_ms[MAX_CALLS];
	int calls;
} fake;

/* Reads one request (headers, then Content-Length bytes of body). */
static void read_request(int fd)
{
	char buf[8192];
	size_t len = 0;
	char *end = NULL;
	while (!end && len < sizeof(buf) - 1) {
		ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			return;
		len += (size_t)n;
		buf[len] = '\0';
		end = strstr(buf, "\r\n\r\n");
	}
	const char *cl = strcasestr(buf, "content-length:");
	long want = cl ? strtol(cl + 15, NULL, 10) : 0;
	long have = end ? (long)(len - (size_t)(end + 4 - buf)) : 0;
	while (have < want) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			return;
		have += n;
	}
}

static void *fake_main(void *arg)
{
	(void)arg;
	for (;;) {
		int fd = accept(fake.listener, NULL, NULL);
		if (fd < 0)
			return NULL;
		read_request(fd);
		int i = fake.calls < MAX_CALLS ? fake.calls : MAX_CALLS - 1;
		fake.arrived_ms[i] = clock_mono_ms();
		const char *body = fake.answers[i] ? fake.answers[i] : "{\"ok\":true,\"result\":true}";
		char head[256];
		int n = snprintf(head, sizeof(head),
				 "HTTP/1.1 %s\r\nContent-Type: application/json\r\n"
				 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
				 strstr(body, "429") ? "429 Too Many Requests" : "200 OK", strlen(body));
		/* Noted before the client can read it: its pause starts later than this. */
		fake.answered_ms[i] = clock_mono_ms();
		assert_int_equal(write(fd, head, (size_t)n), n);
		assert_int_equal(write(fd, body, strlen(body)), (ssize_t)strlen(body));
		fake.calls++;
		close(fd);
	}
}

static int setup(void **state)
{
	(void)state;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	memset(&fake, 0, sizeof(fake));
	fake.listener = socket(AF_INET, SOCK_STREAM, 0);
	if (fake.listener < 0 || bind(fake.listener, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(fake.listener, 8) || getsockname(fake.listener, (struct sockaddr *)&a, &alen))
		return -1;
	fake.port = ntohs(a.sin_port);
	return pthread_create(&fake.thread, NULL, fake_main, NULL) ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	shutdown(fake.listener, SHUT_RDWR);
	close(fake.listener);
	pthread_join(fake.thread, NULL);
	return 0;
}

static struct tg *client(void)
{
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", fake.port);
	return tg_new(url, TOKEN);
}

static void test_telegram__a_huge_retry_after_is_read_as_the_longest_pause(void **state)
{
	(void)state;
	struct tg *tg = client();
	struct tg_result r;
	/* 2^32 * 1000 seconds: past int, and past int64 once in milliseconds of 32 bits. */
	fake.answers[0] = "{\"ok\":false,\"error_code\":429,\"description\":\"Too Many Requests\","
			  "\"parameters\":{\"retry_after\":4294967296000}}";
	struct tg_pause *pause = tg_pause_new();
	tg_share_pause(tg, pause);
	assert_int_equal(tg_call(tg, &r, "sendMessage", NULL, 5000, NULL), TD_ERR);
	assert_int_equal(r.outcome, TG_RETRY);
	assert_int_equal(r.retry_after, TG_RETRY_AFTER_MAX);
	int64_t left = tg_pause_left_ms(pause);
	assert_true(left > (int64_t)(TG_RETRY_AFTER_MAX - 5) * 1000);
	assert_true(left <= (int64_t)TG_RETRY_AFTER_MAX * 1000);
	tg_result_release(&r);
	tg_free(tg);
	tg_pause_free(pause);
}

static void test_telegram__a_zero_or_negative_retry_after_still_waits_a_second(void **state)
{
	(void)state;
	struct tg *tg = client();
	struct tg_result r;
	fake.answers[0] = "{\"ok\":false,\"error_code\":429,\"description\":\"Too Many Requests\","
			  "\"parameters\":{\"retry_after\":-5}}";
	tg_call(tg, &r, "sendMessage", NULL, 5000, NULL);
	assert_int_equal(r.retry_after, 1);
	tg_result_release(&r);
	tg_free(tg);
}

static void test_telegram__a_429_to_one_client_holds_every_call_of_the_other(void **state)
{
	(void)state;
	struct tg *sender = client(), *poller = client();
	struct tg_pause *pause = tg_pause_new();
	struct tg_result r;
	tg_share_pause(sender, pause);
	tg_share_pause(poller, pause);
	fake.answers[0] = "{\"ok\":false,\"error_code\":429,\"description\":\"Too Many Requests: "
			  "retry after 1\",\"parameters\":{\"retry_after\":1}}";
	assert_int_equal(tg_call(sender, &r, "sendMessage", NULL, 5000, NULL), TD_ERR);
	assert_int_equal(r.retry_after, 1);
	tg_result_release(&r);
	/* The other client's call waits until the second is over, then goes. */
	assert_int_equal(tg_call(poller, &r, "getUpdates", NULL, 5000, NULL), 0);
	tg_result_release(&r);
	assert_int_equal(fake.calls, 2);
	assert_true(fake.arrived_ms[1] - fake.answered_ms[0] >= 1000);
	assert_true(fake.arrived_ms[1] - fake.answered_ms[0] < 2500);
	tg_free(sender);
	tg_free(poller);
	tg_pause_free(pause);
}

static void test_telegram__a_stop_during_the_pause_ends_the_call_without_calling(void **state)
{
	(void)state;
	struct tg *tg = client();
	struct tg_result r;
	volatile int stop = 0;
	fake.answers[0] = "{\"ok\":false,\"error_code\":429,\"description\":\"Too Many Requests\","
			  "\"parameters\":{\"retry_after\":30}}";
	tg_call(tg, &r, "sendMessage", NULL, 5000, &stop);
	tg_result_release(&r);
	stop = 1;
	int64_t t0 = clock_mono_ms();
	assert_int_equal(tg_call(tg, &r, "sendMessage", NULL, 5000, &stop), TD_ERR);
	assert_true(clock_mono_ms() - t0 < 500);
	assert_int_equal(r.outcome, TG_RETRY);
	assert_int_equal(fake.calls, 1);
	tg_result_release(&r);
	tg_free(tg);
}

/* Decoding: each field is read only with its JSON type. */
static struct tg_result decoded(const char *body, long status)
{
	struct tg_result r;
	memset(&r, 0, sizeof(r));
	tg_answer_decode(&r, body, strlen(body), status);
	return r;
}

static void test_telegram__only_ok_true_is_success_not_a_string_or_a_number(void **state)
{
	(void)state;
	struct tg_result ok = decoded("{\"ok\":true,\"result\":{\"message_id\":7}}", 200);
	assert_int_equal(ok.outcome, TG_OK);
	assert_non_null(ok.result);
	tg_result_release(&ok);

	static const char *const bodies[] = {
		"{\"ok\":\"false\",\"result\":{}}",
		"{\"ok\":\"true\",\"result\":{}}",
		"{\"ok\":1,\"result\":{}}",
		"{\"ok\":[true],\"result\":{}}",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bodies); i++) {
		struct tg_result r = decoded(bodies[i], 200);
		if (r.outcome == TG_OK)
			fail_msg("%s read as success", bodies[i]);
		assert_null(r.result);
		tg_result_release(&r);
	}
}

static void test_telegram__error_fields_of_the_wrong_type_are_ignored(void **state)
{
	(void)state;
	struct tg_result r = decoded("{\"ok\":false,\"error_code\":\"429\",\"description\":5,"
				     "\"parameters\":{\"retry_after\":\"30\","
				     "\"migrate_to_chat_id\":\"-1001\"}}", 400);
	/* The HTTP status stands in for the unreadable error_code. */
	assert_int_equal(r.error_code, 400);
	assert_int_equal(r.outcome, TG_BAD_REQUEST);
	assert_string_equal(r.description, "");
	assert_int_equal(r.retry_after, 0);
	assert_int_equal(r.migrate_to, 0);

	/* The same fields with their types are read. */
	r = decoded("{\"ok\":false,\"error_code\":429,\"description\":\"Too Many\","
		    "\"parameters\":{\"retry_after\":30}}", 429);
	assert_int_equal(r.outcome, TG_RETRY);
	assert_int_equal(r.retry_after, 30);
	assert_string_equal(r.description, "Too Many");
	r = decoded("{\"ok\":false,\"error_code\":400,\"parameters\":{\"migrate_to_chat_id\":-1001}}",
		    400);
	assert_int_equal(r.outcome, TG_MIGRATED);
	assert_int_equal(r.migrate_to, -1001);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_telegram__only_ok_true_is_success_not_a_string_or_a_number),
		cmocka_unit_test(test_telegram__error_fields_of_the_wrong_type_are_ignored),
		cmocka_unit_test_setup_teardown(test_telegram__a_huge_retry_after_is_read_as_the_longest_pause,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_telegram__a_zero_or_negative_retry_after_still_waits_a_second,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_telegram__a_429_to_one_client_holds_every_call_of_the_other,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_telegram__a_stop_during_the_pause_ends_the_call_without_calling,
						setup, teardown),
	};
	log_set_level(LOG_ERROR);
	http_global_init();
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	http_global_cleanup();
	return rc;
}
